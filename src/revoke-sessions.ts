/**
 * Revoking every session of a user ("log out everywhere").
 *
 * @module
 */
import { backendFor } from "./backend.ts";
import { quote } from "./errors.ts";
import { isStore } from "./options.ts";
import { Session, sessionState } from "./session.ts";
import { OWN_KEYS } from "./session-state.ts";
import type { AnySessionStore, SessionStore } from "./store.ts";
import { textProblem } from "./values.ts";

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
 * @param where exactly one entry: the key and the value to match (string,
 *   finite number or boolean); the key and a string value have no U+0000 and no
 *   lone surrogates. Keys other software writes can be matched (Django's
 *   `_auth_user_id`); the library's own (`_expiry`, `_testcookie`, `_flash`) cannot
 * @param options `keep`: a session that survives
 * @returns how many sessions were deleted
 * @throws {TypeError} when the store cannot revoke (no `deleteWhere`, or a cookie store), or `where` is not one valid entry
 * @throws {RangeError} when the key is one of the library's own
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
  let backend;
  if (from instanceof Session) backend = sessionState(from).backend;
  else if (isStore(from)) backend = backendFor(from);
  else throw new TypeError(`revokeSessions() needs a store or a session: received ${quote(from)}`);
  const entries = typeof where === "object" && where !== null && !Array.isArray(where) ? Object.entries(where) : [];
  if (entries.length !== 1) {
    throw new TypeError(`revokeSessions() needs exactly one key and value to match, e.g. { member_id: 42 }: received ${quote(where)}`);
  }
  const [field, value] = entries[0]!;
  if (OWN_KEYS.has(field)) throw new RangeError(`revokeSessions() cannot match the library's own key ${quote(field)}`);
  const fieldProblem = textProblem(field);
  if (fieldProblem !== undefined) throw new TypeError(`revokeSessions() cannot match the key ${quote(field)}: it ${fieldProblem}`);
  if (!(typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)))) {
    throw new TypeError(`revokeSessions() matches strings, finite numbers and booleans: received ${quote(value)} for ${quote(field)}`);
  }
  const valueProblem = typeof value === "string" ? textProblem(value) : undefined;
  if (valueProblem !== undefined) throw new TypeError(`revokeSessions() cannot match the value ${quote(value)} of ${quote(field)}: it ${valueProblem}`);
  const keep = options?.keep;
  const keepId = keep instanceof Session ? sessionState(keep).id ?? undefined : undefined;
  return backend.revoke(field, value, keepId);
}
