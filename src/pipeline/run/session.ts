/**
 * What anchor:prove / submit / attest and the script API share: a run opened for a deployment and a
 * network. The input file is validated before anything touches the chain; the target (anchor, policy)
 * is resolved and checked against the chain; a run is planned, or an existing one loaded and checked to
 * be the same run (run.ts checkRunTarget: one check for both paths).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Provider } from "ethers";
import type { DeploymentManifest } from "../../anchor/deploy";
import { UsageError } from "../../errors";
import { loanGuest } from "../../zkvm/guest";
import { DEFAULT_RETRY, withRetry } from "../util";
import { readAnchorState } from "../../anchor/contract";
import type { EventSink } from "../events";
import { readApplications } from "./input";
import { anchorStateModel, policyModel } from "./models";
import {
  checkMaxBatches,
  checkNotAbandoned,
  checkRunTarget,
  checkSameLimit,
  defaultRunId,
  openRun,
  runLoadedEvent,
} from "./open";
import { RunStore } from "./store";
import { resolveTarget } from "./target";
import type { PolicyModel, RunContext, RunPlan } from "../types";

export interface RunSessionOptions {
  deployment: DeploymentManifest;
  provider: Provider;
  /** Default: the last policy of the deployment manifest. */
  policyId?: bigint;
  /** Applications file (.csv or .json); without it, `run` names a planned run to continue. */
  input?: string;
  /** Run id (folder under runsDir); default derived from the input file and the target. */
  run?: string;
  /** Folder holding run folders (private: scores and salts). */
  runsDir: string;
  /** Plan a new run even when one exists for this input. */
  newRun?: boolean;
  /** Leave out rows already on the anchor instead of refusing the file (see openRun). */
  skipAttested?: boolean;
  /** Only an existing run (anchor:submit): never plan; the run is taken whatever --max-batches it had. */
  mustExist?: boolean;
  /**
   * Plan only the file's first maxBatches batches' worth of rows (default: the whole file). With an
   * input, an existing run must have been planned with the same value; with `run` alone, only when given.
   */
  maxBatches?: number;
  onEvent?: EventSink;
}

export interface RunSession {
  plan: RunPlan;
  /** True when this call planned the run; false when an existing one was loaded. */
  created: boolean;
  store: RunStore;
  context: RunContext;
  policy: PolicyModel;
}

/** Validates the input (no chain access), resolves the target, and plans or loads the run. */
export async function openRunSession(o: RunSessionOptions): Promise<RunSession> {
  const emit: EventSink = o.onEvent ?? (() => {});
  checkMaxBatches(o.maxBatches);
  // A bad file is reported before anything else happens (no chain access, no run folder).
  const validated = o.input
    ? readApplications(o.input, { scoreBits: policyModel(o.deployment.profile).scoreBits })
    : undefined;
  const { context, policy } = await resolveTarget({
    deployment: o.deployment,
    provider: o.provider,
    policyId: o.policyId,
    policy: policyModel,
    guestMethodId: loanGuest().methodId,
  });
  const runsDir = path.resolve(o.runsDir);
  // The ledger of this very anchor: the hash of its deployment block tells it apart from an anchor at
  // the same address on a restarted local chain.
  const deployedAt = o.deployment.contracts.stateAnchor.blockNumber;
  const anchorInstance =
    typeof deployedAt === "number"
      ? ((
          await withRetry("read the anchor's deployment block", () => o.provider.getBlock(deployedAt), {
            ...DEFAULT_RETRY,
            onRetry: (i) => emit({ type: "retry", ...i }),
          })
        )?.hash ?? undefined)
      : undefined;
  if (!o.input) {
    if (!o.run)
      throw new UsageError(
        "no applications given",
        "pass --input <applications.csv|json> (or --run <id> to continue a planned run)",
      );
    const store = new RunStore(path.join(runsDir, o.run));
    if (!store.exists())
      throw new UsageError(`no run ${o.run} in ${runsDir}`, "plan it with anchor:prove --input <file>");
    const plan = store.loadPlan();
    checkRunTarget(plan, context, store.dir);
    checkNotAbandoned(runsDir, context, o.run, store.dir, anchorInstance);
    if (o.maxBatches !== undefined && !o.mustExist) checkSameLimit(plan, o.maxBatches, store.dir);
    emit(runLoadedEvent(plan, store.dir));
    return { plan, store, created: false, context, policy };
  }
  if (o.mustExist) {
    const sha = crypto.createHash("sha256").update(fs.readFileSync(o.input)).digest("hex");
    const id = o.run || defaultRunId(o.input, sha, context);
    if (!new RunStore(path.join(runsDir, id)).exists()) {
      throw new UsageError(
        `no run for ${o.input} in ${runsDir} (expected ${id})`,
        "prove it first with anchor:prove, or use anchor:attest",
      );
    }
  }
  const opened = await openRun({
    input: o.input,
    context,
    policy,
    state: anchorStateModel,
    readStart: () =>
      withRetry("read anchor state", () => readAnchorState(context.anchor, o.provider), {
        ...DEFAULT_RETRY,
        onRetry: (i) => emit({ type: "retry", ...i }),
      }),
    runsDir,
    runId: o.run || undefined,
    newRun: o.newRun,
    skipAttested: o.skipAttested,
    anchorInstance,
    maxBatches: o.maxBatches,
    anyMaxBatches: o.mustExist,
    validated,
    onEvent: emit,
  });
  return { plan: opened.plan, store: opened.store, created: opened.created, context, policy };
}
