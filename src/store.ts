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
 *
 * What the library sends follows the rules `Session.set` enforces: keys and
 * strings (at any depth, object keys included) never contain U+0000 or a lone
 * UTF-16 surrogate, values nest at most 256 levels, and `expiresAt` is a
 * finite time within 400 days of now. The empty string is an ordinary key.
 */
export interface SessionPatch {
  /** Keys to add or replace, with their new values (JSON-serialisable). */
  set: Record<string, unknown>;
  /** Keys to remove. */
  unset: string[];
  /** The new expiry, in milliseconds since the epoch. */
  expiresAt: number;
  /**
   * When present, the store applies the patch only if the resulting data,
   * serialised as the store keeps it, is at most `maxBytes` bytes of UTF-8, or
   * no larger than the data before the patch (so a session over the limit can
   * always shrink). Otherwise it writes nothing and rejects with a
   * `SessionDataTooLargeError`. The check is part of the same atomic step as
   * the write, so concurrent writers cannot pass it together.
   */
  maxBytes?: number;
}

/**
 * A server-side session store. `id` is what `idOf(key)` gives for the session
 * key: by default the lowercase hex SHA-256 of the key (64 characters), so
 * stores never see cookie values.
 *
 * Every method rejects (with any error) when the backend fails; the library
 * wraps that in a `SessionStoreError`, except a `SessionDataTooLargeError`,
 * which reaches the caller as it is. A store must never report success for a
 * write that did not happen.
 */
export interface SessionStore {
  /**
   * How the store names the row of a session key. Absent: the lowercase hex
   * SHA-256 of the key's UTF-8 bytes. Only a store that must share rows with
   * another framework keeping plain keys (Django's database backend) overrides it.
   */
  idOf?(key: string): string;
  /** The record, or `null` when there is none or it has expired. */
  load(id: string): Promise<SessionRecord | null>;
  /** Inserts a new record; resolves `false` (and writes nothing) when `id` is taken. */
  create(id: string, record: SessionRecord): Promise<boolean>;
  /**
   * Applies `patch` atomically; resolves `false` when the row is gone or
   * expired (it is never re-created); rejects with a `SessionDataTooLargeError`
   * (writing nothing) when `patch.maxBytes` is given and the result would pass it.
   */
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

/**
 * An optional, internal fast path a store can offer next to `load()`: the
 * same answer, given synchronously when the store can (an embedded database
 * answering at once, memory), or `undefined` when it cannot right now (then
 * `load()` is used). Reading a session then costs no promise hop between the
 * store and the handler. Not part of the public contract.
 * @internal
 */
export const LOAD_NOW: unique symbol = Symbol.for("fetch-session.load-now");

/** A store with the {@link LOAD_NOW} fast path. @internal */
export interface LoadsNow {
  [LOAD_NOW](id: string): SessionRecord | null | undefined;
}
