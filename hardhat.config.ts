import path from "node:path";
import { subtask, vars, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "./tasks";
// Solidity compiler version (must equal the version of the npm `solc` package, checked below) and settings,
// shared with the verifier audit (src/audit/verifier-code.ts recompiles verifiers with the same settings).
import { SOLC_SETTINGS, SOLC_VERSION } from "./src/anchor/compiler";

// Offline compilation: use the soljson shipped in the npm `solc` package instead of downloading.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solcPkg = require("solc/package.json") as { version: string };
  if (solcPkg.version !== SOLC_VERSION) {
    throw new Error(`npm solc is ${solcPkg.version} but hardhat.config.ts wants ${SOLC_VERSION}: run npm ci`);
  }
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  return { compilerPath, isSolcJs: true, version: args.solcVersion, longVersion: `${SOLC_VERSION}+commit.soljson` };
});

/** Reads a secret from Hardhat configuration variables (`npx hardhat vars set NAME`) or the environment. */
function secret(name: string): string | undefined {
  return process.env[name] ?? (vars.has(name) ? vars.get(name) : undefined);
}

const sepoliaUrl = secret("SEPOLIA_RPC_URL");
const customUrl = secret("ANCHOR_RPC_URL");
// A local node other than http://127.0.0.1:8545 (`npx hardhat vars set LOCALHOST_RPC_URL`, or the environment).
const localhostUrl = secret("LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545";
/**
 * The accounts of a remote network: DEPLOYER_PRIVATE_KEY holds one private key or several, comma-separated
 * (whitespace ignored). The first deploys (anchor:deploy's deployer, Ignition's sender); the others are
 * further signers, e.g. a submitter account of the pipeline.
 */
function privateKeys(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
}
const deployerKeys = privateKeys(secret("DEPLOYER_PRIVATE_KEY"));
// The end-to-end tests' node (test/e2e starts anvil on a loopback port); its own deployments/e2e.json.
const e2eUrl = process.env.ZKLA_E2E_RPC_URL;
const e2eKey = process.env.ZKLA_E2E_PRIVATE_KEY;

// A remote network whose URL is not configured: say what to set instead of "network doesn't exist".
const networkArg = process.argv.indexOf("--network");
const requestedNetwork = networkArg >= 0 ? process.argv[networkArg + 1] : process.env.HARDHAT_NETWORK;
const remoteUrlVar: Record<string, [string, string | undefined]> = {
  sepolia: ["SEPOLIA_RPC_URL", sepoliaUrl],
  custom: ["ANCHOR_RPC_URL", customUrl],
};
if (requestedNetwork && remoteUrlVar[requestedNetwork] && !remoteUrlVar[requestedNetwork][1]) {
  const name = remoteUrlVar[requestedNetwork][0];
  throw new Error(
    `--network ${requestedNetwork} needs an RPC URL: run \`npx hardhat vars set ${name}\` (and DEPLOYER_PRIVATE_KEY), ` +
      `or set the ${name} environment variable. See docs/deployment.md.`,
  );
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { ...SOLC_SETTINGS, optimizer: { ...SOLC_SETTINGS.optimizer } },
  },
  networks: {
    hardhat: { allowUnlimitedContractSize: false },
    localhost: { url: localhostUrl },
    // chainId: Hardhat refuses to sign for a node of another chain (a wrong SEPOLIA_RPC_URL).
    ...(sepoliaUrl ? { sepolia: { url: sepoliaUrl, chainId: 11155111, accounts: deployerKeys } } : {}),
    ...(customUrl ? { custom: { url: customUrl, accounts: deployerKeys } } : {}),
    ...(e2eUrl ? { e2e: { url: e2eUrl, accounts: e2eKey ? [e2eKey] : [] } } : {}),
  },
  etherscan: { apiKey: secret("ETHERSCAN_API_KEY") ?? "" },
  sourcify: { enabled: false },
  gasReporter: {
    enabled: process.env.REPORT_GAS !== "0",
    offline: true,
    outputFile: "gas-report.txt",
    noColors: true,
  },
  mocha: { timeout: 600_000 },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
};

export default config;
