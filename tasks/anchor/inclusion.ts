/**
 * `npx hardhat anchor:inclusion --network <n> [--address <anchor>] (--receipts <file> --applicant <id> |
 * --commitment <c>)`: a borrower checks one decision on the chain (docs/cli.md). The task parses the
 * options, picks the anchor address and prints; the check is src/audit/inclusion.ts. Exit 0 when the
 * decision is confirmed, 1 when it is not (one-line reason), 2 for bad arguments (checked before the
 * chain is touched) or a chain that could not be read (tasks/anchor/cli.ts `command()`).
 */
import fs from "node:fs";
import path from "node:path";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { InclusionArgs } from "../../src/audit/inclusion";
import { UsageError } from "../../src/errors";
import { command, readProvider } from "./cli";

interface Args extends InclusionArgs {
  deployment?: string;
  json: boolean;
}

/** The anchor: --address, else the StateAnchor of the deployment manifest (deployments/<network>.json). */
async function anchorAddress(hre: HardhatRuntimeEnvironment, args: Args, given?: string): Promise<string> {
  if (given) return given;
  const file = args.deployment
    ? path.resolve(args.deployment)
    : path.join(hre.config.paths.root, "deployments", `${hre.network.name}.json`);
  if (!fs.existsSync(file))
    throw new UsageError(`no --address given and no deployment manifest at ${file}`, "pass --address <anchor>");
  const { readDeployment } = await import("../../src/pipeline/run/target");
  const address = readDeployment(file).contracts?.stateAnchor?.address;
  if (!address) throw new UsageError(`${file} names no stateAnchor address`, "pass --address <anchor>");
  return address;
}

task("anchor:inclusion", "Checks one loan decision on the anchor: a row of the lender's receipts.csv, or a commitment")
  .addOptionalParam("address", "the StateAnchor (default: the one of deployments/<network>.json)")
  .addOptionalParam("deployment", "deployment manifest naming the anchor (default deployments/<network>.json)")
  .addOptionalParam("receipts", "the lender's receipts.csv (with --applicant)")
  .addOptionalParam("applicant", "applicant id whose receipts row is checked (with --receipts)")
  .addOptionalParam("commitment", "the decision's commitment (instead of --receipts/--applicant)")
  .addOptionalParam("decision", "claimed decision, approved or denied (default: the receipts row's decision)")
  .addOptionalParam("fromBlock", "first block scanned (default: the anchor's deployment block, found on chain)")
  .addOptionalParam("toBlock", "last block scanned (default: the latest)")
  .addOptionalParam("chunk", "blocks per eth_getLogs request (default 10000)")
  .addFlag("json", "print one JSON object on stdout (big numbers as decimal strings)")
  .setAction((args: Args, hre) =>
    // Hardhat's own --verbose also prints the stack of an unexpected error.
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const inc = await import("../../src/audit/inclusion");
      const parsed = inc.parseInclusionArgs(args);
      const query: import("../../src/audit/inclusion").InclusionQuery =
        "commitment" in parsed.source
          ? { commitment: parsed.source.commitment }
          : inc.receiptQuery(inc.readReceipt(path.resolve(parsed.source.receipts), parsed.source.applicant));
      if (parsed.approved !== undefined) query.approved = parsed.approved;
      const address = await anchorAddress(hre, args, parsed.address);
      const result = await inc.checkInclusion(await readProvider(hre), address, query, parsed.options);
      if (args.json) console.log(JSON.stringify(inc.inclusionJson(result), null, 2));
      else for (const line of inc.formatInclusion(result)) console.log(line);
      if (!result.ok) {
        if (args.json) console.error(`not confirmed: ${result.reason}`);
        process.exitCode = 1;
      }
    }),
  );
