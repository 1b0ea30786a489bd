/**
 * An in-process test client: calls a wrapped handler with `new Request(...)`
 * and keeps the cookies it sets, as a browser would.
 */
import { parseSetCookie } from "cookie-es";
import { getSession, MemoryStore, type Session, type SessionPatch, type SessionRecord, type SessionStore, withSession, type WithSessionOptions } from "../../mod.ts";

export type Handler = (request: Request) => Response | Promise<Response>;

/** A MemoryStore that records every call, to count statements and check ids. */
export class SpyStore implements SessionStore {
  readonly inner = new MemoryStore();
  readonly calls: { method: string; id?: string }[] = [];
  count(method?: string): number {
    return method === undefined ? this.calls.length : this.calls.filter((c) => c.method === method).length;
  }
  reset(): void {
    this.calls.length = 0;
  }
  load(id: string): Promise<SessionRecord | null> {
    this.calls.push({ method: "load", id });
    return this.inner.load(id);
  }
  create(id: string, record: SessionRecord): Promise<boolean> {
    this.calls.push({ method: "create", id });
    return this.inner.create(id, record);
  }
  update(id: string, patch: SessionPatch): Promise<boolean> {
    this.calls.push({ method: "update", id });
    return this.inner.update(id, patch);
  }
  delete(id: string): Promise<void> {
    this.calls.push({ method: "delete", id });
    return this.inner.delete(id);
  }
  clearExpired(): Promise<number> {
    return this.inner.clearExpired();
  }
}

export interface SetCookieSeen {
  name: string;
  value: string;
  raw: string;
  maxAge?: number;
  expires?: Date;
}

/** Parsed `Set-Cookie` headers of a response. */
export function setCookies(response: Response): SetCookieSeen[] {
  return response.headers.getSetCookie().map((raw) => {
    const parsed = parseSetCookie(raw, { decode: false })!;
    return { name: parsed.name, value: parsed.value, raw, maxAge: parsed.maxAge, expires: parsed.expires };
  });
}

export interface Client {
  readonly app: (request: Request) => Response | Promise<Response>;
  readonly store: SessionStore;
  readonly jar: Map<string, string>;
  /** Sends a request through the wrapped app with the jar's cookies. */
  request(handler: Handler, init?: RequestInit & { path?: string }): Promise<Response>;
  /** Runs `fn` with the request's session inside a handler returning `status` (default 200). */
  run<T>(fn: (session: Session<any>, request: Request) => T | Promise<T>, status?: number): Promise<{ value: T; response: Response }>;
  /** The session cookie in the jar. */
  cookie(): string | undefined;
}

export function createClient(options: WithSessionOptions = {}): Client {
  const store = (options.store ?? new MemoryStore()) as SessionStore;
  const name = options.cookie?.name ?? "sessionid";
  let current: Handler = () => new Response("no handler");
  const app = withSession((request: Request) => current(request), { ...options, store });
  const jar = new Map<string, string>();
  async function request(handler: Handler, init: RequestInit & { path?: string } = {}): Promise<Response> {
    current = handler;
    const headers = new Headers(init.headers);
    if (jar.size > 0 && !headers.has("cookie")) {
      headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await app(new Request(`http://localhost${init.path ?? "/"}`, { ...init, headers }));
    for (const cookie of setCookies(response)) {
      const expired = (cookie.maxAge !== undefined && cookie.maxAge <= 0) ||
        (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired) jar.delete(cookie.name);
      else jar.set(cookie.name, cookie.value);
    }
    return response;
  }
  async function run<T>(fn: (session: Session<any>, request: Request) => T | Promise<T>, status = 200) {
    let value!: T;
    const response = await request(async (req) => {
      value = await fn(await getSession(req), req);
      return new Response("ok", { status });
    });
    return { value, response };
  }
  return { app, store, jar, request, run, cookie: () => jar.get(name) };
}

/** The id a store sees for a key. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
