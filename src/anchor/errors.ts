/** Decodes StateAnchor custom errors (revert data) into a name, named arguments and a message saying what to do. */
import type { Result } from "ethers";
import { POLICY_STATUS } from "./abi";
import { stateAnchorInterface } from "./contract";

export { stateAnchorInterface };

export interface AnchorError {
  name: string;
  args: Record<string, bigint | string | boolean>;
  /** What was wrong and what to do. */
  message: string;
}

function named(result: Result, names: string[]): Record<string, bigint | string | boolean> {
  const out: Record<string, bigint | string | boolean> = {};
  names.forEach((n, i) => (out[n] = result[i] as bigint | string | boolean));
  return out;
}

function explain(name: string, a: Record<string, bigint | string | boolean>): string {
  switch (name) {
    case "NonceMismatch":
      return (
        `the anchor expects nonce ${a.anchorNonce} but the batch was proven for nonce ${a.submittedNonce}: ` +
        (BigInt(a.submittedNonce) < BigInt(a.anchorNonce)
          ? "this batch (or one with its nonce) is already attested; re-plan from the anchor's nonce and state root"
          : "earlier batches are missing; submit them first, in nonce order")
      );
    case "PolicyNotActive":
      return `policy ${a.policyId} is ${POLICY_STATUS[Number(a.status)] ?? a.status}, not active: wait for its activation time or use an active policy`;
    case "UnknownPolicy":
      return `no policy ${a.policyId} is registered: check the policy id (policyCount())`;
    case "BatchSizeMismatch":
      return `policy ${a.policyId} takes ${a.batchSize} commitments per batch but the batch has ${a.commitmentCount}: prove with the policy's batch size`;
    case "PublicInputNotInField":
      return `public signal ${a.index} (policy signal order) is ${a.value}, not below the BN254 field order r: the batch data is not a proof output`;
    case "ActiveCountExceedsBatchSize":
      return `activeCount ${a.activeCount} exceeds the batch size ${a.batchSize}: the batch data is not a proof output`;
    case "PolicyProofRejected":
      return `the policy verifier rejected the proof for policy ${a.policyId}: the proof does not match these batch values and the policy's threshold`;
    case "ZkvmProofRejected":
      return `the zkVM verifier rejected the proof for method ${a.methodId}: it was not made for this guest, tape, anchor domain, state root, nonce and threshold; re-prove against the anchor's current state`;
    case "VerifierHasNoCode":
      return `verifier ${a.verifier} has no code: deploy the verifier first`;
    case "InvalidBatchSize":
      return `batch size ${a.batchSize} is invalid: use 1..256`;
    case "MethodIdNotInField":
      return `method ID ${a.methodId} is not below r: use the guest's method ID as computed by src/zkvm`;
    case "ThresholdNotInField":
      return `threshold ${a.threshold} is not below r`;
    case "PolicyAlreadyRetiring":
      return `policy ${a.policyId} already retires at ${a.retiredFrom}`;
    case "PolicyDelayTooLong":
      return `a policy delay of ${a.delay} s is above the maximum of ${a.maxDelay} s: choose a shorter delay`;
    case "AccessControlUnauthorizedAccount":
      return `account ${a.account} lacks role ${a.neededRole}: ask the anchor admin to grant it`;
    case "EnforcedPause":
      return "the anchor is paused: wait for a pauser to unpause it";
    case "ExpectedPause":
      return "the anchor is not paused";
    default:
      return name;
  }
}

/** Finds revert data in an ethers error (or takes hex data directly). */
function revertData(errorOrData: unknown): string | undefined {
  if (typeof errorOrData === "string") return errorOrData.startsWith("0x") ? errorOrData : undefined;
  const seen = new Set<unknown>();
  let e: unknown = errorOrData;
  // ethers nests the data under .data, .error, .info.error, .cause depending on the provider.
  const queue: unknown[] = [e];
  while (queue.length > 0) {
    e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const obj = e as Record<string, unknown>;
    if (typeof obj.data === "string" && /^0x[0-9a-fA-F]{8}/.test(obj.data)) return obj.data;
    for (const key of ["data", "error", "info", "cause", "revert"]) queue.push(obj[key]);
  }
  return undefined;
}

/** Decodes a StateAnchor custom error, or returns undefined when the data is not one. */
export function decodeAnchorError(errorOrData: unknown): AnchorError | undefined {
  const data = revertData(errorOrData);
  if (!data) return undefined;
  let parsed;
  try {
    parsed = stateAnchorInterface.parseError(data);
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  const args = named(
    parsed.args,
    parsed.fragment.inputs.map((i) => i.name),
  );
  return { name: parsed.name, args, message: explain(parsed.name, args) };
}
