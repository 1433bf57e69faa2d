/**
 * Gas of attest with mock verifiers (anchor overhead) and of the state update alone (decisions Merkle
 * root + state root + storage + events), measured in-contract with gasleft() by StateAnchorGasProbe.
 * Figures are printed; the assertions are regression bounds. Real verifier gas: integration.test.ts.
 * With BENCH_OUT (npm run bench) it also saves the figures, at the sizes of BENCH_SIZES (comma-separated),
 * with each mock verifier's share of the attest (traced) and the attest's calldata gas.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  METHOD_ID,
  VKEY_HASH,
  anchorFixture,
  deployMock,
  makeBatch,
  policyProofWords,
  zkvmProofWords,
} from "./helpers";
import type { StateAnchorGasProbe } from "../../typechain-types";
import { calldataGas, traceCalls } from "../../bench/evm";

export interface AnchorGasFigures {
  batchSize: number;
  attestWithMocks: number;
  stateUpdate: number;
  stateUpdatePerDecision: number;
  merkle: number;
  merklePerDecision: number;
  /** Only with BENCH_OUT: gas each mock verifier call took inside the attest, and the attest's calldata gas. */
  mockPolicyVerifierCall?: number;
  mockZkvmVerifierCall?: number;
  calldata?: number;
}

/**
 * makeBatch, with decisionBits kept below 2^253: it is one field element, so with more than 253 slots
 * a pattern with the top slots approved is not one (the anchor rejects it as PublicInputNotInField).
 */
function gasBatch(seed: string, n: number): ReturnType<typeof makeBatch> {
  const batch = makeBatch(seed, n);
  if (n > 253) batch.decisionBits &= (1n << 253n) - 1n;
  return batch;
}

async function measure(n: number): Promise<AnchorGasFigures> {
  const f = await anchorFixture(n);
  // Attest twice; the second is the steady state (no first-write effects besides the per-nonce root).
  let gasUsed = 0n;
  let traced: Pick<AnchorGasFigures, "mockPolicyVerifierCall" | "mockZkvmVerifierCall" | "calldata"> = {};
  for (let i = 0; i < 2; i++) {
    const batch = gasBatch(`gas${n}/${i}`, n);
    const tx = await f.anchor
      .connect(f.submitter)
      .attest(f.policyId, BigInt(i), batch, policyProofWords("g"), zkvmProofWords("g"));
    gasUsed = (await tx.wait())!.gasUsed;
    if (i === 1 && process.env.BENCH_OUT) {
      // The bench swaps these shares for the real verifiers' (bench/report.ts).
      const { calls } = await traceCalls(ethers.provider, tx.hash);
      traced = {
        mockPolicyVerifierCall: calls[(await f.policyVerifier.getAddress()).toLowerCase()],
        mockZkvmVerifierCall: calls[(await f.zkvmVerifier.getAddress()).toLowerCase()],
        calldata: calldataGas(tx.data),
      };
    }
  }
  const probe = (await (
    await ethers.getContractFactory("StateAnchorGasProbe")
  ).deploy(await (await deployMock()).getAddress())) as unknown as StateAnchorGasProbe;
  const [admin] = await ethers.getSigners();
  await probe.grantRole(await probe.POLICY_ADMIN_ROLE(), admin.address);
  await probe.schedulePolicy(await f.policyVerifier.getAddress(), VKEY_HASH, n, METHOD_ID, 1n);
  // Advance the probe past nonce 0 so the counters slot is non-zero as in steady state.
  const [recordGas, merkleGas] = await probe.measureRecord.staticCall(1n, METHOD_ID, gasBatch(`probe${n}`, n));
  return {
    batchSize: n,
    attestWithMocks: Number(gasUsed),
    stateUpdate: Number(recordGas),
    stateUpdatePerDecision: Math.round(Number(recordGas) / n),
    merkle: Number(merkleGas),
    merklePerDecision: Math.round(Number(merkleGas) / n),
    ...traced,
  };
}

describe("StateAnchor gas", function () {
  it("measures attest (mock verifiers) and the state update per decision at N = 4 and N = 16", async function () {
    const sizes = process.env.BENCH_OUT
      ? (process.env.BENCH_SIZES ?? "4,16,32,64,128").split(",").map(Number)
      : [4, 16];
    const figures = await Promise.all(sizes.map((n) => measure(n)));
    console.log("      anchor gas (mock verifiers):");
    for (const g of figures) {
      console.log(
        `        N=${g.batchSize}: attest ${g.attestWithMocks}, state update ${g.stateUpdate} (${g.stateUpdatePerDecision}/decision), Merkle ${g.merkle} (${g.merklePerDecision}/decision)`,
      );
    }
    if (process.env.BENCH_OUT) {
      // npm run bench (bench/run.ts) saves the figures.
      fs.mkdirSync(path.dirname(process.env.BENCH_OUT), { recursive: true });
      fs.writeFileSync(
        process.env.BENCH_OUT,
        JSON.stringify({ measuredWith: "mock verifiers", figures }, null, 2) + "\n",
      );
    }
    const [small, prod] = figures;
    // The Merkle root is linear in N; the storage writes are per batch.
    expect(prod.merklePerDecision).to.be.lessThan(400);
    expect(prod.stateUpdate).to.be.greaterThan(small.stateUpdate);
    expect(prod.stateUpdatePerDecision).to.be.lessThan(small.stateUpdatePerDecision);
    expect(prod.stateUpdatePerDecision).to.be.lessThan(3000);
  });
});
