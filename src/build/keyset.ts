/**
 * Key sets: what an auditor audits a deployment against. At the end of every successful build,
 * `circuits:build` writes build/<profile>/keyset/ with a byte-exact copy of each circuit's
 * verification key, a byte-exact copy of build/<profile>/manifest.json, and keyset.json (the
 * provenance of each key: sources, compiler, main wrapper, r1cs, ptau, zkey, guest method IDs).
 * A production build from a published ptau also writes the same folder to keysets/production/,
 * which is committed (the zkeys and the build folder are not).
 *
 * keyset.json `id` = keccak256 of the canonical JSON (src/build/hashing.ts canonicalJson: sorted
 * keys, no whitespace) of keyset.json without its `id` field. Any change to a recorded fact
 * (a vkey hash, a source file hash, the ptau, the ceremony) gives a new id.
 *
 * loadKeySets() finds the committed and built key sets and validates each folder on its own (the
 * vkey files and the manifest copy still have the recorded hashes, the id matches the content, the
 * devOnly flag matches the ptau records); whether the keys belong to this commit's circuits is the
 * audit's job (src/audit/keyset-check.ts). A missing or garbled folder is returned with a reason,
 * never thrown.
 */
import { writeFileAtomic } from "../files";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { buildDir, manifestPath, PROFILES, REPO_ROOT, type Profile } from "../paths";
import { canonicalJson } from "./hashing";
import type { CircuitManifest, Manifest } from "./manifest";
import { BuildError } from "./progress";
import { PUBLISHED_PTAU } from "./ptau";
import type { ProofSystem } from "./registry";

export const KEYSET_FORMAT = "zkla-keyset/1";

/** One circuit of keyset.json: the build manifest's facts about the key, and the key's hashes. */
export interface KeySetCircuit {
  file: string;
  template: string;
  proofSystem: ProofSystem;
  params: Record<string, number>;
  publicInputs: string[];
  /** File name of the vkey copy in the key set folder (`<name>.vkey.json`). */
  vkeyFile: string;
  /** keccak256 (0x-hex) of the vkey file bytes: what StateAnchor's PolicyScheduled records as vkeyHash. */
  vkeyKeccak256: string;
  /** "sha256:<hex>" of the vkey file bytes (the build manifest's vkey.hash). */
  vkeySha256: string;
  r1csHash: string;
  /** The build's compile cache key (sources, main wrapper, compiler, flags, circomlib). */
  compileKey: string;
  sourceHash: string;
  /** Every .circom file of the include closure (repo-relative) -> sha256. */
  sourceFiles: Record<string, string>;
  circomlibVersion: string;
  compiler: CircuitManifest["compiler"];
  /** sha256 of the generated main component source. */
  mainHash: string;
  ptau: CircuitManifest["ptau"];
  setup: CircuitManifest["setup"];
  zkeyHash: string;
  constraints: number;
  /** PLONK gates; null for Groth16. */
  plonkGates: number | null;
  verifierContract: string;
}

export interface KeySetGuest {
  /** The zkVM circuit the guest runs under. */
  circuit: string;
  file: string;
  sourceHash: string;
  /** Decimal method ID. */
  methodId: string;
}

/** keyset.json */
export interface KeySetFile {
  format: typeof KEYSET_FORMAT;
  profile: Profile;
  /** True when any circuit was set up from a dev or unpublished ptau. */
  devOnly: boolean;
  id: string;
  /** "sha256:<hex>" of the manifest.json copy. */
  manifestSha256: string;
  circuits: Record<string, KeySetCircuit>;
  guests: Record<string, KeySetGuest>;
  /** Phase-2 ceremony record; null until a ceremony transcript is added (production: ceremony/README.md). */
  ceremony: unknown;
}

/** Where a key set was found: keysets/<name> (committed), build/<profile>/keyset, or a folder given explicitly. */
export type KeySetSource = "committed" | "build" | "extra";

interface KeySetLocation {
  /** Absolute path of the folder. */
  dir: string;
  /** The folder relative to the repository root (posix), or absolute when outside it. */
  relDir: string;
  source: KeySetSource;
  /** e.g. "test (development keys, build/test/keyset)", or "<dir> (invalid)". */
  label: string;
}

export interface ValidKeySet extends KeySetLocation {
  valid: true;
  reason: null;
  id: string;
  profile: Profile;
  devOnly: boolean;
  data: KeySetFile;
  /** Parsed vkey files, by circuit. */
  vkeys: Record<string, Record<string, unknown>>;
  /** Parsed manifest.json copy. */
  manifest: Manifest;
}

export interface InvalidKeySet extends KeySetLocation {
  valid: false;
  /** What is wrong with the folder. */
  reason: string;
}

export type KeySet = ValidKeySet | InvalidKeySet;

/** build/<profile>/keyset */
export function keySetDir(profile: Profile, root = REPO_ROOT): string {
  return path.join(buildDir(profile, root), "keyset");
}

/** keysets/<profile>: the committed key set (only production is written there). */
export function committedKeySetDir(profile: Profile, root = REPO_ROOT): string {
  return path.join(root, "keysets", profile);
}

/** keccak256 of the canonical JSON of keyset.json without `id` (see the module comment). */
export function keySetId(data: Omit<KeySetFile, "id"> | KeySetFile): string {
  const rest: Record<string, unknown> = { ...data };
  delete rest.id;
  return keccak256(Buffer.from(canonicalJson(rest), "utf8"));
}

function sha256(bytes: Buffer): string {
  return `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`;
}

function writeIfChanged(file: string, bytes: Buffer): void {
  if (fs.existsSync(file) && fs.readFileSync(file).equals(bytes)) return;
  writeFileAtomic(file, bytes);
}

const CEREMONY_README = `# Phase-2 ceremony transcript (placeholder)

This folder is the place for the trusted-setup ceremony record of this production key set:
for each Groth16 circuit, the contribution transcript (every contributor's name and contribution
hash as printed by \`snarkjs zkey contribute\`, the final beacon and its parameters) and the output of
\`snarkjs zkey verify <r1cs> <ptau> <final.zkey>\` run by an independent party.

Until a transcript is added, keyset.json records \`"ceremony": null\`: the Groth16 zkeys of this key
set have the single phase-2 contribution made by the machine that ran \`circuits:build\`
(see docs/build.md, "Key sets" and "Production"). PLONK circuits need no per-circuit ceremony.
When adding a transcript, record it in keyset.json \`ceremony\` (this changes the key set id).
`;

export interface WrittenKeySet {
  id: string;
  devOnly: boolean;
  /** Folders written: build/<profile>/keyset, plus keysets/production for a non-dev production build. */
  dirs: string[];
}

/**
 * Writes the key set of `profile` from build/<profile>/manifest.json under `root` (see the module
 * comment). Returns null when the manifest records no circuit. Files whose bytes are unchanged are
 * not rewritten, so a warm build leaves the folder as it was.
 */
export function writeKeySet(profile: Profile, root = REPO_ROOT): WrittenKeySet | null {
  const manifestFile = manifestPath(profile, root);
  if (!fs.existsSync(manifestFile)) return null;
  const manifestBytes = fs.readFileSync(manifestFile);
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as Manifest;
  const names = Object.keys(manifest.circuits).sort();
  if (!names.length) return null;

  const circuits: Record<string, KeySetCircuit> = {};
  const guests: Record<string, KeySetGuest> = {};
  const vkeys: Record<string, Buffer> = {};
  for (const name of names) {
    const c = manifest.circuits[name];
    const vkeyPath = path.resolve(root, c.vkey.file);
    const bytes = fs.existsSync(vkeyPath) ? fs.readFileSync(vkeyPath) : null;
    if (!bytes || sha256(bytes) !== c.vkey.hash) {
      throw new BuildError(
        `cannot write the key set: ${c.vkey.file} ${bytes ? "was changed after" : "is missing, although"} the build recorded it ` +
          `in ${path.relative(root, manifestFile)}; rebuild with npx hardhat circuits:build --profile ${profile} --only ${name} --force`,
        name,
        "manifest",
      );
    }
    vkeys[name] = bytes;
    circuits[name] = {
      file: c.file,
      template: c.template,
      proofSystem: c.proofSystem,
      params: c.params,
      publicInputs: c.publicInputs,
      vkeyFile: `${name}.vkey.json`,
      vkeyKeccak256: keccak256(bytes),
      vkeySha256: c.vkey.hash,
      r1csHash: c.r1cs.hash,
      compileKey: c.keys.compile,
      sourceHash: c.source.hash,
      sourceFiles: c.source.files,
      circomlibVersion: c.source.circomlibVersion,
      compiler: c.compiler,
      mainHash: c.mainHash,
      ptau: c.ptau,
      setup: c.setup,
      zkeyHash: c.zkeyHash,
      constraints: c.r1cs.constraints,
      plonkGates: c.plonkGates,
      verifierContract: c.verifier.contract,
    };
    for (const [g, info] of Object.entries(c.guests ?? {})) {
      guests[g] = { circuit: name, file: info.file, sourceHash: info.sourceHash, methodId: info.methodId };
    }
  }
  const devOnly = names.some((n) => manifest.circuits[n].devOnly);
  const body: Omit<KeySetFile, "id"> = {
    format: KEYSET_FORMAT,
    profile,
    devOnly,
    manifestSha256: sha256(manifestBytes),
    circuits,
    guests,
    ceremony: null,
  };
  const id = keySetId(body);
  const keysetBytes = Buffer.from(canonicalJson({ ...body, id }, 2) + "\n", "utf8");

  const dirs = [keySetDir(profile, root)];
  if (profile === "production" && !devOnly) dirs.push(committedKeySetDir(profile, root));
  for (const dir of dirs) {
    fs.mkdirSync(dir, { recursive: true });
    const keep = new Set(names.map((n) => `${n}.vkey.json`));
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith(".vkey.json") && !keep.has(f)) fs.rmSync(path.join(dir, f), { force: true });
    }
    for (const name of names) writeIfChanged(path.join(dir, `${name}.vkey.json`), vkeys[name]);
    writeIfChanged(path.join(dir, "manifest.json"), manifestBytes);
    if (profile === "production") {
      const readme = path.join(dir, "ceremony", "README.md");
      if (!fs.existsSync(readme)) {
        fs.mkdirSync(path.dirname(readme), { recursive: true });
        fs.writeFileSync(readme, CEREMONY_README);
      }
    }
    // Last: readers take keyset.json as the sign that the folder is complete.
    writeIfChanged(path.join(dir, "keyset.json"), keysetBytes);
  }
  return { id, devOnly, dirs };
}

function relative(root: string, dir: string): string {
  const rel = path.relative(root, dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : dir;
}

class Invalid extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Invalid(`${what} is not valid JSON (${(err as Error).message})`);
  }
}

/** Validates the folder; throws Invalid with the reason. */
function validate(dir: string): Omit<ValidKeySet, keyof KeySetLocation | "valid" | "reason"> {
  const file = path.join(dir, "keyset.json");
  if (!fs.existsSync(dir)) throw new Invalid("the folder does not exist");
  if (!fs.existsSync(file)) {
    throw new Invalid("no keyset.json in the folder (a key set is written by npx hardhat circuits:build)");
  }
  const raw = readJson(file, "keyset.json");
  if (!isObject(raw)) throw new Invalid("keyset.json is not a JSON object");
  if (raw.format !== KEYSET_FORMAT) {
    throw new Invalid(`keyset.json has format ${JSON.stringify(raw.format)}, expected "${KEYSET_FORMAT}"`);
  }
  const data = raw as unknown as KeySetFile;
  if (!PROFILES.includes(data.profile)) {
    throw new Invalid(
      `keyset.json has profile ${JSON.stringify(data.profile)}, expected one of ${PROFILES.join(", ")}`,
    );
  }
  if (!isObject(data.circuits) || !Object.keys(data.circuits).length)
    throw new Invalid("keyset.json lists no circuits");
  if (!isObject(data.guests)) throw new Invalid("keyset.json has no guests object");
  if (typeof data.devOnly !== "boolean") throw new Invalid("keyset.json has no devOnly flag");

  // The manifest copy: recorded hash, and the facts keyset.json repeats from it.
  const manifestFile = path.join(dir, "manifest.json");
  if (!fs.existsSync(manifestFile)) throw new Invalid("manifest.json (the build manifest copy) is missing");
  const manifestBytes = fs.readFileSync(manifestFile);
  if (sha256(manifestBytes) !== data.manifestSha256) {
    throw new Invalid(
      `manifest.json has ${sha256(manifestBytes)} but keyset.json records ${data.manifestSha256}: ` +
        "the manifest copy was changed after the key set was written",
    );
  }
  const manifest = readJson(manifestFile, "manifest.json") as Manifest;
  if (!isObject(manifest) || !isObject(manifest.circuits) || manifest.profile !== data.profile) {
    throw new Invalid(`manifest.json is not a build manifest of profile ${data.profile}`);
  }

  const vkeys: Record<string, Record<string, unknown>> = {};
  let computedDevOnly = false;
  for (const [name, c] of Object.entries(data.circuits)) {
    if (!isObject(c)) throw new Invalid(`keyset.json circuits.${name} is not an object`);
    if (typeof c.vkeyFile !== "string" || !/^[A-Za-z0-9_.-]+\.vkey\.json$/.test(c.vkeyFile)) {
      throw new Invalid(`keyset.json circuits.${name}.vkeyFile must be a file name in the folder (<name>.vkey.json)`);
    }
    const vkeyPath = path.join(dir, c.vkeyFile);
    if (!fs.existsSync(vkeyPath)) throw new Invalid(`${c.vkeyFile} (verification key of ${name}) is missing`);
    const bytes = fs.readFileSync(vkeyPath);
    const keccak = keccak256(bytes);
    if (keccak !== c.vkeyKeccak256) {
      throw new Invalid(
        `${c.vkeyFile} has keccak256 ${keccak} but keyset.json records ${c.vkeyKeccak256}: ` +
          `the verification key of ${name} was changed after the key set was written`,
      );
    }
    if (sha256(bytes) !== c.vkeySha256) {
      throw new Invalid(`${c.vkeyFile} has ${sha256(bytes)} but keyset.json records ${c.vkeySha256}`);
    }
    const vkey = readJson(vkeyPath, c.vkeyFile);
    if (!isObject(vkey)) throw new Invalid(`${c.vkeyFile} is not a JSON object`);
    vkeys[name] = vkey;

    const m = manifest.circuits[name];
    if (!m) throw new Invalid(`manifest.json has no circuit ${name}`);
    const pairs: [string, unknown, unknown][] = [
      ["vkeySha256", c.vkeySha256, m.vkey?.hash],
      ["r1csHash", c.r1csHash, m.r1cs?.hash],
      ["sourceHash", c.sourceHash, m.source?.hash],
      ["mainHash", c.mainHash, m.mainHash],
      ["zkeyHash", c.zkeyHash, m.zkeyHash],
      ["compileKey", c.compileKey, m.keys?.compile],
      ["ptau", c.ptau, m.ptau],
    ];
    for (const [field, a, b] of pairs) {
      if (canonicalJson(a) !== canonicalJson(b)) {
        throw new Invalid(`keyset.json circuits.${name}.${field} differs from the manifest.json copy`);
      }
    }
    if (!isObject(c.ptau)) throw new Invalid(`keyset.json circuits.${name}.ptau is missing`);
    const published = c.ptau.published;
    if (published !== null) {
      const known = PUBLISHED_PTAU[published];
      if (!known || known.blake2b !== c.ptau.blake2b) {
        throw new Invalid(
          `circuit ${name} claims the published ptau ${published} but its blake2b is not the published one ` +
            "(src/build/ptau-hashes.json)",
        );
      }
    }
    computedDevOnly ||= c.ptau.dev || published === null || m.devOnly === true;
  }
  if (computedDevOnly !== data.devOnly) {
    throw new Invalid(
      `keyset.json says devOnly ${data.devOnly} but its circuits were set up from ` +
        `${computedDevOnly ? "a dev or unpublished ptau" : "published ptau files only"}`,
    );
  }
  const id = keySetId(data);
  if (id !== data.id) {
    throw new Invalid(`keyset.json records id ${data.id} but its content hashes to ${id}: keyset.json was edited`);
  }
  return { id, profile: data.profile, devOnly: data.devOnly, data, vkeys, manifest };
}

/**
 * Loads and validates one key set folder (or its keyset.json). Never throws on a bad folder: the
 * result then has `valid: false` and the `reason`.
 */
export function loadKeySet(dir: string, source: KeySetSource = "extra", root = REPO_ROOT): KeySet {
  const abs = path.resolve(dir.endsWith("keyset.json") ? path.dirname(dir) : dir);
  const relDir = relative(root, abs);
  try {
    const v = validate(abs);
    const label = `${v.profile} (${v.devOnly ? "development keys, " : ""}${relDir})`;
    return { dir: abs, relDir, source, label, valid: true, reason: null, ...v };
  } catch (err) {
    if (!(err instanceof Invalid)) {
      const reason = `cannot read the key set: ${(err as Error).message}`;
      return { dir: abs, relDir, source, label: `${relDir} (invalid)`, valid: false, reason };
    }
    return { dir: abs, relDir, source, label: `${relDir} (invalid)`, valid: false, reason: err.message };
  }
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Every key set under `root`: the committed keysets/<name>/ folders, then build/<profile>/keyset/,
 * then `extraDirs` (e.g. from a command-line option). Invalid folders are returned with their reason.
 */
export function loadKeySets(root = REPO_ROOT, extraDirs: string[] = []): KeySet[] {
  const out: KeySet[] = [];
  for (const name of subdirs(path.join(root, "keysets"))) {
    out.push(loadKeySet(path.join(root, "keysets", name), "committed", root));
  }
  for (const name of subdirs(path.join(root, "build"))) {
    const dir = path.join(root, "build", name, "keyset");
    if (fs.existsSync(dir)) out.push(loadKeySet(dir, "build", root));
  }
  for (const dir of extraDirs) out.push(loadKeySet(path.resolve(root, dir), "extra", root));
  return out;
}
