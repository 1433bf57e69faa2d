/**
 * Proving on several machines: runQueue has runPool's contract (onStart, onProved once per batch
 * with verified proofs, the first permanent failure rejects with ProvingFailedError) but puts the
 * batches on a BullMQ queue in Redis, where workers on any machine (queue-worker.ts,
 * `npx hardhat anchor:worker`) take them.
 *
 * - Job ids are deterministic (queueJobId: run, batch index, fingerprint): adding a batch twice is a
 *   no-op, a result for a batch already delivered is ignored, and a submitter run again after a
 *   crash picks up the results its workers stored meanwhile.
 * - Workers are not trusted: every returned result is checked (proof sizes, public signals equal to
 *   the plan's) and verified with `verify` before onProved; a result that fails is removed and the
 *   batch queued again (maxInvalidProofs times at most).
 * - State is polled (every pollMs), not taken from BullMQ's event stream, whose events are lost
 *   while Redis is down. Every reconcileMs, and right after a reconnection, every batch not
 *   delivered yet that has no job in Redis (Redis restarted without persistence) is added again.
 * - The proving-key identity is in every job (workers refuse other key sets) and published, with
 *   an expiry refreshed while the run lasts, at keysetKey(queueName) (workers check it at startup).
 * - Job data holds the batch's scores and salts: Redis and the workers must be private.
 * - Libraries never print: progress and warnings go to onEvent.
 */
import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { ProvingFailedError, type PoolJob } from "./pool";
import {
  DEFAULT_QUEUE_NAME,
  JOB_NAME,
  KEYSET_TTL_MS,
  keysetKey,
  parseQueueUrl,
  queueJobId,
  queueJobPrefix,
  redisOptions,
  withProbe,
  type QueueJobData,
  type QueueJobResult,
} from "./queue-shared";
import type { BatchProofs } from "../types";

export interface QueueRunOptions {
  /** redis://[user:password@]host:port[/db]; the password may come from $ZKLA_REDIS_PASSWORD. */
  url: string;
  /** Default "zkla-proving"; workers must use the same. */
  queueName?: string;
  /** The run's id (part of every job id). */
  runId: string;
  /** The submitter's proving-key identity (provingKeyId(profile)). */
  keyId: string;
  /** Verifies a result against the plan (the job's expected signals) before it is delivered. */
  verify: (job: PoolJob, proofs: BatchProofs) => Promise<boolean>;
  /** A worker took the batch (once per batch, again after the batch was queued anew). */
  onStart?: (index: number) => void;
  onProved: (index: number, proofs: BatchProofs, ms: number) => void | Promise<void>;
  onEvent?: (e: QueueEvent) => void;
  /** Attempts per job when a worker's proving fails (exponential backoff from backoffMs); default 3. */
  attempts?: number;
  /** Default 10 s. */
  backoffMs?: number;
  /** Results of one batch that may fail verification before the run fails; default 3. */
  maxInvalidProofs?: number;
  /** Default 500 ms. */
  pollMs?: number;
  /** Default 5 s. */
  reconcileMs?: number;
  /** How long to wait for Redis at the start; default 10 s. */
  connectTimeoutMs?: number;
  /**
   * Checked at every poll: true stops the run (e.g. the submission failed): queued batches are taken
   * back, those being proved are still delivered, then runQueue resolves.
   */
  shouldStop?: () => boolean;
  /** Batches in Redis (queued, being proved or proved and not collected yet) at most; default 256. */
  maxOutstanding?: number;
  /** After this long without progress a `queue-idle` event says what waits and how many workers are connected; default 30 s. */
  idleNoticeMs?: number;
}

export type QueueEvent =
  | {
      type: "queue-start";
      queue: string;
      server: string;
      runId: string;
      keyId: string;
      jobs: number;
      /** Results already in Redis (workers finished them while no submitter was running). */
      done: number;
    }
  | { type: "queue-keyset-replaced"; queue: string; previous: string; previousRunId: string | null }
  | { type: "queue-disconnected"; message: string }
  | { type: "queue-reconnected" }
  | { type: "queue-error"; message: string }
  | { type: "queue-idle"; waiting: number; active: number; delayed: number; workers: number }
  | { type: "batch-requeued"; index: number; reason: "missing" | "invalid-proof" | "failed-before" }
  | { type: "batch-invalid-proof"; index: number; worker: string | null; message: string; count: number }
  | { type: "batch-duplicate"; index: number };

const DAY_S = 24 * 3600;
const QUEUED = ["wait", "paused", "delayed", "prioritized", "waiting-children"] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `p`, or undefined after `ms` (cleanup must not hang on a Redis that is gone). */
const within = <T>(ms: number, p: Promise<T>): Promise<T | undefined> =>
  Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

/** What is wrong with a worker's result for `pj` (undefined: well-formed and bound to the plan's signals). */
export function resultProblem(pj: PoolJob, result: unknown): string | undefined {
  const r = result as Partial<QueueJobResult> | null;
  const p = r?.proofs as Partial<BatchProofs> | undefined;
  if (!p || typeof p !== "object") return "the worker returned no proofs";
  const strings = (a: unknown, n?: number) =>
    Array.isArray(a) && (n === undefined || a.length === n) && a.every((x) => typeof x === "string" && /^\d+$/.test(x));
  if (!strings(p.policyProof, 24) || !strings(p.zkvmProof, 8))
    return "malformed proof words (expected 24 policy and 8 zkVM decimal words)";
  const same = (a: unknown, b: readonly string[]) =>
    strings(a, b.length) && (a as string[]).every((x, i) => BigInt(x) === BigInt(b[i]));
  if (!same(p.policyPublicSignals, pj.expectedPolicySignals))
    return "the policy proof's public signals differ from the plan";
  if (!same(p.zkvmPublicSignals, pj.expectedZkvmSignals)) return "the zkVM proof's public signals differ from the plan";
  return undefined;
}

/**
 * Proves `count` jobs taken from `jobs` through the queue; like runPool, the iterable is read lazily
 * (at most maxOutstanding batches are in Redis and in memory at once) and may end early (proveRun's
 * shouldStop). Resolves when every batch taken has been delivered to onProved.
 */
export async function runQueue(jobs: Iterable<PoolJob>, count: number, options: QueueRunOptions): Promise<void> {
  if (count === 0) return;
  const emit = options.onEvent ?? (() => {});
  const server = parseQueueUrl(options.url);
  const queueName = options.queueName || DEFAULT_QUEUE_NAME;
  const { runId, keyId } = options;
  const pollMs = options.pollMs ?? 500;
  const reconcileMs = options.reconcileMs ?? 5000;
  const idleNoticeMs = options.idleNoticeMs ?? 30_000;
  const maxInvalid = options.maxInvalidProofs ?? 3;
  const maxOutstanding = Math.max(1, options.maxOutstanding ?? 256);
  const source = jobs[Symbol.iterator]();
  let exhausted = false;
  /** Batches taken from `jobs` and not delivered yet, by job id. */
  const pending = new Map<string, PoolJob>();
  /** Batch index by job id of the batches delivered (a later result for them is a duplicate). */
  const delivered = new Map<string, number>();
  const prefix = queueJobPrefix(runId);
  const ours = (ids: string[]) => ids.filter((id) => id.startsWith(prefix));

  // A wrong host or password fails here, instead of waiting forever below.
  const previous = await withProbe(server, options.connectTimeoutMs ?? 10_000, (r) => r.hgetall(keysetKey(queueName)));

  const redis = new Redis(redisOptions(server, `zkla-submitter:${runId}`));
  let lastError = "";
  let down = false;
  let reconnected = false;
  let closing = false;
  redis.on("error", (e: Error) => (lastError = e.message));
  redis.on("close", () => {
    if (down || closing) return;
    down = true;
    emit({ type: "queue-disconnected", message: lastError || "connection closed" });
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    reconnected = true;
    emit({ type: "queue-reconnected" });
  });
  const queue = new Queue<QueueJobData, QueueJobResult>(queueName, { connection: redis });
  queue.on("error", (e: Error) => (lastError = e.message));

  const jobOptions = (id: string): JobsOptions => ({
    jobId: id,
    attempts: options.attempts ?? 3,
    backoff: { type: "exponential", delay: options.backoffMs ?? 10_000 },
    // Results are removed once delivered; leftovers of a run never resumed expire.
    removeOnComplete: { age: 7 * DAY_S },
    removeOnFail: { age: 7 * DAY_S },
  });
  const jobData = (pj: PoolJob): QueueJobData => ({
    version: 1,
    runId,
    index: pj.job.index,
    keyId,
    job: pj.job,
    expectedPolicySignals: pj.expectedPolicySignals,
    expectedZkvmSignals: pj.expectedZkvmSignals,
  });
  /** Batches whose job had failed for good before this run started: they start again with fresh attempts. */
  let failedBefore = new Set<string>();
  const add = async (ids: readonly string[]) => {
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      for (const id of chunk.filter((id) => failedBefore.has(id))) {
        await queue.remove(id);
        failedBefore.delete(id);
        emit({ type: "batch-requeued", index: pending.get(id)!.job.index, reason: "failed-before" });
      }
      await queue.addBulk(
        chunk.map((id) => ({ name: JOB_NAME, data: jobData(pending.get(id)!), opts: jobOptions(id) })),
      );
    }
  };
  /** Takes batches from `jobs` up to maxOutstanding and queues them. */
  const refill = async () => {
    const ids: string[] = [];
    while (!exhausted && pending.size < maxOutstanding) {
      const next = source.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const pj = next.value;
      const id = queueJobId(runId, pj.job.index, pj.job.fingerprint);
      pending.set(id, pj);
      ids.push(id);
    }
    await add(ids);
  };
  const key = keysetKey(queueName);
  let profile = "";
  const publish = () =>
    redis
      .multi()
      .hset(key, { keyId, runId, profile, updatedAt: new Date().toISOString() })
      .pexpire(key, KEYSET_TTL_MS)
      .exec();
  const ranges = async (types: readonly string[]) => ours(await queue.getRanges(types as never, 0, -1));

  const started = new Set<string>();
  const invalid = new Map<string, number>();
  let lastProgress = Date.now();
  let lastIdleNotice = 0;
  let lastReconcile = Date.now();

  /** Verifies a completed job's result and delivers it, or queues the batch again. */
  const collect = async (id: string) => {
    if (delivered.has(id)) {
      await queue.remove(id);
      emit({ type: "batch-duplicate", index: delivered.get(id)! });
      return;
    }
    const pj = pending.get(id);
    if (!pj) return; // a result for a batch not taken from `jobs` yet (an earlier submitter's): collected later
    const job = await queue.getJob(id);
    if (!job) return;
    const index = pj.job.index;
    const result = job.returnvalue as QueueJobResult | null;
    let problem = resultProblem(pj, result);
    if (!problem) {
      try {
        if (!(await options.verify(pj, result!.proofs))) problem = "the proofs do not verify";
      } catch (e) {
        problem = `the proofs could not be verified: ${(e as Error).message}`;
      }
    }
    if (problem) {
      const count = (invalid.get(id) ?? 0) + 1;
      invalid.set(id, count);
      emit({ type: "batch-invalid-proof", index, worker: job.processedBy ?? null, message: problem, count });
      await queue.remove(id);
      if (count >= maxInvalid)
        throw new ProvingFailedError([
          {
            index,
            message: `batch ${index}: ${count} result(s) from workers failed verification; the last: ${problem}`,
          },
        ]);
      started.delete(id);
      await add([id]);
      emit({ type: "batch-requeued", index, reason: "invalid-proof" });
      return;
    }
    const proofs = result!.proofs;
    try {
      await options.onProved(
        index,
        {
          policyProof: proofs.policyProof,
          zkvmProof: proofs.zkvmProof,
          policyPublicSignals: proofs.policyPublicSignals,
          zkvmPublicSignals: proofs.zkvmPublicSignals,
          policyMs: Number(proofs.policyMs) || 0,
          zkvmMs: Number(proofs.zkvmMs) || 0,
        },
        Number(result!.ms) || 0,
      );
    } catch (e) {
      throw new ProvingFailedError([{ index, message: (e as Error).message }]);
    }
    pending.delete(id);
    delivered.set(id, index);
    invalid.delete(id);
    started.delete(id);
    lastProgress = Date.now();
    await queue.remove(id);
  };

  /** Adds again every batch not delivered whose job is gone from Redis. */
  const reconcile = async () => {
    const present = new Set(await ranges(["active", "completed", "failed", ...QUEUED]));
    const missing: string[] = [];
    for (const id of pending.keys()) {
      // A job can move between lists while they are read: only a job Redis does not know is missing.
      if (!present.has(id) && (await queue.getJobState(id)) === "unknown") missing.push(id);
    }
    await add(missing);
    for (const id of missing) {
      started.delete(id);
      emit({ type: "batch-requeued", index: pending.get(id)!.job.index, reason: "missing" });
    }
  };

  let failed = false;
  try {
    if (previous.keyId && previous.keyId !== keyId)
      emit({
        type: "queue-keyset-replaced",
        queue: queueName,
        previous: previous.keyId,
        previousRunId: previous.runId ?? null,
      });
    failedBefore = new Set(await ranges(["failed"]));
    const done = (await ranges(["completed"])).length;
    await refill();
    profile = pending.values().next().value?.job.profile ?? "";
    await publish();
    emit({ type: "queue-start", queue: queueName, server: server.display, runId, keyId, jobs: count, done });

    let stopping = false;
    while (pending.size > 0) {
      try {
        if (!stopping && options.shouldStop?.()) {
          // Like the pool: nothing new is started; the batches being proved are still delivered.
          stopping = exhausted = true;
          for (const id of await ranges(QUEUED)) {
            if (pending.has(id) && (await queue.remove(id)) === 1) pending.delete(id);
          }
          if (pending.size === 0) break;
        }
        await publish();
        const [active, completed, failedIds] = await Promise.all([
          ranges(["active"]),
          ranges(["completed"]),
          ranges(["failed"]),
        ]);
        for (const id of active) {
          const pj = pending.get(id);
          if (!pj || started.has(id)) continue;
          started.add(id);
          lastProgress = Date.now();
          options.onStart?.(pj.job.index);
        }
        for (const id of failedIds) {
          const pj = pending.get(id);
          const job = pj ? await queue.getJob(id) : undefined;
          if (!pj || !job || !(await job.isFailed())) continue;
          throw new ProvingFailedError([
            {
              index: pj.job.index,
              message: `batch ${pj.job.index}: ${job.failedReason} (after ${job.attemptsMade} attempt(s))`,
            },
          ]);
        }
        for (const id of completed) await collect(id);
        await refill();
        if (pending.size === 0) break;
        if (reconnected || Date.now() - lastReconcile >= reconcileMs) {
          reconnected = false;
          lastReconcile = Date.now();
          await reconcile();
        }
        if (Date.now() - lastProgress >= idleNoticeMs && Date.now() - lastIdleNotice >= idleNoticeMs) {
          lastIdleNotice = Date.now();
          const c = await queue.getJobCounts("wait", "active", "delayed", "prioritized");
          const workers = await queue.getWorkersCount().catch(() => -1);
          emit({
            type: "queue-idle",
            waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            workers,
          });
        }
      } catch (e) {
        if (e instanceof ProvingFailedError) throw e;
        // A Redis error (e.g. during a restart): said, and the next poll tries again.
        emit({ type: "queue-error", message: (e as Error).message });
      }
      await sleep(pollMs);
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    closing = true;
    await within(5000, cleanup(queue, redis, key, runId, failed ? new Set(pending.keys()) : new Set()));
    await within(5000, queue.close());
    await within(2000, redis.quit());
    redis.disconnect();
  }
}

/** After the run: its queued jobs that will not be needed (failure) are removed, and its key set withdrawn. */
async function cleanup(queue: Queue, redis: Redis, key: string, runId: string, pending: Set<string>): Promise<void> {
  if (pending.size > 0) {
    const queued = await queue.getRanges([...QUEUED] as never, 0, -1);
    for (const id of queued) if (pending.has(id)) await queue.remove(id).catch(() => 0);
  }
  if ((await redis.hget(key, "runId")) === runId) await redis.del(key);
}
