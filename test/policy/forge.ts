/**
 * Best-cheating-attempt witnesses for PolicyBatch: given private slot data the circuit must reject
 * (or claimed outputs it must not allow), build a witness in which every signal a cheater is free
 * to choose is chosen as consistently as possible: Poseidon internals recomputed for the forged data
 * (via the check-free helper circuit policy_hashes.circom), range-check bits set to the low bits of
 * the value (scores, threshold, applicantId steps), comparator bits matching the claimed decision.
 * Only the policy's own checks can then
 * catch the forgery. `build` on an honest assignment reproduces the honest witness exactly (tested).
 */
import fs from "node:fs";
import path from "node:path";
import { runCircom, mainSource } from "../../src/build/circom";
import { SNARK_SCALAR_FIELD as P } from "../../src/field";
import { circuitPaths } from "../../src/paths";
import type { PolicyParams } from "../../src/policy";
import { loadHarness, type Harness } from "../helpers/circuit";

// r1csfile ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readR1cs } = require("r1csfile");

export interface Slot {
  applicantId: bigint;
  score: bigint;
  salt: bigint;
  active: bigint;
}

export interface Assignment {
  slots: Slot[];
  threshold: bigint;
  /** The batch salt (private input, the tape digest's blinding). */
  batchSalt: bigint;
  /** Claimed decision bit per slot (default: what the policy says, active AND score <= threshold). */
  decisions?: bigint[];
  /** Overrides of public outputs (default: the honest value for the forged data). */
  decisionBits?: bigint;
  activeCount?: bigint;
  commitments?: bigint[];
  tapeDigest?: bigint;
  /** activeCount word written on the tape (default: activeCount). */
  tapeActiveCount?: bigint;
  /** Slots whose scores the tape digest takes instead of the slot data's (e.g. a different score). */
  tapeSlots?: Slot[];
}

const mod = (x: bigint) => ((x % P) + P) % P;
const bit = (x: bigint, k: number) => (mod(x) >> BigInt(k)) & 1n;

/** Compiles (once, cached by source mtime) the check-free hash helper for batch size N. */
async function hashHelper(n: number): Promise<Harness> {
  const dir = path.join(circuitPaths("policy", "test").dir, "..", "policy-forge");
  const name = `policy_hashes_${n}`;
  const r1cs = path.join(dir, `${name}.r1cs`);
  const sources = ["test/policy/policy_hashes.circom", "circuits/lib/sponge.circom", "circuits/lib/tags.circom"].map(
    (f) => fs.statSync(path.join(__dirname, "..", "..", f)).mtimeMs,
  );
  if (!fs.existsSync(r1cs) || fs.statSync(r1cs).mtimeMs < Math.max(...sources)) {
    fs.mkdirSync(dir, { recursive: true });
    const main = path.join(dir, `${name}.circom`);
    fs.writeFileSync(
      main,
      mainSource({ file: "test/policy/policy_hashes.circom", template: "PolicyHashes", params: [n], publicInputs: [] }),
    );
    // --O0 keeps every internal signal, so each one the policy circuit keeps has a value to copy.
    await runCircom(main, dir, ["--O0"]);
  }
  return loadHarness({
    r1cs,
    sym: path.join(dir, `${name}.sym`),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    witnessCalculator: path.join(dir, `${name}_js`, "witness_calculator.js"),
  });
}

/** For each R1CS constraint, the witness indexes it mentions (to name the check a forgery violates). */
async function constraintWires(r1csFile: string): Promise<number[][]> {
  const r1cs = await readR1cs(r1csFile, { loadConstraints: true, loadMap: false, singleThread: true });
  const wires = (r1cs.constraints as Record<string, unknown>[][]).map((c) => [
    ...new Set(c.flatMap((lc) => Object.keys(lc).map(Number)).filter((k) => k !== 0)),
  ]);
  await r1cs.curve.terminate();
  return wires;
}

export class Forger {
  private readonly present: Set<string>;
  private readonly hashNames: string[];
  private readonly namesByWire = new Map<number, string[]>();

  private constructor(
    readonly policy: Harness,
    private readonly hashes: Harness,
    readonly params: PolicyParams,
    private readonly wires: number[][],
  ) {
    this.present = new Set(policy.names());
    this.hashNames = policy.names().filter((s) => s.startsWith("main.commitHash[") || s.startsWith("main.tape."));
    for (const name of policy.names()) {
      const i = policy.index(name);
      this.namesByWire.set(i, [...(this.namesByWire.get(i) ?? []), name]);
    }
  }

  static async load(policy: Harness, params: PolicyParams, r1csFile: string): Promise<Forger> {
    return new Forger(policy, await hashHelper(params.batchSize), params, await constraintWires(r1csFile));
  }

  /** Names of the signals constraint `i` mentions (every alias of each wire). */
  constraintSignals(i: number): string[] {
    return this.wires[i].flatMap((w) => this.namesByWire.get(w) ?? [`wire ${w}`]);
  }

  /** The private assignment of a witness. */
  assignment(w: readonly bigint[]): Assignment {
    const g = (s: string) => this.policy.get(w, s);
    return {
      slots: Array.from({ length: this.params.batchSize }, (_, i) => ({
        applicantId: g(`main.applicantId[${i}]`),
        score: g(`main.score[${i}]`),
        salt: g(`main.salt[${i}]`),
        active: g(`main.active[${i}]`),
      })),
      threshold: g("main.threshold"),
      batchSalt: g("main.batchSalt"),
    };
  }

  /** A witness for `a` (see file header), starting from `base` for anything not derived here. */
  async build(base: readonly bigint[], a: Assignment): Promise<bigint[]> {
    const n = this.params.scoreBits;
    const N = this.params.batchSize;
    const changes: Record<string, bigint> = {};
    const set = (name: string, v: bigint) => {
      if (this.present.has(name)) changes[name] = mod(v);
    };
    const activeCount = a.activeCount ?? a.slots.reduce((s, x) => s + x.active, 0n);
    const tapeSlots = a.tapeSlots ?? a.slots;
    const hw = await this.hashes.witness({
      applicantId: tapeSlots.map((s) => mod(s.applicantId).toString()),
      score: tapeSlots.map((s) => mod(s.score).toString()),
      salt: tapeSlots.map((s) => mod(s.salt).toString()),
      activeCount: mod(a.tapeActiveCount ?? activeCount).toString(),
      batchSalt: mod(a.batchSalt).toString(),
    });
    // Commitment hashes are over the slot data; the tape digest over tapeSlots.
    const cw = a.tapeSlots
      ? await this.hashes.witness({
          applicantId: a.slots.map((s) => mod(s.applicantId).toString()),
          score: a.slots.map((s) => mod(s.score).toString()),
          salt: a.slots.map((s) => mod(s.salt).toString()),
          activeCount: "0",
          batchSalt: "0",
        })
      : hw;
    for (const name of this.hashNames) set(name, this.hashes.get(name.startsWith("main.tape.") ? hw : cw, name));

    set("main.threshold", a.threshold);
    set("main.batchSalt", a.batchSalt);
    set("main.thresholdRange.in", a.threshold);
    for (let k = 0; k < n; k++) set(`main.thresholdRange.out[${k}]`, bit(a.threshold, k));

    let decisionBits = 0n;
    a.slots.forEach((s, i) => {
      set(`main.applicantId[${i}]`, s.applicantId);
      set(`main.score[${i}]`, s.score);
      set(`main.salt[${i}]`, s.salt);
      set(`main.active[${i}]`, s.active);
      set(`main.scoreRange[${i}].in`, s.score);
      for (let k = 0; k < n; k++) set(`main.scoreRange[${i}].out[${k}]`, bit(s.score, k));

      const le = `main.scoreLeThreshold[${i}]`;
      set(`${le}.in[0]`, s.score);
      set(`${le}.in[1]`, a.threshold);
      set(`${le}.lt.in[0]`, s.score);
      set(`${le}.lt.in[1]`, a.threshold + 1n);
      const diff = mod(s.score + (1n << BigInt(n)) - a.threshold - 1n);
      set(`${le}.lt.n2b.in`, diff);
      for (let k = 0; k <= n; k++) set(`${le}.lt.n2b.out[${k}]`, bit(diff, k));
      let leOut = 1n - bit(diff, n);
      const honest = mod(s.active * leOut);
      const claimed = a.decisions?.[i] ?? honest;
      // A cheater claiming a decision the comparator does not give flips the comparator's top bit too.
      if (claimed !== honest && s.active === 1n) {
        leOut = claimed;
        set(`${le}.lt.n2b.out[${n}]`, 1n - claimed);
      }
      set(`${le}.out`, leOut);
      set(`${le}.lt.out`, leOut);
      set(`main.decision[${i}]`, claimed);
      decisionBits += claimed << BigInt(i);
      set(
        `main.commitments[${i}]`,
        a.commitments?.[i] ?? s.active * this.hashes.get(cw, `main.commitHash[${i}].out[0]`),
      );
    });
    // The id order check's range bits: the low 64 bits of the step (no valid bits exist for a bad step).
    a.slots.forEach((s, i) => {
      const step = mod(s.active * (s.applicantId - (i > 0 ? a.slots[i - 1].applicantId : 0n) - 1n));
      set(`main.idStep[${i}].in`, step);
      for (let k = 0; k < 64; k++) set(`main.idStep[${i}].out[${k}]`, bit(step, k));
    });
    set("main.decisionBits", a.decisionBits ?? decisionBits);
    set("main.activeCount", activeCount);
    set("main.tapeDigest", a.tapeDigest ?? this.hashes.get(hw, "main.tape.out"));
    if (a.slots.length !== N) throw new Error(`assignment has ${a.slots.length} slots, expected ${N}`);
    return this.policy.forge(base, changes);
  }
}
