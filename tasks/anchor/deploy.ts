/**
 * `npx hardhat anchor:deploy`: the generated verifiers, a StateAnchor, its roles and the loan policy
 * through Hardhat Ignition (src/anchor/deploy.ts), the deployments file written to --out. Bad options
 * and parameters that do not fit the build are refused before anything is sent (exit 2).
 */
import path from "node:path";
import { task, types } from "hardhat/config";
import { UsageError } from "../../src/errors";
import { command, intArg } from "./cli";

interface Args {
  profile: string;
  threshold: string;
  submitter: string;
  methodId?: string;
  allowUnknownGuest: boolean;
  batchSize?: string;
  policyDelay?: string;
  adminDelay?: string;
  confirmations?: string;
  deploymentId?: string;
  out?: string;
  verify: boolean;
  json: boolean;
}

task(
  "anchor:deploy",
  "Deploys the generated verifiers and a StateAnchor, registers the loan policy (Hardhat Ignition), writes deployments/<network>.json",
)
  .addOptionalParam("profile", "build profile whose verifiers are deployed (test | production)", "test")
  .addParam(
    "threshold",
    "policy threshold: approve iff score <= threshold (below 2^SCORE_BITS)",
    undefined,
    types.string,
  )
  .addOptionalParam("submitter", "comma-separated accounts granted SUBMITTER_ROLE (default: the deployer)", "")
  .addOptionalParam("methodId", "guest method ID (default: the loan guest's); must be a guest's of guests/*.asm")
  .addFlag("allowUnknownGuest", "with --method-id: register a method ID that is no guest's of this repository")
  .addOptionalParam("batchSize", "policy batch size (default and only accepted value: the built circuit's N)")
  .addOptionalParam("policyDelay", "seconds before a scheduled policy takes effect (default 86400; 0 on dev chains)")
  .addOptionalParam("adminDelay", "seconds a default-admin transfer waits (default 86400; 0 on dev chains)")
  .addOptionalParam("confirmations", "blocks to wait for after each transaction (default 5; 1 on automining nodes)")
  .addOptionalParam(
    "deploymentId",
    "Ignition deployment id: journal in ignition/deployments/<id> (default <network>-<chainId>)",
  )
  .addOptionalParam("out", "where to write the deployments file (default deployments/<network>.json)")
  .addFlag("verify", "verify the sources with hardhat-verify (Etherscan)")
  .addFlag("json", "one JSON object on stdout (the deployment summary); logs go to stderr")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const { deployAnchorRun, deploymentSummary } = await import("../../src/anchor/deploy");
      await hre.run("compile", { quiet: true }); // a fresh clone has built circuits but no artifacts yet
      const { toBigInt } = await import("../../src/field");
      if (args.profile !== "test" && args.profile !== "production")
        throw new UsageError(`--profile must be test or production, got "${args.profile.slice(0, 80)}"`);
      const big = (value: string | undefined, option: string): bigint | undefined => {
        if (value === undefined || value === "") return undefined;
        try {
          return toBigInt(value, option);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      };
      const delay = (value: string | undefined, option: string) => {
        const n = intArg(value, option);
        return n === undefined ? undefined : BigInt(n);
      };
      const run = await deployAnchorRun(
        hre,
        {
          profile: args.profile,
          threshold: big(args.threshold, "--threshold")!,
          submitters: args.submitter
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
          methodId: big(args.methodId, "--method-id"),
          allowUnknownGuest: args.allowUnknownGuest,
          batchSize: intArg(args.batchSize, "--batch-size", 1),
          policyDelay: delay(args.policyDelay, "--policy-delay"),
          adminDelay: delay(args.adminDelay, "--admin-delay"),
          confirmations: intArg(args.confirmations, "--confirmations", 1),
          deploymentId: args.deploymentId,
          outFile: args.out ? path.resolve(args.out) : undefined,
          verify: args.verify,
        },
        (line) => (args.json || line.startsWith("warning:") ? console.error(line) : console.log(line)),
      );
      const s = deploymentSummary(run);
      if (args.json) {
        console.log(JSON.stringify(s, null, 2));
        return;
      }
      console.log(
        `StateAnchor ${s.stateAnchor} on ${s.network} (chain ${s.chainId}), policy ${s.policy.policyId} ` +
          `(threshold ${s.policy.threshold}, batch size ${s.policy.batchSize}, active from ${s.policy.activeFrom})`,
      );
      const journal = s.journal ?? "(a temporary one on the in-process network)";
      console.log(
        s.sent.length
          ? `${s.sent.length} transaction(s) sent; journal ${journal}`
          : `nothing new to deploy: every contract, role and the policy were already there (journal ${journal})`,
      );
    }),
  );
