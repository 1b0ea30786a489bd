/**
 * A session's internal state, kept off the public `Session` class, and what
 * every backend needs from it: the whole record or the patch to save, its
 * expiry, and the size check.
 *
 * @module
 */
import type { SessionBackend } from "./backend.ts";
import { SessionDataTooLargeError } from "./errors.ts";
import { MAX_LIFETIME, type SessionPolicy } from "./options.ts";
import type { SessionPatch, SessionRecord } from "./store.ts";

/** The library's own entries in the data. @internal */
export const EXPIRY = "_expiry";
/** @internal */
export const TEST_COOKIE = "_testcookie";
/** @internal */
export const FLASH = "_flash";
/** The library's own entries: hidden from every read. Other `_` keys (Django's `_auth_user_id`) can be read. @internal */
export const OWN_KEYS: ReadonlySet<string> = new Set([EXPIRY, TEST_COOKIE, FLASH]);

/** Everything a `Session` holds. @internal */
export interface SessionState {
  readonly backend: SessionBackend;
  readonly policy: SessionPolicy;
  /** The session key (the cookie value); null until first saved. */
  key: string | null;
  /** The store's id for `key`; null for a new session and for cookie stores. */
  id: string | null;
  readonly data: Map<string, unknown>;
  /** Keys set or deleted since the last write (sent as the patch). */
  readonly dirty: Set<string>;
  modified: boolean;
  accessed: boolean;
  /** The row was written in this request and nothing changed since. */
  clean: boolean;
  /** When the stored session expires (ms); 0 for a new session. */
  storedExpiresAt: number;
  /**
   * This request wrote the row already past its expiry (setExpiry() to a past
   * moment, then cycleKey() or save()): the row is legitimately dead, and
   * only this request knows of it.
   */
  storedDead: boolean;
  /** Flash values that arrived with the request and have not been read yet. */
  flashIn: Map<string, unknown> | undefined;
  /** Flash keys set in this request (not visible until a later request). */
  flashOut: Set<string> | undefined;
  /** The data as last stored (its JSON text, or the loaded object), so that an over-limit session can shrink. */
  baseline: string | Record<string, unknown> | undefined;
}

/** A stored session a backend found for a cookie value. @internal */
export interface LoadedSession {
  key: string;
  id: string | null;
  record: SessionRecord;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The state of a session loaded from `loaded`, or of a new one. @internal */
export function initialState(backend: SessionBackend, policy: SessionPolicy, loaded: LoadedSession | null): SessionState {
  const data = new Map<string, unknown>();
  if (loaded) {
    // A loop over the keys: a third of the time of `new Map(Object.entries(...))` on Bun.
    const record = loaded.record.data;
    const keys = Object.keys(record);
    for (let i = 0; i < keys.length; i++) data.set(keys[i]!, record[keys[i]!]);
  }
  let flashIn: Map<string, unknown> | undefined;
  const flash = data.get(FLASH);
  if (isPlainObject(flash)) flashIn = new Map(Object.entries(flash));
  else if (flash !== undefined) data.delete(FLASH);
  return {
    backend,
    policy,
    key: loaded ? loaded.key : null,
    id: loaded ? loaded.id : null,
    data,
    dirty: new Set(),
    modified: false,
    accessed: false,
    clean: false,
    storedExpiresAt: loaded ? loaded.record.expiresAt : 0,
    storedDead: false,
    flashIn,
    flashOut: undefined,
    baseline: loaded ? loaded.record.data : undefined,
  };
}

const MAX_LIFETIME_MS = MAX_LIFETIME * 1000;

function clampLifetime(ms: number): number {
  return Math.min(MAX_LIFETIME_MS, Math.max(-MAX_LIFETIME_MS, ms));
}

/**
 * Milliseconds from `now` until the session expires, within 400 days either
 * way (a stored `_expiry` written by something else cannot push it further).
 * @internal
 */
export function expiryMs(state: SessionState, now: number): number {
  const expiry = state.data.get(EXPIRY);
  if (typeof expiry === "string") {
    const at = Date.parse(expiry);
    if (Number.isFinite(at)) return clampLifetime(at - now);
  } else if (typeof expiry === "number" && Number.isFinite(expiry) && expiry !== 0) {
    return clampLifetime(Math.trunc(expiry) * 1000);
  }
  return state.policy.maxAge * 1000;
}

/** Whether the cookie ends with the browser session. @internal */
export function expiresAtBrowserClose(state: SessionState): boolean {
  const expiry = state.data.get(EXPIRY);
  if (expiry === undefined) return state.policy.expireAtBrowserClose;
  return expiry === 0;
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The JSON text of `data`; throws when it is over `maxDataBytes` and larger
 * than the data as last stored (a session over the limit can always shrink).
 *
 * @throws {SessionDataTooLargeError}
 */
function checkedJson(state: SessionState, data: Record<string, unknown>): string {
  const max = state.policy.maxDataBytes;
  const json = JSON.stringify(data);
  if (json.length * 3 <= max) return json;
  const bytes = utf8Length(json);
  if (bytes <= max) return json;
  const baseline = state.baseline;
  if (baseline !== undefined && bytes <= utf8Length(typeof baseline === "string" ? baseline : JSON.stringify(baseline))) {
    return json;
  }
  throw new SessionDataTooLargeError(max, bytes);
}

/** A whole session to write under a new key, checked against `maxDataBytes`, and its JSON text. @internal */
export interface WholeRecord {
  record: SessionRecord;
  json: string;
}

/**
 * The whole session as a record to create or encode.
 *
 * @throws {SessionDataTooLargeError} when it is over `maxDataBytes` and larger than as last stored
 * @internal
 */
export function wholeRecord(state: SessionState): WholeRecord {
  const data = Object.fromEntries(state.data);
  const json = checkedJson(state, data);
  return { record: { data, expiresAt: Date.now() + expiryMs(state, Date.now()) }, json };
}

/**
 * The changes since the last write, with the size limit for the store when
 * the patch sets keys (only then can the data grow).
 *
 * @throws {SessionDataTooLargeError} when the local data is over the limit and larger than as last stored
 * @internal
 */
export function changes(state: SessionState): { patch: SessionPatch; json: string | undefined } {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  let grows = false;
  for (const key of state.dirty) {
    if (state.data.has(key)) {
      set[key] = state.data.get(key);
      grows = true;
    } else unset.push(key);
  }
  const json = state.dirty.size > 0 ? checkedJson(state, Object.fromEntries(state.data)) : undefined;
  const now = Date.now();
  const expiresAt = now + expiryMs(state, now);
  const patch: SessionPatch = grows ? { set, unset, expiresAt, maxBytes: state.policy.maxDataBytes } : { set, unset, expiresAt };
  return { patch, json };
}

/** Records that the session was written under `key`/`id`. @internal */
export function markSaved(state: SessionState, key: string, id: string | null, expiresAt: number, json: string | undefined): void {
  state.key = key;
  state.id = id;
  state.storedExpiresAt = expiresAt;
  state.storedDead = expiresAt <= Date.now();
  if (json !== undefined) state.baseline = json;
  state.dirty.clear();
}
