/**
 * Sessions outside a request: Django's "using sessions out of views"
 * (`SessionStore(session_key=...)`), and revoking every session of a user.
 *
 * @module
 */
import { quote } from "./errors.ts";
import { isValidKey } from "./keys.ts";
import { Session, type SessionContext, type SessionData, sessionContext, sessionId, storeCall, storeIdOf } from "./session.ts";
import { type AnySessionStore, isCookieStore, type SessionStore } from "./store.ts";

/** Options of `openSession`. */
export interface OpenSessionOptions {
  /** The store the session lives in (the same one `withSession` uses). */
  store: AnySessionStore;
  /** The default lifetime in seconds, as `cookie.maxAge` of `withSession`. @default 1209600 */
  maxAge?: number;
  /** As `withSession`'s option. @default false */
  expireAtBrowserClose?: boolean;
  /** As `withSession`'s option. @default 65536 */
  maxDataBytes?: number;
}

/**
 * Opens a session by its key (the cookie value) outside any request: from a
 * script, a background job or an admin tool. The session has the same API
 * and rules as in a request; nothing is written until you call `save()`,
 * `flush()` or `cycleKey()`.
 *
 * @param key the session key (for a `CookieStore`, the cookie value)
 * @param options the store, and the expiry policy `withSession` uses
 * @returns the session, or `null` when the key is malformed or names no live session
 * @throws {TypeError} when `options.store` is missing or `key` is not a string
 * @throws {SessionStoreError} when the store fails
 * @example
 * ```ts
 * const session = await openSession(key, { store });
 * if (session) {
 *   console.log(session.getExpiryDate(), session.entries());
 *   session.set("plan", "pro");
 *   await session.save();
 * }
 * ```
 */
export async function openSession<Data extends SessionData = SessionData>(
  key: string,
  options: OpenSessionOptions,
): Promise<Session<Data> | null> {
  if (typeof key !== "string") throw new TypeError(`openSession() needs a string key: received ${quote(key)}`);
  const store = options?.store;
  if (typeof store !== "object" || store === null) throw new TypeError("openSession() needs options.store");
  const maxAge = options.maxAge ?? 1_209_600;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new RangeError(`Invalid option maxAge: expected a whole number of seconds >= 0, received ${quote(maxAge)}`);
  }
  const ctx: SessionContext = {
    store,
    maxAge,
    expireAtBrowserClose: options.expireAtBrowserClose ?? false,
    maxDataBytes: options.maxDataBytes ?? 65_536,
  };
  if (isCookieStore(store)) {
    const record = await store.decode(key, maxAge).catch(() => null);
    return record === null ? null : new Session<Data>(ctx, key, null, record);
  }
  if (!isValidKey(key)) return null;
  const id = storeIdOf(store, key);
  const record = await storeCall("load the session", () => store.load(id));
  if (record === null) return null;
  return new Session<Data>(ctx, key, id, record);
}

/** Options of `revokeSessions`. */
export interface RevokeOptions {
  /** A session to keep ("log out other devices"). */
  keep?: Session<any>;
}

/**
 * Deletes every live session whose data has the given top-level value, in
 * one statement: "log out everywhere" after a password change, or, with
 * `keep`, "log out other devices".
 *
 * Signed-cookie sessions (`CookieStore`) live in the browser and cannot be
 * revoked before they expire: this throws for them.
 *
 * @param from a store, or a session (its store is used)
 * @param where exactly one entry: the key and the value to match (string, finite number or boolean)
 * @param options `keep`: a session that survives
 * @returns how many sessions were deleted
 * @throws {TypeError} when the store cannot revoke (no `deleteWhere`, or a cookie store) or `where` is not one entry
 * @throws {SessionStoreError} when the store fails
 * @example
 * ```ts
 * const session = await getSession(request);
 * // Log out other devices, keep this one:
 * await revokeSessions(session, { member_id: 42 }, { keep: session });
 * // Log out everywhere, this one included:
 * await revokeSessions(session, { member_id: 42 });
 * await session.flush();
 * ```
 */
export async function revokeSessions(
  from: SessionStore | AnySessionStore | Session<any>,
  where: Record<string, string | number | boolean>,
  options: RevokeOptions = {},
): Promise<number> {
  const store = from instanceof Session ? sessionContext(from).store : from;
  if (isCookieStore(store)) {
    throw new TypeError("revokeSessions() cannot revoke CookieStore sessions: they live in the browser until they expire");
  }
  if (typeof store?.deleteWhere !== "function") {
    throw new TypeError("revokeSessions() needs a store with deleteWhere() (MemoryStore and KyselyStore have it)");
  }
  const entries = typeof where === "object" && where !== null ? Object.entries(where) : [];
  if (entries.length !== 1) {
    throw new TypeError(`revokeSessions() needs exactly one key and value to match, e.g. { member_id: 42 }: received ${quote(where)}`);
  }
  const [field, value] = entries[0]!;
  if (field.startsWith("_")) throw new RangeError(`revokeSessions() cannot match the reserved key ${quote(field)}`);
  if (!(typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)))) {
    throw new TypeError(`revokeSessions() matches strings, finite numbers and booleans: received ${quote(value)} for ${quote(field)}`);
  }
  const keepId = options.keep ? sessionId(options.keep) ?? undefined : undefined;
  const deleteWhere = store.deleteWhere.bind(store);
  return storeCall("revoke sessions", () => deleteWhere(field, value, keepId));
}
