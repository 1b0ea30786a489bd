/**
 * `withSession` and `getSession`: Django's `SessionMiddleware` for fetch
 * handlers. This module wraps the handler and hands out the request's
 * session; the options, the loading and the response phase have modules of
 * their own.
 *
 * @module
 */
import { optionTypeError, withSessionConfig, type WithSessionOptions, type WrapperConfig } from "./options.ts";
import { backendFor } from "./backend.ts";
import { loadedDefaultBackend, type RequestState, requestSession } from "./request-state.ts";
import { finish } from "./response.ts";
import { type Session, type SessionData, sessionState } from "./session.ts";

/** A fetch handler: a `Request` and whatever else the runtime passes. */
export type SessionHandler<Rest extends unknown[], Result> = (request: Request, ...rest: Rest) => Result;

const STATE = Symbol("fetch-session.request-state");
type Carrier = { [STATE]?: RequestState };
/** Only for a Request that cannot take a property (frozen). */
const frozenStates = new WeakMap<Request, RequestState>();
/**
 * Each request's state, kept on the request under a symbol: adding a WeakMap
 * entry per request cost 3-4 µs on Node 24 (V8 ephemerons), a property
 * 0.2-0.3 µs (bench/micro/untouched.mjs).
 */
const states = {
  get(request: Request): RequestState | undefined {
    return (request as Carrier)[STATE] ?? frozenStates.get(request);
  },
  set(request: Request, state: RequestState): void {
    if (Object.isExtensible(request)) (request as Carrier)[STATE] = state;
    else frozenStates.set(request, state);
  },
};

/**
 * The session of a request wrapped by `withSession`. Loaded at most once per
 * request: later and concurrent calls return the same object. A handler that
 * never calls it costs no store access.
 *
 * @typeParam Data the shape of the session's data
 * @param request the request the wrapped handler received
 * @returns the session
 * @throws {TypeError} when `withSession` did not wrap the handler that received `request`
 * @throws {SessionStoreError} when the store fails to load the session
 * @example
 * ```ts
 * const session = await getSession<{ num_visits: number }>(request);
 * session.set("num_visits", (session.get("num_visits") ?? 0) + 1);
 * ```
 */
export function getSession<Data extends SessionData = SessionData>(request: Request): Promise<Session<Data>> {
  const state = states.get(request);
  if (state === undefined) {
    return Promise.reject(
      new TypeError(
        "getSession() was called with a request that withSession() did not wrap: wrap the handler with withSession(handler) and pass it the same Request object",
      ),
    );
  }
  const pending = requestSession(state);
  const session = state.loaded;
  // Loaded (now or by an earlier call): the promise already holds it, so no further tick.
  if (session !== undefined) {
    sessionState(session).accessed = true;
    return pending as unknown as Promise<Session<Data>>;
  }
  return pending.then(markAccessed) as unknown as Promise<Session<Data>>;
}

function markAccessed(session: Session): Session {
  sessionState(session).accessed = true;
  return session;
}

/** Whether two configurations name the same cookie (name, path and domain), so they share one session. */
function sameCookie(a: WrapperConfig, b: WrapperConfig): boolean {
  return a.cookie.name === b.cookie.name && a.cookie.path === b.cookie.path && a.cookie.domain === b.cookie.domain;
}

/**
 * Wraps a fetch handler so that `getSession(request)` works inside it, and
 * saves the session and sets the cookie when the response is returned.
 *
 * Wrapped handlers can be nested (an app mounting a wrapped sub-app) on the
 * same `Request`:
 * - an inner `withSession` for the same cookie (name, path and domain) joins
 *   the outer one: both handlers get the same session, under the outer
 *   wrapper's store and options, and the outer wrapper saves it once, when
 *   the outer handler returns;
 * - an inner `withSession` for another cookie keeps its own session while its
 *   handler runs and saves it when that handler returns; the outer handler's
 *   session is its own again afterwards.
 *
 * @param handler `(request, ...rest) => Response`; extra arguments (Bun's
 *   `server`, Deno's `info`, Workers' `env, ctx`) pass through untouched
 * @param options store, cookie and policy options (validated now)
 * @returns a handler with the same parameters
 * @throws {TypeError} for an option of the wrong type
 * @throws {RangeError} for an option out of range
 * @example
 * ```ts
 * import { withSession, getSession, MemoryStore } from "fetch-session";
 *
 * const app = withSession(async (request: Request) => {
 *   const session = await getSession<{ num_visits: number }>(request);
 *   const visits = (session.get("num_visits") ?? 0) + 1;
 *   session.set("num_visits", visits);
 *   return new Response(`You have visited this page ${visits} times.`);
 * }, { store: new MemoryStore() });
 *
 * Bun.serve({ fetch: app });
 * ```
 */
export function withSession<Rest extends unknown[], Result extends Response | undefined | void>(
  handler: SessionHandler<Rest, Promise<Result>>,
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Promise<Result>;
export function withSession<Rest extends unknown[], Result extends Response | undefined | void>(
  handler: SessionHandler<Rest, Result | Promise<Result>>,
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Result | Promise<Result>;
export function withSession<Rest extends unknown[], Result extends Response | undefined | void>(
  handler: SessionHandler<Rest, Result | Promise<Result>>,
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Result | Promise<Result> {
  if (typeof handler !== "function") throw optionTypeError("handler", "a function", handler);
  const config = withSessionConfig(options);
  const store = config.store;
  // A store object has one backend for every request; the default store's is known once it has loaded.
  const fixed = store !== undefined && typeof store !== "function" ? backendFor(store) : undefined;

  return function sessionHandler(request: Request, ...rest: Rest): Result | Promise<Result> {
    const outer = states.get(request);
    // Nested inside a running wrapper for the same cookie: one session, saved by the outer wrapper.
    if (outer !== undefined && outer.running && sameCookie(outer.config, config)) return handler(request, ...rest);

    const backend = fixed ?? (store === undefined ? loadedDefaultBackend() : undefined);
    const state: RequestState = {
      config,
      backend,
      request,
      rest,
      cookie: undefined,
      session: undefined,
      loaded: undefined,
      running: true,
    };
    states.set(request, state);
    const done = () => {
      state.running = false;
      if (outer !== undefined && outer.running) states.set(request, outer);
    };
    let result: Result | Promise<Result>;
    try {
      result = handler(request, ...rest);
    } catch (error) {
      done();
      return Promise.reject(error);
    }
    // A handler that answered synchronously keeps Bun's and Deno's fast path for synchronous responses.
    if (typeof (result as Promise<Result> | undefined)?.then === "function") {
      return (result as Promise<Result>).then(
        (response) => {
          done();
          return finish(state, response);
        },
        (error: unknown) => {
          done();
          throw error;
        },
      );
    }
    done();
    return finish(state, result as Result);
  };
}
