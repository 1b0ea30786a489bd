#!/usr/bin/env node
// Profiles fetch-session (the default store: KyselyStore on the runtime's embedded engine) under wrk
// load and writes bench/PROFILE.md: where the CPU time goes, by function and by area.
//   node bench/profile.mjs [--seconds 6] [--jobs fs-default:bun:read,fs-node24:node24:write,...]
// Bun: `bun --cpu-prof`; Node 20: `node --cpu-prof` (the sources transpiled); Node 24: `--cpu-prof` on
// the sources.
// Raw profiles stay in bench/tmp/prof/*.cpuprofile (open them in Chrome DevTools).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIGS, TMP, bundle, checkTools, seed, startServer, stopServer, wrk } from "./run.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const seconds = Number(option("seconds", 6));
const DEFAULT_JOBS = [
  "fs-default:bun:read",
  "fs-default:bun:write",
  "fs-default:bun:new",
  "ceiling-bun-group:bun:write",
  "fs-memory:bun:write",
  "fs-node24:node24:read",
  "fs-node24:node24:write",
];
const jobs = option("jobs", DEFAULT_JOBS.join(",")).split(",").map((job) => job.split(":"));
const PROF = join(TMP, "prof");

/** Self time per node (µs), from samples and timeDeltas. */
function selfTimes(profile) {
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  return self;
}

function shortUrl(url) {
  if (!url) return "";
  const i = url.indexOf("/work/");
  let u = url.replace(/^file:\/\//, "");
  u = u.replace(/^.*\/node_modules\//, "");
  u = u.replace(/^.*\/main\/(bench\/tmp\/node\/)?/, "");
  void i;
  return u;
}

/** The area of a frame: our source files, the bench handler, kysely, libSQL, or the runtime. */
function areaOf(frame) {
  const url = frame.url ?? "";
  const name = frame.functionName ?? "";
  if (name.startsWith("libsql_js::") || /node_modules\/(@libsql|libsql)\//.test(url) || /\/promise-limit\//.test(url)) return "libSQL client + SQLite (native)";
  if (url === "bun:sqlite" || url === "node:sqlite") return `${url} + SQLite (native)`;
  if (/node_modules\/kysely\//.test(url)) return "kysely";
  if (/\bstores\/libsql\//.test(url)) return "src/stores/libsql/ (embedded driver, group commit)";
  const src = /\/(src\/[\w/-]+)\.(ts|js)$/.exec(url);
  if (src) return `${src[1]}.ts`;
  if (/bench\/servers\//.test(url)) return "bench server (handler, routing)";
  if (/node_modules\/srvx\//.test(url)) return "srvx adapter";
  if (/node_modules\/cookie-es\//.test(url)) return "cookie-es";
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)") return "(idle)";
  if (name === "(program)") return "(program: runtime, I/O, HTTP)";
  return null; // native or runtime-internal: attributed to the nearest caller with an area
}

function analyze(file) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = selfTimes(profile);
  let total = 0;
  let idle = 0;
  const byFunction = new Map();
  const byArea = new Map();
  const inclusive = new Map(); // function name -> µs (synchronous stacks), counted once per sample
  for (const [id, us] of self) {
    const node = nodes.get(id);
    const frame = node.callFrame;
    if (frame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    total += us;
    const key = `${frame.functionName || "(anonymous)"}  ${shortUrl(frame.url)}${frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    // Area: walk up to the nearest frame that has one (natives count for their caller).
    let area = null;
    let cursor = id;
    let nativeName = frame.functionName;
    while (cursor !== undefined && area === null) {
      area = areaOf(nodes.get(cursor).callFrame);
      cursor = parent.get(cursor);
    }
    area ??= "runtime (native, no JS caller)";
    if (areaOf(frame) === null && nativeName && area !== "runtime (native, no JS caller)") area = `${area}`;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const seen = new Set();
    cursor = id;
    while (cursor !== undefined) {
      const f = nodes.get(cursor).callFrame;
      const name = f.functionName;
      if (name && /\/src\/|\/mod\.(ts|js)$/.test(f.url ?? "") && !seen.has(name)) {
        seen.add(name);
        const k = `${name} (${shortUrl(f.url)})`;
        inclusive.set(k, (inclusive.get(k) ?? 0) + us);
      }
      cursor = parent.get(cursor);
    }
  }
  return { total, idle, byFunction, byArea, inclusive };
}

function table(map, total, limit, heading) {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  const lines = [`| ${heading} | ms | % of busy |`, "| --- | ---: | ---: |"];
  for (const [key, us] of rows) lines.push(`| \`${key.replaceAll("|", "\\|")}\` | ${(us / 1000).toFixed(0)} | ${((100 * us) / total).toFixed(1)} |`);
  return lines.join("\n");
}

async function main() {
  checkTools();
  mkdirSync(PROF, { recursive: true });
  const out = [
    "# fetch-session CPU profiles",
    "",
    `Generated by \`node bench/profile.mjs\` on ${new Date().toISOString()}: each job runs one configuration under wrk (-t1 -c32, ${seconds} s after a 2 s warm-up), 1,000 sessions. ` +
      "Self time is sampled CPU time in a function itself; **area** attributes native and runtime-internal frames to the nearest JavaScript caller " +
      "(so the libSQL area includes SQLite itself). `(program)` is the runtime's own work outside JavaScript (HTTP parsing, I/O). " +
      "Inclusive time counts synchronous stacks only (an `await` ends a stack). Node runs the sources transpiled file by file (bench/tmp/node).",
    "",
  ];
  for (const [configId, runtime, scenario] of jobs) {
    {
      const base = CONFIGS.find((c) => c.id === configId);
      if (!base) throw new Error(`unknown configuration ${configId}`);
      const name = `${configId}-${runtime}-${scenario}`;
      const config = { ...base, id: `prof-${name}`, runtime, dbFile: join(TMP, `prof-${name}.db`) };
      for (const suffix of ["", "-wal", "-shm"]) rmSync(config.dbFile + suffix, { force: true });
      for (const f of readdirSync(PROF)) if (f.startsWith(name)) rmSync(join(PROF, f));
      let args;
      if (runtime === "bun" || runtime === "node24") {
        args = ["--cpu-prof", `--cpu-prof-dir=${PROF}`, `--cpu-prof-name=${name}.cpuprofile`];
      } else {
        config.entry = await bundle({ ...config, script: base.script, id: `prof-${name}` });
        args = ["--cpu-prof", `--cpu-prof-dir=${PROF}`, `--cpu-prof-name=${name}.cpuprofile`];
      }
      const server = await startServer(config, {}, args);
      const { file: cookies } = await seed(config, server.port);
      await wrk(server.port, scenario, cookies, 2); // warm-up (profiled too, but small)
      const summary = await wrk(server.port, scenario, cookies, seconds);
      await stopServer(server);
      const profileFile = join(PROF, `${name}.cpuprofile`);
      const result = analyze(profileFile);
      console.log(`${name}: ${Math.round(summary.rps)} req/s; busy ${(result.total / 1000).toFixed(0)} ms, idle ${(result.idle / 1000).toFixed(0)} ms`);
      out.push(
        `## ${configId} on ${runtime}, ${scenario} (${Math.round(summary.rps).toLocaleString("en-US")} req/s while profiled)`,
        "",
        `Busy ${(result.total / 1000).toFixed(0)} ms, idle ${(result.idle / 1000).toFixed(0)} ms. Raw profile: bench/tmp/prof/${name}.cpuprofile.`,
        "",
        table(result.byArea, result.total, 20, "area"),
        "",
        table(result.inclusive, result.total, 20, "fetch-session function (inclusive, synchronous)"),
        "",
        table(result.byFunction, result.total, 25, "function (self)"),
        "",
      );
    }
  }
  writeFileSync(join(BENCH, "PROFILE.md"), out.join("\n"));
  console.log("Wrote bench/PROFILE.md");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
