import { spawnSync } from "node:child_process";
import { expect } from "chai";
import { vars } from "hardhat/config";
import { REPO_ROOT } from "../src/paths";

describe("hardhat.config.ts", () => {
  it("--network sepolia without an RPC URL says which configuration variable to set", function () {
    // With SEPOLIA_RPC_URL in this user's `npx hardhat vars` there is nothing to report.
    if (vars.has("SEPOLIA_RPC_URL")) this.skip();
    const env = { ...process.env };
    delete env.SEPOLIA_RPC_URL;
    delete env.HARDHAT_NETWORK;
    const r = spawnSync(
      process.execPath,
      [require.resolve("hardhat/internal/cli/cli.js"), "--network", "sepolia", "anchor:status"],
      { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 120_000 },
    );
    expect(r.status).to.not.equal(0);
    expect(r.stdout + r.stderr).to.contain(
      "--network sepolia needs an RPC URL: run `npx hardhat vars set SEPOLIA_RPC_URL` (and DEPLOYER_PRIVATE_KEY)",
    );
  });
});
