/**
 * An EIP-1193 provider wrapper that retries read-only JSON-RPC calls on transient transport errors
 * (backoff from retry.ts). Sending methods are never retried here: a lost answer to a send may hide
 * an accepted transaction, and the submitter decides from the chain what to do (submit.ts).
 */
import { isTransient, withRetry, type RetryOptions } from "./retry";

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

export { isTransient };
