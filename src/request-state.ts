/**
 * What `withSession` knows about one request: its options, the incoming
 * cookie (read once), the store for the request, and the session, loaded at
 * most once.
 *
 * @module
 */
import { backendFor, type SessionBackend } from "./backend.ts";
import { readCookie } from "./cookie.ts";
import { loadDefaultStore } from "./default-store.ts";
import { isStore, optionTypeError, type WrapperConfig } from "./options.ts";
import { newSession, type Session } from "./session.ts";
import type { AnySessionStore } from "./store.ts";

/** One request inside one `withSession`. @internal */
export interface RequestState {
  readonly config: WrapperConfig;
  /** The backend of the wrapper's store, when it is known before the request (a store object, or the default once loaded). */
  readonly backend: SessionBackend | undefined;
  readonly request: Request;
  readonly rest: unknown[];
  /** The incoming cookie value: undefined = not read yet, null = none came in. */
  cookie: string | null | undefined;
  session: Promise<Session> | undefined;
  /** The session once it has loaded (so the response phase needs no tick to reach it). */
  loaded: Session | undefined;
  /** True while the wrapped handler runs (a nested `withSession` can then join it). */
  running: boolean;
}

/** The session cookie's value in the request, or null. @internal */
export function incomingCookie(state: RequestState): string | null {
  if (state.cookie === undefined) {
    state.cookie = readCookie(state.request.headers.get("cookie"), state.config.cookie.name) ?? null;
  }
  return state.cookie;
}

let defaultBackend: SessionBackend | undefined;

/** The backend of the default store once it has loaded (then a request needs no tick to reach it). @internal */
export function loadedDefaultBackend(): SessionBackend | undefined {
  return defaultBackend;
}

async function resolveBackend(state: RequestState): Promise<SessionBackend> {
  const option = state.config.store;
  if (option === undefined) {
    defaultBackend ??= backendFor(await loadDefaultStore());
    return defaultBackend;
  }
  let store: AnySessionStore;
  if (typeof option === "function") {
    store = await option(state.request, ...state.rest);
    if (!isStore(store)) throw optionTypeError("store", "the store factory to return a SessionStore or CookieStore", store);
  } else store = option;
  return backendFor(store);
}

function loaded(state: RequestState, session: Session): Session {
  state.loaded = session;
  return session;
}

/** Loads the session from a backend whose store is already known: no tick when the store answers at once. */
function loadFrom(state: RequestState, backend: SessionBackend): Promise<Session> {
  const policy = state.config.policy;
  let value: string | null;
  let now: ReturnType<NonNullable<SessionBackend["loadNow"]>>;
  try {
    value = incomingCookie(state);
    if (value === null || value === "") return Promise.resolve(loaded(state, newSession(backend, policy, null)));
    now = backend.loadNow?.(value, policy.maxAge);
    if (now !== undefined) return Promise.resolve(loaded(state, newSession(backend, policy, now)));
  } catch (error) {
    return Promise.reject(error);
  }
  return backend.load(value, policy.maxAge).then((found) => loaded(state, newSession(backend, policy, found)));
}

/** The request's session, loaded on the first call; later and concurrent calls share it. @internal */
export function requestSession(state: RequestState): Promise<Session> {
  state.session ??= state.backend === undefined
    ? resolveBackend(state).then((backend) => loadFrom(state, backend))
    : loadFrom(state, state.backend);
  return state.session;
}
