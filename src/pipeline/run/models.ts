/** The real PolicyModel and StateModel: src/policy's reference evaluation and src/anchor's state step. */
import { decisionsRoot, nextStateRoot } from "../../anchor/state";
import { evaluatePolicy, policyParams } from "../../policy";
import type { Profile } from "../../paths";
import type { PolicyModel, StateModel } from "../types";

export function policyModel(profile: Profile): PolicyModel {
  const params = policyParams(profile);
  return {
    batchSize: params.batchSize,
    scoreBits: params.scoreBits,
    evaluate(batch, threshold) {
      const o = evaluatePolicy(batch, threshold, params);
      return {
        tapeDigest: o.tapeDigest,
        decisionBits: o.decisionBits,
        activeCount: Number(o.activeCount),
        commitments: o.commitments,
      };
    },
  };
}

/** StateAnchor's root step (mirrored in src/anchor/state.ts, differential-tested against the contract). */
export const anchorStateModel: StateModel = {
  nextStateRoot(t) {
    return nextStateRoot({
      prevRoot: t.prevRoot,
      nonce: t.nonce,
      policyId: t.policyId,
      methodId: t.methodId,
      decisionsRoot: decisionsRoot(t.policyId, t.nonce, t.outcome.commitments, t.outcome.decisionBits),
      tapeDigest: t.outcome.tapeDigest,
      decisionBits: t.outcome.decisionBits,
      activeCount: BigInt(t.outcome.activeCount),
    });
  },
};
