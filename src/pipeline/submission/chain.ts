/**
 * AnchorClient over ethers v6: the typed StateAnchor of src/anchor/contract.ts and the submitting signer. Reverts become RevertError with the decoded custom error.
 */
import type { Provider, Signer } from "ethers";
import { UsageError } from "../../errors";
import { readAnchorState, stateAnchorAt, type StateAnchor } from "../../anchor/contract";
import { decodeAnchorError } from "../../anchor/errors";
import {
  RevertError,
  type AnchorClient,
  type AnchorState,
  type AttestCall,
  type SentTx,
  type SuggestedFees,
  type TxFees,
  type TxReceiptInfo,
} from "../types";

function asRevert(err: unknown): unknown {
  const decoded = decodeAnchorError(err);
  if (decoded)
    return new RevertError({ name: decoded.name, args: Object.values(decoded.args), detail: decoded.message });
  const e = err as { code?: string; shortMessage?: string; message?: string };
  if (e?.code === "CALL_EXCEPTION")
    return new RevertError({ args: [], detail: e.shortMessage ?? e.message ?? "execution reverted" });
  if (
    typeof e?.message === "string" &&
    /reverted|revert/i.test(e.message) &&
    !/socket|timeout|ECONN/i.test(e.message)
  ) {
    return new RevertError({ args: [], detail: e.message.split("\n")[0] });
  }
  return err;
}

export class EthersAnchorClient implements AnchorClient {
  private readonly contract: StateAnchor;
  private from?: string;

  constructor(
    readonly address: string,
    private readonly signer: Signer,
    private readonly provider: Provider = signer.provider as Provider,
  ) {
    if (!this.provider) throw new UsageError("the signer has no provider", "connect it: signer.connect(provider)");
    this.contract = stateAnchorAt(address, signer);
  }

  private async sender(): Promise<string> {
    return (this.from ??= await this.signer.getAddress());
  }

  private args(call: AttestCall) {
    return [call.policyId, call.expectedNonce, call.batch, call.policyProof, call.zkvmProof] as const;
  }

  async readState(): Promise<AnchorState> {
    return readAnchorState(this.address, this.provider);
  }

  async preflight(call: AttestCall): Promise<void> {
    try {
      await this.contract.attest.staticCall(...this.args(call), { from: await this.sender() });
    } catch (err) {
      throw asRevert(err);
    }
  }

  async send(call: AttestCall, accountNonce: number, fees?: TxFees): Promise<SentTx> {
    const overrides: Record<string, unknown> = { nonce: accountNonce, ...fees };
    try {
      const tx = await this.contract.attest(...this.args(call), overrides);
      // The fees the transaction actually carries (ethers fills them in when `fees` is absent).
      const used: TxFees | undefined =
        tx.maxFeePerGas != null && tx.maxPriorityFeePerGas != null
          ? { maxFeePerGas: BigInt(tx.maxFeePerGas), maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas) }
          : tx.gasPrice != null
            ? { gasPrice: BigInt(tx.gasPrice) }
            : undefined;
      return { hash: tx.hash as string, fees: used };
    } catch (err) {
      throw asRevert(err);
    }
  }

  async suggestedFees(): Promise<SuggestedFees> {
    const f = await this.provider.getFeeData();
    return { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas, gasPrice: f.gasPrice };
  }

  async accountNonce(tag: "latest" | "pending"): Promise<number> {
    return this.provider.getTransactionCount(await this.sender(), tag);
  }

  async receipt(hash: string): Promise<TxReceiptInfo | null> {
    const r = await this.provider.getTransactionReceipt(hash);
    if (!r) return null;
    return { hash, blockNumber: r.blockNumber, status: r.status ?? 0, gasUsed: r.gasUsed };
  }

  async blockNumber(): Promise<number> {
    return this.provider.getBlockNumber();
  }
}
