/**
 * `npx hardhat anchor:status`: the anchor's state and policies from the chain, with one line per thing
 * the audit would flag (verifier not generated from a known key, unknown method ID, short policy delay).
 * `--strict` exits 1 when anything is flagged. The script API's status().
 */
import fs from "node:fs";
import { task } from "hardhat/config";
import { UsageError } from "../../src/errors";
import { command, intArg, readProvider } from "./cli";
import { deploymentFile } from "./options";
import { statusJson, statusLines, toJson } from "./render";

interface Args {
  deployment?: string;
  address?: string;
  minPolicyDelay?: string;
  strict: boolean;
  json: boolean;
}

task("anchor:status", "Shows the anchor's state and policies from the chain, and flags what the audit would")
  .addOptionalParam("deployment", "deployment manifest (default deployments/<network>.json)")
  .addOptionalParam("address", "the StateAnchor (default: the one in the deployment manifest)")
  .addOptionalParam(
    "minPolicyDelay",
    "seconds below which a policy's delay is flagged (default 86400; 0 on local chains)",
  )
  .addFlag("strict", "exit 1 when anything is flagged")
  .addFlag("json", "one JSON object on stdout")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const minPolicyDelay = intArg(args.minPolicyDelay, "--min-policy-delay");
      const file = deploymentFile(hre, args.deployment);
      if (!fs.existsSync(file) && !args.address)
        throw new UsageError(`no deployment manifest at ${file}`, "pass --address <anchor>, or --deployment <file>");
      const { status } = await import("../../src/api");
      const s = await status({
        provider: await readProvider(hre),
        address: args.address,
        deployment: fs.existsSync(file) ? file : undefined,
        minPolicyDelay,
      });
      const out = statusJson(hre.network.name, file, s);
      if (args.json) console.log(toJson(out, 2));
      else for (const line of statusLines(out)) console.log(line);
      if (args.strict && s.flags.length) {
        console.error(`error flagged: ${s.flags.length} flag(s) with --strict`);
        process.exitCode = 1;
      }
    }),
  );
