/**
 * A pipeline event as the lines a person reads (the CLI prints them; with a progress bar on a terminal
 * it leaves out the per-batch proving lines). Pure: no printing.
 */
import { formatUnits } from "ethers";
import type { PipelineEvent } from "./events";
import { describeQueueEvent } from "./proving/queue-describe";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const rowsLeft = (maxBatches: number, left: number) =>
  `--max-batches ${maxBatches}: ${left} row(s) of the file left for a later run` +
  (left > 0 ? " (not planned: once this run is attested, plan them with --new-run --skip-attested)" : "");

export function describeEvent(e: PipelineEvent): string[] {
  const lines: string[] = [];
  switch (e.type) {
    case "run-created":
      lines.push(
        `run ${e.runId}: planned ${e.applications} application(s) in ${e.batches} batch(es) from anchor nonce ${e.startNonce} (${e.generatedSalts} salt(s) drawn); folder ${e.dir}`,
      );
      if (e.skippedAttested + e.skippedPlanned > 0)
        lines.push(
          `  --skip-attested: ${e.skippedAttested} row(s) already attested on this anchor and ${e.skippedPlanned} planned in an unfinished run were left out`,
        );
      if (e.maxBatches !== null) lines.push(`  ${rowsLeft(e.maxBatches, e.rowsLeft)}`);
      lines.push(`  receipts.csv and batches.jsonl hold scores and salts: keep the run folder private`);
      break;
    case "run-loaded":
      lines.push(
        `run ${e.runId}: resuming (${e.batches} batch(es), planned from anchor nonce ${e.startNonce}); folder ${e.dir}`,
      );
      if (e.maxBatches !== null) lines.push(`  ${rowsLeft(e.maxBatches, e.rowsLeft)}`);
      break;
    case "plan-ready":
      lines.push(
        `plan only: ${e.applications} application(s) in ${e.batches} batch(es) for anchor nonces ${e.firstNonce}..${e.lastNonce}, ` +
          `expected root after the last ${e.finalRoot}; nothing was proven or sent`,
      );
      lines.push(
        `  ${e.files.join(", ")} ${e.created ? "written to" : "already in"} ${e.dir}; the same command without --plan-only proves this plan`,
      );
      break;
    case "queue":
      lines.push(describeQueueEvent(e.event));
      break;
    case "plan-progress":
      break; // the progress bar shows it
    case "batch-awaiting-proof":
      break;
    case "prove-start":
      lines.push(
        `proving ${e.toProve} batch(es) ${e.via ? `through ${e.via}` : `with ${e.concurrency} worker(s)`}; ${e.reused} already proven`,
      );
      break;
    case "batch-reused":
      lines.push(`batch ${e.index}: proof already stored, reused`);
      break;
    case "batch-stale":
      lines.push(`batch ${e.index}: stored proof does not match the plan, proving again`);
      break;
    case "batch-proving":
      lines.push(`batch ${e.index}: proving`);
      break;
    case "batch-proved":
      lines.push(
        `batch ${e.index}: proved and verified in ${secs(e.ms)} (policy ${secs(e.policyMs)}, zkVM ${secs(e.zkvmMs)})`,
      );
      break;
    case "prove-done":
      lines.push(`proving done: ${e.proved} proved, ${e.reused} reused, ${secs(e.ms)}`);
      break;
    case "submit-start":
      lines.push(`submitting ${e.total} batch(es) in nonce order; anchor nonce is ${e.anchorNonce}`);
      break;
    case "batch-already-attested":
      lines.push(`batch ${e.index} (nonce ${e.nonce}): already attested, skipped`);
      break;
    case "batch-pending":
      lines.push(
        `batch ${e.index} (nonce ${e.nonce}): a transaction sent earlier is pending${e.txHash ? ` (${e.txHash})` : ""}, waiting for it`,
      );
      break;
    case "batch-sent":
      lines.push(`batch ${e.index} (nonce ${e.nonce}): sent ${e.txHash} (account nonce ${e.accountNonce})`);
      break;
    case "batch-fee-bumped": {
      const f = e.fees;
      const fee =
        "gasPrice" in f
          ? `gas price ${formatUnits(f.gasPrice, "gwei")} gwei`
          : `max fee ${formatUnits(f.maxFeePerGas, "gwei")} gwei, priority fee ${formatUnits(f.maxPriorityFeePerGas, "gwei")} gwei`;
      lines.push(
        `batch ${e.index} (nonce ${e.nonce}): transaction${e.replaces ? ` ${e.replaces}` : ""} still pending; replacing it (account nonce ${e.accountNonce}, ${fee})`,
      );
      break;
    }
    case "batch-attested":
      lines.push(
        `batch ${e.index} (nonce ${e.nonce}): attested in block ${e.blockNumber}, gas ${e.gasUsed} (${Math.round(Number(e.gasUsed) / Math.max(1, e.decisions))} per decision)`,
      );
      break;
    case "submit-done":
      lines.push(
        `submission done: ${e.sent} sent, ${e.skipped} already attested; anchor nonce ${e.finalNonce}, root ${e.finalRoot}`,
      );
      break;
    case "retry":
      lines.push(
        `transient RPC error on "${e.what}" (attempt ${e.attempt}): ${e.message.split("\n")[0]}; retrying in ${e.delayMs} ms`,
      );
      break;
  }

  return lines;
}
