/**
 * The audit's "verifier <-> key" check (src/audit/verifier-code.ts): the generated verifiers deployed
 * on the Hardhat network match exactly their build keys and no other; a contract that accepts anything
 * (MockVerifier) matches no key; a genuine snarkjs verifier for another Groth16 key of the same circuit
 * matches its own key only. Needs the test-profile build (build/test, contracts/verifiers/generated).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { ContractFactory, keccak256 } from "ethers";
import {
  compareVerifierCode,
  compileVerifier,
  embeddedKeyConstants,
  keyConstantsInCode,
  matchVerifier,
  metadataSolcVersion,
  renderVerifierSource,
  stripMetadata,
  VerifierCodeError,
  type VerifierCandidate,
} from "../../src/audit/verifier-code";
import { SOLC_VERSION } from "../../src/anchor/compiler";
import { snarkjs } from "../../src/build/snarkjs";
import { REPO_ROOT, circuitPaths } from "../../src/paths";
import { terminateCurves } from "../../src/snark";

const PROFILE = "test" as const;
const GENERATED = path.join(REPO_ROOT, "contracts", "verifiers", "generated");

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
/** A source without its leading `//` comment lines (the header differs; everything after must not). */
const withoutHeader = (source: string) => source.replace(/^(\/\/.*\r?\n)+/, "");

describe("audit: verifier code <-> verification key", function () {
  const policyKey = readJson(circuitPaths("policy", PROFILE).vkey);
  const zkvmKey = readJson(circuitPaths("zkvm", PROFILE).vkey);
  const buildKeys: VerifierCandidate[] = [
    { label: "policy (build/test)", vkey: policyKey, proofSystem: "plonk" },
    { label: "zkvm (build/test)", vkey: zkvmKey, proofSystem: "groth16" },
  ];

  async function deployedCode(name: string): Promise<string> {
    const c = await (await ethers.getContractFactory(name)).deploy();
    return ethers.provider.getCode(await c.getAddress());
  }

  after(async function () {
    await terminateCurves();
  });

  it("renders exactly the generated contracts from the build keys (header comment aside)", function () {
    expect(policyKey.protocol).to.equal("plonk");
    expect(zkvmKey.protocol).to.equal("groth16");
    for (const [key, ps, name] of [
      [policyKey, "plonk", "PolicyVerifierTest"],
      [zkvmKey, "groth16", "ZkvmVerifierTest"],
    ] as const) {
      const generated = fs.readFileSync(path.join(GENERATED, `${name}.sol`), "utf8");
      const rendered = renderVerifierSource(key, ps, name);
      expect(rendered.startsWith("// SPDX-License-Identifier: GPL-3.0\n")).to.be.true;
      expect(withoutHeader(rendered)).to.equal(withoutHeader(generated));
      expect(withoutHeader(rendered).length).to.be.greaterThan(5000);
    }
  });

  it("refuses a key of the other proof system, an unknown proof system and a bad contract name", function () {
    expect(() => renderVerifierSource(policyKey, "groth16", "X")).to.throw(
      VerifierCodeError,
      'the verification key is for protocol "plonk", not groth16: pass the key exported from the groth16 zkey',
    );
    expect(() => renderVerifierSource(zkvmKey, "fflonk" as never, "X")).to.throw(
      VerifierCodeError,
      'unknown proof system "fflonk": use "groth16" or "plonk"',
    );
    expect(() => renderVerifierSource(zkvmKey, "groth16", "Bad-Name")).to.throw(VerifierCodeError, /not a Solidity/);
  });

  it("the deployed PolicyVerifierTest and ZkvmVerifierTest match their own build key and not the other", async function () {
    const policyCode = await deployedCode("PolicyVerifierTest");
    const zkvmCode = await deployedCode("ZkvmVerifierTest");

    const p = await matchVerifier(policyCode, buildKeys);
    expect(p.matched).to.equal("policy (build/test)");
    expect(p.evidence.candidates.map((c) => c.match)).to.deep.equal([true, false]);
    expect(p.evidence.deployedSolc).to.equal(SOLC_VERSION);
    expect(p.evidence.deployedCodeHash).to.equal(keccak256(`0x${stripMetadata(policyCode).code}`));
    expect(p.evidence.candidates[0].expectedCodeHash).to.equal(p.evidence.deployedCodeHash);
    expect(p.evidence.candidates[0].expectedBytes).to.equal(p.evidence.deployedBytes);
    expect(p.evidence.candidates[0].reason).to.match(/^all \d+ bytes of runtime code equal; solc's CBOR metadata/);
    // All PLONK key constants are in the code; one (w, the root of unity) as a word solc CODECOPYs, not a PUSH.
    expect(p.evidence.candidates[0].keyConstants).to.deep.equal({
      total: embeddedKeyConstants(policyKey, "plonk").length,
      found: embeddedKeyConstants(policyKey, "plonk").length,
    });
    expect(p.evidence.candidates[1].expectedCodeHash).to.not.equal(p.evidence.deployedCodeHash);

    const z = await matchVerifier(zkvmCode, buildKeys);
    expect(z.matched).to.equal("zkvm (build/test)");
    expect(z.evidence.candidates.map((c) => c.match)).to.deep.equal([false, true]);
    expect(z.evidence.candidates[1].expectedCodeHash).to.equal(z.evidence.deployedCodeHash);
    expect(z.evidence.candidates[1].keyConstants).to.deep.equal({
      total: embeddedKeyConstants(zkvmKey, "groth16").length,
      found: embeddedKeyConstants(zkvmKey, "groth16").length,
    });
    // The same keys were regenerated and compiled for both: the second audit reused the cached compilations.
    expect(z.evidence.candidates[0].expectedCodeHash).to.equal(p.evidence.candidates[0].expectedCodeHash);
  });

  it("a contract that returns true for any input (MockVerifier) matches no key", async function () {
    const code = await deployedCode("MockVerifier");
    const m = await matchVerifier(code, buildKeys);
    expect(m.matched).to.equal(null);
    expect(m.evidence.candidates.map((c) => c.match)).to.deep.equal([false, false]);
    for (const c of m.evidence.candidates) {
      expect(c.reason).to.match(/^first difference at byte \d+/);
      expect(c.keyConstants.found).to.be.lessThan(c.keyConstants.total);
    }
  });

  it("a genuine snarkjs verifier for ANOTHER Groth16 key of the zkVM circuit matches only that key", async function () {
    this.timeout(120_000);
    // Another phase-2 contribution on top of the build's zkey: a different, valid key of the same circuit
    // (new delta). A fresh zKey.newZKey from the r1cs and dev ptau gives the same kind of key but takes
    // 40-80 s here; the contribution takes about 4 s.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-other-key-"));
    let otherKey: Record<string, unknown>;
    try {
      const zkey = path.join(dir, "other.zkey");
      const entropy = Buffer.from(ethers.randomBytes(64)).toString("hex");
      const name = "verifier-code test: another key";
      expect(await snarkjs.zKey.contribute(circuitPaths("zkvm", PROFILE).zkey, zkey, name, entropy)).to.not.equal(-1);
      otherKey = await snarkjs.zKey.exportVerificationKey(zkey);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(otherKey.protocol).to.equal("groth16");
    expect(otherKey.vk_delta_2).to.not.deep.equal(zkvmKey.vk_delta_2);
    expect(otherKey.IC).to.deep.equal(zkvmKey.IC);

    const compiled = await compileVerifier(
      renderVerifierSource(otherKey, "groth16", "OtherZkvmVerifier"),
      "OtherZkvmVerifier",
    );
    const [signer] = await ethers.getSigners();
    const other = await new ContractFactory(compiled.abi as never, compiled.bytecode, signer).deploy();
    const code = await ethers.provider.getCode(await other.getAddress());
    expect(stripMetadata(code).code).to.equal(stripMetadata(compiled.runtimeBytecode).code);

    const m = await matchVerifier(code, [
      ...buildKeys,
      { label: "other zkvm key", vkey: otherKey, proofSystem: "groth16" },
    ]);
    expect(m.matched).to.equal("other zkvm key");
    expect(m.evidence.candidates.map((c) => c.match)).to.deep.equal([false, false, true]);
    // Against the build's zkVM key: same template, same circuit, only the 4 delta coordinates differ.
    const total = embeddedKeyConstants(zkvmKey, "groth16").length;
    expect(m.evidence.candidates[1].keyConstants).to.deep.equal({ total, found: total - 4 });
    expect(keyConstantsInCode(code, zkvmKey, "groth16").missing).to.have.members(
      (zkvmKey.vk_delta_2 as string[][]).slice(0, 2).flat().map(BigInt),
    );
    expect(m.evidence.candidates[1].reason).to.match(/^first difference at byte \d+ \(0x[0-9a-f]+\)/);
  });

  describe("stripMetadata / compareVerifierCode on crafted code", function () {
    let runtime: string;
    let code: string;
    let metadata: string;

    before(async function () {
      runtime = (
        await compileVerifier(renderVerifierSource(zkvmKey, "groth16", "ZkvmVerifierTest"), "ZkvmVerifierTest")
      ).runtimeBytecode;
      const s = stripMetadata(runtime);
      code = s.code;
      metadata = s.metadata as string;
    });

    const flipByte = (hex: string, at: number) =>
      hex.slice(0, 2 * at) +
      (parseInt(hex.slice(2 * at, 2 * at + 2), 16) ^ 0xff).toString(16).padStart(2, "0") +
      hex.slice(2 * at + 2);

    it("splits off solc's CBOR trailer (ipfs hash + solc version, its length in the last 2 bytes)", function () {
      expect(runtime.startsWith("0x")).to.be.true;
      expect(code + metadata).to.equal(runtime.slice(2));
      // a2 (map of 2) "ipfs" -> 34-byte multihash, "solc" -> 3 bytes; then 0x0033 = 51.
      expect(metadata).to.match(/^a264697066735822[0-9a-f]{68}64736f6c6343[0-9a-f]{6}0033$/);
      expect(metadataSolcVersion(metadata)).to.equal(SOLC_VERSION);
      expect(stripMetadata(`0x${code}`)).to.deep.equal({ code, metadata: null });
      expect(stripMetadata("0x")).to.deep.equal({ code: "", metadata: null });
      expect(() => stripMetadata("0x123")).to.throw(/not hex bytes/);
    });

    it("only the metadata differs: match", function () {
      const other = `0x${code}${flipByte(metadata, 10)}`;
      expect(other).to.not.equal(runtime);
      const r = compareVerifierCode(other, runtime);
      expect(r.match).to.equal(true);
      expect(r.comparedBytes).to.equal(code.length / 2);
      expect(r.reason).to.equal(
        `all ${code.length / 2} bytes of runtime code equal; solc's CBOR metadata trailer excluded from both ` +
          "(it hashes the source text, header comment and contract name included, which do not change behaviour)",
      );
    });

    it("one byte of code changed: mismatch at that offset", function () {
      const at = 100;
      const r = compareVerifierCode(`0x${flipByte(code, at)}${metadata}`, runtime);
      expect(r.match).to.equal(false);
      expect(r.comparedBytes).to.equal(at);
      expect(r.reason).to.match(/^first difference at byte 100 \(0x64\)/);
    });

    it("a changed key constant is reported inside its PUSH immediate", function () {
      // The first 32-byte constant pushed: find a PUSH32 by walking the instructions.
      const b = Buffer.from(code, "hex");
      let pc = 0;
      while (pc < b.length && b[pc] !== 0x7f) pc += b[pc] >= 0x60 && b[pc] <= 0x7f ? b[pc] - 0x5e : 1;
      expect(pc).to.be.lessThan(b.length);
      const r = compareVerifierCode(`0x${flipByte(code, pc + 5)}${metadata}`, runtime);
      expect(r.match).to.equal(false);
      expect(r.comparedBytes).to.equal(pc + 5);
      expect(r.reason).to.contain(`inside the PUSH32 immediate at byte ${pc}: a different constant`);
    });

    it("no code, truncated code", function () {
      expect(compareVerifierCode("0x", runtime)).to.deep.equal({
        match: false,
        comparedBytes: 0,
        reason: "no code deployed at the address (an account without code)",
      });
      const r = compareVerifierCode(`0x${code.slice(0, 200)}`, runtime);
      expect(r.match).to.equal(false);
      expect(r.comparedBytes).to.equal(100);
      expect(r.reason).to.match(/^the deployed code is a prefix of the expected code \(deployed 100 bytes/);
    });
  });
});
