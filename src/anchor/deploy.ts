/**
 * Deploys (or reuses) the generated verifiers of a build profile and a StateAnchor, grants roles,
 * registers the loan policy and writes deployments/<network>.json, through Hardhat Ignition modules
 * (src/anchor/deploy/modules.ts) whose journal makes a re-run send nothing new. Before anything is sent
 * the parameters are checked against the build (src/anchor/deploy/checks.ts). See docs/deployment.md.
 * Used by the `anchor:deploy` task, the demo and the tests: it never prints (pass a logger).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getAddress, keccak256 } from "ethers";
import type { Artifact, HardhatRuntimeEnvironment } from "hardhat/types";
import { UsageError, ZklaError } from "../errors";
import { assertFieldElement } from "../field";
import { circuitPaths, manifestPath, REPO_ROOT, type Profile } from "../paths";
import {
  builtPolicy,
  checkBatchSize,
  checkBuiltVerifier,
  checkMethodId,
  checkThreshold,
  DAY,
  isDevChain,
  policyDelayFor,
  shown,
} from "./deploy/checks";
import { readJournal, storedArtifact, type FutureRecord, type Journal } from "./deploy/journal";
import {
  buildModules,
  generation,
  runIgnition,
  shortHash,
  VERIFIERS_MODULE,
  type IgnitionPlan,
} from "./deploy/modules";
import { deploymentNetworkMismatch } from "./deploy/network";
import { anchorDomain, genesisRoot } from "./state";

export { assertDeploymentNetwork, deploymentNetworkMismatch } from "./deploy/network";
export { isDevChain } from "./deploy/checks";
export {
  DEPLOYMENT_FORMAT,
  readDeployment,
  type DeployedContract,
  type DeployedPolicy,
  type DeploymentManifest,
  type RoleGrant,
} from "./deploy/manifest";
import {
  DEPLOYMENT_FORMAT,
  keySetRef,
  previousDeployment,
  writeDeployment,
  type DeployedContract,
  type DeployedPolicy,
  type DeploymentManifest,
  type RoleGrant,
} from "./deploy/manifest";

export interface DeployOptions {
  profile: Profile;
  /** Policy threshold (approve iff score <= threshold); below 2^SCORE_BITS of the built policy circuit. */
  threshold: bigint;
  /** Accounts granted SUBMITTER_ROLE (default: the deployer). */
  submitters?: string[];
  /** Guest method ID (default: loanGuest().methodId from src/zkvm); must be a guest's of guests/*.asm unless allowUnknownGuest. */
  methodId?: bigint;
  /** Register an explicit methodId that is no guest's of this repository (the audit fails on it). */
  allowUnknownGuest?: boolean;
  /** Policy batch size; must equal the built policy circuit's N (the default). */
  batchSize?: number;
  /** Policy scheduling delay in seconds (default 0 on development chains, 1 day elsewhere). */
  policyDelay?: bigint;
  /** Default-admin transfer delay in seconds (default 0 on development chains, 1 day elsewhere). */
  adminDelay?: bigint;
  /** Blocks Ignition waits for after each transaction (default: Ignition's, 5; 1 on an automining node). */
  confirmations?: number;
  /** Ignition deployment id (journal ignition/deployments/<id>); default <network>-<chainId>. */
  deploymentId?: string;
  /** Ignition deployment folder, overriding deploymentId's (in-process network: a temporary one per outFile, for the process's life). */
  journalDir?: string;
  /** Run hardhat-verify for every contract (skipped on the in-process network). */
  verify?: boolean;
  /** Deployment manifest file (default deployments/<network>.json under `root`). */
  outFile?: string;
  /** Repository root holding build/, circuits/registry.json and guests/ (default: this repository). */
  root?: string;
  /** Contract names of the verifiers (default: the generated PolicyVerifier<Profile> / ZkvmVerifier<Profile>). */
  verifierContracts?: { policy: string; zkvm: string };
  /** Tests with mock verifiers only: skip the check that the verifiers are generated from this build's keys. */
  skipVerifierCheck?: boolean;
}

export type Logger = (message: string) => void;

/** What one deployAnchorRun did, for the CLI. */
export interface DeployRun {
  manifest: DeploymentManifest;
  file: string;
  /** Ignition futures that sent a transaction in this run (none when everything was reused). */
  sent: { future: string; txHash: string }[];
  warnings: string[];
}

const ROLE_NAMES = ["POLICY_ADMIN_ROLE", "PAUSER_ROLE", "SUBMITTER_ROLE"] as const;
const roleHash = (name: string) => keccak256(Buffer.from(name));

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
    throw new UsageError(
      `${what} not found at ${file}: build the circuits first (npx hardhat circuits:build --profile ${profile})`,
    );
  }
  const bytes = fs.readFileSync(file);
  return { hash: keccak256(bytes), bytes };
}

let inProcessRoot: string | undefined;
/**
 * The journal of a deployment on the in-process network: a temporary folder that lives as long as the
 * process, hence as the chain (removed at exit), one per deployments file. Ignition itself keeps none
 * there (hre.ignition); this one lets a re-run in the same process (a test, a script) reuse, like
 * any other network's journal, while a new process deploys afresh.
 */
function inProcessJournal(outFile: string): string {
  if (!inProcessRoot) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-ignition-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    inProcessRoot = dir;
  }
  return path.join(inProcessRoot, shortHash([outFile]));
}

const sameAddress = (a: unknown, b: unknown) => String(a).toLowerCase() === String(b).toLowerCase();

/**
 * Deploys what is missing and returns the written deployment manifest. Throws a UsageError saying what
 * to do when the parameters do not fit the build, or a build output is missing, before sending anything.
 */
export async function deployAnchor(
  hre: HardhatRuntimeEnvironment,
  options: DeployOptions,
  log: Logger = () => {},
): Promise<DeploymentManifest> {
  return (await deployAnchorRun(hre, options, log)).manifest;
}

/** deployAnchor, with what the run sent and warned about (the CLI's summary). */
export async function deployAnchorRun(
  hre: HardhatRuntimeEnvironment,
  options: DeployOptions,
  log: Logger = () => {},
): Promise<DeployRun> {
  const { ethers } = hre;
  const root = options.root ?? REPO_ROOT;
  const profile = options.profile;
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log(w);
  };
  assertFieldElement(options.threshold, "threshold");
  const [deployer] = await ethers.getSigners();
  if (!deployer)
    throw new UsageError(
      `network "${hre.network.name}" has no accounts`,
      "set DEPLOYER_PRIVATE_KEY (npx hardhat vars set DEPLOYER_PRIVATE_KEY)",
    );
  const provider = ethers.provider;
  const chainId = (await provider.getNetwork()).chainId;
  const network = hre.network.name;
  const dev = isDevChain(network, chainId);
  const outFile = path.resolve(options.outFile ?? path.join(root, "deployments", `${network}.json`));
  const previous = previousDeployment(outFile);
  const mismatch = previous && deploymentNetworkMismatch(previous, shown(outFile, root), { network, chainId });
  if (mismatch) throw new UsageError(mismatch.message, `${mismatch.hint}, or --out <another file> to deploy here`);
  const prior = previous && previous.profile === profile ? previous : null;
  if (previous && !prior)
    log(`not reusing ${shown(outFile, root)}'s records: it was made for profile ${previous.profile}`);

  // ---- checks: nothing is sent before all of them pass ---------------------------------------
  const built = builtPolicy(profile, root);
  checkThreshold(options.threshold, built, profile);
  const batchSize = checkBatchSize(options.batchSize, built, profile);
  if (options.allowUnknownGuest && options.methodId === undefined)
    throw new UsageError("--allow-unknown-guest applies only to an explicit --method-id", "pass --method-id <id>");
  const methodId = options.methodId ?? loanGuestMethodId();
  assertFieldElement(methodId, "methodId");
  if (options.methodId !== undefined) {
    const { repoGuests } = await import("../audit/guests");
    if (!checkMethodId(methodId, repoGuests(root), options.allowUnknownGuest ?? false))
      warn(
        `warning: method ID ${methodId} is that of no guest in this repository (--allow-unknown-guest): anchor:status --strict and anchor:audit fail on this policy`,
      );
  }
  const vkeyFiles = {
    policy: circuitPaths("policy", profile, root).vkey,
    zkvm: circuitPaths("zkvm", profile, root).vkey,
  };
  const policyVkey = readHashed(vkeyFiles.policy, "policy verification key", profile);
  const zkvmVkey = readHashed(vkeyFiles.zkvm, "zkVM verification key", profile);
  const buildManifestFile = manifestPath(profile, root);
  const buildManifestBytes = fs.existsSync(buildManifestFile) ? fs.readFileSync(buildManifestFile) : null;
  const buildManifest = buildManifestBytes
    ? (JSON.parse(buildManifestBytes.toString("utf8")) as { circuits?: Record<string, { vkey?: { hash?: string } }> })
    : null;
  const names = {
    policy: options.verifierContracts?.policy ?? verifierContractName("policy", profile),
    zkvm: options.verifierContracts?.zkvm ?? verifierContractName("zkvm", profile),
  };
  const compiled = async (name: string): Promise<Artifact> =>
    hre.artifacts.readArtifact(name).catch((e: Error) => {
      throw new UsageError(
        `contract ${name} is not compiled: build the circuits for profile "${profile}" (npx hardhat circuits:build --profile ${profile}), then npx hardhat compile (${e.message.split("\n")[0]})`,
      );
    });
  const artifacts = {
    policy: await compiled(names.policy),
    zkvm: await compiled(names.zkvm),
    anchor: await compiled("StateAnchor"),
  };
  if (!options.skipVerifierCheck)
    for (const circuit of ["policy", "zkvm"] as const)
      await checkBuiltVerifier(hre, { circuit, contract: names[circuit], vkeyFile: vkeyFiles[circuit], profile, root });
  const chosenPolicyDelay = policyDelayFor(options.policyDelay, network, chainId).delay;
  const chosenAdminDelay = options.adminDelay ?? (dev ? 0n : DAY);
  if (chosenPolicyDelay >= 1n << 64n) throw new UsageError(`--policy-delay ${chosenPolicyDelay} does not fit 64 bits`);
  if (chosenAdminDelay >= 1n << 48n) throw new UsageError(`--admin-delay ${chosenAdminDelay} does not fit 48 bits`);
  const submitters = (options.submitters?.length ? options.submitters : [deployer.address]).map((s) => {
    try {
      return getAddress(s);
    } catch {
      throw new UsageError(`--submitter ${s} is not an address`, "pass 0x-prefixed 20-byte addresses, comma-separated");
    }
  });

  // ---- the Ignition journal -------------------------------------------------------------------
  const deploymentId = options.deploymentId ?? `${network}-${chainId}`;
  if (!/^[a-zA-Z][a-zA-Z0-9_-]*$/.test(deploymentId))
    throw new UsageError(
      `--deployment-id "${deploymentId}" is not an Ignition deployment id`,
      "use letters, digits, - and _, starting with a letter",
    );
  const ephemeral = options.journalDir === undefined && network === "hardhat";
  const journalDir = path.resolve(
    options.journalDir ??
      (ephemeral
        ? inProcessJournal(outFile)
        : path.join(
            options.root ? path.join(root, "ignition") : hre.config.paths.ignition,
            "deployments",
            deploymentId,
          )),
  );
  const code = new Map<string, Promise<string>>();
  const codeAt = (address: string) => {
    const key = address.toLowerCase();
    if (!code.has(key)) code.set(key, provider.getCode(address));
    return code.get(key)!;
  };
  let journal: Journal = readJournal(journalDir);
  const deployedBefore = [...journal.values()].filter((f) => f.kind === "deployment" && f.complete && f.address);
  if (deployedBefore.length) {
    const present = await Promise.all(deployedBefore.map(async (f) => (await codeAt(f.address!)) !== "0x"));
    if (!present.some(Boolean)) {
      if (!dev)
        throw new UsageError(
          `the Ignition journal ${shown(journalDir, root)} records ${deployedBefore.length} contracts on chain ${chainId}, none of which has code on the node of --network ${network}`,
          `is its RPC URL another node with the same chain id (a rehearsal)? Pass --deployment-id <new id> for a separate deployment there, or remove ${shown(journalDir, root)} if that chain was reset`,
        );
      log(`the node has none of the contracts of ${shown(journalDir, root)} (restarted?): starting a new journal`);
      fs.rmSync(journalDir, { recursive: true, force: true });
      journal = new Map();
    }
  }
  const recorded = (id: string): FutureRecord | undefined => journal.get(id);

  // Verifiers: one future per compiled creation code; a recorded one is reused while its code is there.
  const pickVerifier = async (prefix: string, artifact: Artifact) => {
    const runtime = keccak256(artifact.deployedBytecode);
    for (let g = 1; ; g++) {
      const id = generation(`${prefix}_${shortHash(artifact.bytecode)}`, g);
      const f = recorded(`${VERIFIERS_MODULE}#${id}`);
      if (!f?.complete || !f.address) return { id, address: undefined };
      const c = await codeAt(f.address);
      if (c !== "0x" && keccak256(c) === runtime) return { id, address: getAddress(f.address) };
      log(`${artifact.contractName}: no longer at ${f.address} (${id}): deploying it again`);
    }
  };
  const pv = await pickVerifier("PolicyVerifier", artifacts.policy);
  const zv = await pickVerifier("ZkvmVerifier", artifacts.zkvm);

  // The anchor: one module per zkVM verifier future; a recorded anchor is reused while its code is there.
  let anchorModuleId = "";
  let anchorRecord: FutureRecord | undefined;
  for (let g = 1; ; g++) {
    anchorModuleId = generation(`ZklaAnchor_${zv.id}`, g);
    anchorRecord = recorded(`${anchorModuleId}#StateAnchor`);
    if (!anchorRecord?.complete || !anchorRecord.address) break;
    const c = await codeAt(anchorRecord.address);
    const priorRecord = prior?.contracts?.stateAnchor;
    const valid =
      c !== "0x" &&
      zv.address !== undefined &&
      (!priorRecord ||
        !sameAddress(priorRecord.address, anchorRecord.address) ||
        keccak256(c) === priorRecord.codeHash) &&
      sameAddress(
        await ethers.getContractAt("StateAnchor", anchorRecord.address).then((a) => a.zkvmVerifier()),
        zv.address,
      );
    if (valid) break;
    log(`StateAnchor: no longer at ${anchorRecord.address} (${anchorModuleId}): deploying a new one`);
  }
  const anchorAddress = anchorRecord?.complete && anchorRecord.address ? getAddress(anchorRecord.address) : undefined;
  const existing = anchorAddress ? await ethers.getContractAt("StateAnchor", anchorAddress) : undefined;
  // Constructor parameters of a recorded anchor are its own (Ignition reconciles them); options apply to a new one.
  const [admin, adminDelay, policyDelay] = anchorRecord?.constructorArgs
    ? [
        String(anchorRecord.constructorArgs[1]),
        BigInt(anchorRecord.constructorArgs[2] as bigint),
        BigInt(anchorRecord.constructorArgs[3] as bigint),
      ]
    : [deployer.address, chosenAdminDelay, chosenPolicyDelay];
  const anchorArtifact =
    (storedArtifact(journalDir, `${anchorModuleId}#StateAnchor`) as Artifact | undefined) ?? artifacts.anchor;
  const effectivePolicyDelay = existing ? BigInt(await existing.policyDelay()) : policyDelay;
  if (existing && options.policyDelay !== undefined && options.policyDelay !== effectivePolicyDelay)
    warn(
      `warning: --policy-delay ${options.policyDelay} is not applied: the anchor at ${anchorAddress} keeps its policy delay ${effectivePolicyDelay} s (its default admin changes it with setPolicyDelay)`,
    );
  if (existing && options.adminDelay !== undefined && options.adminDelay !== BigInt(await existing.defaultAdminDelay()))
    warn(
      `warning: --admin-delay ${options.adminDelay} is not applied: the anchor at ${anchorAddress} keeps its admin delay ${await existing.defaultAdminDelay()} s (changeDefaultAdminDelay changes it)`,
    );
  const delayWarning = policyDelayFor(effectivePolicyDelay, network, chainId).warning;
  if (delayWarning) warn(delayWarning);

  // Roles: a grant already in the journal stays; a role the account holds otherwise is not granted again.
  const wanted: [string, string][] = [
    ["POLICY_ADMIN_ROLE", deployer.address],
    ["PAUSER_ROLE", deployer.address],
    ...submitters.map((s): [string, string] => ["SUBMITTER_ROLE", s]),
  ].filter(([r, a], i, all) => all.findIndex(([r2, a2]) => r2 === r && a2 === a) === i) as [string, string][];
  const grants: IgnitionPlan["anchor"]["grants"] = [];
  for (const [role, account] of wanted) {
    const id = `grant_${role}_${account}`;
    const held = existing && (await existing.hasRole(roleHash(role), account));
    if (recorded(`${anchorModuleId}#${id}`) || !held) grants.push({ id, role: roleHash(role), account });
  }
  const toSend = grants.filter((g) => !recorded(`${anchorModuleId}#${g.id}`)?.complete);
  if (existing && toSend.length && !(await existing.hasRole(ethers.ZeroHash, deployer.address)))
    throw new UsageError(
      `the deployer ${deployer.address} is not the default admin of the anchor at ${anchorAddress} (${await existing.defaultAdmin()} is), so it cannot grant ${toSend.map((g) => ROLE_NAMES.find((r) => roleHash(r) === g.role)).join(", ")}`,
      "grant the roles from the admin account, or deploy with the admin's key",
    );

  // The policy: one module per parameter set; a recorded policy is reused while the anchor holds it unretired.
  const vkeyHash = policyVkey.hash;
  const policyBase = `ZklaPolicy_${shortHash([anchorModuleId, pv.id, vkeyHash, batchSize, methodId, options.threshold])}`;
  let policyModuleId = "";
  let reusedPolicyId: bigint | undefined;
  for (let g = 1; ; g++) {
    policyModuleId = generation(policyBase, g);
    const scheduled = recorded(`${policyModuleId}#schedulePolicy`);
    const id = recorded(`${policyModuleId}#policyId`)?.result;
    if (!scheduled?.complete || id === undefined || !existing) break;
    const p = await existing.policy(BigInt(id as bigint));
    const holds =
      sameAddress(p.verifier, pv.address) &&
      p.vkeyHash === vkeyHash &&
      Number(p.batchSize) === batchSize &&
      p.methodId === methodId &&
      p.threshold === options.threshold &&
      Number(p.retiredFrom) === 0;
    if (holds) {
      reusedPolicyId = BigInt(id as bigint);
      break;
    }
    log(`policy ${id} is retired or changed on chain: scheduling a new one`);
  }
  if (existing && reusedPolicyId === undefined) {
    const policyAdmin = await existing.hasRole(roleHash("POLICY_ADMIN_ROLE"), deployer.address);
    if (
      !policyAdmin &&
      !toSend.some((g) => g.role === roleHash("POLICY_ADMIN_ROLE") && sameAddress(g.account, deployer.address))
    )
      throw new UsageError(
        `the deployer ${deployer.address} does not hold POLICY_ADMIN_ROLE on the anchor at ${anchorAddress}, so it cannot schedule the policy`,
        "schedule it from a policy admin account, or have the admin grant the role again",
      );
  }

  // ---- Ignition -------------------------------------------------------------------------------
  const { module, parameters } = await buildModules({
    verifiers: { policy: { id: pv.id, contract: names.policy }, zkvm: { id: zv.id, contract: names.zkvm } },
    anchor: { moduleId: anchorModuleId, artifact: anchorArtifact as never, admin, adminDelay, policyDelay, grants },
    policy: { moduleId: policyModuleId, vkeyHash, batchSize, methodId, threshold: options.threshold },
  });
  await runIgnition(hre, {
    module,
    parameters,
    deploymentDir: journalDir,
    deploymentId,
    confirmations: options.confirmations,
  });
  const after = readJournal(journalDir);
  const sent = [...after.values()]
    .filter((f) => f.txHash && f.kind !== "readEventArgument" && !journal.get(f.futureId)?.complete)
    .map((f) => ({ future: f.futureId, txHash: f.txHash! }));

  // ---- the manifest ---------------------------------------------------------------------------
  const contractRecord = async (futureId: string, name: string): Promise<DeployedContract> => {
    const f = after.get(futureId);
    if (!f?.complete || !f.address || !f.txHash || f.blockNumber === undefined)
      throw new ZklaError("deploy-failed", `Ignition recorded no deployment for ${futureId} in ${journalDir}`);
    const address = getAddress(f.address);
    const c = await provider.getCode(address);
    if (c === "0x") throw new ZklaError("deploy-failed", `${name}: no code at ${address} after deployment`);
    const fresh = !journal.get(futureId)?.complete;
    log(
      fresh
        ? `${name}: deployed at ${address} (tx ${f.txHash}, block ${f.blockNumber})`
        : `${name}: reusing ${address}`,
    );
    return {
      contract: name,
      address,
      txHash: f.txHash,
      blockNumber: f.blockNumber,
      codeHash: keccak256(c),
      constructorArgs: (f.constructorArgs ?? []).map(String),
    };
  };
  const contracts = {
    policyVerifier: await contractRecord(`${VERIFIERS_MODULE}#${pv.id}`, names.policy),
    zkvmVerifier: await contractRecord(`${VERIFIERS_MODULE}#${zv.id}`, names.zkvm),
    stateAnchor: await contractRecord(`${anchorModuleId}#StateAnchor`, "StateAnchor"),
  };
  const anchor = await ethers.getContractAt("StateAnchor", contracts.stateAnchor.address);

  const roles: RoleGrant[] = [];
  for (const [role, account] of wanted) {
    const f = after.get(`${anchorModuleId}#grant_${role}_${account}`);
    if (f?.complete && f.txHash) {
      if (!journal.get(f.futureId)?.complete) log(`granted ${role} to ${account} (tx ${f.txHash})`);
      roles.push({ role, account, txHash: f.txHash, blockNumber: f.blockNumber ?? null });
    } else {
      const old = prior?.roles?.find((r) => r.role === role && r.account === account);
      roles.push(old ?? { role, account, txHash: null, blockNumber: null });
    }
  }

  const byId = new Map<string, DeployedPolicy>();
  for (const [futureId, f] of after) {
    if (!futureId.endsWith("#schedulePolicy") || !f.complete || !sameAddress(f.address, anchor.target)) continue;
    const moduleId = futureId.slice(0, -"#schedulePolicy".length);
    const id = after.get(`${moduleId}#policyId`)?.result;
    if (id === undefined || !f.args || !f.txHash) continue;
    const [verifier, hash, size, method, threshold] = f.args;
    byId.set(String(id), {
      policyId: String(id),
      verifier: getAddress(String(verifier)),
      batchSize: Number(size),
      methodId: String(method),
      threshold: String(threshold),
      vkeyHash: String(hash),
      activeFrom: Number(after.get(`${moduleId}#activeFrom`)?.result ?? 0),
      txHash: f.txHash,
      blockNumber: f.blockNumber ?? 0,
    });
  }
  // Policies the deployments file lists that this journal did not schedule: kept while the anchor holds them.
  if (prior && sameAddress(prior.contracts?.stateAnchor?.address, anchor.target))
    for (const p of prior.policies ?? []) {
      if (byId.has(p.policyId)) continue;
      const onChain = await anchor.policy(BigInt(p.policyId)).catch(() => null);
      if (onChain && sameAddress(onChain.verifier, p.verifier) && onChain.threshold === BigInt(p.threshold))
        byId.set(p.policyId, p);
    }
  const currentId = String(after.get(`${policyModuleId}#policyId`)?.result);
  const current = byId.get(currentId);
  if (!current) throw new ZklaError("deploy-failed", `Ignition recorded no policy id for ${policyModuleId}`);
  const policies = [...byId.values()]
    .filter((p) => p !== current)
    .sort((a, b) => Number(BigInt(a.policyId) - BigInt(b.policyId)))
    .concat(current);
  log(
    reusedPolicyId !== undefined
      ? `policy ${current.policyId}: reusing (method ${methodId}, threshold ${options.threshold})`
      : `policy ${current.policyId}: scheduled (active from ${current.activeFrom}, tx ${current.txHash})`,
  );

  const domain = await anchor.domain();
  const solidity = hre.config.solidity.compilers[0];
  const verification: Record<string, string> = {};
  for (const [key, c] of Object.entries(contracts))
    if (prior?.verification?.[key] && sameAddress(prior.contracts?.[key as keyof typeof contracts]?.address, c.address))
      verification[key] = prior.verification[key];
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
          vkeyFile: path.relative(root, vkeyFiles.policy),
          vkeyHash,
          buildVkeyHash: buildManifest?.circuits?.policy?.vkey?.hash ?? null,
          verifierContract: names.policy,
        },
        zkvm: {
          vkeyFile: path.relative(root, vkeyFiles.zkvm),
          vkeyHash: zkvmVkey.hash,
          buildVkeyHash: buildManifest?.circuits?.zkvm?.vkey?.hash ?? null,
          verifierContract: names.zkvm,
        },
      },
    },
    methodIds: { loan: methodId.toString() },
    keySet: keySetRef(profile, root, { policy: vkeyHash, zkvm: zkvmVkey.hash }),
    contracts,
    anchor: {
      domain: domain.toString(),
      genesisRoot: genesisRoot(anchorDomain(chainId, contracts.stateAnchor.address)).toString(),
      policyDelay: (await anchor.policyDelay()).toString(),
      adminDelay: (await anchor.defaultAdminDelay()).toString(),
      admin: await anchor.defaultAdmin(),
    },
    policies,
    roles,
    verification,
    ignition: {
      deploymentId,
      journal: ephemeral ? null : shown(journalDir, root),
      futures: {
        policyVerifier: `${VERIFIERS_MODULE}#${pv.id}`,
        zkvmVerifier: `${VERIFIERS_MODULE}#${zv.id}`,
        stateAnchor: `${anchorModuleId}#StateAnchor`,
        policy: `${policyModuleId}#schedulePolicy`,
      },
    },
  };
  writeDeployment(outFile, manifest);
  log(`wrote ${shown(outFile, root)}`);

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
  return { manifest, file: outFile, sent, warnings };
}

/** The one JSON object `anchor:deploy --json` prints: where the deployment is and what this run did. */
export function deploymentSummary(run: DeployRun) {
  const m = run.manifest;
  const p = m.policies.at(-1)!;
  return {
    network: m.network,
    chainId: m.chainId,
    profile: m.profile,
    deployer: m.deployer,
    file: run.file,
    deploymentId: m.ignition?.deploymentId ?? null,
    journal: m.ignition?.journal ?? null,
    stateAnchor: m.contracts.stateAnchor.address,
    policyVerifier: m.contracts.policyVerifier.address,
    zkvmVerifier: m.contracts.zkvmVerifier.address,
    policy: {
      policyId: p.policyId,
      threshold: p.threshold,
      methodId: p.methodId,
      batchSize: p.batchSize,
      activeFrom: p.activeFrom,
    },
    policyDelay: m.anchor.policyDelay,
    adminDelay: m.anchor.adminDelay,
    keySet: m.keySet?.id ?? null,
    sent: run.sent,
    warnings: run.warnings,
    verification: m.verification,
  };
}
