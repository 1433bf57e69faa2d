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
import { hex, toJson } from "./render";

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
      const { utc } = await import("../../src/audit/report");
      const s = await status({
        provider: await readProvider(hre),
        address: args.address,
        deployment: fs.existsSync(file) ? file : undefined,
        minPolicyDelay,
      });
      const v = s.view;
      const out = {
        network: hre.network.name,
        chainId: s.chainId,
        deployment: s.profile ? file : null,
        profile: s.profile,
        anchor: s.anchor,
        codeMatchesManifest: s.codeMatchesManifest,
        blockNumber: v.blockNumber,
        stateRoot: hex(v.stateRoot),
        nonce: v.nonce,
        decisionCount: v.decisionCount,
        domain: v.domain,
        paused: s.paused,
        policies: v.policies.map((x) => ({
          ...x,
          activeFromUtc: utc(x.activeFrom),
          retiredFromUtc: x.retiredFrom ? utc(x.retiredFrom) : null,
        })),
        flags: s.flags.map((f) => ({ status: f.status, check: f.check, subject: f.subject, reason: f.reason })),
      };
      if (args.json) console.log(toJson(out, 2));
      else {
        console.log(
          `StateAnchor ${out.anchor} on ${out.network} (chain ${out.chainId})${out.profile ? `, profile ${out.profile}` : ""}${out.codeMatchesManifest === false ? " (code differs from the manifest!)" : ""}`,
        );
        console.log(
          `  at block ${out.blockNumber}: nonce ${out.nonce}, ${out.decisionCount} decision(s) attested${out.paused ? ", PAUSED" : ""}`,
        );
        console.log(`  state root ${out.stateRoot}`);
        console.log(`  domain     ${out.domain}`);
        for (const x of out.policies)
          console.log(
            `  policy ${x.policyId}: ${x.status} (from ${x.activeFromUtc}${x.retiredFromUtc ? `, retired from ${x.retiredFromUtc}` : ""}), threshold ${x.threshold}, batch size ${x.batchSize}, method ${x.methodId}, verifier ${x.verifier}`,
          );
        for (const f of s.flags) console.log(`  FLAG ${f.check} ${f.subject}: ${f.reason}`);
        if (!s.flags.length) console.log("  no flags (run anchor:audit for every check)");
      }
      if (args.strict && s.flags.length) {
        console.error(`error flagged: ${s.flags.length} flag(s) with --strict`);
        process.exitCode = 1;
      }
    }),
  );
