import { ethers } from "hardhat";
import { keccak256 } from "ethers";
import type { MockVerifier, StateAnchor } from "../../typechain-types";
import { SNARK_SCALAR_FIELD } from "../../src/field";
import {
  anchorPolicySignals,
  anchorZkvmSignals,
  groth16Selector,
  plonkSelector,
  ZKVM_PUBLIC_SIGNALS,
  verifierCalldata,
  type BatchValues,
} from "../../src/anchor";

export const R = SNARK_SCALAR_FIELD;
export const METHOD_ID = 0x1234_5678_9abc_def0n;
export const THRESHOLD = 650n;
export const VKEY_HASH = keccak256(Buffer.from("policy vkey"));
export const MODE = { Accept: 0, Reject: 1, Revert: 2, ShortReturn: 3, ReturnTwo: 4 } as const;

/** A deterministic pseudo-random field element from a label. */
export function fe(label: string): bigint {
  return BigInt(keccak256(Buffer.from(label))) % R;
}

/** Batch values for batch size n with `active` active slots (a prefix) and a decision pattern. */
export function makeBatch(seed: string, n: number, active = n): BatchValues {
  const commitments = Array.from({ length: n }, (_, i) => (i < active ? fe(`${seed}/c${i}`) : 0n));
  let decisionBits = 0n;
  for (let i = 0; i < active; i++)
    if (BigInt(keccak256(Buffer.from(`${seed}/d${i}`))) & 1n) decisionBits |= 1n << BigInt(i);
  return { tapeDigest: fe(`${seed}/tape`), decisionBits, activeCount: BigInt(active), commitments };
}

export const policyProofWords = (seed: string): bigint[] => Array.from({ length: 24 }, (_, i) => fe(`${seed}/pp${i}`));
export const zkvmProofWords = (seed: string): bigint[] => Array.from({ length: 8 }, (_, i) => fe(`${seed}/zp${i}`));

export interface Fixture {
  anchor: StateAnchor;
  policyVerifier: MockVerifier;
  zkvmVerifier: MockVerifier;
  admin: Awaited<ReturnType<typeof ethers.getSigners>>[number];
  submitter: Awaited<ReturnType<typeof ethers.getSigners>>[number];
  other: Awaited<ReturnType<typeof ethers.getSigners>>[number];
  policyId: bigint;
  batchSize: number;
}

export async function deployMock(): Promise<MockVerifier> {
  const f = await ethers.getContractFactory("MockVerifier");
  const m = await f.deploy();
  await m.waitForDeployment();
  return m as unknown as MockVerifier;
}

export async function deployAnchor(zkvm: MockVerifier, adminAddress: string, policyDelay = 0n): Promise<StateAnchor> {
  const f = await ethers.getContractFactory("StateAnchor");
  const a = await f.deploy(await zkvm.getAddress(), adminAddress, 0, policyDelay);
  await a.waitForDeployment();
  return a as unknown as StateAnchor;
}

/** Anchor + mock verifiers, roles granted, one active policy of batch size `batchSize`. */
export async function anchorFixture(batchSize = 4): Promise<Fixture> {
  const [admin, submitter, other] = await ethers.getSigners();
  const policyVerifier = await deployMock();
  const zkvmVerifier = await deployMock();
  const anchor = await deployAnchor(zkvmVerifier, admin.address);
  await anchor.grantRole(await anchor.SUBMITTER_ROLE(), submitter.address);
  await anchor.grantRole(await anchor.POLICY_ADMIN_ROLE(), admin.address);
  await anchor.grantRole(await anchor.PAUSER_ROLE(), admin.address);
  await anchor.schedulePolicy(await policyVerifier.getAddress(), VKEY_HASH, batchSize, METHOD_ID, THRESHOLD);
  return { anchor, policyVerifier, zkvmVerifier, admin, submitter, other, policyId: 1n, batchSize };
}

/** Makes both mocks accept exactly the calldata the TypeScript mirror predicts for this batch. */
export async function expectProofs(
  f: Pick<Fixture, "anchor" | "policyVerifier" | "zkvmVerifier">,
  batch: BatchValues,
  pWords: bigint[],
  zWords: bigint[],
  binding: { methodId?: bigint; threshold?: bigint; domain?: bigint; prevRoot?: bigint; nonce?: bigint } = {},
): Promise<void> {
  const threshold = binding.threshold ?? THRESHOLD;
  const policyCall = verifierCalldata(
    plonkSelector(batch.commitments.length + 4),
    pWords,
    anchorPolicySignals(batch, threshold),
  );
  const zkvmCall = verifierCalldata(
    groth16Selector(ZKVM_PUBLIC_SIGNALS),
    zWords,
    anchorZkvmSignals(batch, {
      methodId: binding.methodId ?? METHOD_ID,
      domain: binding.domain ?? (await f.anchor.domain()),
      prevRoot: binding.prevRoot ?? (await f.anchor.stateRoot()),
      nonce: binding.nonce ?? (await f.anchor.nonce()),
      threshold,
    }),
  );
  await f.policyVerifier.expectInput(keccak256(policyCall));
  await f.zkvmVerifier.expectInput(keccak256(zkvmCall));
}

export interface Snapshot {
  stateRoot: bigint;
  nonce: bigint;
  decisionCount: bigint;
  nextDecisionsRoot: string;
}

export async function snapshot(anchor: StateAnchor): Promise<Snapshot> {
  const nonce = await anchor.nonce();
  return {
    stateRoot: await anchor.stateRoot(),
    nonce,
    decisionCount: await anchor.decisionCount(),
    nextDecisionsRoot: await anchor.decisionsRoot(nonce),
  };
}
