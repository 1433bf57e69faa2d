/**
 * The zkVM layer: a small machine proven with Groth16 over circuits/zkvm/zkvm.circom, its
 * assembler, disassembler and reference emulator, and the loan-attestation guest. See docs/zkvm.md.
 * Nothing here prints; callers terminate snarkjs's curves (src/snark.ts).
 */
export { AssemblyError, assemble, disassemble, formatInstruction, type Assembled } from "./assembler";
export {
  emulate,
  checkRunInputs,
  INVALID_REASONS,
  type EmulateFail,
  type EmulateOk,
  type EmulateResult,
  type InvalidReason,
  type StepState,
  type ZkvmLimits,
} from "./emulator";
export {
  CMP_BITS,
  IMM_BITS,
  MAX_IMM,
  NUM_REGS,
  Op,
  OP_NAMES,
  WORD_BITS,
  decode,
  encode,
  type Fields,
  type OpName,
} from "./isa";
export { methodId } from "./method";
export { zkvmParams } from "./params";
export { zkvmInput, zkvmPublicSignals, type ZkvmCircuitInput } from "./input";
export {
  ZkvmRunError,
  decodeZkvmProof,
  encodeZkvmProof,
  proveZkvm,
  verifyZkvm,
  type Groth16Proof,
  type ZkvmProof,
  type ZkvmProofOptions,
} from "./prove";
export {
  LOAN_GUEST_FILE,
  loanGuest,
  loanGuestParams,
  loanGuestSteps,
  proveLoanGuest,
  zkvmManifestExtras,
  type LoanGuest,
  type LoanGuestBinding,
} from "./guest";
