/**
 * The submit commands check their arguments before they read, prove or send anything: a bad value
 * fails with a message that names the option and what to pass.
 */
import { expect } from "chai";
import hre from "hardhat";

describe("CLI: submit arguments are checked first", () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ confirmations: 0 }, "--confirmations must be at least 1"],
    [{ pendingTimeout: 0 }, "--pending-timeout must be at least 1 (seconds)"],
    [{ maxFeeGwei: "abc" }, '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "abc"'],
    [{ maxFeeGwei: "0" }, '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "0"'],
    [{ maxFeeGwei: "-3" }, '--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "-3"'],
  ];
  for (const task of ["anchor:submit", "anchor:attest"]) {
    for (const [args, message] of bad) {
      it(`${task} ${JSON.stringify(args)}`, async () => {
        // No input, run or deployment is given: the argument check must come before those are needed.
        const err = await hre.run(task, args).catch((e: unknown) => e);
        expect(err, "the task must fail").to.be.instanceOf(Error);
        expect((err as Error).message).to.equal(message);
      });
    }
  }
});
