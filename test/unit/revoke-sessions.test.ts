/**
 * "Log out everywhere" (revokeSessions), in-process with MemoryStore and
 * CookieStore. The store conformance suite runs revocation against every
 * server store.
 */
import { describe, expect, test } from "vitest";
import { CookieStore, MemoryStore, revokeSessions } from "../../mod.ts";
import { createClient } from "../helpers/jar.ts";

const SECRET = "a-secret-of-at-least-thirty-two-bytes-long!";

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
    await expect(revokeSessions(store, { _testcookie: "worked" })).rejects.toThrow(RangeError);
    await expect(revokeSessions(store, { _flash: "x" })).rejects.toThrow(RangeError);
  });

  test("revokeSessions() matches a _ key other software writes (Django's _auth_user_id)", async () => {
    const store = new MemoryStore();
    const expiresAt = Date.now() + 60_000;
    await store.create("a".repeat(64), { data: { _auth_user_id: "42" }, expiresAt });
    await store.create("b".repeat(64), { data: { _auth_user_id: "42" }, expiresAt });
    await store.create("c".repeat(64), { data: { _auth_user_id: "7" }, expiresAt });
    expect(await revokeSessions(store, { _auth_user_id: "42" })).toBe(2);
    expect(await store.load("a".repeat(64))).toBeNull();
    expect(await store.load("c".repeat(64))).not.toBeNull();
  });

  test("revokeSessions() refuses an array, a non-store and a where whose key or string value has U+0000 or a lone surrogate, deleting nothing", async () => {
    const { store } = await fourSessions();
    await expect(revokeSessions(store, ["x"] as never)).rejects.toThrow(TypeError);
    await expect(revokeSessions(store, [42] as never)).rejects.toThrow(/exactly one/);
    await expect(revokeSessions({} as never, { member_id: 42 })).rejects.toThrow(TypeError);
    await expect(revokeSessions(store, { "member_id\u0000x": 42 })).rejects.toThrow(TypeError);
    await expect(revokeSessions(store, { "member_id\ud800": 42 })).rejects.toThrow(TypeError);
    await expect(revokeSessions(store, { member_id: "a\u0000" })).rejects.toThrow(TypeError);
    await expect(revokeSessions(store, { member_id: "a\udc00" })).rejects.toThrow(/lone UTF-16 surrogate/);
    expect(store.size).toBe(4);
  });
});
