/**
 * Typed access to a deployed StateAnchor: the ABI generated from the compiled artifact with the types
 * typechain generates from it (typechain-types, type-only: nothing of it is loaded at run time). The
 * pipeline, the audit and the API reach the contract only through here.
 */
import { Contract, Interface, type ContractRunner, type Provider } from "ethers";
import type { StateAnchor } from "../../typechain-types";
import { STATE_ANCHOR_ABI } from "./abi";

export type { StateAnchor };

export const stateAnchorInterface = new Interface(STATE_ANCHOR_ABI);

/** The StateAnchor at `address`, typed; `runner` is a provider (reads) or a signer (transactions). */
export function stateAnchorAt(address: string, runner: ContractRunner): StateAnchor {
  // The one place the untyped ethers Contract meets its typechain type: both come from the same artifact.
  return new Contract(address, stateAnchorInterface, runner) as unknown as StateAnchor;
}

export interface AnchorView {
  stateRoot: bigint;
  nonce: bigint;
  decisionCount: bigint;
  domain: bigint;
  policyCount: bigint;
  policies: {
    policyId: bigint;
    status: string;
    verifier: string;
    batchSize: number;
    methodId: bigint;
    threshold: bigint;
    activeFrom: number;
    retiredFrom: number;
  }[];
}

const STATUS = ["Unknown", "Scheduled", "Active", "Retired"];

export function anchorContract(address: string, runner: ContractRunner): StateAnchor {
  return stateAnchorAt(address, runner);
}

/** Everything anchor:status shows, read at one block. */
export async function readAnchorView(
  address: string,
  provider: Provider,
): Promise<AnchorView & { blockNumber: number }> {
  const c = anchorContract(address, provider);
  const blockTag = await provider.getBlockNumber();
  const o = { blockTag };
  const [stateRoot, nonce, decisionCount, domain, policyCount] = await Promise.all([
    c.stateRoot(o),
    c.nonce(o),
    c.decisionCount(o),
    c.domain(o),
    c.policyCount(o),
  ]);
  const policies = [];
  for (let id = 1n; id <= policyCount; id++) {
    const [p, status] = await Promise.all([c.policy(id, o), c.policyStatus(id, o)]);
    policies.push({
      policyId: id,
      status: STATUS[Number(status)] ?? String(status),
      verifier: p.verifier as string,
      batchSize: Number(p.batchSize),
      methodId: p.methodId as bigint,
      threshold: p.threshold as bigint,
      activeFrom: Number(p.activeFrom),
      retiredFrom: Number(p.retiredFrom),
    });
  }
  return { stateRoot, nonce, decisionCount, domain, policyCount, policies, blockNumber: blockTag };
}

/** The anchor's (nonce, root) at one block, read-only (no account needed). */
export async function readAnchorState(address: string, provider: Provider): Promise<{ nonce: bigint; root: bigint }> {
  const c = anchorContract(address, provider);
  const blockTag = await provider.getBlockNumber();
  const [nonce, root] = await Promise.all([c.nonce({ blockTag }), c.stateRoot({ blockTag })]);
  return { nonce: BigInt(nonce), root: BigInt(root) };
}
