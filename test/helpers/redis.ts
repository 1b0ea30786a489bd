/**
 * Starts a private Redis server for a test file: Debian's `redis-server` on a
 * free port on 127.0.0.1, no persistence (`--save "" --appendonly no`), its
 * working directory a temp directory; `stop()` shuts it down and removes the
 * directory. `kill()` and `restart()` take it down and bring it back on the
 * same port (for the outage tests); `pause()`/`resume()` freeze it with
 * SIGSTOP/SIGCONT (a hung server: connections stay open, nothing answers).
 *
 * redis-server missing is an error, not a skip: scripts/system-deps.sh installs it.
 *
 * @module
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProgramDir, freePort } from "./system.ts";

/** A running server. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's version, e.g. "7.0.15". */
  readonly version: string;
  /** Sends one command over a fresh connection and resolves the raw RESP2 reply text. */
  command(...args: string[]): Promise<string>;
  /** SIGKILLs the server (no shutdown, connections drop). */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): the port stays open but nothing answers. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** The redis-server binary. */
export function findRedisServer(): string {
  const dir = findProgramDir(["redis-server"], ["/usr/bin", "/usr/local/bin"]);
  if (dir !== undefined) return join(dir, "redis-server");
  throw new Error(
    "redis-server is not installed (not on PATH, /usr/bin or /usr/local/bin). " +
      "Install it (Debian: apt-get install -y redis-server); the Redis tests do not skip.",
  );
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** One command over a new connection, in RESP2; resolves the reply's text (first line, or the bulk string). */
export function rawCommand(port: number, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let buffer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${args[0]} on port ${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      const end = buffer.indexOf("\r\n");
      if (end < 0) return;
      const head = buffer.slice(0, end);
      if (head.startsWith("$")) {
        const length = Number(head.slice(1));
        if (length < 0) return finish("");
        if (Buffer.byteLength(buffer) < end + 2 + length + 2) return;
        return finish(Buffer.from(buffer.slice(end + 2)).subarray(0, length).toString("utf8"));
      }
      if (head.startsWith("*")) {
        // Arrays: hand back everything once the server stops sending (tests only use them for INFO-like checks).
        setTimeout(() => finish(buffer), 20);
        return;
      }
      finish(head);
    });
    let done = false;
    function finish(reply: string) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.end();
      if (reply.startsWith("-")) reject(new Error(reply.slice(1)));
      else resolve(reply.replace(/^[+:]/, ""));
    }
    socket.write(args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).reduce((s, a) => s + a, `*${args.length}\r\n`));
  });
}

async function waitForPing(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${output()}`);
    try {
      if ((await rawCommand(port, ["PING"], 1000)) === "PONG") return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING on port ${port}:\n${output()}`);
}

/** Retries `call` until it resolves (a client reconnecting after Redis came back), for at most `ms`; then throws its last error. */
export async function eventually<T>(call: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts a private redis-server.
 *
 * @param extra more `--option value` arguments (e.g. `["--maxmemory", "2mb"]`)
 */
export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const binary = findRedisServer();
  const version = /v=(\S+)/.exec(execFileSync(binary, ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  const dir = await mkdtemp(join(tmpdir(), "fetch-session-redis-"));
  const port = await freePort();
  let child: ChildProcess;
  let output = "";
  let exited: Promise<void> = Promise.resolve();
  const launch = async () => {
    output = "";
    child = spawn(
      binary,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes", ...extra],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    live.add(child);
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const c = child;
    exited = new Promise((done) => c.once("exit", () => {
      live.delete(c);
      done();
    }));
    await waitForPing(port, child, () => output);
  };
  await launch();
  let stopped = false;
  const kill = async () => {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    version,
    command: (...args) => rawCommand(port, args),
    kill,
    restart: launch,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
