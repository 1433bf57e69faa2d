/**
 * `npx hardhat anchor:status`: the anchor's state and policies from the chain, with one line per thing
 * the audit would flag (verifier not generated from a known key, unknown method ID, short policy delay).
 * `--strict` exits 1 when anything is flagged.
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { task } from "hardhat/config";
import { UsageError } from "../../src/errors";
import { command, intArg, readProvider } from "./cli";

interface Args {
  deployment?: string;
  address?: string;
  minPolicyDelay?: string;
  strict: boolean;
  json: boolean;
}

const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

task("anchor:status", "Shows the anchor's state and policies from the chain, and flags what the audit would")
  .addOptionalParam("deployment", "deployment manifest (default deployments/<network>.json)")
  .addOptionalParam("address", "the StateAnchor (default: the one in the deployment manifest)")
  .addOptionalParam(
    "minPolicyDelay",
    "seconds below which a policy's delay is flagged (default 86400; 0 on local chains)",
  )
  .addFlag("strict", "exit 1 when anything is flagged")
  .addFlag("json", "machine-readable output")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const minPolicyDelay = intArg(args.minPolicyDelay, "--min-policy-delay");
      const file = args.deployment ?? path.join("deployments", `${hre.network.name}.json`);
      const { readDeployment, readAnchorView } = await import("../../src/pipeline");
      const d = fs.existsSync(file) ? readDeployment(file) : undefined;
      if (!d && !args.address)
        throw new UsageError(`no deployment manifest at ${file}`, "pass --address <anchor>, or --deployment <file>");
      const address = args.address ?? d!.contracts.stateAnchor.address;
      const provider = await readProvider(hre);
      const chainId = (await provider.getNetwork()).chainId;
      const { assertContractAt } = await import("../../src/anchor/history");
      if (d && !args.address && d.chainId !== chainId.toString())
        throw new UsageError(
          `the deployment manifest ${file} is for chain ${d.chainId}, the network "${hre.network.name}" is chain ${chainId}`,
          "pass the --network the anchor was deployed on",
        );
      await assertContractAt(provider, address);
      const v = await readAnchorView(address, provider);
      const { trustFlags } = await import("../../src/audit");
      const sameAnchor = d && d.contracts.stateAnchor.address.toLowerCase() === address.toLowerCase();
      const flags = await trustFlags(provider, address, {
        fromBlock: sameAnchor ? d.contracts.stateAnchor.blockNumber : undefined,
        minPolicyDelay,
      });
      const out = {
        network: hre.network.name,
        chainId: chainId.toString(),
        deployment: sameAnchor ? file : null,
        profile: sameAnchor ? d.profile : null,
        anchor: address,
        codeMatchesManifest: sameAnchor
          ? keccak256(await provider.getCode(address)) === d.contracts.stateAnchor.codeHash
          : null,
        blockNumber: v.blockNumber,
        stateRoot: hex(v.stateRoot),
        nonce: v.nonce.toString(),
        decisionCount: v.decisionCount.toString(),
        domain: v.domain.toString(),
        policies: v.policies.map((x) => ({
          ...x,
          policyId: x.policyId.toString(),
          methodId: x.methodId.toString(),
          threshold: x.threshold.toString(),
        })),
        flags: flags.map((f) => ({ status: f.status, check: f.check, subject: f.subject, reason: f.reason })),
      };
      if (args.json) console.log(JSON.stringify(out, null, 2));
      else {
        console.log(
          `StateAnchor ${out.anchor} on ${out.network} (chain ${out.chainId})${out.profile ? `, profile ${out.profile}` : ""}${out.codeMatchesManifest === false ? " (code differs from the manifest!)" : ""}`,
        );
        console.log(`  at block ${out.blockNumber}: nonce ${out.nonce}, ${out.decisionCount} decision(s) attested`);
        console.log(`  state root ${out.stateRoot}`);
        console.log(`  domain     ${out.domain}`);
        for (const x of out.policies)
          console.log(
            `  policy ${x.policyId}: ${x.status}, threshold ${x.threshold}, batch size ${x.batchSize}, method ${x.methodId}, verifier ${x.verifier}`,
          );
        for (const f of flags) console.log(`  FLAG ${f.check} ${f.subject}: ${f.reason}`);
        if (!flags.length) console.log("  no flags (run anchor:audit for every check)");
      }
      if (args.strict && flags.length) {
        console.error(`error flagged: ${flags.length} flag(s) with --strict`);
        process.exitCode = 1;
      }
    }),
  );
