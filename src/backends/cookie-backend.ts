/**
 * The backend over a cookie store (Django's `signed_cookies`): the cookie
 * carries the signed data; there are no rows.
 *
 * @module
 */
import type { SessionBackend } from "../backend.ts";
import { checkRecord } from "../backend.ts";
import { type LoadedSession, markSaved, type SessionState, wholeRecord } from "../session-state.ts";
import type { CookieSessionStore, SessionRecord } from "../store.ts";

/** Sessions that live in the cookie. @internal */
export class CookieBackend implements SessionBackend {
  readonly #store: CookieSessionStore;

  constructor(store: CookieSessionStore) {
    this.#store = store;
  }

  async load(value: string, maxAge: number): Promise<LoadedSession | null> {
    let record: SessionRecord | null = null;
    try {
      record = await this.#store.decode(value, maxAge);
    } catch (error) {
      // A cookie store must not throw on client input; treat it as no session.
      console.warn("fetch-session: the cookie store threw while decoding a cookie; starting a fresh session", error);
    }
    return record === null ? null : { key: value, id: null, record: checkRecord(record) };
  }

  async commit(state: SessionState): Promise<void> {
    const { record, json } = wholeRecord(state);
    // Not a store failure: encoding is local, and its errors (RangeError: too large for a cookie) are the caller's to fix.
    const value = await this.#store.encode(record, state.policy.cookieName);
    markSaved(state, value, null, record.expiresAt, json);
  }

  async commitWithoutCookie(): Promise<void> {
    // The data travels in the cookie, and no cookie can be sent.
  }

  async cycleKey(state: SessionState): Promise<void> {
    // The value is re-signed at save; there is no row to move.
    state.key = null;
  }

  async destroy(): Promise<void> {
    // Nothing is kept outside the browser; the response expires the cookie.
  }

  async revoke(): Promise<number> {
    throw new TypeError("revokeSessions() cannot revoke CookieStore sessions: they live in the browser until they expire");
  }
}
