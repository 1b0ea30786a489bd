// Microbenchmark: hashing a 32-character session key.
//   bun bench/micro/sha256.mjs        node bench/micro/sha256.mjs
// Compares the synchronous sha256Hex (src/sha256.ts) with an awaited
// crypto.subtle.digest (plus hex encoding, as keys.ts needs a hex id), both
// one-at-a-time (latency, what one request pays) and 32 in flight (throughput),
// and node:crypto createHash as a native reference.
import { createHash } from "node:crypto";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "../../src/sha256.ts");
let sha256Hex;
let HmacSha256;
if (typeof Bun !== "undefined" || typeof Deno !== "undefined") {
  ({ sha256Hex, HmacSha256 } = await import(pathToFileURL(source).href));
} else {
  // Node 20 cannot run TypeScript: strip the types with esbuild into bench/tmp.
  const { transformSync } = await import("esbuild");
  const out = join(here, "../tmp/sha256.mjs");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, transformSync(readFileSync(source, "utf8"), { loader: "ts", format: "esm" }).code);
  ({ sha256Hex, HmacSha256 } = await import(pathToFileURL(out).href));
}

const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : `node ${process.versions.node}`;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const encoder = new TextEncoder();
async function subtleHex(key) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
  let hex = "";
  for (let i = 0; i < 32; i++) hex += HEX[digest[i]];
  return hex;
}
const nodeHex = (key) => createHash("sha256").update(key).digest("hex");

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
const keys = Array.from({ length: 1024 }, () => {
  let k = "";
  for (let i = 0; i < 32; i++) k += alphabet[Math.floor(Math.random() * 36)];
  return k;
});
for (const k of keys.slice(0, 50)) {
  if (sha256Hex(k) !== (await subtleHex(k)) || sha256Hex(k) !== nodeHex(k)) throw new Error(`mismatch for ${k}`);
}

let sink = 0;
function timeSync(name, fn, ms = 700) {
  for (let i = 0; i < 20000; i++) sink += fn(keys[i & 1023]).length; // warm up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) sink += fn(keys[(n + i) & 1023]).length;
    n += 1000;
    now = performance.now();
  }
  return { name, opsPerSec: (n / (now - start)) * 1000, usPerOp: ((now - start) * 1000) / n };
}
async function timeAwaited(name, fn, ms = 700) {
  for (let i = 0; i < 5000; i++) sink += (await fn(keys[i & 1023])).length;
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) sink += (await fn(keys[(n + i) & 1023])).length;
    n += 200;
    now = performance.now();
  }
  return { name, opsPerSec: (n / (now - start)) * 1000, usPerOp: ((now - start) * 1000) / n };
}
async function timeConcurrent(name, fn, inFlight = 32, ms = 700) {
  const batch = () => Promise.all(Array.from({ length: inFlight }, (_, i) => fn(keys[i])));
  for (let i = 0; i < 200; i++) await batch();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    const results = await batch();
    sink += results.length;
    n += inFlight;
    now = performance.now();
  }
  return { name, opsPerSec: (n / (now - start)) * 1000, usPerOp: ((now - start) * 1000) / n };
}

// HMAC-SHA-256 of a cookie-sized value (what a signed cookie costs per sign or verify), key prepared once.
const hmacKeyBytes = crypto.getRandomValues(new Uint8Array(32));
const hmac = new HmacSha256(hmacKeyBytes);
const subtleKey = await crypto.subtle.importKey("raw", hmacKeyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const cookieValue = encoder.encode("eyJuIjoxLCJfZXhwaXJ5IjpudWxsfQ:1r31eq");
const syncHmac = () => hmac.sign(cookieValue);
const subtleHmac = async () => new Uint8Array(await crypto.subtle.sign("HMAC", subtleKey, cookieValue));
for (let i = 0; i < 20; i++) {
  const a = syncHmac();
  const b = await subtleHmac();
  if (a.join() !== b.join()) throw new Error("HMAC mismatch");
}

const results = [
  timeSync("sha256Hex (sync, src/sha256.ts)", sha256Hex),
  await timeAwaited("await sha256Hex (sync fn, awaited)", async (k) => sha256Hex(k)),
  await timeAwaited("await crypto.subtle.digest + hex, one at a time", subtleHex),
  await timeConcurrent("crypto.subtle.digest + hex, 32 in flight", subtleHex),
  timeSync("node:crypto createHash (native, reference)", nodeHex),
  timeSync("HmacSha256.sign, 38-byte value (sync)", syncHmac),
  await timeAwaited("await crypto.subtle.sign HMAC, one at a time", subtleHmac),
  await timeConcurrent("crypto.subtle.sign HMAC, 32 in flight", subtleHmac),
];
const json = process.argv.includes("--json");
if (json) {
  console.log(JSON.stringify({ runtime, results }));
} else {
  console.log(`SHA-256 of a 32-character key, ${runtime}`);
  for (const r of results) console.log(`${r.name.padEnd(52)} ${Math.round(r.opsPerSec).toLocaleString("en-US").padStart(11)} ops/s  ${r.usPerOp.toFixed(3).padStart(8)} µs/op`);
}
if (sink === 42) console.log("");
