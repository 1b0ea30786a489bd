/**
 * `withSession` and `getSession`: Django's `SessionMiddleware` for fetch handlers.
 *
 * @module
 */
import {
  type CookieAttributes,
  readCookie,
  serializeCookie,
  serializeExpiredCookie,
} from "./cookie.ts";
import { quote, SessionInterruptedError } from "./errors.ts";
import { isValidKey } from "./keys.ts";
import { Session, type SessionContext, type SessionData, storeCall, storeIdOf } from "./session.ts";
import { type AnySessionStore, isCookieStore, type SessionRecord } from "./store.ts";

/** `SameSite` values; `false` omits the attribute. */
export type SameSite = "Lax" | "Strict" | "None" | false;

/** The session cookie's attributes (Django's `SESSION_COOKIE_*` settings). */
export interface CookieOptions {
  /** @default "sessionid" */
  name?: string;
  /** Lifetime in seconds, for the cookie and the stored session. @default 1209600 (two weeks) */
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
  /** Largest session accepted at save, in bytes of JSON. @default 65536 */
  maxDataBytes?: number;
}

/** A fetch handler: a `Request` and whatever else the runtime passes. */
export type SessionHandler<Rest extends unknown[], Result> = (request: Request, ...rest: Rest) => Result;

interface Config {
  readonly store: AnySessionStore | StoreFactory<unknown[]> | undefined;
  readonly cookie: Readonly<CookieAttributes>;
  readonly saveEveryRequest: boolean;
  readonly refreshAfterMs: number;
  readonly ctx: Omit<SessionContext, "store">;
}

interface RequestState {
  readonly config: Config;
  readonly request: Request;
  readonly rest: unknown[];
  /** The incoming cookie value: undefined = not read yet, null = none came in. */
  cookie: string | null | undefined;
  session: Promise<Session> | undefined;
  store: AnySessionStore | undefined;
}

const states = new WeakMap<Request, RequestState>();

const DEFAULT_MAX_AGE = 1_209_600;
const DEFAULT_MAX_DATA_BYTES = 65_536;
// RFC 6265 section 4.1.1: cookie-name is an RFC 7230 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 section 4.1.1: path-value is any CHAR except CTLs or ";".
const PATH = /^\/[\u0020-\u003A\u003C-\u007E]*$/;
const DOMAIN = /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const OPTION_KEYS = new Set(["store", "cookie", "saveEveryRequest", "expireAtBrowserClose", "refreshAfter", "maxDataBytes"]);
const COOKIE_KEYS = new Set(["name", "maxAge", "domain", "path", "secure", "httpOnly", "sameSite", "partitioned"]);

function typeError(option: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Invalid option ${option}: expected ${expected}, received ${quote(value)}`);
}

function isStore(value: unknown): value is AnySessionStore {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === "cookie") return typeof v.decode === "function" && typeof v.encode === "function";
  return ["load", "create", "update", "delete"].every((m) => typeof v[m] === "function");
}

function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw typeError(option, "a boolean", value);
  return value;
}

function isWorkers(): boolean {
  return typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
}

/** Validates and freezes the options (once, when `withSession` is called). */
function configure(options: WithSessionOptions<unknown[]> | undefined): Config {
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null) throw typeError("options", "an object", options);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`Unknown option ${quote(key)}: expected one of ${[...OPTION_KEYS].join(", ")}`);
  }
  const { store } = options;
  if (store !== undefined && typeof store !== "function" && !isStore(store)) {
    throw typeError("store", "a SessionStore (load, create, update, delete), a CookieStore, or a function returning one", store);
  }
  if (store === undefined && isWorkers()) {
    throw new TypeError(
      "withSession() needs a store on Cloudflare Workers: the default embedded libSQL store uses native code. " +
        "Pass a D1-backed store, e.g. { store: (request, env) => new KyselyStore({ db: new Kysely({ dialect: new D1Dialect({ database: env.DB }) }) }) }, " +
        "or a CookieStore",
    );
  }

  const cookie = options.cookie ?? {};
  if (typeof cookie !== "object" || cookie === null) throw typeError("cookie", "an object", cookie);
  for (const key of Object.keys(cookie)) {
    if (!COOKIE_KEYS.has(key)) throw new TypeError(`Unknown option cookie.${key}: expected one of ${[...COOKIE_KEYS].join(", ")}`);
  }
  const name = cookie.name ?? "sessionid";
  if (typeof name !== "string") throw typeError("cookie.name", "a string", name);
  if (!TOKEN.test(name)) throw new RangeError(`Invalid option cookie.name: ${quote(name)} is not a valid cookie name (RFC 6265 token)`);
  const maxAge = cookie.maxAge ?? DEFAULT_MAX_AGE;
  if (typeof maxAge !== "number") throw typeError("cookie.maxAge", "a number of seconds", maxAge);
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new RangeError(`Invalid option cookie.maxAge: expected a whole number of seconds >= 0, received ${quote(maxAge)}`);
  }
  const domain = cookie.domain;
  if (domain !== undefined) {
    if (typeof domain !== "string") throw typeError("cookie.domain", "a string", domain);
    if (!DOMAIN.test(domain)) throw new RangeError(`Invalid option cookie.domain: ${quote(domain)} is not a domain name`);
  }
  const path = cookie.path ?? "/";
  if (typeof path !== "string") throw typeError("cookie.path", "a string", path);
  if (!PATH.test(path)) throw new RangeError(`Invalid option cookie.path: ${quote(path)} must start with "/" and contain no ";" or control characters`);
  const secure = checkBoolean("cookie.secure", cookie.secure, false);
  const httpOnly = checkBoolean("cookie.httpOnly", cookie.httpOnly, true);
  const partitioned = checkBoolean("cookie.partitioned", cookie.partitioned, false);
  const sameSiteIn = cookie.sameSite ?? "Lax";
  let sameSite: CookieAttributes["sameSite"];
  if (sameSiteIn === false) sameSite = false;
  else if (typeof sameSiteIn !== "string") throw typeError("cookie.sameSite", '"Lax", "Strict", "None" or false', sameSiteIn);
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

  const saveEveryRequest = checkBoolean("saveEveryRequest", options.saveEveryRequest, false);
  const expireAtBrowserClose = checkBoolean("expireAtBrowserClose", options.expireAtBrowserClose, false);
  const refreshIn = options.refreshAfter ?? false;
  let refreshAfterMs: number;
  if (typeof refreshIn === "boolean") refreshAfterMs = refreshIn ? (maxAge * 1000) / 2 : -1;
  else if (typeof refreshIn !== "number") throw typeError("refreshAfter", "a number of seconds or a boolean", refreshIn);
  else if (!Number.isFinite(refreshIn) || refreshIn < 0) {
    throw new RangeError(`Invalid option refreshAfter: expected seconds >= 0, received ${quote(refreshIn)}`);
  } else refreshAfterMs = refreshIn * 1000;
  const maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
  if (typeof maxDataBytes !== "number") throw typeError("maxDataBytes", "a number of bytes", maxDataBytes);
  if (!Number.isSafeInteger(maxDataBytes) || maxDataBytes < 2) {
    throw new RangeError(`Invalid option maxDataBytes: expected a whole number of bytes >= 2, received ${quote(maxDataBytes)}`);
  }

  const attributes: CookieAttributes = Object.freeze({ name, domain, path, secure, httpOnly, sameSite, partitioned });
  return Object.freeze({
    store: store as Config["store"],
    cookie: attributes,
    saveEveryRequest,
    refreshAfterMs,
    ctx: Object.freeze({ maxAge, expireAtBrowserClose, maxDataBytes, cookieName: name }),
  });
}

let defaultStore: Promise<AnySessionStore> | undefined;

/** The embedded libSQL store, loaded on first use so that bundles that pass a store never load native code. */
function loadDefaultStore(): Promise<AnySessionStore> {
  defaultStore ??= (async () => {
    // A computed specifier, so bundlers leave it alone; undefined in workerd (which has no default store).
    const here = (import.meta as { url?: string }).url;
    let url = "./stores/libsql";
    let module: { createDefaultStore(): Promise<AnySessionStore> };
    try {
      if (here === undefined) throw new TypeError("import.meta.url is not available in this runtime");
      url = new URL(`./stores/libsql${here.endsWith(".ts") ? ".ts" : ".js"}`, here).href;
      module = await import(/* @vite-ignore */ url);
    } catch (error) {
      throw new TypeError(
        `withSession() has no store and could not load the default libSQL store from ${url}; ` +
          "pass one, e.g. { store: await createLibsqlStore({ url }) } from fetch-session/libsql",
        { cause: error },
      );
    }
    return module.createDefaultStore();
  })();
  defaultStore.catch(() => {
    defaultStore = undefined;
  });
  return defaultStore;
}

async function resolveStore(state: RequestState): Promise<AnySessionStore> {
  if (state.store !== undefined) return state.store;
  const option = state.config.store;
  let store: AnySessionStore;
  if (option === undefined) store = await loadDefaultStore();
  else if (typeof option === "function") {
    store = await option(state.request, ...state.rest);
    if (!isStore(store)) throw typeError("store", "the store factory to return a SessionStore or CookieStore", store);
  } else store = option;
  state.store = store;
  return store;
}

function incomingCookie(state: RequestState): string | null {
  if (state.cookie === undefined) {
    state.cookie = readCookie(state.request.headers.get("cookie"), state.config.cookie.name) ?? null;
  }
  return state.cookie;
}

async function loadSession(state: RequestState): Promise<Session> {
  const store = await resolveStore(state);
  const ctx: SessionContext = { ...state.config.ctx, store };
  const value = incomingCookie(state);
  if (value === null || value === "") return new Session(ctx, null, null, null);
  if (isCookieStore(store)) {
    let record: SessionRecord | null = null;
    try {
      record = await store.decode(value, ctx.maxAge);
    } catch (error) {
      // A cookie store must not throw on client input; treat it as no session.
      console.warn("fetch-session: the cookie store threw while decoding a cookie; starting a fresh session", error);
    }
    return new Session(ctx, value, null, checkRecord(record));
  }
  if (!isValidKey(value)) return new Session(ctx, null, null, null);
  const id = storeIdOf(store, value);
  const record = await storeCall("load the session", () => store.load(id));
  return new Session(ctx, value, id, checkRecord(record));
}

/** A record whose data is not a plain object loads as an empty session (and is logged). */
function checkRecord(record: SessionRecord | null): SessionRecord | null {
  if (record === null) return null;
  const data = record.data;
  if (typeof data === "object" && data !== null && !Array.isArray(data)) return record;
  console.warn("fetch-session: session data corrupted (not an object); loading it as an empty session");
  return { data: {}, expiresAt: record.expiresAt };
}

function openSession(state: RequestState): Promise<Session> {
  state.session ??= loadSession(state);
  return state.session;
}

/**
 * The session of a request wrapped by `withSession`. Loaded at most once per
 * request: later and concurrent calls return the same object. A handler that
 * never calls it costs no store access.
 *
 * @typeParam Data the shape of the session's data
 * @param request the request the wrapped handler received
 * @returns the session
 * @throws {TypeError} when `withSession` did not wrap the handler that received `request`
 * @throws {SessionStoreError} when the store fails to load the session
 * @example
 * ```ts
 * const session = await getSession<{ num_visits: number }>(request);
 * session.set("num_visits", (session.get("num_visits") ?? 0) + 1);
 * ```
 */
export async function getSession<Data extends SessionData = SessionData>(request: Request): Promise<Session<Data>> {
  const state = states.get(request);
  if (state === undefined) {
    throw new TypeError(
      "getSession() was called with a request that withSession() did not wrap: wrap the handler with withSession(handler) and pass it the same Request object",
    );
  }
  const session = await openSession(state);
  session.markAccessed();
  return session as unknown as Session<Data>;
}

/** Appends `Cookie` to Vary unless it (or `*`) is already there, keeping order (Django's `patch_vary_headers`). */
function addVary(headers: Headers): void {
  const vary = headers.get("vary");
  if (vary === null || vary.trim() === "") {
    headers.set("vary", "Cookie");
    return;
  }
  for (const part of vary.split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "*" || name === "cookie") return;
  }
  headers.set("vary", `${vary}, Cookie`);
}

/** Applies header changes, copying the response first when its headers are immutable. */
function withHeaders(response: Response, setCookie: string | undefined, vary: boolean): Response {
  if (setCookie === undefined && !vary) return response;
  const apply = (headers: Headers) => {
    if (setCookie !== undefined) headers.append("set-cookie", setCookie);
    if (vary) addVary(headers);
  };
  try {
    apply(response.headers);
    return response;
  } catch {
    // Response.redirect() and fetch() responses have immutable headers; the first change throws, so nothing was applied.
    const copy = new Response(response.body, response);
    apply(copy.headers);
    return copy;
  }
}

const warnedInsecure = new WeakSet<Config>();

function warnIfInsecure(state: RequestState): void {
  const config = state.config;
  if (config.cookie.secure || warnedInsecure.has(config)) return;
  if (!state.request.url.startsWith("https:")) return;
  warnedInsecure.add(config);
  console.warn(
    "fetch-session: a request arrived over HTTPS but cookie.secure is false, so the session cookie can leak over plain HTTP; set cookie: { secure: true }",
  );
}

function interrupted(state: RequestState, response: Response): Response {
  response.body?.cancel().catch(() => {});
  const error = new SessionInterruptedError();
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
  headers.append("set-cookie", serializeExpiredCookie(state.config.cookie));
  headers.set("vary", "Cookie");
  return new Response(error.message, { status: 400, headers });
}

/** Django's `SessionMiddleware.process_response`: save when needed and set or expire the cookie. */
async function respond(state: RequestState, response: Response): Promise<Response> {
  const config = state.config;
  let pending = state.session;
  const openedByHandler = pending !== undefined;
  if (pending === undefined) {
    // Untouched: no store call, no header change. With saveEveryRequest an incoming cookie is renewed.
    if (!config.saveEveryRequest || incomingCookie(state) === null) return response;
    pending = openSession(state);
  }
  let session: Session;
  try {
    session = await pending;
  } catch (error) {
    // The handler got this SessionStoreError from getSession() and answered anyway (e.g. a 503): keep its response.
    if (openedByHandler) return response;
    throw error;
  }
  const cookieCameIn = incomingCookie(state) !== null;
  const accessed = session.accessed;
  const modified = session.modified;
  const empty = session.isEmpty();

  if (cookieCameIn && empty) {
    return withHeaders(response, serializeExpiredCookie(config.cookie), true);
  }
  const refresh =
    config.refreshAfterMs >= 0 &&
    session.key !== null &&
    session.storedExpiresAt > 0 &&
    Date.now() - (session.storedExpiresAt - session.getExpiryAge() * 1000) >= config.refreshAfterMs;
  if (!(modified || config.saveEveryRequest || refresh) || empty || response.status >= 500) {
    return withHeaders(response, undefined, accessed);
  }
  try {
    await session.save();
  } catch (error) {
    if (error instanceof SessionInterruptedError) return interrupted(state, response);
    throw error;
  }
  warnIfInsecure(state);
  const maxAge = session.getExpireAtBrowserClose() ? undefined : Math.max(0, session.getExpiryAge());
  const setCookie = serializeCookie(config.cookie, session.key!, maxAge, Date.now());
  return withHeaders(response, setCookie, true);
}

/**
 * Wraps a fetch handler so that `getSession(request)` works inside it, and
 * saves the session and sets the cookie when the response is returned.
 *
 * @param handler `(request, ...rest) => Response`; extra arguments (Bun's
 *   `server`, Deno's `info`, Workers' `env, ctx`) pass through untouched
 * @param options store, cookie and policy options (validated now)
 * @returns a handler with the same parameters
 * @throws {TypeError} for an option of the wrong type
 * @throws {RangeError} for an option out of range
 * @example
 * ```ts
 * import { withSession, getSession, MemoryStore } from "fetch-session";
 *
 * const app = withSession(async (request: Request) => {
 *   const session = await getSession<{ num_visits: number }>(request);
 *   const visits = (session.get("num_visits") ?? 0) + 1;
 *   session.set("num_visits", visits);
 *   return new Response(`You have visited this page ${visits} times.`);
 * }, { store: new MemoryStore() });
 *
 * Bun.serve({ fetch: app });
 * ```
 */
export function withSession<Rest extends unknown[], Result extends Response | undefined | void>(
  handler: SessionHandler<Rest, Promise<Result>>,
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Promise<Result>;
export function withSession<Rest extends unknown[], Result extends Response | undefined | void>(
  handler: SessionHandler<Rest, Result | Promise<Result>>,
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Result | Promise<Result>;
export function withSession<Rest extends unknown[], Result extends Response | undefined | void>(
  handler: SessionHandler<Rest, Result | Promise<Result>>,
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Result | Promise<Result> {
  if (typeof handler !== "function") throw typeError("handler", "a function", handler);
  const config = configure(options as WithSessionOptions<unknown[]> | undefined);

  function finish(state: RequestState, response: Result): Result | Promise<Result> {
    // Untouched: the handler's result, as it returned it (no store call, no header change, no extra tick).
    if (state.session === undefined && !config.saveEveryRequest) return response;
    // Bun's server.upgrade() leaves nothing to return; a 101 cannot be copied or given headers.
    if (!isResponse(response) || response.status === 101) return saveUpgrade(state).then(() => response);
    return respond(state, response) as Promise<Result>;
  }

  return function sessionHandler(request: Request, ...rest: Rest): Result | Promise<Result> {
    const state: RequestState = { config, request, rest, cookie: undefined, session: undefined, store: undefined };
    states.set(request, state);
    let result: Result | Promise<Result>;
    try {
      result = handler(request, ...rest);
    } catch (error) {
      return Promise.reject(error);
    }
    // A handler that answered synchronously keeps Bun's and Deno's fast path for synchronous responses.
    if (typeof (result as Promise<Result> | undefined)?.then === "function") {
      return (result as Promise<Result>).then((response) => finish(state, response));
    }
    return finish(state, result as Result);
  };
}

function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  return (
    typeof value === "object" && value !== null && typeof (value as Response).status === "number" &&
    typeof (value as Response).headers?.get === "function"
  );
}

/**
 * On a WebSocket upgrade, changes to an existing session are saved; no cookie
 * can be sent. The upgrade goes through whatever happens to the session: the
 * socket is already open (Bun) or the 101 is all that can be returned.
 */
async function saveUpgrade(state: RequestState): Promise<void> {
  if (state.session === undefined) return;
  let session: Session;
  try {
    session = await state.session;
  } catch {
    return; // the handler got this load error from getSession() and upgraded anyway
  }
  if (!session.modified || session.key === null || isCookieStore(state.store!)) return;
  try {
    await session.save();
  } catch (error) {
    // A session deleted meanwhile (a concurrent logout) stays deleted.
    if (error instanceof SessionInterruptedError) return;
    throw error;
  }
}
