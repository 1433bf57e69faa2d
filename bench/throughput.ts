/**
 * Pipeline against the naive flow, same machine, same run: `npx hardhat run bench/throughput.ts`
 * (ZKLA_BENCH_PROFILE: the pipeline's profile, default production when build/production exists, else
 * test; ZKLA_BENCH_BATCHES, default 4: batches the pipeline attests; ZKLA_BENCH_LOANS, default 2:
 * loans the naive flow attests; ZKLA_BENCH_OUT, default bench/results/throughput.json).
 *
 * - Pipeline: the script API's attest() as anchor:attest runs it (plan, prove in parallel with the
 *   default concurrency, submit in order), on full batches; decisions per second over its wall time.
 * - Naive (the seed's flow): per loan, one policy proof and one zkVM proof, each made by the snarkjs
 *   CLI (`snarkjs plonk fullprove`, then `snarkjs groth16 fullprove`) as child processes one after
 *   the other, and one attest with a one-application batch. It uses the test-profile circuits (the
 *   one-application batch is a batch of the test size with one active slot).
 * Both run on the in-process Hardhat network with the real deploy code.
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { machineInfo } from "./machine";
import { buildAttestArgs, deployAnchor } from "../src/anchor";
import { attest } from "../src/api";
import { circuitPaths, manifestPath, REPO_ROOT, type Profile } from "../src/paths";
import {
  decodePolicyPublicSignals,
  encodePolicyProof,
  policyInput,
  policyParams,
  type PlonkProof,
} from "../src/policy";
import { defaultConcurrency } from "../src/pipeline";
import { terminateCurves } from "../src/snark";
import { batchSalt, batchTape } from "../src/tape";
import { encodeZkvmProof, loanGuest, loanGuestParams, zkvmInput, zkvmParams, type Groth16Proof } from "../src/zkvm";
import type { StateAnchor } from "../typechain-types";

const log = (line: string) => process.stdout.write(line + "\n");
const SNARKJS_CLI = path.join(REPO_ROOT, "node_modules", ".bin", "snarkjs");

/** Runs the snarkjs CLI; returns the proof and public signals it wrote. */
function snarkjsFullprove<P>(system: "plonk" | "groth16", input: unknown, wasm: string, zkey: string, dir: string) {
  const files = ["input", "proof", "public"].map((f) => path.join(dir, `${system}-${f}.json`));
  fs.writeFileSync(files[0], JSON.stringify(input));
  const r = spawnSync(SNARKJS_CLI, [system, "fullprove", files[0], wasm, zkey, files[1], files[2]], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`snarkjs ${system} fullprove failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return {
    proof: JSON.parse(fs.readFileSync(files[1], "utf8")) as P,
    publicSignals: (JSON.parse(fs.readFileSync(files[2], "utf8")) as string[]).map(BigInt),
  };
}

async function main(): Promise<void> {
  const profile = (process.env.ZKLA_BENCH_PROFILE ??
    (fs.existsSync(manifestPath("production")) ? "production" : "test")) as Profile;
  const batches = Number(process.env.ZKLA_BENCH_BATCHES ?? 4);
  const loans = Number(process.env.ZKLA_BENCH_LOANS ?? 2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-throughput-bench-"));
  const threshold = 600n;
  try {
    const [signer] = await hre.ethers.getSigners();

    // Pipeline: full batches of the profile.
    const N = policyParams(profile).batchSize;
    const deployment = await deployAnchor(hre, { profile, threshold });
    const input = path.join(tmp, "applications.csv");
    const rows = ["applicantId,score"];
    for (let i = 1; i <= batches * N; i++) rows.push(`${i},${(i * 7919) % 1200}`);
    fs.writeFileSync(input, rows.join("\n") + "\n");
    log(`pipeline: ${batches} batches of ${N} (${profile} profile), concurrency ${defaultConcurrency()}...`);
    let t0 = Date.now();
    const run = await attest({ deployment, signer, file: input, runsDir: path.join(tmp, "runs"), pollMs: 10 });
    const pipelineSeconds = (Date.now() - t0) / 1000;
    const decisions = run.submission.decisionsSent;
    const pipeline = {
      profile,
      batchSize: N,
      batches,
      decisions,
      concurrency: defaultConcurrency(),
      seconds: +pipelineSeconds.toFixed(1),
      decisionsPerSec: decisions / pipelineSeconds,
      gasPerDecision: Math.round(Number(run.submission.gasUsed) / decisions),
    };
    log(JSON.stringify(pipeline));

    // Naive: one loan at a time, snarkjs CLI proofs, one attest each (test-profile circuits).
    const naiveProfile: Profile = "test";
    const params = policyParams(naiveProfile);
    const limits = zkvmParams(naiveProfile);
    const naiveDeployment = await deployAnchor(hre, { profile: naiveProfile, threshold });
    const anchor = (await hre.ethers.getContractAt(
      "StateAnchor",
      naiveDeployment.contracts.stateAnchor.address,
    )) as unknown as StateAnchor;
    const policyId = BigInt(naiveDeployment.policies[0].policyId);
    const domain = await anchor.domain();
    const guest = loanGuest();
    const policyPaths = circuitPaths("policy", naiveProfile);
    const zkvmPaths = circuitPaths("zkvm", naiveProfile);
    const perLoan: { seconds: number; gas: number }[] = [];
    t0 = Date.now();
    for (let i = 0; i < loans; i++) {
      const t = Date.now();
      const app = {
        applicantId: BigInt(1_000_000 + i),
        score: BigInt((i * 7919) % 1200),
        salt: BigInt("0x" + crypto.randomBytes(31).toString("hex")),
      };
      const [prevRoot, nonce] = [await anchor.stateRoot(), await anchor.nonce()];
      const policy = snarkjsFullprove<PlonkProof>(
        "plonk",
        policyInput([app], threshold, params),
        policyPaths.wasm,
        policyPaths.zkey,
        tmp,
      );
      const zk = snarkjsFullprove<Groth16Proof>(
        "groth16",
        zkvmInput(
          guest.words,
          batchTape([app], params.batchSize),
          loanGuestParams({ domain, prevRoot, nonce, threshold }),
          limits,
          undefined,
          {},
          batchSalt([app]),
        ),
        zkvmPaths.wasm,
        zkvmPaths.zkey,
        tmp,
      );
      const args = buildAttestArgs({
        policyId,
        nonce,
        policyOutputs: decodePolicyPublicSignals(policy.publicSignals, params).outputs,
        policyProofWords: encodePolicyProof(policy.proof),
        zkvmProofWords: encodeZkvmProof(zk.proof),
      });
      const receipt = await (await anchor.connect(signer).attest(...args)).wait();
      perLoan.push({ seconds: +((Date.now() - t) / 1000).toFixed(1), gas: Number(receipt!.gasUsed) });
      log(`naive loan ${i + 1}/${loans}: ${JSON.stringify(perLoan[i])}`);
    }
    const naiveSeconds = (Date.now() - t0) / 1000;
    const naive = {
      profile: naiveProfile,
      loans,
      seconds: +naiveSeconds.toFixed(1),
      decisionsPerSec: loans / naiveSeconds,
      gasPerDecision: Math.round(perLoan.reduce((s, l) => s + l.gas, 0) / loans),
      perLoan,
    };
    const result = {
      benchmark: "throughput",
      date: new Date().toISOString(),
      machine: machineInfo(),
      loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
      pipeline,
      naive,
      speedupVsNaive: pipeline.decisionsPerSec / naive.decisionsPerSec,
      notes: [
        `Pipeline: attest() (anchor:attest) on ${batches} full batches of the ${profile} profile with the default concurrency (${defaultConcurrency()} prover processes), wall time from planning to the last attested batch.`,
        `Naive: per loan, snarkjs CLI plonk fullprove then groth16 fullprove (child processes, one after the other) with the ${naiveProfile}-profile circuits, then one attest of a one-application batch; wall time of ${loans} loans.`,
        "In-process Hardhat network (instant blocks) for both.",
      ],
    };
    const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", "throughput.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(`pipeline ${pipeline.decisionsPerSec.toFixed(3)} decisions/s, naive ${naive.decisionsPerSec.toFixed(3)}`);
    log(`saved ${path.relative(REPO_ROOT, out)}`);
  } finally {
    await terminateCurves();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
