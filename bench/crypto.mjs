#!/usr/bin/env node
// End-to-end check of the crypto decision: the library with src/sha256.ts (hand) against the same
// library with @noble/hashes behind the same three functions (sha256Hex, sha256, HmacSha256), for
// the default SQL store (key hashing) and CookieStore (HMAC), read / write / new.
//   node bench/crypto.mjs [--rounds 5] [--duration 3]
// Both variants are copies of this tree (mod.ts, src/) in bench/tmp/crypto/{hand,noble}, so they
// differ only in src/sha256.ts. Servers run on Bun (bench/servers/fs.mjs with FS_MOD), rounds are
// interleaved, and the ratio noble/hand is taken within each round; the report gives the median.
// An in-process pass (no HTTP: a Request through the wrapped handler, awaited one at a time) runs
// first and gives microseconds per request, a finer view of the same difference.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const TMP = join(BENCH, "tmp", "crypto");
const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);
const rounds = opt("rounds", 5);
const duration = opt("duration", 3);
const bun = join(ROOT, "node_modules", "bun", "bin", "bun.exe");

const NOBLE = `// @noble/hashes behind the interface of the hand-written module (bench/crypto.mjs).
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
export function sha256Hex(input: string): string { return bytesToHex(nobleSha256(utf8ToBytes(input))); }
export function sha256(message: Uint8Array): Uint8Array { return nobleSha256(message); }
export class HmacSha256 {
  readonly #base: ReturnType<typeof hmac.create>;
  constructor(key: Uint8Array) { this.#base = hmac.create(nobleSha256, key); }
  sign(message: Uint8Array): Uint8Array { return this.#base.clone().update(message).digest(); }
  verify(mac: Uint8Array, message: Uint8Array): boolean {
    const expected = this.sign(message);
    if (mac.length !== 32) return false;
    let difference = 0;
    for (let i = 0; i < 32; i++) difference |= mac[i]! ^ expected[i]!;
    return difference === 0;
  }
}
`;

function prepare() {
  rmSync(TMP, { recursive: true, force: true });
  for (const variant of ["hand", "noble"]) {
    const dir = join(TMP, variant);
    mkdirSync(dir, { recursive: true });
    cpSync(join(ROOT, "mod.ts"), join(dir, "mod.ts"));
    cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
    if (variant === "noble") writeFileSync(join(dir, "src", "sha256.ts"), NOBLE);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const v = [...xs].sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };

function start(variant, store, db) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PORT: "0", STORE: store, FS_MOD: join(TMP, variant, "mod.ts"), DB: db ?? "", NODE_ENV: "production" };
    const child = spawn(bun, [join(BENCH, "servers", "fs.mjs")], { cwd: BENCH, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (c) => { out += c; const m = /READY (\d+)/.exec(out); if (m && !child.port) { child.port = Number(m[1]); resolve(child); } });
    child.stderr.on("data", (c) => (err += c));
    child.on("exit", (code) => { if (!child.port) reject(new Error(`${variant}/${store} exited ${code}: ${err}`)); });
  });
}

async function seed(port, file) {
  const cookies = [];
  for (let i = 0; i < 1000; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/write`);
    await r.text();
    cookies.push(r.headers.getSetCookie().at(-1).split(";")[0]);
  }
  writeFileSync(file, cookies.join("\n") + "\n");
}

function wrk(port, path, cookies, seconds) {
  const args = ["-t1", "-c32", `-d${seconds}s`, "--latency", "-s", join(BENCH, "wrk", "sessions.lua"), `http://127.0.0.1:${port}`, "--", path, path === "/new" ? "-" : cookies];
  const r = spawnSync("wrk", args, { encoding: "utf8" });
  const m = /WRK_JSON (\{.*\})/.exec(r.stdout);
  if (!m) throw new Error(r.stdout + r.stderr);
  const s = JSON.parse(m[1]);
  return s.requests / (s.duration_us / 1e6);
}

prepare();
// In-process pass.
const inproc = spawnSync(bun, [join(BENCH, "micro", "crypto-inprocess.mjs"), join(TMP, "hand", "mod.ts"), join(TMP, "noble", "mod.ts"), String(rounds)], { cwd: BENCH, encoding: "utf8" });
process.stdout.write(inproc.stdout + inproc.stderr);

const servers = {};
for (const store of ["libsql", "cookie"]) {
  for (const variant of ["hand", "noble"]) {
    const id = `${store}-${variant}`;
    const db = store === "libsql" ? join(TMP, `${id}.db`) : undefined;
    servers[id] = await start(variant, store, db);
    await seed(servers[id].port, join(TMP, `${id}.cookies`));
  }
}
const samples = {};
for (const id of Object.keys(servers)) for (const path of ["/read", "/write", "/new"]) wrk(servers[id].port, path, join(TMP, `${id}.cookies`), 1);
for (let round = 0; round < rounds; round++) {
  for (const path of ["/read", "/write", "/new"]) {
    for (const store of ["libsql", "cookie"]) {
      const rps = {};
      for (const variant of round % 2 ? ["noble", "hand"] : ["hand", "noble"]) {
        const id = `${store}-${variant}`;
        rps[variant] = wrk(servers[id].port, path, join(TMP, `${id}.cookies`), duration);
      }
      (samples[`${store} ${path}`] ??= []).push(rps);
      process.stdout.write(`round ${round + 1} ${store} ${path}: hand ${Math.round(rps.hand)} noble ${Math.round(rps.noble)} ratio ${(rps.noble / rps.hand).toFixed(3)}\n`);
    }
  }
}
console.log("\nwrk -t1 -c32, Bun, median over rounds: req/s hand, req/s noble, median per-round ratio noble/hand");
for (const [key, list] of Object.entries(samples)) {
  console.log(`${key.padEnd(16)} ${Math.round(median(list.map((x) => x.hand))).toString().padStart(7)} ${Math.round(median(list.map((x) => x.noble))).toString().padStart(7)}  ${median(list.map((x) => x.noble / x.hand)).toFixed(3)}  [${list.map((x) => (x.noble / x.hand).toFixed(2)).join(" ")}]`);
}
for (const child of Object.values(servers)) child.kill("SIGINT");
await sleep(300);
