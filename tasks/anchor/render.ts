/**
 * Rendering of the anchor:* tasks: pipeline events as plain log lines or a progress bar (counts and
 * ETA) on a terminal, or one JSON object per line with --json (nothing else on stdout then). Test hook:
 * ZKLA_CRASH_AFTER=<event-type>:<n> SIGKILLs the process after the n-th such event.
 */
import { formatUnits } from "ethers";
import type { PipelineEvent } from "../../src/pipeline/events";

export const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** JSON with big numbers as decimal strings. */
export const toJson = (value: unknown, indent?: number) =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), indent);

/** Renders pipeline events. Test hook: ZKLA_CRASH_AFTER=<event-type>:<n> SIGKILLs this process after the n-th such event. */
export function renderer(json: boolean, write?: (line: string) => void) {
  const tty = !json && !write && process.stdout.isTTY === true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  let multi: import("cli-progress").MultiBar | undefined;
  let bar: import("cli-progress").SingleBar | undefined;
  const crash = /^([a-z-]+):(\d+)$/.exec(process.env.ZKLA_CRASH_AFTER ?? "");
  let crashCount = 0;
  const print = (line: string) => (multi ? multi.log(line + "\n") : (write ?? console.log)(line));
  const stop = () => {
    multi?.stop();
    multi = bar = undefined;
  };
  const sink = (e: PipelineEvent) => {
    if (json) console.log(toJson(e));
    else {
      switch (e.type) {
        case "run-created":
          print(
            `run ${e.runId}: planned ${e.applications} application(s) in ${e.batches} batch(es) from anchor nonce ${e.startNonce} (${e.generatedSalts} salt(s) drawn); folder ${e.dir}`,
          );
          print(`  receipts.csv and plan.json hold scores and salts: keep the run folder private`);
          break;
        case "run-loaded":
          print(
            `run ${e.runId}: resuming (${e.batches} batch(es), planned from anchor nonce ${e.startNonce}); folder ${e.dir}`,
          );
          break;
        case "prove-start":
          print(`proving ${e.toProve} batch(es) with ${e.concurrency} worker(s); ${e.reused} already proven`);
          if (tty && e.toProve > 0) {
            multi = new cliProgress.MultiBar(
              {
                format: "proving |{bar}| {value}/{total} batches | {duration_formatted} elapsed | ETA {eta_formatted}",
                hideCursor: true,
                etaBuffer: 4,
              },
              cliProgress.Presets.shades_classic,
            );
            bar = multi.create(e.toProve, 0);
          }
          break;
        case "batch-reused":
          print(`batch ${e.index}: proof already stored, reused`);
          break;
        case "batch-stale":
          print(`batch ${e.index}: stored proof does not match the plan, proving again`);
          break;
        case "batch-proving":
          if (!bar) print(`batch ${e.index}: proving`);
          break;
        case "batch-proved":
          if (bar) bar.increment();
          else
            print(
              `batch ${e.index}: proved and verified in ${secs(e.ms)} (policy ${secs(e.policyMs)}, zkVM ${secs(e.zkvmMs)})`,
            );
          break;
        case "prove-done":
          stop();
          print(`proving done: ${e.proved} proved, ${e.reused} reused, ${secs(e.ms)}`);
          break;
        case "submit-start":
          print(`submitting ${e.total} batch(es) in nonce order; anchor nonce is ${e.anchorNonce}`);
          break;
        case "batch-already-attested":
          print(`batch ${e.index} (nonce ${e.nonce}): already attested, skipped`);
          break;
        case "batch-pending":
          print(
            `batch ${e.index} (nonce ${e.nonce}): a transaction sent earlier is pending${e.txHash ? ` (${e.txHash})` : ""}, waiting for it`,
          );
          break;
        case "batch-sent":
          print(`batch ${e.index} (nonce ${e.nonce}): sent ${e.txHash} (account nonce ${e.accountNonce})`);
          break;
        case "batch-fee-bumped": {
          const f = e.fees;
          const fee =
            "gasPrice" in f
              ? `gas price ${formatUnits(f.gasPrice, "gwei")} gwei`
              : `max fee ${formatUnits(f.maxFeePerGas, "gwei")} gwei, priority fee ${formatUnits(f.maxPriorityFeePerGas, "gwei")} gwei`;
          print(
            `batch ${e.index} (nonce ${e.nonce}): transaction${e.replaces ? ` ${e.replaces}` : ""} still pending; replacing it (account nonce ${e.accountNonce}, ${fee})`,
          );
          break;
        }
        case "batch-attested":
          print(
            `batch ${e.index} (nonce ${e.nonce}): attested in block ${e.blockNumber}, gas ${e.gasUsed} (${Math.round(Number(e.gasUsed) / Math.max(1, e.decisions))} per decision)`,
          );
          break;
        case "submit-done":
          print(
            `submission done: ${e.sent} sent, ${e.skipped} already attested; anchor nonce ${e.finalNonce}, root ${e.finalRoot}`,
          );
          break;
        case "retry":
          print(
            `transient RPC error on "${e.what}" (attempt ${e.attempt}): ${e.message.split("\n")[0]}; retrying in ${e.delayMs} ms`,
          );
          break;
      }
    }
    if (crash && e.type === crash[1] && ++crashCount === Number(crash[2])) process.kill(process.pid, "SIGKILL");
  };
  return { sink, stop };
}
