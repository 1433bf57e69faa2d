/**
 * Check one decision the way its borrower would: their receipts row against the chain.
 *   RECEIPTS=runs/<run>/receipts.csv APPLICANT=1001 npx hardhat run scripts/check-decision.ts --network localhost
 * Environment: RECEIPTS, APPLICANT (required), ANCHOR (default: the deployments file's anchor), DEPLOYMENT.
 */
import hre from "hardhat";
import { inclusion, readDeployment, readReceipt, receiptQuery, terminateCurves } from "../src";

async function main() {
  const { RECEIPTS, APPLICANT } = process.env;
  if (!RECEIPTS || !APPLICANT) throw new Error("set RECEIPTS=<receipts.csv> and APPLICANT=<applicant id>");
  const address =
    process.env.ANCHOR ??
    readDeployment(process.env.DEPLOYMENT ?? `deployments/${hre.network.name}.json`).contracts.stateAnchor.address;
  const result = await inclusion(hre.ethers.provider, address, receiptQuery(readReceipt(RECEIPTS, BigInt(APPLICANT))));
  if (!result.ok) {
    console.log(`NOT confirmed: ${result.reason}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `confirmed: applicant ${APPLICANT} ${result.decision} in batch ${result.batchNonce}, slot ${result.slot} (tx ${result.txHash})`,
  );
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(terminateCurves); // snarkjs's worker threads would keep the process alive
