/**
 * The StateAnchor ABI, generated from the compiled artifact (src/anchor/generated/StateAnchor.abi.json,
 * rewritten by every `hardhat compile`: tasks/abi.ts), so src/ needs no build output at run time and
 * never carries a hand-written ABI. test/anchor/mirror.test.ts checks it is the artifact's.
 */
import type { InterfaceAbi } from "ethers";
import generated from "./generated/StateAnchor.abi.json";

export const STATE_ANCHOR_ABI: InterfaceAbi = generated.abi as InterfaceAbi;

/** Policy lifecycle, as the contract's PolicyStatus enum. */
export const POLICY_STATUS = ["Unknown", "Scheduled", "Active", "Retired"] as const;
export type PolicyStatusName = (typeof POLICY_STATUS)[number];
