/**
 * The one error class of the policy layer's input validation: every message says which value was
 * wrong, why, and what to do. `field` names the offending value (e.g. "batch[2].score", "threshold").
 */
export class PolicyInputError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = "PolicyInputError";
    this.field = field;
  }
}
