/**
 * What anchor:status flags, one line each: the registry checks of the audit (verifier not generated from
 * a known key, unknown method ID, policy parameters, short policy delay) without re-reading every batch.
 */
import type { Provider } from "ethers";
import { blockTimes, findDeploymentBlock, readAnchorEvents, anchorReader } from "../anchor/history";
import { auditRegistry, DEFAULT_MIN_POLICY_DELAY, LOCAL_CHAIN_IDS } from "./audit";
import type { Check } from "./checks";
import { loadKeySetsForAudit } from "./keys";

export interface TrustFlagOptions {
  /** First block to read (default: found on chain). */
  fromBlock?: number;
  chunk?: number;
  minPolicyDelay?: number;
  keySetDirs?: string[];
}

/** The registry checks that did not pass (warn or fail), for the anchor as it is now. */
export async function trustFlags(provider: Provider, address: string, o: TrustFlagOptions = {}): Promise<Check[]> {
  const chainId = (await provider.getNetwork()).chainId;
  const toBlock = await provider.getBlockNumber();
  const fromBlock = o.fromBlock ?? (await findDeploymentBlock(provider, address, toBlock));
  const events = (await readAnchorEvents(provider, address, { fromBlock, toBlock, chunk: o.chunk })).filter(
    (e) => e.name === "PolicyScheduled" || e.name === "PolicyRetirementScheduled",
  );
  const times = await blockTimes(
    provider,
    events.map((e) => e.blockNumber),
  );
  const { valid } = loadKeySetsForAudit(o.keySetDirs ?? []);
  const { checks } = await auditRegistry(provider, {
    zkvmVerifier: String(await anchorReader(address, provider).zkvmVerifier({ blockTag: toBlock })),
    events,
    times,
    keySets: valid,
    blockTag: toBlock,
    minPolicyDelay: o.minPolicyDelay ?? (LOCAL_CHAIN_IDS.includes(chainId) ? 0 : DEFAULT_MIN_POLICY_DELAY),
  });
  return checks.filter((c) => c.status !== "pass");
}
