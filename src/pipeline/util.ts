/**
 * Generic helpers of the pipeline: retrying transient RPC failures with exponential backoff (plus
 * jitter; only errors recognised as transport problems are retried, reverts and everything unknown
 * fail at once), and an EIP-1193 provider wrapper that retries read-only JSON-RPC calls that way.
 * Sending methods are never retried here: a lost answer to a send may hide an accepted transaction,
 * and the submitter decides from the chain what to do (submission/submit.ts).
 */
import { RevertError } from "./types";

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "NETWORK_ERROR",
  "TIMEOUT",
  "SERVER_ERROR",
  "HH108",
  "HH110",
]);
const TRANSIENT_TEXT =
  /socket hang up|ECONNRESET|ECONNREFUSED|fetch failed|network error|timeout|timed out|Too Many Requests|(status|HTTP)[^0-9]{0,12}(429|502|503|504)\b|Service Unavailable|Bad Gateway|Gateway Time-?out|Invalid JSON-RPC response|Cannot connect to the network|other side closed|unexpected end of JSON input|bad response/i;

/** True when `err` (or anything in its cause chain) looks like a transport failure worth retrying. */
export function isTransient(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  for (let depth = 0; e && typeof e === "object" && !seen.has(e) && depth < 8; depth++) {
    seen.add(e);
    if (e instanceof RevertError) return false;
    const o = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      error?: unknown;
      parent?: unknown;
      number?: unknown;
    };
    if (typeof o.code === "string" && TRANSIENT_CODES.has(o.code)) return true;
    if (typeof o.number === "number" && (o.number === 108 || o.number === 110)) return true; // Hardhat HH108/HH110
    if (typeof o.message === "string" && TRANSIENT_TEXT.test(o.message)) return true;
    e = o.cause ?? o.error ?? o.parent;
  }
  return false;
}

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
  onRetry?: (info: { what: string; attempt: number; delayMs: number; message: string }) => void;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, baseMs: 250, maxMs: 10_000 };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function withRetry<T>(what: string, fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= options.attempts) {
        if (isTransient(err)) {
          throw new Error(
            `${what}: still failing after ${attempt} attempts (${(err as Error).message}); check the RPC endpoint and run again: the run resumes where it stopped`,
            { cause: err },
          );
        }
        throw err;
      }
      const delayMs = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      options.onRetry?.({
        what,
        attempt,
        delayMs: Math.round(delayMs),
        message: (err as Error).message ?? String(err),
      });
      await (options.sleep ?? sleep)(delayMs);
    }
  }
}

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

const NEVER_RETRIED = new Set([
  "eth_sendTransaction",
  "eth_sendRawTransaction",
  "eth_sign",
  "personal_sign",
  "eth_signTypedData_v4",
]);

export function retryingProvider(inner: Eip1193, options: RetryOptions): Eip1193 {
  return {
    request(args) {
      if (NEVER_RETRIED.has(args.method)) return inner.request(args);
      return withRetry(args.method, () => inner.request(args), options);
    },
  };
}
