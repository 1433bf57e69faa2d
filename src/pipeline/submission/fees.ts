/**
 * Fees of a replacement transaction. A transaction stuck in the mempool (fees too low for the
 * market) is replaced by one with the same account nonce: at most one of them can ever be mined,
 * so replacing never attests a batch twice. Nodes accept a replacement only when every fee field
 * rises by at least 10% (geth's default price bump); we raise by 12.5%, or to the network's current
 * suggestion when that is higher, and never above the caller's cap.
 */
import { ZklaError } from "../../errors";
import type { SuggestedFees, TxFees } from "../types";

/** Bump factor of a replacement, as numerator / 1000 (12.5% above the replaced transaction). */
export const FEE_BUMP_PER_MILLE = 1125n;

/** The replacement would cost more per gas than the configured cap: raise it or wait. */
export class FeeCapError extends ZklaError {
  constructor(
    readonly needed: bigint,
    readonly cap: bigint,
  ) {
    super(
      "fee-cap",
      `replacing the stuck transaction needs a fee of ${gwei(needed)} gwei per gas, above the cap of ${gwei(cap)} gwei: ` +
        `raise --max-fee-gwei, or wait for the network fee to fall and run again (the pending transaction may still be mined)`,
    );
  }
}

function gwei(wei: bigint): string {
  const whole = wei / 1_000_000_000n;
  const frac = (wei % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole.toString();
}

const bump = (x: bigint) => (x * FEE_BUMP_PER_MILLE + 999n) / 1000n; // rounded up
const max = (a: bigint, b: bigint | null | undefined) => (b != null && b > a ? b : a);

/**
 * Fees for a transaction replacing one sent with `replaced`: each field at least 12.5% above the
 * replaced one and at least the network's `suggested` value. EIP-1559 fees stay EIP-1559 (the
 * priority fee never exceeds the fee cap); legacy gas prices stay legacy. `capPerGas` bounds the fee
 * cap (or gas price): above it, FeeCapError.
 */
export function replacementFees(replaced: TxFees, suggested: SuggestedFees, capPerGas?: bigint): TxFees {
  let fees: TxFees;
  if ("gasPrice" in replaced) {
    fees = { gasPrice: max(bump(replaced.gasPrice), suggested.gasPrice) };
  } else {
    const maxPriorityFeePerGas = max(bump(replaced.maxPriorityFeePerGas), suggested.maxPriorityFeePerGas);
    const maxFeePerGas = max(max(bump(replaced.maxFeePerGas), suggested.maxFeePerGas), maxPriorityFeePerGas);
    fees = { maxFeePerGas, maxPriorityFeePerGas };
  }
  const perGas = "gasPrice" in fees ? fees.gasPrice : fees.maxFeePerGas;
  if (capPerGas !== undefined && perGas > capPerGas) throw new FeeCapError(perGas, capPerGas);
  return fees;
}

/** JSON form of fees (decimal strings), as the run folder stores them. */
export type StoredFees = { maxFeePerGas: string; maxPriorityFeePerGas: string } | { gasPrice: string };

export function storeFees(fees: TxFees): StoredFees {
  return "gasPrice" in fees
    ? { gasPrice: fees.gasPrice.toString() }
    : { maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() };
}

export function loadFees(stored: StoredFees): TxFees {
  return "gasPrice" in stored
    ? { gasPrice: BigInt(stored.gasPrice) }
    : { maxFeePerGas: BigInt(stored.maxFeePerGas), maxPriorityFeePerGas: BigInt(stored.maxPriorityFeePerGas) };
}
