/**
 * The one HTTP + cookie helper for tests: parses `Set-Cookie`, keeps a cookie
 * jar that sends cookies back to an in-process handler or over real HTTP, and
 * computes the row id a store sees for a session key.
 *
 * Every test that reads a `Set-Cookie` or needs a row id uses this module
 * (works under Node, Bun and Deno: only `node:crypto`'s `createHash` beyond Web APIs).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The library's default session cookie name. */
export const SESSION_COOKIE = "sessionid";

/** A handler called in process (what `withSession` returns). */
export type Handler = (request: Request) => Response | Promise<Response>;

/** One parsed `Set-Cookie` header. */
export interface SetCookie {
  name: string;
  /** The value exactly as sent (not URL-decoded). */
  value: string;
  /** The whole header. */
  raw: string;
  /** Attribute names in lower case; valueless attributes (`HttpOnly`) map to `true`. */
  attributes: Map<string, string | true>;
  /** `Max-Age` as a number, when present. */
  maxAge?: number;
  /** `Expires` as a Date, when present. */
  expires?: Date;
}

/** Parses one `Set-Cookie` header value (RFC 6265 section 5.2, without domain matching). */
export function parseSetCookie(header: string): SetCookie {
  const [pair = "", ...rest] = header.split(";");
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string | true>();
  for (const part of rest) {
    const i = part.indexOf("=");
    if (i === -1) attributes.set(part.trim().toLowerCase(), true);
    else attributes.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  const cookie: SetCookie = {
    name: eq === -1 ? "" : pair.slice(0, eq).trim(),
    value: eq === -1 ? pair.trim() : pair.slice(eq + 1).trim(),
    raw: header,
    attributes,
  };
  const maxAge = attributes.get("max-age");
  if (typeof maxAge === "string") cookie.maxAge = Number(maxAge);
  const expires = attributes.get("expires");
  if (typeof expires === "string") cookie.expires = new Date(expires);
  return cookie;
}

/** Every `Set-Cookie` header of a response, parsed, in order. */
export function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map((header) => parseSetCookie(header));
}

/** The last `Set-Cookie` for `name` in a response, or `undefined`. */
export function setCookie(response: Response, name = SESSION_COOKIE): SetCookie | undefined {
  let found: SetCookie | undefined;
  for (const cookie of setCookies(response)) if (cookie.name === name) found = cookie;
  return found;
}

/**
 * The value the response sets for cookie `name`: `""` when it expires the
 * cookie, `undefined` when it does not set it.
 */
export function setCookieValue(response: Response, name = SESSION_COOKIE): string | undefined {
  const cookie = setCookie(response, name);
  if (cookie === undefined) return undefined;
  return isExpired(cookie) ? "" : cookie.value;
}

/** Whether a `Set-Cookie` removes the cookie (`Max-Age` <= 0, or an `Expires` in the past without `Max-Age`). */
export function isExpired(cookie: SetCookie, now = Date.now()): boolean {
  if (cookie.maxAge !== undefined) return !(cookie.maxAge > 0);
  return cookie.expires !== undefined && cookie.expires.getTime() <= now;
}

/**
 * The row id a server-side store sees for a session key: `store.idOf(key)` when
 * the store names rows itself, otherwise the lowercase hex SHA-256 of the key's
 * UTF-8 bytes (computed with `node:crypto`, independently of the library).
 */
export function rowId(key: string, store?: object): string {
  const idOf = (store as { idOf?: (key: string) => string } | undefined)?.idOf;
  if (typeof idOf === "function") return idOf.call(store, key);
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * The cookies of one client for one server, as a browser keeps them for one
 * host: sends what it holds, never follows redirects, applies every
 * `Set-Cookie` (an expired cookie is removed).
 *
 * `new CookieJar()` talks HTTP through `fetch(url)`; `new CookieJar(handler)`
 * calls an in-process handler with `new Request(...)`, paths resolving
 * against `http://localhost`.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  readonly #handler: Handler | undefined;
  readonly #base: string;
  /** The `Set-Cookie` headers of the last response, parsed. */
  lastSetCookies: SetCookie[] = [];

  constructor(handler?: Handler, base = "http://localhost") {
    this.#handler = handler;
    this.#base = base;
  }

  /** The cookie's current value, or `undefined`. */
  get(name = SESSION_COOKIE): string | undefined {
    return this.#cookies.get(name);
  }

  /** Puts a cookie in the jar by hand (to replay an old value). */
  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  /** Removes a cookie from the jar. */
  delete(name = SESSION_COOKIE): void {
    this.#cookies.delete(name);
  }

  /** Forgets every cookie. */
  clear(): void {
    this.#cookies.clear();
  }

  /** The number of cookies held. */
  get size(): number {
    return this.#cookies.size;
  }

  /** The `Cookie` request header for the cookies held, or `null` when empty. */
  header(): string | null {
    if (this.#cookies.size === 0) return null;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Applies the response's `Set-Cookie` headers; returns them parsed. */
  receive(response: Response): SetCookie[] {
    this.lastSetCookies = setCookies(response);
    for (const cookie of this.lastSetCookies) {
      if (isExpired(cookie)) this.#cookies.delete(cookie.name);
      else this.#cookies.set(cookie.name, cookie.value);
    }
    return this.lastSetCookies;
  }

  /** The request this jar would send (its cookies added unless `init` sets a `Cookie` header). */
  request(url: string | URL = "/", init: RequestInit = {}): Request {
    const headers = new Headers(init.headers);
    const cookie = this.header();
    if (cookie !== null && !headers.has("cookie")) headers.set("cookie", cookie);
    return new Request(new URL(url, this.#base), { ...init, headers, redirect: "manual" });
  }

  /** Sends a request with this jar's cookies (to the handler, or over HTTP) and keeps the response's cookies. */
  async fetch(url: string | URL = "/", init: RequestInit = {}): Promise<Response> {
    const request = this.request(url, init);
    const response = this.#handler === undefined ? await fetch(request) : await this.#handler(request);
    this.receive(response);
    return response;
  }

  /** Posts a URL-encoded form. */
  async post(url: string | URL, fields: Record<string, string> = {}, headers: HeadersInit = {}): Promise<Response> {
    return await this.fetch(url, { method: "POST", body: new URLSearchParams(fields), headers });
  }
}
