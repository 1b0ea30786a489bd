/**
 * Starts the example app in the real runtimes (Bun, Deno, Node, workerd) on
 * free ports on 127.0.0.1, each with its own temporary session database, and
 * stops them again: the whole process group, also when a test fails or the
 * test process exits early.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { createClient } from "@libsql/client";
import { freePort } from "./system.ts";

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = join(ROOT, "node_modules", ".bin");

/** A server started by this module. */
export interface RunningServer {
  /** What runs it, for messages: "bun examples/bun.ts". */
  readonly name: string;
  /** The base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The port it listens on (start another server on it after `stop()` to test a restart). */
  readonly port: number;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Stops the server and removes its temporary files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Process groups still running, killed on exit if a test run ends without `stop()`. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

export { freePort };

/** A new temporary directory, removed by the server's `stop()`. */
async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `fetch-session-${prefix}-`));
}

/** Signals the child's whole process group (the runtime and anything it started). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Resolves once something accepts connections on the port. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Pass this test process's environment on (`env` is added to it, with NO_COLOR). `false`: exactly `env`. @default true */
  inheritEnv?: boolean;
  /** @default the repository root */
  cwd?: string;
  /** @default a free port */
  port?: number;
  /** Directories and files to delete after the process stopped. */
  cleanup?: string[];
  readyTimeoutMs?: number;
  /** Started once the port accepts connections (`"connect"`), or once `/__ready` gets an HTTP answer of any status (`"http"`). @default "connect" */
  ready?: "connect" | "http";
}

/** Whether the server at `url` gives an HTTP answer (any status). */
async function answersHttp(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/__ready`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns a server process in its own process group with `PORT` set, and waits
 * until the port accepts connections.
 *
 * @throws {Error} when the process exits or the port stays closed; the message has its output
 */
export async function startProcess(options: SpawnOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const env =
    options.inheritEnv === false
      ? { ...options.env, PORT: String(port) }
      : { ...process.env, ...options.env, PORT: String(port), NO_COLOR: "1" };
  const child = spawn(options.command, options.args, { cwd: options.cwd ?? ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  live.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let gone = false;
  const exited = new Promise<void>((done) => {
    const finish = () => {
      gone = true;
      live.delete(child);
      done();
    };
    child.once("exit", finish);
    child.once("error", (error) => {
      output += `${error.message}\n`; // e.g. the runtime's binary is missing
      finish();
    });
  });
  let stopped = false;
  const server: RunningServer = {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
      killGroup(child, "SIGKILL"); // grandchildren that ignored SIGTERM
      for (const path of options.cleanup ?? []) await rm(path, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let started = false;
  try {
    while (Date.now() < deadline) {
      if (gone) break;
      if (options.ready === "http" ? await answersHttp(server.url) : await canConnect(port)) {
        started = true;
        break;
      }
      await new Promise((wait) => setTimeout(wait, 50));
    }
  } finally {
    if (!started) await server.stop();
  }
  if (!started) {
    throw new Error(`${options.name} did not start listening on ${server.url}:\n${output}`);
  }
  return server;
}

/** A server of the example app, with a look into its sessions table. */
export interface ExampleServer extends RunningServer {
  /** The ids (hashed keys) in the server's sessions table. */
  sessionIds(): Promise<string[]>;
}

/** Session database for one server: a file in its own temporary directory. */
function sessionDatabase(dir: string): Record<string, string> {
  return { SESSION_DATABASE_URL: databaseUrl(dir) };
}

function databaseUrl(dir: string): string {
  return `file:${join(dir, "sessions.db")}`;
}

/** Adds `sessionIds()`, read from the server's libSQL file with the libSQL client. */
function inspectLibsql(server: RunningServer, dir: string): ExampleServer {
  return {
    ...server,
    async sessionIds() {
      const client = createClient({ url: databaseUrl(dir) });
      try {
        const result = await client.execute("select id from sessions");
        return result.rows.map((row) => String(row.id));
      } finally {
        client.close();
      }
    },
  };
}

/**
 * Runs an entry under the real Bun (the `bun` npm package's binary).
 *
 * @param entry the entry file, relative to the repository root
 */
export async function startBun(entry: string): Promise<ExampleServer> {
  const dir = await tempDir("bun");
  return inspectLibsql(await startProcess({
    name: `bun ${entry}`,
    command: join(BIN, "bun"),
    args: [entry],
    env: sessionDatabase(dir),
    cleanup: [dir],
  }), dir);
}

/** Runs `examples/deno.ts` under the real Deno, with the permissions the README gives. */
export async function startDeno(entry = "examples/deno.ts"): Promise<ExampleServer> {
  const dir = await tempDir("deno");
  return inspectLibsql(await startProcess({
    name: `deno run ${entry}`,
    command: join(BIN, "deno"),
    args: ["run", ...DENO_PERMISSIONS, entry],
    env: { ...sessionDatabase(dir), DENO_NO_UPDATE_CHECK: "1" },
    cleanup: [dir],
  }), dir);
}

/** The permissions `examples/deno.ts` needs (the libSQL default store loads a native library). */
export const DENO_PERMISSIONS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
] as const;

/**
 * Runs `examples/node.ts` under the real Node. Node 20 cannot load TypeScript,
 * so module hooks strip the types file by file with esbuild (no bundling: the
 * modules keep their own `import.meta.url`, which the default store needs).
 */
export async function startNode(entry = "examples/node.ts"): Promise<ExampleServer> {
  const dir = await tempDir("node");
  return inspectLibsql(await startProcess({
    name: `node ${entry}`,
    command: process.execPath,
    args: ["--enable-source-maps", "--import", join(ROOT, "test", "helpers", "node-ts-register.mjs"), entry],
    env: sessionDatabase(dir),
    cleanup: [dir],
  }), dir);
}

/** A Worker running in workerd through Miniflare, with its D1 database. */
export interface RunningWorker extends ExampleServer {
  /** The Miniflare instance: D1 access (`getD1Database("DB")`) and `getWorker().scheduled()`. */
  readonly miniflare: Miniflare;
}

/**
 * Runs `examples/worker.ts` in workerd through Miniflare: bundled with esbuild
 * for the `workerd` conditions, with the `DB` D1 binding in a temporary
 * directory and the migrations from `examples/migrations` applied, served on a
 * free port on 127.0.0.1. The compatibility date comes from `examples/wrangler.jsonc`.
 */
export async function startWorker(entry = "examples/worker.ts"): Promise<RunningWorker> {
  const dir = await tempDir("workerd");
  const config = await readWranglerConfig();
  const script = await bundleForWorkerd(entry);
  const port = await freePort();
  let output = "";
  const miniflare = new Miniflare({
    host: "127.0.0.1",
    port,
    // Listed explicitly, as wrangler does: Miniflare's own module scan rejects the core's
    // computed `import()` of the default store, which a Worker with its own store never runs.
    modules: [{ type: "ESModule", path: join(ROOT, "examples", "worker.mjs"), contents: script }],
    compatibilityDate: config.compatibility_date,
    d1Databases: { DB: "fetch-session-example" },
    d1Persist: join(dir, "d1"),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await miniflare.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    const url = await miniflare.ready;
    const db = await miniflare.getD1Database("DB");
    for (const sql of await readMigrations()) await db.exec(sql);
    const sessionIds = async () => {
      const { results } = await db.prepare("select id from sessions").all<{ id: string }>();
      return results.map((row) => row.id);
    };
    return { name: `workerd ${entry} (Miniflare)`, url: url.origin, port: Number(url.port), output: () => output, stop, miniflare, sessionIds };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Bundles an entry (relative to the repository root) with esbuild for the
 * `workerd` conditions, as wrangler does; resolves the script.
 *
 * @param external imports left out of the bundle (`node:*` for `nodejs_compat`)
 */
export async function bundleForWorkerd(entry: string, external: string[] = []): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external,
    logLevel: "error",
  });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return script;
}

/**
 * A test fixture Worker (e.g. `test/fixtures/model-worker.ts`) in workerd
 * through Miniflare, with `nodejs_compat`, reached by `dispatchFetch` (no
 * port). The caller disposes it.
 */
export async function startFixtureWorker(entry: string, options: { d1Databases?: string[] } = {}): Promise<Miniflare> {
  const script = await bundleForWorkerd(entry, ["node:*"]);
  return new Miniflare({
    modules: [{ type: "ESModule", path: join(ROOT, entry.replace(/\.ts$/, ".mjs")), contents: script }],
    compatibilityDate: "2026-05-01",
    compatibilityFlags: ["nodejs_compat"],
    ...options,
  });
}

/** `examples/wrangler.jsonc`, comments stripped. */
export async function readWranglerConfig(): Promise<{ compatibility_date: string; main: string; d1_databases: { binding: string; migrations_dir?: string }[] }> {
  const text = await readFile(join(ROOT, "examples", "wrangler.jsonc"), "utf8");
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""));
}

/** The D1 migrations, in order, each as one line per statement (D1's `exec` runs line by line). */
async function readMigrations(): Promise<string[]> {
  const migrationsDir = join(ROOT, "examples", "migrations");
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith(".sql")).sort();
  const statements: string[] = [];
  for (const file of files) {
    const sql = (await readFile(join(migrationsDir, file), "utf8")).replace(/^\s*--.*$/gm, "");
    for (const statement of sql.split(";")) {
      const oneLine = statement.replace(/\s+/g, " ").trim();
      if (oneLine !== "") statements.push(`${oneLine};`);
    }
  }
  return statements;
}
