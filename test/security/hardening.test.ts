/**
 * Cookie hardening and input limits, through the public API: name prefixes
 * (RFC 6265bis §4.1.3), SameSite=None needs Secure, secure defaults, oversized
 * Cookie headers and values ignored without a store call, the session size
 * limit at save, and the warning for HTTPS requests with `secure` off.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { CookieStore, getSession, MemoryStore, withSession, type WithSessionOptions } from "../../mod.ts";
import { DecodeSpy, IdCheckingStore, setCookieValue, sha256Hex } from "./support.ts";

const handler = async (request: Request) => {
  const session = await getSession(request);
  const url = new URL(request.url);
  const blob = url.searchParams.get("blob");
  if (blob !== null) session.set("blob", blob);
  if (url.searchParams.has("login")) session.set("user", "alice");
  return Response.json(Object.fromEntries(session.entries()));
};

function configure(cookie: WithSessionOptions["cookie"]) {
  return () => withSession(handler, { store: new MemoryStore(), cookie });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("cookie name prefixes and SameSite", () => {
  test("withSession() refuses a __Host- cookie that is not Secure, not on Path=/, or has a Domain", () => {
    for (const name of ["__Host-sessionid", "__host-sessionid", "__HOST-sid"]) {
      expect(configure({ name })).toThrow(RangeError);
      expect(configure({ name })).toThrow(/cookie\.name/);
      expect(configure({ name, secure: true, path: "/app" })).toThrow(RangeError);
      expect(configure({ name, secure: true, domain: "example.com" })).toThrow(RangeError);
      expect(configure({ name, secure: true })).not.toThrow();
      expect(configure({ name, secure: true, path: "/" })).not.toThrow();
    }
  });

  test("withSession() refuses a __Secure- cookie that is not Secure", () => {
    for (const name of ["__Secure-sessionid", "__secure-sid"]) {
      expect(configure({ name })).toThrow(RangeError);
      expect(configure({ name, secure: false })).toThrow(/cookie\.name.*secure/);
      expect(configure({ name, secure: true, domain: "example.com", path: "/app" })).not.toThrow();
    }
  });

  test("withSession() sets a __Host- cookie with Secure, Path=/ and no Domain", async () => {
    const app = withSession(handler, { store: new MemoryStore(), cookie: { name: "__Host-sid", secure: true } });
    const [raw] = (await app(new Request("https://example.com/?login"))).headers.getSetCookie();
    expect(raw).toMatch(/^__Host-sid=[a-z0-9]{32};/);
    expect(raw).toMatch(/; Secure/i);
    expect(raw).toMatch(/; Path=\/(;|$)/);
    expect(raw).not.toMatch(/Domain=/i);
  });

  test("withSession() refuses SameSite=None without Secure", () => {
    expect(configure({ sameSite: "None" })).toThrow(RangeError);
    expect(configure({ sameSite: "None" })).toThrow(/cookie\.sameSite/);
    expect(configure({ sameSite: "None", secure: false })).toThrow(RangeError);
    expect(configure({ sameSite: "None", secure: true })).not.toThrow();
  });

  test("withSession() sets the session cookie HttpOnly, SameSite=Lax, Path=/ and host-only by default, with Vary: Cookie", async () => {
    const app = withSession(handler, { store: new MemoryStore() });
    const response = await app(new Request("http://localhost/?login"));
    const [raw] = response.headers.getSetCookie();
    expect(raw).toMatch(/^sessionid=[a-z0-9]{32};/);
    expect(raw).toMatch(/; HttpOnly/i);
    expect(raw).toMatch(/; SameSite=Lax/i);
    expect(raw).toMatch(/; Path=\//);
    expect(raw).not.toMatch(/Domain=/i);
    expect(response.headers.get("vary")).toBe("Cookie");
  });
});

describe("oversized input", () => {
  test("withSession() ignores a Cookie header over 32 KiB without calling the store", async () => {
    const store = new IdCheckingStore();
    const app = withSession(handler, { store });
    const key = setCookieValue(await app(new Request("http://localhost/?login")))!;
    const header = (length: number) => {
      const cookie = `sessionid=${key}; pad=`;
      return cookie + "x".repeat(length - cookie.length);
    };
    const read = (cookie: string) => app(new Request("http://localhost/", { headers: { cookie } }));

    store.calls.length = 0;
    expect(await (await read(header(32 * 1024))).json()).toEqual({ user: "alice" });
    expect(store.count("load")).toBe(1);

    store.calls.length = 0;
    expect(await (await read(header(32 * 1024 + 1))).json()).toEqual({});
    expect(await (await read(header(1024 * 1024))).json()).toEqual({});
    expect(store.count()).toBe(0);
  });

  test("withSession() ignores a session cookie value over 4096 bytes without calling the store", async () => {
    const spy = new DecodeSpy(new CookieStore({ secret: "oversized-value-secret-0123456789abc" }));
    const app = withSession(handler, { store: spy });
    const read = (value: string) => app(new Request("http://localhost/", { headers: { cookie: `sessionid=${value}` } }));
    await read("v".repeat(4096));
    expect(spy.decoded).toEqual(["v".repeat(4096)]);
    spy.decoded.length = 0;
    for (const length of [4097, 10_000, 30_000]) {
      const response = await read("v".repeat(length));
      expect(await response.json()).toEqual({});
    }
    expect(spy.decoded).toEqual([]);
  });

  test("withSession() refuses to save a session whose JSON is over maxDataBytes (default 65536) with a RangeError, writing nothing", async () => {
    const store = new IdCheckingStore();
    const app = withSession(handler, { store });
    const overhead = JSON.stringify({ blob: "" }).length;
    const ok = await app(new Request(`http://localhost/?blob=${"x".repeat(65_536 - overhead)}`));
    expect(setCookieValue(ok)).toMatch(/^[a-z0-9]{32}$/);
    expect(store.inner.size).toBe(1);

    const error = await app(new Request(`http://localhost/?blob=${"x".repeat(65_536 - overhead + 1)}`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe("Cannot save a session of 65537 bytes: the limit (maxDataBytes) is 65536");
    expect(store.inner.size).toBe(1);
    expect(store.count("create")).toBe(1);
  });

  test("withSession() refuses to grow a stored session past maxDataBytes and keeps the stored data", async () => {
    const store = new IdCheckingStore();
    const app = withSession(handler, { store, maxDataBytes: 1000 });
    const key = setCookieValue(await app(new Request("http://localhost/?login")))!;
    const grow = (blob: string) => app(new Request(`http://localhost/?blob=${encodeURIComponent(blob)}`, { headers: { cookie: `sessionid=${key}` } }));
    const error = await grow("é".repeat(490)).catch((e: unknown) => e); // 980 bytes of UTF-8 in 490 characters
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^Cannot save a session of \d+ bytes: the limit \(maxDataBytes\) is 1000$/);
    expect(store.count("update")).toBe(0);
    expect(await store.inner.load(await sha256Hex(key))).toMatchObject({ data: { user: "alice" } });
    expect(await (await grow("é".repeat(400))).json()).toEqual({ user: "alice", blob: "é".repeat(400) });
  });

  test("withSession() validates maxDataBytes", () => {
    expect(() => withSession(handler, { store: new MemoryStore(), maxDataBytes: -1 })).toThrow(RangeError);
    expect(() => withSession(handler, { store: new MemoryStore(), maxDataBytes: 1.5 })).toThrow(/maxDataBytes/);
    expect(() => withSession(handler, { store: new MemoryStore(), maxDataBytes: "64k" as unknown as number })).toThrow(TypeError);
  });
});

describe("HTTPS without Secure", () => {
  test("withSession() warns once when a session cookie is set over HTTPS with secure off", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const app = withSession(handler, { store: new MemoryStore() });
    await app(new Request("http://example.com/?login"));
    expect(warn).not.toHaveBeenCalled();
    await app(new Request("https://example.com/?login"));
    await app(new Request("https://example.com/?login"));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/secure/);

    const secureApp = withSession(handler, { store: new MemoryStore(), cookie: { secure: true } });
    await secureApp(new Request("https://example.com/?login"));
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
