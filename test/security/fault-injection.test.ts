/**
 * Store outages: a store that throws or never answers. The failing request
 * gets an error (`SessionStoreError`, with the store's error as `cause`),
 * nothing is reported as saved, nothing is half-written, and other requests
 * keep being served.
 *
 * There is no timeout: a store call that never settles holds its request
 * forever (as an un-timed-out database query would). Put the timeout in the
 * store's driver (connection and statement timeouts), or race the handler.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { type AnySessionStore, CookieStore, getSession, MemoryStore, SessionStoreError, withSession } from "../../mod.ts";
import { FaultyStore, setCookieValue, sha256Hex, within } from "./support.ts";

type App = (request: Request) => Promise<Response>;

/** /login stores a user; /write stores a value; /logout flushes; /cycle cycles the key; / reads. */
function makeApp(store: AnySessionStore | ((request: Request) => AnySessionStore)): App {
  return withSession(async (request: Request) => {
    const session = await getSession(request);
    const url = new URL(request.url);
    if (url.pathname === "/login") session.set("user", url.searchParams.get("user") ?? "alice");
    if (url.pathname === "/write") session.set("value", url.searchParams.get("v"));
    if (url.pathname === "/logout") await session.flush();
    if (url.pathname === "/cycle") await session.cycleKey();
    return Response.json(Object.fromEntries(session.entries()));
  }, { store });
}

function send(app: App, path: string, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  return app(new Request(`http://localhost${path}`, { headers: cookie ? { ...headers, cookie: `sessionid=${cookie}` } : headers }));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

/** The first RangeError in an error's cause chain. */
function rangeErrorIn(error: unknown): RangeError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof RangeError) return e;
  return undefined;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a store that throws", () => {
  test("getSession() rejects with SessionStoreError carrying the cause when load() throws, and the wrapped handler rejects", async () => {
    const store = new FaultyStore();
    const app = makeApp(store);
    const key = setCookieValue(await send(app, "/login"))!;
    store.faults.load = "throw";
    let seen: unknown;
    const probe = withSession(async (request: Request) => {
      seen = await getSession(request).catch((error: unknown) => error);
      throw seen;
    }, { store });
    const error = await rejection(probe(new Request("http://localhost/", { headers: { cookie: `sessionid=${key}` } })));
    expect(error).toBe(seen);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error.cause as Error).message).toBe("simulated load failure: database is down");
    expect(await rejection(send(app, "/", key))).toBeInstanceOf(SessionStoreError);
  });

  test("withSession() returns the handler's own response when it caught the SessionStoreError of getSession()", async () => {
    const store = new FaultyStore();
    const key = setCookieValue(await send(makeApp(store), "/login"))!;
    store.faults.load = "throw";
    const app = withSession(async (request: Request) => {
      try {
        await getSession(request);
        return new Response("ok");
      } catch (error) {
        if (error instanceof SessionStoreError) return new Response("Try again later", { status: 503 });
        throw error;
      }
    }, { store });
    const response = await send(app, "/", key);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("Try again later");
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  test("withSession() rejects and writes nothing when create() throws for a new session", async () => {
    const store = new FaultyStore();
    store.faults.create = "throw";
    const error = await rejection(send(makeApp(store), "/login"));
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error.cause as Error).message).toContain("create failure");
    expect(store.inner.size).toBe(0);
  });

  test("withSession() rejects and leaves the stored session as it was when update() throws", async () => {
    const store = new FaultyStore();
    const app = makeApp(store);
    const key = setCookieValue(await send(app, "/login?user=alice"))!;
    store.faults.update = "throw";
    expect(await rejection(send(app, "/write?v=lost", key))).toBeInstanceOf(SessionStoreError);
    expect(await store.inner.load(await sha256Hex(key))).toMatchObject({ data: { user: "alice" } });
    store.faults.update = undefined;
    expect(await (await send(app, "/", key)).json()).toEqual({ user: "alice" });
  });

  test("Session.flush() rejects when delete() throws, and the session is not reported as ended", async () => {
    const store = new FaultyStore();
    const app = makeApp(store);
    const key = setCookieValue(await send(app, "/login"))!;
    store.faults.delete = "throw";
    expect(await rejection(send(app, "/logout", key))).toBeInstanceOf(SessionStoreError);
    expect(await store.inner.load(await sha256Hex(key))).not.toBeNull(); // logout failed loudly, not silently
  });

  test("Session.cycleKey() rejects when delete() throws; the old session keeps its data and no cookie is sent", async () => {
    const store = new FaultyStore();
    const app = makeApp(store);
    const key = setCookieValue(await send(app, "/login"))!;
    store.faults.delete = "throw";
    expect(await rejection(send(app, "/cycle", key))).toBeInstanceOf(SessionStoreError);
    store.faults.delete = undefined;
    expect(await (await send(app, "/", key)).json()).toEqual({ user: "alice" });
    // The new row cycleKey() created before the delete failed is unreachable: its key was never sent.
    expect(store.inner.size).toBe(2);
  });

  test("withSession() keeps serving concurrent requests on a healthy store while another store throws", async () => {
    const healthy = new MemoryStore();
    const broken = new FaultyStore();
    broken.faults.load = broken.faults.create = broken.faults.update = "throw";
    const app = makeApp((request) => (request.headers.get("x-tenant") === "broken" ? broken : healthy));
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => send(app, `/write?v=${i}`, undefined, { "x-tenant": i % 3 === 0 ? "broken" : "ok" })),
    );
    let ok = 0;
    for (const [i, result] of results.entries()) {
      if (i % 3 === 0) {
        expect(result.status).toBe("rejected");
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(SessionStoreError);
      } else {
        expect(result.status).toBe("fulfilled");
        const response = (result as PromiseFulfilledResult<Response>).value;
        const key = setCookieValue(response)!;
        expect(await (await send(app, "/", key, { "x-tenant": "ok" })).json()).toEqual({ value: String(i) });
        ok++;
      }
    }
    expect(ok).toBe(26);
    expect(broken.inner.size).toBe(0);
    expect(healthy.size).toBe(26);
  });

  test("withSession() starts a fresh session when a cookie store's decode() throws, and warns", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const inner = new CookieStore({ secret: "decode-throws-secret-0123456789abcdef" });
    const store = {
      kind: "cookie" as const,
      decode: () => Promise.reject(new Error("decoder bug")),
      encode: inner.encode.bind(inner),
    };
    const response = await makeApp(store)(new Request("http://localhost/", { headers: { cookie: "sessionid=anything" } }));
    expect(await response.json()).toEqual({});
    expect(warn).toHaveBeenCalled();
  });

  test("withSession() with a CookieStore rejects a session too large for a cookie, with an error giving its size", async () => {
    const app = makeApp(new CookieStore({ secret: "oversized-secret-0123456789abcdefghij" }));
    const random = Array.from(crypto.getRandomValues(new Uint8Array(6000)), (b) => (b % 36).toString(36)).join("");
    const error = await rejection(send(app, `/write?v=${random}`));
    const range = rangeErrorIn(error);
    expect(range).toBeDefined();
    expect(range!.message).toMatch(/"sessionid" would be \d{4} bytes \(name and value\), over the 4096-byte limit/);
  });
});

describe("a store that hangs", () => {
  test("withSession() holds the request whose load() never settles, and serves other requests meanwhile", async () => {
    const hanging = new FaultyStore();
    const healthy = new MemoryStore();
    const app = makeApp((request) => (request.headers.get("x-tenant") === "hanging" ? hanging : healthy));
    const key = setCookieValue(await send(app, "/login", undefined, { "x-tenant": "hanging" }))!;
    hanging.faults.load = "hang";
    const stuck = send(app, "/", key, { "x-tenant": "hanging" });
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => send(app, `/write?v=${i}`, undefined, { "x-tenant": "ok" })));
    for (const response of others) expect(setCookieValue(response)).toMatch(/^[a-z0-9]{32}$/);
    expect(await within(stuck, 200)).toBe("timeout");
    expect(hanging.pending).toBe(1);
  });

  test("withSession() does not return the response while update() hangs, so nothing is reported as saved", async () => {
    const store = new FaultyStore();
    const app = makeApp(store);
    const key = setCookieValue(await send(app, "/login"))!;
    store.faults.update = "hang";
    expect(await within(send(app, "/write?v=x", key), 200)).toBe("timeout");
    expect(await store.inner.load(await sha256Hex(key))).toMatchObject({ data: { user: "alice" } });
  });
});
