/**
 * Audit an anchor's chain of trust from the chain alone (docs/audit.md) and write a Markdown report.
 *   ANCHOR=0x... npx hardhat run scripts/audit.ts --network localhost
 * Environment: ANCHOR (default: the deployments file's anchor), DEPLOYMENT, REPORT (default audit.md).
 */
import fs from "node:fs";
import hre from "hardhat";
import { audit, readDeployment, renderAuditMarkdown, terminateCurves } from "../src";

async function main() {
  const address =
    process.env.ANCHOR ??
    readDeployment(process.env.DEPLOYMENT ?? `deployments/${hre.network.name}.json`).contracts.stateAnchor.address;
  const report = await audit(address, hre.ethers.provider);
  fs.writeFileSync(process.env.REPORT ?? "audit.md", renderAuditMarkdown(report));
  for (const c of report.checks.filter((x) => x.status !== "pass"))
    console.log(`${c.status} ${c.check} ${c.subject}: ${c.reason}`);
  console.log(`verdict: ${report.verdict} (${report.checks.length} checks, ${report.totals.batches} batches)`);
  if (report.verdict === "fail") process.exitCode = 1;
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(terminateCurves); // snarkjs's worker threads would keep the process alive
