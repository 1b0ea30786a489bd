/**
 * Sessions outside a request (openSession) and "log out everywhere"
 * (revokeSessions), in-process with MemoryStore and CookieStore. The store
 * conformance suite runs revocation against every server store.
 */
import { describe, expect, test } from "vitest";
import { CookieStore, MemoryStore, openSession, revokeSessions, SessionInterruptedError } from "../mod.ts";
import { createClient } from "./helpers/jar.ts";

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
});

describe("revokeSessions()", () => {
  async function fourSessions() {
    const store = new MemoryStore();
    const clients = [42, 42, 42, 7].map(() => createClient({ store }));
    await Promise.all(clients.map((c, i) => c.run((s) => s.set("member_id", i < 3 ? 42 : 7))));
    return { store, clients };
  }

  test("revokeSessions() deletes every session of a member (log out everywhere)", async () => {
    const { store, clients } = await fourSessions();
    expect(await revokeSessions(store, { member_id: 42 })).toBe(3);
    const seen = await Promise.all(clients.map(async (c) => (await c.run((s) => s.get("member_id"))).value));
    expect(seen).toEqual([undefined, undefined, undefined, 7]);
  });

  test("revokeSessions() with keep leaves the current session (log out other devices)", async () => {
    const { clients } = await fourSessions();
    const { value } = await clients[0]!.run((s) => revokeSessions(s, { member_id: 42 }, { keep: s }));
    expect(value).toBe(2);
    const seen = await Promise.all(clients.map(async (c) => (await c.run((s) => s.get("member_id"))).value));
    expect(seen).toEqual([42, undefined, undefined, 7]);
  });

  test("revokeSessions() of the current session without keep: the request gets 400 unless it flushes", async () => {
    const { clients } = await fourSessions();
    const interrupted = await clients[0]!.run(async (s) => {
      await revokeSessions(s, { member_id: 42 });
      s.set("after", true);
    });
    expect(interrupted.response.status).toBe(400);
    const { clients: again } = await fourSessions();
    const flushed = await again[0]!.run(async (s) => {
      await revokeSessions(s, { member_id: 42 });
      await s.flush();
    });
    expect(flushed.response.status).toBe(200);
    expect(flushed.response.headers.getSetCookie()[0]).toMatch(/Max-Age=0/);
  });

  test("revokeSessions() matches strings and booleans by type, not by text", async () => {
    const store = new MemoryStore();
    const a = createClient({ store });
    const b = createClient({ store });
    await a.run((s) => s.set("member_id", "42"));
    await b.run((s) => s.set("member_id", 42));
    expect(await revokeSessions(store, { member_id: 42 })).toBe(1);
    expect((await a.run((s) => s.get("member_id"))).value).toBe("42");
  });

  test("revokeSessions() refuses a CookieStore, a store without deleteWhere, and a bad where", async () => {
    const store = new MemoryStore();
    await expect(revokeSessions(new CookieStore({ secret: SECRET }), { a: 1 })).rejects.toThrow(/CookieStore/);
    const bare = { load: store.load, create: store.create, update: store.update, delete: store.delete };
    await expect(revokeSessions(bare, { a: 1 })).rejects.toThrow(/deleteWhere/);
    await expect(revokeSessions(store, {})).rejects.toThrow(/exactly one/);
    await expect(revokeSessions(store, { a: 1, b: 2 })).rejects.toThrow(/exactly one/);
    await expect(revokeSessions(store, { a: {} as never })).rejects.toThrow(TypeError);
    await expect(revokeSessions(store, { _expiry: 1 })).rejects.toThrow(RangeError);
  });
});
