/**
 * Options of `withSession` and `openSession`: their types, their defaults,
 * and the one validator both go through (when they are called, never per
 * request).
 *
 * @module
 */
import type { CookieAttributes } from "./cookie.ts";
import { quote } from "./errors.ts";
import type { AnySessionStore } from "./store.ts";

/** Default lifetime of a session and its cookie, in seconds: two weeks (Django's `SESSION_COOKIE_AGE`). @internal */
export const DEFAULT_MAX_AGE = 1_209_600;
/** Default largest session accepted at save, in bytes of UTF-8 JSON. @internal */
export const DEFAULT_MAX_DATA_BYTES = 65_536;
/** Longest lifetime a cookie can carry, in seconds: 400 days (RFC 6265bis section 5.5 caps Max-Age and Expires there). @internal */
export const MAX_LIFETIME = 400 * 24 * 60 * 60;
/** The session cookie's default name (Django's `SESSION_COOKIE_NAME`). @internal */
export const DEFAULT_COOKIE_NAME = "sessionid";

/** `SameSite` values; `false` omits the attribute. */
export type SameSite = "Lax" | "Strict" | "None" | false;

/** The session cookie's attributes (Django's `SESSION_COOKIE_*` settings). */
export interface CookieOptions {
  /** @default "sessionid" */
  name?: string;
  /**
   * Lifetime in seconds, for the cookie and the stored session, at most
   * 34560000 (400 days, the most a browser keeps a cookie). @default 1209600 (two weeks)
   */
  maxAge?: number;
  /** @default undefined (the host only) */
  domain?: string;
  /** @default "/" */
  path?: string;
  /** @default false */
  secure?: boolean;
  /** @default true */
  httpOnly?: boolean;
  /** @default "Lax" */
  sameSite?: SameSite;
  /** CHIPS partitioned cookie (requires `secure`). @default false */
  partitioned?: boolean;
}

/** A function that builds the store for a request (Workers build it from `env`). */
export type StoreFactory<Rest extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: Rest
) => AnySessionStore | Promise<AnySessionStore>;

/** Options of `withSession`. */
export interface WithSessionOptions<Rest extends unknown[] = unknown[]> {
  /**
   * Where sessions live: a store, or a factory called per request.
   * @default the embedded libSQL store at `SESSION_DATABASE_URL` or `file:sessions.db`
   */
  store?: AnySessionStore | StoreFactory<Rest>;
  /** The session cookie. */
  cookie?: CookieOptions;
  /** Save the session and re-send the cookie on every response (Django's `SESSION_SAVE_EVERY_REQUEST`). @default false */
  saveEveryRequest?: boolean;
  /** Cookies without Max-Age, ending with the browser session (Django's `SESSION_EXPIRE_AT_BROWSER_CLOSE`). @default false */
  expireAtBrowserClose?: boolean;
  /**
   * Renew the expiry of a session that was read but not modified, at most once
   * per this many seconds (`true`: half of `cookie.maxAge`). Cheaper than
   * `saveEveryRequest` for read-heavy traffic. @default false
   */
  refreshAfter?: number | boolean;
  /** Largest session accepted at save, in bytes of UTF-8 JSON. @default 65536 */
  maxDataBytes?: number;
}

/** Options of `openSession`. */
export interface OpenSessionOptions {
  /** The store the session lives in (the same one `withSession` uses). */
  store: AnySessionStore;
  /** The default lifetime in seconds, as `cookie.maxAge` of `withSession` (at most 400 days). @default 1209600 */
  maxAge?: number;
  /** As `withSession`'s option. @default false */
  expireAtBrowserClose?: boolean;
  /** As `withSession`'s option. @default 65536 */
  maxDataBytes?: number;
}

/** The expiry and size policy of a session, validated. @internal */
export interface SessionPolicy {
  /** Default lifetime in seconds (`cookie.maxAge`). */
  readonly maxAge: number;
  readonly expireAtBrowserClose: boolean;
  /** Largest serialised session accepted at save, in bytes. */
  readonly maxDataBytes: number;
  /** The session cookie's name (a cookie store counts it in the 4096-byte limit). */
  readonly cookieName: string;
}

/** `withSession`'s options, validated and frozen. @internal */
export interface WrapperConfig {
  readonly store: AnySessionStore | StoreFactory<unknown[]> | undefined;
  readonly cookie: Readonly<CookieAttributes>;
  readonly saveEveryRequest: boolean;
  /** -1: never refresh a read-only session. */
  readonly refreshAfterMs: number;
  readonly policy: SessionPolicy;
}

// RFC 6265 section 4.1.1: cookie-name is an RFC 7230 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 section 4.1.1: path-value is any CHAR except CTLs or ";".
const PATH = /^\/[\u0020-\u003A\u003C-\u007E]*$/;
const DOMAIN = /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const WITH_SESSION_KEYS: ReadonlySet<string> = new Set(["store", "cookie", "saveEveryRequest", "expireAtBrowserClose", "refreshAfter", "maxDataBytes"]);
const OPEN_SESSION_KEYS: ReadonlySet<string> = new Set(["store", "maxAge", "expireAtBrowserClose", "maxDataBytes"]);
const COOKIE_KEYS: ReadonlySet<string> = new Set(["name", "maxAge", "domain", "path", "secure", "httpOnly", "sameSite", "partitioned"]);

/** The TypeError for an option of the wrong type. @internal */
export function optionTypeError(option: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Invalid option ${option}: expected ${expected}, received ${quote(value)}`);
}

/** Whether `value` has the methods of a server-side store or of a cookie store. @internal */
export function isStore(value: unknown): value is AnySessionStore {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === "cookie") return typeof v.decode === "function" && typeof v.encode === "function";
  return ["load", "create", "update", "delete"].every((m) => typeof v[m] === "function");
}

const STORE_EXPECTED = "a SessionStore (load, create, update, delete) or a CookieStore";

function checkObject(option: string, value: unknown, keys: ReadonlySet<string>, prefix: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw optionTypeError(option, "an object", value);
  for (const key of Object.keys(value)) {
    if (!keys.has(key)) throw new TypeError(`Unknown option ${prefix === "" ? quote(key) : `${prefix}${key}`}: expected one of ${[...keys].join(", ")}`);
  }
  return value as Record<string, unknown>;
}

function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw optionTypeError(option, "a boolean", value);
  return value;
}

/**
 * A lifetime in whole seconds, 0 to 400 days.
 *
 * @throws {TypeError} when not a number
 * @throws {RangeError} when not a whole number in range
 */
function checkMaxAge(option: string, value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_AGE;
  if (typeof value !== "number") throw optionTypeError(option, "a number of seconds", value);
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_LIFETIME) {
    throw new RangeError(
      `Invalid option ${option}: expected a whole number of seconds from 0 to ${MAX_LIFETIME} (400 days, the most a browser keeps a cookie), received ${quote(value)}`,
    );
  }
  return value;
}

function checkMaxDataBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_DATA_BYTES;
  if (typeof value !== "number") throw optionTypeError("maxDataBytes", "a number of bytes", value);
  if (!Number.isSafeInteger(value) || value < 2) {
    throw new RangeError(`Invalid option maxDataBytes: expected a whole number of bytes >= 2, received ${quote(value)}`);
  }
  return value;
}

/** The policy options `withSession` and `openSession` share, checked the same way for both. */
function checkPolicy(maxAgeOption: string, options: Record<string, unknown>, maxAge: unknown, cookieName: string): SessionPolicy {
  return Object.freeze({
    maxAge: checkMaxAge(maxAgeOption, maxAge),
    expireAtBrowserClose: checkBoolean("expireAtBrowserClose", options.expireAtBrowserClose, false),
    maxDataBytes: checkMaxDataBytes(options.maxDataBytes),
    cookieName,
  });
}

function isWorkers(): boolean {
  return typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
}

function checkCookie(value: unknown): { attributes: CookieAttributes; maxAge: unknown } {
  const cookie = checkObject("cookie", value ?? {}, COOKIE_KEYS, "cookie.");
  const name = cookie.name ?? DEFAULT_COOKIE_NAME;
  if (typeof name !== "string") throw optionTypeError("cookie.name", "a string", name);
  if (!TOKEN.test(name)) throw new RangeError(`Invalid option cookie.name: ${quote(name)} is not a valid cookie name (RFC 6265 token)`);
  const domain = cookie.domain;
  if (domain !== undefined) {
    if (typeof domain !== "string") throw optionTypeError("cookie.domain", "a string", domain);
    if (!DOMAIN.test(domain)) throw new RangeError(`Invalid option cookie.domain: ${quote(domain)} is not a domain name`);
  }
  const path = cookie.path ?? "/";
  if (typeof path !== "string") throw optionTypeError("cookie.path", "a string", path);
  if (!PATH.test(path)) throw new RangeError(`Invalid option cookie.path: ${quote(path)} must start with "/" and contain no ";" or control characters`);
  const secure = checkBoolean("cookie.secure", cookie.secure, false);
  const httpOnly = checkBoolean("cookie.httpOnly", cookie.httpOnly, true);
  const partitioned = checkBoolean("cookie.partitioned", cookie.partitioned, false);
  const sameSiteIn = cookie.sameSite ?? "Lax";
  let sameSite: CookieAttributes["sameSite"];
  if (sameSiteIn === false) sameSite = false;
  else if (typeof sameSiteIn !== "string") throw optionTypeError("cookie.sameSite", '"Lax", "Strict", "None" or false', sameSiteIn);
  else {
    const lower = sameSiteIn.toLowerCase();
    if (lower !== "lax" && lower !== "strict" && lower !== "none") {
      throw new RangeError(`Invalid option cookie.sameSite: expected "Lax", "Strict", "None" or false, received ${quote(sameSiteIn)}`);
    }
    sameSite = lower;
  }
  // RFC 6265bis section 5.6.7: browsers reject SameSite=None without Secure.
  if (sameSite === "none" && !secure) throw new RangeError('Invalid option cookie.sameSite: "None" requires cookie.secure: true');
  // CHIPS: Partitioned cookies must be Secure.
  if (partitioned && !secure) throw new RangeError("Invalid option cookie.partitioned: requires cookie.secure: true");
  // RFC 6265bis section 4.1.3: cookie name prefixes.
  const lowerName = name.toLowerCase();
  if (lowerName.startsWith("__secure-") && !secure) {
    throw new RangeError(`Invalid option cookie.name: ${quote(name)} requires cookie.secure: true (RFC 6265bis __Secure- prefix)`);
  }
  if (lowerName.startsWith("__host-") && (!secure || path !== "/" || domain !== undefined)) {
    throw new RangeError(
      `Invalid option cookie.name: ${quote(name)} requires cookie.secure: true, cookie.path: "/" and no cookie.domain (RFC 6265bis __Host- prefix)`,
    );
  }
  const attributes: CookieAttributes = Object.freeze({ name, domain, path, secure, httpOnly, sameSite, partitioned });
  return { attributes, maxAge: cookie.maxAge };
}

/**
 * Validates and freezes `withSession`'s options.
 *
 * @throws {TypeError} for an option of the wrong type or an unknown option
 * @throws {RangeError} for an option out of range
 * @internal
 */
export function withSessionConfig(input: unknown): WrapperConfig {
  const options = checkObject("options", input === undefined ? {} : input, WITH_SESSION_KEYS, "");
  const store = options.store;
  if (store !== undefined && typeof store !== "function" && !isStore(store)) {
    throw optionTypeError("store", `${STORE_EXPECTED}, or a function returning one`, store);
  }
  if (store === undefined && isWorkers()) {
    throw new TypeError(
      "withSession() needs a store on Cloudflare Workers: the default embedded libSQL store uses native code. " +
        "Pass a D1-backed store, e.g. { store: (request, env) => new KyselyStore({ db: new Kysely({ dialect: new D1Dialect({ database: env.DB }) }) }) }, " +
        "or a CookieStore",
    );
  }
  const { attributes, maxAge } = checkCookie(options.cookie);
  const policy = checkPolicy("cookie.maxAge", options, maxAge, attributes.name);
  const saveEveryRequest = checkBoolean("saveEveryRequest", options.saveEveryRequest, false);
  const refreshIn = options.refreshAfter ?? false;
  let refreshAfterMs: number;
  if (typeof refreshIn === "boolean") refreshAfterMs = refreshIn ? (policy.maxAge * 1000) / 2 : -1;
  else if (typeof refreshIn !== "number") throw optionTypeError("refreshAfter", "a number of seconds or a boolean", refreshIn);
  else if (!Number.isFinite(refreshIn) || refreshIn < 0) {
    throw new RangeError(`Invalid option refreshAfter: expected seconds >= 0, received ${quote(refreshIn)}`);
  } else refreshAfterMs = refreshIn * 1000;
  return Object.freeze({
    store: store as WrapperConfig["store"],
    cookie: attributes,
    saveEveryRequest,
    refreshAfterMs,
    policy,
  });
}

/**
 * Validates `openSession`'s options with the same rules as `withSession`'s.
 *
 * @throws {TypeError} for an option of the wrong type, an unknown option, or a missing store
 * @throws {RangeError} for an option out of range
 * @internal
 */
export function openSessionConfig(input: unknown): { store: AnySessionStore; policy: SessionPolicy } {
  const options = checkObject("options", input, OPEN_SESSION_KEYS, "");
  const store = options.store;
  if (!isStore(store)) throw optionTypeError("store", `openSession() to get options.store, ${STORE_EXPECTED}`, store);
  return { store, policy: checkPolicy("maxAge", options, options.maxAge, DEFAULT_COOKIE_NAME) };
}
