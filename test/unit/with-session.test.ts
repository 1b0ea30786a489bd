/**
 * src/with-session.ts and src/request-state.ts: the wrapper, getSession(),
 * store factories, the incoming cookie, and nested wrappers.
 */
import { afterEach, describe, expect, expectTypeOf, test, vi } from "vitest";
import { getSession, MemoryStore, SessionStoreError, type SessionStore, withSession } from "../../mod.ts";
import { CookieJar, rowId, setCookies } from "../helpers/http.ts";
import { createClient, SpyStore } from "../helpers/jar.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("withSession()", () => {
  test("withSession() uses a custom cookie name and maxAge", async () => {
    const client = createClient({ cookie: { name: "sid", maxAge: 60 } });
    const { response } = await client.run((s) => s.set("a", 1));
    expect(response.headers.getSetCookie()[0]).toMatch(/^sid=[a-z0-9]{32}; Max-Age=60;/);
  });
  test("withSession() passes extra handler arguments through untouched and to a store factory", async () => {
    const store = new MemoryStore();
    const env = { DB: "binding" };
    const ctx = { waitUntil() {} };
    const factory = vi.fn((_request: Request, e: typeof env, _c: typeof ctx) => {
      expect(e).toBe(env);
      return store;
    });
    const app = withSession(async (request: Request, e: typeof env, c: typeof ctx) => {
      expect(e).toBe(env);
      expect(c).toBe(ctx);
      (await getSession(request)).set("a", 1);
      return new Response("ok");
    }, { store: factory });
    expectTypeOf(app).parameters.toEqualTypeOf<[Request, typeof env, typeof ctx]>();
    const response = await app(new Request("http://localhost/"), env, ctx);
    expect(response.headers.getSetCookie()).toHaveLength(1);
    expect(factory).toHaveBeenCalledTimes(1);
    expect(store.size).toBe(1);
  });
  test("withSession() rejects a store factory that returns something else", async () => {
    const app = withSession(async (request: Request) => {
      await getSession(request);
      return new Response("ok");
    }, { store: () => ({}) as SessionStore });
    await expect(app(new Request("http://localhost/"))).rejects.toThrow(/store factory/);
  });
  test("withSession() ignores an oversized Cookie header or session cookie without a store call", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const key = client.cookie()!;
    store.reset();
    const huge = `pad=${"x".repeat(40_000)}; sessionid=${key}`;
    const first = await client.request(async (request) => new Response(String((await getSession(request)).get("a"))), {
      headers: { cookie: huge },
    });
    expect(await first.text()).toBe("undefined");
    const longValue = `sessionid=${"a".repeat(5000)}`;
    const second = await client.request(async (request) => new Response(String((await getSession(request)).key)), {
      headers: { cookie: longValue },
    });
    expect(await second.text()).toBe("null");
    expect(store.calls).toEqual([]);
  });
});

describe("getSession()", () => {
  test("getSession() throws a TypeError for a request withSession() did not wrap", async () => {
    await expect(getSession(new Request("http://localhost/"))).rejects.toThrow(TypeError);
    await expect(getSession(new Request("http://localhost/"))).rejects.toThrow(/withSession\(\) did not wrap/);
  });

  test("getSession() loads once: later and concurrent calls return the same object", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    store.reset();
    const response = await client.request(async (request) => {
      const [a, b] = await Promise.all([getSession(request), getSession(request)]);
      const c = await getSession(request);
      expect(a).toBe(b);
      expect(a).toBe(c);
      return new Response("ok");
    });
    expect(response.status).toBe(200);
    expect(store.count("load")).toBe(1);
  });

  test("getSession() throws SessionStoreError with the cause when the store fails", async () => {
    const cause = new Error("database is down");
    const store = new MemoryStore();
    vi.spyOn(store, "load").mockRejectedValue(cause);
    const client = createClient({ store });
    client.jar.set("sessionid", "a".repeat(32));
    const error = await client.run((s) => s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).cause).toBe(cause);
  });

  test("withSession() rejects with SessionStoreError when the save fails, and does not report it saved", async () => {
    const store = new MemoryStore();
    vi.spyOn(store, "create").mockRejectedValue(new Error("disk full"));
    const client = createClient({ store });
    const error = await client.run((s) => s.set("a", 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect(String((error as Error).cause)).toMatch(/disk full/);
    expect(store.size).toBe(0);
  });
});

describe("nested withSession() on one request", () => {
  test("an inner wrapper for the same cookie shares the outer session; the outer handler's writes after the sub-app returns are saved, once", async () => {
    const store = new MemoryStore();
    const sub = withSession(async (request: Request) => {
      (await getSession(request)).set("inner", 1);
      return new Response("sub");
    }, { store });
    let same = false;
    const app = withSession(async (request: Request) => {
      const before = await getSession(request);
      before.set("outerBefore", 1);
      const response = await sub(request);
      const after = await getSession(request);
      same = after === before;
      after.set("outerAfter", 2);
      return response;
    }, { store });
    const jar = new CookieJar(app);
    const response = await jar.fetch("/");
    expect(await response.text()).toBe("sub");
    expect(same).toBe(true);
    expect(setCookies(response)).toHaveLength(1);
    expect(store.size).toBe(1);
    const key = jar.get()!;
    expect((await store.load(rowId(key)))!.data).toEqual({ outerBefore: 1, inner: 1, outerAfter: 2 });
  });

  test("an inner wrapper for the same cookie with another store uses the outer wrapper's store and options (one cookie, one session)", async () => {
    const outerStore = new MemoryStore();
    const innerStore = new MemoryStore();
    const sub = withSession(async (request: Request) => {
      (await getSession(request)).set("inner", 1);
      return new Response("sub");
    }, { store: innerStore, cookie: { maxAge: 60 } });
    const app = withSession((request: Request) => sub(request), { store: outerStore, cookie: { maxAge: 3600 } });
    const jar = new CookieJar(app);
    const response = await jar.fetch("/");
    expect(setCookies(response).map((c) => c.maxAge)).toEqual([3600]);
    expect(innerStore.size).toBe(0);
    expect((await outerStore.load(rowId(jar.get()!)))!.data).toEqual({ inner: 1 });
  });

  test("a synchronous inner wrapper for the same cookie also joins the outer session", async () => {
    const store = new MemoryStore();
    const sub = withSession((_request: Request) => new Response("sub"), { store });
    const app = withSession(async (request: Request) => {
      const response = sub(request);
      (await getSession(request)).set("outer", 1);
      return response;
    }, { store });
    const jar = new CookieJar(app);
    await jar.fetch("/");
    expect((await store.load(rowId(jar.get()!)))!.data).toEqual({ outer: 1 });
  });

  test("an inner wrapper for another cookie keeps its own session while it runs; the outer handler gets its own back", async () => {
    const outerStore = new MemoryStore();
    const innerStore = new MemoryStore();
    const sub = withSession(async (request: Request) => {
      (await getSession(request)).set("inner", 1);
      return new Response("sub");
    }, { store: innerStore, cookie: { name: "subsession" } });
    const app = withSession(async (request: Request) => {
      (await getSession(request)).set("outerBefore", 1);
      const response = await sub(request);
      (await getSession(request)).set("outerAfter", 2);
      return response;
    }, { store: outerStore });
    const jar = new CookieJar(app);
    const response = await jar.fetch("/");
    expect(setCookies(response).map((c) => c.name).sort()).toEqual(["sessionid", "subsession"]);
    expect((await outerStore.load(rowId(jar.get("sessionid")!)))!.data).toEqual({ outerBefore: 1, outerAfter: 2 });
    expect((await innerStore.load(rowId(jar.get("subsession")!)))!.data).toEqual({ inner: 1 });
  });

  test("an inner wrapper that throws gives the outer handler its own session back", async () => {
    const store = new MemoryStore();
    const sub = withSession(async () => {
      throw new Error("sub-app failed");
    }, { store, cookie: { name: "other" } });
    const app = withSession(async (request: Request) => {
      const outer = await getSession(request);
      await sub(request).catch(() => {});
      expect(await getSession(request)).toBe(outer);
      outer.set("ok", true);
      return new Response("ok");
    }, { store });
    const jar = new CookieJar(app);
    await jar.fetch("/");
    expect((await store.load(rowId(jar.get()!)))!.data).toEqual({ ok: true });
  });

  test("a wrapper called again with a Request whose first wrapper has finished starts its own session", async () => {
    const store = new MemoryStore();
    const app = withSession(async (request: Request) => {
      (await getSession(request)).set("n", 1);
      return new Response("ok");
    }, { store });
    const request = new Request("http://localhost/");
    const first = await app(request);
    const second = await app(request);
    expect(setCookies(first)).toHaveLength(1);
    expect(setCookies(second)).toHaveLength(1);
    expect(store.size).toBe(2);
  });
});
