/**
 * Deploys (or reuses) the generated verifiers of a build profile and a StateAnchor, registers the loan
 * policy, grants roles and writes deployments/<network>.json. Re-running reuses everything whose code is
 * still at the recorded address (code hash compared) and still matches the current build.
 * Used by the `anchor:deploy` task, the pipeline and the tests: it never prints (pass a logger).
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { assertFieldElement } from "../field";
import { circuitPaths, manifestPath, REPO_ROOT, type Profile } from "../paths";
import { anchorDomain, genesisRoot } from "./state";

export const DEPLOYMENT_FORMAT = "zkla-deployment/1";

export interface DeployOptions {
  profile: Profile;
  /** Policy threshold (approve iff score <= threshold). */
  threshold: bigint;
  /** Accounts granted SUBMITTER_ROLE (default: the deployer). */
  submitters?: string[];
  /** Guest method ID (default: loanGuest().methodId from src/zkvm). */
  methodId?: bigint;
  /** Policy scheduling delay in seconds (default 0). */
  policyDelay?: bigint;
  /** Default-admin transfer delay in seconds (default 0 on dev chains, 1 day elsewhere). */
  adminDelay?: bigint;
  /** Run hardhat-verify for every contract (skipped on the in-process network). */
  verify?: boolean;
  /** Deployment manifest file (default deployments/<network>.json under `root`). */
  outFile?: string;
  /** Repository root holding build/ and circuits/registry.json (default: this repository). */
  root?: string;
  /** Contract names of the verifiers (default: the generated PolicyVerifier<Profile> / ZkvmVerifier<Profile>). */
  verifierContracts?: { policy: string; zkvm: string };
}

export type Logger = (message: string) => void;

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
  policies: DeployedPolicy[];
  roles: RoleGrant[];
  verification: Record<string, string>;
}

const ROLES = {
  SUBMITTER_ROLE: keccak256(Buffer.from("SUBMITTER_ROLE")),
  POLICY_ADMIN_ROLE: keccak256(Buffer.from("POLICY_ADMIN_ROLE")),
  PAUSER_ROLE: keccak256(Buffer.from("PAUSER_ROLE")),
};

function capitalize(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

/** Contract name of a generated verifier: PolicyVerifierTest, ZkvmVerifierProduction, ... */
export function verifierContractName(circuit: "policy" | "zkvm", profile: Profile): string {
  return `${circuit === "policy" ? "PolicyVerifier" : "ZkvmVerifier"}${capitalize(profile)}`;
}

/** The policy batch size N of `profile` from circuits/registry.json. */
export function registryBatchSize(profile: Profile, root = REPO_ROOT): number {
  const registry = JSON.parse(fs.readFileSync(path.join(root, "circuits", "registry.json"), "utf8")) as {
    circuits: { policy: { params: Record<string, { N: number }> } };
  };
  const n = registry.circuits.policy.params[profile]?.N;
  if (!Number.isInteger(n))
    throw new Error(`circuits/registry.json has no policy batch size N for profile "${profile}"`);
  return n;
}

/** The loan guest's method ID from src/zkvm (loaded lazily: the zkVM layer is only needed here). */
export function loanGuestMethodId(): bigint {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zkvm = require("../zkvm") as { loanGuest?: () => { methodId: bigint } };
  if (typeof zkvm.loanGuest !== "function")
    throw new Error("src/zkvm does not export loanGuest(): pass methodId explicitly");
  return zkvm.loanGuest().methodId;
}

function readHashed(file: string, what: string, profile: Profile): { hash: string; bytes: Buffer } {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${what} not found at ${file}: build the circuits first (npx hardhat circuits:build --profile ${profile})`,
    );
  }
  const bytes = fs.readFileSync(file);
  return { hash: keccak256(bytes), bytes };
}

/**
 * The key set circuits:build wrote for this build (build/<profile>/keyset; keysets/<profile> when the
 * committed copy has the same id), if its vkeys are the deployed ones (keccak256 by circuit).
 */
function keySetRef(profile: Profile, root: string, vkeys: Record<string, string>): DeploymentManifest["keySet"] {
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

function readDeployment(file: string): DeploymentManifest | null {
  if (!fs.existsSync(file)) return null;
  const m = JSON.parse(fs.readFileSync(file, "utf8")) as DeploymentManifest;
  return m.format === DEPLOYMENT_FORMAT ? m : null;
}

function writeDeployment(file: string, m: DeploymentManifest): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(m, null, 2) + "\n");
  fs.renameSync(tmp, file);
}

/**
 * Deploys what is missing and returns the written deployment manifest. Throws with what to do when a
 * build output is missing.
 */
export async function deployAnchor(
  hre: HardhatRuntimeEnvironment,
  options: DeployOptions,
  log: Logger = () => {},
): Promise<DeploymentManifest> {
  const { ethers } = hre;
  const root = options.root ?? REPO_ROOT;
  const profile = options.profile;
  assertFieldElement(options.threshold, "threshold");
  const [deployer] = await ethers.getSigners();
  if (!deployer)
    throw new Error(
      `network "${hre.network.name}" has no accounts: set DEPLOYER_PRIVATE_KEY (npx hardhat vars set DEPLOYER_PRIVATE_KEY)`,
    );
  const provider = ethers.provider;
  const chainId = (await provider.getNetwork()).chainId;
  const network = hre.network.name;
  const devChain = network === "hardhat" || network === "localhost" || chainId === 31337n;
  const outFile = options.outFile ?? path.join(root, "deployments", `${network}.json`);
  const previous = readDeployment(outFile);
  const prior = previous && previous.chainId === chainId.toString() && previous.profile === profile ? previous : null;
  if (previous && !prior)
    log(`ignoring ${outFile}: it records chain ${previous.chainId} / profile ${previous.profile}`);

  const batchSize = registryBatchSize(profile, root);
  const methodId = options.methodId ?? loanGuestMethodId();
  assertFieldElement(methodId, "methodId");
  const policyVkey = readHashed(circuitPaths("policy", profile, root).vkey, "policy verification key", profile);
  const zkvmVkey = readHashed(circuitPaths("zkvm", profile, root).vkey, "zkVM verification key", profile);
  const buildManifestFile = manifestPath(profile, root);
  const buildManifestBytes = fs.existsSync(buildManifestFile) ? fs.readFileSync(buildManifestFile) : null;
  const buildManifest = buildManifestBytes
    ? (JSON.parse(buildManifestBytes.toString("utf8")) as { circuits?: Record<string, { vkey?: { hash?: string } }> })
    : null;

  async function codeHashAt(address: string): Promise<string | null> {
    const code = await provider.getCode(address);
    return code === "0x" ? null : keccak256(code);
  }

  async function deployed(
    key: keyof DeploymentManifest["contracts"],
    name: string,
    args: unknown[],
    reusable: (c: DeployedContract) => Promise<boolean>,
  ): Promise<{ record: DeployedContract; fresh: boolean }> {
    const old = prior?.contracts?.[key];
    if (old && old.contract === name && (await codeHashAt(old.address)) === old.codeHash && (await reusable(old))) {
      log(`${name}: reusing ${old.address}`);
      return { record: old, fresh: false };
    }
    let factory;
    try {
      factory = await ethers.getContractFactory(name, deployer);
    } catch (e) {
      throw new Error(
        `contract ${name} is not compiled: build the circuits for profile "${profile}" (npx hardhat circuits:build --profile ${profile}), then npx hardhat compile (${(e as Error).message})`,
      );
    }
    const contract = await factory.deploy(...args);
    const tx = contract.deploymentTransaction();
    if (!tx) throw new Error(`${name}: no deployment transaction`);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`${name}: deployment transaction ${tx.hash} failed`);
    const address = await contract.getAddress();
    const codeHash = await codeHashAt(address);
    if (!codeHash) throw new Error(`${name}: no code at ${address} after deployment`);
    log(`${name}: deployed at ${address} (tx ${tx.hash}, block ${receipt.blockNumber})`);
    return {
      record: {
        contract: name,
        address,
        txHash: tx.hash,
        blockNumber: receipt.blockNumber,
        codeHash,
        constructorArgs: args.map(String),
      },
      fresh: true,
    };
  }

  /** A generated verifier is reused only while its artifact is unchanged (a rebuild has new keys). */
  async function sameArtifact(name: string, c: DeployedContract): Promise<boolean> {
    const artifact = await hre.artifacts.readArtifact(name).catch(() => null);
    return artifact !== null && keccak256(artifact.deployedBytecode) === c.codeHash;
  }

  const policyName = options.verifierContracts?.policy ?? verifierContractName("policy", profile);
  const zkvmName = options.verifierContracts?.zkvm ?? verifierContractName("zkvm", profile);
  const policyVerifier = await deployed("policyVerifier", policyName, [], (c) => sameArtifact(policyName, c));
  const zkvmVerifier = await deployed("zkvmVerifier", zkvmName, [], (c) => sameArtifact(zkvmName, c));

  const policyDelay = options.policyDelay ?? 0n;
  const adminDelay = options.adminDelay ?? (devChain ? 0n : 86_400n);
  const anchorArgs = [zkvmVerifier.record.address, deployer.address, adminDelay, policyDelay];
  const anchorDeployment = await deployed("stateAnchor", "StateAnchor", anchorArgs, async (c) => {
    if (zkvmVerifier.fresh) return false;
    const a = await ethers.getContractAt("StateAnchor", c.address);
    return (await a.zkvmVerifier()) === zkvmVerifier.record.address;
  });
  const anchor = await ethers.getContractAt("StateAnchor", anchorDeployment.record.address, deployer);

  // Policy: reuse the recorded one while the anchor holds it with the same parameters.
  const vkeyHash = policyVkey.hash;
  const policies: DeployedPolicy[] = [];
  let current: DeployedPolicy | undefined;
  if (!anchorDeployment.fresh && prior) {
    for (const p of prior.policies ?? []) {
      const onChain = await anchor.policy(BigInt(p.policyId)).catch(() => null);
      if (!onChain) continue;
      policies.push(p);
      const matches =
        onChain.verifier === policyVerifier.record.address &&
        onChain.methodId === methodId &&
        onChain.threshold === options.threshold &&
        Number(onChain.batchSize) === batchSize &&
        onChain.vkeyHash === vkeyHash &&
        Number(onChain.retiredFrom) === 0;
      if (matches) current = p;
    }
  }
  const policyAdminRole = await anchor.POLICY_ADMIN_ROLE();
  const roles: RoleGrant[] = [];
  async function grant(role: string, roleName: string, account: string): Promise<void> {
    if (await anchor.hasRole(role, account)) {
      const old = prior?.roles?.find((r) => r.role === roleName && r.account === account);
      roles.push(old ?? { role: roleName, account, txHash: null, blockNumber: null });
      return;
    }
    const tx = await anchor.grantRole(role, account);
    const receipt = await tx.wait();
    log(`granted ${roleName} to ${account} (tx ${tx.hash})`);
    roles.push({ role: roleName, account, txHash: tx.hash, blockNumber: receipt?.blockNumber ?? null });
  }
  await grant(policyAdminRole, "POLICY_ADMIN_ROLE", deployer.address);
  await grant(ROLES.PAUSER_ROLE, "PAUSER_ROLE", deployer.address);
  for (const s of options.submitters?.length ? options.submitters : [deployer.address]) {
    await grant(ROLES.SUBMITTER_ROLE, "SUBMITTER_ROLE", ethers.getAddress(s));
  }

  if (current) {
    log(`policy ${current.policyId}: reusing (method ${methodId}, threshold ${options.threshold})`);
  } else {
    const tx = await anchor.schedulePolicy(
      policyVerifier.record.address,
      vkeyHash,
      batchSize,
      methodId,
      options.threshold,
    );
    const receipt = await tx.wait();
    if (!receipt) throw new Error(`schedulePolicy transaction ${tx.hash} has no receipt`);
    const event = receipt.logs
      .map((l) => {
        try {
          return anchor.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === "PolicyScheduled");
    if (!event) throw new Error(`schedulePolicy transaction ${tx.hash} emitted no PolicyScheduled event`);
    current = {
      policyId: event.args.policyId.toString(),
      verifier: policyVerifier.record.address,
      batchSize,
      methodId: methodId.toString(),
      threshold: options.threshold.toString(),
      vkeyHash,
      activeFrom: Number(event.args.activeFrom),
      txHash: tx.hash,
      blockNumber: receipt.blockNumber,
    };
    policies.push(current);
    log(`policy ${current.policyId}: scheduled (active from ${current.activeFrom}, tx ${tx.hash})`);
  }

  const domain = await anchor.domain();
  const solidity = hre.config.solidity.compilers[0];
  const manifest: DeploymentManifest = {
    format: DEPLOYMENT_FORMAT,
    network,
    chainId: chainId.toString(),
    profile,
    deployer: deployer.address,
    compiler: {
      solc: solidity.version,
      optimizer: solidity.settings?.optimizer,
      evmVersion: solidity.settings?.evmVersion,
    },
    build: {
      manifest: path.relative(root, buildManifestFile),
      manifestHash: buildManifestBytes ? keccak256(buildManifestBytes) : null,
      circuits: {
        policy: {
          vkeyFile: path.relative(root, circuitPaths("policy", profile, root).vkey),
          vkeyHash,
          buildVkeyHash: buildManifest?.circuits?.policy?.vkey?.hash ?? null,
          verifierContract: policyName,
        },
        zkvm: {
          vkeyFile: path.relative(root, circuitPaths("zkvm", profile, root).vkey),
          vkeyHash: zkvmVkey.hash,
          buildVkeyHash: buildManifest?.circuits?.zkvm?.vkey?.hash ?? null,
          verifierContract: zkvmName,
        },
      },
    },
    methodIds: { loan: methodId.toString() },
    keySet: keySetRef(profile, root, { policy: vkeyHash, zkvm: zkvmVkey.hash }),
    contracts: {
      policyVerifier: policyVerifier.record,
      zkvmVerifier: zkvmVerifier.record,
      stateAnchor: anchorDeployment.record,
    },
    anchor: {
      domain: domain.toString(),
      genesisRoot: genesisRoot(anchorDomain(chainId, anchorDeployment.record.address)).toString(),
      policyDelay: (await anchor.policyDelay()).toString(),
      adminDelay: (await anchor.defaultAdminDelay()).toString(),
      admin: await anchor.defaultAdmin(),
    },
    policies,
    roles,
    verification: { ...(prior?.verification ?? {}) },
  };
  writeDeployment(outFile, manifest);
  log(`wrote ${outFile}`);

  if (options.verify) {
    if (network === "hardhat") {
      log("--verify skipped: the in-process network has no explorer");
    } else {
      for (const [key, c] of Object.entries(manifest.contracts)) {
        try {
          await hre.run("verify:verify", { address: c.address, constructorArguments: c.constructorArgs });
          manifest.verification[key] = "verified";
        } catch (e) {
          const msg = (e as Error).message;
          manifest.verification[key] = /already verified/i.test(msg) ? "verified" : `failed: ${msg.split("\n")[0]}`;
        }
        log(`verify ${c.contract} at ${c.address}: ${manifest.verification[key]}`);
      }
      writeDeployment(outFile, manifest);
    }
  }
  return manifest;
}
