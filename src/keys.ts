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
  const bytes = new Uint8Array(48);
  let key = "";
  while (key.length < KEY_LENGTH) {
    crypto.getRandomValues(bytes);
    for (let i = 0; i < bytes.length && key.length < KEY_LENGTH; i++) {
      const byte = bytes[i]!;
      if (byte < REJECT_FROM) key += ALPHABET[byte % 36];
    }
  }
  return key;
}

/**
 * Whether `value` has the shape of a key this library issues. Anything else
 * (visitor-chosen values, other libraries' cookies) is never adopted.
 *
 * @param value a cookie value
 * @returns true for exactly 32 characters of `[a-z0-9]`
 * @internal
 */
export function isValidKey(value: string): boolean {
  if (value.length !== KEY_LENGTH) return false;
  for (let i = 0; i < KEY_LENGTH; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/**
 * The id a store sees for a key: the lowercase hex SHA-256 of its UTF-8 bytes,
 * so that a leaked table gives no usable session. Synchronous, so that
 * loading a session costs no extra tick (bench/RESULTS.md has the measurements).
 *
 * @param key a session key
 * @returns 64 lowercase hex characters
 * @internal
 */
export function hashKey(key: string): string {
  return sha256Hex(key);
}
