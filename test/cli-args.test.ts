/**
 * The prove and submit commands check their arguments before they read, prove or send anything: a bad value
 * fails with a message that names the option and what to pass. The CLI says it once, as
 * `error bad-argument: …`, without a stack trace, and exits with code 2.
 */
import { expect } from "chai";
import { planOptions, submitOptions } from "../src/api";
import { UsageError } from "../src/errors";
import { runCli } from "./e2e/helpers";

describe("CLI: prove and submit arguments are checked first", function () {
  this.timeout(120_000);
  const bad: [Record<string, unknown>, string][] = [
    [{ confirmations: 0 }, "--confirmations must be at least 1, got 0"],
    [{ pendingTimeout: 0 }, "--pending-timeout must be at least 1 (seconds), got 0"],
    [{ maxFeeGwei: "abc" }, '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "abc"'],
    [{ maxFeeGwei: "0" }, '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "0"'],
    [{ maxFeeGwei: "-3" }, '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "-3"'],
  ];
  for (const [args, message] of bad) {
    it(`submitOptions ${JSON.stringify(args)}`, () => {
      expect(() => submitOptions(args)).to.throw(UsageError, message);
    });
  }

  it("planOptions: --max-batches must be at least 1", () => {
    for (const n of [0, -1, 1.5])
      expect(() => planOptions({ maxBatches: n })).to.throw(UsageError, `--max-batches must be at least 1, got ${n}`);
    expect(planOptions({ maxBatches: 3 })).to.deep.equal({ maxBatches: 3 });
    expect(planOptions({})).to.deep.equal({ maxBatches: undefined });
  });

  for (const task of ["anchor:submit", "anchor:attest"]) {
    it(`${task} --confirmations 0: said once, exit 2, before any input or deployment is needed`, async () => {
      const r = await runCli([task, "--confirmations", "0"], {});
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.equal("error bad-argument: --confirmations must be at least 1, got 0\n");
      expect(r.stdout).to.equal("");
    });
  }

  for (const task of ["anchor:prove", "anchor:attest"]) {
    it(`${task} --max-batches 0: said once, exit 2, before any input or deployment is needed`, async () => {
      const r = await runCli([task, "--max-batches", "0"], {});
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.equal("error bad-argument: --max-batches must be at least 1, got 0\n");
      expect(r.stdout).to.equal("");
    });
  }

  it("--json adds one error object on stdout", async () => {
    const r = await runCli(["anchor:attest", "--max-fee-gwei", "x", "--json"], {});
    expect(r.code).to.equal(2);
    expect(JSON.parse(r.stdout)).to.deep.equal({
      error: {
        code: "bad-argument",
        message: '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "x"',
        hint: null,
      },
    });
  });
});
