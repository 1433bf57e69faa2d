/**
 * CLI for the off-chain pipeline (docs/cli.md): anchor:prove, anchor:submit, anchor:attest
 * and anchor:demo (anchor:status and anchor:audit are in tasks/anchor/). The tasks only parse arguments, wire the library
 * (src/pipeline) to the network, and render its events: a progress bar on a terminal, plain log
 * lines otherwise, JSON lines with --json.
 */
import fs from "node:fs";
import path from "node:path";
import { formatUnits, parseUnits } from "ethers";
import { task, types } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { PipelineEvent } from "../src/pipeline/events";

const PLUGIN = "zk-loan-anchor";

interface CommonArgs {
  deployment?: string;
  policyId?: string;
  json: boolean;
}
interface RunArgs extends CommonArgs {
  input?: string;
  run?: string;
  runsDir: string;
  newRun: boolean;
}
interface ProveArgs extends RunArgs {
  concurrency: number;
}
interface SubmitArgs extends RunArgs {
  confirmations: number;
  retries: number;
  pendingTimeout: number;
  maxFeeGwei?: string;
}

const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Renders pipeline events. Test hook: ZKLA_CRASH_AFTER=<event-type>:<n> SIGKILLs this process after the n-th such event. */
function renderer(json: boolean) {
  const tty = !json && process.stdout.isTTY === true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  let multi: import("cli-progress").MultiBar | undefined;
  let bar: import("cli-progress").SingleBar | undefined;
  const crash = /^([a-z-]+):(\d+)$/.exec(process.env.ZKLA_CRASH_AFTER ?? "");
  let crashCount = 0;
  const print = (line: string) => (multi ? multi.log(line + "\n") : console.log(line));
  const stop = () => {
    multi?.stop();
    multi = bar = undefined;
  };
  const sink = (e: PipelineEvent) => {
    if (json) console.log(JSON.stringify(e));
    else {
      switch (e.type) {
        case "run-created":
          print(
            `run ${e.runId}: planned ${e.applications} application(s) in ${e.batches} batch(es) from anchor nonce ${e.startNonce} (${e.generatedSalts} salt(s) drawn); folder ${e.dir}`,
          );
          print(`  receipts.csv and plan.json hold scores and salts: keep the run folder private`);
          break;
        case "run-loaded":
          print(
            `run ${e.runId}: resuming (${e.batches} batch(es), planned from anchor nonce ${e.startNonce}); folder ${e.dir}`,
          );
          break;
        case "prove-start":
          print(`proving ${e.toProve} batch(es) with ${e.concurrency} worker(s); ${e.reused} already proven`);
          if (tty && e.toProve > 0) {
            multi = new cliProgress.MultiBar(
              {
                format: "proving |{bar}| {value}/{total} batches | {duration_formatted} elapsed | ETA {eta_formatted}",
                hideCursor: true,
                etaBuffer: 4,
              },
              cliProgress.Presets.shades_classic,
            );
            bar = multi.create(e.toProve, 0);
          }
          break;
        case "batch-reused":
          print(`batch ${e.index}: proof already stored, reused`);
          break;
        case "batch-stale":
          print(`batch ${e.index}: stored proof does not match the plan, proving again`);
          break;
        case "batch-proving":
          if (!bar) print(`batch ${e.index}: proving`);
          break;
        case "batch-proved":
          if (bar) bar.increment();
          else
            print(
              `batch ${e.index}: proved and verified in ${secs(e.ms)} (policy ${secs(e.policyMs)}, zkVM ${secs(e.zkvmMs)})`,
            );
          break;
        case "prove-done":
          stop();
          print(`proving done: ${e.proved} proved, ${e.reused} reused, ${secs(e.ms)}`);
          break;
        case "submit-start":
          print(`submitting ${e.total} batch(es) in nonce order; anchor nonce is ${e.anchorNonce}`);
          break;
        case "batch-already-attested":
          print(`batch ${e.index} (nonce ${e.nonce}): already attested, skipped`);
          break;
        case "batch-pending":
          print(
            `batch ${e.index} (nonce ${e.nonce}): a transaction sent earlier is pending${e.txHash ? ` (${e.txHash})` : ""}, waiting for it`,
          );
          break;
        case "batch-sent":
          print(`batch ${e.index} (nonce ${e.nonce}): sent ${e.txHash} (account nonce ${e.accountNonce})`);
          break;
        case "batch-fee-bumped": {
          const f = e.fees;
          const fee =
            "gasPrice" in f
              ? `gas price ${formatUnits(f.gasPrice, "gwei")} gwei`
              : `max fee ${formatUnits(f.maxFeePerGas, "gwei")} gwei, priority fee ${formatUnits(f.maxPriorityFeePerGas, "gwei")} gwei`;
          print(
            `batch ${e.index} (nonce ${e.nonce}): transaction${e.replaces ? ` ${e.replaces}` : ""} still pending; replacing it (account nonce ${e.accountNonce}, ${fee})`,
          );
          break;
        }
        case "batch-attested":
          print(
            `batch ${e.index} (nonce ${e.nonce}): attested in block ${e.blockNumber}, gas ${e.gasUsed} (${Math.round(Number(e.gasUsed) / Math.max(1, e.decisions))} per decision)`,
          );
          break;
        case "submit-done":
          print(
            `submission done: ${e.sent} sent, ${e.skipped} already attested; anchor nonce ${e.finalNonce}, root ${e.finalRoot}`,
          );
          break;
        case "retry":
          print(
            `transient RPC error on "${e.what}" (attempt ${e.attempt}): ${e.message.split("\n")[0]}; retrying in ${e.delayMs} ms`,
          );
          break;
      }
    }
    if (crash && e.type === crash[1] && ++crashCount === Number(crash[2])) process.kill(process.pid, "SIGKILL");
  };
  return { sink, stop };
}

/** Known failures become plugin errors (message only, no stack); --json also gets an error line. */
async function reported<T>(json: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as Error & { issues?: unknown };
    if (json)
      console.log(
        JSON.stringify({ type: "error", name: e.name, message: e.message, issues: e.issues }, (_k, v) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      );
    const known = [
      "ApplicationsInvalidError",
      "ChainDivergedError",
      "AnchorRevertError",
      "RunMismatchError",
      "ProvingFailedError",
      "ProofRejectedError",
      "FeeCapError",
    ];
    if (
      known.includes(e.name) ||
      /^(no deployment manifest|the deployment manifest|no contract at|policy \d+|no run|batch \d+|network "|pass --input|--confirmations|--max-fee-gwei|--pending-timeout|read .*still failing|submission is not making progress)/.test(
        e.message,
      )
    ) {
      throw new HardhatPluginError(PLUGIN, e.message);
    }
    throw err;
  }
}

function deploymentFile(hre: HardhatRuntimeEnvironment, arg: string | undefined): string {
  return arg ? path.resolve(arg) : path.join(hre.config.paths.root, "deployments", `${hre.network.name}.json`);
}

/**
 * The network as the pipeline uses it: an ethers provider over Hardhat's provider whose read-only
 * calls are retried on transient errors (src/pipeline/rpc.ts), and the first configured account.
 */
async function chain(hre: HardhatRuntimeEnvironment, onEvent?: (e: PipelineEvent) => void) {
  const p = await import("../src/pipeline");
  const { BrowserProvider } = await import("ethers");
  const retry = {
    ...p.DEFAULT_RETRY,
    onRetry: (i: { what: string; attempt: number; delayMs: number; message: string }) =>
      onEvent?.({ type: "retry", ...i }),
  };
  const provider = new BrowserProvider(p.retryingProvider(hre.network.provider, retry), undefined, {
    cacheTimeout: -1,
  });
  const [account] = await hre.ethers.getSigners();
  return { provider, account: account?.address };
}

async function target(hre: HardhatRuntimeEnvironment, args: CommonArgs, onEvent?: (e: PipelineEvent) => void) {
  const p = await import("../src/pipeline");
  const { loanGuest } = await import("../src/zkvm");
  const { toBigInt } = await import("../src/field");
  const { provider, account } = await chain(hre, onEvent);
  const deployment = p.readDeployment(deploymentFile(hre, args.deployment));
  const { context, policy } = await p.resolveTarget({
    deployment,
    provider,
    policyId: args.policyId ? toBigInt(args.policyId, "--policy-id") : undefined,
    policy: p.policyModel,
    guestMethodId: loanGuest().methodId,
  });
  return { deployment, context, policy, provider, account };
}

async function client(
  hre: HardhatRuntimeEnvironment,
  anchor: string,
  provider: import("ethers").BrowserProvider,
  account: string | undefined,
) {
  const { EthersAnchorClient } = await import("../src/pipeline");
  if (!account) {
    throw new Error(
      `network "${hre.network.name}" has no account to send from: set DEPLOYER_PRIVATE_KEY (npx hardhat vars set DEPLOYER_PRIVATE_KEY)`,
    );
  }
  return new EthersAnchorClient(anchor, await provider.getSigner(account), provider);
}

async function openOrLoad(
  hre: HardhatRuntimeEnvironment,
  args: RunArgs,
  sink: (e: PipelineEvent) => void,
  mustExist: boolean,
) {
  const p = await import("../src/pipeline");
  if (args.input) {
    // A bad file is reported before anything else happens (no chain access, no run folder).
    const file = deploymentFile(hre, args.deployment);
    const profile = fs.existsSync(file) ? p.readDeployment(file).profile : "test";
    p.readApplications(args.input, { scoreBits: p.policyModel(profile).scoreBits });
  }
  const { context, policy, provider, account } = await target(hre, args, sink);
  // Proving needs no account; only submission creates the sending client.
  const anchor = () => client(hre, context.anchor, provider, account);
  const runsDir = path.resolve(args.runsDir);
  if (!args.input) {
    if (!args.run) throw new Error("pass --input <applications.csv|json> (or --run <id> to continue a planned run)");
    const store = new p.RunStore(path.join(runsDir, args.run));
    if (!store.exists()) throw new Error(`no run ${args.run} in ${runsDir}: plan it with anchor:prove --input <file>`);
    const plan = store.loadPlan();
    if (
      plan.anchor.toLowerCase() !== context.anchor.toLowerCase() ||
      plan.chainId !== context.chainId ||
      plan.policyId !== context.policyId
    ) {
      throw new p.RunMismatchError(
        `run ${args.run} targets anchor ${plan.anchor} on chain ${plan.chainId} (policy ${plan.policyId}), not this network's deployment`,
      );
    }
    sink({
      type: "run-loaded",
      runId: plan.runId,
      dir: store.dir,
      batches: plan.batches.length,
      applications: plan.batches.reduce((n, b) => n + b.applications.length, 0),
      startNonce: plan.startNonce.toString(),
    });
    return { plan, store, anchor };
  }
  if (mustExist) {
    const bytes = fs.readFileSync(args.input);
    const sha = (await import("node:crypto")).createHash("sha256").update(bytes).digest("hex");
    const id = args.run || p.defaultRunId(args.input, sha, context);
    if (!new p.RunStore(path.join(runsDir, id)).exists()) {
      throw new Error(
        `no run for ${args.input} in ${runsDir} (expected ${id}): prove it first with anchor:prove, or use anchor:attest`,
      );
    }
  }
  const opened = await p.openRun({
    input: args.input,
    context,
    policy,
    state: p.anchorStateModel,
    readStart: () =>
      p.withRetry("read anchor state", () => p.readAnchorState(context.anchor, provider), {
        ...p.DEFAULT_RETRY,
        onRetry: (i) => sink({ type: "retry", ...i }),
      }),
    runsDir,
    runId: args.run || undefined,
    newRun: args.newRun,
    onEvent: sink,
  });
  return { ...opened, anchor };
}

function runParams<T>(t: ReturnType<typeof task<T>>, withConcurrency: boolean, withSubmit: boolean) {
  t.addOptionalParam(
    "input",
    "applications file: .csv with header applicantId,score[,salt] or .json array of {applicantId, score, salt?}",
  )
    .addOptionalParam(
      "run",
      "run id (folder under --runs-dir); default derived from the input file, chain, anchor and policy",
    )
    .addOptionalParam("runsDir", "folder holding run folders (keep it private: it stores scores and salts)", "runs")
    .addFlag("newRun", "plan a new run even if one exists for this input (e.g. after the chain diverged)")
    .addOptionalParam("deployment", "deployment manifest (default deployments/<network>.json)")
    .addOptionalParam("policyId", "policy to attest under (default: the last policy in the deployment manifest)")
    .addFlag("json", "machine-readable output: one JSON event per line");
  if (withConcurrency) t.addOptionalParam("concurrency", "prover worker processes (default: CPU count)", 0, types.int);
  if (withSubmit) {
    t.addOptionalParam("confirmations", "blocks to wait for after each attest transaction", 1, types.int);
    t.addOptionalParam("retries", "attempts per RPC call on transient errors (exponential backoff)", 8, types.int);
    t.addOptionalParam(
      "pendingTimeout",
      "seconds a sent transaction may stay pending before it is replaced with 12.5% higher fees (same account nonce)",
      120,
      types.int,
    );
    t.addOptionalParam("maxFeeGwei", "the most a replacement may pay per gas, in gwei (default: no limit)");
  }
  return t;
}

async function doProve(hre: HardhatRuntimeEnvironment, args: ProveArgs, mustExist = false) {
  const p = await import("../src/pipeline");
  const r = renderer(args.json);
  try {
    const opened = await openOrLoad(hre, args, r.sink, mustExist);
    const summary = await p.proveRun(opened.plan, opened.store, {
      concurrency: args.concurrency || p.defaultConcurrency(),
      onEvent: r.sink,
      keyId: p.provingKeyId(opened.plan.profile),
    });
    return { ...opened, summary };
  } finally {
    r.stop();
  }
}

/** The submit options from the CLI arguments; throws on a bad one before anything is read or sent. */
function submitArgs(args: SubmitArgs): { confirmations: number; pendingTimeoutMs: number; maxFeePerGas?: bigint } {
  if (args.confirmations < 1) throw new Error("--confirmations must be at least 1");
  if (args.pendingTimeout < 1) throw new Error("--pending-timeout must be at least 1 (seconds)");
  let maxFeePerGas: bigint | undefined;
  if (args.maxFeeGwei !== undefined) {
    try {
      maxFeePerGas = parseUnits(args.maxFeeGwei, "gwei");
    } catch {
      maxFeePerGas = undefined;
    }
    if (!maxFeePerGas || maxFeePerGas <= 0n)
      throw new Error(`--max-fee-gwei must be a positive number of gwei (e.g. 40 or 2.5), got "${args.maxFeeGwei}"`);
  }
  return { confirmations: args.confirmations, pendingTimeoutMs: args.pendingTimeout * 1000, maxFeePerGas };
}

async function doSubmit(
  hre: HardhatRuntimeEnvironment,
  args: SubmitArgs,
  opened?: Awaited<ReturnType<typeof openOrLoad>>,
) {
  const checked = submitArgs(args);
  const p = await import("../src/pipeline");
  const r = renderer(args.json);
  const o = opened ?? (await openOrLoad(hre, args, r.sink, true));
  const summary = await p.submitRun(o.plan, o.store, await o.anchor(), {
    ...checked,
    retry: { attempts: Math.max(1, args.retries) },
    pollMs: hre.network.name === "hardhat" ? 10 : 500,
    onEvent: r.sink,
  });
  return { ...o, summary };
}

runParams(
  task(
    "anchor:prove",
    "Validates an applications file, plans its batches against the anchor's state and proves them in parallel (resumable)",
  ),
  true,
  false,
).setAction((args: ProveArgs, hre) => reported(args.json, async () => void (await doProve(hre, args))));

runParams(
  task(
    "anchor:submit",
    "Submits a proven run's batches to the StateAnchor strictly in nonce order (idempotent, resumable)",
  ),
  false,
  true,
).setAction((args: SubmitArgs, hre) => reported(args.json, async () => void (await doSubmit(hre, args))));

runParams(
  task("anchor:attest", "anchor:prove then anchor:submit: applications in, attested batches out (resumable)"),
  true,
  true,
).setAction((args: ProveArgs & SubmitArgs, hre) =>
  reported(args.json, async () => {
    submitArgs(args); // bad submit arguments stop the run before anything is proven
    if ((await hre.ethers.getSigners()).length === 0) {
      throw new Error(
        `network "${hre.network.name}" has no account to send from: set DEPLOYER_PRIVATE_KEY (npx hardhat vars set DEPLOYER_PRIVATE_KEY)`,
      );
    }
    const proved = await doProve(hre, args);
    await doSubmit(hre, args, proved);
  }),
);

task(
  "anchor:demo",
  "The whole pipeline on the in-process Hardhat network: deploy, sample applications, prove in parallel, submit in order, summary (circuits must be built: npm run demo does it)",
)
  .addOptionalParam("input", "applications file instead of the seeded sample")
  .addOptionalParam(
    "applications",
    "size of the seeded sample (3 batches at the test profile's batch size of 2)",
    6,
    types.int,
  )
  .addOptionalParam("seed", "seed of the sample (ids and scores; salts always come from the CSPRNG)", 1, types.int)
  .addOptionalParam("threshold", "policy threshold: approve iff score <= threshold", "650")
  .addOptionalParam("concurrency", "prover worker processes (default: CPU count)", 0, types.int)
  .addOptionalParam("runsDir", "folder for the demo's run folder", "runs")
  .addFlag("json", "print the summary as JSON")
  .setAction(
    (
      args: {
        input?: string;
        applications: number;
        seed: number;
        threshold: string;
        concurrency: number;
        runsDir: string;
        json: boolean;
      },
      hre,
    ) =>
      reported(args.json, async () => {
        const t0 = Date.now();
        const p = await import("../src/pipeline");
        const { deployAnchor } = await import("../src/anchor/deploy");
        const { toBigInt } = await import("../src/field");
        const { circuitPaths } = await import("../src/paths");
        const log = (s: string) => (args.json ? undefined : console.log(s));
        for (const c of ["policy", "zkvm"] as const) {
          if (!fs.existsSync(circuitPaths(c, "test").zkey)) {
            throw new HardhatPluginError(
              PLUGIN,
              `the test-profile ${c} circuit is not built: run npm run demo (or npm run build:circuits -- --profile test) first`,
            );
          }
        }
        if (hre.network.name !== "hardhat")
          log(`note: running on network "${hre.network.name}", not the in-process network`);
        await hre.run("compile", { quiet: true });
        log(`deploying verifiers and StateAnchor (test profile) on ${hre.network.name}...`);
        const deployment = await deployAnchor(hre, {
          profile: "test",
          threshold: toBigInt(args.threshold, "--threshold"),
        });
        const stamp = new Date().toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15);
        const runsDir = path.resolve(args.runsDir);
        let input = args.input;
        if (!input) {
          fs.mkdirSync(runsDir, { recursive: true, mode: 0o700 });
          input = path.join(runsDir, `demo-${stamp}-applications.csv`);
          fs.writeFileSync(input, p.sampleApplicationsCsv(args.applications, args.seed), { mode: 0o600 });
          log(`sample: ${args.applications} applications (seed ${args.seed}) in ${input}`);
        }
        const r = renderer(args.json);
        const quiet = (e: PipelineEvent) => (args.json ? undefined : r.sink(e));
        const common = {
          deployment: "",
          policyId: deployment.policies.at(-1)!.policyId,
          json: false,
          input,
          run: `demo-${stamp}`,
          runsDir,
          newRun: false,
        };
        const tProve = Date.now();
        const proved = await (async () => {
          const opened = await openOrLoad(hre, common, quiet, false);
          const summary = await p.proveRun(opened.plan, opened.store, {
            concurrency: args.concurrency || p.defaultConcurrency(),
            onEvent: quiet,
            keyId: p.provingKeyId(opened.plan.profile),
          });
          return { ...opened, summary };
        })();
        const proveMs = Date.now() - tProve;
        r.stop();
        const tSubmit = Date.now();
        const submitted = await p.submitRun(proved.plan, proved.store, await proved.anchor(), {
          confirmations: 1,
          pollMs: 10,
          onEvent: quiet,
        });
        const submitMs = Date.now() - tSubmit;
        const view = await p.readAnchorView(deployment.contracts.stateAnchor.address, hre.ethers.provider);
        const { auditAnchor } = await import("../src/audit");
        const audit = await auditAnchor(deployment.contracts.stateAnchor.address, hre.ethers.provider, {
          fromBlock: deployment.contracts.stateAnchor.blockNumber,
        });
        const failed = audit.checks.filter((c) => c.status !== "pass");
        const plan = proved.plan;
        const decisions = plan.batches.reduce((n, b) => n + b.outcome.activeCount, 0);
        const approved = plan.batches.reduce(
          (n, b) => n + b.applications.filter((_a, i) => (b.outcome.decisionBits >> BigInt(i)) & 1n).length,
          0,
        );
        const summary = {
          network: hre.network.name,
          anchor: deployment.contracts.stateAnchor.address,
          runFolder: proved.store.dir,
          batches: plan.batches.length,
          batchSize: plan.batchSize,
          decisions,
          approved,
          denied: decisions - approved,
          threshold: plan.threshold.toString(),
          concurrency: args.concurrency || p.defaultConcurrency(),
          provedBatches: proved.summary.proved,
          reusedBatches: proved.summary.reused,
          provingWallMs: proveMs,
          provingMsPerBatch: proved.summary.proved ? Math.round(proved.summary.batchMs / proved.summary.proved) : 0,
          batchesPerMinute: proved.summary.proved ? +((proved.summary.proved * 60_000) / proveMs).toFixed(2) : 0,
          submitMs,
          attestGas: submitted.gasUsed.toString(),
          gasPerBatch: submitted.sent ? Number(submitted.gasUsed / BigInt(submitted.sent)) : 0,
          gasPerDecision: submitted.decisionsSent ? Number(submitted.gasUsed / BigInt(submitted.decisionsSent)) : 0,
          finalStateRoot: hex(view.stateRoot),
          finalRootMatchesPlan: view.stateRoot === p.finalRoot(plan),
          anchorNonce: view.nonce.toString(),
          decisionCountOnChain: view.decisionCount.toString(),
          audit:
            audit.verdict === "pass" ? "pass" : failed.map((c) => `${c.status} ${c.check} ${c.subject}: ${c.reason}`),
          wallMs: Date.now() - t0,
        };
        if (args.json) return console.log(JSON.stringify(summary, null, 2));
        console.log("");
        console.log(
          `demo summary (network ${summary.network}, in-process; test-profile circuits with a development-only setup)`,
        );
        console.log(
          `  batches           ${summary.batches} of up to ${summary.batchSize} (${summary.decisions} decisions: ${summary.approved} approved, ${summary.denied} denied; threshold ${summary.threshold})`,
        );
        console.log(
          `  proving           ${summary.provedBatches} batch(es) proved + verified in ${secs(summary.provingWallMs)} with ${summary.concurrency} worker(s) (${secs(summary.provingMsPerBatch)} per batch in a worker, ${summary.batchesPerMinute} batches/min)`,
        );
        console.log(
          `  submission        ${submitted.sent} attest transaction(s) in ${secs(submitMs)}; gas ${summary.attestGas} total, ${summary.gasPerBatch} per batch, ${summary.gasPerDecision} per decision`,
        );
        console.log(
          `  final state root  ${summary.finalStateRoot} (nonce ${summary.anchorNonce}, ${summary.decisionCountOnChain} decisions on chain; ${summary.finalRootMatchesPlan ? "matches the plan" : "DOES NOT match the plan"})`,
        );
        console.log(
          `  audit             ${audit.verdict === "pass" ? `pass: ${audit.checks.length} checks (verifiers are the generated ones, guest known, ${audit.batches.length} batch(es) re-verified, every root matches the chain)` : `${audit.verdict.toUpperCase()}: ${failed.map((c) => `${c.check} ${c.subject}: ${c.reason}`).join("; ")}`}`,
        );
        console.log(`  run folder        ${summary.runFolder} (private: scores and salts in receipts.csv)`);
        console.log(`  wall time         ${secs(summary.wallMs)}`);
      }),
  );
