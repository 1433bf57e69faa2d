/**
 * Model-based property test of StateAnchor (mock verifiers) with fast-check.
 *
 * Random sequences of valid and invalid calls (attest, schedulePolicy, scheduleRetirement, setPolicyDelay,
 * pause, unpause, grantRole, revokeRole) and time travel run on the in-process Hardhat network and, in step,
 * on a TypeScript model of the anchor. The model predicts each call's outcome (the success and its events, or
 * the custom error with its arguments, in the contract's check order) and the anchor's state; the mirror in
 * src/anchor/state.ts predicts every root. After every command:
 *
 * - the call succeeded or reverted exactly as predicted, with exactly the predicted events (an `attest` also
 *   returns the predicted root in a static call first);
 * - the nonce rose by exactly 1 if the command was a successful `attest` and did not change otherwise; the state
 *   root changed only then and equals `nextStateRoot` over `decisionsRoot` (src/anchor/state.ts);
 * - the whole readable state (root, nonce, decisionCount, every decisionsRoot, policyCount, every policy record
 *   and status, policyDelay, paused, every role of every test account, the default admin) equals the model's;
 * - a rejected call changed nothing of it.
 *
 * Valid `attest` calls have the mocks accept exactly the calldata the mirror predicts (`expectProofs`), with
 * the binding (domain, previous root, nonce) taken from the model, not from the chain. Time moves in ticks of
 * TICK seconds (`time.increase`: evm_setNextBlockTimestamp + evm_mine, an exact jump) and policy delays are
 * whole ticks, so a policy's status never depends on the few seconds blocks add by themselves.
 *
 * The seed is fixed; on failure the shrunk command list, the error, the seed and the fast-check path are printed
 * with the command that replays exactly that counterexample:
 *   ZKLA_FC_SEED=<seed> ZKLA_FC_PATH=<path> ZKLA_FC_REPLAY=<replayPath> npx hardhat test test/anchor/property.test.ts
 * ZKLA_FC_RUNS and ZKLA_FC_COMMANDS change the number of runs and the maximal commands per run.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fc, { type AsyncCommand } from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import type { MockVerifier, StateAnchor } from "../../typechain-types";
import { decisionsRoot, nextStateRoot, plonkSelector, type BatchValues } from "../../src/anchor";
import {
  METHOD_ID,
  MODE,
  R,
  THRESHOLD,
  anchorFixture,
  deployMock,
  expectProofs,
  fe,
  makeBatch,
  policyProofWords,
  zkvmProofWords,
} from "./helpers";

const DEFAULT_SEED = 20_260_521;
const DEFAULT_RUNS = 30;
const DEFAULT_COMMANDS = 20;
const SEED = Number(process.env.ZKLA_FC_SEED ?? DEFAULT_SEED);
const RUNS = Number(process.env.ZKLA_FC_RUNS ?? DEFAULT_RUNS);
const MAX_COMMANDS = Number(process.env.ZKLA_FC_COMMANDS ?? DEFAULT_COMMANDS);
const PATH = process.env.ZKLA_FC_PATH;
/** fast-check's replayPath of fc.commands (printed with a counterexample): replays the shrunk command list exactly. */
const REPLAY = process.env.ZKLA_FC_REPLAY;

/** One unit of model time, in seconds. Far larger than the seconds a run's blocks add by themselves. */
const TICK = 1800;
const U64_MAX = 2n ** 64n - 1n;
const U256_MAX = 2n ** 256n - 1n;
const STATUS = { Unknown: 0, Scheduled: 1, Active: 2, Retired: 3 } as const;

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];
type VerifierKind = "mockA" | "mockB" | "notVerifier";
type Value = bigint | number | string | boolean | Value[];

interface ModelPolicy {
  id: bigint;
  kind: VerifierKind;
  verifier: string;
  batchSize: number;
  vkeyHash: string;
  methodId: bigint;
  threshold: bigint;
  /** Exact, from the scheduling block. */
  activeFrom: bigint;
  /** Exact, from the retirement block; 0 while none is scheduled. */
  retiredFrom: bigint;
  /** Model clock (ticks) from which the policy is active / retired. */
  activeAt: number;
  retireAt: number | null;
}

interface Model {
  /** Ticks travelled in this run. */
  clock: number;
  domain: bigint;
  root: bigint;
  nonce: bigint;
  decisionCount: bigint;
  decisionsRoots: string[];
  policies: ModelPolicy[];
  delayTicks: number;
  paused: boolean;
  /** role -> lower-case addresses holding it. */
  roles: Map<string, Set<string>>;
}

interface Roles {
  DEFAULT_ADMIN: string;
  SUBMITTER: string;
  POLICY_ADMIN: string;
  PAUSER: string;
}

interface Real {
  anchor: StateAnchor;
  mockA: MockVerifier;
  mockB: MockVerifier;
  zkvm: MockVerifier;
  /** admin (default admin, policy admin, pauser), submitter, other, extra (no roles at first). */
  accounts: Signer[];
  roles: Roles;
  /** The chain state after the previous command. */
  chain: ChainState;
}

interface ExpectedEvent {
  name: string;
  args: Value[];
}

type Outcome =
  { ok: true; events: (blockTime: bigint) => ExpectedEvent[] } | { ok: false; error: string; args: Value[] };

const success = (events: (blockTime: bigint) => ExpectedEvent[] = () => []): Outcome => ({ ok: true, events });
const failure = (error: string, ...args: Value[]): Outcome => ({ ok: false, error, args });

/** Outcomes seen over all runs ("attest:ok", "attest:NonceMismatch", ...), printed after the property. */
const tally = new Map<string, number>();
let commandsRun = 0;

// ------------------------------------------------------------------ helpers

function norm(v: unknown): unknown {
  if (typeof v === "bigint" || typeof v === "number") return BigInt(v).toString();
  if (typeof v === "string") return v.toLowerCase();
  if (v && typeof v === "object" && typeof (v as { toArray?: unknown }).toArray === "function") {
    return norm((v as { toArray: () => unknown[] }).toArray()); // an ethers Result
  }
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

function show(v: unknown): string {
  return JSON.stringify(norm(v));
}

function pick<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8}/.test(o.data)) return o.data;
    for (const key of ["data", "error", "info", "cause", "revert"]) queue.push(o[key]);
  }
  return undefined;
}

function statusOf(p: ModelPolicy | undefined, clock: number): number {
  if (!p) return STATUS.Unknown;
  if (p.retireAt !== null && clock >= p.retireAt) return STATUS.Retired;
  if (clock < p.activeAt) return STATUS.Scheduled;
  return STATUS.Active;
}

function holders(m: Model, role: string, r: Real): Signer[] {
  return r.accounts.filter((a) => m.roles.get(role)!.has(a.address.toLowerCase()));
}

function nonHolders(m: Model, role: string, r: Real): Signer[] {
  return r.accounts.filter((a) => !m.roles.get(role)!.has(a.address.toLowerCase()));
}

function hasRole(m: Model, role: string, account: Signer): boolean {
  return m.roles.get(role)!.has(account.address.toLowerCase());
}

/** A caller holding `role` (or, with `without`, one lacking it), chosen by `n`; any account when there is none. */
function callerFor(m: Model, r: Real, role: string, n: number, without = false): Signer {
  const pool = without ? nonHolders(m, role, r) : holders(m, role, r);
  return pick(pool, n) ?? r.accounts[n % r.accounts.length];
}

function policyById(m: Model, id: bigint): ModelPolicy | undefined {
  return id >= 1n && id <= BigInt(m.policies.length) ? m.policies[Number(id) - 1] : undefined;
}

// ------------------------------------------------------------------ chain state vs model

interface ChainState {
  stateRoot: string;
  nonce: string;
  decisionCount: string;
  decisionsRoots: string[];
  policyCount: string;
  policies: unknown[];
  unknownStatuses: string[];
  policyDelay: string;
  paused: boolean;
  roles: string[];
  defaultAdmin: string;
}

async function readChain(r: Real): Promise<ChainState> {
  const a = r.anchor;
  const [stateRoot, nonce, decisionCount, policyCount, policyDelay, paused, defaultAdmin] = await Promise.all([
    a.stateRoot(),
    a.nonce(),
    a.decisionCount(),
    a.policyCount(),
    a.policyDelay(),
    a.paused(),
    a.defaultAdmin(),
  ]);
  const ids = Array.from({ length: Number(policyCount) }, (_, i) => BigInt(i + 1));
  const roleNames = Object.keys(r.roles) as (keyof Roles)[];
  const [policies, unknownStatuses, roles, decisionsRoots] = await Promise.all([
    Promise.all(
      ids.map(async (id) => {
        const [p, status] = await Promise.all([a.policy(id), a.policyStatus(id)]);
        return norm([
          id,
          p.verifier,
          p.batchSize,
          p.activeFrom,
          p.retiredFrom,
          p.verifierSelector,
          p.vkeyHash,
          p.methodId,
          p.threshold,
          status,
        ]);
      }),
    ),
    Promise.all([a.policyStatus(0n), a.policyStatus(policyCount + 1n)]),
    Promise.all(
      roleNames.flatMap((name) =>
        r.accounts.map(async (acc) => `${name}:${acc.address.toLowerCase()}:${await a.hasRole(r.roles[name], acc)}`),
      ),
    ),
    Promise.all(Array.from({ length: Number(nonce) + 1 }, (_, i) => a.decisionsRoot(BigInt(i)))),
  ]);
  return {
    stateRoot: stateRoot.toString(),
    nonce: nonce.toString(),
    decisionCount: decisionCount.toString(),
    decisionsRoots: decisionsRoots.map((d) => d.toLowerCase()),
    policyCount: policyCount.toString(),
    policies,
    unknownStatuses: unknownStatuses.map((s) => s.toString()),
    policyDelay: policyDelay.toString(),
    paused,
    roles,
    defaultAdmin: defaultAdmin.toLowerCase(),
  };
}

function modelChain(m: Model, r: Real): ChainState {
  const roleNames = Object.keys(r.roles) as (keyof Roles)[];
  return {
    stateRoot: m.root.toString(),
    nonce: m.nonce.toString(),
    decisionCount: m.decisionCount.toString(),
    decisionsRoots: [...m.decisionsRoots, ethers.ZeroHash].map((d) => d.toLowerCase()),
    policyCount: m.policies.length.toString(),
    policies: m.policies.map((p) =>
      norm([
        p.id,
        p.verifier,
        p.batchSize,
        p.activeFrom,
        p.retiredFrom,
        plonkSelector(p.batchSize + 4),
        p.vkeyHash,
        p.methodId,
        p.threshold,
        statusOf(p, m.clock),
      ]),
    ),
    unknownStatuses: ["0", "0"],
    policyDelay: (BigInt(m.delayTicks) * BigInt(TICK)).toString(),
    paused: m.paused,
    roles: roleNames.flatMap((name) =>
      r.accounts.map((acc) => `${name}:${acc.address.toLowerCase()}:${hasRole(m, r.roles[name], acc)}`),
    ),
    defaultAdmin: r.accounts[0].address.toLowerCase(),
  };
}

/**
 * Sends a call, checks its outcome against `expected` (events or custom error) and returns the receipt of a
 * successful call; the caller then updates the model and calls `checkState`.
 */
async function execute(
  r: Real,
  label: string,
  send: () => Promise<ContractTransactionResponse>,
  expected: Outcome,
): Promise<ContractTransactionReceipt | null> {
  let receipt: ContractTransactionReceipt | null = null;
  let error: { name: string; args: unknown } | undefined;
  try {
    receipt = await (await send()).wait();
  } catch (e) {
    const data = revertData(e);
    const parsed = data ? r.anchor.interface.parseError(data) : null;
    error = parsed
      ? { name: parsed.name, args: parsed.args }
      : { name: "<not a custom error>", args: [e instanceof Error ? e.message : String(e)] };
  }
  const command = label.split("(")[0];
  tally.set(`${command}:${error ? error.name : "ok"}`, (tally.get(`${command}:${error ? error.name : "ok"}`) ?? 0) + 1);
  if (expected.ok) {
    if (error) throw new Error(`${label}: expected success, reverted with ${error.name}${show(error.args)}`);
    const block = await ethers.provider.getBlock(receipt!.blockNumber);
    const anchorAddress = (await r.anchor.getAddress()).toLowerCase();
    const events = receipt!.logs
      .filter((l) => l.address.toLowerCase() === anchorAddress)
      .map((l) => {
        const parsed = r.anchor.interface.parseLog(l);
        return { name: parsed?.name ?? "<unknown log>", args: norm(parsed?.args ?? []) };
      });
    const want = expected.events(BigInt(block!.timestamp)).map((e) => ({ name: e.name, args: norm(e.args) }));
    expect(events, `${label}: events`).to.deep.equal(want);
  } else {
    if (!error) throw new Error(`${label}: expected ${expected.error}${show(expected.args)}, but the call succeeded`);
    expect({ name: error.name, args: norm(error.args) }, `${label}: revert`).to.deep.equal({
      name: expected.error,
      args: norm(expected.args),
    });
  }
  return receipt;
}

/** The properties checked after every command. */
async function checkState(m: Model, r: Real, label: string, rejected: boolean, attested: boolean): Promise<void> {
  commandsRun += 1;
  const before = r.chain;
  const after = await readChain(r);
  const nonceStep = BigInt(after.nonce) - BigInt(before.nonce);
  expect(nonceStep, `${label}: nonce step`).to.equal(attested ? 1n : 0n);
  if (attested) expect(after.stateRoot, `${label}: state root must move`).to.not.equal(before.stateRoot);
  else expect(after.stateRoot, `${label}: state root must not move`).to.equal(before.stateRoot);
  if (rejected) expect(after, `${label}: a rejected call changed the anchor`).to.deep.equal(before);
  expect(after, `${label}: chain differs from the model`).to.deep.equal(modelChain(m, r));
  r.chain = after;
}

// ------------------------------------------------------------------ commands

type Cmd = AsyncCommand<Model, Real>;

const ATTEST_VARIANTS = [
  "valid",
  "wrongNonce",
  "wrongBatchSize",
  "unknownPolicy",
  "inactivePolicy",
  "notInField",
  "activeCountTooHigh",
  "policyProofRejected",
  "zkvmProofRejected",
  "noRole",
] as const;
type AttestVariant = (typeof ATTEST_VARIANTS)[number];

interface AttestParams {
  variant: AttestVariant;
  caller: number;
  policy: number;
  seed: number;
  active: number;
  wildBits: boolean;
  detail: number;
}

class AttestCmd implements Cmd {
  constructor(readonly p: AttestParams) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `attest(${JSON.stringify(this.p)})`;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { variant, detail, seed } = this.p;
    const caller = callerFor(m, r, r.roles.SUBMITTER, this.p.caller, variant === "noRole");

    // Policy: an active one for most variants, a scheduled or retired one for "inactivePolicy".
    const active = m.policies.filter((p) => statusOf(p, m.clock) === STATUS.Active);
    const inactive = m.policies.filter((p) => statusOf(p, m.clock) !== STATUS.Active);
    let policyId: bigint;
    if (variant === "unknownPolicy") {
      policyId = [0n, BigInt(m.policies.length) + 1n, BigInt(m.policies.length) + 9n, U256_MAX][detail % 4];
    } else {
      const chosen = pick(variant === "inactivePolicy" ? inactive : active, this.p.policy) ?? pick(m.policies, detail);
      policyId = chosen?.id ?? BigInt(m.policies.length) + 1n;
    }
    const pol = policyById(m, policyId);
    const n = pol?.batchSize ?? 4;
    const methodId = pol?.methodId ?? METHOD_ID;
    const threshold = pol?.threshold ?? THRESHOLD;

    // Batch values.
    let len = n;
    if (variant === "wrongBatchSize") {
      len = [n - 1, n + 1, n + 3, 0][detail % 4];
      if (len === n || len < 0) len = n + 1;
    }
    const batch: BatchValues = makeBatch(`s${seed}`, len, this.p.active % (len + 1));
    if (this.p.wildBits) batch.decisionBits = fe(`s${seed}/bits`); // any field element: the proofs' business
    if (variant === "notInField") {
      const index = detail % (3 + len);
      const value = [R, R + fe(`s${seed}/alias`), U256_MAX][Math.floor(detail / 7) % 3];
      if (index === 0) batch.tapeDigest = value;
      else if (index === 1) batch.decisionBits = value;
      else if (index === 2) batch.activeCount = value;
      else batch.commitments[index - 3] = value;
    }
    if (variant === "activeCountTooHigh")
      batch.activeCount = [BigInt(n) + 1n, BigInt(n) + 2n, 2n ** 64n, R - 1n][detail % 4];
    let expectedNonce = m.nonce;
    if (variant === "wrongNonce") {
      const options = [m.nonce + 1n, m.nonce + 2n, U64_MAX, ...(m.nonce > 0n ? [m.nonce - 1n, 0n] : [])];
      expectedNonce = options[detail % options.length];
    }

    // Mocks: accept exactly the mirrored calldata, unless this variant makes one verifier reject.
    const pWords = policyProofWords(`p${seed}`);
    const zWords = zkvmProofWords(`z${seed}`);
    let sentPolicyWords = pWords;
    let sentZkvmWords = zWords;
    let mockBatch = batch;
    const binding = { methodId, threshold, domain: m.domain, prevRoot: m.root, nonce: m.nonce };
    const policyMock = pol?.kind === "mockB" ? r.mockB : r.mockA;
    let policyMode: number = MODE.Accept;
    let zkvmMode: number = MODE.Accept;
    let policyOk = pol?.kind !== "notVerifier";
    let zkvmOk = true;
    let how = "";
    if (variant === "policyProofRejected") {
      policyOk = false;
      how = ["Reject", "Revert", "ShortReturn", "ReturnTwo", "wrongWords", "wrongThreshold", "otherTape"][detail % 7];
      if (how in MODE) policyMode = MODE[how as keyof typeof MODE];
      else if (how === "wrongWords") sentPolicyWords = pWords.map((w, i) => (i === detail % 24 ? (w + 1n) % R : w));
      else if (how === "wrongThreshold") binding.threshold = threshold + 1n;
      else mockBatch = { ...batch, tapeDigest: (batch.tapeDigest + 1n) % R };
    }
    if (variant === "zkvmProofRejected") {
      zkvmOk = false;
      how = ["Reject", "Revert", "ShortReturn", "ReturnTwo", "wrongWords", "methodId", "domain", "prevRoot", "nonce"][
        detail % 9
      ];
      if (how in MODE) zkvmMode = MODE[how as keyof typeof MODE];
      else if (how === "wrongWords") sentZkvmWords = zWords.map((w, i) => (i === detail % 8 ? (w + 1n) % R : w));
      else if (how === "methodId") binding.methodId = (methodId + 1n) % R;
      else if (how === "domain") binding.domain = (m.domain + 1n) % R;
      else if (how === "prevRoot") binding.prevRoot = (m.root + 1n) % R;
      else binding.nonce = m.nonce + 1n;
    }
    await expectProofs(
      { anchor: r.anchor, policyVerifier: policyMock, zkvmVerifier: r.zkvm },
      mockBatch,
      pWords,
      zWords,
      binding,
    );
    if (policyMode !== MODE.Accept) await policyMock.setMode(policyMode);
    if (zkvmMode !== MODE.Accept) await r.zkvm.setMode(zkvmMode);

    // The model's verdict, in the contract's check order.
    const status = statusOf(pol, m.clock);
    const fieldValues = [batch.tapeDigest, batch.decisionBits, batch.activeCount, ...batch.commitments];
    const badIndex = fieldValues.findIndex((v) => v >= R);
    let outcome: Outcome;
    let dRoot = "";
    let newRoot = 0n;
    if (m.paused) outcome = failure("EnforcedPause");
    else if (!hasRole(m, r.roles.SUBMITTER, caller))
      outcome = failure("AccessControlUnauthorizedAccount", caller.address, r.roles.SUBMITTER);
    else if (status !== STATUS.Active) outcome = failure("PolicyNotActive", policyId, status);
    else if (expectedNonce !== m.nonce) outcome = failure("NonceMismatch", m.nonce, expectedNonce);
    else if (len !== n) outcome = failure("BatchSizeMismatch", policyId, n, len);
    else if (badIndex >= 0) outcome = failure("PublicInputNotInField", badIndex, fieldValues[badIndex]);
    else if (batch.activeCount > BigInt(n)) outcome = failure("ActiveCountExceedsBatchSize", batch.activeCount, n);
    else if (!policyOk) outcome = failure("PolicyProofRejected", policyId);
    else if (!zkvmOk) outcome = failure("ZkvmProofRejected", methodId);
    else {
      dRoot = decisionsRoot(policyId, m.nonce, batch.commitments, batch.decisionBits);
      newRoot = nextStateRoot({ prevRoot: m.root, nonce: m.nonce, policyId, methodId, decisionsRoot: dRoot, ...batch });
      const [nonce, prevRoot] = [m.nonce, m.root];
      outcome = success(() => [
        {
          name: "BatchAttested",
          args: [
            nonce,
            policyId,
            caller.address,
            prevRoot,
            newRoot,
            methodId,
            batch.tapeDigest,
            batch.decisionBits,
            batch.activeCount,
            dRoot,
          ],
        },
        { name: "DecisionsAttested", args: [nonce, batch.decisionBits, batch.commitments] },
      ]);
    }

    const label = `${this}${how ? ` [${how}]` : ""} as ${caller.address} on policy ${policyId}`;
    const anchor = r.anchor.connect(caller);
    try {
      if (outcome.ok) {
        const returned = await anchor.attest.staticCall(policyId, expectedNonce, batch, sentPolicyWords, sentZkvmWords);
        expect(returned, `${label}: returned root`).to.equal(newRoot);
      }
      await execute(
        r,
        label,
        () => anchor.attest(policyId, expectedNonce, batch, sentPolicyWords, sentZkvmWords),
        outcome,
      );
    } finally {
      if (policyMode !== MODE.Accept) await policyMock.setMode(MODE.Accept);
      if (zkvmMode !== MODE.Accept) await r.zkvm.setMode(MODE.Accept);
    }
    if (outcome.ok) {
      m.root = newRoot;
      m.nonce += 1n;
      m.decisionCount += batch.activeCount;
      m.decisionsRoots.push(dRoot);
    }
    await checkState(m, r, label, !outcome.ok, outcome.ok);
  }
}

const SCHEDULE_VARIANTS = [
  "valid",
  "noCode",
  "batchSizeZero",
  "batchSizeTooBig",
  "methodIdNotInField",
  "thresholdNotInField",
  "noRole",
] as const;
const BATCH_SIZES = [1, 2, 3, 4, 4, 5, 8, 16, 255, 256];

interface ScheduleParams {
  variant: (typeof SCHEDULE_VARIANTS)[number];
  caller: number;
  verifier: VerifierKind;
  size: number;
  methodId: bigint;
  threshold: bigint;
  detail: number;
}

class SchedulePolicyCmd implements Cmd {
  constructor(readonly p: ScheduleParams) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `schedulePolicy(${show(this.p)})`;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { variant, detail } = this.p;
    const caller = callerFor(m, r, r.roles.POLICY_ADMIN, this.p.caller, variant === "noRole");
    const codeAddress = {
      mockA: await r.mockA.getAddress(),
      mockB: await r.mockB.getAddress(),
      notVerifier: await r.anchor.getAddress(), // has code, answers no verifyProof: every attest is rejected
    };
    let verifier = codeAddress[this.p.verifier];
    if (variant === "noCode")
      verifier = [r.accounts[2].address, ethers.ZeroAddress, "0x000000000000000000000000000000000000dEaD"][detail % 3];
    let batchSize = BATCH_SIZES[this.p.size % BATCH_SIZES.length];
    if (variant === "batchSizeZero") batchSize = 0;
    if (variant === "batchSizeTooBig") batchSize = [257, 1000, 65535][detail % 3];
    let methodId = this.p.methodId;
    let threshold = this.p.threshold;
    const tooBig = [R, R + 1n, U256_MAX][detail % 3];
    if (variant === "methodIdNotInField") methodId = tooBig;
    if (variant === "thresholdNotInField") threshold = tooBig;
    const vkeyHash = ethers.keccak256(ethers.toUtf8Bytes(`vkey ${detail}`));

    const id = BigInt(m.policies.length) + 1n;
    const delay = BigInt(m.delayTicks * TICK);
    let outcome: Outcome;
    if (!hasRole(m, r.roles.POLICY_ADMIN, caller))
      outcome = failure("AccessControlUnauthorizedAccount", caller.address, r.roles.POLICY_ADMIN);
    else if ((await ethers.provider.getCode(verifier)) === "0x") outcome = failure("VerifierHasNoCode", verifier);
    else if (batchSize === 0 || batchSize > 256) outcome = failure("InvalidBatchSize", batchSize);
    else if (methodId >= R) outcome = failure("MethodIdNotInField", methodId);
    else if (threshold >= R) outcome = failure("ThresholdNotInField", threshold);
    else
      outcome = success((ts) => [
        { name: "PolicyScheduled", args: [id, verifier, vkeyHash, batchSize, methodId, threshold, ts + delay] },
      ]);

    const label = `${this} as ${caller.address}`;
    const receipt = await execute(
      r,
      label,
      () => r.anchor.connect(caller).schedulePolicy(verifier, vkeyHash, batchSize, methodId, threshold),
      outcome,
    );
    if (receipt) {
      const ts = BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
      m.policies.push({
        id,
        kind: this.p.verifier,
        verifier,
        batchSize,
        vkeyHash,
        methodId,
        threshold,
        activeFrom: ts + delay,
        retiredFrom: 0n,
        activeAt: m.clock + m.delayTicks,
        retireAt: null,
      });
    }
    await checkState(m, r, label, !outcome.ok, false);
  }
}

interface RetireParams {
  variant: "valid" | "unknown" | "alreadyRetiring" | "noRole";
  caller: number;
  policy: number;
}

class ScheduleRetirementCmd implements Cmd {
  constructor(readonly p: RetireParams) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `scheduleRetirement(${JSON.stringify(this.p)})`;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { variant } = this.p;
    const caller = callerFor(m, r, r.roles.POLICY_ADMIN, this.p.caller, variant === "noRole");
    const count = BigInt(m.policies.length);
    let policyId: bigint;
    if (variant === "unknown") policyId = [0n, count + 1n, U256_MAX][this.p.policy % 3];
    else {
      const retiring = m.policies.filter((p) => p.retireAt !== null);
      const notRetiring = m.policies.filter((p) => p.retireAt === null);
      const chosen =
        pick(variant === "alreadyRetiring" ? retiring : notRetiring, this.p.policy) ?? pick(m.policies, this.p.policy);
      policyId = chosen?.id ?? count + 1n;
    }
    const pol = policyById(m, policyId);
    const delay = BigInt(m.delayTicks * TICK);
    let outcome: Outcome;
    if (!hasRole(m, r.roles.POLICY_ADMIN, caller))
      outcome = failure("AccessControlUnauthorizedAccount", caller.address, r.roles.POLICY_ADMIN);
    else if (!pol) outcome = failure("UnknownPolicy", policyId);
    else if (pol.retiredFrom !== 0n) outcome = failure("PolicyAlreadyRetiring", policyId, pol.retiredFrom);
    else outcome = success((ts) => [{ name: "PolicyRetirementScheduled", args: [policyId, ts + delay] }]);

    const label = `${this} as ${caller.address} on policy ${policyId}`;
    const receipt = await execute(r, label, () => r.anchor.connect(caller).scheduleRetirement(policyId), outcome);
    if (receipt && pol) {
      const ts = BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
      pol.retiredFrom = ts + delay;
      pol.retireAt = m.clock + m.delayTicks;
    }
    await checkState(m, r, label, !outcome.ok, false);
  }
}

class SetPolicyDelayCmd implements Cmd {
  constructor(readonly p: { ticks: number; asAdmin: boolean; caller: number }) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `setPolicyDelay(${JSON.stringify(this.p)})`;
  }
  async run(m: Model, r: Real): Promise<void> {
    const caller = callerFor(m, r, r.roles.DEFAULT_ADMIN, this.p.caller, !this.p.asAdmin);
    const previous = BigInt(m.delayTicks * TICK);
    const next = BigInt(this.p.ticks * TICK);
    const outcome = hasRole(m, r.roles.DEFAULT_ADMIN, caller)
      ? success(() => [{ name: "PolicyDelayChanged", args: [previous, next] }])
      : failure("AccessControlUnauthorizedAccount", caller.address, r.roles.DEFAULT_ADMIN);
    const label = `${this} as ${caller.address}`;
    await execute(r, label, () => r.anchor.connect(caller).setPolicyDelay(next), outcome);
    if (outcome.ok) m.delayTicks = this.p.ticks;
    await checkState(m, r, label, !outcome.ok, false);
  }
}

/** `pause` or `unpause`: with `toggle` the one that changes the state, else the one that must fail. */
class PauseCmd implements Cmd {
  constructor(readonly p: { toggle: boolean; asPauser: boolean; caller: number }) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `pauseOrUnpause(${JSON.stringify(this.p)})`;
  }
  async run(m: Model, r: Real): Promise<void> {
    const caller = callerFor(m, r, r.roles.PAUSER, this.p.caller, !this.p.asPauser);
    const unpause = m.paused === this.p.toggle;
    let outcome: Outcome;
    if (!hasRole(m, r.roles.PAUSER, caller))
      outcome = failure("AccessControlUnauthorizedAccount", caller.address, r.roles.PAUSER);
    else if (!unpause && m.paused) outcome = failure("EnforcedPause");
    else if (unpause && !m.paused) outcome = failure("ExpectedPause");
    else outcome = success(() => [{ name: unpause ? "Unpaused" : "Paused", args: [caller.address] }]);
    const label = `${unpause ? "unpause" : "pause"}(${JSON.stringify(this.p)}) as ${caller.address}`;
    const anchor = r.anchor.connect(caller);
    await execute(r, label, () => (unpause ? anchor.unpause() : anchor.pause()), outcome);
    if (outcome.ok) m.paused = !unpause;
    await checkState(m, r, label, !outcome.ok, false);
  }
}

class RoleCmd implements Cmd {
  constructor(readonly p: { revoke: boolean; role: keyof Roles; account: number; asAdmin: boolean; caller: number }) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `${this.p.revoke ? "revokeRole" : "grantRole"}(${JSON.stringify(this.p)})`;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { revoke } = this.p;
    const caller = callerFor(m, r, r.roles.DEFAULT_ADMIN, this.p.caller, !this.p.asAdmin);
    const role = r.roles[this.p.role];
    const account = r.accounts[this.p.account % r.accounts.length];
    const holds = hasRole(m, role, account);
    let outcome: Outcome;
    if (role === r.roles.DEFAULT_ADMIN) outcome = failure("AccessControlEnforcedDefaultAdminRules");
    else if (!hasRole(m, r.roles.DEFAULT_ADMIN, caller))
      outcome = failure("AccessControlUnauthorizedAccount", caller.address, r.roles.DEFAULT_ADMIN);
    else if (holds === !revoke)
      outcome = success(); // nothing changes: no event
    else
      outcome = success(() => [
        { name: revoke ? "RoleRevoked" : "RoleGranted", args: [role, account.address, caller.address] },
      ]);
    const label = `${this} as ${caller.address}`;
    const anchor = r.anchor.connect(caller);
    await execute(
      r,
      label,
      () => (revoke ? anchor.revokeRole(role, account.address) : anchor.grantRole(role, account.address)),
      outcome,
    );
    if (outcome.ok) {
      if (revoke) m.roles.get(role)!.delete(account.address.toLowerCase());
      else m.roles.get(role)!.add(account.address.toLowerCase());
    }
    await checkState(m, r, label, !outcome.ok, false);
  }
}

class TimeTravelCmd implements Cmd {
  constructor(readonly ticks: number) {}
  check(): boolean {
    return true;
  }
  toString(): string {
    return `timeTravel(${this.ticks} x ${TICK} s)`;
  }
  async run(m: Model, r: Real): Promise<void> {
    await time.increase(this.ticks * TICK);
    m.clock += this.ticks;
    tally.set("timeTravel:ok", (tally.get("timeTravel:ok") ?? 0) + 1);
    await checkState(m, r, this.toString(), false, false);
  }
}

// ------------------------------------------------------------------ arbitraries

const pickArb = fc.nat({ max: 1000 });
const fieldArb = fc.oneof(fc.constant(METHOD_ID), fc.bigInt({ min: 0n, max: R - 1n }));
const thresholdArb = fc.oneof(fc.constant(THRESHOLD), fc.bigInt({ min: 0n, max: 2n ** 32n }), fc.constant(R - 1n));

const attestArb = fc
  .record({
    variant: fc.oneof(
      { weight: 6, arbitrary: fc.constant<AttestVariant>("valid") },
      { weight: 6, arbitrary: fc.constantFrom<AttestVariant>(...ATTEST_VARIANTS.slice(1)) },
    ),
    caller: pickArb,
    policy: pickArb,
    seed: fc.nat({ max: 1_000_000 }),
    active: pickArb,
    wildBits: fc.boolean(),
    detail: pickArb,
  })
  .map((p) => new AttestCmd(p));

const scheduleArb = fc
  .record({
    variant: fc.oneof(
      { weight: 2, arbitrary: fc.constant<ScheduleParams["variant"]>("valid") },
      { weight: 3, arbitrary: fc.constantFrom(...SCHEDULE_VARIANTS.slice(1)) },
    ),
    caller: pickArb,
    verifier: fc.constantFrom<VerifierKind>("mockA", "mockA", "mockB", "mockB", "notVerifier"),
    size: pickArb,
    methodId: fieldArb,
    threshold: thresholdArb,
    detail: pickArb,
  })
  .map((p) => new SchedulePolicyCmd(p));

const retireArb = fc
  .record({
    variant: fc.constantFrom<RetireParams["variant"]>("valid", "valid", "unknown", "alreadyRetiring", "noRole"),
    caller: pickArb,
    policy: pickArb,
  })
  .map((p) => new ScheduleRetirementCmd(p));

const delayArb = fc
  .record({ ticks: fc.constantFrom(0, 0, 1, 2, 48), asAdmin: fc.boolean(), caller: pickArb })
  .map((p) => new SetPolicyDelayCmd({ ...p, asAdmin: p.asAdmin || p.caller % 2 !== 0 }));

const pauseArb = fc
  .record({ toggle: fc.boolean(), asPauser: fc.boolean(), caller: pickArb })
  .map(
    (p) => new PauseCmd({ ...p, toggle: p.toggle || p.caller % 3 !== 0, asPauser: p.asPauser || p.caller % 4 !== 0 }),
  );

const roleArb = fc
  .record({
    revoke: fc.boolean(),
    role: fc.constantFrom<keyof Roles>("SUBMITTER", "SUBMITTER", "POLICY_ADMIN", "PAUSER", "DEFAULT_ADMIN"),
    account: pickArb,
    asAdmin: fc.boolean(),
    caller: pickArb,
  })
  .map((p) => new RoleCmd({ ...p, asAdmin: p.asAdmin || p.caller % 4 !== 0 }));

const timeArb = fc.constantFrom(1, 1, 2, 3, 48).map((t) => new TimeTravelCmd(t));

// fc.commands picks each arbitrary with equal probability: listing one several times weighs it.
const commandsArb = fc.commands<Model, Real, false>(
  [
    attestArb,
    attestArb,
    attestArb,
    attestArb,
    attestArb,
    scheduleArb,
    scheduleArb,
    retireArb,
    delayArb,
    pauseArb,
    pauseArb,
    roleArb,
    roleArb,
    timeArb,
    timeArb,
  ],
  { maxCommands: MAX_COMMANDS, size: "max", ...(REPLAY ? { replayPath: REPLAY } : {}) },
);

// ------------------------------------------------------------------ setup

async function propertyFixture() {
  const f = await anchorFixture(4);
  const mockB = await deployMock();
  const [, , , extra] = await ethers.getSigners();
  return { ...f, mockB, extra };
}

async function setup(): Promise<{ model: Model; real: Real }> {
  const f = await loadFixture(propertyFixture);
  const a = f.anchor;
  const roles: Roles = {
    DEFAULT_ADMIN: await a.DEFAULT_ADMIN_ROLE(),
    SUBMITTER: await a.SUBMITTER_ROLE(),
    POLICY_ADMIN: await a.POLICY_ADMIN_ROLE(),
    PAUSER: await a.PAUSER_ROLE(),
  };
  const accounts = [f.admin, f.submitter, f.other, f.extra];
  const [admin, submitter] = accounts.map((s) => s.address.toLowerCase());
  const p1 = await a.policy(1n);
  const model: Model = {
    clock: 0,
    domain: await a.domain(),
    root: await a.stateRoot(),
    nonce: 0n,
    decisionCount: 0n,
    decisionsRoots: [],
    policies: [
      {
        id: 1n,
        kind: "mockA",
        verifier: await f.policyVerifier.getAddress(),
        batchSize: 4,
        vkeyHash: p1.vkeyHash,
        methodId: METHOD_ID,
        threshold: THRESHOLD,
        activeFrom: p1.activeFrom,
        retiredFrom: 0n,
        activeAt: 0,
        retireAt: null,
      },
    ],
    delayTicks: 0,
    paused: false,
    roles: new Map([
      [roles.DEFAULT_ADMIN, new Set([admin])],
      [roles.SUBMITTER, new Set([submitter])],
      [roles.POLICY_ADMIN, new Set([admin])],
      [roles.PAUSER, new Set([admin])],
    ]),
  };
  const real: Real = {
    anchor: a,
    mockA: f.policyVerifier,
    mockB: f.mockB,
    zkvm: f.zkvmVerifier,
    accounts,
    roles,
    chain: undefined as unknown as ChainState,
  };
  real.chain = await readChain(real);
  expect(real.chain, "fixture: chain differs from the model").to.deep.equal(modelChain(model, real));
  return { model, real };
}

describe("StateAnchor properties (fast-check, mock verifiers)", function () {
  it(`holds over ${RUNS} random call sequences of up to ${MAX_COMMANDS} commands (seed ${SEED})`, async function () {
    tally.clear();
    commandsRun = 0;
    const started = Date.now();
    const details = await fc.check(
      fc.asyncProperty(commandsArb, async (cmds) => {
        await fc.asyncModelRun(setup, cmds);
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        ...(PATH ? { path: PATH } : {}),
        // Shrinking replays sequences on the chain: bound it so a failure is reported well before mocha's timeout.
        interruptAfterTimeLimit: 420_000,
        markInterruptAsFailure: true,
      },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (details.failed) {
      const shown = details.counterexample ? String(details.counterexample[0]) : "";
      const replayPath = /replayPath="([^"]*)"/.exec(shown)?.[1];
      const cmds = shown ? shown.split(/,(?=[A-Za-z]+\()/).join("\n  ") : "(none)";
      const cause =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const replay =
        `replay: ZKLA_FC_SEED=${details.seed}` +
        (details.counterexamplePath ? ` ZKLA_FC_PATH="${details.counterexamplePath}"` : "") +
        (replayPath ? ` ZKLA_FC_REPLAY="${replayPath}"` : "") +
        ` npx hardhat test test/anchor/property.test.ts`;
      const report =
        `property failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)` +
        `${details.interrupted ? " (interrupted)" : ""}, seed ${details.seed}, path ${details.counterexamplePath}\n` +
        `commands:\n  ${cmds}\nerror: ${cause}\n${replay}`;
      console.error(`\n${report}\n`);
      throw new Error(report);
    }
    const outcomes = [...tally.entries()].sort(([x], [y]) => x.localeCompare(y));
    console.log(
      `      ${details.numRuns} runs, ${commandsRun} commands, ${seconds} s, seed ${SEED}; outcomes:\n` +
        outcomes.map(([k, v]) => `        ${k.padEnd(58)} ${v}`).join("\n"),
    );
    // With the default seed and sizes, every command's success and every error it can raise must have occurred:
    // a change to the generators that loses a path fails here instead of silently testing less.
    if (SEED === DEFAULT_SEED && RUNS === DEFAULT_RUNS && MAX_COMMANDS === DEFAULT_COMMANDS && !PATH && !REPLAY) {
      const required = [
        "attest:ok",
        "attest:EnforcedPause",
        "attest:AccessControlUnauthorizedAccount",
        "attest:PolicyNotActive",
        "attest:NonceMismatch",
        "attest:BatchSizeMismatch",
        "attest:PublicInputNotInField",
        "attest:ActiveCountExceedsBatchSize",
        "attest:PolicyProofRejected",
        "attest:ZkvmProofRejected",
        "schedulePolicy:ok",
        "schedulePolicy:VerifierHasNoCode",
        "schedulePolicy:InvalidBatchSize",
        "schedulePolicy:MethodIdNotInField",
        "schedulePolicy:ThresholdNotInField",
        "schedulePolicy:AccessControlUnauthorizedAccount",
        "scheduleRetirement:ok",
        "scheduleRetirement:UnknownPolicy",
        "scheduleRetirement:PolicyAlreadyRetiring",
        "scheduleRetirement:AccessControlUnauthorizedAccount",
        "setPolicyDelay:ok",
        "setPolicyDelay:AccessControlUnauthorizedAccount",
        "pause:ok",
        "pause:EnforcedPause",
        "pause:AccessControlUnauthorizedAccount",
        "unpause:ok",
        "unpause:ExpectedPause",
        "grantRole:ok",
        "grantRole:AccessControlEnforcedDefaultAdminRules",
        "grantRole:AccessControlUnauthorizedAccount",
        "revokeRole:ok",
        "revokeRole:AccessControlEnforcedDefaultAdminRules",
        "timeTravel:ok",
      ];
      expect(
        required.filter((k) => !tally.has(k)),
        "outcomes never reached",
      ).to.deep.equal([]);
    }
  });
});
