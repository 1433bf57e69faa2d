/**
 * What the queue's submitter (queue.ts) and its workers (queue-worker.ts) agree on: the Redis URL,
 * the connection settings, the job's data and return value, job ids and the published key set.
 */
import type { Redis } from "ioredis";
import { UsageError, ZklaError } from "../../errors";
import type { BatchProofs, ProveJob } from "../types";

export const DEFAULT_QUEUE_NAME = "zkla-proving";
/** The Redis password when the URL has none (never read from a file of the repository). */
export const PASSWORD_ENV = "ZKLA_REDIS_PASSWORD";
/** Set by queue-worker.ts for its sandboxed processors: the prover module they load. */
export const PROVER_MODULE_ENV = "ZKLA_QUEUE_PROVER_MODULE";
/** BullMQ job name of a batch to prove. */
export const JOB_NAME = "prove-batch";

export interface QueueServer {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without credentials, for messages. */
  display: string;
}

const USAGE = "redis://[user:password@]host:port[/db]";

/** Hides the credentials of a URL (even a malformed one) before it is echoed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//***@").slice(0, 120);
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS). The password may instead
 * come from $ZKLA_REDIS_PASSWORD. A malformed URL is a UsageError that never echoes the password.
 */
export function parseQueueUrl(url: string, option = "--queue", env: NodeJS.ProcessEnv = process.env): QueueServer {
  const bad = (why: string) =>
    new UsageError(`${option} must be a ${USAGE} URL: ${why}, got "${redactUrl(url)}"`, "e.g. redis://10.0.0.5:6379");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad("not a URL");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw bad(`the scheme must be redis: or rediss:`);
  if (!u.hostname) throw bad("no host");
  if (u.search || u.hash) throw bad("no query or fragment is allowed");
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  if (!/^\d{0,2}$/.test(dbText)) throw bad("the path must be a database number");
  const db = dbText === "" ? 0 : Number(dbText);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : env[PASSWORD_ENV] || undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    host,
    port,
    db,
    username,
    password,
    tls: u.protocol === "rediss:",
    display: `${u.protocol}//${u.host}/${db}`,
  };
}

/**
 * ioredis options: reconnect forever (every 0.2 s growing to 2 s) and keep commands queued while
 * disconnected (maxRetriesPerRequest null, as BullMQ requires), so an outage only pauses the caller.
 */
export function redisOptions(s: QueueServer, name: string) {
  return {
    host: s.host,
    port: s.port,
    db: s.db,
    username: s.username,
    password: s.password,
    ...(s.tls ? { tls: { servername: s.host } } : {}),
    connectionName: name,
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** The data of one job: the batch and what its proofs must show; keyId is the submitter's proving-key identity. */
export interface QueueJobData {
  version: 1;
  runId: string;
  index: number;
  keyId: string;
  job: ProveJob;
  expectedPolicySignals: string[];
  expectedZkvmSignals: string[];
}

/** A job's return value (stored in Redis): the proofs, checked by the worker and again by the submitter. */
export interface QueueJobResult {
  proofs: BatchProofs;
  /** Proving time in the worker. */
  ms: number;
}

/** Deterministic: the same batch of the same run gives the same id, so adding it twice is a no-op. */
export function queueJobId(runId: string, index: number, fingerprint: string): string {
  return `${queueJobPrefix(runId)}${index}.${fingerprint.slice(0, 16)}`;
}

/** The start of the job ids of a run's batches. */
export function queueJobPrefix(runId: string): string {
  // BullMQ refuses custom ids with ':' (its own separator) and purely numeric ones.
  return `${runId.replace(/:/g, "_")}.b`;
}

/**
 * The Redis hash where a running submitter publishes the proving-key identity of its jobs
 * (fields keyId, runId, profile, updatedAt), refreshed while it runs and expiring after it stops.
 */
export function keysetKey(queueName: string): string {
  return `zkla:${queueName}:keyset`;
}
export const KEYSET_TTL_MS = 60_000;

/** The first 12 hex digits of a key id, for log lines. */
export const shortKey = (keyId: string) => (keyId.length > 12 ? keyId.slice(0, 12) + "…" : keyId);

export class QueueUnreachableError extends ZklaError {
  constructor(server: string, detail: string) {
    super(
      "queue-unreachable",
      `cannot reach Redis at ${server}: ${detail}`,
      "check the host, port and password (--queue, $ZKLA_REDIS_PASSWORD) and that redis-server is running and reachable from this machine",
    );
  }
}

/** Connects once (no retries) and runs `body`; a connection failure or timeout is a QueueUnreachableError. */
export async function withProbe<T>(
  server: QueueServer,
  timeoutMs: number,
  body: (redis: Redis) => Promise<T>,
): Promise<T> {
  let lastError = "";
  // Loaded here, not at the top: the workers' prover children import this module too, and need no Redis client.
  const { Redis } = await import("ioredis");
  const redis = new Redis({
    ...redisOptions(server, "zkla-probe"),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on("error", (e: Error) => (lastError = e.message));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    return await body(redis);
  } catch (e) {
    if (e instanceof ZklaError) throw e;
    const detail = lastError || (e as Error).message;
    throw new QueueUnreachableError(
      server.display,
      /NOAUTH|WRONGPASS/.test(detail) ? `the password is missing or wrong (${detail.split(" ")[0]})` : detail,
    );
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
