/** The text the CLI prints for pipeline events (src/pipeline/describe.ts, moved out of the task). */
import { expect } from "chai";
import { describeEvent } from "../../src/pipeline/describe";

describe("pipeline events as text", () => {
  it("describes a run, proving, fee bumps and attestations", () => {
    expect(
      describeEvent({
        type: "run-created",
        runId: "r",
        dir: "/d",
        batches: 2,
        applications: 3,
        startNonce: "0",
        generatedSalts: 3,
      }),
    ).to.deep.equal([
      "run r: planned 3 application(s) in 2 batch(es) from anchor nonce 0 (3 salt(s) drawn); folder /d",
      "  receipts.csv and plan.json hold scores and salts: keep the run folder private",
    ]);
    expect(describeEvent({ type: "batch-proved", index: 1, ms: 2500, policyMs: 2000, zkvmMs: 500 })).to.deep.equal([
      "batch 1: proved and verified in 2.5 s (policy 2.0 s, zkVM 0.5 s)",
    ]);
    expect(
      describeEvent({
        type: "batch-fee-bumped",
        index: 0,
        nonce: "4",
        accountNonce: 7,
        replaces: "0xabc",
        fees: { maxFeePerGas: "2500000000", maxPriorityFeePerGas: "1000000000" },
      }),
    ).to.deep.equal([
      "batch 0 (nonce 4): transaction 0xabc still pending; replacing it (account nonce 7, max fee 2.5 gwei, priority fee 1.0 gwei)",
    ]);
    expect(
      describeEvent({
        type: "batch-attested",
        index: 2,
        nonce: "5",
        txHash: "0xt",
        blockNumber: 9,
        gasUsed: "600000",
        decisions: 2,
      }),
    ).to.deep.equal(["batch 2 (nonce 5): attested in block 9, gas 600000 (300000 per decision)"]);
  });
});
