/**
 * The response phase of `withSession` (Django's
 * `SessionMiddleware.process_response`): save the session when needed, set or
 * expire the cookie, add `Vary: Cookie`, copy a response whose headers are
 * immutable, and save changes on a WebSocket upgrade.
 *
 * @module
 */
import { serializeCookie, serializeExpiredCookie } from "./cookie.ts";
import { SessionInterruptedError } from "./errors.ts";
import type { WrapperConfig } from "./options.ts";
import { incomingCookie, type RequestState, requestSession } from "./request-state.ts";
import { type Session, sessionState } from "./session.ts";

/** Appends `Cookie` to Vary unless it (or `*`) is already there, keeping order (Django's `patch_vary_headers`). */
function addVary(headers: Headers): void {
  const vary = headers.get("vary");
  if (vary === null || vary.trim() === "") {
    headers.set("vary", "Cookie");
    return;
  }
  for (const part of vary.split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "*" || name === "cookie") return;
  }
  headers.set("vary", `${vary}, Cookie`);
}

/** Applies header changes, copying the response first when its headers are immutable. */
function withHeaders(response: Response, setCookie: string | undefined, vary: boolean): Response {
  if (setCookie === undefined && !vary) return response;
  const apply = (headers: Headers) => {
    if (setCookie !== undefined) headers.append("set-cookie", setCookie);
    if (vary) addVary(headers);
  };
  try {
    apply(response.headers);
    return response;
  } catch {
    // Response.redirect() and fetch() responses have immutable headers; the first change throws, so nothing was applied.
    const copy = new Response(response.body, response);
    apply(copy.headers);
    return copy;
  }
}

const warnedInsecure = new WeakSet<WrapperConfig>();

function warnIfInsecure(state: RequestState): void {
  const config = state.config;
  if (config.cookie.secure || warnedInsecure.has(config)) return;
  if (!state.request.url.startsWith("https:")) return;
  warnedInsecure.add(config);
  console.warn(
    "fetch-session: a request arrived over HTTPS but cookie.secure is false, so the session cookie can leak over plain HTTP; set cookie: { secure: true }",
  );
}

/**
 * The 400 for a session deleted before this request could save it (Django's
 * `SessionInterrupted`). The cookie is left alone: the browser may have just
 * received a new one from a concurrent login, which an expiring Set-Cookie
 * would delete.
 */
function interrupted(response: Response): Response {
  response.body?.cancel().catch(() => {});
  const error = new SessionInterruptedError();
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8", vary: "Cookie" });
  return new Response(error.message, { status: 400, headers });
}

/**
 * Saves when needed and sets or expires the cookie. Answers synchronously
 * when the session has loaded and nothing needs saving (a read).
 */
function respond(state: RequestState, response: Response): Response | Promise<Response> {
  const config = state.config;
  let pending = state.session;
  const openedByHandler = pending !== undefined;
  if (pending === undefined) {
    // Untouched: no store call, no header change. With saveEveryRequest an incoming cookie is renewed.
    if (!config.saveEveryRequest || incomingCookie(state) === null) return response;
    pending = requestSession(state);
  }
  const session = state.loaded;
  if (session !== undefined) return settle(state, response, session);
  return pending.then(
    (loaded) => settle(state, response, loaded),
    (error: unknown) => {
      // The handler got this SessionStoreError from getSession() and answered anyway (e.g. a 503): keep its response.
      if (openedByHandler) return response;
      throw error;
    },
  );
}

/** What the response gets for a loaded session: headers only, or a save first. */
function settle(state: RequestState, response: Response, session: Session): Response | Promise<Response> {
  const config = state.config;
  const internal = sessionState(session);
  const cookieCameIn = incomingCookie(state) !== null;
  const empty = session.isEmpty();

  if (cookieCameIn && empty) {
    return withHeaders(response, serializeExpiredCookie(config.cookie), true);
  }
  const stored = internal.storedExpiresAt;
  const refresh =
    config.refreshAfterMs >= 0 &&
    internal.key !== null &&
    stored > 0 &&
    Date.now() - (stored - session.getExpiryAge() * 1000) >= config.refreshAfterMs;
  if (!(internal.modified || config.saveEveryRequest || refresh) || empty || response.status >= 500) {
    return withHeaders(response, undefined, internal.accessed);
  }
  return saveAndSetCookie(state, response, session);
}

function saveAndSetCookie(state: RequestState, response: Response, session: Session): Promise<Response> {
  return session.save().then(
    () => {
      warnIfInsecure(state);
      const maxAge = session.getExpireAtBrowserClose() ? undefined : Math.max(0, session.getExpiryAge());
      const setCookie = serializeCookie(state.config.cookie, session.key!, maxAge, Date.now());
      return withHeaders(response, setCookie, true);
    },
    (error: unknown) => {
      if (error instanceof SessionInterruptedError) return interrupted(response);
      throw error;
    },
  );
}

function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  return (
    typeof value === "object" && value !== null && typeof (value as Response).status === "number" &&
    typeof (value as Response).headers?.get === "function"
  );
}

/**
 * On a WebSocket upgrade, changes to an existing session are saved; no cookie
 * can be sent. The upgrade goes through whatever happens to the session: the
 * socket is already open (Bun) or the 101 is all that can be returned.
 */
async function saveUpgrade(state: RequestState): Promise<void> {
  if (state.session === undefined) return;
  let session: Session;
  try {
    session = await state.session;
  } catch {
    return; // the handler got this load error from getSession() and upgraded anyway
  }
  if (!session.modified) return;
  const internal = sessionState(session);
  try {
    await internal.backend.commitWithoutCookie(internal);
  } catch (error) {
    // A session deleted meanwhile (a concurrent logout) stays deleted.
    if (error instanceof SessionInterruptedError) return;
    throw error;
  }
}

/**
 * The wrapped handler's result once the session is dealt with. An untouched
 * request gets the handler's result as it returned it (no store call, no
 * header change, no extra tick); a session that loaded and needs no save
 * gets its headers without a tick either.
 * @internal
 */
export function finish<Result>(state: RequestState, result: Result): Result | Promise<Result> {
  if (state.session === undefined && !state.config.saveEveryRequest) return result;
  // Bun's server.upgrade() leaves nothing to return; a 101 cannot be copied or given headers.
  if (!isResponse(result) || result.status === 101) return saveUpgrade(state).then(() => result);
  try {
    return respond(state, result) as Result | Promise<Result>;
  } catch (error) {
    return Promise.reject(error);
  }
}
