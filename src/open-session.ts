/**
 * Sessions outside a request: Django's "using sessions out of views"
 * (`SessionStore(session_key=...)`).
 *
 * @module
 */
import { backendFor } from "./backend.ts";
import { quote } from "./errors.ts";
import { openSessionConfig, type OpenSessionOptions } from "./options.ts";
import { newSession, type Session, type SessionData } from "./session.ts";

/**
 * Opens a session by its key (the cookie value) outside any request: from a
 * script, a background job or an admin tool. The session has the same API
 * and rules as in a request; nothing is written until you call `save()`,
 * `flush()` or `cycleKey()`. The options are checked as `withSession`
 * checks its own.
 *
 * @param key the session key (for a `CookieStore`, the cookie value)
 * @param options the store, and the expiry and size policy `withSession` uses
 * @returns the session, or `null` when the key is malformed or names no live session
 * @throws {TypeError} when `key` is not a string, `options.store` is not a store, an option has the wrong type or is unknown
 * @throws {RangeError} when an option is out of range
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
  const { store, policy } = openSessionConfig(options);
  const backend = backendFor(store);
  const loaded = await backend.load(key, policy.maxAge);
  return loaded === null ? null : newSession<Data>(backend, policy, loaded);
}
