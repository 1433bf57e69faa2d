/**
 * Attest an applications file: validate, plan, prove in parallel, submit in nonce order (resumable:
 * run it again after a crash).
 *   APPLICATIONS=applications.csv npx hardhat run scripts/attest.ts --network localhost
 * Environment: APPLICATIONS (default test/fixtures/applications-e2e.csv), DEPLOYMENT, RUNS_DIR (default runs).
 */
import hre from "hardhat";
import { attest, type PipelineEvent, terminateCurves } from "../src";

async function main() {
  const [signer] = await hre.ethers.getSigners();
  const result = await attest({
    deployment: process.env.DEPLOYMENT ?? `deployments/${hre.network.name}.json`,
    file: process.env.APPLICATIONS ?? "test/fixtures/applications-e2e.csv",
    runsDir: process.env.RUNS_DIR ?? "runs",
    signer,
    onEvent: (e: PipelineEvent) => {
      if (e.type === "batch-attested") console.log(`batch ${e.index} attested in block ${e.blockNumber}`);
    },
  });
  const s = result.submission;
  console.log(`sent ${s.sent}, already attested ${s.skipped}; anchor nonce ${s.finalNonce}`);
  console.log(`receipts: ${result.store.receiptsFile}`);
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(terminateCurves); // snarkjs's worker threads would keep the process alive
