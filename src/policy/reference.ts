/**
 * The TypeScript reference of circuits/policy/policy_batch.circom (PolicyBatch(N, SCORE_BITS)):
 * evaluatePolicy returns exactly the circuit's public outputs and is the test oracle of the
 * differential tests. Input validation lives here too, so a batch the circuit cannot prove is
 * rejected with a clear PolicyInputError before any witness is computed.
 */
import { randomBytes } from "node:crypto";
import { SNARK_SCALAR_FIELD } from "../field";
import { poseidonWidth2 } from "../hash";
import { TAG_COMMITMENT } from "../tags";
import { APPLICANT_ID_LIMIT, batchSalt, batchTapeDigest, type Application } from "../tape";
import { PolicyInputError } from "./errors";
import type { PolicyParams } from "./params";

export type { Application };

/** The circuit's public outputs, in snarkjs order (threshold, the public input, follows them). */
export interface PolicyOutputs {
  tapeDigest: bigint;
  /** Bit i = 1 iff slot i is active and score_i <= threshold. */
  decisionBits: bigint;
  activeCount: bigint;
  /** Length N: commitment(application) for active slots (see commitment), 0 for inactive ones. */
  commitments: bigint[];
}

/** The circuit input JSON (decimal strings), padded to N slots. */
export interface PolicyCircuitInput {
  applicantId: string[];
  score: string[];
  salt: string[];
  active: string[];
  batchSalt: string;
  threshold: string;
}

/** An application whose salt may still have to be drawn (see withSalts). */
export interface UnsaltedApplication {
  applicantId: bigint;
  score: bigint;
  salt?: bigint;
}

/** Parses an integer given as bigint, safe-integer number or decimal/0x-hex string; anything else is an error. */
function integerValue(value: unknown, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(value.trim())) {
    const s = value.trim();
    return s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s);
  }
  throw new PolicyInputError(field, `${field} must be an integer, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** A score or threshold: an integer in [0, 2^scoreBits). */
function scoreValue(value: unknown, field: string, scoreBits: number): bigint {
  const x = integerValue(value, field);
  if (x < 0n) throw new PolicyInputError(field, `${field} must not be negative, got ${x}`);
  if (x >= 1n << BigInt(scoreBits)) {
    throw new PolicyInputError(
      field,
      `${field} must be < 2^${scoreBits} (the policy circuit's SCORE_BITS), got ${x}: rescale scores to ${scoreBits}-bit integers`,
    );
  }
  return x;
}

/** An applicantId or salt: a canonical BN254 field element. */
function fieldValue(value: unknown, field: string, hint: string): bigint {
  const x = integerValue(value, field);
  if (x < 0n || x >= SNARK_SCALAR_FIELD) {
    throw new PolicyInputError(
      field,
      `${field} must satisfy 0 <= ${field} < r (BN254 scalar field order), got ${x}: ${hint}`,
    );
  }
  return x;
}

/** An applicantId: an integer in [1, 2^64), the range whose order the policy circuit proves. */
function idValue(value: unknown, field: string): bigint {
  const x = integerValue(value, field);
  if (x < 1n || x >= APPLICANT_ID_LIMIT) {
    throw new PolicyInputError(
      field,
      `${field} must satisfy 1 <= ${field} < 2^64, got ${x}: ` +
        (x < 1n ? "ids start at 1 (0 marks an empty slot)" : "use 64-bit integer identifiers, e.g. a database key"),
    );
  }
  return x;
}

const COMMITMENT_ID_HINT = "use the application's applicantId (a 64-bit integer)";
const SALT_HINT = "omit the salt to have one drawn below r (withSalts)";

/**
 * Validates a batch and a threshold against `params`; returns them as canonical bigints. The batch
 * must be sorted by applicantId (strictly increasing): the circuit proves that order, which is what
 * makes the ids of a batch distinct.
 */
export function validateBatch(
  batch: readonly Application[],
  threshold: bigint,
  params: PolicyParams,
): { batch: Application[]; threshold: bigint } {
  if (!Array.isArray(batch))
    throw new PolicyInputError("batch", `batch must be an array of applications, got ${describe(batch)}`);
  if (batch.length > params.batchSize) {
    throw new PolicyInputError(
      "batch",
      `batch has ${batch.length} applications but the policy's batch size is ${params.batchSize}: split it into batches of at most ${params.batchSize}`,
    );
  }
  const t = scoreValue(threshold, "threshold", params.scoreBits);
  const seen = new Map<bigint, number>();
  const apps: Application[] = [];
  batch.forEach((app, i) => {
    if (typeof app !== "object" || app === null) {
      throw new PolicyInputError(
        `batch[${i}]`,
        `batch[${i}] must be an application { applicantId, score, salt }, got ${describe(app)}`,
      );
    }
    const applicantId = idValue(app.applicantId, `batch[${i}].applicantId`);
    const score = scoreValue(app.score, `batch[${i}].score`, params.scoreBits);
    if (app.salt === undefined || app.salt === null) {
      throw new PolicyInputError(
        `batch[${i}].salt`,
        `batch[${i}].salt is missing: draw salts with withSalts(applications)`,
      );
    }
    const salt = fieldValue(app.salt, `batch[${i}].salt`, SALT_HINT);
    const first = seen.get(applicantId);
    if (first !== undefined) {
      throw new PolicyInputError(
        `batch[${i}].applicantId`,
        `batch[${i}].applicantId duplicates batch[${first}].applicantId (${applicantId}): each applicant may appear once per batch`,
      );
    }
    seen.set(applicantId, i);
    const previous = apps[i - 1]?.applicantId;
    if (previous !== undefined && applicantId <= previous) {
      throw new PolicyInputError(
        `batch[${i}].applicantId`,
        `batch[${i}].applicantId (${applicantId}) is below batch[${i - 1}].applicantId (${previous}): ` +
          `the policy circuit needs strictly increasing ids: sort the batch by applicantId`,
      );
    }
    apps.push({ applicantId, score, salt });
  });
  return { batch: apps, threshold: t };
}

/**
 * Layout of a commitment's packed word: TAG_COMMITMENT * 2^104 + score * 2^72 + applicantId. The
 * policy circuit bounds active ids below 2^72 (252 slots of steps below 2^64) and scores below 2^32
 * (SCORE_BITS <= 32), and the tag has 143 bits, so the packed integer stays below 2^247 < r and
 * determines all three.
 */
export const COMMITMENT_SCORE_SHIFT = 72n;
export const COMMITMENT_TAG_SHIFT = 104n;
/** Largest score a commitment can pack: below 2^32 (the circuit asserts SCORE_BITS <= 32). */
const COMMITMENT_SCORE_LIMIT = 1n << (COMMITMENT_TAG_SHIFT - COMMITMENT_SCORE_SHIFT);
const COMMITMENT_ID_LIMIT = 1n << COMMITMENT_SCORE_SHIFT;

/**
 * Hiding commitment to one application (docs/policy.md "Commitments"): the width-2 Poseidon
 * permutation (circomlib PoseidonEx(1, 1)) of [salt, TAG_COMMITMENT * 2^104 + score * 2^72 +
 * applicantId], first element. One permutation of width 2 per slot (416 PLONK gates, against 776
 * for Poseidon(3) over tag, packed word and salt). Requires 0 <= applicantId < 2^72,
 * 0 <= score < 2^32 and a field element salt (wider than the policy's own bounds: it also
 * recomputes receipts' commitments, src/audit).
 */
export function commitment(app: Application): bigint {
  const applicantId = integerValue(app.applicantId, "applicantId");
  if (applicantId < 0n || applicantId >= COMMITMENT_ID_LIMIT) {
    throw new PolicyInputError(
      "applicantId",
      `applicantId must satisfy 0 <= applicantId < 2^72, got ${applicantId}: ${COMMITMENT_ID_HINT}`,
    );
  }
  const score = integerValue(app.score, "score");
  if (score < 0n || score >= COMMITMENT_SCORE_LIMIT) {
    throw new PolicyInputError(
      "score",
      `score must satisfy 0 <= score < 2^32, got ${score}: scores are small non-negative integers`,
    );
  }
  const salt = fieldValue(app.salt, "salt", SALT_HINT);
  return poseidonWidth2(
    salt,
    (TAG_COMMITMENT << COMMITMENT_TAG_SHIFT) + (score << COMMITMENT_SCORE_SHIFT) + applicantId,
  );
}

/** A uniformly random field element below r from the OS CSPRNG (rejection sampling on 254 bits). */
export function randomSalt(): bigint {
  const mask = (1n << 254n) - 1n;
  for (;;) {
    const x = BigInt("0x" + randomBytes(32).toString("hex")) & mask;
    if (x < SNARK_SCALAR_FIELD) return x;
  }
}

/** Copies of `apps` in which every missing salt is drawn with randomSalt(); given salts are kept. */
export function withSalts(apps: readonly UnsaltedApplication[]): Application[] {
  return apps.map((app) => ({
    applicantId: app.applicantId,
    score: app.score,
    salt: app.salt === undefined || app.salt === null ? randomSalt() : app.salt,
  }));
}

/** The policy circuit's public outputs for `batch` and `threshold` (the test oracle). */
export function evaluatePolicy(batch: readonly Application[], threshold: bigint, params: PolicyParams): PolicyOutputs {
  const v = validateBatch(batch, threshold, params);
  let decisionBits = 0n;
  v.batch.forEach((app, i) => {
    if (app.score <= v.threshold) decisionBits |= 1n << BigInt(i);
  });
  const commitments = new Array<bigint>(params.batchSize).fill(0n);
  v.batch.forEach((app, i) => (commitments[i] = commitment(app)));
  return {
    tapeDigest: batchTapeDigest(v.batch, params.batchSize),
    decisionBits,
    activeCount: BigInt(v.batch.length),
    commitments,
  };
}

/** snarkjs public-signal order: [tapeDigest, decisionBits, activeCount, commitments[0..N-1], threshold]. */
export function policyPublicSignals(outputs: PolicyOutputs, threshold: bigint): bigint[] {
  return [outputs.tapeDigest, outputs.decisionBits, outputs.activeCount, ...outputs.commitments, threshold];
}

/** Inverse of policyPublicSignals for batch size N; throws when the length is not 4 + N. */
export function decodePolicyPublicSignals(
  signals: readonly bigint[],
  params: PolicyParams,
): { outputs: PolicyOutputs; threshold: bigint } {
  const n = params.batchSize;
  if (signals.length !== 4 + n) {
    throw new PolicyInputError(
      "publicSignals",
      `policy public signals must have 4 + N = ${4 + n} entries, got ${signals.length}`,
    );
  }
  return {
    outputs: {
      tapeDigest: signals[0],
      decisionBits: signals[1],
      activeCount: signals[2],
      commitments: signals.slice(3, 3 + n),
    },
    threshold: signals[3 + n],
  };
}

/** The circuit input for `batch` (validated), padded with inactive all-zero slots to N. */
export function policyInput(
  batch: readonly Application[],
  threshold: bigint,
  params: PolicyParams,
): PolicyCircuitInput {
  const v = validateBatch(batch, threshold, params);
  const slot = (f: (app: Application) => bigint) =>
    Array.from({ length: params.batchSize }, (_, i) => (i < v.batch.length ? f(v.batch[i]).toString() : "0"));
  return {
    applicantId: slot((a) => a.applicantId),
    score: slot((a) => a.score),
    salt: slot((a) => a.salt),
    active: Array.from({ length: params.batchSize }, (_, i) => (i < v.batch.length ? "1" : "0")),
    batchSalt: batchSalt(v.batch).toString(),
    threshold: v.threshold.toString(),
  };
}
