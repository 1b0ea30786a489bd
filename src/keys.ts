/**
 * Session keys: generation, validation and hashing.
 *
 * @module
 */

import { sha256Hex } from "./sha256.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
/** Length of a session key, in characters. @internal */
export const KEY_LENGTH = 32;
// 252 = 7 * 36: bytes at or above it are rejected so that `byte % 36` is uniform.
const REJECT_FROM = 252;

// Random bytes are drawn 4 KiB at a time: `crypto.getRandomValues` costs about 1.9 µs per call on Node 24
// whatever the size asked (0.05 µs on Bun), so a key drawn byte by byte from a pool costs 0.1 µs instead of
// 2.2 µs there (bench/micro/keys.mjs). Each byte is zeroed once used: no spent key material stays in memory.
const POOL_SIZE = 4096;
let pool: Uint8Array<ArrayBuffer> | undefined;
let poolIndex = POOL_SIZE;

/**
 * A new session key: 32 characters of `[a-z0-9]` from `crypto.getRandomValues`,
 * without modulo bias (about 165 bits of entropy).
 *
 * @returns the key
 * @example
 * ```ts
 * const key = generateKey(); // "k3v9…", 32 characters
 * ```
 * @internal
 */
export function generateKey(): string {
  // Created on first use: workerd refuses random values outside a request.
  const bytes = (pool ??= new Uint8Array(POOL_SIZE));
  let i = poolIndex;
  let key = "";
  while (key.length < KEY_LENGTH) {
    if (i === POOL_SIZE) {
      crypto.getRandomValues(bytes);
      i = 0;
    }
    const byte = bytes[i]!;
    bytes[i++] = 0;
    if (byte < REJECT_FROM) key += ALPHABET[byte % 36];
  }
  poolIndex = i;
  return key;
}

const KEY_SHAPE = /^[a-z0-9]{32}$/;

/**
 * Whether `value` has the shape of a key this library issues. Anything else
 * (visitor-chosen values, other libraries' cookies) is never adopted.
 * (A regular expression: 0.02 µs per call on Bun against 0.15 µs for a
 * `charCodeAt` loop over a parsed cookie value, bench/micro/keys.mjs.)
 *
 * @param value a cookie value
 * @returns true for exactly 32 characters of `[a-z0-9]`
 * @internal
 */
export function isValidKey(value: string): boolean {
  return value.length === KEY_LENGTH && KEY_SHAPE.test(value);
}

type HexHash = (input: string, encoding: "hex") => string;
/** Bun's native SHA-256 (`Bun.SHA256.hash`), where there is one: 0.15 µs per key against 0.50 µs for src/sha256.ts. */
const nativeSha256: HexHash | undefined = (() => {
  const hash = (globalThis as { Bun?: { SHA256?: { hash?: unknown } } }).Bun?.SHA256?.hash;
  return typeof hash === "function" ? (hash as HexHash) : undefined;
})();

/**
 * The id a store sees for a key: the lowercase hex SHA-256 of its UTF-8 bytes,
 * so that a leaked table gives no usable session. Synchronous, so that
 * loading a session costs no extra tick (bench/RESULTS.md has the measurements):
 * Bun's native SHA-256 on Bun, src/sha256.ts elsewhere (Node's `createHash`
 * is slower than it there). Keys are ASCII (`isValidKey` or `generateKey`),
 * so both read the same bytes.
 *
 * @param key a session key
 * @returns 64 lowercase hex characters
 * @internal
 */
export function hashKey(key: string): string {
  return nativeSha256 === undefined ? sha256Hex(key) : nativeSha256(key, "hex");
}
