/**
 * Audit check "key <-> circuit": do the verification keys of a key set (src/build/keyset.ts) belong
 * to the circuits of this commit?
 *
 * Quick (always): for each circuit of the key set, this checkout's sources (the include closure of
 * the registry file), the generated main wrapper, the circom compiler version and flags, the
 * circomlib version and the registry parameters of the key set's profile equal what the key set
 * recorded; the r1cs hash the key set records equals the local deterministic compile when
 * build/<profile>/<circuit>/compile.json has the same compile key; the guests' sources and method IDs
 * equal the recorded ones. Development keys (dev or unpublished ptau) make the outcome a warning.
 *
 * Deep (`deep: true`): recompile each circuit into a temporary folder (circom compiles
 * deterministically: same r1cs bytes) and compare the r1cs hash; then, with the ptau the key set was
 * set up from, Groth16: zKey.verifyFromR1cs(r1cs, ptau, zkey) on the key set's zkey and its exported
 * vkey equals the key set's; PLONK: rerun the deterministic plonk.setup(r1cs, ptau) and its exported
 * vkey equals the key set's. What cannot be done (no zkey, no ptau) is reported as a warning.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { circuitPaths, cacheDir as defaultCacheDir, REPO_ROOT } from "../paths";
import { terminateCurves } from "../snark";
import { compileInputs, guestMethodIds, type CompileInputs } from "../build";
import { compileTemplate } from "../build/circom";
import { blake2bFile, canonicalJson, sha256, sha256File } from "../build/hashing";
import type { KeySet, KeySetCircuit, ValidKeySet } from "../build/keyset";
import { StepLogger } from "../build/progress";
import { devPtauPath } from "../build/ptau";
import { loadRegistry, type Registry, type RegistryCircuit } from "../build/registry";
import { snarkjs } from "../build/snarkjs";

export type CheckStatus = "pass" | "fail" | "warn";

export interface CheckOutcome {
  status: CheckStatus;
  reason: string;
  evidence: Record<string, string>;
}

export interface KeySetCheckOptions {
  /** Recompile, and re-derive or verify the keys from the r1cs and the ptau (minutes at production sizes). */
  deep?: boolean;
  /** The ptau the key set was set up from (default: the dev ptau of the user cache for dev key sets). */
  ptau?: string;
  /** Root holding build/<profile>/ (local compile stamps and zkeys); default the repository root. */
  root?: string;
  /** Check only these circuits of the key set (default all). */
  circuits?: string[];
  /** Registry file or object (default circuits/registry.json). */
  registry?: string | Registry;
  /** Zkey file per circuit for the deep Groth16 check (default: <keyset>/<c>.zkey, then build/<profile>/<c>/<c>.zkey). */
  zkeys?: Record<string, string>;
  /** Per-user cache holding the dev ptau (default cacheDir() from src/paths.ts). */
  cacheDir?: string;
  /**
   * Deep check: folder keeping this commit's recompiled circuits (one subfolder per compile key), so
   * checking several key sets of the same sources compiles once. Default: a temporary folder, removed.
   */
  workDir?: string;
}

class Findings {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly evidence: Record<string, string> = {};
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Names of the top-level fields whose values differ between two JSON objects. */
function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]));
}

/** Quick check of one circuit; returns the compile inputs when the sources match (deep check input). */
function quickCircuit(
  name: string,
  c: KeySetCircuit,
  rc: RegistryCircuit,
  inputs: CompileInputs,
  local: string | undefined,
  ks: ValidKeySet,
  root: string,
  f: Findings,
): boolean {
  const before = f.problems.length;
  const fail = (msg: string) => f.problems.push(`${name}: ${msg}`);
  if (rc.file !== c.file) fail(`circuits/registry.json compiles ${rc.file}, the key set was built from ${c.file}`);
  if (rc.template !== c.template) fail(`template ${rc.template} in the registry, ${c.template} in the key set`);
  if (rc.proofSystem !== c.proofSystem)
    fail(`proof system ${rc.proofSystem} in the registry, ${c.proofSystem} in the key set`);
  const params = rc.params[ks.profile] ?? {};
  for (const k of [...new Set([...Object.keys(params), ...Object.keys(c.params)])].sort()) {
    if (params[k] !== c.params[k]) {
      fail(
        `parameter ${k} is ${params[k]} in circuits/registry.json (${ks.profile}) but ${c.params[k]} in the key set`,
      );
    }
  }
  if (f.problems.length > before) return false;

  const here = inputs.sources.files;
  const recorded = c.sourceFiles ?? {};
  for (const file of [...new Set([...Object.keys(here), ...Object.keys(recorded)])].sort()) {
    if (!(file in recorded)) fail(`${file} is included by this commit's sources but not in the key set`);
    else if (!(file in here)) fail(`${file} is in the key set but not included by this commit's sources`);
    else if (here[file] !== recorded[file]) {
      fail(`${file} differs from the key set (this commit ${here[file]}, key set ${recorded[file]})`);
    }
  }
  if (inputs.sources.hash !== c.sourceHash) {
    fail(`source hash ${inputs.sources.hash} differs from the key set's sourceHash ${c.sourceHash}`);
  }
  const mainHash = sha256(inputs.main);
  if (mainHash !== c.mainHash) {
    fail(
      `the generated main component (${path.basename(c.file)} ${c.template}, public inputs) differs: ${mainHash} vs ${c.mainHash}`,
    );
  }
  if (inputs.compiler.compiler !== c.compiler.version || inputs.compiler.package !== c.compiler.package) {
    fail(
      `compiler circom ${inputs.compiler.compiler} (${inputs.compiler.package}) here, ` +
        `circom ${c.compiler.version} (${c.compiler.package}) in the key set: install the recorded version (npm ci)`,
    );
  }
  if (canonicalJson(inputs.flags) !== canonicalJson(c.compiler.flags)) {
    fail(`circom flags "${inputs.flags.join(" ")}" here, "${c.compiler.flags.join(" ")}" in the key set`);
  }
  if (inputs.circomlibVersion !== c.circomlibVersion) {
    fail(`circomlib ${inputs.circomlibVersion} here, ${c.circomlibVersion} in the key set`);
  }
  if (f.problems.length === before && inputs.key !== c.compileKey) {
    fail(`compile key ${inputs.key} differs from the key set's ${c.compileKey}`);
  }
  if (f.problems.length > before) return false;
  f.evidence[`${name}.sources`] =
    `match: ${Object.keys(here).length} files, ${c.sourceHash}; main ${c.mainHash}; ` +
    `circom ${c.compiler.version} ${c.compiler.flags.join(" ")}; circomlib ${c.circomlibVersion}`;

  // The r1cs of a local compile of the same inputs (the build's compile stamp).
  const r1cs = local;
  const stampFile = path.join(circuitPaths(name, ks.profile, root).dir, "compile.json");
  const rel = path.relative(root, stampFile).split(path.sep).join("/");
  if (r1cs === undefined) {
    f.evidence[`${name}.r1cs`] =
      `not compared: no local compile with compile key ${inputs.key} (${rel}); the deep check recompiles`;
  } else if (r1cs !== c.r1csHash) {
    fail(`r1cs hash ${c.r1csHash} in the key set differs from the local compile of the same sources (${rel}: ${r1cs})`);
  } else {
    f.evidence[`${name}.r1cs`] = `${c.r1csHash} equals the local compile (${rel})`;
  }
  return f.problems.length === before;
}

/** r1cs hash of the local compile stamp when its key is `key` and the r1cs on disk still has that hash. */
async function localR1cs(name: string, ks: ValidKeySet, root: string, key: string): Promise<string | undefined> {
  const paths = circuitPaths(name, ks.profile, root);
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(paths.dir, "compile.json"), "utf8")) as {
      key?: string;
      r1csHash?: string;
    };
    if (stamp.key !== key || !fs.existsSync(paths.r1cs)) return undefined;
    return (await sha256File(paths.r1cs)) === stamp.r1csHash ? stamp.r1csHash : undefined;
  } catch {
    return undefined;
  }
}

function checkGuests(ks: ValidKeySet, registry: Registry, only: Set<string>, f: Findings): void {
  for (const [g, rec] of Object.entries(ks.data.guests)) {
    if (!only.has(rec.circuit)) continue;
    const rc = registry.circuits[rec.circuit];
    const file = rc?.guests?.[g];
    if (!rc || !file) {
      f.problems.push(`guest ${g}: not listed under circuits.${rec.circuit}.guests of circuits/registry.json`);
      continue;
    }
    if (file !== rec.file) {
      f.problems.push(`guest ${g}: the registry points to ${file}, the key set recorded ${rec.file}`);
      continue;
    }
    let ids;
    try {
      ids = guestMethodIds({ ...rc, guests: { [g]: file } })!;
    } catch (err) {
      f.problems.push(`guest ${g}: cannot assemble ${file}: ${(err as Error).message}`);
      continue;
    }
    const here = ids[g];
    if (here.sourceHash !== rec.sourceHash) {
      f.problems.push(
        `guest ${g}: ${file} differs from the key set (this commit ${here.sourceHash}, key set ${rec.sourceHash})`,
      );
    } else if (here.methodId !== rec.methodId) {
      f.problems.push(`guest ${g}: method ID ${here.methodId} here, ${rec.methodId} in the key set`);
    } else {
      f.evidence[`guest.${g}`] = `${file} matches (${rec.sourceHash}), method ID ${rec.methodId}`;
    }
  }
}

/** The ptau to use for `c`, or a warning saying why there is none. */
async function pickPtau(
  c: KeySetCircuit,
  options: KeySetCheckOptions,
  blake: Map<string, Promise<string>>,
): Promise<{ file: string } | { warning: string }> {
  const digest = (file: string) => {
    if (!blake.has(file)) blake.set(file, blake2bFile(file));
    return blake.get(file)!;
  };
  const what =
    c.ptau.published ?? (c.ptau.dev ? `the dev ptau 2^${c.ptau.power}` : `an unpublished ptau 2^${c.ptau.power}`);
  if (options.ptau) {
    if (!fs.existsSync(options.ptau)) return { warning: `--ptau ${options.ptau} does not exist` };
    const b = await digest(options.ptau);
    if (b === c.ptau.blake2b) return { file: options.ptau };
    return {
      warning: `ptau ${options.ptau} (blake2b ${b.slice(0, 16)}...) is not ${what} the key set was set up from (blake2b ${c.ptau.blake2b.slice(0, 16)}...)`,
    };
  }
  if (c.ptau.dev) {
    const file = devPtauPath(c.ptau.power, options.cacheDir ?? defaultCacheDir());
    if (fs.existsSync(file) && (await digest(file)) === c.ptau.blake2b) return { file };
    return {
      warning: `${what} the key set was set up from is not on this machine (${file} ${fs.existsSync(file) ? "has another hash" : "is missing"}): pass --ptau`,
    };
  }
  return { warning: `no ptau given: pass --ptau with ${what} (blake2b ${c.ptau.blake2b.slice(0, 16)}...)` };
}

/** The key set's zkey of `name` (options.zkeys, then the key set folder, then build/<profile>/<name>), by its recorded hash. */
async function pickZkey(
  name: string,
  c: KeySetCircuit,
  ks: ValidKeySet,
  root: string,
  options: KeySetCheckOptions,
): Promise<{ file: string } | { warning: string }> {
  const candidates = [
    ...(options.zkeys?.[name] ? [options.zkeys[name]] : []),
    path.join(ks.dir, `${name}.zkey`),
    circuitPaths(name, ks.profile, root).zkey,
  ];
  const seen: string[] = [];
  for (const z of candidates) {
    if (!fs.existsSync(z)) continue;
    const h = await sha256File(z);
    if (h === c.zkeyHash) return { file: z };
    seen.push(`${path.relative(root, z) || z} has ${h}`);
  }
  return {
    warning:
      `no zkey with the recorded hash ${c.zkeyHash} (looked for ${candidates.map((z) => path.relative(root, z) || z).join(", ")}` +
      `${seen.length ? `; ${seen.join("; ")}` : ""}): pass the deployment's zkey`,
  };
}

async function deepCircuit(
  name: string,
  c: KeySetCircuit,
  rc: RegistryCircuit,
  inputs: CompileInputs,
  ks: ValidKeySet,
  root: string,
  options: KeySetCheckOptions,
  f: Findings,
  blake: Map<string, Promise<string>>,
): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `zkla-keyset-${name}-`));
  const logger = new StepLogger(() => {}, name, "zkey-verify");
  try {
    let t0 = performance.now();
    // This commit's compile, in the work folder by compile key (reused by later checks of the same sources).
    const compileDir = options.workDir
      ? path.join(options.workDir, `${name}-${inputs.key.replace(/^sha256:/, "").slice(0, 32)}`)
      : path.join(tmp, "compile");
    const r1cs = path.join(compileDir, `${name}.r1cs`);
    const done = path.join(compileDir, "done");
    const reused = fs.existsSync(done) && fs.existsSync(r1cs);
    if (!reused) {
      fs.rmSync(compileDir, { recursive: true, force: true });
      await compileTemplate(inputs.spec, name, compileDir, rc.circomFlags);
      fs.writeFileSync(done, inputs.key + "\n");
    }
    const r1csHash = await sha256File(r1cs);
    if (r1csHash !== c.r1csHash) {
      f.problems.push(`${name}: recompiled r1cs ${r1csHash} differs from the key set's r1csHash ${c.r1csHash}`);
      return;
    }
    f.evidence[`${name}.deep.r1cs`] =
      `${reused ? `recompiled earlier in ${options.workDir}` : `recompiled in ${seconds(performance.now() - t0)}`}: ` +
      `${r1csHash} equals the key set's`;

    const ptau = await pickPtau(c, options, blake);
    const zkey = c.proofSystem === "groth16" ? await pickZkey(name, c, ks, root, options) : { file: "" };
    if ("warning" in zkey) f.warnings.push(`${name}: zkey not checked: ${zkey.warning}`);
    if ("warning" in ptau) f.warnings.push(`${name}: setup not checked: ${ptau.warning}`);
    if ("warning" in ptau || "warning" in zkey) return;
    const want = ks.vkeys[name];
    t0 = performance.now();
    if (c.proofSystem === "plonk") {
      const derived = path.join(tmp, `${name}.zkey`);
      const result = await snarkjs.plonk.setup(r1cs, ptau.file, derived, logger);
      if (result === -1 || logger.lastError) {
        f.problems.push(
          `${name}: plonk.setup on the recompiled r1cs failed: ${logger.lastError ?? "snarkjs returned -1"}`,
        );
        return;
      }
      const vkey = await snarkjs.zKey.exportVerificationKey(derived, logger);
      const diff = differingFields(vkey, want);
      if (diff.length) {
        f.problems.push(
          `${name}: the key set's verification key is not the one plonk.setup derives from this circuit and the ptau ` +
            `(fields ${diff.join(", ")} differ)`,
        );
        return;
      }
      const zkeyHash = await sha256File(derived);
      f.evidence[`${name}.deep.setup`] =
        `plonk.setup(r1cs, ${path.basename(ptau.file)}) rerun in ${seconds(performance.now() - t0)}: vkey equals the key set's; ` +
        `zkey ${zkeyHash === c.zkeyHash ? "equals" : `differs (${zkeyHash})`} the recorded ${c.zkeyHash}`;
      if (zkeyHash !== c.zkeyHash) {
        f.warnings.push(
          `${name}: the re-derived PLONK zkey ${zkeyHash} differs from the recorded ${c.zkeyHash} (its vkey is equal)`,
        );
      }
      return;
    }
    // Groth16: the key set's zkey (the build's, or one given) verified against r1cs + ptau.
    let ok = false;
    try {
      ok = (await snarkjs.zKey.verifyFromR1cs(r1cs, ptau.file, zkey.file, logger)) === true;
    } catch (err) {
      logger.error((err as Error).message);
    }
    if (!ok) {
      f.problems.push(
        `${name}: zkey ${path.relative(root, zkey.file) || zkey.file} does not verify against the recompiled r1cs and the ptau` +
          `${logger.lastError ? ` (${logger.lastError})` : ""}`,
      );
      return;
    }
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey.file, logger);
    const diff = differingFields(vkey, want);
    if (diff.length) {
      f.problems.push(
        `${name}: the key set's verification key is not the one of its zkey (verified against this circuit and the ptau): ` +
          `fields ${diff.join(", ")} differ`,
      );
      return;
    }
    f.evidence[`${name}.deep.setup`] =
      `zKey.verifyFromR1cs(r1cs, ${path.basename(ptau.file)}, ${path.relative(root, zkey.file) || zkey.file}) passed in ` +
      `${seconds(performance.now() - t0)}; its vkey equals the key set's`;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Checks that the keys of `keyset` belong to this commit's circuits (see the module comment).
 * fail: something differs (the reason names the circuit and the file or value); warn: development
 * keys, or a deep step that could not be done; pass otherwise.
 */
export async function checkKeySetAgainstSources(
  keyset: KeySet,
  options: KeySetCheckOptions = {},
): Promise<CheckOutcome> {
  if (!keyset.valid) {
    return { status: "fail", reason: `key set ${keyset.relDir} is invalid: ${keyset.reason}`, evidence: {} };
  }
  const root = path.resolve(options.root ?? REPO_ROOT);
  const f = new Findings();
  f.evidence.keyset = `${keyset.label}, id ${keyset.id}`;
  let registry: Registry;
  try {
    registry = loadRegistry(options.registry);
  } catch (err) {
    return { status: "fail", reason: (err as Error).message, evidence: f.evidence };
  }
  const names = Object.keys(keyset.data.circuits).sort();
  const unknown = (options.circuits ?? []).filter((n) => !names.includes(n));
  if (unknown.length) {
    return {
      status: "fail",
      reason: `the key set has no circuit ${unknown.join(", ")} (it has ${names.join(", ")})`,
      evidence: f.evidence,
    };
  }
  const selected = options.circuits ? names.filter((n) => options.circuits!.includes(n)) : names;

  const passed: { name: string; rc: RegistryCircuit; inputs: CompileInputs }[] = [];
  for (const name of selected) {
    const c = keyset.data.circuits[name];
    const rc = registry.circuits[name];
    if (!rc) {
      f.problems.push(`${name}: not in circuits/registry.json of this commit`);
      continue;
    }
    let inputs: CompileInputs;
    try {
      inputs = compileInputs(rc, keyset.profile);
    } catch (err) {
      f.problems.push(`${name}: cannot read its sources in this checkout: ${(err as Error).message}`);
      continue;
    }
    const local = await localR1cs(name, keyset, root, inputs.key);
    if (quickCircuit(name, c, rc, inputs, local, keyset, root, f)) passed.push({ name, rc, inputs });
  }
  checkGuests(keyset, registry, new Set(selected), f);

  if (options.deep) {
    const blake = new Map<string, Promise<string>>();
    try {
      for (const { name, rc, inputs } of passed) {
        await deepCircuit(name, keyset.data.circuits[name], rc, inputs, keyset, root, options, f, blake);
      }
    } finally {
      // snarkjs keeps curve worker threads alive; a CLI would never exit otherwise.
      await terminateCurves();
    }
    for (const name of selected.filter((n) => !passed.some((p) => p.name === n))) {
      f.evidence[`${name}.deep`] = "skipped: the quick check failed";
    }
  }

  const scope = `${selected.join(", ")} of ${keyset.relDir}`;
  if (f.problems.length) {
    return {
      status: "fail",
      reason: `keys do not match this commit's circuits: ${f.problems.join("; ")}`,
      evidence: f.evidence,
    };
  }
  // Development keys match their circuits as well as any: the check passes and says what they are (the
  // report shows "development keys" beside the key set); only real doubts are warnings.
  const dev = keyset.devOnly
    ? "development keys (set up from a dev or unpublished powers of tau, one contributor: " +
      "whoever ran the setup can forge proofs; not for production): "
    : "";
  const done = options.deep ? "sources, r1cs and keys" : "sources, compiler and parameters";
  if (f.warnings.length) {
    return {
      status: "warn",
      reason: `${dev}${f.warnings.join("; ")}; ${done} of ${scope} match this commit`,
      evidence: f.evidence,
    };
  }
  return { status: "pass", reason: `${dev}${done} of ${scope} match this commit`, evidence: f.evidence };
}
