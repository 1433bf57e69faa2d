/**
 * Pipeline data model and the small interfaces the pipeline is written against, so that it can be
 * tested with fakes: PolicyModel (reference evaluation), StateModel (state-root transition),
 * Prover (runs in a worker) and AnchorClient (the chain).
 */
import type { Application } from "../tape";
import type { Profile } from "../paths";

/** The public outcome of one batch (the policy proof's outputs, also the zkVM journal). */
export interface BatchOutcome {
  tapeDigest: bigint;
  decisionBits: bigint;
  activeCount: number;
  commitments: bigint[];
}

/** The policy's reference evaluation (src/policy evaluatePolicy) and its parameters. */
export interface PolicyModel {
  batchSize: number;
  scoreBits: number;
  evaluate(batch: readonly Application[], threshold: bigint): BatchOutcome;
}

/** What the anchor hashes into the next state root (src/anchor nextStateRoot). */
export interface StateTransition {
  domain: bigint;
  prevRoot: bigint;
  nonce: bigint;
  policyId: bigint;
  methodId: bigint;
  outcome: BatchOutcome;
}

export interface StateModel {
  nextStateRoot(t: StateTransition): bigint;
}

/** A planned batch: which applications, at which nonce, on top of which root, leading to which root. */
export interface PlannedBatch {
  index: number;
  nonce: bigint;
  prevRoot: bigint;
  newRoot: bigint;
  applications: Application[];
  outcome: BatchOutcome;
  /** sha256 over everything the proofs and the anchor depend on; a stored proof is reused only when it matches. */
  fingerprint: string;
}

export interface RunContext {
  chainId: bigint;
  anchor: string;
  domain: bigint;
  policyId: bigint;
  methodId: bigint;
  threshold: bigint;
  profile: Profile;
  batchSize: number;
  scoreBits: number;
}

/** A planned batch as plan.json lists it: what ordering and submission need, and where the rest is. */
export interface BatchHead {
  index: number;
  nonce: bigint;
  prevRoot: bigint;
  newRoot: bigint;
  fingerprint: string;
  /** Applications in the batch. */
  size: number;
  activeCount: number;
  /** Byte offset and length of the batch's line in batches.jsonl. */
  offset: number;
  length: number;
}

/** Rows of the input file a run did not plan because they were already on this anchor (--skip-attested). */
export interface SkippedRows {
  /** Already attested on the anchor (in the run named). */
  attested: number;
  /** Planned in another run that is not finished. */
  planned: number;
}

/** A run's header: what it was planned for and from which anchor state. */
export interface RunHeader extends RunContext {
  version: 2;
  runId: string;
  createdAt: string;
  source: { file: string; sha256: string };
  startNonce: bigint;
  startRoot: bigint;
  /**
   * Planned with --max-batches: only the file's first maxBatches * batchSize rows (file order).
   * Undefined: the whole file (and in plans written before the option existed).
   */
  maxBatches?: number;
  /** Rows of the file this run did not plan (0 without maxBatches): they are left for a later run. */
  rowsLeft?: number;
  /** With --skip-attested: how many of the file's rows were left out as already on the anchor. */
  skipped?: SkippedRows;
}

/** A planned run: the header and one BatchHead per batch (the batches themselves are read from the store). */
export interface RunPlan extends RunHeader {
  /** Applications planned (all batches). */
  applications: number;
  batches: BatchHead[];
}

/** Work handed to a prover (IPC-safe: all numbers as decimal strings). */
export interface ProveJob {
  index: number;
  fingerprint: string;
  profile: Profile;
  batchSize: number;
  threshold: string;
  domain: string;
  prevRoot: string;
  nonce: string;
  methodId: string;
  applications: { applicantId: string; score: string; salt: string }[];
}

/** A prover's output: Solidity calldata words and the public signals the proofs were made for. */
export interface BatchProofs {
  /** uint256[24] PLONK proof words for StateAnchor.attest. */
  policyProof: string[];
  /** uint256[8] Groth16 proof words for StateAnchor.attest. */
  zkvmProof: string[];
  policyPublicSignals: string[];
  zkvmPublicSignals: string[];
  policyMs: number;
  zkvmMs: number;
}

/**
 * Makes and checks the two proofs of a batch. Implementations run inside a worker process;
 * `verify` is called on every fresh proof before it is stored.
 */
export interface Prover {
  prove(job: ProveJob): Promise<BatchProofs>;
  verify(job: ProveJob, proofs: BatchProofs): Promise<{ policy: boolean; zkvm: boolean }>;
  /** Releases resources (snarkjs curve threads) so the worker can exit. */
  close(): Promise<void>;
}

/** A module a worker loads: `export function createProver(): Prover`. */
export interface ProverModule {
  createProver(): Prover | Promise<Prover>;
}

/** The proof file stored per batch. */
export interface StoredBatch {
  version: 1;
  runId: string;
  index: number;
  nonce: string;
  prevRoot: string;
  newRoot: string;
  fingerprint: string;
  tapeDigest: string;
  decisionBits: string;
  activeCount: number;
  commitments: string[];
  proofs: BatchProofs;
  provedAt: string;
  proveMs: number;
  /** Proving-key identity (provingKeyId) when the prover recorded it. */
  keyId?: string;
}

export interface AnchorState {
  nonce: bigint;
  root: bigint;
}

/** Arguments of StateAnchor.attest. */
export interface AttestCall {
  policyId: bigint;
  expectedNonce: bigint;
  batch: { tapeDigest: bigint; decisionBits: bigint; activeCount: bigint; commitments: bigint[] };
  policyProof: bigint[];
  zkvmProof: bigint[];
}

export interface TxReceiptInfo {
  hash: string;
  blockNumber: number;
  status: number;
  gasUsed: bigint;
}

/** Fees per gas of a transaction (wei): EIP-1559 caps, or a legacy gas price. */
export type TxFees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

export interface SuggestedFees {
  maxFeePerGas?: bigint | null;
  maxPriorityFeePerGas?: bigint | null;
  gasPrice?: bigint | null;
}

export interface SentTx {
  hash: string;
  fees?: TxFees;
}

/** A decoded revert: custom error name and arguments when the ABI knows it. */
export interface DecodedRevert {
  name?: string;
  args: unknown[];
  detail: string;
}

/**
 * The chain as the submitter needs it. Errors: `preflight`/`send` throw RevertError for a revert;
 * anything else thrown is classified by `isTransient` (src/pipeline/util.ts).
 */
export interface AnchorClient {
  readonly address: string;
  readState(): Promise<AnchorState>;
  /** eth_call of attest from the submitter; throws RevertError when it would revert. */
  preflight(call: AttestCall): Promise<void>;
  /**
   * Sends attest with the given account nonce, with exactly `fees` when given (a replacement of a
   * stuck transaction, see src/pipeline/submission/fees.ts), else the network's default fees. Returns the hash
   * and the fees used (undefined when the client cannot tell).
   */
  send(call: AttestCall, accountNonce: number, fees?: TxFees): Promise<SentTx>;
  /** The network's current fee suggestion (eth_feeHistory / eth_gasPrice). */
  suggestedFees(): Promise<SuggestedFees>;
  /** The submitter's transaction count ("latest" = mined, "pending" = incl. the mempool). */
  accountNonce(tag: "latest" | "pending"): Promise<number>;
  receipt(hash: string): Promise<TxReceiptInfo | null>;
  blockNumber(): Promise<number>;
}

export class RevertError extends Error {
  constructor(readonly revert: DecodedRevert) {
    super(revert.name ? `${revert.name}(${revert.args.map(String).join(", ")})` : revert.detail);
    this.name = "RevertError";
  }
}
