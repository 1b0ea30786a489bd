/**
 * The `Session` class: Django's `SessionBase` with TypeScript names.
 *
 * @module
 */
import type { SessionBackend } from "./backend.ts";
import { quote } from "./errors.ts";
import { MAX_LIFETIME, type SessionPolicy } from "./options.ts";
import {
  EXPIRY,
  expiresAtBrowserClose,
  expiryMs,
  FLASH,
  initialState,
  type LoadedSession,
  OWN_KEYS,
  type SessionState,
  TEST_COOKIE,
} from "./session-state.ts";
import { checkKey, checkValue } from "./values.ts";

/** The shape of a session's data: JSON values under string keys. */
export type SessionData = Record<string, unknown>;

const TEST_COOKIE_VALUE = "worked";

// Set by Session's static block: the constructor and the state stay off the public type.
let construct: (state: SessionState) => Session<any>;
let stateOf: (session: Session<any>) => SessionState;

/**
 * A session: a dict-like store of JSON values that survives between requests.
 * Get one with `getSession(request)` inside a handler wrapped by
 * `withSession`. Reads never mark it modified; writes do, and a modified
 * session is saved when the response is returned.
 *
 * Keys starting with `_` are reserved: they cannot be written, and the
 * library's own (`_expiry`, `_testcookie`, `_flash`) cannot be read.
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
  readonly #state: SessionState;

  static {
    construct = (state) => new Session(state);
    stateOf = (session) => session.#state;
  }

  /** Use `getSession(request)` or `openSession(key, options)`. */
  private constructor(state: SessionState) {
    this.#state = state;
  }

  /** The session key (the cookie value); `null` until the session is first saved. */
  get key(): string | null {
    return this.#state.key;
  }

  /**
   * Whether the session will be saved at the end of the request. Writes set it;
   * set it by hand after mutating a nested value (every key is then re-saved).
   */
  get modified(): boolean {
    return this.#state.modified;
  }

  set modified(value: boolean) {
    if (typeof value !== "boolean") throw new TypeError(`Session.modified must be a boolean: received ${quote(value)}`);
    if (value) this.#markAllDirty();
    this.#state.modified = value;
  }

  /** Whether the handler asked for the session (then the response varies by cookie). */
  get accessed(): boolean {
    return this.#state.accessed;
  }

  /**
   * The value stored under `key`, or `fallback` (default `undefined`). A flash
   * value set by an earlier request is returned once and then removed. Keys
   * starting with `_` that other software stores (Django's `_auth_user_id`)
   * can be read; the library's own cannot.
   *
   * @param key the key
   * @param fallback returned when the key is absent
   * @returns the value or the fallback
   */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined;
  get<K extends keyof Data & string>(key: K, fallback: Data[K]): Data[K];
  get(key: string, fallback?: unknown): unknown {
    const state = this.#state;
    const flashIn = state.flashIn;
    if (flashIn !== undefined && flashIn.has(key)) return this.#takeFlash(flashIn, key);
    if (typeof key !== "string" || OWN_KEYS.has(key)) return fallback;
    const value = state.data.get(key);
    return value === undefined ? fallback : value;
  }

  /**
   * Stores a JSON value under `key` and marks the session modified.
   *
   * @param key the key: not starting with `_`, without U+0000 or lone surrogates
   * @param value any value that survives JSON, nested at most 256 levels, whose strings and keys have no U+0000 or lone surrogates
   * @throws {TypeError} when the key or the value cannot be kept (see above; function, symbol, bigint, cycle, undefined, NaN, Infinity, class instance)
   * @throws {RangeError} when the key starts with `_`, or the value nests deeper than 256 levels
   */
  set<K extends keyof Data & string>(key: K, value: Data[K]): void {
    checkKey(key, "set");
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
    return typeof key === "string" && !OWN_KEYS.has(key) && this.#state.data.has(key);
  }

  /** The keys of the session's data (every key starting with `_` excluded). */
  keys(): (keyof Data & string)[] {
    const keys: string[] = [];
    for (const key of this.#state.data.keys()) if (!key.startsWith("_")) keys.push(key);
    return keys as (keyof Data & string)[];
  }

  /** The values of the session's data (under keys not starting with `_`). */
  values(): Data[keyof Data & string][] {
    const values: unknown[] = [];
    for (const [key, value] of this.#state.data) if (!key.startsWith("_")) values.push(value);
    return values as Data[keyof Data & string][];
  }

  /** The `[key, value]` pairs of the session's data (keys starting with `_` excluded). */
  entries(): [keyof Data & string, Data[keyof Data & string]][] {
    const entries: [string, unknown][] = [];
    for (const entry of this.#state.data) if (!entry[0].startsWith("_")) entries.push(entry);
    return entries as [keyof Data & string, Data[keyof Data & string]][];
  }

  /**
   * Removes `key`.
   *
   * @param key the key
   * @returns true (and the session is modified) when the key was there
   * @throws {RangeError} when the key starts with `_`
   */
  delete(key: keyof Data & string): boolean {
    checkKey(key, "delete");
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
    checkKey(key, "pop");
    const data = this.#state.data;
    if (!data.has(key)) return fallback;
    const value = data.get(key);
    this.#remove(key);
    return value;
  }

  /**
   * The value under `key`; when absent, stores `value` and returns it.
   *
   * @param key the key (rules of `set`)
   * @param value the value to store when the key is absent (rules of `set`)
   * @returns the existing or the new value
   * @throws {TypeError} as `set`
   * @throws {RangeError} as `set`
   */
  setDefault<K extends keyof Data & string>(key: K, value: Data[K]): Data[K] {
    checkKey(key, "setDefault");
    const data = this.#state.data;
    if (data.has(key)) return data.get(key) as Data[K];
    checkValue(key, value);
    this.#write(key, value);
    return value;
  }

  /**
   * Stores every entry of `values` (all are checked before any is stored) and
   * marks the session modified, even for `{}` (as Django does).
   *
   * @param values the entries to store (rules of `set`)
   * @throws {TypeError} as `set`
   * @throws {RangeError} as `set`
   */
  update(values: Partial<Data>): void {
    if (typeof values !== "object" || values === null) {
      throw new TypeError(`Session.update() needs an object: received ${quote(values)}`);
    }
    const entries = Object.entries(values);
    for (const [key, value] of entries) {
      checkKey(key, "update");
      checkValue(key, value);
    }
    for (const [key, value] of entries) this.#write(key, value);
    this.#state.modified = true;
  }

  /** Empties the data (the library's own entries too), keeps the key, marks the session modified. */
  clear(): void {
    const state = this.#state;
    this.#markAllDirty();
    state.data.clear();
    state.flashIn = undefined;
    state.flashOut = undefined;
    state.modified = true;
  }

  /** Whether the session has no key and no data: such a session is never saved. */
  isEmpty(): boolean {
    return this.#state.key === null && this.#state.data.size === 0;
  }

  /**
   * Logs out: clears the data, deletes the stored session and forgets the key.
   * The response then expires the cookie. Works whatever the session's size.
   *
   * @throws {SessionStoreError} when the store fails
   */
  async flush(): Promise<void> {
    const state = this.#state;
    this.clear();
    state.dirty.clear();
    const id = state.id;
    state.key = null;
    state.id = null;
    state.clean = false;
    state.baseline = undefined;
    await state.backend.destroy(id);
  }

  /**
   * Moves the same data to a new key and deletes the old stored session. Call
   * it on login, so that a key an attacker planted before login is worthless
   * after it (session fixation). Works for a session over `maxDataBytes`
   * as long as it did not grow.
   *
   * @throws {SessionStoreError} when the store fails
   * @throws {SessionDataTooLargeError} when changes made in this request took the data past `maxDataBytes`
   */
  async cycleKey(): Promise<void> {
    const state = this.#state;
    state.modified = true;
    await state.backend.cycleKey(state);
  }

  /**
   * Sets when the session expires:
   * - a number: seconds of inactivity (counted from each save); `0` means when
   *   the browser closes; a negative number saves it already expired;
   * - a `Date`: that moment;
   * - `null`: back to the default policy (`cookie.maxAge`, `expireAtBrowserClose`).
   *
   * A lifetime is at most 400 days (34560000 seconds), the most a browser
   * keeps a cookie (RFC 6265bis).
   *
   * @param value the expiry
   * @throws {TypeError} for any other value (NaN, an invalid Date)
   * @throws {RangeError} for a number of seconds beyond ±400 days, or a Date more than 400 days ahead
   */
  setExpiry(value: number | Date | null): void {
    if (value === null) {
      this.#remove(EXPIRY);
      return;
    }
    if (typeof value === "number" && Number.isFinite(value)) {
      if (Math.abs(value) > MAX_LIFETIME) {
        throw new RangeError(`Session.setExpiry() accepts at most ${MAX_LIFETIME} seconds (400 days) either way: received ${quote(value)}`);
      }
      this.#write(EXPIRY, Math.trunc(value));
      return;
    }
    if (value instanceof Date && Number.isFinite(value.getTime())) {
      if (value.getTime() - Date.now() > MAX_LIFETIME * 1000) {
        throw new RangeError(`Session.setExpiry() accepts a Date at most 400 days ahead: received ${value.toISOString()}`);
      }
      this.#write(EXPIRY, value.toISOString());
      return;
    }
    throw new TypeError(`Session.setExpiry() needs a finite number of seconds, a valid Date or null: received ${quote(value)}`);
  }

  /** Whole seconds until the session expires (counted from now when it was not saved yet). */
  getExpiryAge(): number {
    return Math.floor(expiryMs(this.#state, Date.now()) / 1000);
  }

  /** When the session expires, if it were saved now. */
  getExpiryDate(): Date {
    const now = Date.now();
    return new Date(now + expiryMs(this.#state, now));
  }

  /** Whether the cookie ends when the browser closes (then it has no Max-Age). */
  getExpireAtBrowserClose(): boolean {
    return expiresAtBrowserClose(this.#state);
  }

  /** Stores a marker to check, in the next request, that the browser keeps cookies. */
  setTestCookie(): void {
    this.#write(TEST_COOKIE, TEST_COOKIE_VALUE);
  }

  /** Whether the marker of `setTestCookie()` came back. */
  testCookieWorked(): boolean {
    return this.#state.data.get(TEST_COOKIE) === TEST_COOKIE_VALUE;
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
   * @param key the key (rules of `set`)
   * @param value any value (rules of `set`)
   * @throws {TypeError} as `set`
   * @throws {RangeError} as `set`
   */
  flash<K extends keyof Data & string>(key: K, value: Data[K]): void {
    checkKey(key, "flash");
    checkValue(key, value);
    const state = this.#state;
    const current = state.data.get(FLASH) as Record<string, unknown> | undefined;
    this.#write(FLASH, { ...current, [key]: value });
    (state.flashOut ??= new Set()).add(key);
  }

  /**
   * Writes the session to its store now. `withSession` calls this for you
   * when the response is returned; call it yourself for a session opened
   * outside a request.
   *
   * @throws {SessionInterruptedError} when the stored session was deleted meanwhile (it is not re-created)
   * @throws {SessionStoreError} when the store fails
   * @throws {SessionDataTooLargeError} (a `RangeError`) when the data grew past `maxDataBytes`
   * @throws {RangeError} when a cookie store's cookie would pass 4096 bytes
   */
  save(): Promise<void> {
    const state = this.#state;
    try {
      return state.backend.commit(state);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #write(key: string, value: unknown): void {
    const state = this.#state;
    state.data.set(key, value);
    state.dirty.add(key);
    state.modified = true;
    state.clean = false;
  }

  #remove(key: string): boolean {
    const state = this.#state;
    if (!state.data.delete(key)) return false;
    state.dirty.add(key);
    state.modified = true;
    state.clean = false;
    return true;
  }

  #markAllDirty(): void {
    const state = this.#state;
    for (const key of state.data.keys()) state.dirty.add(key);
    state.clean = false;
  }

  #takeFlash(flashIn: Map<string, unknown>, key: string): unknown {
    const state = this.#state;
    const value = flashIn.get(key);
    flashIn.delete(key);
    if (!state.flashOut?.has(key)) {
      const rest = { ...(state.data.get(FLASH) as Record<string, unknown>) };
      delete rest[key];
      if (Object.keys(rest).length === 0) this.#remove(FLASH);
      else this.#write(FLASH, rest);
    }
    return value;
  }
}

/** A session over `backend`: the stored one `loaded`, or a new one. @internal */
export function newSession<Data extends SessionData = SessionData>(
  backend: SessionBackend,
  policy: SessionPolicy,
  loaded: LoadedSession | null,
): Session<Data> {
  return construct(initialState(backend, policy, loaded)) as Session<Data>;
}

/** The internal state of a session. @internal */
export function sessionState(session: Session<any>): SessionState {
  return stateOf(session);
}
