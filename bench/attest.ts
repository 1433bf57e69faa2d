/**
 * Whole-pipeline cost at a build profile's real sizes: `npx hardhat run bench/attest.ts` with
 * ZKLA_BENCH_PROFILE=production (default) or test, and optionally ZKLA_BENCH_OUT=<file>.
 *
 * On the in-process Hardhat network: deploys the profile's generated verifiers and a StateAnchor with
 * the real deploy code, proves two batches (one full, one with a single application) with the real
 * provers (PLONK policy proof, Groth16 loan-guest proof, in this process, one at a time), attests
 * them in order and records the prove times, the process's peak RSS and the gas of each attest: its
 * calldata gas and the gas of each verifier call inside it (traced). It also sends each verifier a
 * verifyProof transaction with the full batch's real proof: that gas minus the 21,000 base, and the
 * precompile calls it made (verifierGas in bench/README.md).
 * Needs the profile's build: for production `npx hardhat circuits:build --profile production --ptau
 * <2^18 file>`, then `npx hardhat compile`. Saves bench/results/attest-<profile>.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { calldataGas, traceCalls } from "./evm";
import { machineInfo } from "./machine";
import {
  buildAttestArgs,
  decisionsRoot,
  deployAnchor,
  genesisRoot,
  groth16Selector,
  nextStateRoot,
  plonkSelector,
  verifierCalldata,
  type AttestArgs,
} from "../src/anchor";
import { circuitPaths, manifestPath, REPO_ROOT, type Profile } from "../src/paths";
import { decodePolicyPublicSignals, encodePolicyProof, policyParams, provePolicy } from "../src/policy";
import { encodeZkvmProof, loanGuest, proveLoanGuest } from "../src/zkvm";
import { terminateCurves } from "../src/snark";
import type { StateAnchor } from "../typechain-types";

function log(line: string): void {
  process.stdout.write(line + "\n");
}

async function main(): Promise<void> {
  const profile = (process.env.ZKLA_BENCH_PROFILE ?? "production") as Profile;
  if (profile !== "test" && profile !== "production") throw new Error(`unknown profile ${profile}`);
  for (const c of ["policy", "zkvm"]) {
    const f = circuitPaths(c, profile).zkey;
    if (!fs.existsSync(f)) {
      throw new Error(
        `${f} is missing: build the ${profile} circuits first (npx hardhat circuits:build --profile ${profile}${profile === "production" ? " --ptau <file>" : ""}), then npx hardhat compile`,
      );
    }
  }
  const build = JSON.parse(fs.readFileSync(manifestPath(profile), "utf8"));
  const { ethers } = hre;
  const [, submitter] = await ethers.getSigners();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-attest-bench-"));
  const threshold = 650n;
  const manifest = await deployAnchor(hre, {
    profile,
    threshold,
    submitters: [submitter.address],
    outFile: path.join(tmp, "deployment.json"),
  });
  const anchor = (await ethers.getContractAt(
    "StateAnchor",
    manifest.contracts.stateAnchor.address,
  )) as unknown as StateAnchor;
  const policyId = BigInt(manifest.policies[0].policyId);
  const domain = await anchor.domain();
  const params = policyParams(profile);
  const N = params.batchSize;
  const methodId = loanGuest().methodId;

  const batches = [N, 1].map((n, k) =>
    Array.from({ length: n }, (_, i) => ({
      applicantId: BigInt(1000 * (k + 1) + i),
      score: BigInt(600 + 7 * i),
      salt: BigInt(7919 * (k + 1) + 104729 * i + 1),
    })),
  );
  let prevRoot = genesisRoot(domain);
  const rows: Record<string, unknown>[] = [];
  const verifierAddress = {
    policy: manifest.contracts.policyVerifier.address.toLowerCase(),
    zkvm: manifest.contracts.zkvmVerifier.address.toLowerCase(),
  };
  const verifiers: Record<string, unknown> = {};
  /** verifyProof as a transaction of its own: gas minus the 21,000 base, calldata gas, precompile calls. */
  const verifyTx = async (to: string, data: string, publicInputs: number) => {
    const tx = await submitter.sendTransaction({ to, data });
    const receipt = await tx.wait();
    const { precompiles } = await traceCalls(ethers.provider, tx.hash);
    return { measured: Number(receipt!.gasUsed) - 21_000, calldata: calldataGas(data), publicInputs, precompiles };
  };
  for (const [k, batch] of batches.entries()) {
    const nonce = BigInt(k);
    let t0 = Date.now();
    const policy = await provePolicy(batch, threshold, { profile });
    const policyMs = Date.now() - t0;
    const { outputs } = decodePolicyPublicSignals(policy.publicSignals, params);
    t0 = Date.now();
    const zk = await proveLoanGuest({ domain, prevRoot, nonce, threshold, batch, batchSize: N, profile });
    const zkvmMs = Date.now() - t0;
    const args: AttestArgs = buildAttestArgs({
      policyId,
      nonce,
      policyOutputs: outputs,
      policyProofWords: encodePolicyProof(policy.proof),
      zkvmProofWords: encodeZkvmProof(zk.proof),
    });
    const tx = await anchor.connect(submitter).attest(...args);
    const receipt = await tx.wait();
    const { calls } = await traceCalls(ethers.provider, tx.hash);
    if (k === 0) {
      verifiers.policy = await verifyTx(
        verifierAddress.policy,
        verifierCalldata(plonkSelector(policy.publicSignals.length), args[3], policy.publicSignals),
        policy.publicSignals.length,
      );
      verifiers.zkvm = await verifyTx(
        verifierAddress.zkvm,
        verifierCalldata(groth16Selector(zk.publicSignals.length), args[4], zk.publicSignals),
        zk.publicSignals.length,
      );
    }
    const dRoot = decisionsRoot(policyId, nonce, outputs.commitments, outputs.decisionBits);
    prevRoot = nextStateRoot({ prevRoot, nonce, policyId, methodId, decisionsRoot: dRoot, ...outputs });
    if ((await anchor.stateRoot()) !== prevRoot)
      throw new Error(`batch ${k}: the anchor's root is not the planned one`);
    const gas = Number(receipt!.gasUsed);
    const row = {
      nonce: k,
      applications: batch.length,
      policyProveMs: policyMs,
      zkvmProveMs: zkvmMs,
      attestGas: gas,
      gasPerDecision: Math.round(gas / batch.length),
      calldata: calldataGas(tx.data),
      policyVerifierCall: calls[verifierAddress.policy],
      zkvmVerifierCall: calls[verifierAddress.zkvm],
      loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
    };
    rows.push(row);
    log(`[${profile}] ${JSON.stringify(row)}`);
  }
  const result = {
    benchmark: "attest",
    profile,
    date: new Date().toISOString(),
    machine: machineInfo(),
    batchSize: N,
    build: {
      devOnly: Boolean(build.circuits.policy.devOnly || build.circuits.zkvm.devOnly),
      policy: { plonkGates: build.circuits.policy.plonkGates, power: build.circuits.policy.power },
      zkvm: { constraints: build.circuits.zkvm.r1cs.constraints, power: build.circuits.zkvm.power },
      ptau: build.circuits.zkvm.ptau,
    },
    batches: rows,
    verifiers,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    notes: [
      "Proofs made in this process one after the other (provePolicy, proveLoanGuest), so times include witness generation; peakRssMB is this whole process (Hardhat + both provers).",
      "attestGas: gasUsed of StateAnchor.attest with the profile's generated verifiers on the in-process Hardhat network (cancun, solc 0.8.28, optimizer 200 runs).",
      "calldata: the attest's calldata gas (4 per zero byte, 16 per other byte); policyVerifierCall / zkvmVerifierCall: gas of the anchor's staticcall to each verifier (call cost and the verifier's execution), from debug_traceTransaction.",
      "verifiers: a verifyProof transaction to each verifier with the full batch's proof and public signals; measured = gasUsed - 21,000 (calldata included).",
    ],
  };
  const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", `attest-${profile}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  log(`saved ${path.relative(REPO_ROOT, out)}`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => terminateCurves());
