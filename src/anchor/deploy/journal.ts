/**
 * Reading a Hardhat Ignition journal (<deployment dir>/journal.jsonl, one JSON message per line, written
 * by @nomicfoundation/ignition-core) for what the deployments file records and what the deployer
 * decides before running Ignition: each future's address, constructor or call arguments, transaction
 * hash and block, and read event arguments. Only the message fields listed here are used; unknown
 * messages are ignored.
 */
import fs from "node:fs";
import path from "node:path";

export interface FutureRecord {
  futureId: string;
  kind: "deployment" | "call" | "readEventArgument" | "contractAt" | "other";
  /** Ignition execution state: complete once its result is recorded. */
  complete: boolean;
  failed: boolean;
  contractName?: string;
  /** Deployments: the deployed (or contractAt) address. Calls: the called contract. Read events: the emitter. */
  address?: string;
  constructorArgs?: unknown[];
  functionName?: string;
  args?: unknown[];
  /** Read event arguments: the value read. */
  result?: unknown;
  /** The confirmed transaction (its receipt's block number). */
  txHash?: string;
  blockNumber?: number;
}

export type Journal = Map<string, FutureRecord>;

/** The journal file of a deployment folder. */
export function journalFile(dir: string): string {
  return path.join(dir, "journal.jsonl");
}

function revive(_key: string, value: unknown): unknown {
  if (typeof value === "string" && /^\d+n$/.test(value)) return BigInt(value.slice(0, -1));
  if (value !== null && typeof value === "object" && (value as { _kind?: string })._kind === "bigint")
    return BigInt((value as { value: string }).value);
  return value;
}

/** The futures of the journal in `dir` (empty when there is none). */
export function readJournal(dir: string): Journal {
  const out: Journal = new Map();
  const file = journalFile(dir);
  if (!fs.existsSync(file)) return out;
  const at = (futureId: string, kind: FutureRecord["kind"] = "other"): FutureRecord => {
    let r = out.get(futureId);
    if (!r) {
      r = { futureId, kind, complete: false, failed: false };
      out.set(futureId, r);
    } else if (kind !== "other") r.kind = kind;
    return r;
  };
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line, revive) as Record<string, unknown>;
    } catch {
      continue; // a line cut by a crash: Ignition ignores it as well
    }
    const id = m.futureId as string | undefined;
    if (!id) continue;
    switch (m.type) {
      case "DEPLOYMENT_EXECUTION_STATE_INITIALIZE": {
        const r = at(id, "deployment");
        r.contractName = m.contractName as string;
        r.constructorArgs = m.constructorArgs as unknown[];
        break;
      }
      case "DEPLOYMENT_EXECUTION_STATE_COMPLETE": {
        const r = at(id, "deployment");
        const result = m.result as { type: string; address?: string };
        r.complete = result.type === "SUCCESS";
        r.failed = result.type !== "SUCCESS";
        if (result.address) r.address = result.address;
        break;
      }
      case "CONTRACT_AT_EXECUTION_STATE_INITIALIZE": {
        const r = at(id, "contractAt");
        r.contractName = m.contractName as string;
        r.address = m.contractAddress as string;
        r.complete = true;
        break;
      }
      case "CALL_EXECUTION_STATE_INITIALIZE": {
        const r = at(id, "call");
        r.address = m.contractAddress as string;
        r.functionName = m.functionName as string;
        r.args = m.args as unknown[];
        break;
      }
      case "CALL_EXECUTION_STATE_COMPLETE": {
        const r = at(id, "call");
        const result = m.result as { type: string };
        r.complete = result.type === "SUCCESS";
        r.failed = result.type !== "SUCCESS";
        break;
      }
      case "READ_EVENT_ARGUMENT_EXECUTION_STATE_INITIALIZE": {
        const r = at(id, "readEventArgument");
        r.address = m.emitterAddress as string;
        r.result = m.result;
        r.txHash = m.txToReadFrom as string;
        r.complete = true;
        break;
      }
      case "TRANSACTION_CONFIRM": {
        const r = at(id);
        const receipt = m.receipt as { blockNumber?: number; status?: string } | undefined;
        r.txHash = m.hash as string;
        if (receipt?.blockNumber !== undefined) r.blockNumber = Number(receipt.blockNumber);
        break;
      }
      case "ONCHAIN_INTERACTION_TIMEOUT":
        at(id).failed = true;
        break;
      case "WIPE_APPLY":
        out.delete(id);
        break;
    }
  }
  return out;
}

/** The artifact Ignition stored for a deployed future (<dir>/artifacts/<futureId>.json), if any. */
export function storedArtifact(dir: string, futureId: string): unknown | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "artifacts", `${futureId}.json`), "utf8"));
  } catch {
    return undefined;
  }
}
