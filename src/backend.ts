/**
 * One interface between a session and where it is kept, chosen once per
 * store: a server-side `SessionStore` (the cookie carries a key) or a cookie
 * store (the cookie carries the data). The session, the wrapper and
 * `openSession` only ever talk to this interface.
 *
 * @module
 */
import { CookieBackend } from "./backends/cookie-backend.ts";
import { StoreBackend } from "./backends/store-backend.ts";
import { quote } from "./errors.ts";
import type { LoadedSession, SessionState } from "./session-state.ts";
import type { AnySessionStore, CookieSessionStore, SessionRecord, SessionStore } from "./store.ts";

/** Where sessions are kept (React Router's `SessionStorage`, with Django's key cycling). @internal */
export interface SessionBackend {
  /**
   * The stored session a cookie value names, or `null` when the value is
   * malformed, forged, unknown or expired.
   *
   * @param value the cookie value (or the key given to `openSession`)
   * @param maxAge the default lifetime in seconds: a cookie signed longer ago is refused
   * @throws {SessionStoreError} when the store fails
   */
  load(value: string, maxAge: number): Promise<LoadedSession | null>;
  /**
   * `load()` answered synchronously, when the store can answer at once;
   * `undefined` when it cannot right now (call `load()`).
   *
   * @throws {SessionStoreError} when the store fails
   */
  loadNow?(value: string, maxAge: number): LoadedSession | null | undefined;
  /**
   * Writes the session's changes (or the whole session, under a new key when
   * it has none) and records the key the cookie must carry.
   *
   * @throws {SessionInterruptedError} when the stored session was deleted meanwhile
   * @throws {SessionDataTooLargeError} when the data would pass `maxDataBytes`
   * @throws {SessionStoreError} when the store fails
   */
  commit(state: SessionState): Promise<void>;
  /**
   * Like `commit`, where no cookie can be sent (a WebSocket upgrade): a
   * backend whose data travels in the cookie saves nothing.
   */
  commitWithoutCookie(state: SessionState): Promise<void>;
  /** Gives the session a new key, so that the old one is worthless (login). */
  cycleKey(state: SessionState): Promise<void>;
  /** Deletes the stored session `id` (logout); `null` when it was never stored. */
  destroy(id: string | null): Promise<void>;
  /**
   * Deletes every live session whose top-level `field` equals `value`, except
   * `keepId`, and resolves how many.
   *
   * @throws {TypeError} when the store cannot do it
   */
  revoke(field: string, value: string | number | boolean, keepId: string | undefined): Promise<number>;
}

const backends = new WeakMap<object, SessionBackend>();

/**
 * The backend for a store that options validation accepted (the same object
 * for every call with the same store).
 * @internal
 */
export function backendFor(store: AnySessionStore): SessionBackend {
  let backend = backends.get(store);
  if (backend === undefined) {
    backend = (store as CookieSessionStore).kind === "cookie"
      ? new CookieBackend(store as CookieSessionStore)
      : new StoreBackend(store as SessionStore);
    backends.set(store, backend);
  }
  return backend;
}

/** A record whose data is not a plain object loads as an empty session (and is logged). @internal */
export function checkRecord(record: SessionRecord): SessionRecord {
  const data = record.data;
  if (typeof data === "object" && data !== null && !Array.isArray(data)) return record;
  console.warn(`fetch-session: session data corrupted (not an object: ${quote(data).slice(0, 40)}); loading it as an empty session`);
  return { data: {}, expiresAt: record.expiresAt };
}
