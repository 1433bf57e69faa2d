import { expect } from "chai";
import { readManifest } from "../../src/build";
import { loadRegistry } from "../../src/build/registry";
import { circomFlags } from "../../src/build/circom";
import { loanGuest } from "../../src/zkvm";

describe("build manifest: guest method IDs and compiler flags", () => {
  it("records the loan guest's method ID, computed from guests/loan-attest.asm", () => {
    const manifest = readManifest("test");
    expect(manifest, "run npm run build:circuits -- --profile test").to.not.equal(null);
    const guests = manifest!.circuits.zkvm.guests;
    expect(guests?.loan.file).to.equal("guests/loan-attest.asm");
    expect(guests?.loan.methodId).to.equal(loanGuest().methodId.toString());
    expect(guests?.loan.words).to.equal(loanGuest().words.length);
  });

  it("rejects a registry guest that is not a repository-relative .asm file", () => {
    const registry = loadRegistry();
    const bad = structuredClone(registry);
    bad.circuits.zkvm.guests = { loan: "/abs/loan.asm" };
    expect(() => loadRegistry(bad)).to.throw(
      /circuits\.zkvm\.guests must map guest names to repository-relative \.asm files/,
    );
  });

  it("an optimization flag in the registry replaces the default --O2 instead of stacking", () => {
    expect(circomFlags(["--O1"]).filter((f) => /^--O\d$/.test(f))).to.deep.equal(["--O1"]);
    expect(circomFlags().filter((f) => /^--O\d$/.test(f))).to.deep.equal(["--O2"]);
    expect(readManifest("test")!.circuits.policy.compiler.flags.filter((f: string) => /^--O\d$/.test(f))).to.deep.equal(
      ["--O1"],
    );
  });
});
