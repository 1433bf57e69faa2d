/**
 * Hashing micro-benchmark: `npx ts-node --transpile-only bench/hash.ts` (ZKLA_BENCH_OUT, default
 * bench/results/hash.json). Microseconds per call of circomlib Poseidon for each arity the addon compiles
 * (1, 2, 3, 4, 5, 16 inputs) with poseidon-lite (pure BigInt) and with the native addon
 * (build/native/poseidon.node, built by `npx hardhat circuits:build`), called directly and through
 * src/hash.ts poseidon() (its input checks included); keccak256 of a 160-byte decision leaf (ethers vs
 * native); and the hashing of one batch of 16 applications as planning does it (16 commitments, each
 * one width-2 permutation; the batch salt, a sponge over the 16 salts; the tape digest, 17 words packed
 * into 3 elements behind the blinding: one Poseidon(2) and one Poseidon(5)). Each figure is the median of 5 timed
 * rounds of at least 200 ms (the fastest round is saved too): on a shared machine the median moves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { keccak256 } from "ethers";
import { poseidon1 } from "poseidon-lite/poseidon1";
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon3 } from "poseidon-lite/poseidon3";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { poseidon5 } from "poseidon-lite/poseidon5";
import { poseidon16 } from "poseidon-lite/poseidon16";
import { machineInfo } from "./machine";
import { SNARK_SCALAR_FIELD } from "../src/field";
import {
  nativeHash,
  nativeHashProblem,
  poseidon,
  poseidonWidth2,
  poseidonWidth2Fallback,
  spongeDigest,
} from "../src/hash";
import { packTape, tapeDigest } from "../src/tape";
import { REPO_ROOT } from "../src/paths";
import { mulberry32 } from "../src/prng";
import { TAG_BATCH_SALT, TAG_COMMITMENT, TAG_TAPE } from "../src/tags";

const LITE: Record<number, (inputs: bigint[]) => bigint> = {
  1: poseidon1,
  2: poseidon2,
  3: poseidon3,
  4: poseidon4,
  5: poseidon5,
  16: poseidon16,
};
const ARITIES = [1, 2, 3, 4, 5, 16];
const ROUNDS = 5;
const ROUND_MS = 200;

const log = (line: string) => process.stdout.write(line + "\n");
const rnd = mulberry32(7);
function randomField(): bigint {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
  return x % SNARK_SCALAR_FIELD;
}

/** Median and fastest microseconds per call of `f` over ROUNDS rounds of at least ROUND_MS each. */
function measure(f: () => unknown): { us: number; bestUs: number } {
  f();
  const perCall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ROUND_MS) {
      for (let i = 0; i < 4; i++) f();
      calls += 4;
      t = performance.now();
    }
    perCall.push(((t - t0) * 1000) / calls);
  }
  perCall.sort((a, b) => a - b);
  const round = (x: number) => +x.toFixed(x < 10 ? 2 : 1);
  return { us: round(perCall[Math.floor(ROUNDS / 2)]), bestUs: round(perCall[0]) };
}

function main(): void {
  const addon = nativeHash();
  log(`native addon: ${addon ? "loaded" : `not used (${nativeHashProblem()})`}`);
  const poseidonUs: Record<string, unknown> = {};
  for (const n of ARITIES) {
    const inputs = Array.from({ length: n }, randomField);
    const lite = measure(() => LITE[n](inputs));
    const native = addon ? measure(() => addon.poseidon(...inputs)) : null;
    const wrapped = addon ? measure(() => poseidon(inputs)) : null;
    poseidonUs[`poseidon${n}`] = { poseidonLite: lite, native, nativeViaPoseidon: wrapped };
    const speedup = native ? ` (${(lite.us / native.us).toFixed(0)}x)` : "";
    log(
      `Poseidon(${String(n).padStart(2)}): poseidon-lite ${lite.us} us, native ${native?.us ?? "-"} us${speedup}, ` +
        `native via poseidon() ${wrapped?.us ?? "-"} us`,
    );
  }

  const leaf = Uint8Array.from({ length: 160 }, () => Math.floor(rnd() * 256));
  const keccak = {
    ethers: measure(() => keccak256(leaf)),
    native: addon ? measure(() => addon.keccak256(leaf)) : null,
  };
  log(`keccak256 (160 bytes): ethers ${keccak.ethers.us} us, native ${keccak.native?.us ?? "-"} us`);

  // One planned batch of 16 (tape v3, commitment v3): the 16 commitments, each the width-2
  // permutation of [salt, tag * 2^104 + score * 2^72 + id], the batch salt (a sponge over the 16
  // salts) and the tape digest (17 words packed into 3 elements behind the blinding).
  const apps = Array.from({ length: 16 }, () => [
    BigInt(1 + Math.floor(rnd() * 2 ** 48)),
    BigInt(Math.floor(rnd() * 2 ** 32)),
    randomField(),
  ]);
  const liteSponge = (tag: bigint, words: bigint[]) => {
    let h = poseidon2([tag, BigInt(words.length)]);
    for (let c = 0; c * 15 < words.length; c++) {
      const chunk = words.slice(c * 15, c * 15 + 15);
      while (chunk.length < 15) chunk.push(0n);
      h = poseidon16([h, ...chunk]);
    }
    return h;
  };
  const word = (id: bigint, score: bigint) => (TAG_COMMITMENT << 104n) + (score << 72n) + id;
  const tapeWords = [16n, ...apps.map((a) => a[1])];
  // The poseidon-lite path must compute what src/ does.
  const someSalt = apps[0][2];
  if (poseidon5([poseidon2([TAG_TAPE, 17n]), someSalt, ...packTape(tapeWords)]) !== tapeDigest(tapeWords, someSalt))
    throw new Error("the poseidon-lite tape digest differs from src/tape tapeDigest");
  if (
    poseidonWidth2Fallback(someSalt, word(apps[0][0], apps[0][1])) !==
    poseidonWidth2(someSalt, word(apps[0][0], apps[0][1]))
  )
    throw new Error("the BigInt width-2 permutation differs from src/hash poseidonWidth2");
  const batchLite = measure(() => {
    for (const [id, score, salt] of apps) poseidonWidth2Fallback(salt, word(id, score));
    const salt = liteSponge(
      TAG_BATCH_SALT,
      apps.map((a) => a[2]),
    );
    poseidon5([poseidon2([TAG_TAPE, 17n]), salt, ...packTape(tapeWords)]);
  });
  const batchNative = addon
    ? measure(() => {
        for (const [id, score, salt] of apps) poseidonWidth2(salt, word(id, score));
        const salt = spongeDigest(
          TAG_BATCH_SALT,
          apps.map((a) => a[2]),
        );
        tapeDigest(tapeWords, salt);
      })
    : null;
  log(
    `hashing of one batch of 16 (16 width-2 commitments + batch salt + packed tape digest): poseidon-lite ${batchLite.us} us, ` +
      `native ${batchNative?.us ?? "-"} us` +
      (batchNative ? ` (at most ${Math.round(16e6 / batchNative.us)} applications/s from hashing alone)` : ""),
  );

  const result = {
    benchmark: "hash",
    date: new Date().toISOString(),
    machine: machineInfo(),
    loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
    native: addon ? "loaded" : nativeHashProblem(),
    unit: "microseconds per call: median of 5 rounds of >= 200 ms (us) and the fastest round (bestUs)",
    poseidon: poseidonUs,
    keccak256Leaf160: keccak,
    batchOf16: { poseidonLite: batchLite, native: batchNative },
  };
  const out = process.env.ZKLA_BENCH_OUT ?? path.join(REPO_ROOT, "bench", "results", "hash.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  log(`saved ${path.relative(REPO_ROOT, out)}`);
}

main();
