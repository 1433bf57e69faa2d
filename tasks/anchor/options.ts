/**
 * Options shared by anchor:prove, anchor:submit and anchor:attest, and turning them into the script
 * API's requests (src/api.ts): the same calls a lender's script makes.
 */
import path from "node:path";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UsageError } from "../../src/errors";

export interface RunArgs {
  input?: string;
  run?: string;
  runsDir: string;
  newRun: boolean;
  deployment?: string;
  policyId?: string;
  json: boolean;
}
export interface ProveArgs extends RunArgs {
  concurrency: number;
  maxBatches?: number;
  skipAttested: boolean;
  queue?: string;
  queueName?: string;
}
export interface SubmitArgs extends RunArgs {
  confirmations: number;
  retries: number;
  pendingTimeout: number;
  maxFeeGwei?: string;
}

/** Declares the run options (and the proving / submission ones when asked). */
export function runTask<T>(name: string, description: string, proving: boolean, submitting: boolean) {
  const t = task<T>(name, description)
    .addOptionalParam(
      "input",
      "applications file: .csv with header applicantId,score[,salt] or .json array of {applicantId, score, salt?}",
    )
    .addOptionalParam(
      "run",
      "run id (folder under --runs-dir); default derived from the input file, chain, anchor and policy",
    )
    .addOptionalParam("runsDir", "folder holding run folders (keep it private: it stores scores and salts)", "runs")
    .addFlag(
      "newRun",
      "plan a new run even if one exists for this input (e.g. after the chain diverged); the earlier run of the file is given up",
    )
    .addOptionalParam("deployment", "deployment manifest (default deployments/<network>.json)")
    .addOptionalParam("policyId", "policy to attest under (default: the last policy in the deployment manifest)")
    .addFlag("json", "machine-readable output: one JSON event per line on stdout");
  if (proving) {
    t.addOptionalParam("concurrency", "prover worker processes (default: CPU count)", 0, types.int).addOptionalParam(
      "maxBatches",
      "plan only the file's first N batches' worth of rows (file order); a run is continued only with the N it was planned with",
      undefined,
      types.int,
    );
    t.addFlag(
      "skipAttested",
      "leave out rows already attested on this anchor (or planned in an unfinished run) instead of refusing the file",
    );
    t.addOptionalParam(
      "queue",
      "prove through BullMQ on Redis (redis://[:password@]host:port; or set ZKLA_REDIS_PASSWORD): provers are anchor:worker processes on any machine with a copy of this build",
    ).addOptionalParam("queueName", "BullMQ queue name (the workers must use the same)", "zkla-proving");
  }
  if (submitting) {
    t.addOptionalParam("confirmations", "blocks to wait for after each attest transaction", 1, types.int)
      .addOptionalParam("retries", "attempts per RPC call on transient errors (exponential backoff)", 8, types.int)
      .addOptionalParam(
        "pendingTimeout",
        "seconds a sent transaction may stay pending before it is replaced with 12.5% higher fees (same account nonce)",
        120,
        types.int,
      )
      .addOptionalParam("maxFeeGwei", "the most a replacement may pay per gas, in gwei (default: no limit)");
  }
  return t;
}

export function deploymentFile(hre: HardhatRuntimeEnvironment, arg: string | undefined): string {
  return arg ? path.resolve(arg) : path.join(hre.config.paths.root, "deployments", `${hre.network.name}.json`);
}

/** The request fields common to prove / submit / attest. */
export async function runRequest(hre: HardhatRuntimeEnvironment, args: RunArgs) {
  const { toBigInt } = await import("../../src/field");
  let policyId: bigint | undefined;
  if (args.policyId) {
    try {
      policyId = toBigInt(args.policyId, "--policy-id");
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return {
    deployment: deploymentFile(hre, args.deployment),
    file: args.input,
    run: args.run || undefined,
    runsDir: args.runsDir,
    newRun: args.newRun,
    policyId,
  };
}

/** The submission fields of a request: options as given, the sending account, a polling interval. */
export async function submitFields(
  hre: HardhatRuntimeEnvironment,
  args: SubmitArgs,
  provider: import("ethers").BrowserProvider,
) {
  return {
    confirmations: args.confirmations,
    retries: args.retries,
    pendingTimeout: args.pendingTimeout,
    maxFeeGwei: args.maxFeeGwei,
    signer: await submitter(hre, provider),
    pollMs: hre.network.name === "hardhat" ? 10 : 500,
  };
}

/** The network's first account as a signer over the task's provider; a UsageError when it has none. */
export async function submitter(hre: HardhatRuntimeEnvironment, provider: import("ethers").BrowserProvider) {
  const [account] = await hre.ethers.getSigners();
  if (!account)
    throw new UsageError(
      `network "${hre.network.name}" has no account to send from`,
      "set DEPLOYER_PRIVATE_KEY (npx hardhat vars set DEPLOYER_PRIVATE_KEY)",
    );
  return provider.getSigner(account.address);
}
