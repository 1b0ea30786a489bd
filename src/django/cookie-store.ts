/**
 * `djangoCookieStore`: sessions in the cookie, in the exact format of Django's
 * `django.contrib.sessions.backends.signed_cookies`.
 *
 * @module
 */
import { TimestampSigner } from "../signing.ts";
import type { CookieSessionStore, SessionRecord } from "../store.ts";
import { parseJson } from "../util/json.ts";
import { djangoJson } from "./json.ts";
import { fromDjango, toDjango } from "./names.ts";

/** Options of {@linkcode djangoCookieStore}. */
export interface DjangoCookieStoreOptions {
  /** Django's `SECRET_KEY` (at least 32 bytes of UTF-8). */
  secretKey: string;
  /** Django's `SECRET_KEY_FALLBACKS` (Django 4.1+): older keys that still verify, tried in order. */
  fallbackKeys?: readonly string[];
  /**
   * Django's `SESSION_COOKIE_AGE`, in seconds: a token signed longer ago than
   * this is refused, whatever `_session_expiry` says (Django's rule for
   * signed-cookie sessions).
   *
   * @default the `cookie.maxAge` of `withSession` (whose default, 1209600, is Django's)
   */
  maxAge?: number;
  /**
   * The largest cookie `encode` produces, counting its name and value (at most 4096).
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

/** The salt Django's `signed_cookies` backend signs with. */
export const DJANGO_COOKIE_SALT = "django.contrib.sessions.backends.signed_cookies";

/**
 * A cookie store that reads and writes exactly what Django's
 * `SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"` does:
 * `signing.dumps(session_dict, salt="django.contrib.sessions.backends.signed_cookies", compress=True)`
 * with Django's JSON serializer, verified against `SECRET_KEY` then each of
 * `SECRET_KEY_FALLBACKS`, and refused once older than `SESSION_COOKIE_AGE`.
 *
 * Keys cross under Django's names: Django's `_session_expiry` is the
 * library's expiry (`setExpiry`), Django's `testcookie` its test cookie, and
 * `_auth_user_id`, `_auth_user_backend`, `_auth_user_hash` can be read with
 * `session.get("_auth_user_id")` and are kept by every save but a logout.
 *
 * As with Django, a signed cookie cannot be revoked: logging out expires it in
 * the browser, but a copy taken earlier stays valid until `maxAge` passes.
 *
 * @param options Django's secret key(s) and cookie age
 * @returns the store, for `withSession({ store })`
 * @throws {TypeError} when an option has the wrong type
 * @throws {RangeError} when a key is shorter than 32 bytes of UTF-8, or `maxAge` or `maxCookieBytes` is out of range
 * @example
 * ```ts
 * import { getSession, withSession } from "fetch-session";
 * import { djangoCookieStore } from "fetch-session/django";
 *
 * const app = withSession(async (request) => {
 *   const session = await getSession(request);
 *   return new Response(`user ${session.get("_auth_user_id") ?? "anonymous"}`);
 * }, { store: djangoCookieStore({ secretKey: process.env.DJANGO_SECRET_KEY! }) });
 * ```
 */
export function djangoCookieStore(options: DjangoCookieStoreOptions): CookieSessionStore {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`djangoCookieStore() needs an options object with secretKey: received ${options === null ? "null" : typeof options}`);
  }
  const secrets = djangoSecrets("djangoCookieStore", options.secretKey, options.fallbackKeys);
  const maxAge = options.maxAge;
  if (maxAge !== undefined && (typeof maxAge !== "number" || !Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw new RangeError(`djangoCookieStore() option maxAge must be a whole number of seconds >= 0: received ${String(maxAge)}`);
  }
  const maxCookieBytes = options.maxCookieBytes ?? 4096;
  // withSession ignores a cookie value over 4096 bytes, so a larger cookie would be a lost session.
  if (typeof maxCookieBytes !== "number" || !Number.isSafeInteger(maxCookieBytes) || maxCookieBytes <= 0 || maxCookieBytes > 4096) {
    throw new RangeError(`djangoCookieStore() option maxCookieBytes must be a whole number from 1 to 4096: received ${String(maxCookieBytes)}`);
  }
  const now = options.now ?? (() => Date.now());
  if (typeof now !== "function") throw new TypeError(`djangoCookieStore() option now must be a function: received ${typeof now}`);
  const signer = new TimestampSigner({
    secret: secrets,
    salt: DJANGO_COOKIE_SALT,
    compressWhen: "django",
    payloadEncoding: "latin1",
    now,
  });

  return {
    kind: "cookie",

    async decode(value: string, maxAgeSeconds: number): Promise<SessionRecord | null> {
      try {
        if (typeof value !== "string" || value.length > maxCookieBytes) return null;
        const age = maxAge ?? (Number.isFinite(maxAgeSeconds) ? maxAgeSeconds : undefined);
        if (age === undefined) return null;
        const unsigned = await signer.unsignWithTimestamp(value, age);
        if (unsigned === null) return null;
        const parsed: unknown = parseJson(unsigned.payload);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return null;
        return { data: fromDjango(parsed as Record<string, unknown>), expiresAt: (unsigned.timestamp + age) * 1000 };
      } catch {
        return null;
      }
    },

    async encode(record: SessionRecord, cookieName = "sessionid"): Promise<string> {
      const value = await signer.sign(djangoJson(toDjango(record.data, now())));
      const size = new TextEncoder().encode(cookieName).length + value.length;
      if (size > maxCookieBytes) {
        throw new RangeError(
          `Cannot store the session in a cookie: "${cookieName}" would be ${size} bytes (name and value), ` +
            `over the ${maxCookieBytes}-byte limit of browsers; keep less in the session or use djangoDatabaseStore`,
        );
      }
      return value;
    },
  };
}

/**
 * `SECRET_KEY` then `SECRET_KEY_FALLBACKS`, checked.
 *
 * @internal
 */
export function djangoSecrets(caller: string, secretKey: unknown, fallbackKeys: unknown): string[] {
  if (typeof secretKey !== "string") {
    throw new TypeError(`${caller}() needs secretKey, Django's SECRET_KEY, as a string: received ${secretKey === null ? "null" : typeof secretKey}`);
  }
  if (fallbackKeys !== undefined && (!Array.isArray(fallbackKeys) || !fallbackKeys.every((key) => typeof key === "string"))) {
    throw new TypeError(`${caller}() option fallbackKeys must be an array of strings (Django's SECRET_KEY_FALLBACKS)`);
  }
  const keys = [secretKey, ...((fallbackKeys ?? []) as string[])];
  keys.forEach((key, i) => {
    const bytes = new TextEncoder().encode(key).length;
    if (bytes < 32) {
      // The length only: a key quoted in an error message ends up in logs.
      throw new RangeError(
        `${caller}() option ${i === 0 ? "secretKey" : `fallbackKeys[${i - 1}]`} is ${bytes} bytes long: ` +
          "fetch-session needs at least 32 bytes (Django's startproject writes 50 random characters after django-insecure-)",
      );
    }
  });
  return keys;
}
