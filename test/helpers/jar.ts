/**
 * An in-process test client: calls a wrapped handler with `new Request(...)`
 * and keeps the cookies it sets, as a browser would.
 */
import { CookieJar } from "./http.ts";
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

export interface Client {
  readonly app: (request: Request) => Response | Promise<Response>;
  readonly store: SessionStore;
  readonly jar: CookieJar;
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
  const jar = new CookieJar(app);
  async function request(handler: Handler, init: RequestInit & { path?: string } = {}): Promise<Response> {
    current = handler;
    const { path = "/", ...rest } = init;
    return await jar.fetch(path, rest);
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
