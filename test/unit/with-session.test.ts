/**
 * What DESIGN.md adds beyond Django: option validation, getSession()
 * memoisation, flash, typed data, hashed ids, JSON checks, reserved keys,
 * refreshAfter, maxDataBytes, store factories and store failures.
 */
import { afterEach, describe, expect, expectTypeOf, test, vi } from "vitest";
import {
  getSession,
  MemoryStore,
  type Session,
  SessionStoreError,
  type SessionStore,
  withSession,
  type WithSessionOptions,
} from "../mod.ts";
import { createClient, setCookies, sha256Hex, SpyStore } from "./helpers/jar.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const handler = () => new Response("ok");

describe("withSession() options", () => {
  const typeErrors: [string, unknown, RegExp][] = [
    ["options", 5, /Invalid option options/],
    ["store", { load() {} }, /Invalid option store/],
    ["cookie", "x", /Invalid option cookie: expected an object/],
    ["cookie.name", { cookie: { name: 1 } }, /Invalid option cookie.name/],
    ["cookie.maxAge", { cookie: { maxAge: "1" } }, /Invalid option cookie.maxAge/],
    ["cookie.secure", { cookie: { secure: "yes" } }, /Invalid option cookie.secure/],
    ["cookie.httpOnly", { cookie: { httpOnly: 1 } }, /Invalid option cookie.httpOnly/],
    ["cookie.sameSite", { cookie: { sameSite: true } }, /Invalid option cookie.sameSite/],
    ["cookie.domain", { cookie: { domain: 1 } }, /Invalid option cookie.domain/],
    ["cookie.path", { cookie: { path: 1 } }, /Invalid option cookie.path/],
    ["saveEveryRequest", { saveEveryRequest: "true" }, /Invalid option saveEveryRequest/],
    ["expireAtBrowserClose", { expireAtBrowserClose: 1 }, /Invalid option expireAtBrowserClose/],
    ["refreshAfter", { refreshAfter: "1" }, /Invalid option refreshAfter/],
    ["maxDataBytes", { maxDataBytes: "1" }, /Invalid option maxDataBytes/],
    ["unknown", { cokie: {} }, /Unknown option "cokie"/],
    ["unknown cookie key", { cookie: { maxage: 1 } }, /Unknown option cookie.maxage/],
  ];
  for (const [name, options, message] of typeErrors) {
    test(`withSession() throws TypeError naming ${name}`, () => {
      const opts = name === "options" ? options : name === "store" ? { store: options } : name === "cookie" ? { cookie: options } : options;
      expect(() => withSession(handler, opts as WithSessionOptions)).toThrow(TypeError);
      expect(() => withSession(handler, opts as WithSessionOptions)).toThrow(message);
    });
  }

  const rangeErrors: [string, WithSessionOptions, RegExp][] = [
    ["a negative maxAge", { cookie: { maxAge: -1 } }, /cookie.maxAge.*received -1/],
    ["a fractional maxAge", { cookie: { maxAge: 1.5 } }, /cookie.maxAge/],
    ["an unknown sameSite", { cookie: { sameSite: "Loose" as "Lax" } }, /cookie.sameSite.*"Loose"/],
    ["SameSite=None without secure", { cookie: { sameSite: "None" } }, /"None" requires cookie.secure/],
    ["a cookie name with forbidden characters", { cookie: { name: "sess id;" } }, /cookie.name.*"sess id;"/],
    ["an empty cookie name", { cookie: { name: "" } }, /cookie.name/],
    ["a path without a leading slash", { cookie: { path: "app" } }, /cookie.path/],
    ["a path with a semicolon", { cookie: { path: "/a;b" } }, /cookie.path/],
    ["a bad domain", { cookie: { domain: "exa mple.com" } }, /cookie.domain/],
    ["partitioned without secure", { cookie: { partitioned: true } }, /cookie.partitioned/],
    ["__Secure- without secure", { cookie: { name: "__Secure-id" } }, /__Secure- prefix/],
    ["__Host- without secure", { cookie: { name: "__Host-id" } }, /__Host- prefix/],
    ["__Host- with a domain", { cookie: { name: "__Host-id", secure: true, domain: "example.com" } }, /__Host- prefix/],
    ["__Host- with a path", { cookie: { name: "__Host-id", secure: true, path: "/app" } }, /__Host- prefix/],
    ["a negative refreshAfter", { refreshAfter: -5 }, /refreshAfter/],
    ["a tiny maxDataBytes", { maxDataBytes: 0 }, /maxDataBytes/],
  ];
  for (const [what, options, message] of rangeErrors) {
    test(`withSession() throws RangeError for ${what}`, () => {
      expect(() => withSession(handler, { store: new MemoryStore(), ...options })).toThrow(RangeError);
      expect(() => withSession(handler, { store: new MemoryStore(), ...options })).toThrow(message);
    });
  }

  test("withSession() accepts the valid prefixed names", () => {
    expect(() => withSession(handler, { store: new MemoryStore(), cookie: { name: "__Host-sid", secure: true } })).not.toThrow();
    expect(() => withSession(handler, { store: new MemoryStore(), cookie: { name: "__Secure-sid", secure: true, domain: "example.com" } }))
      .not.toThrow();
  });

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

describe("keys and ids", () => {
  test("withSession() issues 32-character [a-z0-9] keys and stores only their SHA-256", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const key = client.cookie()!;
    expect(key).toMatch(/^[a-z0-9]{32}$/);
    const ids = store.calls.map((c) => c.id);
    expect(ids).toEqual([await sha256Hex(key)]);
    for (const [id, json] of store.inner.dump()) {
      expect(id).not.toContain(key);
      expect(json).not.toContain(key);
    }
  });

  test("generateKey() is uniform over [a-z0-9] (no modulo bias)", async () => {
    const { generateKey } = await import("../src/keys.ts");
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) for (const c of generateKey()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    const expected = (n * 32) / 36;
    let chi = 0;
    for (const count of counts.values()) chi += (count - expected) ** 2 / expected;
    // 35 degrees of freedom: p = 0.0001 at 71.4. A biased generator (bytes % 36) lands near 250.
    expect(chi).toBeLessThan(71.4);
  });
});

describe("Session values", () => {
  test("Session.set() throws TypeError naming the key for values that do not survive JSON", async () => {
    const client = createClient();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: [string, unknown][] = [
      ["fn", () => 1],
      ["sym", Symbol("x")],
      ["big", 1n],
      ["undef", undefined],
      ["nan", NaN],
      ["inf", Infinity],
      ["cycle", cyclic],
      ["nested", { a: [1, { b: undefined }] }],
      ["map", new Map()],
      ["set", new Set([1])],
    ];
    await client.run((s) => {
      for (const [key, value] of bad) {
        expect(() => s.set(key, value)).toThrow(TypeError);
        expect(() => s.set(key, value)).toThrow(new RegExp(`"${key}"`));
      }
      expect(() => s.update({ ok: 1, bad: () => 1 })).toThrow(/"bad"/);
      expect(s.has("ok")).toBe(false); // update checks every entry before storing any
      expect(s.modified).toBe(false);
    });
  });

  test("Session.set() stores a Date as JSON gives it: a string in the next request", async () => {
    const client = createClient();
    const date = new Date("2026-01-02T03:04:05.000Z");
    await client.run((s) => s.set("when", date));
    expect((await client.run((s) => s.get("when"))).value).toBe("2026-01-02T03:04:05.000Z");
  });

  test("Session keys starting with _ are reserved", async () => {
    const client = createClient();
    await client.run((s) => {
      expect(() => s.set("_x", 1)).toThrow(RangeError);
      expect(() => s.delete("_expiry")).toThrow(RangeError);
      expect(() => s.flash("_x", 1)).toThrow(RangeError);
      s.setTestCookie();
      s.setExpiry(100);
      s.flash("note", "hi");
      expect(s.keys()).toEqual([]);
      expect(s.has("_testcookie")).toBe(false);
      expect(s.get("_expiry")).toBeUndefined();
      expect(s.isEmpty()).toBe(false);
    });
    expect(client.cookie()).toBeDefined();
  });

  test("Session<Data> types get() and set()", async () => {
    const client = createClient();
    await client.run((untyped) => {
      const s = untyped as Session<{ visits: number; name: string }>;
      expectTypeOf(s.get("visits")).toEqualTypeOf<number | undefined>();
      expectTypeOf(s.get("visits", 0)).toEqualTypeOf<number>();
      expectTypeOf(s.pop("name")).toEqualTypeOf<string | undefined>();
      // @ts-expect-error a string is not a number
      s.set("visits", "one");
      // @ts-expect-error unknown key
      s.get("nope");
      s.set("visits", 1);
    });
  });
});

describe("Session.flash()", () => {
  test("flash() is not visible in the same request, shown once later, then gone", async () => {
    const client = createClient();
    const first = await client.run((s) => {
      s.flash("message", "Welcome");
      return [s.get("message"), s.keys()];
    });
    expect(first.value).toEqual([undefined, []]);
    const second = await client.run((s) => [s.get("message"), s.get("message"), s.modified]);
    expect(second.value).toEqual(["Welcome", undefined, true]);
    const third = await client.run((s) => s.get("message"));
    expect(third.value).toBeUndefined();
  });

  test("flash() values wait through requests that do not read them", async () => {
    const client = createClient();
    await client.run((s) => s.flash("m", 1));
    await client.run((s) => s.get("other"));
    await client.run((s) => s.get("other"));
    expect((await client.run((s) => s.get("m"))).value).toBe(1);
  });

  test("flash() re-set in the request that reads the old one keeps the new one for later", async () => {
    const client = createClient();
    await client.run((s) => s.flash("m", "old"));
    const { value } = await client.run((s) => {
      s.flash("m", "new");
      return s.get("m");
    });
    expect(value).toBe("old");
    expect((await client.run((s) => s.get("m"))).value).toBe("new");
  });

  test("flash() on a session that is otherwise empty is saved and then the session empties", async () => {
    const client = createClient();
    await client.run((s) => s.flash("m", 1));
    expect(client.cookie()).toBeDefined();
    const { response } = await client.run((s) => s.get("m"));
    // The session still has its key, so it is saved as {} and the cookie re-sent (as Django).
    expect(setCookies(response)).toHaveLength(1);
  });
});

describe("refreshAfter", () => {
  test("refreshAfter renews a read-only session's expiry at most once per window", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const store = new SpyStore();
    const client = createClient({ store, refreshAfter: 100, cookie: { maxAge: 1000 } });
    await client.run((s) => s.set("a", 1));
    store.reset();
    vi.setSystemTime(new Date("2026-01-01T00:00:50Z"));
    let response = (await client.run((s) => s.get("a"))).response;
    expect(store.count("update")).toBe(0);
    expect(response.headers.getSetCookie()).toEqual([]);
    vi.setSystemTime(new Date("2026-01-01T00:01:41Z"));
    response = (await client.run((s) => s.get("a"))).response;
    expect(store.count("update")).toBe(1);
    expect(response.headers.getSetCookie()[0]).toMatch(/Max-Age=1000/);
    const record = await store.inner.load(await sha256Hex(client.cookie()!));
    expect(record!.expiresAt).toBe(Date.parse("2026-01-01T00:01:41Z") + 1_000_000);
    vi.setSystemTime(new Date("2026-01-01T00:02:00Z"));
    await client.run((s) => s.get("a"));
    expect(store.count("update")).toBe(1);
  });

  test("refreshAfter: true defaults to half of maxAge", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const store = new SpyStore();
    const client = createClient({ store, refreshAfter: true, cookie: { maxAge: 100 } });
    await client.run((s) => s.set("a", 1));
    store.reset();
    vi.setSystemTime(new Date("2026-01-01T00:00:49Z"));
    await client.run((s) => s.get("a"));
    expect(store.count("update")).toBe(0);
    vi.setSystemTime(new Date("2026-01-01T00:00:51Z"));
    await client.run((s) => s.get("a"));
    expect(store.count("update")).toBe(1);
  });
});

describe("limits", () => {
  test("maxDataBytes refuses to save a larger session with a RangeError that says the size", async () => {
    const store = new MemoryStore();
    const client = createClient({ store, maxDataBytes: 1000 });
    const error = await client.run((s) => s.set("big", "x".repeat(2000))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(String(error)).toMatch(/session of \d+ bytes.*limit \(maxDataBytes\) is 1000/);
    expect(store.size).toBe(0);
  });

  test("maxDataBytes counts UTF-8 bytes", async () => {
    const client = createClient({ maxDataBytes: 100 });
    const error = await client.run((s) => s.set("u", "é".repeat(50))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    const ok = await client.run((s) => s.set("u", "é".repeat(30)));
    expect(ok.response.status).toBe(200);
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

  test("withSession() warns once when a cookie is set over HTTPS without cookie.secure", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const app = withSession(async (request: Request) => {
      (await getSession(request)).set("a", 1);
      return new Response("ok");
    }, { store: new MemoryStore() });
    await app(new Request("https://example.com/"));
    await app(new Request("https://example.com/"));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/cookie.secure is false/);
  });
});

describe("MemoryStore", () => {
  test("MemoryStore sweeps expired sessions on writes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const store = new MemoryStore({ sweepInterval: 1000 });
    for (let i = 0; i < 10; i++) await store.create(String(i).padStart(64, "0"), { data: {}, expiresAt: Date.now() + 500 });
    expect(store.size).toBe(10);
    vi.setSystemTime(new Date("2026-01-01T00:00:02Z"));
    await store.create("f".repeat(64), { data: {}, expiresAt: Date.now() + 500 });
    expect(store.size).toBe(1);
  });
});

describe("public API", () => {
  test("mod.ts exports exactly the public API", async () => {
    const mod = await import("../mod.ts");
    expect(Object.keys(mod).sort()).toMatchInlineSnapshot(`
      [
        "CookieStore",
        "KyselyStore",
        "MemoryStore",
        "Session",
        "SessionDataTooLargeError",
        "SessionInterruptedError",
        "SessionStoreError",
        "createSessionMigrations",
        "getSession",
        "openSession",
        "revokeSessions",
        "sessionMigrations",
        "withSession",
      ]
    `);
  });
});
