/**
 * The root-chain check: rebuilds the anchor's state from its events alone and checks it against the chain.
 * For every BatchAttested / DecisionsAttested pair, in nonce order from the genesis root:
 * nonces are contiguous from 0; prevRoot is the running root; the decisions Merkle root recomputed
 * from (policyId, nonce, commitments, decisionBits) equals the event's and the contract's
 * decisionsRoot(nonce); the state step recomputed with src/anchor's nextStateRoot equals newRoot.
 * At the end the running root, nonce and decision count must equal stateRoot(), nonce() and
 * decisionCount(). It uses only public data (no receipts).
 */
import { decisionsRoot, genesisRoot, nextStateRoot } from "../anchor/state";

export interface AuditBatch {
  nonce: bigint;
  policyId: bigint;
  prevRoot: bigint;
  newRoot: bigint;
  activeCount: bigint;
  decisionBits: bigint;
  approved: number;
  blockNumber: number;
  txHash: string;
}

export interface RootChainReport {
  ok: boolean;
  anchor: string;
  batches: AuditBatch[];
  decisions: bigint;
  approved: number;
  stateRoot: bigint;
  nonce: bigint;
  /** Every discrepancy found (empty when ok). */
  problems: string[];
}

/** One BatchAttested event with its DecisionsAttested data, as read from the chain. */
export interface AttestedEvent {
  nonce: bigint;
  policyId: bigint;
  prevRoot: bigint;
  newRoot: bigint;
  methodId: bigint;
  tapeDigest: bigint;
  decisionBits: bigint;
  activeCount: bigint;
  decisionsRoot: string;
  blockNumber: number;
  txHash: string;
  /** From DecisionsAttested (undefined when that event is missing). */
  decisions?: { decisionBits: bigint; commitments: bigint[] };
}

/** What the contract says now. */
export interface AnchorSnapshot {
  domain: bigint;
  stateRoot: bigint;
  nonce: bigint;
  decisionCount: bigint;
  /** decisionsRoot(nonce) view. */
  decisionsRootOf: (nonce: bigint) => Promise<string>;
}

/** The checks of the file header over events already read (pure but for the decisionsRoot view). */
export async function auditEvents(
  address: string,
  events: readonly AttestedEvent[],
  chain: AnchorSnapshot,
): Promise<RootChainReport> {
  const problems: string[] = [];
  let root = genesisRoot(chain.domain);
  let count = 0n;
  let approvedTotal = 0;
  const batches: AuditBatch[] = [];
  for (const [i, a] of events.entries()) {
    const nonce = a.nonce;
    const where = `batch nonce ${nonce} (tx ${a.txHash})`;
    if (nonce !== BigInt(i)) problems.push(`${where}: expected nonce ${i} (nonces must be contiguous from 0)`);
    if (a.prevRoot !== root) problems.push(`${where}: prevRoot ${a.prevRoot} is not the running root ${root}`);
    if (!a.decisions) {
      problems.push(`${where}: no DecisionsAttested event`);
    } else {
      if (a.decisions.decisionBits !== a.decisionBits)
        problems.push(`${where}: the two events disagree on decisionBits`);
      const dRoot = decisionsRoot(a.policyId, nonce, a.decisions.commitments, a.decisionBits);
      if (dRoot.toLowerCase() !== a.decisionsRoot.toLowerCase())
        problems.push(`${where}: decisions root recomputed from the events differs from the event's`);
      if (dRoot.toLowerCase() !== (await chain.decisionsRootOf(nonce)).toLowerCase()) {
        problems.push(`${where}: decisions root differs from the contract's decisionsRoot(${nonce})`);
      }
      const next = nextStateRoot({
        prevRoot: a.prevRoot,
        nonce,
        policyId: a.policyId,
        methodId: a.methodId,
        decisionsRoot: dRoot,
        tapeDigest: a.tapeDigest,
        decisionBits: a.decisionBits,
        activeCount: a.activeCount,
      });
      if (next !== a.newRoot) problems.push(`${where}: newRoot ${a.newRoot} is not the recomputed ${next}`);
    }
    let approved = 0;
    for (let s = 0; s < Number(a.activeCount); s++) if ((a.decisionBits >> BigInt(s)) & 1n) approved++;
    approvedTotal += approved;
    count += a.activeCount;
    root = a.newRoot;
    batches.push({
      nonce,
      policyId: a.policyId,
      prevRoot: a.prevRoot,
      newRoot: a.newRoot,
      activeCount: a.activeCount,
      decisionBits: a.decisionBits,
      approved,
      blockNumber: a.blockNumber,
      txHash: a.txHash,
    });
  }
  if (chain.stateRoot !== root)
    problems.push(`the contract's stateRoot ${chain.stateRoot} is not the root rebuilt from events ${root}`);
  if (chain.nonce !== BigInt(events.length))
    problems.push(`the contract's nonce ${chain.nonce} is not the number of attested batches ${events.length}`);
  if (chain.decisionCount !== count)
    problems.push(`the contract's decisionCount ${chain.decisionCount} is not the sum of activeCount ${count}`);
  return {
    ok: problems.length === 0,
    anchor: address,
    batches,
    decisions: count,
    approved: approvedTotal,
    stateRoot: root,
    nonce: chain.nonce,
    problems,
  };
}
