/**
 * `npm run bench`: runs every benchmark in its own process (so peak-memory figures are per bench)
 * and prints where each saved its JSON. Each bench also runs alone: `npx ts-node bench/<name>.ts`.
 *   bench/policy.ts  -> bench/results/policy.json  (constraints, PLONK gates, prove time/memory, verifier gas)
 *   bench/zkvm.ts    -> bench/results/zkvm.json    (constraints per step, Groth16 prove time/memory, guest steps)
 *   bench/hash.ts    -> bench/results/hash.json    (µs per Poseidon / keccak call: native addon vs poseidon-lite)
 *   bench/plan.ts    -> bench/results/plan.json    (planning 200,000 applications without a chain: apps/s, peak RSS,
 *                       run-folder file sizes; ZKLA_BENCH_ROWS to plan fewer)
 *   bench/stream.ts  -> bench/results/stream.json  (first attested batch of 1,000 rows; throughput with the
 *                       in-process pool and with 1 and 2 anchor:worker processes through Redis)
 *   anchor gas       -> bench/results/anchor-gas.json (hardhat test test/anchor/gas.test.ts with BENCH_OUT)
 *   bench/audit.ts   -> bench/results/audit.json (the chain-of-trust audit of 100 batches, test profile)
 *   bench/attest.ts  -> bench/results/attest-<profile>.json (real proofs and attest gas; production only
 *                       when a production build exists: it needs --ptau)
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const tsNode = [require.resolve("ts-node/dist/bin.js"), "--transpile-only"];
const benches: { name: string; cmd: string; args: string[]; env?: Record<string, string> }[] = [
  { name: "policy", cmd: process.execPath, args: [...tsNode, "bench/policy.ts", ...process.argv.slice(2)] },
  { name: "zkvm", cmd: process.execPath, args: [...tsNode, "bench/zkvm.ts"] },
  { name: "hash", cmd: process.execPath, args: [...tsNode, "bench/hash.ts"] },
  { name: "plan", cmd: process.execPath, args: [...tsNode, "bench/plan.ts"] },
  {
    name: "stream",
    cmd: process.execPath,
    args: [require.resolve("hardhat/internal/cli/cli.js"), "run", "bench/stream.ts"],
  },
  {
    name: "anchor gas",
    cmd: process.execPath,
    args: [require.resolve("hardhat/internal/cli/cli.js"), "test", "test/anchor/gas.test.ts"],
    env: { BENCH_OUT: path.join(root, "bench", "results", "anchor-gas.json") },
  },
  {
    name: "audit",
    cmd: process.execPath,
    args: [require.resolve("hardhat/internal/cli/cli.js"), "run", "bench/audit.ts"],
  },
  ...["test", "production"]
    .filter((profile) => fs.existsSync(path.join(root, "build", profile, "manifest.json")))
    .map((profile) => ({
      name: `attest (${profile})`,
      cmd: process.execPath,
      args: [require.resolve("hardhat/internal/cli/cli.js"), "run", "bench/attest.ts"],
      env: { ZKLA_BENCH_PROFILE: profile },
    })),
];

let failed = 0;
for (const b of benches) {
  console.log(`\n=== bench: ${b.name} ===`);
  const t0 = Date.now();
  const r = spawnSync(b.cmd, b.args, { cwd: root, stdio: "inherit", env: { ...process.env, ...b.env } });
  console.log(
    `=== ${b.name}: ${r.status === 0 ? "ok" : `FAILED (exit ${r.status})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
