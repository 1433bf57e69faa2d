/**
 * A deployments file names the network and chain it was made on. A task run on another network (most
 * often the in-process `hardhat` network because `--network` was forgotten) must say so and name the
 * `--network` to pass, rather than "no contract at ...": the in-process chain shares chain id 31337
 * with local nodes, so a chain-id comparison alone does not catch it.
 */
import { UsageError } from "../../errors";

/** The error for running on `current` with a deployments file made on another network or chain, else null. */
export function deploymentNetworkMismatch(
  deployment: { network?: string; chainId: string },
  file: string,
  current: { network: string; chainId: bigint },
): UsageError | null {
  const made = deployment.network
    ? `network "${deployment.network}" (chain ${deployment.chainId})`
    : `chain ${deployment.chainId}`;
  const hint = deployment.network
    ? `pass --network ${deployment.network}${deployment.network === "hardhat" ? "" : " (it needs its RPC URL: see docs/deployment.md)"}`
    : "pass the --network the anchor was deployed on";
  if (current.network === "hardhat" && deployment.network !== undefined && deployment.network !== "hardhat")
    return new UsageError(
      `${file} was made on ${made}, but this task ran on the in-process network "hardhat" (chain ${current.chainId}), which has none of its contracts`,
      hint,
    );
  if (deployment.chainId !== current.chainId.toString())
    return new UsageError(
      `${file} was made on ${made}, but the network "${current.network}" is chain ${current.chainId}`,
      hint,
    );
  return null;
}

/** Throws deploymentNetworkMismatch's error, if any. Call it before looking for contracts at the file's addresses. */
export function assertDeploymentNetwork(
  deployment: { network?: string; chainId: string },
  file: string,
  current: { network: string; chainId: bigint },
): void {
  const e = deploymentNetworkMismatch(deployment, file, current);
  if (e) throw e;
}
