/**
 * What the anchor:* task files share: a read-only ethers provider over the selected network (reads
 * retried on transient errors), argument parsing that fails as a UsageError, and `command()`, which
 * says an error once (`error <code>: <message>` and the hint, stack only with --verbose) and sets the
 * exit code: 1 for a failure, 2 for bad arguments or a chain that could not be read.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UsageError, ZklaError } from "../../src/errors";

/** Error codes whose exit status is 2 ("could not run"), not 1. */
const COULD_NOT_RUN = new Set(["bad-argument", "chain-unreadable"]);

/**
 * An ethers provider over the task's network whose read-only calls are retried on transient errors
 * (src/pipeline/util.ts; sends never are); `send` reaches the node (e.g. debug_traceTransaction).
 */
export async function readProvider(
  hre: HardhatRuntimeEnvironment,
  o: {
    attempts?: number;
    onRetry?: (i: { what: string; attempt: number; delayMs: number; message: string }) => void;
  } = {},
) {
  const { retryingProvider, DEFAULT_RETRY } = await import("../../src/pipeline");
  const { BrowserProvider } = await import("ethers");
  const retry = { ...DEFAULT_RETRY, attempts: o.attempts ?? 3, onRetry: o.onRetry };
  return new BrowserProvider(retryingProvider(hre.network.provider, retry), undefined, { cacheTimeout: -1 });
}

/** Parses an optional non-negative integer option; a bad value is a UsageError naming the option. */
export function intArg(value: string | undefined, option: string, min = 0): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value)))
    throw new UsageError(`${option} must be an integer >= ${min}, got "${value.slice(0, 80)}"`);
  return Number(value);
}

function unreachable(e: Error): boolean {
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|Cannot connect to the network|fetch failed|socket hang up/i.test(
    `${e.message} ${(e as { cause?: Error }).cause?.message ?? ""}`,
  );
}

/** Runs a task body; see the module comment. `json` adds one `{ "error": … }` object on stdout. */
export async function command(opts: { json: boolean; verbose?: boolean }, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const e = err as Error;
    const known = e instanceof ZklaError;
    const code = known ? e.code : unreachable(e) ? "chain-unreadable" : "unexpected";
    const hint = known
      ? e.hint
      : code === "chain-unreadable"
        ? "check the RPC URL of --network and that the node is running"
        : "run again with --verbose for the stack trace, and report it if it persists";
    // A known error's message is all ours (e.g. every bad input row); an unexpected one shows its first line.
    const message = known ? e.message : e.message.split("\n")[0];
    if (opts.json) {
      // A known error's own fields (e.g. the rows of an invalid file) go along as `details`.
      const details = known
        ? Object.fromEntries(
            Object.entries(e).filter(([k]) => !["code", "hint", "name", "message", "stack"].includes(k)),
          )
        : {};
      const error = { code, message, hint: hint ?? null, ...(Object.keys(details).length ? { details } : {}) };
      console.log(JSON.stringify({ error }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    }
    console.error(`error ${code}: ${message}${hint ? `\n  ${hint}` : ""}`);
    if (opts.verbose && e.stack) console.error(e.stack);
    process.exitCode = COULD_NOT_RUN.has(code) ? 2 : 1;
  }
}
