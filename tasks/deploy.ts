import { task, types } from "hardhat/config";

task(
  "anchor:deploy",
  "Deploys the generated verifiers and a StateAnchor, registers the loan policy, writes deployments/<network>.json",
)
  .addOptionalParam("profile", "build profile whose verifiers are deployed (test | production)", "test")
  .addParam("threshold", "policy threshold: approve iff score <= threshold", undefined, types.string)
  .addOptionalParam("submitter", "comma-separated accounts granted SUBMITTER_ROLE (default: the deployer)", "")
  .addOptionalParam("methodId", "guest method ID (default: loanGuest().methodId from src/zkvm)", "")
  .addOptionalParam("policyDelay", "seconds before a scheduled policy takes effect", "0")
  .addOptionalParam(
    "adminDelay",
    "seconds a default-admin transfer waits (default: 0 on dev chains, 86400 elsewhere)",
    "",
  )
  .addFlag("verify", "verify the sources with hardhat-verify (Etherscan)")
  .setAction(async (args, hre) => {
    const { deployAnchor } = await import("../src/anchor/deploy");
    const { toBigInt } = await import("../src/field");
    if (args.profile !== "test" && args.profile !== "production")
      throw new Error(`--profile must be test or production, got ${args.profile}`);
    const manifest = await deployAnchor(
      hre,
      {
        profile: args.profile,
        threshold: toBigInt(args.threshold, "--threshold"),
        submitters: String(args.submitter)
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        methodId: args.methodId ? toBigInt(args.methodId, "--method-id") : undefined,
        policyDelay: toBigInt(args.policyDelay, "--policy-delay"),
        adminDelay: args.adminDelay ? toBigInt(args.adminDelay, "--admin-delay") : undefined,
        verify: args.verify,
      },
      (message) => console.log(message),
    );
    console.log(
      `StateAnchor ${manifest.contracts.stateAnchor.address} on ${manifest.network} (chain ${manifest.chainId}), policy ${manifest.policies.at(-1)?.policyId}`,
    );
  });
