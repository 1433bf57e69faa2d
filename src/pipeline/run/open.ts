/**
 * Opening a run: a new run validates the input (nothing happens when any row is bad), draws the
 * missing salts, reads the anchor's state, plans every batch and writes plan + receipts + manifest.
 * An existing run (same input file, chain, anchor, policy) is loaded as it was planned, so a resumed
 * run proves and submits exactly the same batches with the same salts.
 *
 * With maxBatches (--max-batches N) only the file's first N * batchSize rows are planned; the whole
 * file is still validated first. N is not part of the run id: the run of a file is opened only with
 * the N it was planned with (RunMismatchError otherwise), since a run with another N would plan the
 * same first rows again and attest those applications a second time.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../../errors";
import { RunMismatchError } from "../errors";
import { randomFieldElement, readApplications, withSalt, type ApplicationInput } from "./input";
import { AlreadyOnAnchorError, Ledger } from "./ledger";
import { finalRoot, planRun } from "./plan";
import { RunStore } from "./store";
import type { EventSink, PipelineEvent } from "../events";
import type { AnchorState, PolicyModel, RunContext, RunPlan, StateModel } from "../types";

export interface OpenRunOptions {
  input: string;
  context: RunContext;
  policy: PolicyModel;
  state: StateModel;
  /** Reads the anchor's current (nonce, root); only called when a new run is planned. */
  readStart: () => Promise<AnchorState>;
  runsDir: string;
  /** Explicit run id (folder name); default derived from the input file and the target. */
  runId?: string;
  /** Plan a new run even if one exists for this input (e.g. after the chain diverged). */
  newRun?: boolean;
  /**
   * Plan only the file's first maxBatches * batchSize rows (default: the whole file). An existing
   * run is loaded only when it was planned with the same value (undefined = the whole file).
   */
  maxBatches?: number;
  /**
   * Rows already on the anchor (attested, or planned in an unfinished run; the per-anchor ledger,
   * src/pipeline/run/ledger.ts) are left out instead of refusing the file (AlreadyOnAnchorError).
   */
  skipAttested?: boolean;
  /** The anchor's deployment block hash: which ledger (src/pipeline/run/ledger.ts) this anchor has. */
  anchorInstance?: string;
  /** Load an existing run whatever maxBatches it was planned with (anchor:submit never plans). */
  anyMaxBatches?: boolean;
  /** The rows of `input`, already validated by readApplications (saves reading the file twice). */
  validated?: readonly ApplicationInput[];
  random?: () => bigint;
  onEvent?: EventSink;
}

export interface OpenedRun {
  plan: RunPlan;
  store: RunStore;
  created: boolean;
}

export function defaultRunId(inputFile: string, fileSha256: string, ctx: RunContext): string {
  const base =
    path
      .basename(inputFile)
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .slice(0, 40) || "run";
  const key = crypto
    .createHash("sha256")
    .update([fileSha256, ctx.chainId, ctx.anchor.toLowerCase(), ctx.policyId, ctx.threshold, ctx.profile].join("|"))
    .digest("hex");
  return `${base}-${key.slice(0, 10)}`;
}

export async function openRun(o: OpenRunOptions): Promise<OpenedRun> {
  const emit: EventSink = o.onEvent ?? (() => {});
  checkMaxBatches(o.maxBatches);
  const bytes = fs.readFileSync(o.input);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  const defaultId = o.runId ?? defaultRunId(o.input, sha256, o.context);
  let runId = defaultId;
  if (o.newRun && !o.runId)
    runId += "-" + new Date().toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15);
  const store = new RunStore(path.join(o.runsDir, runId));
  if (store.exists() && !o.newRun) {
    checkNotAbandoned(o.runsDir, o.context, runId, store.dir, o.anchorInstance);
    const plan = store.loadPlan();
    checkSameRun(plan, sha256, o.context, store.dir);
    if (!o.anyMaxBatches) checkSameLimit(plan, o.maxBatches, store.dir);
    emit(runLoadedEvent(plan, store.dir));
    return { plan, store, created: false };
  }
  if (store.exists()) throw new RunMismatchError(`run folder ${store.dir} already exists; choose another --run id`);
  // Validation happens before anything else: a bad file plans, proves and sends nothing.
  // The whole file is validated (a bad row anywhere plans nothing); only the planned rows get salts.
  const inputs = o.validated ?? readApplications(o.input, { scoreBits: o.policy.scoreBits });
  const ledger = new Ledger(o.runsDir, o.context.chainId, o.context.anchor, o.anchorInstance);
  // --new-run gives up the earlier run of this file: its batches not attested yet are never sent.
  const superseded = new RunStore(path.join(o.runsDir, defaultId));
  if (o.newRun && !o.runId && superseded.exists()) ledger.abandon(defaultId);
  const known = ledger.lookup(inputs.map((a) => a.applicantId));
  if (known.size > 0 && !o.skipAttested) {
    throw new AlreadyOnAnchorError(
      o.input,
      o.context.anchor,
      inputs.filter((a) => known.has(a.applicantId)).map((a) => ({ row: a.row, ...known.get(a.applicantId)! })),
    );
  }
  const fresh = known.size ? inputs.filter((a) => !known.has(a.applicantId)) : inputs;
  const skipped = o.skipAttested
    ? {
        attested: [...known.values()].filter((k) => k.status === "attested").length,
        planned: [...known.values()].filter((k) => k.status === "planned").length,
      }
    : undefined;
  const rows = o.maxBatches === undefined ? fresh.length : Math.min(fresh.length, o.maxBatches * o.context.batchSize);
  const limit = o.maxBatches === undefined ? undefined : { maxBatches: o.maxBatches, rowsLeft: fresh.length - rows };
  const start = await o.readStart();
  const random = o.random ?? randomFieldElement;
  function* salted() {
    for (let i = 0; i < rows; i++) yield withSalt(fresh[i], random); // drawn as planned: one batch in memory
  }

  const planWriter = store.begin();
  const ledgerWriter = ledger.planning(runId);
  const every = Math.max(1, Math.floor(rows / o.context.batchSize / 100));
  let plan: RunPlan;
  try {
    plan = planRun(
      {
        runId,
        source: { file: path.resolve(o.input), sha256 },
        context: o.context,
        start,
        applications: salted(),
        limit,
        skipped,
        onBatch: (batches, applications) => {
          if (batches % every === 0 || applications === rows)
            emit({ type: "plan-progress", batches, applications, total: rows });
        },
      },
      o.policy,
      o.state,
      {
        add(batch, saltGenerated, policyId) {
          planWriter.add(batch, saltGenerated, policyId);
          ledgerWriter.add(
            batch.index,
            batch.applications.map((a) => a.applicantId),
          );
        },
        commit(header) {
          ledgerWriter.close(); // the ledger knows the run's ids before the run exists
          return planWriter.commit(header);
        },
      },
    );
  } catch (err) {
    planWriter.abort();
    throw err;
  }
  emit({
    type: "run-created",
    runId,
    dir: store.dir,
    batches: plan.batches.length,
    applications: plan.applications,
    startNonce: start.nonce.toString(),
    generatedSalts: planWriter.count.generatedSalts,
    maxBatches: o.maxBatches ?? null,
    rowsLeft: fresh.length - rows,
    skippedAttested: skipped?.attested ?? 0,
    skippedPlanned: skipped?.planned ?? 0,
  });
  return { plan, store, created: true };
}

/** Refuses to continue a run that --new-run gave up (a later run may plan its unattested rows). */
export function checkNotAbandoned(
  runsDir: string,
  ctx: RunContext,
  runId: string,
  dir: string,
  anchorInstance?: string,
): void {
  if (new Ledger(runsDir, ctx.chainId, ctx.anchor, anchorInstance).isAbandoned(runId))
    throw new RunMismatchError(
      `run ${runId} in ${dir} was given up by --new-run: its batches not attested then may be planned in a later run, so it is not continued`,
      "continue the run that replaced it (see the runs folder), or plan the rows not attested yet with --skip-attested",
    );
}

/** --max-batches must be a whole number of at least 1 (undefined: the whole file). */
export function checkMaxBatches(n: number | undefined): void {
  if (n !== undefined && !(Number.isSafeInteger(n) && n >= 1))
    throw new UsageError(`--max-batches must be at least 1, got ${n}`);
}

/** The run-loaded event of a plan (an existing run opened by input file or by run id). */
export function runLoadedEvent(plan: RunPlan, dir: string): PipelineEvent {
  return {
    type: "run-loaded",
    runId: plan.runId,
    dir,
    batches: plan.batches.length,
    applications: plan.applications,
    startNonce: plan.startNonce.toString(),
    maxBatches: plan.maxBatches ?? null,
    rowsLeft: plan.rowsLeft ?? 0,
  };
}

/** The plan-ready event: what a planned run holds (anchor:prove --plan-only, the script API's plan()). */
export function planReadyEvent(plan: RunPlan, store: RunStore, created: boolean): PipelineEvent {
  const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");
  const last = plan.batches.at(-1);
  return {
    type: "plan-ready",
    runId: plan.runId,
    dir: store.dir,
    created,
    batches: plan.batches.length,
    applications: plan.applications,
    rowsLeft: plan.rowsLeft ?? 0,
    firstNonce: plan.startNonce.toString(),
    lastNonce: (last?.nonce ?? plan.startNonce).toString(),
    finalRoot: hex(finalRoot(plan)),
    files: [store.planFile, store.batchesFile, store.receiptsFile].map((f) => path.basename(f)),
  };
}

/**
 * Throws RunMismatchError unless `plan` was planned with this --max-batches (undefined: the whole
 * file). Never suggests --new-run: a new run of the same file plans its first rows again.
 */
export function checkSameLimit(plan: RunPlan, maxBatches: number | undefined, dir: string): void {
  if (plan.maxBatches === maxBatches) return;
  const planned = plan.applications;
  const was =
    plan.maxBatches === undefined
      ? `for the whole file (${planned} rows)`
      : `with --max-batches ${plan.maxBatches} (the file's first ${planned} rows; ${plan.rowsLeft ?? 0} left for a later run)`;
  const asked = maxBatches === undefined ? "for the whole file" : `with --max-batches ${maxBatches}`;
  const again = plan.maxBatches === undefined ? "without --max-batches" : `with --max-batches ${plan.maxBatches}`;
  throw new RunMismatchError(
    `run ${plan.runId} in ${dir} was planned ${was}, not ${asked}: run it again ${again} to continue that run`,
    "to plan the rows left once this run is attested, run the same file with --new-run --skip-attested " +
      "(the rows already attested are left out)",
  );
}

function checkSameRun(plan: RunPlan, sha256: string, ctx: RunContext, dir: string): void {
  checkRunTarget(plan, ctx, dir, plan.source.sha256 !== sha256 ? ["the input file changed"] : []);
}

/**
 * Throws RunMismatchError unless `plan` was planned for this target (chain, anchor, policy, method ID,
 * threshold, domain, profile): the one check for a run opened by input file or by run id.
 */
export function checkRunTarget(plan: RunPlan, ctx: RunContext, dir: string, already: string[] = []): void {
  const diffs: string[] = [...already];
  if (plan.chainId !== ctx.chainId) diffs.push(`chain id ${plan.chainId} vs ${ctx.chainId}`);
  if (plan.anchor.toLowerCase() !== ctx.anchor.toLowerCase()) diffs.push(`anchor ${plan.anchor} vs ${ctx.anchor}`);
  if (plan.policyId !== ctx.policyId) diffs.push(`policy ${plan.policyId} vs ${ctx.policyId}`);
  if (plan.methodId !== ctx.methodId) diffs.push(`method ID ${plan.methodId} vs ${ctx.methodId}`);
  if (plan.threshold !== ctx.threshold) diffs.push(`threshold ${plan.threshold} vs ${ctx.threshold}`);
  if (plan.domain !== ctx.domain) diffs.push(`domain ${plan.domain} vs ${ctx.domain}`);
  if (plan.profile !== ctx.profile || plan.batchSize !== ctx.batchSize)
    diffs.push(`profile ${plan.profile}/${plan.batchSize} vs ${ctx.profile}/${ctx.batchSize}`);
  if (diffs.length) {
    throw new RunMismatchError(
      `run ${plan.runId} in ${dir} was planned for something else (${diffs.join("; ")}); use --new-run or another --run id`,
    );
  }
}
