/**
 * The `Session` class: Django's `SessionBase` with TypeScript names.
 *
 * @module
 */
import { quote, SessionDataTooLargeError, SessionInterruptedError, SessionStoreError } from "./errors.ts";
import { generateKey, hashKey } from "./keys.ts";
import { type AnySessionStore, isCookieStore, type SessionPatch, type SessionRecord, type SessionStore } from "./store.ts";

/** The shape of a session's data: JSON values under string keys. */
export type SessionData = Record<string, unknown>;

/** Where a session lives and the policy that governs it (internal). */
export interface SessionContext {
  readonly store: AnySessionStore;
  /** Default lifetime in seconds (`cookie.maxAge`). */
  readonly maxAge: number;
  readonly expireAtBrowserClose: boolean;
  /** Largest serialised session accepted at save, in bytes. */
  readonly maxDataBytes: number;
  /** The session cookie's name (a cookie store counts it in the 4096-byte limit). */
  readonly cookieName?: string;
}

const EXPIRY = "_expiry";
const TEST_COOKIE = "_testcookie";
const FLASH = "_flash";
const TEST_COOKIE_VALUE = "worked";
/** The library's own entries: hidden from every read. Other `_` keys (Django's `_auth_user_id`) can be read. */
const OWN_KEYS: ReadonlySet<string> = new Set([EXPIRY, TEST_COOKIE, FLASH]);
const MAX_CREATE_ATTEMPTS = 10;

const encoder = new TextEncoder();

function checkUserKey(key: unknown, method: string): asserts key is string {
  if (typeof key !== "string") {
    throw new TypeError(`Session.${method}() needs a string key: received ${quote(key)}`);
  }
  if (key.startsWith("_")) {
    throw new RangeError(`Session keys starting with "_" are reserved for fetch-session: received ${quote(key)}`);
  }
}

/**
 * Throws a TypeError naming `key` when `value` would not come back from JSON as
 * it went in: functions, symbols, bigints, `undefined`, `NaN`, `Infinity`,
 * cycles, and objects that are neither plain objects, arrays, nor have `toJSON`.
 */
function checkJsonValue(value: unknown, key: string, path: string, ancestors: unknown[]): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (Number.isFinite(value)) return;
      throw new TypeError(`Cannot store ${value} at ${path} in session key ${quote(key)}: JSON has no ${value}`);
    case "object": {
      if (value === null) return;
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        checkJsonValue(toJSON.call(value, ""), key, path, ancestors);
        return;
      }
      if (ancestors.includes(value)) {
        throw new TypeError(`Cannot store a cycle at ${path} in session key ${quote(key)}`);
      }
      if (Array.isArray(value)) {
        ancestors.push(value);
        for (let i = 0; i < value.length; i++) checkJsonValue(value[i], key, `${path}[${i}]`, ancestors);
        ancestors.pop();
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? "object";
        throw new TypeError(
          `Cannot store a ${name} at ${path} in session key ${quote(key)}: only plain objects, arrays and values with toJSON() survive JSON`,
        );
      }
      ancestors.push(value);
      for (const k of Object.keys(value)) {
        checkJsonValue((value as Record<string, unknown>)[k], key, `${path}.${k}`, ancestors);
      }
      ancestors.pop();
      return;
    }
    default:
      throw new TypeError(`Cannot store ${typeof value} at ${path} in session key ${quote(key)}: it does not survive JSON`);
  }
}

function checkValue(key: string, value: unknown): void {
  checkJsonValue(value, key, key, []);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Set by Session's static block: lets this module's functions read private state.
let internals: { context(session: Session<any>): SessionContext; id(session: Session<any>): string | null };

/**
 * A session: a dict-like store of JSON values that survives between requests.
 * Get one with `getSession(request)` inside a handler wrapped by
 * `withSession`. Reads never mark it modified; writes do, and a modified
 * session is saved when the response is returned.
 *
 * Keys starting with `_` are reserved for the library.
 *
 * @typeParam Data the shape of the data, so that `get("x")` is typed
 * @example
 * ```ts
 * const session = await getSession<{ cart: string[] }>(request);
 * const cart = session.get("cart", []);
 * session.set("cart", [...cart, "apple"]);
 * ```
 */
export class Session<Data extends SessionData = SessionData> {
  readonly #ctx: SessionContext;
  #key: string | null;
  #id: string | null;
  readonly #data: Map<string, unknown>;
  /** Keys set or deleted since the last write (sent as the patch). */
  readonly #dirty = new Set<string>();
  #modified = false;
  #accessed = false;
  /** The row was written in this request and nothing changed since. */
  #clean = false;
  /** When the stored session expires (ms); 0 for a new session. */
  #storedExpiresAt: number;
  /** Flash values that arrived with the request and have not been read yet. */
  #flashIn: Map<string, unknown> | undefined;
  /** Flash keys set in this request (not visible until a later request). */
  #flashOut: Set<string> | undefined;
  /** The data as last stored (its JSON text, or the loaded object), to let an over-limit session shrink. */
  #baseline: string | Record<string, unknown> | undefined;

  static {
    internals = { context: (session) => session.#ctx, id: (session) => session.#id };
  }

  /** @internal Use `getSession(request)` or `openSession(key, options)`. */
  constructor(ctx: SessionContext, key: string | null, id: string | null, record: SessionRecord | null) {
    this.#ctx = ctx;
    this.#key = record ? key : null;
    this.#id = record ? id : null;
    this.#data = new Map(record ? Object.entries(record.data) : undefined);
    this.#storedExpiresAt = record ? record.expiresAt : 0;
    this.#baseline = record ? record.data : undefined;
    const flash = this.#data.get(FLASH);
    if (isPlainObject(flash)) this.#flashIn = new Map(Object.entries(flash));
    else if (flash !== undefined) this.#data.delete(FLASH);
  }

  /** The session key (the cookie value); `null` until the session is first saved. */
  get key(): string | null {
    return this.#key;
  }

  /**
   * Whether the session will be saved at the end of the request. Writes set it;
   * set it by hand after mutating a nested value (every key is then re-saved).
   */
  get modified(): boolean {
    return this.#modified;
  }

  set modified(value: boolean) {
    if (typeof value !== "boolean") throw new TypeError(`Session.modified must be a boolean: received ${quote(value)}`);
    if (value) this.#markAllDirty();
    this.#modified = value;
  }

  /** Whether the handler asked for the session (then the response varies by cookie). */
  get accessed(): boolean {
    return this.#accessed;
  }

  /** @internal */
  markAccessed(): void {
    this.#accessed = true;
  }

  /** @internal When the stored session expires, in ms (0 when never stored). */
  get storedExpiresAt(): number {
    return this.#storedExpiresAt;
  }

  /**
   * The value stored under `key`, or `fallback` (default `undefined`). A flash
   * value set by an earlier request is returned once and then removed.
   *
   * @param key the key
   * @param fallback returned when the key is absent
   * @returns the value or the fallback
   */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined;
  get<K extends keyof Data & string>(key: K, fallback: Data[K]): Data[K];
  get(key: string, fallback?: unknown): unknown {
    const flashIn = this.#flashIn;
    if (flashIn !== undefined && flashIn.has(key)) return this.#takeFlash(flashIn, key);
    if (typeof key !== "string" || OWN_KEYS.has(key)) return fallback;
    const value = this.#data.get(key);
    return value === undefined ? fallback : value;
  }

  /**
   * Stores a JSON value under `key` and marks the session modified.
   *
   * @param key the key (not starting with `_`)
   * @param value any value that survives JSON
   * @throws {TypeError} when the value does not survive JSON (function, symbol, bigint, cycle, undefined, NaN, Infinity, class instance)
   * @throws {RangeError} when the key starts with `_`
   */
  set<K extends keyof Data & string>(key: K, value: Data[K]): void {
    checkUserKey(key, "set");
    checkValue(key, value);
    this.#write(key, value);
  }

  /**
   * Whether `key` is in the session. Never marks it modified.
   *
   * @param key the key
   * @returns true when present
   */
  has(key: keyof Data & string): boolean {
    return typeof key === "string" && !OWN_KEYS.has(key) && this.#data.has(key);
  }

  /** The keys of the session's data (the library's own entries excluded). */
  keys(): (keyof Data & string)[] {
    const keys: string[] = [];
    for (const key of this.#data.keys()) if (!key.startsWith("_")) keys.push(key);
    return keys as (keyof Data & string)[];
  }

  /** The values of the session's data (the library's own entries excluded). */
  values(): Data[keyof Data & string][] {
    const values: unknown[] = [];
    for (const [key, value] of this.#data) if (!key.startsWith("_")) values.push(value);
    return values as Data[keyof Data & string][];
  }

  /** The `[key, value]` pairs of the session's data (the library's own entries excluded). */
  entries(): [keyof Data & string, Data[keyof Data & string]][] {
    const entries: [string, unknown][] = [];
    for (const entry of this.#data) if (!entry[0].startsWith("_")) entries.push(entry);
    return entries as [keyof Data & string, Data[keyof Data & string]][];
  }

  /**
   * Removes `key`.
   *
   * @param key the key
   * @returns true (and the session is modified) when the key was there
   */
  delete(key: keyof Data & string): boolean {
    checkUserKey(key, "delete");
    return this.#remove(key);
  }

  /**
   * Removes `key` and returns its value; returns `fallback` (and leaves the
   * session unmodified) when it was not there.
   *
   * @param key the key
   * @param fallback returned when the key is absent
   * @returns the removed value or the fallback
   */
  pop<K extends keyof Data & string>(key: K): Data[K] | undefined;
  pop<K extends keyof Data & string>(key: K, fallback: Data[K]): Data[K];
  pop(key: string, fallback?: unknown): unknown {
    checkUserKey(key, "pop");
    if (!this.#data.has(key)) return fallback;
    const value = this.#data.get(key);
    this.#remove(key);
    return value;
  }

  /**
   * The value under `key`; when absent, stores `value` and returns it.
   *
   * @param key the key
   * @param value the value to store when the key is absent
   * @returns the existing or the new value
   */
  setDefault<K extends keyof Data & string>(key: K, value: Data[K]): Data[K] {
    checkUserKey(key, "setDefault");
    if (this.#data.has(key)) return this.#data.get(key) as Data[K];
    checkValue(key, value);
    this.#write(key, value);
    return value;
  }

  /**
   * Stores every entry of `values` (all are checked before any is stored) and
   * marks the session modified, even for `{}` (as Django does).
   *
   * @param values the entries to store
   * @throws {TypeError} when a value does not survive JSON
   * @throws {RangeError} when a key starts with `_`
   */
  update(values: Partial<Data>): void {
    if (typeof values !== "object" || values === null) {
      throw new TypeError(`Session.update() needs an object: received ${quote(values)}`);
    }
    const entries = Object.entries(values);
    for (const [key, value] of entries) {
      checkUserKey(key, "update");
      checkValue(key, value);
    }
    for (const [key, value] of entries) this.#write(key, value);
    this.#modified = true;
  }

  /** Empties the data (the library's own entries too), keeps the key, marks the session modified. */
  clear(): void {
    this.#markAllDirty();
    this.#data.clear();
    this.#flashIn = undefined;
    this.#flashOut = undefined;
    this.#modified = true;
  }

  /** Whether the session has no key and no data: such a session is never saved. */
  isEmpty(): boolean {
    return this.#key === null && this.#data.size === 0;
  }

  /**
   * Logs out: clears the data, deletes the stored session and forgets the key.
   * The response then expires the cookie.
   *
   * @throws {SessionStoreError} when the store fails
   */
  async flush(): Promise<void> {
    this.clear();
    this.#dirty.clear();
    const id = this.#id;
    this.#key = null;
    this.#id = null;
    this.#clean = false;
    if (id !== null && !isCookieStore(this.#ctx.store)) {
      const store = this.#ctx.store;
      await storeCall("delete the session", () => store.delete(id));
    }
  }

  /**
   * Moves the same data to a new key and deletes the old stored session. Call
   * it on login, so that a key an attacker planted before login is worthless
   * after it (session fixation).
   *
   * @throws {SessionStoreError} when the store fails
   */
  async cycleKey(): Promise<void> {
    this.#modified = true;
    if (isCookieStore(this.#ctx.store)) {
      // The value is re-signed at save; there is no row to move.
      this.#key = null;
      return;
    }
    const oldId = this.#id;
    await this.#create();
    if (oldId !== null) {
      const store = this.#ctx.store;
      await storeCall("delete the old session", () => store.delete(oldId));
    }
  }

  /**
   * Sets when the session expires:
   * - a number: seconds of inactivity (counted from each save); `0` means when
   *   the browser closes; a negative number saves it already expired;
   * - a `Date`: that moment;
   * - `null`: back to the default policy (`cookie.maxAge`, `expireAtBrowserClose`).
   *
   * @param value the expiry
   * @throws {TypeError} for any other value
   */
  setExpiry(value: number | Date | null): void {
    if (value === null) {
      this.#remove(EXPIRY);
      return;
    }
    if (typeof value === "number" && Number.isFinite(value)) {
      this.#write(EXPIRY, Math.trunc(value));
      return;
    }
    if (value instanceof Date && Number.isFinite(value.getTime())) {
      this.#write(EXPIRY, value.toISOString());
      return;
    }
    throw new TypeError(`Session.setExpiry() needs a finite number of seconds, a valid Date or null: received ${quote(value)}`);
  }

  /** Whole seconds until the session expires (counted from now when it was not saved yet). */
  getExpiryAge(): number {
    const expiry = this.#data.get(EXPIRY);
    if (typeof expiry === "string") return Math.floor((Date.parse(expiry) - Date.now()) / 1000);
    if (typeof expiry === "number" && expiry !== 0) return expiry;
    return this.#ctx.maxAge;
  }

  /** When the session expires, if it were saved now. */
  getExpiryDate(): Date {
    const expiry = this.#data.get(EXPIRY);
    if (typeof expiry === "string") return new Date(expiry);
    const seconds = typeof expiry === "number" && expiry !== 0 ? expiry : this.#ctx.maxAge;
    return new Date(Date.now() + seconds * 1000);
  }

  /** Whether the cookie ends when the browser closes (then it has no Max-Age). */
  getExpireAtBrowserClose(): boolean {
    const expiry = this.#data.get(EXPIRY);
    if (expiry === undefined) return this.#ctx.expireAtBrowserClose;
    return expiry === 0;
  }

  /** Stores a marker to check, in the next request, that the browser keeps cookies. */
  setTestCookie(): void {
    this.#write(TEST_COOKIE, TEST_COOKIE_VALUE);
  }

  /** Whether the marker of `setTestCookie()` came back. */
  testCookieWorked(): boolean {
    return this.#data.get(TEST_COOKIE) === TEST_COOKIE_VALUE;
  }

  /** Removes the marker of `setTestCookie()`. */
  deleteTestCookie(): void {
    this.#remove(TEST_COOKIE);
  }

  /**
   * Stores a value for a later request: the first `get(key)` of a later
   * request returns it and removes it. It is not visible in this request, and
   * it is kept until read or until the session expires.
   *
   * @param key the key (not starting with `_`)
   * @param value any value that survives JSON
   * @throws {TypeError} when the value does not survive JSON
   * @throws {RangeError} when the key starts with `_`
   */
  flash<K extends keyof Data & string>(key: K, value: Data[K]): void {
    checkUserKey(key, "flash");
    checkValue(key, value);
    const current = this.#data.get(FLASH) as Record<string, unknown> | undefined;
    this.#write(FLASH, { ...current, [key]: value });
    (this.#flashOut ??= new Set()).add(key);
  }

  /**
   * Writes the session to its store now. `withSession` calls this for you
   * when the response is returned; call it yourself for a session opened
   * outside a request.
   *
   * @throws {SessionInterruptedError} when the stored session was deleted meanwhile (it is not re-created)
   * @throws {SessionStoreError} when the store fails
   * @throws {RangeError} when the data is larger than `maxDataBytes`
   */
  async save(): Promise<void> {
    const store = this.#ctx.store;
    if (isCookieStore(store)) {
      const { record, json } = this.#record();
      // Not a store failure: encoding is local, and its errors (RangeError: too large for a cookie) are the caller's to fix.
      this.#key = await store.encode(record, this.#ctx.cookieName);
      this.#storedExpiresAt = record.expiresAt;
      this.#baseline = json;
      this.#dirty.clear();
      return;
    }
    if (this.#key === null || this.#id === null) {
      await this.#create();
      return;
    }
    if (this.#clean) return;
    const set: Record<string, unknown> = {};
    const unset: string[] = [];
    let grows = false;
    for (const key of this.#dirty) {
      if (this.#data.has(key)) {
        set[key] = this.#data.get(key);
        grows = true;
      } else unset.push(key);
    }
    const json = this.#dirty.size > 0 ? this.#checkSize(Object.fromEntries(this.#data)) : undefined;
    const expiresAt = this.getExpiryDate().getTime();
    const id = this.#id;
    // Only a patch that sets keys can grow the data; the store checks the limit in the same step as the write.
    const patch: SessionPatch = grows ? { set, unset, expiresAt, maxBytes: this.#ctx.maxDataBytes } : { set, unset, expiresAt };
    const updated = await storeCall("save the session", () => store.update(id, patch));
    if (!updated) throw new SessionInterruptedError();
    if (json !== undefined) this.#baseline = json;
    this.#storedExpiresAt = expiresAt;
    this.#dirty.clear();
    this.#clean = true;
  }

  /** The whole session as a record, checked against `maxDataBytes`, and its JSON text. */
  #record(): { record: SessionRecord; json: string } {
    const data = Object.fromEntries(this.#data);
    const json = this.#checkSize(data);
    return { record: { data, expiresAt: this.getExpiryDate().getTime() }, json };
  }

  /**
   * The JSON text of `data`; throws a SessionDataTooLargeError when it is over
   * `maxDataBytes` and larger than the data as last stored.
   */
  #checkSize(data: Record<string, unknown>): string {
    const max = this.#ctx.maxDataBytes;
    const json = JSON.stringify(data);
    if (json.length * 3 <= max) return json;
    const bytes = utf8Length(json);
    if (bytes <= max) return json;
    const baseline = this.#baseline;
    if (baseline !== undefined && bytes <= utf8Length(typeof baseline === "string" ? baseline : JSON.stringify(baseline))) {
      return json;
    }
    throw new SessionDataTooLargeError(max, bytes);
  }

  /** Inserts the whole session under a new key. */
  async #create(): Promise<void> {
    const store = this.#ctx.store;
    if (isCookieStore(store)) throw new Error("unreachable: cookie stores have no rows");
    const { record, json } = this.#record();
    for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
      const key = generateKey();
      const id = storeIdOf(store, key);
      const created = await storeCall("create the session", () => store.create(id, record));
      if (created) {
        this.#key = key;
        this.#id = id;
        this.#storedExpiresAt = record.expiresAt;
        this.#baseline = json;
        this.#dirty.clear();
        this.#clean = true;
        return;
      }
    }
    throw new SessionStoreError(`Could not create a session: ${MAX_CREATE_ATTEMPTS} new keys were all taken`);
  }

  #write(key: string, value: unknown): void {
    this.#data.set(key, value);
    this.#dirty.add(key);
    this.#modified = true;
    this.#clean = false;
  }

  #remove(key: string): boolean {
    if (!this.#data.delete(key)) return false;
    this.#dirty.add(key);
    this.#modified = true;
    this.#clean = false;
    return true;
  }

  #markAllDirty(): void {
    for (const key of this.#data.keys()) this.#dirty.add(key);
    this.#clean = false;
  }

  #takeFlash(flashIn: Map<string, unknown>, key: string): unknown {
    const value = flashIn.get(key);
    flashIn.delete(key);
    if (!this.#flashOut?.has(key)) {
      const rest = { ...(this.#data.get(FLASH) as Record<string, unknown>) };
      delete rest[key];
      if (Object.keys(rest).length === 0) this.#remove(FLASH);
      else this.#write(FLASH, rest);
    }
    return value;
  }
}

/** @internal The store and policy a session was opened with. */
export function sessionContext(session: Session<any>): SessionContext {
  return internals.context(session);
}

/** @internal The store id (SHA-256 of the key) of a session, or null. */
export function sessionId(session: Session<any>): string | null {
  return internals.id(session);
}

/** The id `store` gives the row of session key `key`. */
export function storeIdOf(store: SessionStore, key: string): string {
  return store.idOf === undefined ? hashKey(key) : store.idOf(key);
}

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** Runs a store call, wrapping any failure in a `SessionStoreError` (a `SessionDataTooLargeError` passes as it is). */
export async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SessionDataTooLargeError) throw error;
    throw new SessionStoreError(`Could not ${what}: the session store failed`, { cause: error });
  }
}
