import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { vars } from "hardhat/config";
import { REPO_ROOT } from "../src/paths";

const CLI = require.resolve("hardhat/internal/cli/cli.js");

/** Runs `hardhat --network <network> run <script>` with `env`; the script prints the network's resolved config. */
function networkConfig(network: string, env: Record<string, string>): { url: string; accounts: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkla-config-"));
  const script = path.join(dir, "print-network.js");
  fs.writeFileSync(
    script,
    `const hre = require(${JSON.stringify(require.resolve("hardhat"))});
// Local keys answer eth_accounts without the node; "remote" accounts would ask it.
const local = Array.isArray(hre.network.config.accounts);
(local ? hre.network.provider.request({ method: "eth_accounts" }) : Promise.resolve([])).then((accounts) =>
  console.log(JSON.stringify({ url: hre.network.config.url, accounts })));
`,
  );
  try {
    const clean = { ...process.env };
    for (const k of ["LOCALHOST_RPC_URL", "ANCHOR_RPC_URL", "DEPLOYER_PRIVATE_KEY", "HARDHAT_NETWORK"]) delete clean[k];
    const r = spawnSync(process.execPath, [CLI, "--network", network, "run", "--no-compile", script], {
      cwd: REPO_ROOT,
      env: { ...clean, ...env },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// anvil's first two development keys and their addresses.
const KEYS = [
  ["0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
  ["0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
];

describe("hardhat.config.ts", () => {
  it("--network sepolia without an RPC URL says which configuration variable to set", function () {
    // With SEPOLIA_RPC_URL in this user's `npx hardhat vars` there is nothing to report.
    if (vars.has("SEPOLIA_RPC_URL")) this.skip();
    const env = { ...process.env };
    delete env.SEPOLIA_RPC_URL;
    delete env.HARDHAT_NETWORK;
    const r = spawnSync(process.execPath, [CLI, "--network", "sepolia", "anchor:status"], {
      cwd: REPO_ROOT,
      env,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status).to.not.equal(0);
    expect(r.stdout + r.stderr).to.contain(
      "--network sepolia needs an RPC URL: run `npx hardhat vars set SEPOLIA_RPC_URL` (and DEPLOYER_PRIVATE_KEY)",
    );
  });

  it("localhost's URL is the LOCALHOST_RPC_URL configuration variable, http://127.0.0.1:8545 without it", function () {
    expect(networkConfig("localhost", { LOCALHOST_RPC_URL: "http://127.0.0.1:18545" }).url).to.equal(
      "http://127.0.0.1:18545",
    );
    if (!vars.has("LOCALHOST_RPC_URL")) expect(networkConfig("localhost", {}).url).to.equal("http://127.0.0.1:8545");
  });

  it("the custom network takes several comma-separated private keys in DEPLOYER_PRIVATE_KEY (the first deploys)", function () {
    const c = networkConfig("custom", {
      ANCHOR_RPC_URL: "http://127.0.0.1:9",
      DEPLOYER_PRIVATE_KEY: ` ${KEYS[0][0]}, ${KEYS[1][0]},`,
    });
    expect(c.url).to.equal("http://127.0.0.1:9");
    expect(c.accounts.map((a) => a.toLowerCase())).to.deep.equal(KEYS.map(([, a]) => a.toLowerCase()));
    const one = networkConfig("custom", { ANCHOR_RPC_URL: "http://127.0.0.1:9", DEPLOYER_PRIVATE_KEY: KEYS[1][0] });
    expect(one.accounts.map((a) => a.toLowerCase())).to.deep.equal([KEYS[1][1].toLowerCase()]);
  });
});
