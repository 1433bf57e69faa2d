/**
 * A queue worker process for queue.test.ts (the machines of "several machines"): startQueueWorker
 * with the fake prover and short locks, its events as JSON lines on stdout; SIGTERM closes it.
 * Usage: node -r ts-node/register/transpile-only queue-worker-main.ts <url> <queueName> <keyId>
 * Env: the fake prover's (FAKE_PROVER_DELAY_MS, FAKE_PROVER_LOG, ...), passed on to its provers.
 */
import path from "node:path";
import { startQueueWorker } from "../../src/pipeline/proving/queue-worker";

async function main(): Promise<void> {
  const [url, queueName, keyId] = process.argv.slice(2);
  const handle = await startQueueWorker({
    url,
    queueName,
    keyId,
    concurrency: 1,
    proverModule: path.join(__dirname, "fake-prover.ts"),
    lockDurationMs: 2000,
    stalledIntervalMs: 1000,
    refusedDelayMs: 300,
    onEvent: (e) => console.log(JSON.stringify(e)),
  });
  process.on("SIGTERM", () => void handle.close().then(() => process.exit(0)));
}

// Only as a process of its own: `hardhat test` loads every file under test/ too.
if (require.main === module)
  main().catch((e: Error & { code?: string }) => {
    console.log(JSON.stringify({ type: "fatal", code: e.code ?? null, message: e.message }));
    process.exit(1);
  });
