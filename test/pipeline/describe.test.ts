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
        maxBatches: null,
        rowsLeft: 0,
        skippedAttested: 0,
        skippedPlanned: 0,
      }),
    ).to.deep.equal([
      "run r: planned 3 application(s) in 2 batch(es) from anchor nonce 0 (3 salt(s) drawn); folder /d",
      "  receipts.csv and batches.jsonl hold scores and salts: keep the run folder private",
    ]);
    const limited = { runId: "r", dir: "/d", batches: 2, applications: 4, startNonce: "5", maxBatches: 2, rowsLeft: 7 };
    expect(
      describeEvent({ type: "run-created", ...limited, generatedSalts: 4, skippedAttested: 2, skippedPlanned: 1 }),
    ).to.deep.equal([
      "run r: planned 4 application(s) in 2 batch(es) from anchor nonce 5 (4 salt(s) drawn); folder /d",
      "  --skip-attested: 2 row(s) already attested on this anchor and 1 planned in an unfinished run were left out",
      "  --max-batches 2: 7 row(s) of the file left for a later run (not planned: once this run is attested, plan them with --new-run --skip-attested)",
      "  receipts.csv and batches.jsonl hold scores and salts: keep the run folder private",
    ]);
    expect(describeEvent({ type: "run-loaded", ...limited, rowsLeft: 0 })).to.deep.equal([
      "run r: resuming (2 batch(es), planned from anchor nonce 5); folder /d",
      "  --max-batches 2: 0 row(s) of the file left for a later run",
    ]);
    expect(
      describeEvent({
        type: "plan-ready",
        runId: "r",
        dir: "/d",
        created: true,
        batches: 2,
        applications: 4,
        rowsLeft: 7,
        firstNonce: "5",
        lastNonce: "6",
        finalRoot: "0x" + "ab".repeat(32),
        files: ["plan.json", "receipts.csv", "manifest.json"],
      }),
    ).to.deep.equal([
      `plan only: 4 application(s) in 2 batch(es) for anchor nonces 5..6, expected root after the last 0x${"ab".repeat(32)}; nothing was proven or sent`,
      "  plan.json, receipts.csv, manifest.json written to /d; the same command without --plan-only proves this plan",
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

  it("says where proving happens: local workers or the Redis queue", () => {
    const start = { type: "prove-start", total: 3, toProve: 2, reused: 1, concurrency: 2 } as const;
    expect(describeEvent(start)).to.deep.equal(["proving 2 batch(es) with 2 worker(s); 1 already proven"]);
    expect(describeEvent({ ...start, via: 'the Redis queue "q" at redis://h:6379/0' })).to.deep.equal([
      'proving 2 batch(es) through the Redis queue "q" at redis://h:6379/0; 1 already proven',
    ]);
  });
});
