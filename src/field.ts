/** BN254 scalar field order r: every public signal of both proofs must be below it. */
export const SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** True when `x` is a canonical field element (0 <= x < r). */
export function isFieldElement(x: bigint): boolean {
  return x >= 0n && x < SNARK_SCALAR_FIELD;
}

/** Parses a decimal/hex string, number or bigint into a bigint; throws a clear error naming `what`. */
export function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer, got ${value}`);
    return BigInt(value);
  }
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value.trim())) return BigInt(value.trim());
  throw new TypeError(`${what} must be a non-negative integer (decimal or 0x-hex), got ${JSON.stringify(value)}`);
}

/** Asserts `x` is a canonical field element; the message names `what` and the bound. */
export function assertFieldElement(x: bigint, what: string): void {
  if (!isFieldElement(x)) {
    throw new RangeError(`${what} must satisfy 0 <= ${what} < r (BN254 scalar field order), got ${x}`);
  }
}

/** Encodes a short ASCII string (<= 31 bytes) as a field element: the project's domain tags. */
export function asciiTag(text: string): bigint {
  const bytes = Buffer.from(text, "ascii");
  if (bytes.length > 31) throw new RangeError(`tag "${text}" is longer than 31 bytes`);
  return BigInt("0x" + (bytes.toString("hex") || "0"));
}
