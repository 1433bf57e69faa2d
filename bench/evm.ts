/**
 * EVM gas accounting the benches share: calldata cost, the gas each call of a transaction used
 * (from debug_traceTransaction's struct logs) and the precompile floors of the two verifiers.
 */

/** Calldata cost of `data` (hex): 4 gas per zero byte, 16 per other byte (the standard cost). */
export function calldataGas(data: string): number {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  let gas = 0;
  for (let i = 0; i < hex.length; i += 2) gas += hex.slice(i, i + 2) === "00" ? 4 : 16;
  return gas;
}

/** EVM precompile prices (EIP-1108): ecAdd, ecMul, ecPairing base and per pair. */
export const PRECOMPILE_GAS = { ecAdd: 150, ecMul: 6_000, pairingBase: 45_000, pairingPerPair: 34_000 } as const;

/** Groth16 (snarkjs): a 4-pair pairing plus one ecMul and one ecAdd per public input. */
export function groth16Floor(publicInputs: number): number {
  const p = PRECOMPILE_GAS;
  return p.pairingBase + 4 * p.pairingPerPair + publicInputs * (p.ecMul + p.ecAdd);
}

/**
 * snarkjs 0.7 PLONK: a 2-pair pairing, 18 ecMul and 18 ecAdd (calculateD 9 + 9, calculateF 5 + 5,
 * calculateE 1 + 0, checkPairing 3 + 4), whatever the public-input count: the public inputs enter
 * through field arithmetic (Lagrange evaluations), not through curve operations.
 */
export const PLONK_PRECOMPILES = { ecMul: 18, ecAdd: 18, pairs: 2 } as const;

export function precompileFloor(c: { ecMul: number; ecAdd: number; pairs: number }): number {
  const p = PRECOMPILE_GAS;
  return p.pairingBase + c.pairs * p.pairingPerPair + c.ecMul * p.ecMul + c.ecAdd * p.ecAdd;
}

interface StructLog {
  op: string;
  depth: number;
  gas: number;
  stack?: string[];
}

interface TraceProvider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

const asAddress = (word: string) =>
  "0x" +
  BigInt("0x" + word.replace(/^0x/, ""))
    .toString(16)
    .padStart(40, "0");

/**
 * Gas used by each STATICCALL the transaction's top-level contract made (the call's own cost:
 * access and memory, plus everything the callee used), keyed by lower-case callee address, and the
 * precompile calls made anywhere in the transaction (ecAdd 0x06, ecMul 0x07, pairing 0x08 with its
 * pair count from the input size).
 */
export async function traceCalls(
  provider: TraceProvider,
  txHash: string,
): Promise<{ calls: Record<string, number>; precompiles: { ecAdd: number; ecMul: number; pairs: number } }> {
  const trace = (await provider.send("debug_traceTransaction", [
    txHash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs: StructLog[] };
  const logs = trace.structLogs;
  const calls: Record<string, number> = {};
  const precompiles = { ecAdd: 0, ecMul: 0, pairs: 0 };
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i];
    if (l.op !== "STATICCALL" || !l.stack) continue;
    const s = l.stack;
    const to = asAddress(s[s.length - 2]);
    const target = BigInt(to);
    if (target === 6n) precompiles.ecAdd++;
    else if (target === 7n) precompiles.ecMul++;
    else if (target === 8n) precompiles.pairs += Number(BigInt("0x" + s[s.length - 4].replace(/^0x/, ""))) / 192;
    if (l.depth !== 1) continue;
    let j = i + 1;
    while (j < logs.length && logs[j].depth !== l.depth) j++;
    if (j < logs.length) calls[to] = (calls[to] ?? 0) + (l.gas - logs[j].gas);
  }
  return { calls, precompiles };
}
