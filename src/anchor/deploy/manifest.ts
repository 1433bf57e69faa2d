/**
 * The deployments file (deployments/<network>.json, docs/deployment.md): its format, the one reader, the
 * atomic writer, and the key set reference it records.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../../errors";
import { writeJsonAtomic } from "../../files";
import type { Profile } from "../../paths";

export const DEPLOYMENT_FORMAT = "zkla-deployment/1";

/** One deployed contract in the deployment manifest. */
export interface DeployedContract {
  contract: string;
  address: string;
  txHash: string;
  blockNumber: number;
  /** keccak256 of the runtime code at `address` (reuse check). */
  codeHash: string;
  constructorArgs: string[];
}

export interface DeployedPolicy {
  policyId: string;
  verifier: string;
  batchSize: number;
  methodId: string;
  threshold: string;
  /** keccak256 of the policy vkey file bytes (registered on-chain). */
  vkeyHash: string;
  activeFrom: number;
  txHash: string;
  blockNumber: number;
}

export interface RoleGrant {
  role: string;
  account: string;
  txHash: string | null;
  blockNumber: number | null;
}

/** deployments/<network>.json */
export interface DeploymentManifest {
  format: typeof DEPLOYMENT_FORMAT;
  network: string;
  chainId: string;
  profile: Profile;
  deployer: string;
  compiler: { solc: string; optimizer: unknown; evmVersion: string | undefined };
  build: {
    manifest: string;
    /** keccak256 of build/<profile>/manifest.json bytes, null when the build wrote none. */
    manifestHash: string | null;
    circuits: Record<
      string,
      { vkeyFile: string; vkeyHash: string; buildVkeyHash: string | null; verifierContract: string }
    >;
  };
  methodIds: { loan: string };
  /** The key set of this build (docs/build.md "Key sets"); null when the build wrote none or its vkeys are not the deployed ones. */
  keySet: { id: string; dir: string; devOnly: boolean } | null;
  contracts: { policyVerifier: DeployedContract; zkvmVerifier: DeployedContract; stateAnchor: DeployedContract };
  anchor: { domain: string; genesisRoot: string; policyDelay: string; adminDelay: string; admin: string };
  /** Policies of this anchor; the last one is the policy this deployment registered or reused (the pipeline's default). */
  policies: DeployedPolicy[];
  roles: RoleGrant[];
  verification: Record<string, string>;
  /** The Hardhat Ignition deployment (absent in files written before Ignition). */
  ignition?: {
    deploymentId: string;
    /** The journal folder (repository-relative when inside it); null on the in-process network (a temporary one). */
    journal: string | null;
    /** Futures of this deployment: verifiers, anchor module, policy module. */
    futures: { policyVerifier: string; zkvmVerifier: string; stateAnchor: string; policy: string };
  };
}

/**
 * The key set circuits:build wrote for this build (build/<profile>/keyset; keysets/<profile> when the
 * committed copy has the same id), if its vkeys are the deployed ones (keccak256 by circuit).
 */
export function keySetRef(profile: Profile, root: string, vkeys: Record<string, string>): DeploymentManifest["keySet"] {
  const read = (dir: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(root, dir, "keyset.json"), "utf8")) as {
        id: string;
        devOnly: boolean;
        circuits: Record<string, { vkeyKeccak256?: string }>;
      };
    } catch {
      return null;
    }
  };
  const built = read(path.join("build", profile, "keyset"));
  if (!built || Object.entries(vkeys).some(([c, h]) => built.circuits?.[c]?.vkeyKeccak256 !== h)) return null;
  const dir = read(path.join("keysets", profile))?.id === built.id ? `keysets/${profile}` : `build/${profile}/keyset`;
  return { id: built.id, dir, devOnly: built.devOnly };
}

/**
 * The deployments file at `file` (the one reader of the format): a UsageError saying what to do when it
 * is missing, not JSON, or names no StateAnchor.
 */
export function readDeployment(file: string): DeploymentManifest {
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `no deployment manifest at ${file}`,
      "deploy first (npx hardhat anchor:deploy --network <name> --threshold <t>) or pass --deployment <file>",
    );
  }
  let manifest: DeploymentManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8")) as DeploymentManifest;
  } catch (e) {
    throw new UsageError(
      `${file} is not JSON: ${(e as Error).message}`,
      "pass the deployments file anchor:deploy wrote",
    );
  }
  if (!manifest?.contracts?.stateAnchor?.address)
    throw new UsageError(`${file} names no StateAnchor`, "pass the deployments file anchor:deploy wrote");
  return manifest;
}

/** The earlier deployments file of a re-run, when there is one of this format. */
export function previousDeployment(file: string): DeploymentManifest | null {
  if (!fs.existsSync(file)) return null;
  try {
    const m = readDeployment(file);
    return m.format === DEPLOYMENT_FORMAT ? m : null;
  } catch {
    return null;
  }
}

export function writeDeployment(file: string, m: DeploymentManifest): void {
  writeJsonAtomic(file, m);
}
