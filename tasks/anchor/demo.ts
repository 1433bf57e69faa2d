/** `npm run demo` (`npx hardhat anchor:demo`): the whole pipeline on the in-process network, then a summary. */
import { task, types } from "hardhat/config";
import { command } from "./cli";
import { demoSummaryLines, renderer } from "./render";

interface Args {
  input?: string;
  applications: number;
  seed: number;
  threshold: string;
  concurrency: number;
  runsDir: string;
  json: boolean;
}

task(
  "anchor:demo",
  "The whole pipeline on the in-process Hardhat network: deploy, sample applications, prove in parallel, submit in order, audit, summary (circuits must be built: npm run demo does it)",
)
  .addOptionalParam("input", "applications file instead of the seeded sample")
  .addOptionalParam(
    "applications",
    "size of the seeded sample (3 batches at the test profile's batch size of 2)",
    6,
    types.int,
  )
  .addOptionalParam("seed", "seed of the sample (ids and scores; salts always come from the CSPRNG)", 1, types.int)
  .addOptionalParam("threshold", "policy threshold: approve iff score <= threshold", "650")
  .addOptionalParam("concurrency", "prover worker processes (default: CPU count)", 0, types.int)
  .addOptionalParam("runsDir", "folder for the demo's run folder", "runs")
  .addFlag("json", "print the summary as one JSON object on stdout (progress on stderr)")
  .setAction((args: Args, hre) =>
    command({ json: args.json, verbose: hre.hardhatArguments.verbose }, async () => {
      const { runDemo } = await import("../../src/demo");
      const { toBigInt } = await import("../../src/field");
      const { UsageError } = await import("../../src/errors");
      let threshold: bigint;
      try {
        threshold = toBigInt(args.threshold, "--threshold");
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      // With --json, stdout carries the summary alone: progress lines go to stderr.
      const r = renderer(false, args.json ? (line) => console.error(line) : undefined);
      try {
        const log = (s: string) => (args.json ? console.error(s) : console.log(s));
        const summary = await runDemo(hre, { ...args, threshold }, log, r.sink);
        r.stop();
        if (args.json) console.log(JSON.stringify(summary, null, 2));
        else for (const line of demoSummaryLines(summary)) console.log(line);
        if (summary.audit !== "pass" || !summary.finalRootMatchesPlan) process.exitCode = 1;
      } finally {
        r.stop();
      }
    }),
  );
