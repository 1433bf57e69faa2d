/**
 * A prover on any machine: takes batches from the BullMQ queue that runQueue (queue.ts) fills on a
 * Redis server, proves each in a sandboxed child process (queue-processor.js -> queue-job.ts, the
 * pool's own checks), and returns the proofs as the job's value; the submitter verifies them again.
 *
 * - Key set: at startup the worker reads the key identity a running submitter publishes
 *   (keysetKey) and refuses to start on another one (`keyset-mismatch`); a job whose keyId differs
 *   from the worker's (a submitter started later with other keys) is put back, delayed, for another
 *   worker, without using up its attempts.
 * - A worker killed mid-job stops renewing the job's lock: after lockDurationMs another worker's
 *   stalled check (every stalledIntervalMs) puts the job back (up to maxStalledCount times).
 * - Libraries never print: progress goes to onEvent.
 */
import os from "node:os";
import path from "node:path";
import { DelayedError, Worker, type Job } from "bullmq";
import { ZklaError } from "../../errors";
import {
  DEFAULT_QUEUE_NAME,
  PROVER_MODULE_ENV,
  keysetKey,
  parseQueueUrl,
  redisOptions,
  withProbe,
  type QueueJobData,
  type QueueJobResult,
} from "./queue-shared";

export interface QueueWorkerOptions {
  /** redis://[user:password@]host:port[/db]; the password may come from $ZKLA_REDIS_PASSWORD. */
  url: string;
  /** Default "zkla-proving". */
  queueName?: string;
  /** Jobs proven at once (each in its own child process); default 1. */
  concurrency?: number;
  /** Absolute path of a module exporting createProver() (default: the snarkjs prover). */
  proverModule?: string;
  /** This build's proving-key identity (provingKeyId(profile)). */
  keyId: string;
  /** How long a job's lock lasts without renewal (renewed every half of it); default 30 s. */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired (their worker died); default 30 s. */
  stalledIntervalMs?: number;
  /** Times a job may be put back after its worker died before it fails; default 10. */
  maxStalledCount?: number;
  /** How long to wait for Redis at startup; default 10 s. */
  connectTimeoutMs?: number;
  /** How long a job of another key set is put aside before it is offered again; default 5 s. */
  refusedDelayMs?: number;
  /** Name recorded on the jobs it takes; default <hostname>:<pid>. */
  name?: string;
  onEvent?: (e: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | {
      type: "worker-ready";
      name: string;
      queue: string;
      server: string;
      keyId: string;
      concurrency: number;
      /** The key set a running submitter published (null: no submitter running now). */
      published: string | null;
    }
  | { type: "job-taken"; jobId: string; runId: string; index: number; attempt: number }
  | { type: "job-proved"; jobId: string; runId: string; index: number; ms: number }
  | {
      type: "job-failed";
      jobId: string;
      runId: string;
      index: number;
      message: string;
      attemptsMade: number;
      attempts: number;
    }
  | { type: "job-refused"; jobId: string; runId: string; index: number; jobKeyId: string; keyId: string }
  | { type: "job-stalled"; jobId: string }
  | { type: "worker-error"; message: string }
  | { type: "worker-closing"; force: boolean }
  | { type: "worker-closed" };

export interface QueueWorkerHandle {
  readonly name: string;
  /**
   * Stops taking jobs and waits for the jobs in progress, unless `force` (their jobs go back to the
   * queue once their lock expires). A second call returns the first one's promise.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/** The key set a queue's running submitter published does not match this worker's build. */
export class KeysetMismatchError extends ZklaError {
  constructor(
    readonly queue: string,
    readonly published: string,
    readonly keyId: string,
    detail: { runId?: string; profile?: string },
  ) {
    super(
      "keyset-mismatch",
      `queue "${queue}" is proving for key set ${published}` +
        (detail.runId ? ` (run ${detail.runId}${detail.profile ? `, profile ${detail.profile}` : ""})` : "") +
        `, but this worker's build has key set ${keyId}`,
      `build the circuits of the submitter's commit here (npx hardhat circuits:build --profile ${detail.profile ?? "<profile>"}) and pass the same --profile, or use another --queue-name`,
    );
  }
}

const PROCESSOR = path.join(__dirname, "queue-processor.js");

class ProvingWorker extends Worker<QueueJobData, QueueJobResult> {
  keyId = "";
  refusedDelayMs = 5000;
  onRefused: (job: Job<QueueJobData, QueueJobResult>) => void = () => {};

  protected override async callProcessJob(
    job: Job<QueueJobData, QueueJobResult>,
    token: string,
    signal?: AbortSignal,
  ): Promise<QueueJobResult> {
    if (job.data.keyId !== this.keyId) {
      // Not a failure (that would use up an attempt): back to the delayed set for a worker of that key set.
      this.onRefused(job);
      await job.moveToDelayed(Date.now() + this.refusedDelayMs, token);
      throw new DelayedError();
    }
    return super.callProcessJob(job, token, signal);
  }
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const emit = options.onEvent ?? (() => {});
  const server = parseQueueUrl(options.url);
  const queue = options.queueName || DEFAULT_QUEUE_NAME;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const name = options.name ?? `${os.hostname()}:${process.pid}`;
  const published = await withProbe(server, options.connectTimeoutMs ?? 10_000, async (redis) => {
    const k = await redis.hgetall(keysetKey(queue));
    if (k.keyId && k.keyId !== options.keyId) throw new KeysetMismatchError(queue, k.keyId, options.keyId, k);
    return k.keyId ?? null;
  });

  const worker = new ProvingWorker(queue, PROCESSOR, {
    connection: redisOptions(server, `zkla-worker:${name}`),
    name,
    concurrency,
    autorun: false,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 10,
    // The prover's output goes to stderr (stdout may carry --json lines); the child loads the prover module.
    workerForkOptions: {
      stdio: ["ignore", 2, 2, "ipc"],
      env: {
        ...process.env,
        ...(options.proverModule ? { [PROVER_MODULE_ENV]: options.proverModule } : {}),
      },
    },
  });
  worker.keyId = options.keyId;
  worker.refusedDelayMs = options.refusedDelayMs ?? 5000;
  const ids = (job: Job<QueueJobData, QueueJobResult>) => ({
    jobId: job.id ?? "?",
    runId: String(job.data?.runId),
    index: Number(job.data?.index),
  });
  worker.onRefused = (job) =>
    emit({ type: "job-refused", ...ids(job), jobKeyId: String(job.data.keyId), keyId: options.keyId });
  worker.on("active", (job) => emit({ type: "job-taken", ...ids(job), attempt: job.attemptsMade + 1 }));
  worker.on("completed", (job, result) => emit({ type: "job-proved", ...ids(job), ms: result?.ms ?? 0 }));
  worker.on("failed", (job, err) => {
    if (!job) return emit({ type: "worker-error", message: err.message });
    emit({
      type: "job-failed",
      ...ids(job),
      message: err.message,
      attemptsMade: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
    });
  });
  worker.on("stalled", (jobId) => emit({ type: "job-stalled", jobId }));
  // Connection errors repeat on every reconnection attempt: said once until the message changes or 30 s pass.
  let lastError = { message: "", at: 0 };
  worker.on("error", (err) => {
    const message = err?.message ?? String(err);
    if (message === lastError.message && Date.now() - lastError.at < 30_000) return;
    lastError = { message, at: Date.now() };
    emit({ type: "worker-error", message });
  });
  const running = worker.run().catch((err: Error) => emit({ type: "worker-error", message: err.message }));
  await worker.waitUntilReady();
  emit({ type: "worker-ready", name, queue, server: server.display, keyId: options.keyId, concurrency, published });

  let closing: Promise<void> | undefined;
  return {
    name,
    close({ force = false } = {}) {
      if (closing) return closing;
      emit({ type: "worker-closing", force });
      closing = (async () => {
        await worker.close(force);
        await running;
        emit({ type: "worker-closed" });
      })();
      return closing;
    },
  };
}
