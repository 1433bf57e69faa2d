/**
 * How long the chain-of-trust audit takes: `npx hardhat run bench/audit.ts` (ZKLA_BENCH_BATCHES, default
 * 100; ZKLA_BENCH_OUT, default bench/results/audit.json). Test profile, in-process Hardhat network:
 * deploys with the real deploy code, attests that many batches with real proofs (one policy proof reused
 * for every batch, which a policy proof allows: it does not depend on the nonce; one loan-guest proof per
 * nonce, bound to the previous root), then times auditAnchor as anchor:audit runs it (the deployment
 * block found on chain, every verifier compiled and compared, every proof re-verified).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { machineInfo } from "./machine";
import { buildAttestArgs, decisionsRoot, deployAnchor, genesisRoot, nextStateRoot } from "../src/anchor";
import { auditAnchor } from "../src/audit";
import { REPO_ROOT } from "../src/paths";
import { decodePolicyPublicSignals, encodePolicyProof, policyParams, provePolicy } from "../src/policy";
import { encodeZkvmProof, loanGuest, proveLoanGuest } from "../src/zkvm";
import { terminateCurves } from "../src/snark";

const log = (line: string) => process.stdout.write(line + "\n");

async function main(): Promise<void> {
  const count = Number(process.env.ZKLA_BENCH_BATCHES ?? 100);
  const profile = "test" as const;
  const { ethers } = hre;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-audit-bench-"));
  const threshold = 650n;
  const manifest = await deployAnchor(hre, { profile, threshold, outFile: path.join(tmp, "deployment.json") });
  const address = manifest.contracts.stateAnchor.address;
  const anchor = await ethers.getContractAt("StateAnchor", address);
  const domain = await anchor.domain();
  const params = policyParams(profile);
  const batch = Array.from({ length: params.batchSize }, (_, i) => ({
    applicantId: BigInt(i + 1),
    score: BigInt(600 + 80 * i),
    salt: BigInt(7919 + 104729 * i),
  }));
  const policy = await provePolicy(batch, threshold, { profile });
  const { outputs } = decodePolicyPublicSignals(policy.publicSignals, params);
  const methodId = loanGuest().methodId;
  let prevRoot = genesisRoot(domain);
  const tProve = Date.now();
  for (let k = 0; k < count; k++) {
    const nonce = BigInt(k);
    const zk = await proveLoanGuest({
      domain,
      prevRoot,
      nonce,
      threshold,
      batch,
      batchSize: params.batchSize,
      profile,
    });
    const args = buildAttestArgs({
      policyId: 1n,
      nonce,
      policyOutputs: outputs,
      policyProofWords: encodePolicyProof(policy.proof),
      zkvmProofWords: encodeZkvmProof(zk.proof),
    });
    await (await anchor.attest(...args)).wait();
    const dRoot = decisionsRoot(1n, nonce, outputs.commitments, outputs.decisionBits);
    prevRoot = nextStateRoot({ prevRoot, nonce, policyId: 1n, methodId, decisionsRoot: dRoot, ...outputs });
    if ((k + 1) % 10 === 0) log(`attested ${k + 1}/${count} batches (${((Date.now() - tProve) / 1000).toFixed(0)} s)`);
  }
  const t0 = Date.now();
  const report = await auditAnchor(address, ethers.provider);
  const auditMs = Date.now() - t0;
  const failed = report.checks.filter((c) => c.status !== "pass");
  if (report.verdict !== "pass") throw new Error(`the audit did not pass: ${JSON.stringify(failed, null, 1)}`);
  const result = {
    benchmark: "audit",
    profile,
    date: new Date().toISOString(),
    machine: machineInfo(),
    batches: count,
    decisions: report.totals.decisions,
    checks: report.checks.length,
    auditSeconds: +(auditMs / 1000).toFixed(1),
    msPerBatch: Math.round(auditMs / count),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
    notes: [
      "auditAnchor on the in-process Hardhat network: no network latency; against a remote RPC add about two round trips per batch (transaction, block time) and one per eth_getLogs chunk.",
      "Includes finding the deployment block, compiling and comparing both verifiers (solc-js, about 4 s) and the quick key-circuit check.",
    ],
  };
  const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", "audit.json");
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  log(JSON.stringify(result));
  log(`saved ${path.relative(REPO_ROOT, out)}`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => terminateCurves());
