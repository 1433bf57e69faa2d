/**
 * The submit commands check their arguments before they read, prove or send anything: a bad value
 * fails with a message that names the option and what to pass. The CLI says it once, as
 * `error bad-argument: …`, without a stack trace, and exits with code 2.
 */
import { expect } from "chai";
import { submitOptions } from "../src/api";
import { UsageError } from "../src/errors";
import { runCli } from "./e2e/helpers";

describe("CLI: submit arguments are checked first", function () {
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

  for (const task of ["anchor:submit", "anchor:attest"]) {
    it(`${task} --confirmations 0: said once, exit 2, before any input or deployment is needed`, async () => {
      const r = await runCli([task, "--confirmations", "0"], {});
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.equal("error bad-argument: --confirmations must be at least 1, got 0\n");
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
