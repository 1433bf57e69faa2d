/**
 * Opening a run: a new run validates the input (nothing happens when any row is bad), draws the
 * missing salts, reads the anchor's state, plans every batch and writes plan + receipts + manifest.
 * An existing run (same input file, chain, anchor, policy) is loaded as it was planned, so a resumed
 * run proves and submits exactly the same batches with the same salts.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { RunMismatchError } from "../errors";
import { assignSalts, readApplications } from "./input";
import { planRun } from "./plan";
import { RunStore } from "./store";
import type { EventSink } from "../events";
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
  const bytes = fs.readFileSync(o.input);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  let runId = o.runId ?? defaultRunId(o.input, sha256, o.context);
  if (o.newRun && !o.runId)
    runId += "-" + new Date().toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15);
  const store = new RunStore(path.join(o.runsDir, runId));
  if (store.exists() && !o.newRun) {
    const plan = store.loadPlan();
    checkSameRun(plan, sha256, o.context, store.dir);
    emit({
      type: "run-loaded",
      runId,
      dir: store.dir,
      batches: plan.batches.length,
      applications: countApps(plan),
      startNonce: plan.startNonce.toString(),
    });
    return { plan, store, created: false };
  }
  if (store.exists()) throw new RunMismatchError(`run folder ${store.dir} already exists; choose another --run id`);
  // Validation happens before anything else: a bad file plans, proves and sends nothing.
  const inputs = readApplications(o.input, { scoreBits: o.policy.scoreBits });
  const applications = assignSalts(inputs, o.random);
  const start = await o.readStart();
  const plan = planRun(
    { runId, source: { file: path.resolve(o.input), sha256 }, context: o.context, start, applications },
    o.policy,
    o.state,
  );
  store.create(plan, applications);
  emit({
    type: "run-created",
    runId,
    dir: store.dir,
    batches: plan.batches.length,
    applications: applications.length,
    startNonce: start.nonce.toString(),
    generatedSalts: applications.filter((a) => a.saltGenerated).length,
  });
  return { plan, store, created: true };
}

function countApps(plan: RunPlan): number {
  return plan.batches.reduce((n, b) => n + b.applications.length, 0);
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
