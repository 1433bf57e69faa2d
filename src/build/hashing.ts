/**
 * Content hashes used by the build cache and the manifest. Hashes are written with their
 * algorithm as a prefix ("sha256:<hex>", "blake2b:<hex>") so a reader never has to guess.
 */
import crypto from "node:crypto";
import fs from "node:fs";

export type HashAlgorithm = "sha256" | "blake2b512";

/** Hex digest of a file, streamed (ptau files reach hundreds of MB). */
export async function fileDigest(file: string, algorithm: HashAlgorithm): Promise<string> {
  const hash = crypto.createHash(algorithm);
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve());
  });
  return hash.digest("hex");
}

/** "sha256:<hex>" of a file. */
export async function sha256File(file: string): Promise<string> {
  return `sha256:${await fileDigest(file, "sha256")}`;
}

/** Plain hex blake2b-512 of a file: the format of the published ptau hash table (b2sum). */
export async function blake2bFile(file: string): Promise<string> {
  return fileDigest(file, "blake2b512");
}

/** "sha256:<hex>" of a string or buffer. */
export function sha256(data: string | Buffer): string {
  return `sha256:${crypto.createHash("sha256").update(data).digest("hex")}`;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** sha256 of the canonical JSON of `value`: the cache key of a build step's inputs. */
export function inputsHash(value: unknown): string {
  return sha256(canonicalJson(value));
}
