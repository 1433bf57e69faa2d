/**
 * The Hardhat Ignition modules of an anchor deployment, and running them (docs/deployment.md "How
 * re-runs work"). Three modules, whose ids carry what makes a future immutable, so that a re-run
 * continues the same journal instead of failing Ignition's reconciliation:
 *
 *   ZklaVerifiers                  PolicyVerifier_<h>, ZkvmVerifier_<h>: h = keccak256 of the compiled
 *                                  creation code, so a rebuilt circuit is a new future (a new verifier)
 *   ZklaAnchor_<zkvm verifier id>  StateAnchor (immutable zkVM verifier: a new one means a new anchor)
 *                                  and one grantRole call per role and account: grant_<ROLE>_<account>
 *   ZklaPolicy_<h>                 schedulePolicy and the PolicyScheduled arguments read back (policyId,
 *                                  activeFrom): h = keccak256 of anchor module, verifier future, vkey
 *                                  hash, batch size, method ID, threshold. A changed parameter is a new
 *                                  module, hence a new policy, never an edited one.
 *
 * A future whose recorded result is no longer valid on chain (no code at its address, a retired policy)
 * is replaced by the same id with a generation suffix (_2, _3, ...): Ignition runs it anew and the
 * journal keeps the history.
 */
import { keccak256, AbiCoder } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Artifact, IgnitionModule } from "@nomicfoundation/ignition-core";
import { ZklaError } from "../../errors";

export const VERIFIERS_MODULE = "ZklaVerifiers";

/** The first `n` hex digits of keccak256 of `data`'s ABI encoding or bytes. */
export function shortHash(data: string | readonly unknown[], n = 10): string {
  const hex =
    typeof data === "string"
      ? keccak256(data)
      : keccak256(
          AbiCoder.defaultAbiCoder().encode(
            data.map(() => "string"),
            data.map(String),
          ),
        );
  return hex.slice(2, 2 + n);
}

/** `base`, `base_2`, `base_3`, ... */
export function generation(base: string, g: number): string {
  return g === 1 ? base : `${base}_${g}`;
}

export interface IgnitionPlan {
  verifiers: { policy: { id: string; contract: string }; zkvm: { id: string; contract: string } };
  anchor: {
    moduleId: string;
    /** The StateAnchor artifact: the journal's copy once deployed (a later edit of the source keeps the anchor). */
    artifact: Artifact;
    admin: string;
    adminDelay: bigint;
    policyDelay: bigint;
    grants: { id: string; role: string; account: string }[];
  };
  policy: { moduleId: string; vkeyHash: string; batchSize: number; methodId: bigint; threshold: bigint };
}

/** The policy module (which uses the anchor and verifier modules) and its deployment parameters. */
export async function buildModules(
  plan: IgnitionPlan,
): Promise<{ module: IgnitionModule; parameters: Record<string, Record<string, string | bigint | number>> }> {
  const { buildModule } = await import("@nomicfoundation/ignition-core");
  const verifiers = buildModule(VERIFIERS_MODULE, (m) => ({
    policyVerifier: m.contract(plan.verifiers.policy.contract, [], { id: plan.verifiers.policy.id }),
    zkvmVerifier: m.contract(plan.verifiers.zkvm.contract, [], { id: plan.verifiers.zkvm.id }),
  }));
  const a = plan.anchor;
  const anchorModule = buildModule(a.moduleId, (m) => {
    const { zkvmVerifier } = m.useModule(verifiers);
    const anchor = m.contract(
      "StateAnchor",
      a.artifact,
      [zkvmVerifier, m.getParameter("admin"), m.getParameter("adminDelay"), m.getParameter("policyDelay")],
      { id: "StateAnchor" },
    );
    for (const g of a.grants) m.call(anchor, "grantRole", [g.role, g.account], { id: g.id });
    return { anchor };
  });
  const p = plan.policy;
  const policyModule = buildModule(p.moduleId, (m) => {
    const { anchor } = m.useModule(anchorModule);
    const { policyVerifier } = m.useModule(verifiers);
    const scheduled = m.call(
      anchor,
      "schedulePolicy",
      [
        policyVerifier,
        m.getParameter("vkeyHash"),
        m.getParameter("batchSize"),
        m.getParameter("methodId"),
        m.getParameter("threshold"),
      ],
      { id: "schedulePolicy", after: [anchorModule] }, // after the role grants (POLICY_ADMIN_ROLE)
    );
    m.readEventArgument(scheduled, "PolicyScheduled", "policyId", { id: "policyId" });
    m.readEventArgument(scheduled, "PolicyScheduled", "activeFrom", { id: "activeFrom" });
    return { anchor };
  });
  return {
    module: policyModule as unknown as IgnitionModule,
    parameters: {
      [a.moduleId]: { admin: a.admin, adminDelay: a.adminDelay, policyDelay: a.policyDelay },
      [p.moduleId]: { vkeyHash: p.vkeyHash, batchSize: p.batchSize, methodId: p.methodId, threshold: p.threshold },
    },
  };
}

/** One line per error of a failed Ignition result (the CLI prints the first line of a message). */
function oneLine(errors: Record<string, string[]>): string {
  return Object.entries(errors)
    .flatMap(([id, list]) => list.map((e) => `${id}: ${e.replace(/\s+/g, " ")}`))
    .join("; ");
}

/**
 * Runs the module with ignition-core's deploy, as hre.ignition.deploy does (same artifact resolver,
 * config and per-network fee settings), but with the deployment folder chosen here: the in-process
 * network gets a throw-away folder instead of none, so that its journal can be read back.
 */
export async function runIgnition(
  hre: HardhatRuntimeEnvironment,
  o: {
    module: IgnitionModule;
    parameters: Record<string, Record<string, string | bigint | number>>;
    deploymentDir: string;
    deploymentId: string;
    confirmations?: number;
  },
): Promise<void> {
  const { deploy, DeploymentResultType } = await import("@nomicfoundation/ignition-core");
  const { HardhatArtifactResolver } = await import("@nomicfoundation/hardhat-ignition/helpers");
  const accounts = (await hre.network.provider.request({ method: "eth_accounts" })) as string[];
  const networkIgnition = hre.config.networks[hre.network.name]?.ignition ?? {};
  // On a node that mines a block per transaction Ignition waits for 1 confirmation; more would never come.
  const automine = await hre.network.provider
    .request({ method: "hardhat_getAutomine" })
    .then(Boolean)
    .catch(() => false);
  const config = {
    ...hre.config.ignition,
    ...(o.confirmations !== undefined && !automine ? { requiredConfirmations: o.confirmations } : {}),
  };
  const hint =
    `inspect it with npx hardhat ignition status ${o.deploymentId} (journal ${o.deploymentDir}); ` +
    `a failed or timed-out future must be wiped before a re-run: npx hardhat ignition wipe ${o.deploymentId} <future id>`;
  let result;
  try {
    result = await deploy({
      config,
      provider: hre.network.provider,
      deploymentDir: o.deploymentDir,
      artifactResolver: new HardhatArtifactResolver(hre),
      ignitionModule: o.module,
      deploymentParameters: o.parameters as never,
      accounts,
      maxFeePerGasLimit: networkIgnition.maxFeePerGasLimit,
      maxPriorityFeePerGas: networkIgnition.maxPriorityFeePerGas,
      maxRetries: config.maxRetries,
      retryInterval: config.retryInterval,
    });
  } catch (e) {
    throw new ZklaError("deploy-failed", `Hardhat Ignition: ${(e as Error).message.replace(/\s+/g, " ")}`, hint);
  }
  switch (result.type) {
    case DeploymentResultType.SUCCESSFUL_DEPLOYMENT:
      return;
    case DeploymentResultType.EXECUTION_ERROR: {
      const parts = [
        ...result.failed.map((f) => `${f.futureId} failed: ${f.error}`),
        ...result.timedOut.map((f) => `${f.futureId} timed out`),
        ...result.held.map((f) => `${f.futureId} held: ${f.reason}`),
      ];
      throw new ZklaError("deploy-failed", `Hardhat Ignition: ${parts.join("; ").replace(/\s+/g, " ")}`, hint);
    }
    default:
      throw new ZklaError(
        "deploy-failed",
        `Hardhat Ignition ${result.type.toLowerCase().replace(/_/g, " ")}: ${oneLine(result.errors)}`,
        hint,
      );
  }
}
