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
  readonly request: Request;
  readonly rest: unknown[];
  /** The incoming cookie value: undefined = not read yet, null = none came in. */
  cookie: string | null | undefined;
  session: Promise<Session> | undefined;
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

async function resolveBackend(state: RequestState): Promise<SessionBackend> {
  const option = state.config.store;
  let store: AnySessionStore;
  if (option === undefined) store = await loadDefaultStore();
  else if (typeof option === "function") {
    store = await option(state.request, ...state.rest);
    if (!isStore(store)) throw optionTypeError("store", "the store factory to return a SessionStore or CookieStore", store);
  } else store = option;
  return backendFor(store);
}

async function loadSession(state: RequestState): Promise<Session> {
  const backend = await resolveBackend(state);
  const policy = state.config.policy;
  const value = incomingCookie(state);
  const loaded = value === null || value === "" ? null : await backend.load(value, policy.maxAge);
  return newSession(backend, policy, loaded);
}

/** The request's session, loaded on the first call; later and concurrent calls share it. @internal */
export function requestSession(state: RequestState): Promise<Session> {
  state.session ??= loadSession(state);
  return state.session;
}
