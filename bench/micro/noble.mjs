// Microbenchmark: @noble/hashes against the hand-written src/sha256.ts, for what the library does
// per request: the hex SHA-256 of a 32-character session key (keys.ts) and one HMAC-SHA-256 of a
// cookie-sized value under a key prepared once (signing.ts, CookieStore).
//   bun bench/micro/noble.mjs      node bench/micro/noble.mjs      deno run -A bench/micro/noble.mjs
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { readFileSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "../../src/sha256.ts");
let hand = null;
if (existsSync(source)) {
  if (typeof Bun !== "undefined" || typeof Deno !== "undefined") {
    hand = await import(pathToFileURL(source).href);
  } else {
    const { transformSync } = await import("esbuild");
    const out = join(here, "../tmp/sha256.mjs");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, transformSync(readFileSync(source, "utf8"), { loader: "ts", format: "esm" }).code);
    hand = await import(pathToFileURL(out).href);
  }
}

const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : `node ${process.versions.node}`;
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
const keys = Array.from({ length: 1024 }, () => {
  let k = "";
  for (let i = 0; i < 32; i++) k += alphabet[Math.floor(Math.random() * 36)];
  return k;
});
const nobleHex = (key) => bytesToHex(nobleSha256(utf8ToBytes(key)));

const encoder = new TextEncoder();
const hmacKeyBytes = crypto.getRandomValues(new Uint8Array(32));
const values = keys.map((k) => encoder.encode(`eyJuIjoxLCJfZXhwaXJ5IjpudWxsfQ:${k.slice(0, 6)}`));
const prepared = nobleHmac.create(nobleSha256, hmacKeyBytes);
const nobleHmacPrepared = (v) => prepared.clone().update(v).digest();
const nobleHmacOneShot = (v) => nobleHmac(nobleSha256, hmacKeyBytes, v);
const handHmac = hand ? new hand.HmacSha256(hmacKeyBytes) : null;

if (hand) {
  for (let i = 0; i < 64; i++) {
    if (hand.sha256Hex(keys[i]) !== nobleHex(keys[i])) throw new Error("sha256 mismatch");
    if (handHmac.sign(values[i]).join() !== nobleHmacPrepared(values[i]).join()) throw new Error("hmac mismatch");
  }
}

let sink = 0;
function time(name, fn, input, ms = 600) {
  for (let i = 0; i < 30000; i++) sink += fn(input[i & 1023]).length;
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) sink += fn(input[(n + i) & 1023]).length;
    n += 1000;
    now = performance.now();
  }
  return { name, usPerOp: ((now - start) * 1000) / n };
}

const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 5);
const cases = [
  ["key hash: src/sha256.ts sha256Hex", hand && hand.sha256Hex, keys],
  ["key hash: @noble/hashes sha256 + bytesToHex", nobleHex, keys],
  ["HMAC: src/sha256.ts HmacSha256.sign", handHmac && ((v) => handHmac.sign(v)), values],
  ["HMAC: @noble/hashes hmac, prepared key, clone()", nobleHmacPrepared, values],
  ["HMAC: @noble/hashes hmac(sha256, key, value)", nobleHmacOneShot, values],
].filter(([, fn]) => fn);
// Interleaved rounds, median per case.
const samples = new Map(cases.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) for (const [name, fn, input] of cases) samples.get(name).push(time(name, fn, input).usPerOp);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = cases.map(([name]) => ({ name, usPerOp: median(samples.get(name)), samples: samples.get(name) }));
if (process.argv.includes("--json")) console.log(JSON.stringify({ runtime, results }));
else {
  console.log(`@noble/hashes vs src/sha256.ts, ${runtime}, median of ${rounds} interleaved rounds`);
  for (const r of results) console.log(`${r.name.padEnd(52)} ${r.usPerOp.toFixed(3).padStart(8)} µs/op`);
}
if (sink === 42) console.log("");
