/**
 * What `anchor:deploy` checks before it sends anything. Every refusal is a UsageError (the CLI exits 2)
 * saying what was wrong and what to do:
 *   - the threshold fits the built policy circuit (below 2^SCORE_BITS: otherwise no proof can satisfy it);
 *   - the batch size is the built policy circuit's N;
 *   - the verifiers to deploy are the ones generated from this build's verification keys, as compiled;
 *   - the method ID is that of a guest in this repository (unless explicitly allowed);
 *   - the policy delay: 1 day by default, 0 on development chains, a warning below 1 hour elsewhere.
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UsageError } from "../../errors";
import { manifestPath, REPO_ROOT, type Profile } from "../../paths";

export const HOUR = 3_600n;
export const DAY = 86_400n;

/** Chain ids of development nodes (hardhat, anvil), as in the audit's local-chain rule. */
const DEV_CHAIN_IDS = [31337n, 1337n];

/** hardhat, localhost and any node with a development chain id (the e2e anvil): delays default to 0 there. */
export function isDevChain(network: string, chainId: bigint): boolean {
  return network === "hardhat" || network === "localhost" || DEV_CHAIN_IDS.includes(chainId);
}

/** A path for messages: repository-relative when under `root`. */
export function shown(file: string, root = REPO_ROOT): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

export interface BuiltPolicy {
  /** Batch size of the built policy circuit. */
  n: number;
  scoreBits: number;
}

/**
 * N and SCORE_BITS of the built policy circuit: build/<profile>/manifest.json (what the verifier was
 * generated from), else circuits/registry.json. A registry changed since the build is refused.
 */
export function builtPolicy(profile: Profile, root = REPO_ROOT): BuiltPolicy {
  const registry = JSON.parse(fs.readFileSync(path.join(root, "circuits", "registry.json"), "utf8")) as {
    circuits: { policy: { params: Record<string, { N?: number; SCORE_BITS?: number }> } };
  };
  const reg = registry.circuits.policy.params[profile];
  if (!reg || !Number.isInteger(reg.N) || !Number.isInteger(reg.SCORE_BITS))
    throw new Error(`circuits/registry.json has no policy N and SCORE_BITS for profile "${profile}"`);
  let built: { N?: number; SCORE_BITS?: number } | undefined;
  try {
    const m = JSON.parse(fs.readFileSync(manifestPath(profile, root), "utf8")) as {
      circuits?: { policy?: { params?: { N?: number; SCORE_BITS?: number } } };
    };
    built = m.circuits?.policy?.params;
  } catch {
    built = undefined;
  }
  if (built && Number.isInteger(built.N) && Number.isInteger(built.SCORE_BITS)) {
    if (built.N !== reg.N || built.SCORE_BITS !== reg.SCORE_BITS)
      throw new UsageError(
        `the ${profile} policy circuit was built with N = ${built.N}, SCORE_BITS = ${built.SCORE_BITS} but circuits/registry.json now says N = ${reg.N}, SCORE_BITS = ${reg.SCORE_BITS}`,
        `rebuild it (npx hardhat circuits:build --profile ${profile}), then npx hardhat compile`,
      );
    return { n: built.N!, scoreBits: built.SCORE_BITS! };
  }
  return { n: reg.N!, scoreBits: reg.SCORE_BITS! };
}

/** The threshold must be below 2^SCORE_BITS: the circuit range-checks it, so a larger one admits no proof. */
export function checkThreshold(threshold: bigint, built: BuiltPolicy, profile: Profile): void {
  const bound = 1n << BigInt(built.scoreBits);
  if (threshold >= bound)
    throw new UsageError(
      `threshold ${threshold} is not below 2^${built.scoreBits}: the ${profile} policy circuit takes ${built.scoreBits}-bit scores and thresholds (SCORE_BITS), so no proof could satisfy this policy`,
      `pass a --threshold from 0 to ${bound - 1n}`,
    );
}

/** The batch size registered with the policy: the built circuit's N (the only size its proofs cover). */
export function checkBatchSize(batchSize: number | undefined, built: BuiltPolicy, profile: Profile): number {
  if (batchSize !== undefined && batchSize !== built.n)
    throw new UsageError(
      `batch size ${batchSize} is not the N = ${built.n} of the built ${profile} policy circuit: its proofs cover exactly ${built.n} applications`,
      `omit --batch-size (it defaults to ${built.n}), or build a profile whose policy circuit has N = ${batchSize}`,
    );
  return built.n;
}

/** An explicit method ID must be a guest's of this repository (guests/*.asm) unless `allowUnknown`. */
export function checkMethodId(
  methodId: bigint,
  guests: readonly { name: string; methodId: bigint }[],
  allowUnknown: boolean,
): string | null {
  const guest = guests.find((g) => g.methodId === methodId);
  if (guest) return guest.name;
  if (!allowUnknown)
    throw new UsageError(
      `method ID ${methodId} is that of no guest in this repository (guests/*.asm): auditors could not tell which program the policy runs`,
      "omit --method-id to register the loan guest, or add --allow-unknown-guest to register it anyway (anchor:status --strict and anchor:audit fail on it)",
    );
  return null;
}

/** The policy delay: explicit, else 0 on development chains and 1 day elsewhere; below 1 hour elsewhere warns. */
export function policyDelayFor(
  explicit: bigint | undefined,
  network: string,
  chainId: bigint,
): { delay: bigint; warning: string | null } {
  const dev = isDevChain(network, chainId);
  const delay = explicit ?? (dev ? 0n : DAY);
  const warning =
    !dev && delay < HOUR
      ? `warning: policy delay ${delay} s on ${network} (chain ${chainId}) is below 1 hour: a new policy takes effect before borrowers and auditors can react, and anchor:audit warns about it (default ${DAY} s)`
      : null;
  return { delay, warning };
}

/** The leading `//` comment lines of a verifier source (provenance headers differ; the code may not). */
function body(source: string): string {
  return source.replace(/^(?:\/\/[^\n]*\r?\n)+\r?\n?/, "");
}

/**
 * The contract `contract` must be, as compiled, the verifier snarkjs generates from `vkeyFile`: its
 * compiled source (Hardhat build info) equals, below the header comment, the source regenerated from the
 * key (src/audit/verifier-code.ts, the audit's own regeneration). A stale compile, a hand-edited or
 * foreign verifier (a mock) is refused.
 */
export async function checkBuiltVerifier(
  hre: HardhatRuntimeEnvironment,
  o: { circuit: "policy" | "zkvm"; contract: string; vkeyFile: string; profile: Profile; root: string },
): Promise<void> {
  const { renderVerifierSource } = await import("../../audit/verifier-code");
  const rebuild = `rebuild the circuits (npx hardhat circuits:build --profile ${o.profile}), then npx hardhat compile`;
  const proofSystem = o.circuit === "policy" ? "plonk" : "groth16";
  let expected: string;
  try {
    const vkey = JSON.parse(fs.readFileSync(o.vkeyFile, "utf8")) as object;
    expected = body(renderVerifierSource(vkey, proofSystem, o.contract));
  } catch (e) {
    throw new UsageError(
      `${shown(o.vkeyFile, o.root)} is not a ${proofSystem} verification key the verifier could be generated from: ${(e as Error).message}`,
      rebuild,
    );
  }
  const artifact = await hre.artifacts.readArtifact(o.contract);
  const info = await hre.artifacts.getBuildInfo(`${artifact.sourceName}:${artifact.contractName}`);
  const compiled = info?.input.sources[artifact.sourceName]?.content;
  if (compiled !== undefined && body(compiled) === expected) return;
  let onDisk: string | null = null;
  try {
    onDisk = fs.readFileSync(path.join(hre.config.paths.root, artifact.sourceName), "utf8");
  } catch {
    onDisk = null;
  }
  throw new UsageError(
    `${o.contract} as compiled from ${artifact.sourceName} is not the verifier generated from ${shown(o.vkeyFile, o.root)}: the anchor would check proofs against another key than the provers'`,
    onDisk !== null && body(onDisk) === expected
      ? `${artifact.sourceName} is up to date but was not compiled since: run npx hardhat compile`
      : rebuild,
  );
}
