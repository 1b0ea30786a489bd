// Microbenchmark: the per-request key work, µs per call (median of 5 rounds), and the alternatives
// measured against it. Runs on Bun, Node 24 (--experimental-strip-types) and Deno.
//   bun bench/micro/keys.mjs
// - isValidKey (a regular expression) against the charCodeAt loop it replaced;
// - readCookie (the single-occurrence fast path) against cookie-es's parser;
// - hashKey (Bun.SHA256 on Bun) against src/sha256.ts and node:crypto's createHash;
// - generateKey (a 4 KiB random pool) against one getRandomValues call per key.
import { createHash } from "node:crypto";
import { parse } from "cookie-es";
import { readCookie } from "../../src/cookie.ts";
import { generateKey, hashKey, isValidKey } from "../../src/keys.ts";
import { sha256Hex } from "../../src/sha256.ts";
import { median } from "./in-process.mjs";

const keys = Array.from({ length: 1000 }, () => generateKey());
const headers = keys.map((key, i) => (i % 2 ? `sessionid=${key}` : `theme=dark; sessionid=${key}; csrftoken=abc`));
const values = headers.map((header) => readCookie(header, "sessionid"));
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function loopValid(value) {
  if (value.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}
function keyPerCall() {
  const bytes = new Uint8Array(48);
  let key = "";
  while (key.length < 32) {
    crypto.getRandomValues(bytes);
    for (let i = 0; i < bytes.length && key.length < 32; i++) if (bytes[i] < 252) key += ALPHABET[bytes[i] % 36];
  }
  return key;
}

const cases = {
  "isValidKey (regex)": (i) => isValidKey(values[i]),
  "charCodeAt loop (before)": (i) => loopValid(values[i]),
  "readCookie (fast path)": (i) => readCookie(headers[i], "sessionid"),
  "cookie-es parse (before)": (i) => parse(headers[i], { decode: (v) => v, filter: (k) => k === "sessionid" }).sessionid,
  "hashKey": (i) => hashKey(values[i]),
  "src/sha256.ts sha256Hex": (i) => sha256Hex(values[i]),
  "node:crypto createHash": (i) => createHash("sha256").update(values[i]).digest("hex"),
  "generateKey (pool)": () => generateKey(),
  "getRandomValues per key (before)": () => keyPerCall(),
};
const runtime = typeof Bun !== "undefined" ? `Bun ${Bun.version}` : typeof Deno !== "undefined" ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;
console.log(`${runtime}: µs per call, median of 5 rounds`);
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < 5; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    const n = 200_000;
    let sink = 0;
    const start = performance.now();
    for (let i = 0; i < n; i++) if (fn(i % 1000)) sink++;
    samples[name].push(((performance.now() - start) * 1000) / n);
    if (sink < 0) console.log(sink);
  }
}
for (const name of Object.keys(cases)) console.log(`${name.padEnd(34)} ${median(samples[name]).toFixed(3).padStart(7)}`);
