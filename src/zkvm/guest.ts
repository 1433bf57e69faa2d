/** The loan-attestation guest (guests/loan-attest.asm): its program, parameters and proof. */
import fs from "node:fs";
import path from "node:path";
import { assertFieldElement } from "../field";
import { REPO_ROOT, type Profile } from "../paths";
import { batchSalt, batchTape, tapeBatchSize, tapeLength, type Application } from "../tape";
import { assemble } from "./assembler";
import { emulate, type ZkvmLimits } from "./emulator";
import { methodId } from "./method";
import { zkvmParams } from "./params";
import { proveZkvm, type ZkvmProof, type ZkvmProofOptions } from "./prove";

export const LOAN_GUEST_FILE = path.join(REPO_ROOT, "guests", "loan-attest.asm");

export interface LoanGuest {
  source: string;
  words: bigint[];
  methodId: bigint;
}

let cached: LoanGuest | undefined;

/** The loan guest assembled from guests/loan-attest.asm, with its method ID. */
export function loanGuest(): LoanGuest {
  if (!cached) {
    const source = fs.readFileSync(LOAN_GUEST_FILE, "utf8");
    const { words } = assemble(source);
    cached = { source, words, methodId: methodId(words) };
  }
  return { ...cached, words: [...cached.words] };
}

export interface LoanGuestBinding {
  /** Anchor domain (derived from chain id and anchor address). */
  domain: bigint;
  /** State root the batch extends. */
  prevRoot: bigint;
  /** The batch's nonce at the anchor. */
  nonce: bigint;
  /** Policy threshold (approve iff score <= threshold), < 2^32. */
  threshold: bigint;
}

/** The guest's public parameters, in order: [domain, prevStateRoot, nonce, threshold]. */
export function loanGuestParams(b: LoanGuestBinding): bigint[] {
  const out = [b.domain, b.prevRoot, b.nonce, b.threshold];
  (["domain", "prevRoot", "nonce", "threshold"] as const).forEach((k, i) => {
    if (typeof out[i] !== "bigint") throw new TypeError(`${k} must be a bigint, got ${typeof out[i]}`);
    assertFieldElement(out[i], k);
  });
  return out;
}

/** Steps the loan guest takes for `activeCount` applications: 7 per application + 7. */
export function loanGuestSteps(activeCount: number): number {
  return 7 * activeCount + 7;
}

/** Proves the loan guest on the batch tape of `batch` (batch size `batchSize`, whose tape must be the zkVM's L words). */
export async function proveLoanGuest(
  args: LoanGuestBinding & { batch: readonly Application[]; batchSize: number; profile: Profile },
  options: Omit<ZkvmProofOptions, "profile"> = {},
): Promise<ZkvmProof> {
  const limits = options.limits ?? zkvmParams(args.profile);
  if (tapeLength(args.batchSize) !== limits.L) {
    throw new RangeError(
      `batch size ${args.batchSize} gives a ${tapeLength(args.batchSize)}-word tape but the ${args.profile} zkVM reads ${limits.L} words (batch size ${tapeBatchSize(limits.L) ?? "none"})`,
    );
  }
  const tape = batchTape(args.batch, args.batchSize);
  return proveZkvm(
    { program: loanGuest().words, tape, params: loanGuestParams(args), tapeBlinding: batchSalt(args.batch) },
    { ...options, limits, profile: args.profile },
  );
}

/** Figures the build writes into its manifest: the loan guest's method ID and its steps on a full batch. */
export function zkvmManifestExtras(
  profile: Profile,
  limits: ZkvmLimits = zkvmParams(profile),
): {
  loanGuestMethodId: string;
  loanGuestWords: number;
  loanGuestSteps: number;
} {
  const guest = loanGuest();
  const n = tapeBatchSize(limits.L);
  if (n === undefined)
    throw new RangeError(`a ${limits.L}-word zkVM tape holds no batch (a batch tape has N + 1 words)`);
  const full = batchTape(
    Array.from({ length: n }, (_, i) => ({ applicantId: BigInt(i + 1), score: 0n, salt: 0n })),
    n,
  );
  const run = emulate(guest.words, full, [0n, 0n, 0n, 0n].slice(0, limits.K), limits);
  return {
    loanGuestMethodId: guest.methodId.toString(),
    loanGuestWords: guest.words.length,
    loanGuestSteps: run.ok ? run.steps : loanGuestSteps(n),
  };
}
