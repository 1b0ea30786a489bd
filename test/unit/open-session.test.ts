/**
 * Sessions outside a request (openSession), in-process with MemoryStore and
 * CookieStore.
 */
import { describe, expect, test } from "vitest";
import { CookieStore, MemoryStore, openSession, SessionInterruptedError } from "../../mod.ts";
import { createClient } from "../helpers/jar.ts";

const SECRET = "a-secret-of-at-least-thirty-two-bytes-long!";

describe("openSession()", () => {
  test("openSession() opens a session by key, and a saved change is seen by the next request", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("plan", "free"));
    const session = await openSession(client.cookie()!, { store });
    expect(session).not.toBeNull();
    expect(session!.get("plan")).toBe("free");
    expect(session!.key).toBe(client.cookie());
    expect(session!.getExpiryDate().getTime()).toBeGreaterThan(Date.now() + 1_209_000_000);
    session!.set("plan", "pro");
    await session!.save();
    expect((await client.run((s) => s.get("plan"))).value).toBe("pro");
  });

  test("openSession() gives null for a malformed or dead key, never a fresh session", async () => {
    const store = new MemoryStore();
    expect(await openSession("not a key", { store })).toBeNull();
    expect(await openSession("a".repeat(32), { store })).toBeNull();
    expect(store.size).toBe(0);
  });

  test("openSession() reads a custom expiry", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    const when = new Date(Date.now() + 3_600_000);
    await client.run((s) => {
      s.set("x", 1);
      s.setExpiry(when);
    });
    const session = await openSession(client.cookie()!, { store });
    expect(session!.getExpiryDate().toISOString()).toBe(when.toISOString());
  });

  test("openSession() then flush() logs the browser out", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("member_id", 1));
    const session = await openSession(client.cookie()!, { store });
    await session!.flush();
    const { value, response } = await client.run((s) => s.get("member_id"));
    expect(value).toBeUndefined();
    expect(response.headers.getSetCookie()[0]).toMatch(/Max-Age=0/);
  });

  test("openSession().save() after a concurrent logout throws SessionInterruptedError and does not resurrect", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const session = await openSession(client.cookie()!, { store });
    await client.run((s) => s.flush());
    session!.set("a", 2);
    await expect(session!.save()).rejects.toBeInstanceOf(SessionInterruptedError);
    expect(store.size).toBe(0);
  });

  test("openSession() works with a CookieStore value, and null for a forged one", async () => {
    const store = new CookieStore({ secret: SECRET });
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const value = client.cookie()!;
    const session = await openSession(value, { store });
    expect(session!.get("a")).toBe(1);
    expect(await openSession(value.slice(0, -2) + "xx", { store })).toBeNull();
  });

  test("openSession() throws TypeError without a store", async () => {
    await expect(openSession("a".repeat(32), {} as never)).rejects.toThrow(/options.store/);
  });

  test("openSession() validates its options as withSession() does: TypeError for wrong types, unknown options and a non-store; RangeError out of range", async () => {
    const store = new MemoryStore();
    const key = "a".repeat(32);
    const typeErrors: unknown[] = [
      { store, maxDataBytes: "x" },
      { store, expireAtBrowserClose: "yes" },
      { store, maxAge: "60" },
      { store, maxAgee: 60 },
      { store, cookie: {} },
      { store: {} },
      { store: null },
      [],
      "options",
    ];
    for (const options of typeErrors) await expect(openSession(key, options as never), JSON.stringify(options)).rejects.toThrow(TypeError);
    const rangeErrors: unknown[] = [
      { store, maxDataBytes: Number.NaN },
      { store, maxDataBytes: -1 },
      { store, maxDataBytes: 1.5 },
      { store, maxAge: -1 },
      { store, maxAge: 34_560_001 },
      { store, maxAge: 1e13 },
    ];
    for (const options of rangeErrors) await expect(openSession(key, options as never), String(Object.values(options as object)[1])).rejects.toThrow(RangeError);
    await expect(openSession(key, { store, maxAge: 34_560_000, maxDataBytes: 2, expireAtBrowserClose: true })).resolves.toBeNull();
  });

  test("openSession() enforces maxDataBytes at save", async () => {
    const client = createClient();
    await client.run((s) => s.set("a", 1));
    const session = await openSession(client.cookie()!, { store: client.store, maxDataBytes: 100 });
    session!.set("blob", "x".repeat(200));
    await expect(session!.save()).rejects.toThrow(/limit \(maxDataBytes\) is 100/);
  });
});
