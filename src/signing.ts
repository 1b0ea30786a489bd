/**
 * Django's `TimestampSigner` (`django/core/signing.py`) on Web Crypto, with an
 * optional AES-GCM seal. The signed-cookie store is built on it.
 *
 * A token is `[.]b64url(payload):b62(timestamp):b64url(mac)`:
 * - `payload` is the UTF-8 text (JSON for the cookie store), deflated (zlib
 *   format, `CompressionStream("deflate")`) when that makes the token shorter;
 *   a leading `.` marks a compressed payload and is covered by the MAC, so an
 *   attacker cannot make the server inflate bytes it did not sign.
 * - `timestamp` is the signing time in whole seconds since the epoch, base 62
 *   (`0-9A-Za-z`), checked against `maxAge` when the token is read.
 * - `mac` is HMAC-SHA-256 over the ASCII text before the last `:`, with the key
 *   `SHA-256(UTF-8(salt + "signer" + secret))`: Django's `salted_hmac`, so with
 *   the same salt and secret the tokens are Django's own.
 *
 * With `encrypt: true` the payload is first sealed with AES-256-GCM under a key
 * derived separately from the same secret (HKDF-SHA-256, salt = `salt`,
 * info = `"fetch-session.aes-256-gcm"`), with a fresh random 96-bit IV per
 * token: `b64url(iv || ciphertext || tag)` replaces the payload, and the HMAC
 * still covers it and the timestamp (encrypt-then-MAC: forged tokens are
 * rejected before any decryption, and the timestamp stays authenticated).
 * Encrypted payloads are never compressed: compressing attacker-influenced data
 * next to secrets before encryption leaks them through the length (CRIME).
 *
 * Verification tries every secret in order (the first one signs; the others
 * are old secrets kept for rotation). The HMAC is computed synchronously by
 * `HmacSha256` (src/sha256.ts), without the awaited `crypto.subtle.sign`,
 * and compared over all 32 bytes with
 * no early exit, so the time taken does not depend on where a forged MAC
 * differs. The signature is
 * decoded strictly (43 characters, no stray bits), so no two different tokens
 * carry the same MAC. Keys are derived once per (salt, secret) and cached.
 *
 * Reading a token never throws: anything malformed, forged, truncated, expired
 * or signed with an unknown secret gives `null`.
 *
 * @module
 */
import { HmacSha256, sha256 } from "./sha256.ts";

/** Options of {@linkcode TimestampSigner}. */
export interface TimestampSignerOptions {
  /**
   * The secret, or secrets for rotation: the first signs, every one verifies.
   * Each must be at least 32 bytes of UTF-8 (use 32 random bytes, e.g. 64 hex
   * characters).
   */
  secret: string | readonly string[];
  /**
   * Namespaces the keys: a token signed under one salt never verifies under
   * another.
   *
   * @default "fetch-session.signing"
   */
  salt?: string;
  /**
   * Deflate the payload when that makes the token shorter. Only tried for
   * payloads of at least {@linkcode COMPRESS_MIN_BYTES} bytes; never with `encrypt`.
   *
   * @default true
   */
  compress?: boolean;
  /**
   * When a payload is compressed (with `compress`): `"shorter"` when it is at
   * least {@linkcode COMPRESS_MIN_BYTES} bytes and the token gets shorter;
   * `"django"` exactly when Django's `signing.dumps(compress=True)` does, at
   * any size: when the zlib bytes are at least 2 fewer than the payload's
   * (`len(compressed) < len(data) - 1`).
   *
   * @default "shorter"
   */
  compressWhen?: "shorter" | "django";
  /**
   * How a verified payload's bytes become text: `"utf-8"` (strict) or
   * `"latin1"`, as Django's `JSONSerializer.loads` reads them.
   *
   * @default "utf-8"
   */
  payloadEncoding?: "utf-8" | "latin1";
  /**
   * Seal the payload with AES-256-GCM so the holder of the token cannot read it.
   *
   * @default false
   */
  encrypt?: boolean;
  /**
   * The clock, in milliseconds since the epoch (inject it in tests).
   *
   * @default Date.now
   */
  now?: () => number;
}

/**
 * Payloads shorter than this are never compressed: the zlib header and
 * checksum (6 bytes) plus the `.` rarely pay for themselves there, and a
 * `CompressionStream` is slow to start on some runtimes.
 *
 * @example
 * ```ts
 * const token = await signer.sign("x".repeat(COMPRESS_MIN_BYTES)); // starts with "." (compressed)
 * ```
 */
export const COMPRESS_MIN_BYTES = 256;

/** A decompressed payload larger than this is rejected (a deflate bomb needs a leaked secret, but still). */
const MAX_INFLATED_BYTES = 1 << 20;
/** Base64url length of a 32-byte HMAC-SHA-256. */
const MAC_CHARS = 43;
/** AES-GCM IV and tag sizes, in bytes. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** At most 8 base-62 digits: 62^8 seconds is about 7 million years, and stays an exact integer. */
const MAX_TIMESTAMP_CHARS = 8;
const MIN_SECRET_BYTES = 32;
const AES_INFO = "fetch-session.aes-256-gcm";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Signs and verifies timestamped tokens (Django's `TimestampSigner`, plus an
 * optional AES-GCM seal). See the module documentation for the format.
 *
 * @example
 * ```ts
 * import { TimestampSigner } from "./signing.ts";
 *
 * const signer = new TimestampSigner({ secret: "a-secret-of-at-least-32-bytes-length!!" });
 * const token = await signer.sign(JSON.stringify({ user: 42 }));
 * await signer.unsign(token, 3600); // '{"user":42}'
 * await signer.unsign(token.slice(1), 3600); // null
 * ```
 */
export class TimestampSigner {
  readonly #secrets: readonly string[];
  readonly #salt: string;
  readonly #compress: boolean;
  readonly #djangoCompression: boolean;
  readonly #latin1: boolean;
  readonly #encrypt: boolean;
  readonly #now: () => number;

  /**
   * @param options the secret(s), salt, and whether to compress or encrypt
   * @throws {TypeError} when `secret` is not a string or a non-empty array of strings, or another option has the wrong type
   * @throws {RangeError} when a secret is shorter than 32 bytes of UTF-8
   */
  constructor(options: TimestampSignerOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Cannot create a signer: options must be an object, received ${describe(options)}`);
    }
    this.#secrets = checkSecrets(options.secret);
    const salt = options.salt ?? "fetch-session.signing";
    if (typeof salt !== "string") {
      throw new TypeError(`Cannot use salt as it is not a string: received ${describe(salt)}`);
    }
    this.#salt = salt;
    this.#compress = checkBoolean("compress", options.compress, true);
    const compressWhen = options.compressWhen ?? "shorter";
    if (compressWhen !== "shorter" && compressWhen !== "django") {
      throw new TypeError(`Cannot use compressWhen as it is not "shorter" or "django": received ${describe(compressWhen)}`);
    }
    this.#djangoCompression = compressWhen === "django";
    const payloadEncoding = options.payloadEncoding ?? "utf-8";
    if (payloadEncoding !== "utf-8" && payloadEncoding !== "latin1") {
      throw new TypeError(`Cannot use payloadEncoding as it is not "utf-8" or "latin1": received ${describe(payloadEncoding)}`);
    }
    this.#latin1 = payloadEncoding === "latin1";
    this.#encrypt = checkBoolean("encrypt", options.encrypt, false);
    const now = options.now ?? (() => Date.now());
    if (typeof now !== "function") {
      throw new TypeError(`Cannot use now as it is not a function: received ${describe(now)}`);
    }
    this.#now = now;
  }

  /**
   * Signs `payload` (and seals it, with `encrypt`) with the first secret.
   *
   * @param payload any text (the cookie store passes JSON)
   * @returns the token, made only of `A-Za-z0-9_-`, `:` and a possible leading `.`
   * @example
   * ```ts
   * const token = await signer.sign("hello"); // "aGVsbG8:1sX2aB:..."
   * ```
   */
  async sign(payload: string): Promise<string> {
    const bytes = encoder.encode(payload);
    let body: string;
    if (this.#encrypt) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const key = await aesKey(this.#salt, this.#secrets[0]!);
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bytes));
      body = base64UrlEncode(concat(iv, sealed));
    } else {
      body = base64UrlEncode(bytes);
      if (this.#compress && this.#djangoCompression) {
        const compressed = await deflate(bytes);
        if (compressed.length < bytes.length - 1) body = "." + base64UrlEncode(compressed);
      } else if (this.#compress && bytes.length >= COMPRESS_MIN_BYTES) {
        const compressed = "." + base64UrlEncode(await deflate(bytes));
        if (compressed.length < body.length) body = compressed;
      }
    }
    const value = `${body}:${base62Encode(Math.floor(this.#now() / 1000))}`;
    const mac = hmacKey(this.#salt, this.#secrets[0]!).sign(encoder.encode(value));
    return `${value}:${base64UrlEncode(mac)}`;
  }

  /**
   * Verifies `token` against every secret and returns its payload.
   *
   * @param token a value from {@linkcode TimestampSigner.sign} (or from anyone)
   * @param maxAgeSeconds when given, a token signed longer ago than this is rejected
   * @returns the payload, or `null` when the token is malformed, forged,
   *   truncated, signed under another salt or an unknown secret, or too old. Never throws.
   * @example
   * ```ts
   * await signer.unsign("not a token"); // null
   * ```
   */
  async unsign(token: string, maxAgeSeconds?: number): Promise<string | null> {
    return (await this.unsignWithTimestamp(token, maxAgeSeconds))?.payload ?? null;
  }

  /**
   * As {@linkcode TimestampSigner.unsign}, and also gives when the token was signed.
   *
   * @param token a value from {@linkcode TimestampSigner.sign} (or from anyone)
   * @param maxAgeSeconds when given, a token signed longer ago than this is rejected
   * @returns the payload and the signing time in whole seconds since the epoch,
   *   or `null` as `unsign` gives it. Never throws.
   */
  async unsignWithTimestamp(token: string, maxAgeSeconds?: number): Promise<{ payload: string; timestamp: number } | null> {
    try {
      return await this.#unsign(token, maxAgeSeconds);
    } catch {
      return null;
    }
  }

  async #unsign(token: string, maxAgeSeconds: number | undefined): Promise<{ payload: string; timestamp: number } | null> {
    if (typeof token !== "string") return null;
    const macAt = token.lastIndexOf(":");
    if (macAt < 0 || token.length - macAt - 1 !== MAC_CHARS) return null;
    const value = token.slice(0, macAt);
    const timeAt = value.lastIndexOf(":");
    if (timeAt < 0) return null;
    const timestamp = base62Decode(value.slice(timeAt + 1));
    if (timestamp === null) return null;
    let body = value.slice(0, timeAt);
    const compressed = body.startsWith(".");
    if (compressed) body = body.slice(1);
    if (compressed && this.#encrypt) return null;
    const payload = base64UrlDecode(body);
    const mac = base64UrlDecode(token.slice(macAt + 1));
    if (payload === null || mac === null) return null;

    const signed = encoder.encode(value);
    let index = -1;
    for (let i = 0; i < this.#secrets.length; i++) {
      if (hmacKey(this.#salt, this.#secrets[i]!).verify(mac, signed)) {
        index = i;
        break;
      }
    }
    if (index < 0) return null;
    if (maxAgeSeconds !== undefined && this.#now() / 1000 - timestamp > maxAgeSeconds) return null;

    let bytes: Uint8Array<ArrayBuffer> | null = payload;
    if (this.#encrypt) {
      if (payload.length < IV_BYTES + TAG_BYTES) return null;
      const key = await aesKey(this.#salt, this.#secrets[index]!);
      const iv = payload.subarray(0, IV_BYTES);
      const sealed = payload.subarray(IV_BYTES);
      bytes = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, sealed));
    } else if (compressed) {
      bytes = await inflate(payload, MAX_INFLATED_BYTES);
      if (bytes === null) return null;
    }
    return { payload: this.#latin1 ? latin1Decode(bytes) : decoder.decode(bytes), timestamp };
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" || typeof value === "function" ? typeof value : `${typeof value} ${String(value)}`;
}

function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`Cannot use ${name} as it is not a boolean: received ${describe(value)}`);
  }
  return value;
}

/**
 * Validates the secret option. Errors give a secret's length, never its value:
 * a secret quoted in an error message ends up in logs.
 */
function checkSecrets(secret: unknown): readonly string[] {
  const list: unknown[] = Array.isArray(secret) ? [...secret] : [secret];
  if (Array.isArray(secret) && list.length === 0) {
    throw new TypeError("Cannot use secret as it is an empty array: give at least one secret");
  }
  list.forEach((item, i) => {
    const name = Array.isArray(secret) ? `secret[${i}]` : "secret";
    if (typeof item !== "string") {
      throw new TypeError(`Cannot use ${name} as it is not a string: received ${describe(item)}`);
    }
    const length = encoder.encode(item).length;
    if (length < MIN_SECRET_BYTES) {
      throw new RangeError(
        `Cannot use ${name} as it is ${length} bytes long: a secret needs at least ${MIN_SECRET_BYTES} bytes of UTF-8 (use 32 random bytes, e.g. 64 hex characters)`,
      );
    }
  });
  return Object.freeze(list as string[]);
}

// --- keys ------------------------------------------------------------------

/** Derived keys by purpose, salt and secret; bounded so that per-request stores with changing secrets cannot grow it without end. */
const keyCache = new Map<string, Promise<CryptoKey>>();
const KEY_CACHE_LIMIT = 256;

function cached(id: string, derive: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = keyCache.get(id);
  if (key === undefined) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
    key = derive();
    keyCache.set(id, key);
    key.catch(() => keyCache.delete(id));
  }
  return key;
}

const hmacCache = new Map<string, HmacSha256>();

/** HMAC-SHA-256 under the key SHA-256(salt + "signer" + secret), Django's `salted_hmac`; built once per (salt, secret). */
function hmacKey(salt: string, secret: string): HmacSha256 {
  const id = `${salt}\0${secret}`;
  let hmac = hmacCache.get(id);
  if (hmac === undefined) {
    if (hmacCache.size >= KEY_CACHE_LIMIT) hmacCache.delete(hmacCache.keys().next().value!);
    hmac = new HmacSha256(sha256(encoder.encode(salt + "signer" + secret)));
    hmacCache.set(id, hmac);
  }
  return hmac;
}

/** AES-256-GCM key = HKDF-SHA-256(secret, salt, "fetch-session.aes-256-gcm"): independent of the HMAC key. */
function aesKey(salt: string, secret: string): Promise<CryptoKey> {
  return cached(`aes\0${salt}\0${secret}`, async () => {
    const base = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: encoder.encode(salt), info: encoder.encode(AES_INFO) },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  });
}

// --- encodings -------------------------------------------------------------

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/**
 * Unpadded base64url (RFC 4648 §5), as Django's `b64_encode`.
 *
 * @param bytes the bytes to encode
 * @returns the text, without `=` padding
 * @example
 * ```ts
 * base64UrlEncode(new Uint8Array([251, 255])); // "-_8"
 * ```
 */
export function base64UrlEncode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Strict unpadded base64url decoding: only `A-Za-z0-9-_`, no padding, no
 * impossible length, and unused trailing bits must be zero (so each byte
 * string has exactly one encoding).
 *
 * @param text the text to decode
 * @returns the bytes, or `null` when `text` is not canonical base64url. Never throws.
 * @example
 * ```ts
 * base64UrlDecode("-_8"); // Uint8Array [251, 255]
 * base64UrlDecode("-_9"); // null (stray bits)
 * ```
 */
export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> | null {
  const rest = text.length % 4;
  if (rest === 1) return null;
  const out = new Uint8Array(((text.length >> 2) * 3) + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = 0;
  const sextet = (at: number): number => {
    const c = text.charCodeAt(at);
    return c < 128 ? B64_INDEX[c]! : -1;
  };
  for (; i + 3 < text.length; i += 4) {
    const a = sextet(i), b = sextet(i + 1), c = sextet(i + 2), d = sextet(i + 3);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (rest === 2) {
    const a = sextet(i), b = sextet(i + 1);
    if ((a | b) < 0 || (b & 15) !== 0) return null;
    out[o] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = sextet(i), b = sextet(i + 1), c = sextet(i + 2);
    if ((a | b | c) < 0 || (c & 3) !== 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    out[o] = (n >> 8) & 255;
  }
  return out;
}

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Django's `b62_encode` for a non-negative integer. */
function base62Encode(n: number): string {
  if (n <= 0) return "0";
  let out = "";
  while (n > 0) {
    out = B62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Base 62 to a non-negative integer, or `null` for anything else. */
function base62Decode(text: string): number | null {
  if (text.length === 0 || text.length > MAX_TIMESTAMP_CHARS) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = B62.indexOf(text[i]!);
    if (d < 0) return null;
    n = n * 62 + d;
  }
  return n;
}

/** ISO-8859-1: each byte is the code point (a `TextDecoder("latin1")` is windows-1252, which differs at 0x80-0x9F). */
function latin1Decode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// --- compression -----------------------------------------------------------

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates zlib data, giving `null` when it is corrupt or larger than `limit`. */
async function inflate(bytes: Uint8Array<ArrayBuffer>, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  } catch {
    return null;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
