/**
 * Policy-layer benchmark:
 * `npx ts-node bench/policy.ts [--ptau FILE] [--sizes 2,4,16,32] [--probe-public 6,20] [--out FILE]`.
 *
 * For each batch size N: R1CS constraints and snarkjs PLONK gates (exact count, no ptau needed),
 * and, when the powers of tau is large enough (default: the dev ptau, 2^13), the PLONK prove time
 * and peak memory (prover in a child process: its max RSS) and the gas of a verifyProof
 * transaction on the in-process Hardhat network. Sizes that do not fit print
 * "not measured: needs 2^k ptau"; their verifier gas is estimated from the measured N and the
 * per-public-signal cost measured on probe circuits (circuits/policy/public_signals_probe.circom)
 * with the same public-signal counts; the probes run when some size is not measured, and for every
 * count of --probe-public (npm run bench asks for N + 4 at each batch size of its gas table). Each
 * verifier's gas is also recorded without its calldata (`exec`), and its runtime size: it is placed
 * with hardhat_setCode, so a verifier over the 24,576-byte limit (EIP-170) is measured, and flagged.
 * Saves JSON to bench/results/policy.json (or --out).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { calldataGas } from "./evm";
import { machineInfo } from "./machine";
import { compileTemplate, type MainSpec } from "../src/build/circom";
import { DEV_PTAU_POWER, devPtauPath } from "../src/build/ptau";
import { REPO_ROOT } from "../src/paths";
import { encodePolicyProof, evaluatePolicy, policyInput, policyParams, type PlonkProof } from "../src/policy";
import { plonkSize, type PlonkSize } from "../src/policy/gates";
import { terminateCurves } from "../src/snark";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjs = require("snarkjs") as {
  plonk: {
    setup(r1cs: string, ptau: string, zkey: string): Promise<unknown>;
    verify(vk: unknown, signals: string[], proof: PlonkProof): Promise<boolean>;
  };
  zKey: {
    exportVerificationKey(zkey: string): Promise<unknown>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>): Promise<string>;
  };
};

const BENCH_DIR = path.join(REPO_ROOT, "build", "bench", "policy");
const SOURCES = [
  "circuits/policy/policy_batch.circom",
  "circuits/lib/sponge.circom",
  "circuits/lib/tags.circom",
  "circuits/policy/public_signals_probe.circom",
];

export interface PolicyBenchOptions {
  ptau: string;
  sizes: number[];
  /** Public-signal counts to probe even when every size is measured. */
  probePublic?: number[];
  log: (line: string) => void;
}

/** EIP-170: the largest runtime code a contract may have on Ethereum. */
const MAX_RUNTIME_BYTES = 24_576;

interface VerifierGas {
  gas: number;
  /** gas - 21,000 - calldata: what the verifier's execution costs. */
  exec: number;
  calldata: number;
  runtimeBytes: number;
  deployable: boolean;
}

interface SizeResult extends PlonkSize {
  N: number;
  scoreBits: number;
  prove: { ms: number; cpuMs: number; totalMs: number; peakRssMB: number; loadAvg1m: number } | { notMeasured: string };
  verifierGas: (VerifierGas & { method: "measured" }) | { gas: number; method: "estimated"; from: string } | null;
}

function newer(target: string, sources: string[]): boolean {
  if (!fs.existsSync(target)) return false;
  const t = fs.statSync(target).mtimeMs;
  return sources.every((s) => fs.statSync(s).mtimeMs <= t);
}

/** Reads the power of a .ptau file from its header section (type 1: n8, prime, power). */
function ptauPower(file: string): number {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(256);
    fs.readSync(fd, buf, 0, 256, 0);
    if (buf.toString("ascii", 0, 4) !== "ptau") throw new Error(`${file} is not a .ptau file`);
    let off = 12; // magic, version, nSections
    for (;;) {
      const type = buf.readUInt32LE(off);
      const size = Number(buf.readBigUInt64LE(off + 4));
      if (type === 1) {
        const n8 = buf.readUInt32LE(off + 12);
        return buf.readUInt32LE(off + 16 + n8);
      }
      off += 12 + size;
      if (off + 12 > buf.length) throw new Error(`${file}: header section not found at the start of the file`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function policyFlags(): string[] {
  const registry = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "circuits", "registry.json"), "utf8"));
  return registry.circuits.policy.circomFlags ?? [];
}

async function compileCached(spec: MainSpec, name: string, dir: string, flags: string[]): Promise<string> {
  const r1cs = path.join(dir, `${name}.r1cs`);
  if (
    !newer(
      r1cs,
      SOURCES.map((s) => path.join(REPO_ROOT, s)),
    )
  ) {
    fs.rmSync(dir, { recursive: true, force: true });
    await compileTemplate(spec, name, dir, flags);
  }
  return r1cs;
}

async function setupCached(r1cs: string, ptau: string): Promise<string> {
  const zkey = r1cs.replace(/\.r1cs$/, ".zkey");
  if (!newer(zkey, [r1cs, ptau])) await snarkjs.plonk.setup(r1cs, ptau, zkey);
  return zkey;
}

/** Proves in a child process; returns the proof and the prover's time and max RSS. */
function proveInChild(
  input: unknown,
  wasm: string,
  zkey: string,
): { proof: PlonkProof; publicSignals: string[]; ms: number; cpuMs: number; totalMs: number; peakRssMB: number } {
  const inputFile = path.join(os.tmpdir(), `policy-bench-input-${process.pid}.json`);
  fs.writeFileSync(inputFile, JSON.stringify(input));
  const script = `
    const snarkjs = require("snarkjs");
    const fs = require("fs");
    (async () => {
      const input = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const t = performance.now();
      const c = process.cpuUsage();
      const r = await snarkjs.plonk.fullProve(input, process.argv[2], process.argv[3]);
      const ms = performance.now() - t;
      const cpu = process.cpuUsage(c);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      process.stdout.write(JSON.stringify({ ...r, ms, cpuMs, maxRssKB: process.resourceUsage().maxRSS }));
      await globalThis.curve_bn128?.terminate();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const t0 = Date.now();
  const child = spawnSync(process.execPath, ["-e", script, inputFile, wasm, zkey], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const totalMs = Date.now() - t0;
  fs.rmSync(inputFile, { force: true });
  if (child.status !== 0) throw new Error(`prover child failed: ${child.stderr}`);
  const out = JSON.parse(child.stdout) as {
    proof: PlonkProof;
    publicSignals: string[];
    ms: number;
    cpuMs: number;
    maxRssKB: number;
  };
  return {
    proof: out.proof,
    publicSignals: out.publicSignals,
    ms: Math.round(out.ms),
    cpuMs: Math.round(out.cpuMs),
    totalMs,
    peakRssMB: Math.round(out.maxRssKB / 1024),
  };
}

interface Hre {
  network: { provider: { send(method: string, params: unknown[]): Promise<unknown> } };
  ethers: {
    getSigners(): Promise<
      { sendTransaction(tx: { to: string; data: string }): Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }> }[]
    >;
    Contract: new (
      address: string,
      abi: unknown,
      runner: unknown,
    ) => {
      interface: { encodeFunctionData(f: string, args: unknown[]): string };
      verifyProof: (p: bigint[], s: bigint[]) => Promise<boolean>;
    };
  };
}

let nextAddress = 0xbe7c4000;

/**
 * Compiles a generated verifier with solc (same settings as hardhat.config.ts), places its runtime code
 * with hardhat_setCode (no size limit, so larger verifiers are measured too), returns verifyProof tx gas.
 */
async function verifierGas(hre: Hre, zkey: string, proof: PlonkProof, signals: string[]): Promise<VerifierGas> {
  const templateDir = path.join(path.dirname(require.resolve("snarkjs")), "..", "templates");
  const source = await snarkjs.zKey.exportSolidityVerifier(zkey, {
    plonk: fs.readFileSync(path.join(templateDir, "verifier_plonk.sol.ejs"), "utf8"),
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { compile(input: string): string };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "Verifier.sol": { content: source } },
        settings: {
          optimizer: { enabled: true, runs: 200 },
          evmVersion: "cancun",
          outputSelection: { "*": { PlonkVerifier: ["abi", "evm.deployedBytecode.object"] } },
        },
      }),
    ),
  );
  const c = out.contracts?.["Verifier.sol"]?.PlonkVerifier;
  if (!c) throw new Error(`solc failed: ${JSON.stringify(out.errors)}`);
  const [signer] = await hre.ethers.getSigners();
  const runtime = "0x" + c.evm.deployedBytecode.object;
  const address = "0x" + (nextAddress++).toString(16).padStart(40, "0");
  await hre.network.provider.send("hardhat_setCode", [address, runtime]);
  const contract = new hre.ethers.Contract(address, c.abi, signer);
  const words = encodePolicyProof(proof);
  const sig = signals.map((s) => BigInt(s));
  if (!(await contract.verifyProof(words, sig))) throw new Error("generated verifier rejected a valid proof");
  const data = contract.interface.encodeFunctionData("verifyProof", [words, sig]);
  const receipt = await (await signer.sendTransaction({ to: address, data })).wait();
  const gas = Number(receipt!.gasUsed);
  const calldata = calldataGas(data);
  const runtimeBytes = (runtime.length - 2) / 2;
  return { gas, exec: gas - 21_000 - calldata, calldata, runtimeBytes, deployable: runtimeBytes <= MAX_RUNTIME_BYTES };
}

export async function runPolicyBench(options: PolicyBenchOptions): Promise<unknown> {
  const { log } = options;
  const power = ptauPower(options.ptau);
  const flags = policyFlags();
  const scoreBits = policyParams("test").scoreBits;
  log(
    `policy bench: ptau ${options.ptau} (2^${power}), circom flags ${flags.join(" ") || "(default)"}, ${os.cpus().length} CPUs`,
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as Hre;

  const results: SizeResult[] = [];
  for (const N of options.sizes) {
    const dir = path.join(BENCH_DIR, `n${N}`);
    const spec: MainSpec = {
      file: "circuits/policy/policy_batch.circom",
      template: "PolicyBatch",
      params: [N, scoreBits],
      publicInputs: ["threshold"],
    };
    const r1cs = await compileCached(spec, "policy", dir, flags);
    const size = await plonkSize(r1cs);
    const row: SizeResult = { N, scoreBits, ...size, prove: { notMeasured: "" }, verifierGas: null };
    log(
      `N=${N}: ${size.constraints} R1CS constraints, ${size.gates} PLONK gates (domain 2^${size.power}), ${size.nPublic} public signals`,
    );
    if (size.power > power) {
      row.prove = { notMeasured: `needs 2^${size.power} ptau` };
      log(`N=${N}: prove time, memory, gas: not measured: needs 2^${size.power} ptau (pass --ptau)`);
    } else {
      const zkey = await setupCached(r1cs, options.ptau);
      const params = { batchSize: N, scoreBits };
      const batch = Array.from({ length: N }, (_, i) => ({
        applicantId: BigInt(i + 1),
        score: BigInt(500 + 20 * i),
        salt: BigInt(1_000_003 * (i + 1)),
      }));
      const threshold = 600n;
      const input = policyInput(batch, threshold, params);
      const p = proveInChild(input, path.join(dir, "policy_js", "policy.wasm"), zkey);
      const expected = evaluatePolicy(batch, threshold, params);
      if (BigInt(p.publicSignals[0]) !== expected.tapeDigest)
        throw new Error(`N=${N}: circuit tapeDigest differs from the reference`);
      const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
      if (!(await snarkjs.plonk.verify(vkey, p.publicSignals, p.proof)))
        throw new Error(`N=${N}: proof does not verify`);
      // Other work on the machine slows the prover: the 1-minute load average is recorded with the time.
      row.prove = {
        ms: p.ms,
        cpuMs: p.cpuMs,
        totalMs: p.totalMs,
        peakRssMB: p.peakRssMB,
        loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
      };
      row.verifierGas = { ...(await verifierGas(hre, zkey, p.proof, p.publicSignals)), method: "measured" };
      log(
        `N=${N}: prove ${p.ms} ms wall, ${p.cpuMs} ms CPU (child process ${p.totalMs} ms incl. start-up; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs), ` +
          `peak RSS ${p.peakRssMB} MB, verifyProof tx gas ${row.verifierGas.gas}`,
      );
    }
    results.push(row);
  }

  // Verifier gas per public signal, from probe circuits with the same public-signal counts: only
  // needed to estimate the sizes the ptau was too small to measure.
  const probe: ({ publicSignals: number } & VerifierGas)[] = [];
  const estimate = results.some((r) => !r.verifierGas);
  const counts = [...(estimate ? results.map((r) => r.nPublic) : []), ...(options.probePublic ?? [])];
  for (const nPublic of [...new Set(counts)].sort((a, b) => a - b)) {
    const dir = path.join(BENCH_DIR, `probe${nPublic}`);
    const K = nPublic - 1;
    const r1cs = await compileCached(
      {
        file: "circuits/policy/public_signals_probe.circom",
        template: "PublicSignalsProbe",
        params: [K],
        publicInputs: ["in"],
      },
      "probe",
      dir,
      flags,
    );
    const zkey = await setupCached(r1cs, options.ptau);
    const input = { in: Array.from({ length: K }, (_, k) => String(k + 3)) };
    const p = proveInChild(input, path.join(dir, "probe_js", "probe.wasm"), zkey);
    const g = await verifierGas(hre, zkey, p.proof, p.publicSignals);
    probe.push({ publicSignals: nPublic, ...g });
    log(
      `probe with ${nPublic} public signals: verifyProof tx gas ${g.gas} (execution ${g.exec}), runtime ${g.runtimeBytes} bytes` +
        (g.deployable ? "" : ` (over the ${MAX_RUNTIME_BYTES}-byte limit: not deployable on Ethereum)`),
    );
  }
  const first = probe[0];
  const last = probe[probe.length - 1];
  const perSignal = probe.length > 1 ? (last.gas - first.gas) / (last.publicSignals - first.publicSignals) : null;
  if (perSignal !== null) log(`verifier gas per public signal (probe fit): ${perSignal.toFixed(0)}`);
  // Execution only (calldata left out: the probes' signals are small numbers, the policy's are not).
  const execPerSignal = probe.length > 1 ? (last.exec - first.exec) / (last.publicSignals - first.publicSignals) : null;

  const anchor = results.find((r) => r.verifierGas?.method === "measured");
  for (const r of results) {
    if (r.verifierGas || !anchor || !anchor.verifierGas) continue;
    const pAnchor = probe.find((x) => x.publicSignals === anchor.nPublic)!;
    const pThis = probe.find((x) => x.publicSignals === r.nPublic)!;
    r.verifierGas = {
      gas: anchor.verifierGas.gas + (pThis.gas - pAnchor.gas),
      method: "estimated",
      from: `measured N=${anchor.N} policy verifier + (probe ${r.nPublic} signals - probe ${anchor.nPublic} signals); domain-size effect ignored (a few squarings)`,
    };
    log(`N=${r.N}: verifyProof tx gas ~${r.verifierGas.gas} (estimated)`);
  }

  const report = {
    benchmark: "policy",
    date: new Date().toISOString(),
    machine: machineInfo(),
    ptau: { file: options.ptau, power },
    circomFlags: flags,
    sizes: results,
    verifierGasProbe: { points: probe, perPublicSignal: perSignal, execPerPublicSignal: execPerSignal },
    notes: [
      "gates: snarkjs PLONK constraint count (one per public signal + addition gates), computed as snarkjs plonk setup does (src/policy/gates.ts).",
      "prove.ms: wall time of snarkjs plonk.fullProve (witness + proof) in a fresh child process; cpuMs: its CPU time (main thread + curve workers), less sensitive to other load; peakRssMB: that process's max RSS.",
      "verifierGas: gasUsed of a verifyProof transaction (incl. 21k base and calldata) on the in-process Hardhat network, solc 0.8.28 optimizer 200 runs, cancun; exec = gas - 21,000 - calldata gas; runtimeBytes: the verifier's runtime code (placed with hardhat_setCode; deployable iff <= 24,576 bytes, EIP-170).",
    ],
  };
  return report;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function defaultPtau(): string {
  const file = devPtauPath(DEV_PTAU_POWER);
  if (!fs.existsSync(file)) {
    throw new Error(`no dev powers of tau at ${file}: run npx hardhat circuits:build --profile test, or pass --ptau`);
  }
  return file;
}

if (require.main === module) {
  (async () => {
    const options: PolicyBenchOptions = {
      ptau: arg("ptau") ?? defaultPtau(),
      sizes: (arg("sizes") ?? "2,4,16,32").split(",").map(Number),
      probePublic: arg("probe-public")?.split(",").map(Number),
      log: (line) => console.log(line),
    };
    const out = arg("out") ?? path.join(REPO_ROOT, "bench", "results", "policy.json");
    const t0 = Date.now();
    const report = await runPolicyBench(options);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
    console.log(`saved ${path.relative(REPO_ROOT, out)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    await terminateCurves();
  })().catch(async (err) => {
    console.error(err instanceof Error ? err.message : err);
    await terminateCurves();
    process.exitCode = 1;
  });
}
