/**
 * The testnet rehearsal of docs/deployment.md, run as written: the commands are read from the
 * "Rehearsal" section's code block and executed (anvil with Sepolia's chain id and 2-second blocks,
 * the `sepolia` network pointed at it through SEPOLIA_RPC_URL and DEPLOYER_PRIVATE_KEY in the CLI's
 * environment, then anchor:deploy twice, anchor:attest, anchor:status, anchor:audit), with real
 * test-profile proofs (one batch of 2). The steps build on each other.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, JsonRpcProvider, Wallet } from "ethers";
import { STATE_ANCHOR_ABI } from "../../src/anchor/abi";
import type { DeploymentManifest } from "../../src/anchor/deploy";
import { circuitPaths, REPO_ROOT } from "../../src/paths";
import { ANVIL_BIN, rpc, runCli, startAnvil, type CliResult, type Node } from "./helpers";

const DOC = path.join(REPO_ROOT, "docs", "deployment.md");
const SECTION = "## Rehearsal: a local chain that looks like Sepolia";

interface Rehearsal {
  anvil: { chainId: number; blockTime: number };
  env: Record<string, string>;
  files: { file: string; content: string }[];
  /** `npx hardhat` argument lists, in order, with "$REHEARSAL" still in them. */
  hardhat: string[][];
  removed: string[];
}

/** The section's shell block, read line by line (comments dropped, quotes removed). */
function readRehearsal(): Rehearsal {
  const md = fs.readFileSync(DOC, "utf8");
  const at = md.indexOf(SECTION);
  expect(at, `${SECTION} in docs/deployment.md`).to.be.greaterThan(-1);
  const block = /```sh\n([\s\S]*?)```/.exec(md.slice(at))![1];
  const r: Rehearsal = { anvil: { chainId: 0, blockTime: 0 }, env: {}, files: [], hardhat: [], removed: [] };
  for (const raw of block.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (!line || line.startsWith("#")) continue;
    const words = (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));
    if (line.startsWith("npx anvil ")) {
      r.anvil.chainId = Number(words[words.indexOf("--chain-id") + 1]);
      r.anvil.blockTime = Number(words[words.indexOf("--block-time") + 1]);
    } else if (words[0] === "export") {
      const [name, ...value] = words[1].split("=");
      r.env[name] = value.join("=");
    } else if (line === "REHEARSAL=$(mktemp -d)") {
      // the test's own temporary folder
    } else if (words[0] === "printf") {
      expect(words[2]).to.equal(">");
      r.files.push({ file: words[3], content: words[1].replace(/\\n/g, "\n") });
    } else if (words[0] === "npx" && words[1] === "hardhat") {
      r.hardhat.push(words.slice(2));
    } else if (words[0] === "rm") {
      r.removed.push(...words.slice(2));
    } else {
      throw new Error(`the rehearsal has a command this test does not run: ${line}`);
    }
  }
  return r;
}

const explain = (r: CliResult) =>
  `exit ${r.code} ${r.signal ?? ""}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;

describe("testnet rehearsal (docs/deployment.md) on anvil with Sepolia's chain id and 2-second blocks", function () {
  this.timeout(900_000);
  const doc = readRehearsal();
  let node: Node;
  let dir: string;
  let env: Record<string, string>;
  let provider: JsonRpcProvider;
  let manifest: DeploymentManifest;
  const journal = path.join(REPO_ROOT, "ignition", "deployments", "rehearsal-sepolia");
  const sub = (args: string[]) => args.map((a) => a.replace("$REHEARSAL", dir));
  const run = (i: number) => runCli(sub(doc.hardhat[i]), env);
  const deploymentFile = () => path.join(dir, "sepolia.json");

  before(async function () {
    for (const c of ["policy", "zkvm"] as const)
      if (!fs.existsSync(circuitPaths(c, "test").zkey))
        throw new Error(`build the test circuits first (npm run build:circuits -- --profile test)`);
    if (!fs.existsSync(ANVIL_BIN)) this.skip(); // chain id and block time need anvil
    expect(doc.anvil).to.deep.equal({ chainId: 11155111, blockTime: 2 });
    expect(doc.hardhat.map((a) => a[0])).to.deep.equal([
      "anchor:deploy",
      "anchor:deploy",
      "anchor:attest",
      "anchor:status",
      "anchor:audit",
    ]);
    expect(doc.env.SEPOLIA_RPC_URL).to.equal("http://127.0.0.1:8545"); // anvil's default port; here a free one
    expect(doc.removed).to.include("ignition/deployments/rehearsal-sepolia");
    fs.rmSync(journal, { recursive: true, force: true }); // left by an interrupted run: its node is gone
    node = await startAnvil(doc.anvil);
    env = { ...doc.env, SEPOLIA_RPC_URL: node.url };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-rehearsal-"));
    for (const f of doc.files) fs.writeFileSync(f.file.replace("$REHEARSAL", dir), f.content);
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  });

  after(async () => {
    provider?.destroy();
    await node?.stop();
    fs.rmSync(journal, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("anchor:deploy: verifiers, anchor, roles and policy through Ignition, with the short-delay warning", async function () {
    const r = await run(0);
    expect(r.code, explain(r)).to.equal(0);
    expect(r.stderr).to.contain(
      "warning: policy delay 0 s on sepolia (chain 11155111) is below 1 hour: a new policy takes effect before borrowers and auditors can react, and anchor:audit warns about it (default 86400 s)",
    );
    expect(r.stdout).to.match(/^7 transaction\(s\) sent; journal ignition\/deployments\/rehearsal-sepolia$/m);
    manifest = JSON.parse(fs.readFileSync(deploymentFile(), "utf8"));
    expect(manifest).to.include({ network: "sepolia", chainId: "11155111", profile: "test" });
    expect(manifest.deployer).to.equal(new Wallet(doc.env.DEPLOYER_PRIVATE_KEY).address);
    expect(manifest.anchor).to.include({ policyDelay: "0", adminDelay: "86400" }); // not a development chain
    expect(manifest.policies).to.have.length(1);
    expect(manifest.policies[0]).to.include({ policyId: "1", threshold: "650", batchSize: 2 });
    expect(manifest.keySet?.devOnly).to.equal(true);
    expect(manifest.ignition).to.include({
      deploymentId: "rehearsal-sepolia",
      journal: "ignition/deployments/rehearsal-sepolia",
    });
    expect(fs.existsSync(path.join(journal, "journal.jsonl"))).to.equal(true);
    // Every transaction waited for its 2-second block.
    const blocks = new Set(Object.values(manifest.contracts).map((c) => c.blockNumber));
    expect(blocks.size).to.be.greaterThan(1);
  });

  it("anchor:deploy again: nothing is sent (Ignition's journal)", async function () {
    const deployer = new Wallet(doc.env.DEPLOYER_PRIVATE_KEY).address;
    const nonce = await provider.getTransactionCount(deployer);
    const r = await run(1);
    expect(r.code, explain(r)).to.equal(0);
    expect(r.stdout).to.contain("nothing new to deploy: every contract, role and the policy were already there");
    expect(await provider.getTransactionCount(deployer)).to.equal(nonce);
    const again = JSON.parse(fs.readFileSync(deploymentFile(), "utf8")) as DeploymentManifest;
    expect(again.contracts).to.deep.equal(manifest.contracts);
    expect(again.policies).to.deep.equal(manifest.policies);
  });

  it("anchor:attest proves the batch and attests it in a 2-second block", async function () {
    const r = await run(2);
    expect(r.code, explain(r)).to.equal(0);
    const anchor = new Contract(
      manifest.contracts.stateAnchor.address,
      STATE_ANCHOR_ABI as unknown as string[],
      provider,
    );
    expect(await anchor.nonce()).to.equal(1n);
    expect(await anchor.decisionCount()).to.equal(2n);
  });

  it("anchor:status shows the anchor and flags the policy's zero delay (exit 0 without --strict)", async function () {
    const r = await run(3);
    expect(r.code, explain(r)).to.equal(0);
    expect(r.stdout).to.contain(`StateAnchor ${manifest.contracts.stateAnchor.address} on sepolia (chain 11155111)`);
    expect(r.stdout.split("\n").filter((l) => l.includes("FLAG"))).to.deep.equal([
      "  FLAG policy-parameters policy 1: took effect 0 s after it was scheduled, less than the minimum policy delay of 86400 s: users had no time to react to it",
    ]);
  });

  it("anchor:audit passes every check but warns about the zero policy delay (exit 0)", async function () {
    const r = await run(4);
    expect(r.code, explain(r)).to.equal(0);
    const verdicts = r.stdout.split("\n").filter((l) => /^ {2}(PASS|WARN|FAIL) /.test(l));
    expect(verdicts.filter((l) => !l.startsWith("  PASS "))).to.deep.equal([
      "  WARN policy-parameters policy 1: took effect 0 s after it was scheduled, less than the minimum policy delay of 86400 s: users had no time to react to it",
    ]);
    expect(verdicts.some((l) => l.startsWith(`  PASS deployment-file   ${deploymentFile()}: `))).to.equal(true);
    expect(r.stdout).to.match(/^PASS WITH WARNINGS: no check failed, some need attention \(8 pass, 1 warn, 0 fail\)/m);
  });

  it("forgetting --network: the in-process network says the file is sepolia's and names --network", async function () {
    const args = sub(doc.hardhat[0]).filter((a, i, all) => a !== "--network" && all[i - 1] !== "--network");
    const r = await runCli(args, env);
    expect(r.code, explain(r)).to.equal(2);
    expect(r.stderr).to.equal(
      `error bad-argument: ${deploymentFile()} was made on network "sepolia" (chain 11155111), but this task ran on the in-process network "hardhat" (chain 31337), which has none of its contracts\n` +
        "  pass --network sepolia (it needs its RPC URL: see docs/deployment.md), or --out <another file> to deploy here\n",
    );
    expect(await rpc(node.url, "eth_chainId")).to.equal("0xaa36a7"); // the rehearsal node is untouched
  });
});
