/**
 * In-process checks of what `withSession` does with requests and results
 * that are not an ordinary GET and Response: HEAD and OPTIONS, a handler that
 * throws, a WebSocket upgrade's 101 response (Deno, Workers) and Bun's
 * `undefined` after `server.upgrade()`.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import {
  getSession,
  MemoryStore,
  openSession,
  SessionStoreError,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
  withSession,
} from "../../mod.ts";

/** A MemoryStore that records the name of every call. */
class SpyStore implements SessionStore {
  readonly inner = new MemoryStore();
  readonly calls: string[] = [];

  /** The calls that write. */
  writes(): string[] {
    return this.calls.filter((call) => call !== "load");
  }
  load(id: string): Promise<SessionRecord | null> {
    this.calls.push("load");
    return this.inner.load(id);
  }
  create(id: string, record: SessionRecord): Promise<boolean> {
    this.calls.push("create");
    return this.inner.create(id, record);
  }
  update(id: string, patch: SessionPatch): Promise<boolean> {
    this.calls.push("update");
    return this.inner.update(id, patch);
  }
  delete(id: string): Promise<void> {
    this.calls.push("delete");
    return this.inner.delete(id);
  }
}

const BASE = "http://localhost";

/** "a HEAD", "an OPTIONS". */
function article(method: string): string {
  return `${/^[AEIO]/.test(method) ? "an" : "a"} ${method}`;
}

/** The session key of a response's `Set-Cookie`, or undefined. */
function cookieKey(response: Response): string | undefined {
  return /^sessionid=([a-z0-9]{32});/.exec(response.headers.get("set-cookie") ?? "")?.[1];
}

/** A session with `name: "ada"` in `store`; returns its key. */
async function loggedIn(store: SessionStore): Promise<string> {
  const app = withSession(async (request: Request) => {
    (await getSession(request)).set("name", "ada");
    return new Response("ok");
  }, { store });
  const key = cookieKey(await app(new Request(`${BASE}/login`)));
  expect(key).toBeDefined();
  return key!;
}

function request(path: string, key?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (key !== undefined) headers.set("cookie", `sessionid=${key}`);
  return new Request(`${BASE}${path}`, { ...init, headers });
}

/**
 * A Response with status 101, as Deno's `Deno.upgradeWebSocket` and Workers'
 * `new Response(null, { status: 101, webSocket })` return (Node's `Response`
 * refuses status 101, so the status is overridden).
 */
class UpgradeResponse extends Response {
  readonly webSocket = { accept() {} };
  constructor() {
    super(null, { headers: { upgrade: "websocket", connection: "Upgrade" } });
  }
  override get status(): number {
    return 101;
  }
}

describe("withSession() on HEAD and OPTIONS requests", () => {
  for (const method of ["HEAD", "OPTIONS"]) {
    it(`${article(method)} handler that sets a value gets Set-Cookie and Vary: Cookie, and a later request sees the value`, async () => {
      const store = new MemoryStore();
      const app = withSession(async (req: Request) => {
        const session = await getSession(req);
        if (req.method === method) session.set("seen", method);
        return new Response(req.method === "HEAD" ? null : JSON.stringify({ seen: session.get("seen") ?? null }));
      }, { store });

      const first = await app(request("/", undefined, { method }));
      expect(first.status).toBe(200);
      const key = cookieKey(first);
      expect(key).toBeDefined();
      expect(first.headers.get("vary")).toBe("Cookie");

      const later = await app(request("/", key));
      expect(await later.json()).toEqual({ seen: method });
      expect(later.headers.get("set-cookie")).toBeNull();
    });

    it(`${article(method)} request with a session cookie reads the session like a GET`, async () => {
      const store = new SpyStore();
      const key = await loggedIn(store);
      const app = withSession(async (req: Request) => {
        const session = await getSession(req);
        return new Response(null, { headers: { "x-name": String(session.get("name")) } });
      }, { store });
      const response = await app(request("/", key, { method }));
      expect(response.headers.get("x-name")).toBe("ada");
      expect(response.headers.get("vary")).toBe("Cookie");
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(store.writes()).toEqual(["create"]);
    });
  }
});

describe("withSession() when the handler throws", () => {
  it("rejects with the same error object and saves nothing for a new session", async () => {
    const store = new SpyStore();
    const error = new Error("handler failed");
    const app = withSession(async (req: Request) => {
      (await getSession(req)).set("name", "ada");
      throw error;
    }, { store });
    await expect(app(request("/"))).rejects.toBe(error);
    expect(store.calls).toEqual([]);
  });

  it("rejects with the same error object and does not update an existing session the handler changed", async () => {
    const store = new SpyStore();
    const key = await loggedIn(store);
    store.calls.length = 0;
    const error = new TypeError("handler failed");
    const app = withSession(async (req: Request) => {
      const session = await getSession(req);
      session.set("name", "mallory");
      session.set("other", 1);
      throw error;
    }, { store });
    await expect(app(request("/", key))).rejects.toBe(error);
    expect(store.calls).toEqual(["load"]);
    expect((await openSession(key, { store }))?.get("name")).toBe("ada");
  });

  it("passes on a synchronous throw, and a thrown non-Error value, unchanged", async () => {
    const store = new SpyStore();
    const error = new RangeError("sync failure");
    const sync = withSession((_req: Request): Response => {
      throw error;
    }, { store });
    await expect(sync(request("/"))).rejects.toBe(error);
    const thrown = { reason: "not an Error" };
    const odd = withSession(async (req: Request): Promise<Response> => {
      (await getSession(req)).set("x", 1);
      throw thrown;
    }, { store });
    await expect(odd(request("/"))).rejects.toBe(thrown);
    expect(store.writes()).toEqual([]);
  });

  it("a store failure inside the handler reaches the caller as the same SessionStoreError", async () => {
    const store = new SpyStore();
    const key = await loggedIn(store);
    store.load = () => Promise.reject(new Error("database is down"));
    let seen: unknown;
    const app = withSession(async (req: Request) => {
      try {
        await getSession(req);
      } catch (error) {
        seen = error;
        throw error;
      }
      return new Response("unreachable");
    }, { store });
    const rejection = await app(request("/", key)).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(SessionStoreError);
    expect(rejection).toBe(seen);
  });
});

describe("withSession() with WebSocket upgrades", () => {
  it("returns a 101 response as the same object, headers untouched, even when a new session was changed", async () => {
    const store = new SpyStore();
    const upgrade = new UpgradeResponse();
    const before = [...upgrade.headers];
    const app = withSession(async (req: Request) => {
      (await getSession(req)).set("name", "ada");
      return upgrade;
    }, { store });
    const result = await app(request("/ws", undefined, { headers: { upgrade: "websocket" } }));
    expect(result).toBe(upgrade);
    expect(result.status).toBe(101);
    expect([...result.headers]).toEqual(before);
    // No cookie can reach the client, so a new session is not stored.
    expect(store.calls).toEqual([]);
  });

  it("returns a duck-typed 101 object (another realm's Response) as the same object", async () => {
    const headers = new Headers({ upgrade: "websocket" });
    const upgrade = { status: 101, headers, webSocket: {} } as unknown as Response;
    const store = new SpyStore();
    const key = await loggedIn(store);
    const app = withSession(async (req: Request) => {
      (await getSession(req)).get("name");
      return upgrade;
    }, { store });
    const result = await app(request("/ws", key));
    expect(result).toBe(upgrade);
    expect([...headers]).toEqual([["upgrade", "websocket"]]);
  });

  it("reads the session on the upgrade request and saves a change to an existing session under the same key", async () => {
    const store = new SpyStore();
    const key = await loggedIn(store);
    store.calls.length = 0;
    let greeting = "";
    const upgrade = new UpgradeResponse();
    const app = withSession(async (req: Request) => {
      const session = await getSession<{ name: string; sockets: number }>(req);
      greeting = `hello ${session.get("name")}`;
      session.set("sockets", 1);
      return upgrade;
    }, { store });
    expect(await app(request("/ws", key))).toBe(upgrade);
    expect(greeting).toBe("hello ada");
    expect(store.calls).toEqual(["load", "update"]);
    const reopened = await openSession(key, { store });
    expect(Object.fromEntries(reopened!.entries())).toEqual({ name: "ada", sockets: 1 });
    expect(upgrade.headers.get("set-cookie")).toBeNull();
  });

  it("cycleKey() before upgrading: the old key no longer opens and the data is under the new key", async () => {
    const store = new SpyStore();
    const oldKey = await loggedIn(store);
    let newKey: string | null = null;
    const upgrade = new UpgradeResponse();
    const app = withSession(async (req: Request) => {
      const session = await getSession(req);
      await session.cycleKey();
      newKey = session.key;
      return upgrade;
    }, { store });
    expect(await app(request("/ws", oldKey))).toBe(upgrade);
    expect(newKey).toMatch(/^[a-z0-9]{32}$/);
    expect(newKey).not.toBe(oldKey);
    expect(await openSession(oldKey, { store })).toBeNull();
    expect((await openSession(newKey!, { store }))?.get("name")).toBe("ada");
    expect(upgrade.headers.get("set-cookie")).toBeNull();
  });

  it("a handler that returns undefined (Bun after server.upgrade()) resolves undefined, and changes to an existing session are saved", async () => {
    const store = new SpyStore();
    const key = await loggedIn(store);
    store.calls.length = 0;
    const app = withSession(async (req: Request): Promise<Response | undefined> => {
      const session = await getSession(req);
      session.set("sockets", 1);
      return undefined;
    }, { store });
    await expect(app(request("/ws", key))).resolves.toBeUndefined();
    expect(store.calls).toEqual(["load", "update"]);
    expect((await openSession(key, { store }))?.get("sockets")).toBe(1);
  });

  it("a change on an upgrade request whose session was deleted meanwhile does not bring the session back", async () => {
    const store = new SpyStore();
    const key = await loggedIn(store);
    const logout = withSession(async (req: Request) => {
      await (await getSession(req)).flush();
      return new Response("logged out");
    }, { store });
    const upgrade = new UpgradeResponse();
    const app = withSession(async (req: Request) => {
      const session = await getSession(req);
      session.set("sockets", 1);
      await logout(request("/logout", key)); // a concurrent logout, between load and save
      return upgrade;
    }, { store });
    await Promise.allSettled([app(request("/ws", key))]);
    expect(await openSession(key, { store })).toBeNull();
    expect(store.writes().filter((call) => call === "create")).toEqual(["create"]); // the login's only
    expect(upgrade.headers.get("set-cookie")).toBeNull();
  });

  it("a handler that returns undefined without touching the session makes no store call", async () => {
    const store = new SpyStore();
    const key = await loggedIn(store);
    store.calls.length = 0;
    const app = withSession((_req: Request): undefined => undefined, { store, saveEveryRequest: true });
    await expect(app(request("/ws", key))).resolves.toBeUndefined();
    await expect(app(request("/ws"))).resolves.toBeUndefined();
    expect(store.calls).toEqual([]);
  });

  it("passes Bun's server argument through to the handler on the upgrade request", async () => {
    const server = { upgrade: (_req: Request, _options: { data: unknown }) => true };
    let data: unknown;
    const app = withSession(async (req: Request, srv: typeof server): Promise<Response | undefined> => {
      const session = await getSession(req);
      data = { name: session.get("name") ?? null };
      return srv.upgrade(req, { data }) ? undefined : new Response("Upgrade failed", { status: 400 });
    }, { store: new MemoryStore() });
    await expect(app(request("/ws"), server)).resolves.toBeUndefined();
    expect(data).toEqual({ name: null });
  });
});
