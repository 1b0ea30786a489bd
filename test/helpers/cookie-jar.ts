/**
 * A small cookie jar for driving a server over real HTTP: it sends the cookies
 * it holds, never follows redirects, and applies every `Set-Cookie` (an expired
 * cookie is removed), as a browser would for one host.
 *
 * @module
 */

/** One parsed `Set-Cookie` header. */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case; valueless attributes (`HttpOnly`) map to `true`. */
  attributes: Map<string, string | true>;
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
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** Whether a `Set-Cookie` removes the cookie (`Max-Age` <= 0 or an `Expires` in the past). */
export function isExpired(cookie: SetCookie, now = Date.now()): boolean {
  const maxAge = cookie.attributes.get("max-age");
  if (typeof maxAge === "string") return Number(maxAge) <= 0;
  const expires = cookie.attributes.get("expires");
  return typeof expires === "string" && Date.parse(expires) <= now;
}

/** The cookies of one client, for one server. */
export class CookieJar {
  #cookies = new Map<string, string>();
  /** The `Set-Cookie` headers of the last response, parsed. */
  lastSetCookies: SetCookie[] = [];

  /** The cookie's current value, or `undefined`. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Puts a cookie in the jar by hand (to replay an old value). */
  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  /** The `Cookie` request header for the cookies held, or `null` when empty. */
  header(): string | null {
    if (this.#cookies.size === 0) return null;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Applies the response's `Set-Cookie` headers; returns them parsed. */
  receive(response: Response): SetCookie[] {
    this.lastSetCookies = response.headers.getSetCookie().map((header) => parseSetCookie(header));
    for (const cookie of this.lastSetCookies) {
      if (isExpired(cookie)) this.#cookies.delete(cookie.name);
      else this.#cookies.set(cookie.name, cookie.value);
    }
    return this.lastSetCookies;
  }

  /** `fetch` with this jar's cookies and `redirect: "manual"`; the response's cookies are kept. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header();
    if (cookie !== null) headers.set("Cookie", cookie);
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    this.receive(response);
    return response;
  }

  /** Posts a URL-encoded form. */
  async post(url: string | URL, fields: Record<string, string> = {}, headers: HeadersInit = {}): Promise<Response> {
    return await this.fetch(url, { method: "POST", body: new URLSearchParams(fields), headers });
  }
}
