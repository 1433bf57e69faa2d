/**
 * Builds the native hash addon (native/poseidon: Poseidon and keccak256 in C, N-API, no dependencies)
 * into build/native/poseidon.node, which src/hash.ts loads when it is there. The addon is optional:
 * without a C compiler or Node's headers nothing is built and the reason is returned (hashing then
 * uses poseidon-lite and ethers, the same values, slower); nothing here throws for that.
 *
 * The sources are copied to a temporary folder under build/native and compiled there with node-gyp
 * (npm's bundled copy; `--nodedir` points at the headers installed with Node, nothing is downloaded),
 * or, when node-gyp cannot run (e.g. no Python), with `cc` directly. The result must pass a
 * known-answer check in a child process before it replaces build/native/poseidon.node (atomically).
 * The step is skipped when that file is newer than every source file. The library never prints.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { NATIVE_HASH_FILE } from "../hash";
import { REPO_ROOT } from "../paths";

/** src/hash.ts, whose loadNativeHash checks a built addon. */
const HASH_MODULE = path.join(REPO_ROOT, "src", "hash");

/** The addon's sources (binding.gyp, C files, the generated constants header). */
export const NATIVE_SOURCE_DIR = path.join(REPO_ROOT, "native", "poseidon");

export interface NativeBuildOptions {
  /** Rebuild even when the addon is newer than its sources. */
  force?: boolean;
  /** Called before compiling (not for an up-to-date addon) with what is about to run. */
  onStart?: (detail: string) => void;
  /** Sources (default native/poseidon) and output file (default build/native/poseidon.node). */
  sourceDir?: string;
  file?: string;
}

export interface NativeBuildResult {
  /** True when the addon is in place and passed its check (built now or up to date). */
  built: boolean;
  /** True when it was up to date and left as it was. */
  cached: boolean;
  file: string;
  /** The compiler driver used: "node-gyp" or "cc" (absent when cached or not built). */
  tool?: "node-gyp" | "cc";
  /** Why nothing was built; hashing falls back to poseidon-lite then. */
  reason?: string;
  /** Wall time in milliseconds. */
  ms: number;
}

const SOURCE_FILE = /\.(c|h|gyp)$/;
/** Compile and link flags of the cc fallback (binding.gyp has the same optimization flags). */
const CC_FLAGS = ["-O3", "-std=c11", "-fPIC", "-Wall", "-Wextra"];

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => SOURCE_FILE.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The folder holding include/node/node_api.h for this Node, or undefined. */
export function nodeHeadersDir(): string | undefined {
  const candidates = [
    process.env.npm_config_nodedir,
    path.resolve(path.dirname(process.execPath), ".."),
    path.join(os.homedir(), ".cache", "node-gyp", process.versions.node),
  ];
  return candidates.find((d) => d && fs.existsSync(path.join(d, "include", "node", "node_api.h")));
}

/** node-gyp's entry script: npm's bundled copy (or one on the module path), or undefined. */
export function nodeGypScript(): string | undefined {
  const candidates: string[] = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally: npm's bundled copy below
  }
  if (process.env.npm_execpath) {
    candidates.push(
      path.resolve(path.dirname(process.env.npm_execpath), "..", "node_modules/node-gyp/bin/node-gyp.js"),
    );
  }
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  candidates.push(path.join(prefix, "lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"));
  candidates.push(path.join(path.dirname(process.execPath), "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"));
  return candidates.find((f) => fs.existsSync(f));
}

/** The last lines of a failed command's output that say what went wrong. */
function failure(what: string, r: ReturnType<typeof spawnSync>): string {
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${what}: not found (no C compiler?)` : `${what}: ${r.error.message}`;
  }
  const text = `${r.stderr ?? ""}\n${r.stdout ?? ""}`;
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => /error|not found|cannot|could not/i.test(l) && !/^gyp info/.test(l));
  const shown = [...new Set(errors.length ? errors : lines)].slice(0, 3).join(" | ");
  return `${what} failed (exit ${r.status ?? r.signal}): ${shown.slice(0, 400) || "no output"}`;
}

/**
 * Loads a built addon in a child process (a crash there cannot hurt us) with src/hash.ts's own checks
 * (version and known answers): undefined when it is usable, else why not.
 */
function checkAddon(file: string): string | undefined {
  const script = `
    const { loadNativeHash } = require(${JSON.stringify(HASH_MODULE)});
    const { problem } = loadNativeHash(process.argv[1]);
    if (problem) { console.error(problem); process.exit(3); }`;
  const register = require.resolve("ts-node/register/transpile-only");
  const r = spawnSync(process.execPath, ["-r", register, "-e", script, file], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status === 0) return undefined;
  return r.status === 3 ? `the built addon is unusable: ${r.stderr.trim()}` : failure("loading the built addon", r);
}

function compileWithNodeGyp(stage: string, headers: string): { file?: string; reason?: string } {
  const script = nodeGypScript();
  if (!script) return { reason: "node-gyp not found (npm's bundled copy)" };
  const r = spawnSync(process.execPath, [script, "rebuild", `--nodedir=${headers}`, "--release"], {
    cwd: stage,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, npm_config_nodedir: headers },
  });
  const file = path.join(stage, "build", "Release", "poseidon.node");
  if (r.status === 0 && fs.existsSync(file)) return { file };
  return { reason: failure("node-gyp", r) };
}

function compileWithCc(stage: string, headers: string): { file?: string; reason?: string } {
  if (process.platform === "win32") return { reason: "no cc fallback on Windows" };
  const cc = process.env.CC || "cc";
  const file = path.join(stage, "poseidon.node");
  const link = process.platform === "darwin" ? ["-bundle", "-undefined", "dynamic_lookup"] : ["-shared"];
  const sources = fs.readdirSync(stage).filter((f) => f.endsWith(".c"));
  const r = spawnSync(cc, [...CC_FLAGS, ...link, "-I", path.join(headers, "include", "node"), "-o", file, ...sources], {
    cwd: stage,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (r.status === 0 && fs.existsSync(file)) return { file };
  return { reason: failure(cc, r) };
}

/** Builds build/native/poseidon.node when it is missing or older than its sources; see the module comment. */
export function buildNativePoseidon(options: NativeBuildOptions = {}): NativeBuildResult {
  const t0 = performance.now();
  const file = options.file ?? NATIVE_HASH_FILE;
  const sourceDir = options.sourceDir ?? NATIVE_SOURCE_DIR;
  const ms = () => Math.round(performance.now() - t0);
  const notBuilt = (reason: string): NativeBuildResult => {
    // A stale addon must not stay behind: hashing falls back to poseidon-lite instead.
    fs.rmSync(file, { force: true });
    return { built: false, cached: false, file, reason, ms: ms() };
  };
  let sources: string[];
  try {
    sources = sourceFiles(sourceDir);
  } catch (err) {
    return notBuilt(`cannot read ${sourceDir}: ${(err as Error).message}`);
  }
  if (!sources.some((f) => f.endsWith(".gyp"))) return notBuilt(`no binding.gyp in ${sourceDir}`);

  if (!options.force && fs.existsSync(file)) {
    const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
    if (fs.statSync(file).mtimeMs >= newest) return { built: true, cached: true, file, ms: ms() };
  }

  const headers = nodeHeadersDir();
  if (!headers) {
    return notBuilt(
      `Node.js headers (include/node/node_api.h) not found next to ${process.execPath}: set npm_config_nodedir`,
    );
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const stage = fs.mkdtempSync(path.join(path.dirname(file), ".poseidon-build-"));
  try {
    for (const f of sources) fs.copyFileSync(f, path.join(stage, path.basename(f)));
    options.onStart?.(
      `compile ${path.relative(REPO_ROOT, sourceDir) || sourceDir} (node-gyp, Node headers in ${headers})`,
    );
    let tool: "node-gyp" | "cc" = "node-gyp";
    let out = compileWithNodeGyp(stage, headers);
    if (!out.file) {
      const viaCc = compileWithCc(stage, headers);
      if (!viaCc.file) return notBuilt(`${out.reason}; ${viaCc.reason}`);
      tool = "cc";
      out = viaCc;
    }
    const problem = checkAddon(out.file!);
    if (problem) return notBuilt(problem);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.copyFileSync(out.file!, tmp);
    fs.renameSync(tmp, file);
    return { built: true, cached: false, file, tool, ms: ms() };
  } catch (err) {
    return notBuilt(`unexpected: ${(err as Error).message}`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
