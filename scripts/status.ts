/**
 * Read the anchor's state and policies, and what the audit would flag.
 *   npx hardhat run scripts/status.ts --network localhost
 * Environment: DEPLOYMENT (default deployments/<network>.json).
 */
import hre from "hardhat";
import { status, terminateCurves } from "../src";

async function main() {
  const s = await status({
    provider: hre.ethers.provider,
    deployment: process.env.DEPLOYMENT ?? `deployments/${hre.network.name}.json`,
  });
  console.log(
    `anchor ${s.anchor}: nonce ${s.view.nonce}, ${s.view.decisionCount} decisions, ${s.flags.length} flag(s)`,
  );
  for (const p of s.view.policies) console.log(`policy ${p.policyId}: ${p.status}, threshold ${p.threshold}`);
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(terminateCurves); // snarkjs's worker threads would keep the process alive
