/**
 * Typed access to a deployed StateAnchor: the ABI generated from the compiled artifact with the types
 * typechain generates from it (typechain-types, type-only: nothing of it is loaded at run time). The
 * pipeline, the audit and the API reach the contract only through here.
 */
import { Contract, Interface, type ContractRunner } from "ethers";
import type { StateAnchor } from "../../typechain-types";
import { STATE_ANCHOR_ABI } from "./abi";

export type { StateAnchor };

export const stateAnchorInterface = new Interface(STATE_ANCHOR_ABI);

/** The StateAnchor at `address`, typed; `runner` is a provider (reads) or a signer (transactions). */
export function stateAnchorAt(address: string, runner: ContractRunner): StateAnchor {
  // The one place the untyped ethers Contract meets its typechain type: both come from the same artifact.
  return new Contract(address, stateAnchorInterface, runner) as unknown as StateAnchor;
}
