/**
 * `npx hardhat anchor:audit --network <n> --address <anchor>`: the chain-of-trust audit (src/audit,
 * docs/audit.md) from an RPC URL and this repository. Exit 0 when no check fails, 1 when one does,
 * 2 when the audit could not run.
 */
import fs from "node:fs";
import path from "node:path";
import { task } from "hardhat/config";
import { UsageError } from "../../src/errors";
import { command, intArg, readProvider } from "./cli";

interface Args {
  address?: string;
  deployment?: string;
  fromBlock?: string;
  toBlock?: string;
  chunk?: string;
  keyset?: string;
  minPolicyDelay?: string;
  deep: boolean;
  ptau?: string;
  report?: string;
  json: boolean;
  full: boolean;
}

task(
  "anchor:audit",
  "Audits an anchor's chain of trust: verifiers, keys, circuits, guests, every proof, roots, governance",
)
  .addOptionalParam("address", "the StateAnchor to audit (default: the one in --deployment)")
  .addOptionalParam(
    "deployment",
    "a lender's deployments file, checked against the chain (default: none with --address, else deployments/<network>.json)",
  )
  .addOptionalParam("fromBlock", "first block to read (default: the anchor's deployment block, found on chain)")
  .addOptionalParam("toBlock", "last block to read (default: the latest)")
  .addOptionalParam("chunk", "blocks per eth_getLogs request", "10000")
  .addOptionalParam("keyset", "extra key-set folders, comma-separated (keysets/* and build/*/keyset are always read)")
  .addOptionalParam(
    "minPolicyDelay",
    "seconds below which a policy's delay is a warning (default 86400; 0 on local chains)",
  )
  .addFlag("deep", "also recompile the circuits, re-run the PLONK setup and verify the Groth16 zkey (minutes)")
  .addOptionalParam("ptau", "powers of tau for --deep (default: the dev ptau in the cache)")
  .addOptionalParam("report", "also write a Markdown report for a person to this file")
  .addFlag("json", "print the report as one JSON object on stdout")
  .addFlag("full", "every check's evidence and every batch in the terminal report")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const range = {
        fromBlock: intArg(args.fromBlock, "--from-block"),
        toBlock: intArg(args.toBlock, "--to-block"),
        chunk: intArg(args.chunk, "--chunk", 1),
      };
      const minPolicyDelay = intArg(args.minPolicyDelay, "--min-policy-delay");
      if (range.fromBlock !== undefined && range.toBlock !== undefined && range.toBlock < range.fromBlock)
        throw new UsageError(`--to-block ${range.toBlock} is before --from-block ${range.fromBlock}`);
      if (args.address !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(args.address))
        throw new UsageError(`--address must be a 0x-prefixed 20-byte address, got "${args.address.slice(0, 80)}"`);
      const file = args.deployment ?? (args.address ? undefined : path.join("deployments", `${hre.network.name}.json`));
      if (file && !fs.existsSync(file))
        throw new UsageError(
          `no deployments file at ${file}`,
          "pass --address <anchor> to audit from the chain alone, or --deployment <file>",
        );
      const { readDeployment } = await import("../../src/pipeline");
      const deployment = file ? { file, manifest: readDeployment(file) } : undefined;
      const address = args.address ?? deployment!.manifest.contracts.stateAnchor.address;
      const { auditAnchor, auditToJson, renderAuditMarkdown, renderAuditText } = await import("../../src/audit");
      const { terminateCurves } = await import("../../src/snark");
      const log = (s: string) => console.error(s);
      let lastBatchLog = 0;
      const report = await auditAnchor(address, await readProvider(hre), {
        ...range,
        deployment,
        keySetDirs: args.keyset
          ? args.keyset
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean)
          : [],
        minPolicyDelay,
        deep: args.deep,
        ptau: args.ptau,
        onProgress: (e) => {
          if (e.type === "range")
            log(
              `reading blocks ${e.fromBlock}..${e.toBlock}${e.deploymentBlockFound ? " (deployment block found on chain)" : ""}`,
            );
          if (e.type === "keyset")
            log(`checking key set ${e.label} against this commit's circuits${args.deep ? " (deep)" : ""}`);
          if (e.type === "batch" && e.total && (Date.now() - lastBatchLog > 5000 || e.done === e.total)) {
            lastBatchLog = Date.now();
            log(`re-verifying proofs: ${e.done}/${e.total} batch(es)`);
          }
        },
      }).finally(terminateCurves);
      if (args.report) {
        fs.writeFileSync(args.report, renderAuditMarkdown(report));
        log(`wrote the Markdown report to ${args.report}`);
      }
      if (args.json) console.log(JSON.stringify(auditToJson(report), null, 2));
      else console.log(renderAuditText(report, args.full));
      if (report.verdict === "fail") process.exitCode = 1;
    }),
  );
