/**
 * Key sets (src/build/keyset.ts) and the audit's "key <-> circuit" check (src/audit/keyset-check.ts),
 * against the test-profile build (build/test, written by `npm run build:circuits -- --profile test`).
 * Tampered and forged key sets are copies in temporary folders; build/test is only read.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { keccak256 } from "ethers";
import { checkKeySetAgainstSources } from "../../src/audit/keyset-check";
import {
  buildCircuits,
  keySetDir,
  keySetId,
  loadKeySet,
  loadKeySets,
  PUBLISHED_PTAU,
  writeKeySet,
  type KeySetFile,
  type Manifest,
  type ValidKeySet,
} from "../../src/build";
import { canonicalJson, sha256 } from "../../src/build/hashing";
import { circuitPaths, manifestPath, REPO_ROOT } from "../../src/paths";

const tmps: string[] = [];
function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `zkla-keyset-test-${prefix}-`));
  tmps.push(d);
  return d;
}

/** A copy of a key set folder in a temporary folder. */
function copyKeySet(src: string): string {
  const dir = path.join(tmpDir("copy"), "keyset");
  fs.cpSync(src, dir, { recursive: true });
  return dir;
}

/** Edits keyset.json and the manifest copy of `dir` consistently (hashes and id recomputed): a forged key set. */
function forge(dir: string, edit: (data: KeySetFile, manifest: Manifest) => void): void {
  const data = JSON.parse(fs.readFileSync(path.join(dir, "keyset.json"), "utf8")) as KeySetFile;
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  edit(data, manifest);
  const manifestBytes = canonicalJson(manifest, 2) + "\n";
  fs.writeFileSync(path.join(dir, "manifest.json"), manifestBytes);
  data.manifestSha256 = sha256(manifestBytes);
  data.id = keySetId(data);
  fs.writeFileSync(path.join(dir, "keyset.json"), canonicalJson(data, 2) + "\n");
}

/** Replaces the vkey file of `circuit` in `dir` by `bytes`, with every recorded hash updated. */
function replaceVkey(dir: string, circuit: string, bytes: Buffer): void {
  fs.writeFileSync(path.join(dir, `${circuit}.vkey.json`), bytes);
  forge(dir, (data, manifest) => {
    data.circuits[circuit].vkeyKeccak256 = keccak256(bytes);
    data.circuits[circuit].vkeySha256 = sha256(bytes);
    manifest.circuits[circuit].vkey.hash = sha256(bytes);
  });
}

function valid(dir: string): ValidKeySet {
  const ks = loadKeySet(dir);
  expect(ks.valid, ks.valid ? "" : ks.reason).to.equal(true);
  return ks as ValidKeySet;
}

describe("key sets and the key <-> circuit check", function () {
  this.timeout(300_000);
  const built = keySetDir("test");
  let ks: ValidKeySet;
  // The deep checks share their recompiles (one per circuit) through this folder.
  let workDir: string;

  before(function () {
    if (!fs.existsSync(path.join(built, "keyset.json"))) {
      throw new Error(`${built}/keyset.json is missing: run npm run build:circuits -- --profile test first`);
    }
    const found = loadKeySets().find((k) => k.dir === built);
    expect(found, "loadKeySets() finds build/test/keyset").to.not.equal(undefined);
    expect(found!.valid, found!.valid ? "" : found!.reason).to.equal(true);
    ks = found as ValidKeySet;
    workDir = tmpDir("work");
  });

  after(function () {
    for (const d of tmps) fs.rmSync(d, { recursive: true, force: true });
  });

  it("the test build's key set holds byte-exact vkeys and manifest, and the build manifest's facts", function () {
    expect(ks.source).to.equal("build");
    expect(ks.relDir).to.equal("build/test/keyset");
    expect(ks.label).to.equal("test (development keys, build/test/keyset)");
    expect(ks.profile).to.equal("test");
    expect(ks.devOnly).to.equal(true);
    expect(ks.data.format).to.equal("zkla-keyset/1");
    expect(ks.data.ceremony).to.equal(null);
    expect(ks.id).to.equal(keySetId(ks.data));
    expect(Object.keys(ks.data.circuits).sort()).to.deep.equal(["policy", "zkvm"]);
    const copy = fs.readFileSync(path.join(built, "manifest.json"));
    expect(sha256(copy)).to.equal(ks.data.manifestSha256);
    const buildManifest = JSON.parse(fs.readFileSync(manifestPath("test"), "utf8")) as Manifest;
    for (const name of ["policy", "zkvm"]) {
      const c = ks.data.circuits[name];
      const m = ks.manifest.circuits[name];
      const bytes = fs.readFileSync(path.join(built, `${name}.vkey.json`));
      expect(c.vkeyFile).to.equal(`${name}.vkey.json`);
      expect(c.vkeyKeccak256).to.equal(keccak256(bytes));
      expect(c).to.deep.include({
        proofSystem: m.proofSystem,
        vkeySha256: m.vkey.hash,
        r1csHash: m.r1cs.hash,
        sourceHash: m.source.hash,
        mainHash: m.mainHash,
        zkeyHash: m.zkeyHash,
        constraints: m.r1cs.constraints,
        plonkGates: m.plonkGates,
      });
      expect(ks.vkeys[name].protocol).to.equal(m.proofSystem);
      // Same keys as the current build (unless someone rebuilt in between: then the manifests differ too).
      if (buildManifest.circuits[name]?.vkey.hash === m.vkey.hash) {
        expect(bytes.equals(fs.readFileSync(circuitPaths(name, "test").vkey))).to.equal(true);
      }
    }
    expect(ks.data.circuits.policy.plonkGates).to.be.a("number");
    expect(ks.data.guests.loan).to.deep.include({ circuit: "zkvm", file: "guests/loan-attest.asm" });
    expect(ks.data.guests.loan.methodId).to.equal(ks.manifest.circuits.zkvm.guests!.loan.methodId);
    expect(fs.existsSync(path.join(built, "ceremony"))).to.equal(false);
  });

  it("passes the quick check, naming the development keys", async function () {
    const t0 = performance.now();
    const outcome = await checkKeySetAgainstSources(ks);
    console.log(`      quick check: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    expect(outcome.status, outcome.reason).to.equal("pass");
    expect(outcome.reason).to.match(/^development keys/);
    expect(outcome.evidence["policy.sources"]).to.match(/^match: \d+ files/);
    expect(outcome.evidence["zkvm.sources"]).to.match(/^match/);
    expect(outcome.evidence["policy.r1cs"]).to.match(/equals the local compile \(build\/test\/policy\/compile\.json\)/);
    expect(outcome.evidence["guest.loan"]).to.match(/matches/);
  });

  it("rejects a copy whose vkey file was tampered with, with the reason", function () {
    const dir = copyKeySet(built);
    const file = path.join(dir, "policy.vkey.json");
    const vkey = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    vkey.nPublic = Number(vkey.nPublic) + 1;
    fs.writeFileSync(file, JSON.stringify(vkey, null, 2) + "\n");
    const found = loadKeySets(REPO_ROOT, [dir]).find((k) => k.dir === dir)!;
    expect(found.source).to.equal("extra");
    expect(found.valid).to.equal(false);
    expect(found.label).to.match(/\(invalid\)$/);
    expect(found.reason).to.match(/^policy\.vkey\.json has keccak256 0x[0-9a-f]{64} but keyset\.json records 0x/);
    expect(found.reason).to.match(/verification key of policy was changed/);
  });

  it("gives a reason, not an exception, for a missing, garbled or edited folder", async function () {
    const missing = loadKeySet(path.join(tmpDir("missing"), "nope"));
    expect(missing).to.deep.include({ valid: false, reason: "the folder does not exist" });

    const garbled = copyKeySet(built);
    fs.writeFileSync(path.join(garbled, "keyset.json"), "{ not json");
    const g = loadKeySet(garbled);
    expect(g.valid).to.equal(false);
    expect(g.reason).to.match(/^keyset\.json is not valid JSON/);
    const outcome = await checkKeySetAgainstSources(g);
    expect(outcome.status).to.equal("fail");
    expect(outcome.reason).to.match(/is invalid: keyset\.json is not valid JSON/);

    const edited = copyKeySet(built);
    const data = JSON.parse(fs.readFileSync(path.join(edited, "keyset.json"), "utf8")) as KeySetFile;
    data.circuits.zkvm.constraints += 1;
    fs.writeFileSync(path.join(edited, "keyset.json"), JSON.stringify(data));
    expect(loadKeySet(edited).reason).to.match(
      /records id 0x[0-9a-f]+ but its content hashes to .*keyset\.json was edited/,
    );

    const noManifest = copyKeySet(built);
    fs.rmSync(path.join(noManifest, "manifest.json"));
    expect(loadKeySet(noManifest).reason).to.match(/manifest\.json .* is missing/);

    const claimsProduction = copyKeySet(built);
    forge(claimsProduction, (d) => (d.devOnly = false));
    expect(loadKeySet(claimsProduction).reason).to.match(/devOnly false but .* dev or unpublished ptau/);
  });

  it("fails, naming the circuit and the file, when the recorded sources or r1cs differ from this commit", async function () {
    const file = "circuits/policy/policy_batch.circom";
    const sources = copyKeySet(built);
    forge(sources, (d, m) => {
      d.circuits.policy.sourceFiles[file] = `sha256:${"0".repeat(64)}`;
      d.circuits.policy.sourceHash = `sha256:${"1".repeat(64)}`;
      m.circuits.policy.source.hash = d.circuits.policy.sourceHash;
    });
    const a = await checkKeySetAgainstSources(valid(sources));
    expect(a.status).to.equal("fail");
    expect(a.reason).to.include(`policy: ${file} differs from the key set`);
    expect(a.reason).to.not.match(/zkvm:/);

    const r1cs = copyKeySet(built);
    forge(r1cs, (d, m) => {
      d.circuits.zkvm.r1csHash = `sha256:${"2".repeat(64)}`;
      m.circuits.zkvm.r1cs.hash = d.circuits.zkvm.r1csHash;
    });
    const b = await checkKeySetAgainstSources(valid(r1cs));
    expect(b.status).to.equal("fail");
    expect(b.reason).to.match(
      /zkvm: r1cs hash sha256:2+ in the key set differs from the local compile of the same sources/,
    );

    const params = copyKeySet(built);
    forge(params, (d, m) => {
      d.circuits.policy.params.N = 3;
      m.circuits.policy.params.N = 3;
    });
    const c = await checkKeySetAgainstSources(valid(params));
    expect(c.status).to.equal("fail");
    expect(c.reason).to.include("policy: parameter N is 2 in circuits/registry.json (test) but 3 in the key set");
  });

  it("deep: the policy PLONK key re-derives from the recompiled r1cs and the dev ptau", async function () {
    const t0 = performance.now();
    const outcome = await checkKeySetAgainstSources(ks, { deep: true, workDir, circuits: ["policy"] });
    console.log(`      deep check (policy): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(outcome.status, outcome.reason).to.equal("pass");
    expect(outcome.reason).to.match(
      /^development keys .*: sources, r1cs and keys of policy of build\/test\/keyset match/,
    );
    expect(outcome.evidence["policy.deep.r1cs"]).to.match(/equals the key set's/);
    expect(outcome.evidence["policy.deep.setup"]).to.match(
      /^plonk\.setup\(r1cs, dev_bn128_pow13\.ptau\) rerun .*vkey equals/,
    );
    expect(outcome.evidence["policy.deep.setup"]).to.match(/zkey equals the recorded/);
  });

  it("deep: a Groth16 zkey verifies against the recompiled r1cs and the ptau (the fixture circuit: the same code path, seconds instead of minutes)", async function () {
    // The zkVM's own zkey verify (zKey.verifyFromR1cs over its 2^13 domain) takes a minute or more on
    // this machine: `anchor:audit --deep` runs it; the suite checks the same path on a tiny circuit.
    const registry = path.join(REPO_ROOT, "test", "fixtures", "registry.json");
    const root = tmpDir("fixture-root");
    await buildCircuits({ profile: "test", registry, root, only: "square" });
    const fixture = loadKeySet(keySetDir("test", root), "extra", root);
    expect(fixture.valid, fixture.valid ? "" : fixture.reason).to.equal(true);
    const t0 = performance.now();
    const outcome = await checkKeySetAgainstSources(fixture, {
      deep: true,
      registry,
      root,
      workDir,
      circuits: ["square"],
    });
    console.log(`      deep check (groth16 fixture): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(outcome.status, outcome.reason).to.equal("pass");
    expect(outcome.evidence["square.deep.r1cs"]).to.match(/equals the key set's/);
    expect(outcome.evidence["square.deep.setup"]).to.match(/^zKey\.verifyFromR1cs\(.*\) passed .* vkey equals/);
    // Another key for the same circuit (one more contribution) is refused by the same check.
    const forged = copyKeySet(keySetDir("test", root));
    const vkey = JSON.parse(fs.readFileSync(path.join(keySetDir("test", root), "square.vkey.json"), "utf8"));
    vkey.vk_delta_2[0][0] = (BigInt(vkey.vk_delta_2[0][0]) + 1n).toString(); // a key no setup of this circuit made
    replaceVkey(forged, "square", Buffer.from(JSON.stringify(vkey, null, 2) + "\n"));
    const bad = await checkKeySetAgainstSources(valid(forged), {
      deep: true,
      registry,
      root,
      workDir,
      circuits: ["square"],
    });
    expect(bad.status).to.equal("fail");
    expect(bad.reason).to.match(
      /square: the key set's verification key is not the one of its zkey \(verified against this circuit and the ptau\)/,
    );
  });

  it("deep: fails when the key set's policy vkey is replaced by another valid vkey (the zkvm one)", async function () {
    const dir = copyKeySet(built);
    replaceVkey(dir, "policy", fs.readFileSync(path.join(built, "zkvm.vkey.json")));
    const forged = valid(dir);
    const quick = await checkKeySetAgainstSources(forged, { circuits: ["policy"] });
    expect(quick.status, "the quick check does not look at the keys").to.equal("pass");
    const t0 = performance.now();
    const deep = await checkKeySetAgainstSources(forged, { deep: true, circuits: ["policy"], workDir });
    console.log(`      deep check (policy, forged vkey): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(deep.status).to.equal("fail");
    expect(deep.reason).to.match(
      /policy: the key set's verification key is not the one plonk\.setup derives from this circuit and the ptau \(fields .*protocol/,
    );
  });

  it("deep: reports what it cannot do (no ptau, no zkey) as warnings", async function () {
    const cache = tmpDir("cache");
    const dir = copyKeySet(built);
    const outcome = await checkKeySetAgainstSources(valid(dir), {
      deep: true,
      circuits: ["zkvm"],
      cacheDir: cache,
      root: tmpDir("root"),
      workDir,
    });
    expect(outcome.status, outcome.reason).to.equal("warn");
    expect(outcome.reason).to.match(
      /zkvm: zkey not checked: no zkey with the recorded hash sha256:[0-9a-f]+ \(looked for /,
    );
    expect(outcome.reason).to.match(/zkvm: setup not checked: the dev ptau 2\^13 .* is missing\): pass --ptau/);
    expect(outcome.evidence["zkvm.r1cs"]).to.match(/^not compared: no local compile/);
    expect(outcome.evidence["zkvm.deep.r1cs"]).to.match(/equals the key set's/);
  });

  it("a production build from a published ptau also writes the committed keysets/production (temp root)", function () {
    const root = tmpDir("prod");
    const [published, info] = Object.entries(PUBLISHED_PTAU).find(([, p]) => p.power === 16)!;
    const manifest = JSON.parse(fs.readFileSync(path.join(built, "manifest.json"), "utf8")) as Manifest;
    manifest.profile = "production";
    for (const [name, c] of Object.entries(manifest.circuits)) {
      const vkey = circuitPaths(name, "production", root).vkey;
      fs.mkdirSync(path.dirname(vkey), { recursive: true });
      fs.copyFileSync(path.join(built, `${name}.vkey.json`), vkey);
      c.vkey.file = path.relative(root, vkey).split(path.sep).join("/");
      c.ptau = { power: 16, blake2b: info.blake2b, dev: false, published };
      c.devOnly = false;
    }
    fs.writeFileSync(manifestPath("production", root), canonicalJson(manifest, 2) + "\n");
    const written = writeKeySet("production", root)!;
    expect(written.devOnly).to.equal(false);
    expect(written.dirs.map((d) => path.relative(root, d))).to.deep.equal([
      path.join("build", "production", "keyset"),
      path.join("keysets", "production"),
    ]);
    const sets = loadKeySets(root);
    expect(sets.map((s) => [s.source, s.label, s.valid])).to.deep.equal([
      ["committed", "production (keysets/production)", true],
      ["build", "production (build/production/keyset)", true],
    ]);
    expect((sets[0] as ValidKeySet).id).to.equal(written.id);
    expect((sets[1] as ValidKeySet).id).to.equal(written.id);
    for (const d of ["keysets/production", "build/production/keyset"]) {
      expect(fs.readFileSync(path.join(root, d, "ceremony", "README.md"), "utf8")).to.match(/ceremony transcript/);
      expect(
        fs.readFileSync(path.join(root, d, "manifest.json")).equals(fs.readFileSync(manifestPath("production", root))),
      ).to.equal(true);
    }

    // An unpublished ptau (--allow-unknown-ptau) makes it devOnly: nothing is written to keysets/.
    const dev = tmpDir("prod-dev");
    fs.cpSync(path.join(root, "build"), path.join(dev, "build"), { recursive: true });
    fs.rmSync(path.join(dev, "build", "production", "keyset"), { recursive: true });
    const m2 = JSON.parse(fs.readFileSync(manifestPath("production", dev), "utf8")) as Manifest;
    for (const c of Object.values(m2.circuits)) {
      c.ptau = { ...c.ptau, published: null };
      c.devOnly = true;
    }
    fs.writeFileSync(manifestPath("production", dev), canonicalJson(m2, 2) + "\n");
    expect(writeKeySet("production", dev)!.dirs).to.have.length(1);
    expect(fs.existsSync(path.join(dev, "keysets"))).to.equal(false);
    expect(loadKeySets(dev).map((s) => s.label)).to.deep.equal([
      "production (development keys, build/production/keyset)",
    ]);
  });
});
