/**
 * End to end against a real, separate node (anvil on a loopback port), with real proofs (test
 * profile, batch size 2) and the CLI run as a child process that gets killed:
 *   bad CSV -> nothing happens; SIGKILL during proving -> finished proof kept; killed between two
 *   submissions -> resumed without gap or duplicate and without re-proving; a flaky RPC proxy ->
 *   the run completes; evm_revert to before the last batch -> a re-run resubmits it.
 * The cases build on each other (one anvil, one run): they are steps of one story.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { circuitPaths, REPO_ROOT } from "../../src/paths";
import { STATE_ANCHOR_ABI } from "../../src/anchor/abi";
import { RunStore, finalRoot, type RunPlan, type StoredBatch } from "../../src/pipeline";
import { ANVIL_KEY, flakyProxy, processesWithEnv, rpc, runCli, startAnvil, type CliResult, type Node } from "./helpers";

const CSV = path.join(REPO_ROOT, "test", "fixtures", "applications-e2e.csv");
const BAD_CSV = path.join(REPO_ROOT, "test", "fixtures", "applications-bad.csv");
/** Rows of CSV; at the test profile's batch size (2) they make three batches of 2, 2 and 1. */
const ROWS = fs.readFileSync(CSV, "utf8").trim().split("\n").length - 1;
const DEPLOYMENT = path.join(REPO_ROOT, "deployments", "e2e.json");

const ofType = (r: CliResult, type: string) => r.events.filter((e) => e.type === type);
const indexes = (r: CliResult, type: string) =>
  ofType(r, type)
    .map((e) => e.index as number)
    .sort();
const explain = (r: CliResult) =>
  `exit ${r.code} ${r.signal ?? ""}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;

describe("end to end on anvil: real proofs, CLI killed and resumed", function () {
  this.timeout(1_200_000);
  let node: Node;
  let runsDir: string;
  let env: Record<string, string>;
  let provider: JsonRpcProvider;
  let anchor: Contract;
  let anchorAddress: string;
  let deployBlock: number;
  let snapshot: string;
  const provedAt = new Map<number, string>();

  const store = (): RunStore => {
    const dirs = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((d) => d !== "ledger") : [];
    expect(dirs, "exactly one run folder").to.have.length(1);
    return new RunStore(path.join(runsDir, dirs[0]));
  };
  const plan = (): RunPlan => store().loadPlan();
  const stored = (i: number): StoredBatch | undefined => {
    const f = store().batchFile(i);
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as StoredBatch) : undefined;
  };
  const cli = (
    args: string[],
    extraEnv: Record<string, string> = {},
    killWhen?: (e: Record<string, unknown>) => boolean,
  ) => runCli([...args, "--network", "e2e", "--runs-dir", runsDir, "--json"], { ...env, ...extraEnv }, killWhen);
  const chainNonce = async () => BigInt(await anchor.nonce());

  before(async function () {
    for (const c of ["policy", "zkvm"] as const) {
      const zkey = circuitPaths(c, "test").zkey;
      if (!fs.existsSync(zkey))
        throw new Error(`${zkey} is missing: build the test circuits first (npm run build:circuits -- --profile test)`);
    }
    node = await startAnvil();
    env = { ZKLA_E2E_RPC_URL: node.url, ZKLA_E2E_PRIVATE_KEY: ANVIL_KEY };
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-e2e-runs-"));
    fs.rmSync(runsDir, { recursive: true });
    fs.rmSync(DEPLOYMENT, { force: true });
    const deployed = await runCli(
      ["anchor:deploy", "--network", "e2e", "--profile", "test", "--threshold", "600"],
      env,
    );
    expect(deployed.code, explain(deployed)).to.equal(0);
    const manifest = JSON.parse(fs.readFileSync(DEPLOYMENT, "utf8"));
    anchorAddress = manifest.contracts.stateAnchor.address;
    deployBlock = manifest.contracts.stateAnchor.blockNumber;
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    anchor = new Contract(anchorAddress, STATE_ANCHOR_ABI as unknown as string[], provider);
  });

  after(async () => {
    provider?.destroy();
    await node?.stop();
    if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
    fs.rmSync(DEPLOYMENT, { force: true });
  });

  it("a bad CSV: every bad row reported, nothing planned, proven or sent", async () => {
    const before = await provider.getTransactionCount(new (await import("ethers")).Wallet(ANVIL_KEY).address);
    const r = await cli(["anchor:attest", "--input", BAD_CSV]);
    expect(r.code, explain(r)).to.not.equal(0);
    expect(r.code, explain(r)).to.equal(1);
    const err = (
      r.events.find((e) => e.error) as {
        error: { code: string; details: { issues: { row: number; reason: string }[] } };
      }
    ).error;
    expect(err.code).to.equal("invalid-input");
    const issues = err.details.issues;
    expect(issues.map((i) => i.row)).to.deep.equal([2, 3, 4, 5, 6, 7]);
    expect(issues.map((i) => i.reason).join("\n")).to.match(
      /missing score[\s\S]*12\.5[\s\S]*2\^32[\s\S]*applicantId < 2\^64: use 64-bit integer identifiers[\s\S]*outside the field[\s\S]*duplicate applicantId 2001 \(first seen at row 1\)/,
    );
    expect(r.stderr).to.contain("6 invalid row(s); nothing was proven or sent");
    expect(fs.existsSync(runsDir), "no run folder").to.equal(false);
    expect(await chainNonce()).to.equal(0n);
    expect(await provider.getTransactionCount(new (await import("ethers")).Wallet(ANVIL_KEY).address)).to.equal(before);
  });

  it("SIGKILL during proving: the finished proof is stored and nothing was sent", async () => {
    const marker = `ZKLA_E2E_MARK=${process.pid}-${Date.now()}`;
    const [key, value] = marker.split("=");
    // Killed by its own event sink right after the first proof is stored, before the submitter hears of it.
    const r = await cli(["anchor:attest", "--input", CSV, "--concurrency", "1"], {
      [key]: value,
      ZKLA_CRASH_AFTER: "batch-proved:1",
    });
    expect(r.signal, explain(r)).to.equal("SIGKILL");
    // The prover worker that was busy with the next batch notices its parent is gone and exits.
    let orphans = processesWithEnv(marker);
    for (let i = 0; i < 50 && orphans.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 200));
      orphans = processesWithEnv(marker);
    }
    expect(orphans, "no orphaned prover worker").to.deep.equal([]);
    expect(ofType(r, "run-created")).to.have.length(1);
    expect(ROWS).to.equal(5);
    expect(plan().batches.map((b) => b.size)).to.deep.equal([2, 2, 1]);
    expect(stored(0)?.fingerprint).to.equal(plan().batches[0].fingerprint);
    expect(stored(1)).to.equal(undefined);
    expect(stored(2)).to.equal(undefined);
    provedAt.set(0, stored(0)!.provedAt);
    expect(await chainNonce()).to.equal(0n);
  });

  it("resume, streaming: the finished proof is reused and batch 0 attested while the others prove; killed then", async () => {
    const r = await cli(["anchor:attest", "--input", CSV, "--concurrency", "1"], {
      ZKLA_CRASH_AFTER: "batch-attested:1",
    });
    expect(r.signal, explain(r)).to.equal("SIGKILL");
    expect(ofType(r, "run-loaded")).to.have.length(1);
    expect(indexes(r, "batch-reused")).to.deep.equal([0]);
    expect(indexes(r, "batch-attested")).to.deep.equal([0]);
    // Streaming: batch 0 went out before the last batch was proven (one prover: 1, then 2).
    expect(indexes(r, "batch-proved")).to.not.include(2);
    expect(stored(0)!.provedAt).to.equal(provedAt.get(0));
    expect(await chainNonce()).to.equal(1n);
    expect(BigInt(await anchor.stateRoot())).to.equal(plan().batches[0].newRoot);
    // anchor:prove completes the proofs (reusing what is stored) and sends nothing.
    const proved = await cli(["anchor:prove", "--input", CSV, "--concurrency", "2"]);
    expect(proved.code, explain(proved)).to.equal(0);
    expect([...indexes(proved, "batch-reused"), ...indexes(proved, "batch-proved")].sort()).to.deep.equal([0, 1, 2]);
    expect(await chainNonce()).to.equal(1n);
    provedAt.set(1, stored(1)!.provedAt);
    provedAt.set(2, stored(2)!.provedAt);
  });

  it("resume the submission: batch 0 skipped, batch 1 sent, killed again (no proof regenerated)", async () => {
    const r = await cli(["anchor:submit", "--input", CSV], { ZKLA_CRASH_AFTER: "batch-attested:1" });
    expect(r.signal, explain(r)).to.equal("SIGKILL");
    expect(indexes(r, "batch-already-attested")).to.deep.equal([0]);
    expect(indexes(r, "batch-attested")).to.deep.equal([1]);
    expect(ofType(r, "batch-proved")).to.have.length(0);
    expect(await chainNonce()).to.equal(2n);
    snapshot = (await rpc(node.url, "evm_snapshot")) as string;
  });

  it("transient RPC failures through a flaky proxy: the run completes", async () => {
    const proxy = await flakyProxy(node.url, 4);
    try {
      const r = await cli(["anchor:attest", "--input", CSV], { ZKLA_E2E_RPC_URL: proxy.url });
      expect(r.code, explain(r)).to.equal(0);
      expect(proxy.dropped).to.be.greaterThan(0);
      expect(ofType(r, "retry").length, "retries were needed").to.be.greaterThan(0);
      expect(indexes(r, "batch-attested")).to.deep.equal([2]);
      expect(ofType(r, "batch-proved")).to.have.length(0);
    } finally {
      await proxy.close();
    }
    expect(await chainNonce()).to.equal(3n);
    expect(BigInt(await anchor.stateRoot())).to.equal(finalRoot(plan()));
  });

  it("revert the node to before the last batch: a re-run resubmits it and the chain matches the plan", async () => {
    expect(await rpc(node.url, "evm_revert", [snapshot])).to.equal(true);
    expect(await chainNonce()).to.equal(2n);
    const r = await cli(["anchor:attest", "--input", CSV]);
    expect(r.code, explain(r)).to.equal(0);
    expect(indexes(r, "batch-reused")).to.deep.equal([0, 1, 2]);
    expect(indexes(r, "batch-already-attested")).to.deep.equal([0, 1]);
    expect(indexes(r, "batch-attested")).to.deep.equal([2]);

    // The chain is exactly the plan: nonces 0, 1, 2 once each, each root step as planned.
    const p = plan();
    expect(await chainNonce()).to.equal(3n);
    expect(BigInt(await anchor.stateRoot())).to.equal(finalRoot(p));
    expect(BigInt(await anchor.decisionCount())).to.equal(BigInt(ROWS));
    const logs = await anchor.queryFilter(anchor.filters.BatchAttested(), deployBlock);
    expect(logs.map((l) => (l as unknown as { args: { nonce: bigint } }).args.nonce)).to.deep.equal([0n, 1n, 2n]);
    logs.forEach((l, i) => {
      const a = (l as unknown as { args: { prevRoot: bigint; newRoot: bigint; decisionBits: bigint } }).args;
      expect([a.prevRoot, a.newRoot, a.decisionBits]).to.deep.equal([
        p.batches[i].prevRoot,
        p.batches[i].newRoot,
        store().readBatch(i).outcome.decisionBits,
      ]);
    });
    // No duplicate was ever sent: every attest transaction on the chain succeeded.
    const head = await provider.getBlockNumber();
    let attestTxs = 0;
    for (let b = deployBlock; b <= head; b++) {
      const block = await provider.getBlock(b, true);
      for (const tx of block!.prefetchedTransactions) {
        if (tx.to?.toLowerCase() !== anchorAddress.toLowerCase()) continue;
        const rec = await provider.getTransactionReceipt(tx.hash);
        if (tx.data.startsWith(anchor.interface.getFunction("attest")!.selector)) {
          attestTxs++;
          expect(rec!.status, `attest transaction ${tx.hash}`).to.equal(1);
        }
      }
    }
    expect(attestTxs).to.equal(3);
    // No proof was ever regenerated.
    for (const [i, at] of provedAt) expect(stored(i)!.provedAt, `batch ${i}`).to.equal(at);
    expect(
      store()
        .readManifest()
        .batches.map((b) => b.status),
    ).to.deep.equal(["attested", "attested", "attested"]);

    const status = await runCli(["anchor:status", "--network", "e2e", "--json"], env);
    expect(status.code, explain(status)).to.equal(0);
    const s = JSON.parse(status.stdout.slice(status.stdout.indexOf("{")));
    expect(s).to.include({ nonce: "3", decisionCount: String(ROWS), anchor: anchorAddress, codeMatchesManifest: true });
    expect(BigInt(s.stateRoot)).to.equal(finalRoot(p));
    expect(s.flags).to.deep.equal([]);
  });

  it("anchor:audit from the RPC URL and the address alone passes every check; --json, --report, exit codes", async () => {
    const reportFile = path.join(runsDir, "..", `zkla-e2e-audit-${process.pid}.md`);
    const audit = await runCli(
      [
        "anchor:audit",
        "--network",
        "e2e",
        "--address",
        anchorAddress,
        "--chunk",
        "7",
        "--json",
        "--report",
        reportFile,
      ],
      env,
    );
    expect(audit.code, explain(audit)).to.equal(0);
    const r = JSON.parse(audit.stdout);
    expect(r.verdict, JSON.stringify(r.checks, null, 1)).to.equal("pass");
    expect(r.fromBlock).to.equal(deployBlock);
    expect(r.deploymentBlockFound).to.equal(true);
    expect(r.totals).to.include({ batches: 3, decisions: ROWS });
    const names = new Set(r.checks.map((c: { check: string }) => c.check));
    for (const name of [
      "verifier-key",
      "key-circuit",
      "method-guest",
      "policy-parameters",
      "proofs-reverified",
      "root-chain",
      "governance",
    ])
      expect(names.has(name), name).to.equal(true);
    expect(r.batches.map((b: { reverified: string }) => b.reverified)).to.deep.equal(["pass", "pass", "pass"]);
    expect(r.checks.filter((c: { check: string }) => c.check === "deployment-file")).to.deep.equal([]);
    const md = fs.readFileSync(reportFile, "utf8");
    fs.rmSync(reportFile);
    expect(md.split("\n")[2]).to.equal(
      "**Verdict: PASS: every check passed** (" + `${r.counts.pass} pass, 0 warn, 0 fail)`,
    );

    // With the lender's deployments file: checked against the chain too.
    const withFile = await runCli(["anchor:audit", "--network", "e2e", "--json"], env);
    expect(withFile.code, explain(withFile)).to.equal(0);
    const f = JSON.parse(withFile.stdout);
    expect(
      f.checks.filter((c: { check: string }) => c.check === "deployment-file").map((c: { status: string }) => c.status),
    ).to.deep.equal(["pass"]);

    // No contract at the address: the audit could not run (exit 2), said once, no stack trace.
    const none = await runCli(["anchor:audit", "--network", "e2e", "--address", "0x" + "00".repeat(19) + "01"], env);
    expect(none.code, explain(none)).to.equal(2);
    expect(none.stderr).to.match(
      /^error chain-unreadable: no contract at 0x0{38}01 on chain 31337 at block \d+\n {2}check --address and --network/,
    );
    expect(none.stderr).to.not.match(/\n\s+at /);
    const bad = await runCli(["anchor:audit", "--network", "e2e", "--address", anchorAddress, "--chunk", "0"], env);
    expect(bad.code, explain(bad)).to.equal(2);
    expect(bad.stderr).to.match(/^error bad-argument: --chunk must be an integer >= 1, got "0"/);

    // The node is down: could not run (exit 2).
    const down = await runCli(["anchor:audit", "--network", "e2e", "--address", anchorAddress], {
      ...env,
      ZKLA_E2E_RPC_URL: "http://127.0.0.1:9",
    });
    expect(down.code, explain(down)).to.equal(2);
    expect(down.stderr).to.match(/^error chain-unreadable: /);
  });

  it("a row appended after the file was attested: the file is refused with its attested rows (exit 1); --skip-attested attests only the new row", async () => {
    const appended = path.join(os.tmpdir(), `zkla-e2e-appended-${process.pid}.csv`);
    fs.writeFileSync(appended, fs.readFileSync(CSV, "utf8").trimEnd() + "\n9001,100,\n");
    try {
      const refused = await cli(["anchor:attest", "--input", appended]);
      expect(refused.code, explain(refused)).to.equal(1);
      const err = (
        refused.events.find((e) => e.error) as {
          error: { code: string; details: { rows: { row: number; applicantId: string; status: string }[] } };
        }
      ).error;
      expect(err.code).to.equal("already-on-anchor");
      expect(err.details.rows.map((r) => [r.row, r.applicantId, r.status])).to.deep.equal(
        [1001, 1002, 1003, 1004, 1005].map((id, i) => [i + 1, String(id), "attested"]),
      );
      expect(refused.stderr).to.contain(`error already-on-anchor: ${ROWS} application(s) of ${appended}`);
      const nonce = await chainNonce();
      const r = await cli(["anchor:attest", "--input", appended, "--skip-attested"]);
      expect(r.code, explain(r)).to.equal(0);
      expect(ofType(r, "run-created")[0]).to.include({ applications: 1, skippedAttested: ROWS, skippedPlanned: 0 });
      expect(indexes(r, "batch-attested")).to.deep.equal([0]);
      expect(await chainNonce()).to.equal(nonce + 1n);
    } finally {
      fs.rmSync(appended, { force: true });
    }
  });

  it("a policy admin registers a policy for an unknown program: anchor:status --strict flags it, the audit fails", async () => {
    const { Wallet } = await import("ethers");
    const admin = anchor.connect(new Wallet(ANVIL_KEY, provider)) as Contract;
    const policy = await anchor.policy(1n);
    await (
      await admin.getFunction("schedulePolicy")(
        policy.verifier,
        policy.vkeyHash,
        policy.batchSize,
        4242n,
        policy.threshold,
      )
    ).wait();
    const status = await runCli(["anchor:status", "--network", "e2e", "--strict"], env);
    expect(status.code, explain(status)).to.equal(1);
    expect(status.stdout).to.match(
      /FLAG method-guest policy 2: unknown program: method ID 4242 is that of no guest in this repository/,
    );
    expect(status.stderr).to.match(/^error flagged: 1 flag\(s\) with --strict/m);
    const audit = await runCli(["anchor:audit", "--network", "e2e", "--address", anchorAddress], env);
    expect(audit.code, explain(audit)).to.equal(1);
    expect(audit.stdout).to.match(/FAIL method-guest\s+policy 2: unknown program/);
    expect(audit.stdout).to.match(/^FAIL: at least one check failed/m);
  });
});
