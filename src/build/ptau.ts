/**
 * Powers of tau: the development ptau generated once per user, and the check of a user-provided ptau
 * against the published Hermez / Perpetual Powers of Tau hashes (src/build/ptau-hashes.json).
 *
 * The dev ptau has ONE contributor (this machine): whoever ran it knows the toxic waste. It is
 * "development only: not for production" and the build refuses it for the production profile.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { cacheDir as defaultCacheDir, type Profile } from "../paths";
import { readPtauHeader, type PtauHeader } from "./binfile";
import { blake2bFile, sha256File } from "./hashing";
import { BuildError, StepLogger, type ProgressCallback } from "./progress";
import { withLock } from "./lock";
import { getCurveFromName, snarkjs, SNARKJS_VERSION } from "./snarkjs";
import published from "./ptau-hashes.json";

export const DEV_ONLY = "development only: not for production";

/**
 * Power of the shared dev ptau: every test-profile circuit must fit 2^13. Generating it is the
 * longest step of a cold `npm test` (snarkjs prepare phase2 takes about 5 wall-minutes for 2^13
 * here, 10 for 2^14), which is why the test profile is sized for 2^13.
 */
export const DEV_PTAU_POWER = 13;

/** bn128 base field order: the curve every ptau here must be on. */
const BN128_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export interface PublishedPtau {
  power: number;
  maxConstraints: string;
  url: string;
  blake2b: string;
}

/** Published prepared ptau files by file name. */
export const PUBLISHED_PTAU: Readonly<Record<string, PublishedPtau>> = published.files;

/** The ptau a setup uses, as recorded in the manifest. */
export interface PtauChoice {
  file: string;
  power: number;
  /** blake2b-512 (hex) of the whole file: the format of the published table (b2sum). */
  blake2b: string;
  /** A dev ptau generated on this machine: development only. */
  dev: boolean;
  /** File name in the published table when its hash matches, else null. */
  published: string | null;
}

export interface DevPtauSidecar {
  note: typeof DEV_ONLY;
  curve: "bn128";
  power: number;
  blake2b: string;
  sha256: string;
  bytes: number;
  prepared: true;
  procedure: string[];
  generator: string;
}

export function devPtauPath(power: number, cache = defaultCacheDir()): string {
  return path.join(cache, "ptau", `dev_bn128_pow${String(power).padStart(2, "0")}.ptau`);
}

function sidecarPath(ptau: string): string {
  return ptau.replace(/\.ptau$/, ".json");
}

const PROCEDURE = [
  "powersOfTau.newAccumulator(bn128, power)",
  "powersOfTau.contribute(entropy = 64 bytes from crypto.randomBytes)",
  "powersOfTau.beacon(32 bytes from crypto.randomBytes, 2^10 iterations)",
  "powersOfTau.preparePhase2",
];

/**
 * Runs a one-contributor ceremony of size 2^power into `outFile` (new, contribution with
 * crypto.randomBytes entropy, beacon, prepare phase2). Intermediate files are deleted.
 * Uses the shared bn128 curve: call terminateCurves() when done.
 */
export async function generatePtau(
  power: number,
  outFile: string,
  onProgress: ProgressCallback = () => {},
): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power > 28)
    throw new RangeError(`ptau power must be 1..28, got ${power}`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const base = `${outFile}.part`;
  const steps = [`${base}0`, `${base}1`, `${base}2`];
  const logger = new StepLogger(onProgress, null, "ptau");
  try {
    const curve = await getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(curve, power, steps[0], logger);
    const entropy = crypto.randomBytes(64).toString("hex");
    await snarkjs.powersOfTau.contribute(steps[0], steps[1], "zk-loan-anchor dev contribution", entropy, logger);
    const beacon = crypto.randomBytes(32).toString("hex");
    await snarkjs.powersOfTau.beacon(steps[1], steps[2], "zk-loan-anchor dev beacon", beacon, 10, logger);
    await snarkjs.powersOfTau.preparePhase2(steps[2], outFile, logger);
  } finally {
    for (const f of steps) fs.rmSync(f, { force: true });
  }
  const header = readPtauHeader(outFile);
  if (!header.prepared || header.power !== power)
    throw new BuildError(`ptau generation produced an unexpected file ${outFile}`);
}

/**
 * Moves a prepared one-contributor ptau (made by the same procedure as generatePtau) into the dev
 * cache and writes its sidecar. Returns the cached path.
 */
export async function registerDevPtau(
  file: string,
  options: { cacheDir?: string; procedure?: string[] } = {},
): Promise<string> {
  const cache = options.cacheDir ?? defaultCacheDir();
  const header = readPtauHeader(file);
  if (!header.prepared)
    throw new BuildError(`${file} is not prepared for phase 2: run powersOfTau.preparePhase2 first`);
  const dest = devPtauPath(header.power, cache);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const sidecar: DevPtauSidecar = {
    note: DEV_ONLY,
    curve: "bn128",
    power: header.power,
    blake2b: await blake2bFile(file),
    sha256: await sha256File(file),
    bytes: fs.statSync(file).size,
    prepared: true,
    procedure: options.procedure ?? PROCEDURE,
    generator: `snarkjs ${SNARKJS_VERSION} (src/build/ptau.ts)`,
  };
  fs.renameSync(file, dest);
  fs.writeFileSync(sidecarPath(dest), JSON.stringify(sidecar, null, 2) + "\n");
  return dest;
}

/** Sidecar of a cached dev ptau, or null when absent or not matching the file. */
async function readDevSidecar(ptau: string): Promise<DevPtauSidecar | null> {
  if (!fs.existsSync(ptau) || !fs.existsSync(sidecarPath(ptau))) return null;
  try {
    const sidecar = JSON.parse(fs.readFileSync(sidecarPath(ptau), "utf8")) as DevPtauSidecar;
    if (sidecar.note !== DEV_ONLY || sidecar.bytes !== fs.statSync(ptau).size) return null;
    return (await blake2bFile(ptau)) === sidecar.blake2b ? sidecar : null;
  } catch {
    return null;
  }
}

/**
 * The dev ptau of `power` from the per-user cache, generated (about 7 CPU-minutes for 2^13, 14 for 2^14) when
 * absent. `cached` says whether it already existed.
 */
export async function ensureDevPtau(
  power: number,
  options: { cacheDir?: string; onProgress?: ProgressCallback } = {},
): Promise<PtauChoice & { cached: boolean }> {
  const emit = options.onProgress ?? (() => {});
  const file = devPtauPath(power, options.cacheDir);
  const choice = (sidecar: DevPtauSidecar, cached: boolean) => ({
    file,
    power,
    blake2b: sidecar.blake2b,
    dev: true,
    published: null,
    cached,
  });
  const existing = await readDevSidecar(file);
  if (existing) return choice(existing, true);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return withLock(
    `${file}.lock`,
    (pid) =>
      emit({
        type: "log",
        circuit: null,
        step: "ptau",
        level: "info",
        message: `waiting for pid ${pid}, which is generating ${file}`,
      }),
    async () => {
      const again = await readDevSidecar(file);
      if (again) return choice(again, true);
      emit({
        type: "log",
        circuit: null,
        step: "ptau",
        level: "info",
        message: `generating the dev powers of tau 2^${power} (${DEV_ONLY}) into ${file}; done once per user`,
      });
      const tmp = `${file}.tmp`;
      await generatePtau(power, tmp, emit);
      const sidecar: DevPtauSidecar = {
        note: DEV_ONLY,
        curve: "bn128",
        power,
        blake2b: await blake2bFile(tmp),
        sha256: await sha256File(tmp),
        bytes: fs.statSync(tmp).size,
        prepared: true,
        procedure: PROCEDURE,
        generator: `snarkjs ${SNARKJS_VERSION} (src/build/ptau.ts)`,
      };
      fs.writeFileSync(sidecarPath(file), JSON.stringify(sidecar, null, 2) + "\n");
      fs.renameSync(tmp, file);
      return choice(sidecar, false);
    },
  );
}

/** blake2b hashes of the dev ptaus in the cache (so a production build can refuse them by content). */
function devPtauHashes(cache: string): Set<string> {
  const dir = path.join(cache, "ptau");
  const out = new Set<string>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir)) {
    if (!/^dev_.*\.json$/.test(f)) continue;
    try {
      out.add((JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as DevPtauSidecar).blake2b);
    } catch {
      // An unreadable sidecar is ignored: its ptau is then regenerated, never trusted.
    }
  }
  return out;
}

export interface UserPtauOptions {
  /** Smallest power the circuits need. */
  needPower: number;
  /** Circuit(s) that need `needPower`, for the error message. */
  neededBy: string;
  profile: Profile;
  /** Accept a hash that is not in the published table (labelled devOnly in the manifest). */
  allowUnknownPtau?: boolean;
  cacheDir?: string;
}

/**
 * Checks a user-provided ptau: a prepared bn128 ptau, large enough, and (for production) one of the
 * published files by blake2b hash and never a dev ptau. Throws a BuildError saying what to do.
 */
export async function checkUserPtau(file: string, options: UserPtauOptions): Promise<PtauChoice> {
  const fail = (msg: string): never => {
    throw new BuildError(msg, null, "ptau");
  };
  if (!fs.existsSync(file)) fail(`--ptau ${file}: no such file`);
  let header: PtauHeader | undefined;
  try {
    header = readPtauHeader(file);
  } catch (err) {
    fail(`--ptau ${file} is not a powers-of-tau (.ptau) file: ${(err as Error).message}`);
  }
  const h = header!;
  if (h.q !== BN128_Q) fail(`--ptau ${file} is not on the bn128 curve, which snarkjs verifiers on Ethereum use`);
  if (!h.prepared) {
    fail(
      `--ptau ${file} is not prepared for phase 2: use a powersOfTau28_hez_final_NN.ptau file (or run snarkjs powersoftau prepare phase2)`,
    );
  }
  if (h.power < options.needPower) {
    const name = `powersOfTau28_hez_final_${String(options.needPower).padStart(2, "0")}.ptau`;
    fail(
      `--ptau ${file} is too small: it has power ${h.power} (2^${h.power}) but ${options.neededBy} needs ` +
        `power ${options.needPower} (2^${options.needPower}); use ${name} or larger (see docs/build.md)`,
    );
  }
  const blake2b = await blake2bFile(file);
  const match = Object.entries(PUBLISHED_PTAU).find(([, p]) => p.blake2b === blake2b);
  const isDev = devPtauHashes(options.cacheDir ?? defaultCacheDir()).has(blake2b);
  if (options.profile === "production") {
    if (isDev) {
      fail(
        `--ptau ${file} is a dev ptau generated on this machine (${DEV_ONLY}); production builds need a published ptau`,
      );
    }
    if (!match && !options.allowUnknownPtau) {
      fail(
        `--ptau ${file}: blake2b ${blake2b.slice(0, 16)}... is not one of the published Hermez / Perpetual Powers of Tau ` +
          `hashes in src/build/ptau-hashes.json; download powersOfTau28_hez_final_NN.ptau (see docs/build.md), ` +
          `or pass --allow-unknown-ptau to use your own ceremony (the build is then marked devOnly)`,
      );
    }
  }
  if (match && match[1].power !== h.power) {
    fail(`--ptau ${file} matches ${match[0]} by hash but its header says power ${h.power}: the file is corrupt`);
  }
  return { file: path.resolve(file), power: h.power, blake2b, dev: isDev, published: match ? match[0] : null };
}
