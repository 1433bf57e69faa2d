/** End-to-end helpers: an anvil node on a free loopback port, the CLI as a child process, a flaky RPC proxy. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { REPO_ROOT } from "../../src/paths";

/** anvil's first default account (a well-known development key). */
export const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export interface Node {
  url: string;
  stop(): Promise<void>;
}

/** Where the anvil binary of the optional dependency is (it may not be installed). */
export const ANVIL_BIN = path.join(
  REPO_ROOT,
  "node_modules",
  ".bin",
  process.platform === "win32" ? "anvil.cmd" : "anvil",
);

export interface AnvilOptions {
  /** Chain id (default 31337); anything else needs anvil (not `hardhat node`). */
  chainId?: number;
  /** Seconds between blocks (anvil --block-time; default: a block per transaction). Needs anvil. */
  blockTime?: number;
}

/**
 * A separate node on a free loopback port: anvil (npm @foundry-rs/anvil-linux-amd64, an optional
 * dependency: the registry here serves only that platform's build) or, where it is not installed,
 * `hardhat node`. Both answer evm_snapshot / evm_revert, which the tests use. `options` (chain id,
 * block time) need anvil.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Node> {
  const port = await freePort();
  const bin = ANVIL_BIN;
  const custom = (options.chainId !== undefined && options.chainId !== 31337) || options.blockTime !== undefined;
  if (custom && !fs.existsSync(bin))
    throw new Error(
      `anvil is not installed (${bin}): a chain id or block time needs it (npm install --include=optional)`,
    );
  const extra = options.blockTime !== undefined ? ["--block-time", String(options.blockTime)] : [];
  const chainId = String(options.chainId ?? 31337);
  const child = fs.existsSync(bin)
    ? spawn(bin, ["--host", "127.0.0.1", "--port", String(port), "--chain-id", chainId, ...extra, "--silent"], {
        stdio: ["ignore", "ignore", "pipe"],
      })
    : spawn(
        process.execPath,
        [require.resolve("hardhat/internal/cli/cli.js"), "node", "--hostname", "127.0.0.1", "--port", String(port)],
        { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
      );
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited (${child.exitCode}): ${stderr}`);
    try {
      await rpc(url, "eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`anvil did not answer on ${url}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** JSON lines of stdout (pipeline events with --json). */
  events: Record<string, unknown>[];
}

/**
 * Runs `hardhat <args>` in the repository. `killWhen` SIGKILLs the child (from outside) as soon as a
 * JSON event satisfies it.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  killWhen?: (e: Record<string, unknown>) => boolean,
): Promise<CliResult> {
  const cli = require.resolve("hardhat/internal/cli/cli.js");
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [cli, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, REPORT_GAS: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const events: Record<string, unknown>[] = [];
    let pending = "";
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          const e = JSON.parse(line) as Record<string, unknown>;
          events.push(e);
          if (killWhen?.(e)) child.kill("SIGKILL");
        } catch {
          // not an event line
        }
      }
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr, events }));
  });
}

export interface FlakyProxy {
  url: string;
  dropped: number;
  forwarded: number;
  close(): Promise<void>;
}

/**
 * A JSON-RPC proxy that fails every `every`-th request, cycling through: connection reset before
 * forwarding, answer lost after forwarding (the node did execute it), HTTP 503.
 */
export async function flakyProxy(target: string, every = 4): Promise<FlakyProxy> {
  const port = await freePort();
  let n = 0;
  let faults = 0;
  const state = { dropped: 0, forwarded: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const fault = ++n % every === 0 ? faults++ % 3 : -1;
      if (fault === 0) {
        state.dropped++;
        req.socket.destroy();
        return;
      }
      try {
        const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        const text = await upstream.text();
        state.forwarded++;
        if (fault === 1) {
          state.dropped++;
          req.socket.destroy();
          return;
        }
        if (fault === 2) {
          state.dropped++;
          res.writeHead(503, { "content-type": "text/plain" }).end("Service Unavailable");
          return;
        }
        res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
      } catch {
        req.socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    get dropped() {
      return state.dropped;
    },
    get forwarded() {
      return state.forwarded;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** PIDs of live processes whose environment contains `marker` (Linux /proc; [] elsewhere). */
export function processesWithEnv(marker: string): number[] {
  if (process.platform !== "linux") return [];
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, "latin1").includes(marker)) {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "latin1");
        if (!/\) Z /.test(stat)) out.push(Number(entry)); // ignore zombies
      }
    } catch {
      // gone, or not ours
    }
  }
  return out;
}
