/**
 * The Solidity compiler the contracts are built with: one place for the version and the settings,
 * read by hardhat.config.ts and by the verifier audit (src/audit/verifier-code.ts), which recompiles
 * a regenerated verifier with solc-js and must get the same bytecode as the deployed one.
 */

/** Solidity compiler version; must equal the version of the npm `solc` package (hardhat.config.ts checks it). */
export const SOLC_VERSION = "0.8.28";

export interface SolcSettings {
  optimizer: { enabled: boolean; runs: number };
  evmVersion: string;
}

/** Compiler settings of every contract in contracts/ (hardhat.config.ts `solidity.settings`). */
export const SOLC_SETTINGS: Readonly<SolcSettings> = Object.freeze({
  optimizer: Object.freeze({ enabled: true, runs: 200 }),
  evmVersion: "cancun",
});
