/**
 * The storage contract. A server-side store keeps one row per session, keyed by
 * the SHA-256 of the session key (never the key itself); a cookie store keeps
 * the data in the cookie and has no rows at all.
 *
 * @module
 */

/** What a server-side store keeps for one session. */
export interface SessionRecord {
  /** The session's data: JSON values under string keys (the library's own keys start with `_`). */
  data: Record<string, unknown>;
  /** When the session stops being valid, in milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * A change to a stored session. Only the keys that changed are sent, so two
 * concurrent requests that change different keys both keep their change.
 */
export interface SessionPatch {
  /** Keys to add or replace, with their new values (JSON-serialisable). */
  set: Record<string, unknown>;
  /** Keys to remove. */
  unset: string[];
  /** The new expiry, in milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * A server-side session store. `id` is always the lowercase hex SHA-256 of the
 * session key (64 characters): stores never see cookie values.
 *
 * Every method rejects (with any error) when the backend fails; the library
 * wraps that in a `SessionStoreError`. A store must never report success for a
 * write that did not happen.
 */
export interface SessionStore {
  /** The record, or `null` when there is none or it has expired. */
  load(id: string): Promise<SessionRecord | null>;
  /** Inserts a new record; resolves `false` (and writes nothing) when `id` is taken. */
  create(id: string, record: SessionRecord): Promise<boolean>;
  /** Applies `patch` atomically; resolves `false` when the row is gone or expired (it is never re-created). */
  update(id: string, patch: SessionPatch): Promise<boolean>;
  /** Deletes the record; deleting a missing record is not an error. */
  delete(id: string): Promise<void>;
  /** Deletes expired records and resolves how many were deleted. */
  clearExpired?(): Promise<number>;
  /**
   * Deletes every live record whose data has the top-level entry `field` equal
   * to `value`, except the record `exceptId`, and resolves how many were
   * deleted ("log out everywhere").
   */
  deleteWhere?(field: string, value: string | number | boolean, exceptId?: string): Promise<number>;
}

/**
 * A store that keeps the session in the cookie itself (Django's
 * `signed_cookies` backend). `withSession` recognises it by `kind: "cookie"`.
 */
export interface CookieSessionStore {
  /** Marks this as a cookie store. */
  readonly kind: "cookie";
  /** Verifies and decodes a cookie value; `null` for anything forged, expired or malformed. Never throws. */
  decode(value: string, maxAgeSeconds: number): Promise<SessionRecord | null>;
  /**
   * Encodes a record into a cookie value; throws a `RangeError` when the cookie
   * (`cookieName` plus the value) would be too large for browsers.
   */
  encode(record: SessionRecord, cookieName?: string): Promise<string>;
}

/** Any store `withSession` accepts. */
export type AnySessionStore = SessionStore | CookieSessionStore;

/** Whether `store` keeps its data in the cookie. */
export function isCookieStore(store: AnySessionStore): store is CookieSessionStore {
  return (store as CookieSessionStore).kind === "cookie";
}
