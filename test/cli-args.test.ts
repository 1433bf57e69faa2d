/**
 * The prove and submit commands check their arguments before they read, prove or send anything: a bad value
 * fails with a message that names the option and what to pass. The CLI says it once, as
 * `error bad-argument: …`, without a stack trace, and exits with code 2.
 */
import { expect } from "chai";
import { planOptions, queueOptions, submitOptions } from "../src/api";
import { renderer } from "../tasks/anchor/render";
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

  it("queueOptions: --queue must be a redis:// URL; the password is never echoed", () => {
    expect(() => queueOptions({ queue: "http://user:s3cret@10.0.0.5:6379" })).to.throw(
      UsageError,
      /^--queue must be a .* URL: the scheme must be redis: or rediss:, got "http:\/\/\*\*\*@10\.0\.0\.5:6379"$/,
    );
    expect(() => queueOptions({ queue: "redis://10.0.0.5:6379" })).to.not.throw();
    expect(() => queueOptions({})).to.not.throw();
  });

  it("anchor:attest --queue with a bad URL: said once, exit 2, before anything is read", async () => {
    const r = await runCli(["anchor:attest", "--queue", "localhost:6379"], {});
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^error bad-argument: --queue must be a .* URL: .*, got "localhost:6379"\n/);
    expect(r.stdout).to.equal("");
  });

  it("anchor:worker --lock-seconds below 2: said once, exit 2, before Redis is contacted", async () => {
    const r = await runCli(["anchor:worker", "--queue", "redis://127.0.0.1:1", "--lock-seconds", "1"], {});
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.equal('error bad-argument: --lock-seconds must be an integer >= 2, got "1"\n');
    expect(r.stdout).to.equal("");
  });

  it("without a terminal, proving and submission lines carry counts and an ETA; planning every tenth", () => {
    const lines: string[] = [];
    let clock = 0;
    const r = renderer(
      false,
      (l) => lines.push(l),
      true,
      () => clock,
    );
    // A small file planned within a second prints no planning line; a long planning does.
    r.sink({ type: "plan-progress", batches: 1, applications: 10, total: 100 });
    clock = 500;
    r.sink({ type: "plan-progress", batches: 3, applications: 30, total: 100 });
    clock = 2000;
    r.sink({ type: "plan-progress", batches: 5, applications: 50, total: 100 });
    r.sink({ type: "plan-progress", batches: 6, applications: 60, total: 100 });
    r.sink({ type: "prove-start", total: 2, toProve: 2, reused: 0, concurrency: 2 });
    r.sink({ type: "batch-proved", index: 0, ms: 1000, policyMs: 700, zkvmMs: 300 });
    r.sink({ type: "submit-start", total: 2, anchorNonce: "0" });
    const attested = { nonce: "0", txHash: "0x1", gasUsed: "1000", blockNumber: 3, decisions: 2 };
    r.sink({ type: "batch-attested", index: 0, ...attested });
    r.sink({ type: "batch-proved", index: 1, ms: 1000, policyMs: 700, zkvmMs: 300 });
    r.sink({ type: "batch-attested", index: 1, ...attested, nonce: "1" });
    r.stop();
    expect(lines.filter((l) => l.startsWith("planning:"))).to.have.length(2);
    expect(lines[0]).to.equal("planning: 50/100 applications, 2.0 s elapsed, ETA 2.0 s");
    const tags = lines
      .filter((l) => /^batch \d/.test(l))
      .map((l) => /\[([^\]]+)\]$/.exec(l)?.[1].replace(/[\d.]+ s/, "T"));
    expect(tags).to.deep.equal(["1/2, ETA T", "1/2, ETA T", "2/2", "2/2"]);
  });

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
