/**
 * The script examples of scripts/ (docs/api.md), run as a lender would run them
 * (`npx hardhat run scripts/<name>.ts --network <n>`) against a real node: deploy, attest a file,
 * read status, audit, check one decision. They use the entry point src/index.ts only.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ANVIL_KEY, runCli, startAnvil, type CliResult, type Node } from "./helpers";

const explain = (r: CliResult) =>
  `exit ${r.code}\nstdout:\n${r.stdout.slice(-2000)}\nstderr:\n${r.stderr.slice(-2000)}`;

describe("scripts/ examples against anvil (real proofs)", function () {
  this.timeout(600_000);
  let node: Node;
  let tmp: string;
  let env: Record<string, string>;
  const run = async (script: string, extra: Record<string, string> = {}) => {
    const r = await runCli(["run", "--no-compile", `scripts/${script}.ts`, "--network", "e2e"], { ...env, ...extra });
    expect(r.code, explain(r)).to.equal(0);
    return r.stdout;
  };

  before(async function () {
    node = await startAnvil();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-scripts-"));
    fs.writeFileSync(path.join(tmp, "apps.csv"), "applicantId,score\n501,640\n502,700\n");
    env = {
      ZKLA_E2E_RPC_URL: node.url,
      ZKLA_E2E_PRIVATE_KEY: ANVIL_KEY,
      DEPLOYMENT: path.join(tmp, "deployment.json"),
      RUNS_DIR: path.join(tmp, "runs"),
      APPLICATIONS: path.join(tmp, "apps.csv"),
      REPORT: path.join(tmp, "audit.md"),
    };
  });
  after(async function () {
    await node?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("deploy, attest, status, audit and check-decision", async function () {
    expect(await run("deploy", { THRESHOLD: "650" })).to.match(/^StateAnchor 0x[0-9a-fA-F]{40}, policy 1$/m);
    const attested = await run("attest");
    expect(attested).to.match(/^batch 0 attested in block \d+$/m);
    expect(attested).to.match(/^sent 1, already attested 0; anchor nonce 1$/m);
    const receipts = /^receipts: (.+)$/m.exec(attested)![1];
    expect(await run("status")).to.match(/^anchor 0x[0-9a-fA-F]{40}: nonce 1, 2 decisions, 0 flag\(s\)$/m);
    expect(await run("audit")).to.match(/^verdict: pass \(\d+ checks, 1 batches\)$/m);
    expect(fs.readFileSync(env.REPORT, "utf8")).to.match(/^\*\*Verdict: PASS/m);
    expect(await run("check-decision", { RECEIPTS: receipts, APPLICANT: "501" })).to.match(
      /^confirmed: applicant 501 approved in batch 0, slot \d \(tx 0x[0-9a-f]{64}\)$/m,
    );
    expect(await run("check-decision", { RECEIPTS: receipts, APPLICANT: "502" })).to.match(
      /^confirmed: applicant 502 denied in batch 0, slot \d/m,
    );
  });
});
