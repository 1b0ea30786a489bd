/**
 * src/with-session.ts and src/request-state.ts: the wrapper, getSession(),
 * store factories, the incoming cookie, and nested wrappers.
 */
import { afterEach, describe, expect, expectTypeOf, test, vi } from "vitest";
import { getSession, MemoryStore, SessionStoreError, type SessionStore, withSession } from "../../mod.ts";
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
