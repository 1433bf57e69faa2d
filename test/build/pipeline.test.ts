/**
 * Tests of the circuit build pipeline (src/build) on the tiny fixture circuits of test/fixtures/:
 * a Groth16 circuit (square) and a PLONK circuit that includes circomlib (sum). Everything is built
 * into temporary roots with a temporary cache holding a 2^8 dev ptau generated here, so the tests
 * neither touch build/ nor depend on the 2^14 dev ptau.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import {
  buildCircuits,
  BuildError,
  CircomCompileError,
  ensureDevPtau,
  generatePtau,
  PUBLISHED_PTAU,
  readManifest,
  readSetupTimings,
  updateManifest,
  type BuildEvent,
  type BuildOptions,
  type Manifest,
} from "../../src/build";
import { readPtauHeader, readZkeyHeader } from "../../src/build/binfile";
import { blake2bFile, canonicalJson } from "../../src/build/hashing";
import { readR1csInfo } from "../../src/build/r1cs";
import { loadRegistry, type Registry } from "../../src/build/registry";
import { circuitPaths, manifestPath, REPO_ROOT } from "../../src/paths";
import { terminateCurves } from "../../src/snark";

/* eslint-disable @typescript-eslint/no-require-imports */
interface SnarkProof {
  proof: unknown;
  publicSignals: string[];
}
interface ProofSystemApi {
  fullProve(input: Record<string, unknown>, wasm: string, zkey: string): Promise<SnarkProof>;
  verify(vkey: unknown, publicSignals: string[], proof: unknown): Promise<boolean>;
  exportSolidityCallData(proof: unknown, publicSignals: string[]): Promise<string>;
}
const snarkjs = require("snarkjs") as { groth16: ProofSystemApi; plonk: ProofSystemApi };
const solc = require("solc") as { compile(input: string): string };
/* eslint-enable @typescript-eslint/no-require-imports */

const REGISTRY = path.join(REPO_ROOT, "test", "fixtures", "registry.json");
const BROKEN_REGISTRY = path.join(REPO_ROOT, "test", "fixtures", "registry-broken.json");
const DEV_POWER = 8;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-build-test-"));
const cache = path.join(tmp, "cache");
const rootA = path.join(tmp, "a");
const rootB = path.join(tmp, "b");

function options(root: string, extra: Partial<BuildOptions> = {}): BuildOptions & { events: BuildEvent[] } {
  const events: BuildEvent[] = [];
  return {
    profile: "test",
    registry: REGISTRY,
    root,
    cacheDir: cache,
    devPtauPower: DEV_POWER,
    events,
    onProgress: (e) => events.push(e),
    ...extra,
  };
}

function ran(events: BuildEvent[]): string[] {
  return events.filter((e) => e.type === "step-end" && !e.cached).map((e) => `${e.circuit ?? "-"}:${e.step}`);
}

async function rejects(p: Promise<unknown>, type: new (...args: never[]) => Error, pattern: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    expect((err as Error).message).to.match(pattern);
    return err as Error;
  }
  expect.fail(`expected a rejection matching ${pattern}`);
}

/** Arguments of verifyProof from snarkjs calldata text (PLONK's omits the comma between its two arrays). */
function calldata(text: string): unknown[] {
  return JSON.parse(`[${text.replace(/\]\s*\[/g, "],[")}]`);
}

/** Compiles an exported verifier with the npm solc (Hardhat only compiles contracts/) and deploys it. */
async function deployVerifier(file: string, contract: string) {
  const input = {
    language: "Solidity",
    sources: { [path.basename(file)]: { content: fs.readFileSync(file, "utf8") } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === "error");
  expect(errors, JSON.stringify(errors)).to.deep.equal([]);
  const artifact = out.contracts[path.basename(file)][contract];
  expect(artifact, `${contract} in ${file}`).to.not.equal(undefined);
  const [signer] = await ethers.getSigners();
  const factory = new ethers.ContractFactory(artifact.abi, `0x${artifact.evm.bytecode.object}`, signer);
  const verifier = await factory.deploy();
  await verifier.waitForDeployment();
  return verifier;
}

describe("build pipeline (src/build) on fixture circuits", function () {
  let first: ReturnType<typeof options>;
  let manifestA: Manifest;

  before(async () => {
    first = options(rootA);
    manifestA = (await buildCircuits(first)).manifest;
  });

  after(async () => {
    await terminateCurves();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("generates the dev ptau once, prepared, with a 'development only' sidecar", async () => {
    const file = path.join(cache, "ptau", `dev_bn128_pow0${DEV_POWER}.ptau`);
    const header = readPtauHeader(file);
    expect(header.power).to.equal(DEV_POWER);
    expect(header.prepared).to.equal(true);
    const sidecar = JSON.parse(fs.readFileSync(file.replace(/\.ptau$/, ".json"), "utf8"));
    expect(sidecar.note).to.equal("development only: not for production");
    expect(sidecar.power).to.equal(DEV_POWER);
    expect(sidecar.blake2b).to.equal(await blake2bFile(file));
    expect(sidecar.procedure.join(" ")).to.match(/crypto\.randomBytes/);
    const ptauEnd = first.events.find((e) => e.type === "step-end" && e.step === "ptau");
    expect(ptauEnd).to.include({ cached: false });
  });

  it("records counts, hashes, ptau and contract names in the manifest", async () => {
    const square = manifestA.circuits.square;
    const sum = manifestA.circuits.sum;
    const sq = circuitPaths("square", "test", rootA);
    const su = circuitPaths("sum", "test", rootA);
    expect(square.r1cs.constraints).to.equal((await readR1csInfo(sq.r1cs)).constraints);
    expect(square.r1cs.constraints).to.equal(3); // SquareChain(3): three squarings, y folded in by --O2
    expect(square.plonkGates).to.equal(null);
    // Our PLONK gate count (computed before the setup, to pick the ptau) equals what snarkjs wrote.
    expect(sum.plonkGates).to.equal(readZkeyHeader(su.zkey).plonkConstraints);
    expect(sum.power).to.equal(8);
    expect(Object.keys(sum.source.files)).to.include.members([
      "test/fixtures/circuits/bounded_sum.circom",
      "node_modules/circomlib/circuits/comparators.circom",
      "node_modules/circomlib/circuits/bitify.circom",
    ]);
    for (const c of [square, sum]) {
      expect(c.ptau).to.include({ power: DEV_POWER, dev: true, published: null });
      expect(c.devOnly).to.equal(true);
      expect(c.compiler.flags).to.include("--O2");
      expect(c.compiler.version).to.match(/^2\.\d+\.\d+$/);
      expect(c.zkeyHash).to.match(/^sha256:[0-9a-f]{64}$/);
    }
    expect(square.setup).to.include({ contributions: 1, beacon: true, verified: true });
    expect(square.verifier).to.include({
      contract: "FixtureSquareVerifierTest",
      file: "contracts/verifiers/generated/FixtureSquareVerifierTest.sol",
    });
    expect(sum.verifier.contract).to.equal("FixtureSumVerifierTest");
    const groth16Steps = ran(first.events).filter((s) => s.startsWith("square:"));
    expect(groth16Steps).to.deep.equal([
      "square:compile",
      "square:constraints",
      "square:zkey-new",
      "square:zkey-contribute",
      "square:zkey-beacon",
      "square:zkey-verify",
      "square:export-vkey",
      "square:export-verifier",
      "square:manifest",
    ]);
    // A development key is verified against the initial zkey of this build (not by a second setup).
    const verify = first.events.find(
      (e) => e.type === "step-start" && e.circuit === "square" && e.step === "zkey-verify",
    );
    expect(verify).to.include({
      detail: "verify the zkey against the initial zkey and the ptau (snarkjs zKey.verifyFromInit)",
    });
  });

  it("records each setup step's time beside the zkey it made (not in the manifest), for that zkey only", () => {
    for (const [name, steps] of [
      ["square", ["zkey-new", "zkey-contribute", "zkey-beacon", "zkey-verify"]],
      ["sum", ["plonk-setup"]],
    ] as const) {
      const dir = circuitPaths(name, "test", rootA).dir;
      const t = readSetupTimings(dir, manifestA.circuits[name].zkeyHash);
      expect(t, name).to.not.equal(null);
      expect(Object.keys(t!.steps)).to.deep.equal([...steps]);
      for (const v of Object.values(t!.steps)) expect(v).to.be.a("number").and.at.least(0);
      expect(t!.seconds).to.be.closeTo(
        Object.values(t!.steps).reduce((a, b) => a + b, 0),
        0.2,
      );
      expect(t!.cores).to.be.at.least(1);
      // Another zkey (a rebuilt one) has no recorded times until its own setup.
      expect(readSetupTimings(dir, "sha256:" + "0".repeat(64))).to.equal(null);
      expect(readSetupTimings(path.join(dir, "absent"), manifestA.circuits[name].zkeyHash)).to.equal(null);
    }
  });

  it("exports renamed verifiers with a generator header and the dev-only warning", () => {
    for (const [contract, original] of [
      ["FixtureSquareVerifierTest", "Groth16Verifier"],
      ["FixtureSumVerifierTest", "PlonkVerifier"],
    ]) {
      const sol = fs.readFileSync(path.join(rootA, "contracts", "verifiers", "generated", `${contract}.sol`), "utf8");
      expect(sol).to.match(/^\/\/ SPDX-License-Identifier: GPL-3.0\n\/\/ GENERATED FILE: never edit by hand/);
      expect(sol).to.contain("snarkjs 0.7.6");
      expect(sol).to.contain("DEVELOPMENT ONLY: NOT FOR PRODUCTION");
      expect(sol).to.contain(`contract ${contract} {`);
      expect(sol).to.not.match(new RegExp(`contract ${original}\\b`));
      expect(sol.match(/SPDX-License-Identifier/g)).to.have.length(1);
    }
  });

  for (const [name, system, input, tamper] of [
    ["square", "groth16", { x: 3, offset: 5 }, 1],
    ["sum", "plonk", { x: [1, 2, 3], bound: 7 }, 0],
  ] as const) {
    it(`${system}: proves and verifies in JS and through the exported Solidity verifier`, async () => {
      const api = snarkjs[system];
      const p = circuitPaths(name, "test", rootA);
      const { proof, publicSignals } = await api.fullProve(input, p.wasm, p.zkey);
      if (name === "square") expect(publicSignals).to.deep.equal([String(3 ** 8 + 5), "5"]);
      else expect(publicSignals).to.deep.equal(["6", "7"]);
      const vkey = JSON.parse(fs.readFileSync(p.vkey, "utf8"));
      expect(await api.verify(vkey, publicSignals, proof)).to.equal(true);
      const forged = [...publicSignals];
      forged[tamper] = String(BigInt(forged[tamper]) + 1n);
      expect(await api.verify(vkey, forged, proof)).to.equal(false);

      const entry = manifestA.circuits[name];
      const verifier = await deployVerifier(path.join(rootA, entry.verifier.file), entry.verifier.contract);
      const args = calldata(await api.exportSolidityCallData(proof, publicSignals));
      expect(await verifier.getFunction("verifyProof").staticCall(...args)).to.equal(true);
      const badArgs = calldata(await api.exportSolidityCallData(proof, forged));
      expect(await verifier.getFunction("verifyProof").staticCall(...badArgs)).to.equal(false);
    });
  }

  it("a second build is a cache hit: no step runs and the manifest bytes do not change", async () => {
    const before = fs.readFileSync(manifestPath("test", rootA), "utf8");
    const again = options(rootA);
    await buildCircuits(again);
    expect(ran(again.events)).to.deep.equal([]);
    expect(again.events.filter((e) => e.type === "step-end").length).to.be.greaterThan(10);
    expect(fs.readFileSync(manifestPath("test", rootA), "utf8")).to.equal(before);
  });

  it("the manifest is deterministic: a fresh build of the same inputs differs only in Groth16 randomness", async () => {
    const second = await buildCircuits(options(rootB));
    const a = manifestA.circuits;
    const b = second.manifest.circuits;
    // PLONK has no per-circuit randomness: the whole entry, zkey included, is identical.
    expect(canonicalJson(b.sum)).to.equal(canonicalJson(a.sum));
    // Groth16: everything but the (randomly contributed) zkey and what derives from it.
    const strip = (c: Manifest["circuits"][string]) => ({
      ...c,
      zkeyHash: null,
      vkey: { ...c.vkey, hash: null },
      verifier: { ...c.verifier, hash: null },
      keys: { ...c.keys, export: null },
    });
    expect(canonicalJson(strip(b.square))).to.equal(canonicalJson(strip(a.square)));
    expect(b.square.zkeyHash).to.not.equal(a.square.zkeyHash);
    // No timestamps or absolute paths anywhere.
    const text = fs.readFileSync(manifestPath("test", rootB), "utf8");
    expect(text).to.not.contain(tmp);
    expect(text).to.not.match(/20\d\d-\d\d-\d\dT/);
  });

  it("a changed parameter rebuilds only that circuit; --force rebuilds everything", async () => {
    const registry: Registry = JSON.parse(fs.readFileSync(REGISTRY, "utf8"));
    registry.circuits.square.params.test.N = 4;
    const changed = options(rootB, { registry });
    const result = await buildCircuits(changed);
    expect(ran(changed.events).filter((s) => s.startsWith("sum:"))).to.deep.equal([]);
    expect(ran(changed.events)).to.include.members(["square:compile", "square:zkey-new", "square:zkey-verify"]);
    expect(result.manifest.circuits.square.params).to.deep.equal({ N: 4 });

    const forced = options(rootB, { force: true, only: "sum" });
    await buildCircuits(forced);
    // Every step re-ran; the manifest itself is unchanged (PLONK setup is deterministic).
    expect(ran(forced.events)).to.deep.equal([
      "sum:compile",
      "sum:constraints",
      "sum:plonk-setup",
      "sum:export-vkey",
      "sum:export-verifier",
    ]);
  });

  it("updateManifest adds extras that survive a rebuild", async () => {
    updateManifest("test", "square", { methodId: "0x1234", note: "added by a later step" }, rootA);
    await buildCircuits(options(rootA));
    expect(readManifest("test", rootA)!.circuits.square.extras).to.deep.equal({
      methodId: "0x1234",
      note: "added by a later step",
    });
    expect(() => updateManifest("test", "nope", {}, rootA)).to.throw(
      /circuit nope is not in build\/test\/manifest\.json/,
    );
  });

  it("refuses a test-profile circuit larger than the dev ptau, and an unknown --only name", async () => {
    await rejects(
      buildCircuits(options(rootA, { devPtauPower: 7 })),
      BuildError,
      /sum needs a ptau of power 8 but the test profile must fit the dev ptau of power 7/,
    );
    await rejects(
      buildCircuits(options(rootA, { only: "nope" })),
      BuildError,
      /unknown circuit "nope" \(--only\); the registry has: square, sum/,
    );
  });

  it("concurrent builds of one profile are serialized by the build lock", async () => {
    const one = options(rootA);
    const two = options(rootA);
    await Promise.all([buildCircuits(one), buildCircuits(two)]);
    const waited = [...one.events, ...two.events].filter((e) => e.type === "log" && /waiting for pid/.test(e.message));
    expect(waited).to.have.length(1);
    expect(fs.existsSync(path.join(rootA, "build", "test", ".build.lock"))).to.equal(false);
  });

  it("a dev ptau whose file no longer matches its sidecar is regenerated", async () => {
    const devCache = path.join(tmp, "cache2");
    const first = await ensureDevPtau(3, { cacheDir: devCache });
    expect(first.cached).to.equal(false);
    expect((await ensureDevPtau(3, { cacheDir: devCache })).cached).to.equal(true);
    const buf = fs.readFileSync(first.file);
    buf[buf.length - 10] ^= 1;
    fs.writeFileSync(first.file, buf);
    const again = await ensureDevPtau(3, { cacheDir: devCache });
    expect(again.cached).to.equal(false);
    expect(again.blake2b).to.equal(await blake2bFile(again.file));
    expect(again.blake2b).to.not.equal(first.blake2b);
  });

  it("a circuit with a syntax error fails with the file and line, and is not in the manifest", async () => {
    const root = path.join(tmp, "broken");
    const err = await rejects(
      buildCircuits(options(root, { registry: BROKEN_REGISTRY })),
      CircomCompileError,
      /test\/fixtures\/circuits\/broken\.circom":6:\d+/,
    );
    expect(err.message).to.match(/Missing semicolon/);
    expect(readManifest("test", root)?.circuits.broken).to.equal(undefined);
  });

  it("rejects a registry with a wrong field, naming the field", () => {
    const registry: Registry = JSON.parse(fs.readFileSync(REGISTRY, "utf8"));
    (registry.circuits.sum as { proofSystem: string }).proofSystem = "stark";
    expect(() => loadRegistry(registry)).to.throw(
      BuildError,
      /circuits\.sum\.proofSystem must be one of groth16, plonk/,
    );
    delete (registry.circuits.square.params as Partial<Registry["circuits"][string]["params"]>).production;
    expect(() => loadRegistry({ circuits: { square: registry.circuits.square } })).to.throw(
      BuildError,
      /circuits\.square\.params\.production is missing/,
    );
  });

  describe("ptau checks", () => {
    const small = path.join(tmp, "user", "small_pow03.ptau");
    const unknown = path.join(tmp, "user", "own_pow08.ptau");

    before(async () => {
      await generatePtau(3, small);
      await generatePtau(8, unknown);
    });

    it("rejects a file that is not a ptau", async () => {
      const notPtau = path.join(REPO_ROOT, "package.json");
      await rejects(
        buildCircuits(options(rootA, { ptau: notPtau })),
        BuildError,
        /--ptau .*package\.json is not a powers-of-tau \(\.ptau\) file/,
      );
    });

    it("rejects a ptau too small for the circuits, naming the power needed", async () => {
      await rejects(
        buildCircuits(options(rootA, { ptau: small })),
        BuildError,
        /is too small: it has power 3 \(2\^3\) but sum needs power 8 \(2\^8\); use powersOfTau28_hez_final_08\.ptau or larger/,
      );
    });

    it("production refuses to run without --ptau, and never uses the dev ptau", async () => {
      await rejects(
        buildCircuits(options(path.join(tmp, "x3"), { profile: "production", only: "sum" })),
        BuildError,
        /production builds need --ptau <file>/,
      );
      const dev = path.join(cache, "ptau", `dev_bn128_pow0${DEV_POWER}.ptau`);
      const retry = options(path.join(tmp, "x3"), {
        profile: "production",
        ptau: dev,
        allowUnknownPtau: true,
        only: "sum",
      });
      await rejects(
        buildCircuits(retry),
        BuildError,
        /is a dev ptau generated on this machine \(development only: not for production\)/,
      );
      // The compile of the stopped build was kept (compile stamp): the retry did not recompile.
      expect(ran(retry.events)).to.deep.equal([]);
    });

    it("production rejects a ptau whose hash is not published; --allow-unknown-ptau builds it as devOnly", async () => {
      await rejects(
        buildCircuits(options(path.join(tmp, "x4"), { profile: "production", ptau: unknown, only: "sum" })),
        BuildError,
        /is not one of the published Hermez \/ Perpetual Powers of Tau hashes/,
      );
      const root = path.join(tmp, "x5");
      const res = await buildCircuits(
        options(root, { profile: "production", ptau: unknown, allowUnknownPtau: true, only: "sum" }),
      );
      expect(res.manifest.circuits.sum).to.include({ devOnly: true });
      expect(res.manifest.circuits.sum.ptau).to.include({ dev: false, published: null, power: 8 });
      const sol = fs.readFileSync(
        path.join(root, "contracts", "verifiers", "generated", "FixtureSumVerifierProduction.sol"),
        "utf8",
      );
      expect(sol).to.contain("DEVELOPMENT ONLY: NOT FOR PRODUCTION");
    });

    it("the published hash table has the Hermez files 2^8..2^28 with b2sum (blake2b-512) hashes", async () => {
      const entries = Object.entries(PUBLISHED_PTAU);
      expect(entries.map(([, p]) => p.power)).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 8));
      for (const [name, p] of entries) {
        expect(p.blake2b, name).to.match(/^[0-9a-f]{128}$/);
        expect(name).to.match(/^powersOfTau28_hez_final(_\d\d)?\.ptau$/);
      }
      expect(PUBLISHED_PTAU["powersOfTau28_hez_final_14.ptau"].blake2b).to.match(/^eeefbcf7c3803b52/);
      // Our file hash is b2sum's: blake2b-512 of "abc" (RFC 7693 test vector).
      const abc = path.join(tmp, "abc.txt");
      fs.writeFileSync(abc, "abc");
      expect(await blake2bFile(abc)).to.equal(
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
      );
    });
  });

  it("a tampered zkey fails verification and the build stops without a zkey, verifier or manifest entry", async () => {
    const root = path.join(tmp, "tampered");
    const opts = options(root, { only: "square" });
    const onProgress = opts.onProgress!;
    opts.onProgress = (e) => {
      onProgress(e);
      // Corrupt the candidate zkey right before snarkjs verifies it (as a faulty disk or an attacker would).
      if (e.type === "step-start" && e.step === "zkey-verify" && e.artifact) {
        const buf = fs.readFileSync(e.artifact);
        const at = Math.floor(buf.length / 2);
        for (let i = 0; i < 8; i++) buf[at + i] ^= 0xff;
        fs.writeFileSync(e.artifact, buf);
      }
    };
    await rejects(buildCircuits(opts), BuildError, /zkey verification failed for circuit square.*the build stopped/);
    expect(ran(opts.events)).to.not.include("square:export-verifier");
    expect(fs.existsSync(circuitPaths("square", "test", root).zkey)).to.equal(false);
    expect(
      fs.existsSync(path.join(root, "contracts", "verifiers", "generated", "FixtureSquareVerifierTest.sol")),
    ).to.equal(false);
    expect(readManifest("test", root)?.circuits.square).to.equal(undefined);
  });
});
