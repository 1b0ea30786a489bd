/**
 * `fetch-session/django`: share sessions with a running Django site.
 *
 * - {@linkcode djangoCookieStore}: Django's `signed_cookies` backend, byte for byte.
 * - {@linkcode djangoDatabaseStore}: Django's `django_session` table (database backend).
 *
 * - {@linkcode djangoSessionAuthHashMatches}: checks `_auth_user_hash` against
 *   the user's password hash, as Django's `get_user()` does.
 *
 * Both stores use Django's key names (`_session_expiry`, `testcookie`) at their
 * boundary, and keep Django's `_auth_user_id`, `_auth_user_backend` and
 * `_auth_user_hash`, readable with `session.get("_auth_user_id")`.
 *
 * @example
 * ```ts
 * import { getSession, withSession } from "fetch-session";
 * import { djangoCookieStore } from "fetch-session/django";
 *
 * const app = withSession(async (request) => {
 *   const session = await getSession(request);
 *   const userId = session.get("_auth_user_id"); // set by django.contrib.auth.login()
 *   return new Response(userId ? `Hello, user ${userId}` : "Not logged in");
 * }, { store: djangoCookieStore({ secretKey: process.env.DJANGO_SECRET_KEY! }) });
 * ```
 *
 * @module
 */
export { DJANGO_COOKIE_SALT, djangoCookieStore } from "./cookie-store.ts";
export type { DjangoCookieStoreOptions } from "./cookie-store.ts";
export { DJANGO_DATABASE_SALT, DjangoDatabaseStore, djangoDatabaseStore } from "./database-store.ts";
export type { DjangoDatabaseStoreOptions } from "./database-store.ts";
export { djangoJson } from "./json.ts";
export { djangoSessionAuthHash, djangoSessionAuthHashMatches } from "./auth.ts";
