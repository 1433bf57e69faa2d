/**
 * Deploy the test profile's verifiers and a StateAnchor, and register the loan policy.
 *   npx hardhat run scripts/deploy.ts --network localhost
 * Environment: THRESHOLD (default 650), DEPLOYMENT (manifest file, default deployments/<network>.json).
 */
import hre from "hardhat";
import { deployAnchor, terminateCurves } from "../src";

async function main() {
  const manifest = await deployAnchor(hre, {
    profile: "test",
    threshold: BigInt(process.env.THRESHOLD ?? "650"),
    outFile: process.env.DEPLOYMENT,
  });
  console.log(`StateAnchor ${manifest.contracts.stateAnchor.address}, policy ${manifest.policies.at(-1)?.policyId}`);
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(terminateCurves); // snarkjs's worker threads would keep the process alive
