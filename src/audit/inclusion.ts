/**
 * A borrower's check of one decision. The commitment (given, or recomputed from applicantId, score
 * and salt with the circuits' Poseidon commitment, src/policy/reference.ts) is looked up in the
 * anchor's DecisionsAttested events; its batch's BatchAttested event gives the policy, transaction
 * and block; the Merkle proof of its slot (src/anchor/state.ts) is checked off-chain against the
 * event's and the contract's decisions root, and on-chain through the anchor's verifyDecision view.
 * Whatever the caller claims (decision, policy, batch nonce, slot, transaction) is compared with the
 * chain. A decision that is not confirmed is a result (`ok: false` with a reason); only a check that
 * could not run throws: AnchorHistoryError (no contract at the address, node unreachable) or
 * UsageError (bad query, unusable receipts file; nothing was read from the chain then). Also reads a
 * row of the lender's receipts.csv. The chain is read through src/anchor/history.ts only.
 */
import fs from "node:fs";
import { parse } from "csv-parse/sync";
import { getAddress, isAddress, type Provider } from "ethers";
import { decisionProof, isApproved, verifyDecisionProof } from "../anchor/state";
import {
  AnchorHistoryError,
  anchorReader,
  assertContractAt,
  blockTimes,
  findDeploymentBlock,
  readAnchorEvents,
  type AnchorEvent,
} from "../anchor/history";
import { UsageError, ZklaError } from "../errors";
import { SNARK_SCALAR_FIELD } from "../field";
import { commitment as applicationCommitment } from "../policy/reference";

export { AnchorHistoryError, UsageError };

export type Decision = "approved" | "denied";

/** What the caller believes; every field given is checked against the chain. */
export interface InclusionClaims {
  approved?: boolean;
  policyId?: bigint;
  /** Batch nonce. */
  nonce?: bigint;
  slot?: number;
  txHash?: string;
}
export type CommitmentQuery = { commitment: bigint } & InclusionClaims;
export type ApplicationQuery = { applicantId: bigint; score: bigint; salt: bigint } & InclusionClaims;
export type InclusionQuery = CommitmentQuery | ApplicationQuery;

export interface InclusionOptions {
  /** First block scanned (default: the anchor's deployment block, found by binary search). */
  fromBlock?: number;
  /** Last block scanned, and the block the contract's views are read at (default: the latest). */
  toBlock?: number;
  /** Blocks per eth_getLogs request (default 10,000; halved when the node refuses a range). */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface InclusionResult {
  /** The decision is in an attested batch, both proofs verified and every claim holds. */
  ok: boolean;
  /** Why not (when !ok): one line. */
  reason?: string;
  /** Some attested batch holds the commitment. */
  found: boolean;
  anchor: string;
  chainId: bigint;
  commitment: bigint;
  applicantId?: bigint;
  claims: InclusionClaims;
  fromBlock: number;
  toBlock: number;
  /** DecisionsAttested events scanned. */
  batchesScanned: number;
  policyId?: bigint;
  threshold?: bigint;
  methodId?: bigint;
  batchNonce?: bigint;
  slot?: number;
  approved?: boolean;
  decision?: Decision;
  txHash?: string;
  blockNumber?: number;
  /** Unix seconds. */
  blockTime?: number;
  /** The BatchAttested event's root and the contract's decisionsRoot(batchNonce). */
  eventDecisionsRoot?: string;
  contractDecisionsRoot?: string;
  /** Siblings from the leaf up (verifyDecision's `proof`). */
  merkleProof?: string[];
  offChainValid?: boolean;
  onChainValid?: boolean;
  /** Every (batch nonce, slot) holding the commitment: more than one only if an application was attested twice. */
  occurrences?: { batchNonce: bigint; slot: number }[];
}

export const decisionWord = (approved: boolean): Decision => (approved ? "approved" : "denied");
/** The first line of an error's message; for ethers' wrapped RPC errors, the node's (or provider's) own message. */
function firstLine(e: unknown): string {
  const o = e as {
    message?: string;
    shortMessage?: string;
    error?: { message?: string };
    info?: { error?: { message?: string } };
  };
  return String(o?.error?.message ?? o?.info?.error?.message ?? o?.message ?? e).split("\n")[0];
}
const U64 = 1n << 64n;

/** The query's commitment: given, or computed from applicantId, score and salt (src/policy commitment). Validates the claims. */
export function queryCommitment(query: InclusionQuery): bigint {
  const c = query as Partial<CommitmentQuery & ApplicationQuery>;
  if (c.txHash !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(c.txHash))
    throw new UsageError(`txHash must be 0x and 64 hex digits, got "${c.txHash}"`, "copy it from the receipt");
  if (c.slot !== undefined && !(Number.isInteger(c.slot) && c.slot >= 0 && c.slot < 256))
    throw new UsageError(`slot must be an integer in 0..255, got ${c.slot}`, "copy it from the receipt");
  if (c.nonce !== undefined && (c.nonce < 0n || c.nonce >= U64))
    throw new UsageError(`batch nonce must be in 0..2^64-1, got ${c.nonce}`, "copy it from the receipt");
  if ("applicantId" in query) {
    try {
      return applicationCommitment({ applicantId: query.applicantId, score: query.score, salt: query.salt });
    } catch (e) {
      throw new UsageError(firstLine(e), "use the applicantId, score and salt of the lender's receipt");
    }
  }
  if (c.commitment === undefined || c.commitment <= 0n || c.commitment >= SNARK_SCALAR_FIELD) {
    throw new UsageError(
      `a commitment must satisfy 0 < commitment < r (BN254 scalar field order), got ${c.commitment}`,
      "0 marks an empty slot; copy the commitment from the receipt",
    );
  }
  return c.commitment;
}

/** Runs a chain read; a failure that is not already a ZklaError becomes an AnchorHistoryError saying what could not be read. */
async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ZklaError) throw e;
    throw new AnchorHistoryError(
      `could not ${what}: ${firstLine(e)}`,
      "check the network / RPC URL and that the node is running, then try again",
    );
  }
}

/** Checks one decision against the anchor at `anchorAddress` (see the file header). */
export async function checkInclusion(
  provider: Provider,
  anchorAddress: string,
  query: InclusionQuery,
  options: InclusionOptions = {},
): Promise<InclusionResult> {
  const commitment = queryCommitment(query);
  if (!isAddress(anchorAddress))
    throw new UsageError(`not an address: "${anchorAddress}"`, "pass the StateAnchor's 0x address");
  const anchor = getAddress(anchorAddress);
  const { fromBlock: from, toBlock: to, chunk } = options;
  for (const [name, v] of Object.entries({ fromBlock: from, toBlock: to, chunk })) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= (name === "chunk" ? 1 : 0)))
      throw new UsageError(
        `${name} must be a ${name === "chunk" ? "positive" : "non-negative"} integer, got ${v}`,
        "fix the option",
      );
  }
  if (from !== undefined && to !== undefined && from > to)
    throw new UsageError(`fromBlock ${from} is after toBlock ${to}`, "swap them");

  const chainId = (await read("read the chain id", () => provider.getNetwork())).chainId;
  const head = to ?? (await read("read the latest block number", () => provider.getBlockNumber()));
  let fromBlock: number;
  if (from === undefined)
    fromBlock = await read("find the anchor's deployment block", () => findDeploymentBlock(provider, anchor, head));
  else {
    await read("read the anchor's code", () => assertContractAt(provider, anchor));
    fromBlock = from;
  }
  const events = await read("read the anchor's events", () =>
    readAnchorEvents(provider, anchor, { fromBlock, toBlock: head, chunk, onProgress: options.onProgress }),
  );
  const claims: InclusionClaims = {};
  for (const k of ["approved", "policyId", "nonce", "slot", "txHash"] as const)
    if (query[k] !== undefined) (claims as Record<string, unknown>)[k] = query[k];
  const decisionsEvents = events.filter((e) => e.name === "DecisionsAttested");
  const result: InclusionResult = {
    ok: false,
    found: false,
    anchor,
    chainId,
    commitment,
    ...("applicantId" in query ? { applicantId: query.applicantId } : {}),
    claims,
    fromBlock,
    toBlock: head,
    batchesScanned: decisionsEvents.length,
  };

  const hits: { e: AnchorEvent; slot: number; nonce: bigint; commitments: bigint[]; bits: bigint }[] = [];
  for (const e of decisionsEvents) {
    const commitments = [...(e.args.commitments as bigint[])].map(BigInt);
    commitments.forEach((c, slot) => {
      if (c === commitment)
        hits.push({ e, slot, nonce: BigInt(e.args.nonce), commitments, bits: BigInt(e.args.decisionBits) });
    });
  }
  if (hits.length === 0) {
    const what =
      "applicantId" in query
        ? `the commitment of applicant ${query.applicantId} with this score and salt (${commitment})`
        : `commitment ${commitment}`;
    const hint =
      "applicantId" in query ? "; a wrong score or salt gives another commitment: check the receipt row" : "";
    const older =
      from !== undefined
        ? `; the scan started at block ${from}: scan from an earlier block if the anchor is older`
        : "";
    result.reason = `no attested batch holds ${what}: scanned ${decisionsEvents.length} batch(es) in blocks ${fromBlock}..${head}${hint}${older}`;
    return result;
  }
  const hit =
    hits.find((h) => h.nonce === claims.nonce && (claims.slot === undefined || h.slot === claims.slot)) ??
    hits.find((h) => h.nonce === claims.nonce) ??
    hits[0];
  const { slot, nonce } = hit;
  result.found = true;
  result.occurrences = hits.map((h) => ({ batchNonce: h.nonce, slot: h.slot }));
  result.batchNonce = nonce;
  result.slot = slot;
  result.txHash = hit.e.txHash;
  result.blockNumber = hit.e.blockNumber;
  const problems: string[] = [];
  const batch = events.find(
    (e) => e.name === "BatchAttested" && e.txHash === hit.e.txHash && BigInt(e.args.nonce) === nonce,
  );
  if (!batch) {
    result.reason = `batch nonce ${nonce} has a DecisionsAttested event but no BatchAttested event in transaction ${hit.e.txHash}: this is not a StateAnchor of this repository`;
    return result;
  }
  const policyId = BigInt(batch.args.policyId);
  const approved = isApproved(hit.bits, slot);
  Object.assign(result, {
    policyId,
    approved,
    decision: decisionWord(approved),
    methodId: BigInt(batch.args.methodId),
  });
  if (BigInt(batch.args.decisionBits) !== hit.bits)
    problems.push(`the BatchAttested and DecisionsAttested events of batch nonce ${nonce} disagree on decisionBits`);

  const reader = anchorReader(anchor, provider);
  const scheduled = events.find((e) => e.name === "PolicyScheduled" && BigInt(e.args.policyId) === policyId);
  result.threshold = scheduled
    ? BigInt(scheduled.args.threshold)
    : BigInt((await read(`read policy ${policyId}`, () => reader.policy(policyId, { blockTag: head }))).threshold);
  result.blockTime = (await read("read the block time", () => blockTimes(provider, [hit.e.blockNumber]))).get(
    hit.e.blockNumber,
  );

  const proof = decisionProof(policyId, nonce, hit.commitments, hit.bits, slot);
  result.merkleProof = proof;
  const ref = { policyId, nonce, slot, commitment, approved };
  result.eventDecisionsRoot = String(batch.args.decisionsRoot);
  result.contractDecisionsRoot = String(
    await read(`read decisionsRoot(${nonce})`, () => reader.decisionsRoot(nonce, { blockTag: head })),
  );
  const eventOk = verifyDecisionProof(result.eventDecisionsRoot, ref, proof);
  const contractOk = verifyDecisionProof(result.contractDecisionsRoot, ref, proof);
  result.offChainValid = eventOk && contractOk;
  result.onChainValid = Boolean(
    await read("call verifyDecision", () =>
      reader.verifyDecision(policyId, nonce, slot, commitment, approved, proof, { blockTag: head }),
    ),
  );
  if (!eventOk)
    problems.push(
      `the Merkle proof does not verify off-chain against the BatchAttested root ${result.eventDecisionsRoot}`,
    );
  if (!contractOk)
    problems.push(
      `the Merkle proof does not verify off-chain against decisionsRoot(${nonce}) = ${result.contractDecisionsRoot}`,
    );
  if (!result.onChainValid) problems.push(`the anchor's verifyDecision rejected the Merkle proof`);

  const where = `batch nonce ${nonce}, slot ${slot}, policy ${policyId}`;
  if (claims.approved !== undefined && claims.approved !== approved)
    problems.push(
      `the chain records this decision as ${decisionWord(approved)} (${where}), not ${decisionWord(claims.approved)} as claimed`,
    );
  if (claims.policyId !== undefined && claims.policyId !== policyId)
    problems.push(`it was attested under policy ${policyId}, not policy ${claims.policyId} as claimed`);
  if (claims.nonce !== undefined && claims.nonce !== nonce)
    problems.push(`it is in batch nonce ${nonce}, not nonce ${claims.nonce} as claimed`);
  if (claims.slot !== undefined && (claims.nonce === undefined || claims.nonce === nonce) && claims.slot !== slot)
    problems.push(`it is in slot ${slot}, not slot ${claims.slot} as claimed`);
  if (claims.txHash !== undefined && claims.txHash.toLowerCase() !== hit.e.txHash.toLowerCase())
    problems.push(`it was attested in transaction ${hit.e.txHash}, not ${claims.txHash} as claimed`);
  result.ok = problems.length === 0;
  if (!result.ok) result.reason = problems.join("; ");
  return result;
}

/** One row of the lender's receipts.csv (columns of docs/pipeline.md; the optional ones from older files may be absent). */
export interface ReceiptRow {
  applicantId: bigint;
  score: bigint;
  salt: bigint;
  commitment: bigint;
  batch?: number;
  slot?: number;
  nonce?: bigint;
  policyId?: bigint;
  decision?: Decision;
  txHash?: string;
}

/**
 * The row of `applicantId` in a receipts.csv. Throws UsageError when the file is missing or
 * malformed, the applicant is not in it, or the row's commitment is not the commitment of its
 * (applicantId, score, salt) (src/policy commitment: the row was altered).
 */
export function readReceipt(file: string, applicantId: bigint): ReceiptRow {
  const fix = "use the receipts.csv of the lender's run folder (runs/<run>/receipts.csv)";
  if (!fs.existsSync(file)) throw new UsageError(`no receipts file at ${file}`, fix);
  let rows: Record<string, string>[];
  try {
    rows = parse(fs.readFileSync(file, "utf8"), { columns: true, skip_empty_lines: true, trim: true });
  } catch (e) {
    throw new UsageError(`${file} is not a CSV file: ${firstLine(e)}`, fix);
  }
  const header = rows.length ? Object.keys(rows[0]) : [];
  const missing = ["applicantId", "score", "salt", "commitment"].filter((c) => !header.includes(c));
  if (missing.length) throw new UsageError(`${file} has no ${missing.join(", ")} column(s) (or no rows)`, fix);
  const index = rows.findIndex(
    (r) => /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(r.applicantId) && BigInt(r.applicantId) === applicantId,
  );
  if (index < 0)
    throw new UsageError(
      `applicant ${applicantId} is not in ${file} (${rows.length} row(s))`,
      "check the applicant id, or the run folder",
    );
  const r = rows[index];
  const line = index + 2;
  const int = (col: string, value: string | undefined): bigint | undefined => {
    if (value === undefined || value === "") return undefined;
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value))
      throw new UsageError(`${file} line ${line}: ${col} must be an integer, got "${value}"`, fix);
    return BigInt(value);
  };
  const required = (col: string) => {
    const v = int(col, r[col]);
    if (v === undefined) throw new UsageError(`${file} line ${line}: ${col} is empty`, fix);
    return v;
  };
  const row: ReceiptRow = {
    applicantId,
    score: required("score"),
    salt: required("salt"),
    commitment: required("commitment"),
  };
  for (const col of ["batch", "slot"] as const) {
    const v = int(col, r[col]);
    if (v !== undefined) row[col] = Number(v);
  }
  for (const col of ["nonce", "policyId"] as const) {
    const v = int(col, r[col]);
    if (v !== undefined) row[col] = v;
  }
  if (r.decision) {
    if (r.decision !== "approved" && r.decision !== "denied")
      throw new UsageError(`${file} line ${line}: decision must be approved or denied, got "${r.decision}"`, fix);
    row.decision = r.decision;
  }
  if (r.txHash) row.txHash = r.txHash;
  const computed = queryCommitment({ applicantId, score: row.score, salt: row.salt });
  if (computed !== row.commitment) {
    throw new UsageError(
      `${file} line ${line}: the commitment column (${row.commitment}) is not the commitment of its (applicantId, score, salt), ${computed}: the row was altered`,
      "take the row from the lender's original receipts.csv",
    );
  }
  return row;
}

/** The query a receipts row makes: its application, and every value it records as a claim. */
export function receiptQuery(row: ReceiptRow): ApplicationQuery {
  const q: ApplicationQuery = { applicantId: row.applicantId, score: row.score, salt: row.salt };
  if (row.decision) q.approved = row.decision === "approved";
  if (row.policyId !== undefined) q.policyId = row.policyId;
  if (row.nonce !== undefined) q.nonce = row.nonce;
  if (row.slot !== undefined) q.slot = row.slot;
  if (row.txHash) q.txHash = row.txHash;
  return q;
}

/** The CLI's raw options (all strings, as typed). */
export interface InclusionArgs {
  address?: string;
  receipts?: string;
  applicant?: string;
  commitment?: string;
  decision?: string;
  fromBlock?: string;
  toBlock?: string;
  chunk?: string;
}

export interface ParsedInclusionArgs {
  address?: string;
  source: { receipts: string; applicant: bigint } | { commitment: bigint };
  approved?: boolean;
  options: InclusionOptions;
}

/** Validates anchor:inclusion's options before anything is read; throws UsageError naming the option. */
export function parseInclusionArgs(a: InclusionArgs): ParsedInclusionArgs {
  const usage = "pass either --receipts <receipts.csv> --applicant <id>, or --commitment <c>";
  const integer = (flag: string, v: string): bigint => {
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v.trim()))
      throw new UsageError(`${flag} must be a non-negative integer (decimal or 0x-hex), got "${v}"`, usage);
    return BigInt(v.trim());
  };
  const block = (flag: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = integer(flag, v);
    if (n < BigInt(min) || n > BigInt(Number.MAX_SAFE_INTEGER))
      throw new UsageError(`${flag} must be ${min ? "at least 1" : "a block number"}, got "${v}"`, "fix the option");
    return Number(n);
  };
  const byReceipt = a.receipts !== undefined || a.applicant !== undefined;
  if (byReceipt && a.commitment !== undefined)
    throw new UsageError("--receipts/--applicant and --commitment exclude each other", usage);
  if (!byReceipt && a.commitment === undefined) throw new UsageError("nothing to check", usage);
  if (byReceipt && (a.receipts === undefined || a.applicant === undefined))
    throw new UsageError("--receipts and --applicant go together", usage);
  if (a.address !== undefined && !isAddress(a.address))
    throw new UsageError(`--address must be a 0x address, got "${a.address}"`, "pass the StateAnchor's address");
  const decision = a.decision?.trim().toLowerCase();
  if (decision !== undefined && decision !== "approved" && decision !== "denied")
    throw new UsageError(`--decision must be approved or denied, got "${a.decision}"`, "fix the option");
  const options: InclusionOptions = {
    fromBlock: block("--from-block", a.fromBlock, 0),
    toBlock: block("--to-block", a.toBlock, 0),
    chunk: block("--chunk", a.chunk, 1),
  };
  if (options.fromBlock !== undefined && options.toBlock !== undefined && options.fromBlock > options.toBlock)
    throw new UsageError(`--from-block ${options.fromBlock} is after --to-block ${options.toBlock}`, "swap them");
  let source: ParsedInclusionArgs["source"];
  if (byReceipt) source = { receipts: a.receipts!, applicant: integer("--applicant", a.applicant!) };
  else {
    const commitment = integer("--commitment", a.commitment!);
    queryCommitment({ commitment }); // 0 < commitment < r
    source = { commitment };
  }
  return {
    address: a.address === undefined ? undefined : getAddress(a.address),
    source,
    approved: decision === undefined ? undefined : decision === "approved",
    options,
  };
}

/** The result as JSON-ready data: big numbers as decimal strings, the block time also as an ISO date. */
export function inclusionJson(r: InclusionResult): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  if (r.blockTime !== undefined) plain.blockTimeIso = new Date(r.blockTime * 1000).toISOString();
  const out: Record<string, unknown> = {};
  for (const k of JSON_ORDER) if (k in plain) out[k] = plain[k];
  for (const k of Object.keys(plain)) if (!(k in out)) out[k] = plain[k];
  return out;
}

/** Key order of the JSON output: the verdict first, then what a reader looks for. */
const JSON_ORDER = [
  "ok",
  "reason",
  "found",
  "decision",
  "approved",
  "applicantId",
  "commitment",
  "policyId",
  "threshold",
  "methodId",
  "batchNonce",
  "slot",
  "txHash",
  "blockNumber",
  "blockTime",
  "blockTimeIso",
  "offChainValid",
  "onChainValid",
  "merkleProof",
  "eventDecisionsRoot",
  "contractDecisionsRoot",
  "claims",
  "occurrences",
  "anchor",
  "chainId",
  "fromBlock",
  "toBlock",
  "batchesScanned",
];

/** Human-readable lines (the CLI prints them). */
export function formatInclusion(r: InclusionResult): string[] {
  const who = r.applicantId !== undefined ? `applicant ${r.applicantId}` : `commitment ${r.commitment}`;
  const lines = [
    `anchor ${r.anchor} (chain ${r.chainId}), blocks ${r.fromBlock}..${r.toBlock}: ${r.batchesScanned} batch(es)`,
  ];
  if (!r.found) return [...lines, `${who}: NOT FOUND`, `not confirmed: ${r.reason}`];
  lines.push(
    `${who}: ${r.decision!.toUpperCase()}${r.ok ? " (confirmed)" : ""}`,
    `  commitment    ${r.commitment}`,
    `  policy        ${r.policyId} (approve iff score <= ${r.threshold}; guest method ${r.methodId})`,
    `  batch         nonce ${r.batchNonce}, slot ${r.slot}`,
    `  transaction   ${r.txHash} (block ${r.blockNumber})`,
    `  block time    ${r.blockTime === undefined ? "?" : `${new Date(r.blockTime * 1000).toISOString()} (${r.blockTime})`}`,
    `  Merkle proof  ${r.merkleProof!.length} sibling(s): off-chain ${r.offChainValid ? "valid" : "INVALID"} (decisionsRoot ${r.contractDecisionsRoot}), verifyDecision on-chain ${r.onChainValid ? "true" : "FALSE"}`,
  );
  if ((r.occurrences?.length ?? 0) > 1)
    lines.push(
      `  also in       ${r
        .occurrences!.filter((o) => o.batchNonce !== r.batchNonce || o.slot !== r.slot)
        .map((o) => `nonce ${o.batchNonce} slot ${o.slot}`)
        .join(", ")}`,
    );
  if (!r.ok) lines.push(`not confirmed: ${r.reason}`);
  return lines;
}
