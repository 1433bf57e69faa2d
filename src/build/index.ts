/**
 * The circuit build pipeline: for each circuit of circuits/registry.json, compile (circom2), count
 * constraints, pick and obtain the powers of tau, run the setup (Groth16 with contribution, beacon
 * and verification; PLONK), export the verification key and the Solidity verifier, and record it all
 * in build/<profile>/manifest.json. Steps whose inputs and outputs are unchanged are skipped.
 *
 * The library never prints: progress goes to `onProgress` (the `circuits:build` task prints it).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildDir, circuitPaths, manifestPath, REPO_ROOT, type Profile } from "../paths";
import { terminateCurves } from "../snark";
import { circomFlags, circomVersion, compileTemplate, mainSource, type MainSpec } from "./circom";
import { canonicalJson, inputsHash, sha256, sha256File } from "./hashing";
import { withLock } from "./lock";
import { emptyManifest, readManifest, writeManifest, type CircuitManifest, type Manifest } from "./manifest";
import { BuildError, type BuildStep, type ProgressCallback } from "./progress";
import { checkUserPtau, DEV_ONLY, DEV_PTAU_POWER, ensureDevPtau, type PtauChoice } from "./ptau";
import { readR1csInfo, requiredPower, type R1csInfo } from "./r1cs";
import { loadRegistry, mainSpec, verifierContractName, type Registry, type RegistryCircuit } from "./registry";
import {
  exportSolidityVerifier,
  exportVerificationKey,
  groth16Setup,
  plonkSetup,
  stepRunner,
  type VerifierHeader,
} from "./setup";
import { SNARKJS_VERSION } from "./snarkjs";
import { assemble } from "../zkvm/assembler";
import { methodId } from "../zkvm/method";
import { writeKeySet } from "./keyset";
import { sourceSet, type SourceSet } from "./sources";

export interface BuildOptions {
  profile: Profile;
  /** Rebuild every step even when its inputs are unchanged. */
  force?: boolean;
  /** A prepared ptau file; required for production (checked against src/build/ptau-hashes.json). */
  ptau?: string;
  /** Accept a --ptau whose hash is not published (the build is then marked devOnly). */
  allowUnknownPtau?: boolean;
  /** Build only these circuits (registry names). */
  only?: string | readonly string[];
  /** Registry file or object (default circuits/registry.json). Circuit files are repo-root-relative. */
  registry?: string | Registry;
  /** Where build/ and contracts/verifiers/generated/ are written (default: the repository root). */
  root?: string;
  /** Per-user cache holding the dev ptau (default cacheDir() from src/paths.ts). */
  cacheDir?: string;
  /** Power of the dev ptau used when no --ptau is given (default DEV_PTAU_POWER = 13; test circuits must fit it). */
  devPtauPower?: number;
  onProgress?: ProgressCallback;
}

export interface BuildResult {
  manifest: Manifest;
  manifestFile: string;
  /** Circuits built in this run, in registry order. */
  circuits: string[];
  ptau: PtauChoice;
}

/** Directory of the exported Solidity verifiers under `root`. */
export function generatedVerifierDir(root = REPO_ROOT): string {
  return path.join(root, "contracts", "verifiers", "generated");
}

function posix(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join("/");
}

function circomlibVersion(): string {
  return (JSON.parse(fs.readFileSync(require.resolve("circomlib/package.json"), "utf8")) as { version: string })
    .version;
}

async function fileMatches(file: string, hash: string | undefined): Promise<boolean> {
  return hash !== undefined && fs.existsSync(file) && (await sha256File(file)) === hash;
}

/** Result of a compile step, kept in build/<profile>/<circuit>/compile.json. */
interface CompileStamp {
  key: string;
  r1csHash: string;
  wasmHash: string;
  info: Omit<R1csInfo, "labels">;
}

function readStamp(file: string): CompileStamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as CompileStamp;
  } catch {
    return undefined;
  }
}

interface Compiled {
  name: string;
  circuit: RegistryCircuit;
  entry: Partial<CircuitManifest>;
  info: Omit<R1csInfo, "labels">;
  power: number;
}

/** What compiling `circuit` for `profile` depends on, and the compile step's cache key over it. */
export interface CompileInputs {
  spec: MainSpec;
  /** Source of the generated main component. */
  main: string;
  sources: SourceSet;
  flags: string[];
  compiler: { compiler: string; package: string };
  circomlibVersion: string;
  /** Cache key of the compile step (build/<profile>/<circuit>/compile.json `key`, manifest keys.compile). */
  key: string;
}

/**
 * The compile inputs of a registry circuit in this checkout. Shared by the build and the audit's
 * key-set check (src/audit/keyset-check.ts), so both compute the same compile key.
 */
export function compileInputs(circuit: RegistryCircuit, profile: Profile): CompileInputs {
  const spec = mainSpec(circuit, profile);
  const main = mainSource(spec);
  const sources = sourceSet(circuit.file);
  const flags = circomFlags(circuit.circomFlags);
  const compiler = circomVersion();
  const circomlib = circomlibVersion();
  const key = inputsHash({ sources: sources.hash, main, compiler, flags, circomlib });
  return { spec, main, sources, flags, compiler, circomlibVersion: circomlib, key };
}

/**
 * Method IDs of the guest programs the registry lists for a zkVM circuit (`guests`: name -> .asm file):
 * the build is where a guest's identity is fixed and recorded next to the verifying key it runs under.
 */
export function guestMethodIds(circuit: RegistryCircuit): CircuitManifest["guests"] {
  if (!circuit.guests) return undefined;
  const out: NonNullable<CircuitManifest["guests"]> = {};
  for (const [name, file] of Object.entries(circuit.guests)) {
    const source = fs.readFileSync(path.resolve(REPO_ROOT, file), "utf8");
    const { words } = assemble(source);
    out[name] = {
      file,
      sourceHash: sha256(source),
      words: words.length,
      methodId: methodId(words).toString(),
    };
  }
  return out;
}

/** Builds the circuits of the registry for `options.profile`; see the module comment. */
export async function buildCircuits(options: BuildOptions): Promise<BuildResult> {
  const emit: ProgressCallback = options.onProgress ?? (() => {});
  const root = path.resolve(options.root ?? REPO_ROOT);
  const lock = path.join(buildDir(options.profile, root), ".build.lock");
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const onWait = (pid: number) =>
    emit({
      type: "log",
      circuit: null,
      step: "registry",
      level: "info",
      message: `waiting for pid ${pid}, which is building ${path.dirname(lock)}`,
    });
  try {
    return await withLock(lock, onWait, () => build(options, emit, root));
  } finally {
    await terminateCurves();
  }
}

async function build(options: BuildOptions, emit: ProgressCallback, root: string): Promise<BuildResult> {
  const profile = options.profile;
  const force = options.force ?? false;
  const cached = (circuit: string | null, step: BuildStep, detail: string) =>
    emit({ type: "step-end", circuit, step, ms: 0, cached: true, detail });

  const registry = loadRegistry(options.registry);
  const names = Object.keys(registry.circuits);
  const only =
    options.only === undefined ? names : typeof options.only === "string" ? [options.only] : [...options.only];
  for (const n of only) {
    if (!names.includes(n))
      throw new BuildError(`unknown circuit "${n}" (--only); the registry has: ${names.join(", ")}`, n, "registry");
  }
  const selected = names.filter((n) => only.includes(n));
  const previous = readManifest(profile, root);
  const manifest: Manifest = previous ?? emptyManifest(profile);
  // Entries of circuits no longer in the registry are dropped.
  for (const n of Object.keys(manifest.circuits)) if (!names.includes(n)) delete manifest.circuits[n];
  const compiler = circomVersion();
  const libVersion = circomlibVersion();

  // 1. Compile and count constraints.
  const compiled: Compiled[] = [];
  for (const name of selected) {
    const circuit = registry.circuits[name];
    const paths = circuitPaths(name, profile, root);
    const steps = stepRunner(name, emit);
    try {
      if (!fs.existsSync(path.resolve(REPO_ROOT, circuit.file))) {
        throw new BuildError(
          `circuit ${name}: source ${circuit.file} does not exist (paths in the registry are relative to the repository root)`,
          name,
          "compile",
        );
      }
      const { spec, main, sources, flags, key: compileKey } = compileInputs(circuit, profile);
      const detail = `circom ${compiler.compiler} ${flags.join(" ")} on ${circuit.file} (${circuit.template}(${spec.params.join(", ")}))`;
      let info: Omit<R1csInfo, "labels">;
      let r1csHash: string;
      let wasmHash: string;
      // The compile result is stamped next to the r1cs, so a build that stops later (e.g. no --ptau
      // yet for production) does not recompile next time.
      const stampFile = path.join(paths.dir, "compile.json");
      const prev = previous?.circuits[name];
      const stamp = force
        ? undefined
        : (readStamp(stampFile) ??
          (prev && {
            key: prev.keys.compile,
            r1csHash: prev.r1cs.hash,
            wasmHash: prev.wasmHash,
            info: { ...prev.r1cs, plonkGates: prev.plonkGates ?? 0 },
          }));
      if (
        stamp?.key === compileKey &&
        (await fileMatches(paths.r1cs, stamp.r1csHash)) &&
        (await fileMatches(paths.wasm, stamp.wasmHash)) &&
        fs.existsSync(paths.sym)
      ) {
        cached(name, "compile", detail);
        cached(name, "constraints", "constraint counts from the compile stamp");
        ({ info, r1csHash, wasmHash } = stamp);
      } else {
        await steps.run("compile", detail, async () => {
          // Only the compile outputs: a zkey stays, and is reused if the new r1cs is byte-identical.
          for (const f of [paths.r1cs, paths.sym, path.dirname(paths.wasm), stampFile]) {
            fs.rmSync(f, { recursive: true, force: true });
          }
          await compileTemplate(spec, name, paths.dir, circuit.circomFlags);
        });
        info = await steps.run("constraints", "read constraint counts from the r1cs", () => readR1csInfo(paths.r1cs));
        r1csHash = await sha256File(paths.r1cs);
        wasmHash = await sha256File(paths.wasm);
        const newStamp: CompileStamp = { key: compileKey, r1csHash, wasmHash, info };
        fs.writeFileSync(stampFile, canonicalJson(newStamp, 2) + "\n");
      }
      const power = requiredPower(circuit.proofSystem, info as R1csInfo);
      const entry: Partial<CircuitManifest> = {
        file: circuit.file,
        template: circuit.template,
        proofSystem: circuit.proofSystem,
        params: circuit.params[profile],
        publicInputs: circuit.publicInputs,
        source: {
          hash: sources.hash,
          files: sources.files,
          circomlibVersion: libVersion,
        },
        compiler: {
          name: "circom",
          version: compiler.compiler,
          package: compiler.package,
          flags,
        },
        mainHash: sha256(main),
        r1cs: {
          hash: r1csHash,
          constraints: info.constraints,
          wires: info.wires,
          publicInputs: info.publicInputs,
          outputs: info.outputs,
          privateInputs: info.privateInputs,
        },
        wasmHash,
        power,
        keys: { compile: compileKey, setup: "", export: "" },
        extras: previous?.circuits[name]?.extras ?? {},
      };
      compiled.push({ name, circuit, entry, info, power });
    } catch (err) {
      delete manifest.circuits[name];
      writeManifest(manifest, root);
      throw err;
    }
  }

  // 2. One ptau for every selected circuit: the largest need decides.
  const need = compiled.reduce((m, c) => Math.max(m, c.power), 0);
  const neededBy =
    compiled
      .filter((c) => c.power === need)
      .map((c) => c.name)
      .join(", ") || "nothing";
  let ptau: PtauChoice;
  if (options.ptau) {
    const file = options.ptau;
    emit({
      type: "step-start",
      circuit: null,
      step: "ptau",
      detail: `check --ptau ${file}`,
    });
    const t0 = performance.now();
    ptau = await checkUserPtau(file, {
      needPower: need,
      neededBy,
      profile,
      allowUnknownPtau: options.allowUnknownPtau,
      cacheDir: options.cacheDir,
    });
    const what = ptau.published ? `published ${ptau.published}` : `UNPUBLISHED ptau (${DEV_ONLY})`;
    emit({
      type: "step-end",
      circuit: null,
      step: "ptau",
      ms: Math.round(performance.now() - t0),
      cached: false,
      detail: `${what}, power ${ptau.power}`,
    });
  } else {
    if (profile === "production") {
      throw new BuildError(
        "production builds need --ptau <file>: a published powersOfTau28_hez_final_NN.ptau " +
          `(power >= ${need}, needed by ${neededBy}); see docs/build.md. The dev ptau is never used for production.`,
        null,
        "ptau",
      );
    }
    const devPower = options.devPtauPower ?? DEV_PTAU_POWER;
    if (need > devPower) {
      throw new BuildError(
        `${neededBy} needs a ptau of power ${need} but the ${profile} profile must fit the dev ptau of power ${devPower}: ` +
          `reduce its ${profile} parameters in the registry, or pass --ptau <file>`,
        null,
        "ptau",
      );
    }
    const detail = `dev powers of tau 2^${devPower} (${DEV_ONLY})`;
    emit({ type: "step-start", circuit: null, step: "ptau", detail });
    const t0 = performance.now();
    const dev = await ensureDevPtau(devPower, {
      cacheDir: options.cacheDir,
      onProgress: emit,
    });
    ptau = {
      file: dev.file,
      power: dev.power,
      blake2b: dev.blake2b,
      dev: true,
      published: null,
    };
    emit({
      type: "step-end",
      circuit: null,
      step: "ptau",
      ms: Math.round(performance.now() - t0),
      cached: dev.cached,
      detail: `${detail}: ${dev.file}`,
    });
  }
  const devOnly = ptau.dev || ptau.published === null;

  // 3. Setup and exports, circuit by circuit; the manifest is saved after each.
  for (const c of compiled) {
    const { name, circuit, entry } = c;
    const prev = force ? undefined : previous?.circuits[name];
    const paths = circuitPaths(name, profile, root);
    // Wall time of each setup step that ran, kept beside the zkey (setupTimingsPath): the manifest
    // holds no times (it is reproducible), and redoing a production setup to time it takes about 20 minutes.
    const ran: Record<string, number> = {};
    const steps = stepRunner(name, (e) => {
      if (e.type === "step-end" && !e.cached) ran[e.step] = e.ms;
      emit(e);
    });
    try {
      const setupKey = inputsHash({
        r1cs: entry.r1cs!.hash,
        ptau: ptau.blake2b,
        proofSystem: circuit.proofSystem,
        snarkjs: SNARKJS_VERSION,
      });
      let plonkGates: number | null = circuit.proofSystem === "plonk" ? c.info.plonkGates : null;
      if (prev?.keys?.setup === setupKey && (await fileMatches(paths.zkey, prev.zkeyHash))) {
        for (const s of circuit.proofSystem === "groth16"
          ? (["zkey-new", "zkey-contribute", "zkey-beacon", "zkey-verify"] as const)
          : (["plonk-setup"] as const)) {
          cached(name, s, "zkey unchanged");
        }
        plonkGates = prev.plonkGates;
      } else if (circuit.proofSystem === "groth16") {
        await groth16Setup(name, { r1cs: paths.r1cs, ptau: ptau.file, zkey: paths.zkey }, steps, devOnly);
      } else {
        const gates = await plonkSetup(name, { r1cs: paths.r1cs, ptau: ptau.file, zkey: paths.zkey }, steps);
        if (gates !== plonkGates) {
          emit({
            type: "log",
            circuit: name,
            step: "plonk-setup",
            level: "warn",
            message: `PLONK gate estimate ${plonkGates} differs from the zkey (${gates}); recording the zkey's`,
          });
        }
        plonkGates = gates;
      }
      const zkeyHash = await sha256File(paths.zkey);
      const setupSteps = Object.keys(ran).filter((k) => k === "plonk-setup" || k.startsWith("zkey-"));
      if (setupSteps.length)
        writeSetupTimings(paths.dir, zkeyHash, Object.fromEntries(setupSteps.map((k) => [k, ran[k]])));

      const contract = verifierContractName(circuit.verifierContract, profile);
      const verifierFile = path.join(generatedVerifierDir(root), `${contract}.sol`);
      const ptauLabel = `${ptau.published ?? (ptau.dev ? "dev ptau" : "unpublished ptau")}, power ${ptau.power}, blake2b ${ptau.blake2b.slice(0, 32)}...`;
      const header: VerifierHeader = {
        circuit: name,
        instance: `${circuit.template}(${circuit.paramOrder.map((k) => `${k}=${circuit.params[profile][k]}`).join(", ")}) from ${circuit.file}`,
        profile,
        proofSystem: circuit.proofSystem,
        contract,
        inputs: {
          source: entry.source!.hash,
          r1cs: entry.r1cs!.hash,
          ptau: ptauLabel,
          zkey: zkeyHash,
        },
        devOnly,
      };
      const exportKey = inputsHash({
        zkeyHash,
        snarkjs: SNARKJS_VERSION,
        header,
      });
      if (
        prev?.keys?.export === exportKey &&
        (await fileMatches(paths.vkey, prev.vkey.hash)) &&
        (await fileMatches(verifierFile, prev.verifier.hash))
      ) {
        cached(name, "export-vkey", "verification key unchanged");
        cached(name, "export-verifier", `${contract} unchanged`);
      } else {
        await exportVerificationKey(paths.zkey, paths.vkey, steps);
        fs.mkdirSync(path.dirname(verifierFile), { recursive: true });
        await exportSolidityVerifier(paths.zkey, verifierFile, header, steps);
      }

      manifest.circuits[name] = {
        ...(entry as CircuitManifest),
        plonkGates,
        ptau: {
          power: ptau.power,
          blake2b: ptau.blake2b,
          dev: ptau.dev,
          published: ptau.published,
        },
        setup:
          circuit.proofSystem === "groth16"
            ? {
                tool: `snarkjs ${SNARKJS_VERSION}`,
                contributions: 1,
                beacon: true,
                verified: true,
              }
            : {
                tool: `snarkjs ${SNARKJS_VERSION}`,
                contributions: 0,
                beacon: false,
                verified: false,
              },
        zkeyHash,
        vkey: {
          file: posix(root, paths.vkey),
          hash: await sha256File(paths.vkey),
        },
        verifier: {
          contract,
          file: posix(root, verifierFile),
          hash: await sha256File(verifierFile),
        },
        keys: {
          compile: entry.keys!.compile,
          setup: setupKey,
          export: exportKey,
        },
        devOnly,
        guests: guestMethodIds(circuit),
      };
      const file = manifestPath(profile, root);
      const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
      writeManifest(manifest, root);
      const unchanged = before === fs.readFileSync(file, "utf8");
      emit({
        type: "step-end",
        circuit: name,
        step: "manifest",
        ms: 0,
        cached: unchanged,
        detail: `recorded in ${posix(root, file)}`,
      });
    } catch (err) {
      delete manifest.circuits[name];
      writeManifest(manifest, root);
      throw err;
    }
  }
  const manifestFile = writeManifest(manifest, root);
  // The key set (build/<profile>/keyset, and keysets/production for a non-dev production build).
  writeKeySet(profile, root);
  return { manifest, manifestFile, circuits: selected, ptau };
}

export { BuildError } from "./progress";
export type { BuildEvent, BuildStep, ProgressCallback, LogLevel } from "./progress";
export { CircomCompileError, CIRCOM_FLAGS, compileTemplate } from "./circom";
export { readManifest, updateManifest, type Manifest, type CircuitManifest } from "./manifest";
export { loadRegistry, verifierContractName, type Registry, type RegistryCircuit, type ProofSystem } from "./registry";
export {
  checkUserPtau,
  devPtauPath,
  DEV_ONLY,
  DEV_PTAU_POWER,
  ensureDevPtau,
  generatePtau,
  PUBLISHED_PTAU,
  registerDevPtau,
  type PtauChoice,
} from "./ptau";
export { plonkGateCount, readR1csInfo, requiredPower, type R1csInfo } from "./r1cs";
export {
  committedKeySetDir,
  KEYSET_FORMAT,
  keySetDir,
  keySetId,
  loadKeySet,
  loadKeySets,
  writeKeySet,
  type InvalidKeySet,
  type KeySet,
  type KeySetCircuit,
  type KeySetFile,
  type KeySetGuest,
  type KeySetSource,
  type ValidKeySet,
  type WrittenKeySet,
} from "./keyset";

/** Where the build records how long the setup of a circuit's current zkey took (not in the manifest). */
export function setupTimingsPath(circuitDir: string): string {
  return path.join(circuitDir, "setup-timings.json");
}

export interface SetupTimings {
  /** sha256 of the zkey these times made: the record is stale once the zkey changes. */
  zkeyHash: string;
  /** Wall seconds of each setup step (zkey-new, zkey-contribute, zkey-beacon, zkey-verify or plonk-setup). */
  steps: Record<string, number>;
  seconds: number;
  date: string;
  cores: number;
}

function writeSetupTimings(circuitDir: string, zkeyHash: string, stepsMs: Record<string, number>): void {
  const steps = Object.fromEntries(Object.entries(stepsMs).map(([k, ms]) => [k, +(ms / 1000).toFixed(1)]));
  const record: SetupTimings = {
    zkeyHash,
    steps,
    seconds: +Object.values(stepsMs)
      .reduce((a, b) => a + b / 1000, 0)
      .toFixed(1),
    date: new Date().toISOString(),
    cores: os.cpus().length,
  };
  fs.writeFileSync(setupTimingsPath(circuitDir), JSON.stringify(record, null, 2) + "\n");
}

/** The recorded setup times of the zkey with this hash, or null (none recorded, or another zkey's). */
export function readSetupTimings(circuitDir: string, zkeyHash: string): SetupTimings | null {
  try {
    const t = JSON.parse(fs.readFileSync(setupTimingsPath(circuitDir), "utf8")) as SetupTimings;
    return t.zkeyHash === zkeyHash && typeof t.seconds === "number" && t.steps ? t : null;
  } catch {
    return null;
  }
}
