/** The queue's events (submitter: queue.ts, worker: queue-worker.ts) as the lines a person reads. Pure: no printing. */
import type { QueueEvent } from "./queue";
import type { QueueWorkerEvent } from "./queue-worker";
import { shortKey } from "./queue-shared";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function describeQueueEvent(e: QueueEvent): string {
  switch (e.type) {
    case "queue-start":
      return (
        `queue "${e.queue}" at ${e.server}: ${e.jobs} batch(es) of run ${e.runId} queued for the workers (key set ${shortKey(e.keyId)})` +
        (e.done > 0 ? `; ${e.done} already proved by workers while no submitter ran` : "")
      );
    case "queue-keyset-replaced":
      return `warning: queue "${e.queue}" was proving for key set ${shortKey(e.previous)}${e.previousRunId ? ` (run ${e.previousRunId})` : ""}; its workers will refuse this run's batches`;
    case "queue-disconnected":
      return `warning: lost the connection to Redis (${e.message}); reconnecting`;
    case "queue-reconnected":
      return "reconnected to Redis; batches whose jobs were lost are queued again";
    case "queue-error":
      return `warning: Redis: ${e.message}; trying again`;
    case "queue-idle":
      return (
        `waiting: ${e.waiting} batch(es) queued, ${e.active} being proved, ${e.delayed} waiting to be retried; ` +
        (e.workers === 0
          ? "no worker is connected: start npx hardhat anchor:worker --queue <url> on a machine with this build"
          : `${e.workers < 0 ? "?" : e.workers} worker connection(s)`)
      );
    case "batch-requeued":
      return `batch ${e.index}: queued again (${e.reason === "missing" ? "its job was gone from Redis" : e.reason === "invalid-proof" ? "the last result failed verification" : "it had failed in an earlier attempt"})`;
    case "batch-invalid-proof":
      return `warning: batch ${e.index}: the result${e.worker ? ` of worker ${e.worker}` : ""} was rejected (${e.message}; ${e.count} so far): not stored`;
    case "batch-duplicate":
      return `batch ${e.index}: a second result was ignored`;
  }
}

export function describeWorkerEvent(e: QueueWorkerEvent): string {
  const batch = (x: { index: number; runId: string }) => `batch ${x.index} of run ${x.runId}`;
  switch (e.type) {
    case "worker-ready":
      return (
        `worker ${e.name}: ${e.concurrency} prover process(es) on queue "${e.queue}" at ${e.server}, key set ${shortKey(e.keyId)}` +
        (e.published ? " (the running submitter's)" : " (no submitter running yet)")
      );
    case "job-taken":
      return `${batch(e)}: proving${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`;
    case "job-proved":
      return `${batch(e)}: proved in ${secs(e.ms)}`;
    case "job-failed":
      return `${batch(e)}: failed (attempt ${e.attemptsMade} of ${e.attempts}${e.attemptsMade < e.attempts ? ", will be retried" : ""}): ${e.message}`;
    case "job-refused":
      return `${batch(e)}: refused: it is for key set ${shortKey(e.jobKeyId)}, this build has ${shortKey(e.keyId)}; left for a worker of that build`;
    case "job-stalled":
      return `job ${e.jobId}: its worker stopped renewing its lock; back in the queue`;
    case "worker-error":
      return `warning: ${e.message}`;
    case "worker-closing":
      return e.force
        ? "closing now: jobs in progress go back to the queue when their lock expires"
        : "closing: finishing the jobs in progress (signal again to exit at once)";
    case "worker-closed":
      return "closed";
  }
}
