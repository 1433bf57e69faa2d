/**
 * The policy layer: a PLONK proof that every decision of a batch follows "approve iff score <=
 * threshold" (circuits/policy/policy_batch.circom). See docs/policy.md.
 */
export { PolicyInputError } from "./errors";
export { policyParams, registryPath, type PolicyParams } from "./params";
export { plonkSize, type PlonkSize } from "./gates";
export {
  commitment,
  decodePolicyPublicSignals,
  evaluatePolicy,
  policyInput,
  policyPublicSignals,
  randomSalt,
  validateBatch,
  withSalts,
  type Application,
  type PolicyCircuitInput,
  type PolicyOutputs,
  type UnsaltedApplication,
} from "./reference";
export {
  decodePolicyProof,
  encodePolicyProof,
  provePolicy,
  verifyPolicy,
  type PlonkProof,
  type PolicyProof,
  type PolicyProofOptions,
} from "./prove";
