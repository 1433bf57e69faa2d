/**
 * Reading an anchor's history from nothing but an RPC endpoint and its address: the block it was
 * deployed in (binary search on eth_getCode), every event it emitted (eth_getLogs in chunks that
 * shrink when a node refuses a range), block times, and the calldata of the `attest` call behind a
 * BatchAttested event (the transaction itself, or the node's call tracer when another contract made
 * the call). The audit and anchor:inclusion read the chain only through this module.
 */
import type { Log, Provider, Result, TransactionDescription } from "ethers";
import { ZklaError } from "../errors";
import { stateAnchorAt, stateAnchorInterface, type StateAnchor } from "./contract";

/** Why the history could not be read: no contract, an unreachable node, a node without history. */
export class AnchorHistoryError extends ZklaError {
  constructor(message: string, hint: string) {
    super("chain-unreadable", message, hint);
  }
}

/** A read-only, typed StateAnchor contract. */
export function anchorReader(address: string, provider: Provider): StateAnchor {
  return stateAnchorAt(address, provider);
}

/** Throws AnchorHistoryError unless `address` holds code at `blockTag` (default: latest). */
export async function assertContractAt(provider: Provider, address: string, blockTag?: number): Promise<void> {
  const code = await provider.getCode(address, blockTag);
  if (code === "0x") {
    const chainId = (await provider.getNetwork()).chainId;
    throw new AnchorHistoryError(
      `no contract at ${address} on chain ${chainId}${blockTag === undefined ? "" : ` at block ${blockTag}`}`,
      "check --address and --network (a local node that was restarted has lost its contracts)",
    );
  }
}

/**
 * The first block at which `address` holds code: binary search on eth_getCode over [0, head]. Needs a
 * node that serves historical state (an archive node, anvil, Hardhat); otherwise pass the block.
 */
export async function findDeploymentBlock(provider: Provider, address: string, head?: number): Promise<number> {
  const top = head ?? (await provider.getBlockNumber());
  await assertContractAt(provider, address, top);
  let lo = 0;
  let hi = top; // invariant: code at hi
  try {
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await provider.getCode(address, mid)) === "0x") lo = mid + 1;
      else hi = mid;
    }
  } catch (e) {
    throw new AnchorHistoryError(
      `could not read the code of ${address} at past blocks to find its deployment block: ${(e as Error).message.split("\n")[0]}`,
      "the node does not serve historical state: pass --from-block <deployment block> (or use an archive node)",
    );
  }
  return hi;
}

/** One event of the anchor, decoded with its position in the chain. */
export interface AnchorEvent {
  name: string;
  args: Result;
  blockNumber: number;
  logIndex: number;
  txHash: string;
}

export interface LogRange {
  fromBlock: number;
  toBlock: number;
  /** Blocks per eth_getLogs request (halved, down to 1, when the node refuses a range). */
  chunk?: number;
  /** Called after each range read: blocks done of the total. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_LOG_CHUNK = 10_000;

/**
 * Every event the anchor emitted in [fromBlock, toBlock], in chain order. Logs the ABI does not know
 * are kept with name "unknown" (an anchor emitting them is not this repository's StateAnchor).
 */
export async function readAnchorEvents(provider: Provider, address: string, range: LogRange): Promise<AnchorEvent[]> {
  if (range.toBlock < range.fromBlock) return [];
  let chunk = Math.max(1, range.chunk ?? DEFAULT_LOG_CHUNK);
  const logs: Log[] = [];
  const total = range.toBlock - range.fromBlock + 1;
  for (let from = range.fromBlock; from <= range.toBlock;) {
    const to = Math.min(range.toBlock, from + chunk - 1);
    try {
      logs.push(...(await provider.getLogs({ address, fromBlock: from, toBlock: to })));
    } catch (e) {
      if (chunk === 1) {
        throw new AnchorHistoryError(
          `eth_getLogs failed for block ${from}: ${(e as Error).message.split("\n")[0]}`,
          "check the RPC URL, or try again later",
        );
      }
      chunk = Math.max(1, Math.floor(chunk / 2)); // "query returned more than N results" and kin
      continue;
    }
    range.onProgress?.(to - range.fromBlock + 1, total);
    from = to + 1;
  }
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  return logs.map((l) => {
    const parsed = (() => {
      try {
        return stateAnchorInterface.parseLog({ topics: [...l.topics], data: l.data });
      } catch {
        return null;
      }
    })();
    return {
      name: parsed?.name ?? "unknown",
      args: parsed?.args ?? ([] as unknown as Result),
      blockNumber: l.blockNumber,
      logIndex: l.index,
      txHash: l.transactionHash,
    };
  });
}

/** Block timestamps (Unix seconds), each block read once. */
export async function blockTimes(provider: Provider, blocks: Iterable<number>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const n of new Set(blocks)) {
    const b = await provider.getBlock(n);
    if (!b) throw new AnchorHistoryError(`the node has no block ${n}`, "check the RPC URL (is it the same chain?)");
    out.set(n, b.timestamp);
  }
  return out;
}

/** The decoded arguments of one `attest` call. */
export interface AttestCalldata {
  policyId: bigint;
  expectedNonce: bigint;
  batch: { tapeDigest: bigint; decisionBits: bigint; activeCount: bigint; commitments: bigint[] };
  policyProof: bigint[];
  zkvmProof: bigint[];
}

export type AttestCalldataResult =
  { found: true; via: "transaction" | "call tracer"; calldata: AttestCalldata } | { found: false; reason: string };

function decodeAttest(input: string): AttestCalldata | null {
  let tx: TransactionDescription | null;
  try {
    tx = stateAnchorInterface.parseTransaction({ data: input });
  } catch {
    return null;
  }
  if (!tx || tx.name !== "attest") return null;
  const [policyId, expectedNonce, batch, policyProof, zkvmProof] = tx.args;
  return {
    policyId: BigInt(policyId),
    expectedNonce: BigInt(expectedNonce),
    batch: {
      tapeDigest: BigInt(batch.tapeDigest),
      decisionBits: BigInt(batch.decisionBits),
      activeCount: BigInt(batch.activeCount),
      commitments: [...batch.commitments].map((c: bigint) => BigInt(c)),
    },
    policyProof: [...policyProof].map((w: bigint) => BigInt(w)),
    zkvmProof: [...zkvmProof].map((w: bigint) => BigInt(w)),
  };
}

interface TracedCall {
  to?: string;
  input?: string;
  error?: string;
  calls?: TracedCall[];
}

/**
 * The `attest` calldata that produced batch `nonce` in transaction `txHash`: the transaction's own
 * input when it called the anchor directly, else the successful calls to the anchor found by the
 * node's callTracer (debug_traceTransaction). `found: false` says why it could not be read.
 */
export async function readAttestCalldata(
  provider: Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> },
  anchor: string,
  txHash: string,
  nonce: bigint,
): Promise<AttestCalldataResult> {
  const tx = await provider.getTransaction(txHash);
  if (!tx) return { found: false, reason: `the node does not have transaction ${txHash}` };
  if (tx.to?.toLowerCase() === anchor.toLowerCase()) {
    const calldata = decodeAttest(tx.data);
    if (calldata && calldata.expectedNonce === nonce) return { found: true, via: "transaction", calldata };
  }
  if (typeof provider.send !== "function") {
    return {
      found: false,
      reason: `transaction ${txHash} called ${tx.to} (not the anchor) and no call tracer is available`,
    };
  }
  let trace: TracedCall;
  try {
    trace = (await provider.send("debug_traceTransaction", [txHash, { tracer: "callTracer" }])) as TracedCall;
  } catch (e) {
    return {
      found: false,
      reason: `transaction ${txHash} called ${tx.to}, not the anchor, and the node has no call tracer (${(e as Error).message.split("\n")[0]})`,
    };
  }
  const stack: TracedCall[] = [trace];
  while (stack.length) {
    const call = stack.pop()!;
    if (!call.error && call.to?.toLowerCase() === anchor.toLowerCase() && call.input) {
      const calldata = decodeAttest(call.input);
      if (calldata && calldata.expectedNonce === nonce) return { found: true, via: "call tracer", calldata };
    }
    stack.push(...(call.calls ?? []));
  }
  return { found: false, reason: `no successful attest call for nonce ${nonce} in the call trace of ${txHash}` };
}
