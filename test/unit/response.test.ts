/**
 * src/response.ts: the response phase. Django's SessionMiddlewareTests,
 * ported, plus what this library adds (immutable responses, other Set-Cookie
 * headers, Vary merging, refreshAfter, the interrupted save).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { getSession, MemoryStore, withSession } from "../../mod.ts";
import { CookieJar, rowId, setCookies } from "../helpers/http.ts";
import { createClient, SpyStore } from "../helpers/jar.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("SessionMiddlewareTests", () => {
  test("test_secure_session_cookie: cookie.secure adds Secure", async () => {
    const client = createClient({ cookie: { secure: true } });
    const { response } = await client.run((s) => s.set("hello", "world"));
    expect(response.headers.getSetCookie()[0]).toMatch(/; Secure/);
  });

  test("test_httponly_session_cookie: HttpOnly by default, with SameSite=Lax, Path=/, Max-Age and Expires", async () => {
    const client = createClient();
    const { response } = await client.run((s) => s.set("hello", "world"));
    const raw = response.headers.getSetCookie()[0]!;
    expect(raw).toMatch(/^sessionid=[a-z0-9]{32}; /);
    expect(raw).toMatch(/; HttpOnly/);
    expect(raw).toMatch(/; SameSite=Lax/);
    expect(raw).toMatch(/; Path=\//);
    expect(raw).toMatch(/; Max-Age=1209600/);
    expect(raw).toMatch(/; Expires=\w{3}, \d{2} \w{3} \d{4}/);
    expect(raw).not.toMatch(/Secure/);
  });

  test("test_no_httponly_session_cookie: httpOnly false omits HttpOnly", async () => {
    const client = createClient({ cookie: { httpOnly: false } });
    const { response } = await client.run((s) => s.set("hello", "world"));
    expect(response.headers.getSetCookie()[0]).not.toMatch(/HttpOnly/);
  });

  test("test_samesite_session_cookie: sameSite Strict and false", async () => {
    const strict = createClient({ cookie: { sameSite: "Strict" } });
    expect((await strict.run((s) => s.set("a", 1))).response.headers.getSetCookie()[0]).toMatch(/; SameSite=Strict/);
    const none = createClient({ cookie: { sameSite: "None", secure: true } });
    expect((await none.run((s) => s.set("a", 1))).response.headers.getSetCookie()[0]).toMatch(/; SameSite=None/);
    const off = createClient({ cookie: { sameSite: false } });
    expect((await off.run((s) => s.set("a", 1))).response.headers.getSetCookie()[0]).not.toMatch(/SameSite/);
  });

  test("test_session_save_on_500: no save and no cookie at status 500", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    const { response } = await client.run((s) => s.set("hello", "world"), 500);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.count("create") + store.count("update")).toBe(0);
  });

  test("test_session_save_on_5xx: no save and no cookie at status 503, Vary still sent", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    const { response } = await client.run((s) => s.set("hello", "world"), 503);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("vary")).toBe("Cookie");
    expect(store.count("create") + store.count("update")).toBe(0);
  });

  test("test_session_update_error_redirect: a save that finds its row gone gives 400 SessionInterrupted and leaves the cookie alone", async () => {
    const client = createClient();
    await client.run((s) => s.set("hello", "world"));
    const key = client.cookie()!;
    const id = rowId(key);
    const response = await client.request(async (request) => {
      const session = await getSession(request);
      await client.store.delete(id); // a concurrent logout
      session.set("hello", "again");
      return Response.redirect("http://localhost/next", 302);
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(
      "The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example.",
    );
    expect(response.headers.get("vary")).toBe("Cookie");
    // Django answers SessionInterrupted without touching the cookie: the browser may hold a newer one from a login.
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await client.store.load(id)).toBeNull();
    expect(client.cookie()).toBe(key);
  });

  test("test_session_delete_on_end: flush() expires the cookie with Max-Age=0 and the epoch", async () => {
    const client = createClient();
    await client.run((s) => s.set("hello", "world"));
    const { response } = await client.run((s) => s.flush());
    const raw = response.headers.getSetCookie()[0]!;
    expect(raw).toBe("sessionid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
    expect(response.headers.get("vary")).toBe("Cookie");
    expect(client.cookie()).toBeUndefined();
  });

  test("test_session_delete_on_end_with_custom_domain_and_path: the deletion keeps Domain, Path, SameSite, Secure, Partitioned", async () => {
    const client = createClient({
      cookie: { domain: ".example.local", path: "/example/", secure: true, sameSite: "None", partitioned: true },
    });
    await client.run((s) => s.set("hello", "world"));
    const { response } = await client.run((s) => s.flush());
    const raw = response.headers.getSetCookie()[0]!;
    expect(raw).toMatch(/^sessionid=; Max-Age=0; /);
    expect(raw).toMatch(/; Domain=\.example\.local/);
    expect(raw).toMatch(/; Path=\/example\//);
    expect(raw).toMatch(/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    expect(raw).toMatch(/; Secure/);
    expect(raw).toMatch(/; SameSite=None/);
    expect(raw).toMatch(/; Partitioned/);
  });

  test("test_flush_empty_without_session_cookie_doesnt_set_cookie: no cookie, but Vary: Cookie", async () => {
    const client = createClient();
    const { response } = await client.run((s) => s.flush());
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("vary")).toBe("Cookie");
  });

  test("test_empty_session_saved: a session emptied of data but with a key is saved as {} and its cookie re-sent", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("foo", "bar"));
    const key = client.cookie()!;
    const { response } = await client.run((s) => s.pop("foo"));
    expect(setCookies(response)[0]!.value).toBe(key);
    expect(response.headers.get("vary")).toBe("Cookie");
    expect((await store.load(rowId(key)))!.data).toEqual({});
  });

  test("SESSION_SAVE_EVERY_REQUEST: the cookie is renewed on every response, even when the handler never asks", async () => {
    const store = new SpyStore();
    const client = createClient({ store, saveEveryRequest: true });
    await client.run((s) => s.set("a", 1));
    store.reset();
    const response = await client.request(() => new Response("untouched"));
    expect(setCookies(response)[0]!.value).toBe(client.cookie());
    expect(store.count("load")).toBe(1);
    expect(store.count("update")).toBe(1);
  });

  test("SESSION_SAVE_EVERY_REQUEST: an empty session is never created", async () => {
    const store = new SpyStore();
    const client = createClient({ store, saveEveryRequest: true });
    const { response } = await client.run((s) => s.get("x"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.count("create")).toBe(0);
  });

  test("SESSION_EXPIRE_AT_BROWSER_CLOSE: the cookie has no Max-Age or Expires; the row still expires", async () => {
    const store = new MemoryStore();
    const client = createClient({ store, expireAtBrowserClose: true });
    const before = Date.now();
    const { response } = await client.run((s) => s.set("a", 1));
    const raw = response.headers.getSetCookie()[0]!;
    expect(raw).not.toMatch(/Max-Age|Expires/);
    const record = await store.load(rowId(client.cookie()!));
    expect(record!.expiresAt).toBeGreaterThanOrEqual(before + 1_209_600_000);
  });
});

describe("withSession() response phase", () => {
  test("withSession() leaves a response untouched when the handler never asked for the session", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    store.reset();
    const response = await client.request(() => new Response("hi", { headers: { "x-a": "b" } }));
    expect(response.headers.get("vary")).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.calls).toEqual([]);
  });

  test("withSession() returns a synchronous handler's untouched response synchronously, as the same object", () => {
    const response = new Response("hi");
    const app = withSession(() => response, { store: new MemoryStore() });
    const result = app(new Request("http://localhost/", { headers: { cookie: "sessionid=" + "a".repeat(32) } }));
    expect(result).toBe(response);
  });

  test("withSession() turns a synchronous throw into a rejection with the same error", async () => {
    const boom = new Error("boom");
    const app = withSession((): Response => {
      throw boom;
    }, { store: new MemoryStore() });
    const result = app(new Request("http://localhost/"));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toBe(boom);
  });

  test("withSession() leaves a bad cookie alone on a request that never opened the session", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    client.jar.set("sessionid", "garbage!");
    const response = await client.request(() => new Response("hi"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.calls).toEqual([]);
  });

  test("withSession() expires a malformed cookie when the session was opened and stays empty", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    client.jar.set("sessionid", "garbage");
    const { response } = await client.run((s) => s.get("x"));
    expect(response.headers.getSetCookie()[0]).toMatch(/^sessionid=; Max-Age=0/);
    expect(store.calls).toEqual([]);
  });

  test("withSession() expires a cookie that names no live session when the session was opened", async () => {
    const client = createClient();
    client.jar.set("sessionid", "z".repeat(32));
    const { response } = await client.run((s) => s.get("x"));
    expect(response.headers.getSetCookie()[0]).toMatch(/^sessionid=; Max-Age=0/);
  });

  test("withSession() only adds Vary when the session was read but not modified", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    store.reset();
    const { response } = await client.run((s) => s.get("a"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("vary")).toBe("Cookie");
    expect(store.calls.map((c) => c.method)).toEqual(["load"]);
  });

  test("withSession() merges Vary without duplicating, keeps order and leaves * alone", async () => {
    const cases: [string, string][] = [
      ["Accept-Encoding", "Accept-Encoding, Cookie"],
      ["accept-encoding, cookie", "accept-encoding, cookie"],
      ["Accept, COOKIE", "Accept, COOKIE"],
      ["*", "*"],
      ["Accept, *", "Accept, *"],
    ];
    for (const [vary, expected] of cases) {
      const client = createClient();
      const response = await client.request(async (request) => {
        (await getSession(request)).set("a", 1);
        return new Response("x", { headers: { vary } });
      });
      expect(response.headers.get("vary")).toBe(expected);
    }
  });

  test("withSession() appends Set-Cookie and keeps the handler's other cookies", async () => {
    const client = createClient();
    const response = await client.request(async (request) => {
      (await getSession(request)).set("a", 1);
      const headers = new Headers();
      headers.append("set-cookie", "theme=dark; Path=/");
      headers.append("set-cookie", "lang=en; Path=/");
      return new Response("x", { headers });
    });
    const names = setCookies(response).map((c) => c.name);
    expect(names).toEqual(["theme", "lang", "sessionid"]);
  });

  test("withSession() copies a Response.redirect() to set the cookie, keeping status and Location", async () => {
    const client = createClient();
    const response = await client.request(async (request) => {
      (await getSession(request)).set("member_id", 1);
      return Response.redirect("http://localhost/home", 303);
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("http://localhost/home");
    expect(response.headers.getSetCookie()[0]).toMatch(/^sessionid=[a-z0-9]{32};/);
    // The redirect's target finds the session saved: the save finished before the response was returned.
    expect((await client.run((s) => s.get("member_id"))).value).toBe(1);
  });

  describe("with a fetch() response from a local server", () => {
    let server: Server;
    let origin: string;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.setHeader("content-type", "text/plain");
        res.setHeader("set-cookie", "upstream=1; Path=/");
        res.write("chunk one ");
        setTimeout(() => res.end("chunk two"), 20);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test("withSession() copies an immutable fetch() response, keeping status, headers and the body stream", async () => {
      const client = createClient();
      const response = await client.request(async (request) => {
        (await getSession(request)).set("a", 1);
        return fetch(origin);
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain");
      expect(setCookies(response).map((c) => c.name)).toEqual(["upstream", "sessionid"]);
      expect(response.headers.get("vary")).toBe("Cookie");
      expect(await response.text()).toBe("chunk one chunk two");
    });
  });

  test("withSession() returns the response only after the save finished", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner = new MemoryStore();
    let saved = false;
    const store = {
      load: (id: string) => inner.load(id),
      create: async (id: string, record: Parameters<MemoryStore["create"]>[1]) => {
        await gate;
        saved = await inner.create(id, record);
        return saved;
      },
      update: inner.update.bind(inner),
      delete: inner.delete.bind(inner),
    };
    const client = createClient({ store });
    let done = false;
    const pending = client.run((s) => s.set("a", 1)).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await pending;
    expect(saved).toBe(true);
  });

  test("withSession() saves concurrent requests on one session without losing either change", async () => {
    const client = createClient();
    await client.run((s) => s.set("base", 0));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.request(async (request) => {
          const session = await getSession(request);
          await new Promise((r) => setTimeout(r, Math.random() * 10));
          session.set(`k${i}`, i);
          return new Response("ok");
        })
      ),
    );
    const { value } = await client.run((s) => s.keys().sort());
    expect(value).toEqual(["base", ...Array.from({ length: 20 }, (_, i) => `k${i}`)].sort());
  });

  test("withSession() sends only the changed keys in the patch", async () => {
    const inner = new MemoryStore();
    const patches: unknown[] = [];
    const store = {
      load: inner.load.bind(inner),
      create: inner.create.bind(inner),
      update: (id: string, patch: Parameters<MemoryStore["update"]>[1]) => {
        patches.push(patch);
        return inner.update(id, patch);
      },
      delete: inner.delete.bind(inner),
    };
    const client = createClient({ store });
    await client.run((s) => s.update({ a: 1, b: 2, c: 3 }));
    await client.run((s) => {
      s.set("a", 10);
      s.delete("b");
    });
    expect(patches).toEqual([{ set: { a: 10 }, unset: ["b"], expiresAt: expect.any(Number), maxBytes: 65_536 }]);
  });

  test("withSession() re-saves every key after `modified = true` (a nested value was mutated)", async () => {
    const client = createClient();
    await client.run((s) => s.set("cart", ["apple"]));
    await client.run((s) => {
      (s.get("cart") as string[]).push("pear");
      s.modified = true;
    });
    expect((await client.run((s) => s.get("cart"))).value).toEqual(["apple", "pear"]);
  });

  test("withSession() does not save a mutated nested value without `modified = true` (as Django)", async () => {
    const client = createClient();
    await client.run((s) => s.set("cart", ["apple"]));
    await client.run((s) => {
      (s.get("cart") as string[]).push("pear");
    });
    expect((await client.run((s) => s.get("cart"))).value).toEqual(["apple"]);
  });

  test("withSession() propagates a handler's error unchanged and saves nothing", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    const boom = new Error("boom");
    await expect(
      client.request(async (request) => {
        (await getSession(request)).set("a", 1);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(store.count("create")).toBe(0);
  });

  test("withSession() passes a 101 response through untouched", async () => {
    const store = new MemoryStore();
    const app = withSession(async (request: Request) => {
      (await getSession(request)).get("x");
      return { status: 101, headers: new Headers(), body: null } as unknown as Response;
    }, { store });
    const response = await app(new Request("http://localhost/ws"));
    expect(response.status).toBe(101);
    expect(response.headers.get("vary")).toBeNull();
  });

  test("withSession() passes undefined through (Bun's server.upgrade())", async () => {
    const app = withSession(() => undefined, { store: new MemoryStore() });
    expect(await app(new Request("http://localhost/"))).toBeUndefined();
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
    const record = await store.inner.load(rowId(client.cookie()!));
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

describe("HTTPS without cookie.secure", () => {
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

describe("the interrupted save (a concurrent login or logout deleted the session)", () => {
  /** An app whose /login cycles the key and whose /poll reads the session, then waits for `gate` before answering. */
  function loginApp(options: { saveEveryRequest?: boolean } = {}) {
    let open!: () => void;
    let loaded!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const pollLoaded = new Promise<void>((resolve) => (loaded = resolve));
    const store = new MemoryStore();
    const app = withSession(async (request: Request) => {
      const session = await getSession(request);
      const path = new URL(request.url).pathname;
      if (path === "/start") session.set("cart", ["apple"]);
      if (path === "/login") {
        session.set("user", "alice");
        await session.cycleKey();
      }
      if (path === "/poll" || path === "/write") {
        loaded();
        await gate;
        if (path === "/write") session.set("seen", true);
      }
      return new Response(path);
    }, { store, ...options });
    return { app, store, open, pollLoaded };
  }

  for (const [what, path, options] of [
    ["a write", "/write", {}],
    ["a read-only poll with saveEveryRequest", "/poll", { saveEveryRequest: true }],
  ] as const) {
    test(`${what} carrying the pre-login key that saves after the login gets 400 and leaves the new cookie alone`, async () => {
      const { app, store, open, pollLoaded } = loginApp(options);
      const jar = new CookieJar(app);
      await jar.fetch("/start");
      const preLogin = jar.get()!;
      const stale = app(new Request(`http://localhost${path}`, { headers: { cookie: `sessionid=${preLogin}` } }));
      await pollLoaded;
      await jar.fetch("/login");
      const loggedIn = jar.get()!;
      expect(loggedIn).not.toBe(preLogin);
      open();
      const response = await stale;
      expect(response.status).toBe(400);
      expect(response.headers.getSetCookie()).toEqual([]);
      jar.receive(response);
      expect(jar.get()).toBe(loggedIn);
      expect((await store.load(rowId(loggedIn)))!.data).toEqual({ cart: ["apple"], user: "alice" });
      expect(await store.load(rowId(preLogin))).toBeNull();
    });
  }
});
