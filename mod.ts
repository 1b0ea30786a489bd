/**
 * fetch-session: Django's session framework for Web-standard fetch handlers.
 *
 * One `withSession(handler)` wraps any `(Request, ...rest) => Response`
 * handler; `getSession(request)` gives the handler a dict-like, lazily loaded
 * session that is saved only when modified.
 *
 * @example
 * ```ts
 * import { withSession, getSession, MemoryStore } from "fetch-session";
 *
 * const app = withSession(async (request: Request) => {
 *   const session = await getSession<{ num_visits: number }>(request);
 *   const visits = (session.get("num_visits") ?? 0) + 1;
 *   session.set("num_visits", visits);
 *   return new Response(`You have visited this page ${visits} time${visits === 1 ? "" : "s"}.`);
 * }, { store: new MemoryStore() });
 *
 * export default { fetch: app };
 * ```
 *
 * @module
 */
export { getSession, withSession } from "./src/with-session.ts";
export type { SessionHandler } from "./src/with-session.ts";
export type { CookieOptions, OpenSessionOptions, SameSite, StoreFactory, WithSessionOptions } from "./src/options.ts";
export { Session } from "./src/session.ts";
export type { SessionData } from "./src/session.ts";
export { openSession } from "./src/open-session.ts";
export { revokeSessions } from "./src/revoke-sessions.ts";
export type { RevokeOptions } from "./src/revoke-sessions.ts";
export { SessionDataTooLargeError, SessionInterruptedError, SessionStoreError } from "./src/errors.ts";
export type { AnySessionStore, CookieSessionStore, SessionPatch, SessionRecord, SessionStore } from "./src/store.ts";
export { MemoryStore } from "./src/stores/memory-store.ts";
export { CachedStore } from "./src/stores/cached-store.ts";
export type { CachedStoreOptions } from "./src/stores/cached-store.ts";
export type { MemoryStoreOptions } from "./src/stores/memory-store.ts";
export { KyselyStore } from "./src/stores/kysely-store.ts";
export type { KyselyStoreOptions } from "./src/stores/kysely-store.ts";
export { createSessionMigrations, sessionMigrations } from "./src/stores/schema.ts";
export type { SqlFamily } from "./src/stores/schema.ts";
export { CookieStore } from "./src/stores/cookie-store.ts";
export type { CookieStoreOptions } from "./src/stores/cookie-store.ts";
