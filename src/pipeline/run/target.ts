/**
 * Resolving what a run targets: the deployment manifest (deployments/<network>.json) names the anchor
 * and the policy; the chain is checked against it (chain id, code at the address, domain) and the
 * policy's batch size, method ID and threshold are read from the anchor itself.
 */
import type { Provider } from "ethers";
import { anchorDomain } from "../../anchor/state";
import { readDeployment, type DeploymentManifest } from "../../anchor/deploy";
import type { Profile } from "../../paths";
import { UsageError, ZklaError } from "../../errors";
import { anchorContract } from "../../anchor/contract";
import type { PolicyModel, RunContext } from "../types";

export { readDeployment };

export interface TargetOptions {
  deployment: DeploymentManifest;
  provider: Provider;
  /** Default: the last policy recorded in the deployment manifest. */
  policyId?: bigint;
  policy: (profile: Profile) => PolicyModel;
  /** The guest the provers run (src/zkvm loanGuest().methodId). */
  guestMethodId: bigint;
}

export async function resolveTarget(o: TargetOptions): Promise<{ context: RunContext; policy: PolicyModel }> {
  const d = o.deployment;
  const address = d.contracts.stateAnchor.address;
  const chainId = (await o.provider.getNetwork()).chainId;
  if (chainId.toString() !== d.chainId) {
    throw new ZklaError(
      "wrong-network",
      `the deployment manifest is for chain ${d.chainId} but the network is chain ${chainId}${chainId === 31337n ? " (Hardhat's in-process network, used when no --network is given)" : ""}`,
      `pass --network ${d.network ?? "<the network it was deployed on>"} (chain ${d.chainId}), or the matching --deployment`,
    );
  }
  if ((await o.provider.getCode(address)) === "0x") {
    throw new ZklaError(
      "no-contract",
      `no contract at ${address} (the StateAnchor of the deployment manifest) on chain ${chainId}`,
      chainId === 31337n
        ? "a local chain starts empty: the in-process network (no --network) forgets everything after each command, and a restarted node too; pass --network localhost for a running node, or deploy again"
        : "check --network and --deployment",
    );
  }
  const anchor = anchorContract(address, o.provider);
  const policyId = o.policyId ?? BigInt(d.policies.at(-1)?.policyId ?? 0);
  if (policyId < 1n) throw new UsageError("the deployment manifest records no policy", "pass --policy-id");
  const [domain, p, status] = await Promise.all([
    anchor.domain(),
    anchor.policy(policyId),
    anchor.policyStatus(policyId),
  ]);
  if (BigInt(domain) !== anchorDomain(chainId, address)) {
    throw new ZklaError(
      "not-an-anchor",
      `the anchor's domain ${domain} is not the one derived from chain ${chainId} and ${address}: not a StateAnchor of this version`,
    );
  }
  if (Number(status) === 0)
    throw new UsageError(`policy ${policyId} is not registered at ${address}`, "check --policy-id");
  const policy = o.policy(d.profile);
  if (Number(p.batchSize) !== policy.batchSize) {
    throw new ZklaError(
      "wrong-build",
      `policy ${policyId} takes batches of ${p.batchSize} but the ${d.profile} build proves batches of ${policy.batchSize}: build the matching profile`,
    );
  }
  if (BigInt(p.methodId) !== o.guestMethodId) {
    throw new ZklaError(
      "wrong-guest",
      `policy ${policyId} expects guest method ${p.methodId} but guests/loan-attest.asm has method ${o.guestMethodId}: use the guest the policy was registered with`,
    );
  }
  return {
    policy,
    context: {
      chainId,
      anchor: address,
      domain: BigInt(domain),
      policyId,
      methodId: BigInt(p.methodId),
      threshold: BigInt(p.threshold),
      profile: d.profile,
      batchSize: policy.batchSize,
      scoreBits: policy.scoreBits,
    },
  };
}
