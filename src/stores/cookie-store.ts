/**
 * Django's `signed_cookies` session backend: the session lives in the cookie,
 * signed (and optionally encrypted) with {@linkcode TimestampSigner}.
 *
 * @module
 */
import { MAX_COOKIE_VALUE_LENGTH } from "../cookie.ts";
import { DEFAULT_COOKIE_NAME } from "../options.ts";
import { TimestampSigner } from "../signing.ts";
import type { CookieSessionStore, SessionRecord } from "../store.ts";
import { parseJson } from "../util/json.ts";

/** Options of {@linkcode CookieStore}. */
export interface CookieStoreOptions {
  /**
   * The secret, or secrets for rotation: the first signs, every one verifies,
   * so a new secret can be put first without logging anyone out; drop the old
   * one once `maxAge` has passed. Each must be at least 32 bytes of UTF-8:
   * generate 32 random bytes (`openssl rand -hex 32`) and keep them out of the code.
   */
  secret: string | readonly string[];
  /**
   * Namespaces the signature: a cookie signed under one salt never verifies
   * under another (use one per application sharing a secret).
   *
   * @default "fetch-session.CookieStore"
   */
  salt?: string;
  /**
   * Seal the session data with AES-256-GCM so the visitor cannot read it. By
   * default the data is only signed: readable (base64 JSON) but not changeable.
   * Switching this on or off invalidates the cookies issued before.
   *
   * @default false
   */
  encrypt?: boolean;
  /**
   * The largest cookie `encode` produces, counting the cookie's name and value
   * as RFC 6265bis §5.7 does (browsers drop a larger cookie silently). At most
   * 4096: `withSession` ignores a longer cookie value, as browsers never send one.
   *
   * @default 4096
   */
  maxCookieBytes?: number;
  /**
   * The clock, in milliseconds since the epoch (inject it in tests).
   *
   * @default Date.now
   */
  now?: () => number;
}


/**
 * Keeps the whole session in the cookie, HMAC-SHA-256 signed with a timestamp
 * (Django's `signed_cookies` backend), optionally AES-GCM encrypted. There is
 * no server-side state: nothing to clean up, nothing to leak from a database.
 *
 * The trade-offs are Django's: a signed cookie cannot be revoked before it
 * expires. Logging out (`session.flush()`) expires the cookie in the browser,
 * but a copy taken earlier (by malware, a shared computer, a proxy log) stays
 * valid until its `maxAge` or expiry passes. Keep `maxAge` short, or use a
 * server-side store when logout must be final. Without `encrypt` the data is
 * readable by the visitor. Cookies are limited to about 4 KB.
 *
 * @example
 * ```ts
 * import { CookieStore, getSession, withSession } from "fetch-session";
 *
 * const app = withSession(async (request) => {
 *   const session = await getSession(request);
 *   session.set("visits", (session.get("visits") ?? 0) + 1);
 *   return new Response("ok");
 * }, { store: new CookieStore({ secret: [env.SESSION_SECRET, env.OLD_SESSION_SECRET] }) });
 * ```
 */
export class CookieStore implements CookieSessionStore {
  /** Marks this as a cookie store for `withSession`. */
  readonly kind = "cookie" as const;
  readonly #signer: TimestampSigner;
  readonly #maxCookieBytes: number;
  readonly #now: () => number;

  /**
   * @param options the secret(s) and how to seal the cookie
   * @throws {TypeError} when `secret` is not a string or a non-empty array of strings, or an option has the wrong type
   * @throws {RangeError} when a secret is shorter than 32 bytes of UTF-8, or `maxCookieBytes` is not an integer from 1 to 4096
   */
  constructor(options: CookieStoreOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Cannot create a CookieStore: options must be an object with a secret, received ${options === null ? "null" : typeof options}`);
    }
    const maxCookieBytes = options.maxCookieBytes ?? 4096;
    if (typeof maxCookieBytes !== "number") {
      throw new TypeError(`Cannot use maxCookieBytes as it is not a number: received ${typeof maxCookieBytes}`);
    }
    if (!Number.isInteger(maxCookieBytes) || maxCookieBytes <= 0 || maxCookieBytes > MAX_COOKIE_VALUE_LENGTH) {
      throw new RangeError(
        `Cannot use maxCookieBytes as it is not an integer from 1 to ${MAX_COOKIE_VALUE_LENGTH} (browsers keep no larger cookie): received ${maxCookieBytes}`,
      );
    }
    this.#maxCookieBytes = maxCookieBytes;
    this.#now = options.now ?? (() => Date.now());
    this.#signer = new TimestampSigner({
      secret: options.secret,
      salt: options.salt ?? "fetch-session.CookieStore",
      encrypt: options.encrypt ?? false,
      now: this.#now,
    });
  }

  /**
   * Verifies a cookie value and gives back the session it carries.
   *
   * @param value the cookie value, as the browser sent it
   * @param maxAgeSeconds a cookie signed longer ago than this is rejected (the cookie `maxAge`)
   * @returns the record, or `null` when the value is too large, malformed,
   *   forged, truncated, signed under an unknown secret or another salt, older
   *   than `maxAgeSeconds`, or past its `expiresAt`. Never throws.
   * @example
   * ```ts
   * const record = await store.decode(cookieValue, 1209600); // { data, expiresAt } or null
   * ```
   */
  async decode(value: string, maxAgeSeconds: number): Promise<SessionRecord | null> {
    try {
      if (typeof value !== "string" || value.length > this.#maxCookieBytes) return null;
      const maxAge = typeof maxAgeSeconds === "number" && !Number.isNaN(maxAgeSeconds) ? maxAgeSeconds : undefined;
      const payload = await this.#signer.unsign(value, maxAge);
      if (payload === null) return null;
      const parsed: unknown = parseJson(payload);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return null;
      const { d: data, e: expiresAt } = parsed as { d?: unknown; e?: unknown };
      if (data === null || typeof data !== "object" || Array.isArray(data)) return null;
      if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) return null;
      if (expiresAt <= this.#now()) return null;
      return { data: data as Record<string, unknown>, expiresAt };
    } catch {
      return null;
    }
  }

  /**
   * Signs (and with `encrypt`, seals) a session into a cookie value. The
   * record's `expiresAt` travels inside; an already expired record is encoded
   * all the same (`withSession` decides what to send).
   *
   * @param record the session's data and expiry
   * @param cookieName the cookie's name, counted in the size limit
   * @returns the cookie value: `A-Za-z0-9_-`, `:` and possibly a leading `.`
   * @throws {RangeError} when the cookie would be larger than `maxCookieBytes`
   *   (name plus value); the message gives the size
   * @throws {TypeError} when the data cannot be serialised to JSON
   * @example
   * ```ts
   * const value = await store.encode({ data: { user: 42 }, expiresAt: Date.now() + 3600_000 });
   * ```
   */
  async encode(record: SessionRecord, cookieName: string = DEFAULT_COOKIE_NAME): Promise<string> {
    const payload = JSON.stringify({ d: record.data, e: record.expiresAt });
    const value = await this.#signer.sign(payload);
    const size = cookieSize(cookieName, value);
    if (size > this.#maxCookieBytes) {
      throw new RangeError(
        `Cannot store the session in a cookie: "${cookieName}" would be ${size} bytes (name and value), ` +
          `over the ${this.#maxCookieBytes}-byte limit of browsers; keep less in the session or use a server-side store`,
      );
    }
    return value;
  }
}

/**
 * The size of a cookie as RFC 6265bis §5.7 limits it: name plus value, in
 * bytes of UTF-8. `withSession` sends the value as is (it is cookie-safe ASCII).
 */
function cookieSize(name: string, value: string): number {
  return new TextEncoder().encode(name).length + value.length;
}
