/**
 * The governance timeline: every role grant and revoke, default-admin transfer and delay change,
 * pause and unpause, policy scheduling and retirement and policy-delay change, with block and time.
 * It is what an auditor reads to know who could do what, and when.
 */
import { id, ZeroHash } from "ethers";
import type { AnchorEvent } from "../anchor/history";

export const ROLE_NAMES: Record<string, string> = {
  [ZeroHash]: "DEFAULT_ADMIN_ROLE",
  [id("SUBMITTER_ROLE")]: "SUBMITTER_ROLE",
  [id("POLICY_ADMIN_ROLE")]: "POLICY_ADMIN_ROLE",
  [id("PAUSER_ROLE")]: "PAUSER_ROLE",
};

export const roleName = (role: string): string => ROLE_NAMES[role.toLowerCase()] ?? role;

export interface TimelineEntry {
  blockNumber: number;
  /** Unix seconds of the block. */
  time: number;
  txHash: string;
  event: string;
  description: string;
}

const GOVERNANCE_EVENTS = new Set([
  "RoleGranted",
  "RoleRevoked",
  "RoleAdminChanged",
  "DefaultAdminTransferScheduled",
  "DefaultAdminTransferCanceled",
  "DefaultAdminDelayChangeScheduled",
  "DefaultAdminDelayChangeCanceled",
  "Paused",
  "Unpaused",
  "PolicyScheduled",
  "PolicyRetirementScheduled",
  "PolicyDelayChanged",
]);

function describe(e: AnchorEvent): string {
  const a = e.args;
  switch (e.name) {
    case "RoleGranted":
      return `${roleName(a.role)} granted to ${a.account} by ${a.sender}`;
    case "RoleRevoked":
      return `${roleName(a.role)} revoked from ${a.account} by ${a.sender}`;
    case "RoleAdminChanged":
      return `admin role of ${roleName(a.role)} changed from ${roleName(a.previousAdminRole)} to ${roleName(a.newAdminRole)}`;
    case "DefaultAdminTransferScheduled":
      return `default-admin transfer to ${a.newAdmin} scheduled, acceptable from ${a.acceptSchedule}`;
    case "DefaultAdminTransferCanceled":
      return "default-admin transfer canceled";
    case "DefaultAdminDelayChangeScheduled":
      return `default-admin delay change to ${a.newDelay} s scheduled, effective ${a.effectSchedule}`;
    case "DefaultAdminDelayChangeCanceled":
      return "default-admin delay change canceled";
    case "Paused":
      return `attest paused by ${a.account}`;
    case "Unpaused":
      return `attest resumed by ${a.account}`;
    case "PolicyScheduled":
      return `policy ${a.policyId} scheduled: verifier ${a.verifier}, batch size ${a.batchSize}, method ${a.methodId}, threshold ${a.threshold}, active from ${a.activeFrom}`;
    case "PolicyRetirementScheduled":
      return `policy ${a.policyId} retirement scheduled from ${a.retiredFrom}`;
    case "PolicyDelayChanged":
      return `policy delay changed from ${a.previousDelay} s to ${a.newDelay} s`;
    default:
      return e.name;
  }
}

/** The governance events of `events`, in chain order, described. */
export function governanceTimeline(
  events: readonly AnchorEvent[],
  times: ReadonlyMap<number, number>,
): TimelineEntry[] {
  return events
    .filter((e) => GOVERNANCE_EVENTS.has(e.name))
    .map((e) => ({
      blockNumber: e.blockNumber,
      time: times.get(e.blockNumber) ?? 0,
      txHash: e.txHash,
      event: e.name,
      description: describe(e),
    }));
}
