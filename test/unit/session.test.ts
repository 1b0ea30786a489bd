/**
 * The Session class: reads and writes, reserved keys, the size limit, store ids.
 */
import { describe, expect, test } from "vitest";
import { getSession, MemoryStore, openSession, SessionDataTooLargeError, withSession } from "../../mod.ts";
import type { SessionPatch, SessionRecord, SessionStore } from "../../mod.ts";
import { createClient, sha256Hex } from "../helpers/jar.ts";

describe("reserved keys", () => {
  test("get() and has() read a stored _ key that is not the library's own (Django's _auth_user_id); keys() hides it", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("name", "alice"));
    const id = await sha256Hex(client.cookie()!);
    await store.update(id, { set: { _auth_user_id: "42", _auth_user_backend: "b" }, unset: [], expiresAt: Date.now() + 60_000 });
    const { value } = await client.run((s) => {
      s.setExpiry(300);
      s.setTestCookie();
      return [s.get("_auth_user_id"), s.has("_auth_user_backend"), s.has("_nope"), s.get("_expiry"), s.has("_expiry"), s.get("_testcookie"), s.has("_flash"), s.keys(), s.values(), s.entries()];
    });
    expect(value).toEqual(["42", true, false, undefined, false, undefined, false, ["name"], ["alice"], [["name", "alice"]]]);
  });

  test("set(), delete() and pop() of any _ key still throw RangeError", async () => {
    const client = createClient();
    await client.run((s) => {
      expect(() => s.set("_auth_user_id" as never, 1 as never)).toThrow(RangeError);
      expect(() => s.delete("_auth_user_id" as never)).toThrow(RangeError);
      expect(() => s.pop("_auth_user_id" as never)).toThrow(RangeError);
    });
  });
});

/** A MemoryStore whose rows are named by the plain key, like Django's database backend. */
class PlainIdStore extends MemoryStore {
  readonly ids: string[] = [];
  idOf(key: string): string {
    return `plain:${key}`;
  }
  override load(id: string): Promise<SessionRecord | null> {
    this.ids.push(id);
    return super.load(id);
  }
  override create(id: string, record: SessionRecord): Promise<boolean> {
    this.ids.push(id);
    return super.create(id, record);
  }
  override update(id: string, patch: SessionPatch): Promise<boolean> {
    this.ids.push(id);
    return super.update(id, patch);
  }
  override delete(id: string): Promise<void> {
    this.ids.push(id);
    return super.delete(id);
  }
}

describe("SessionStore.idOf", () => {
  test("the core names rows with the store's idOf() on create, load, update, cycleKey, flush and openSession", async () => {
    const store = new PlainIdStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const first = client.cookie()!;
    await client.run((s) => s.set("a", 2));
    await client.run((s) => s.cycleKey());
    const second = client.cookie()!;
    const opened = await openSession(second, { store });
    expect(opened!.get("a")).toBe(2);
    await client.run((s) => s.flush());
    expect(store.ids.every((id) => id.startsWith("plain:"))).toBe(true);
    expect(store.ids).toContain(`plain:${first}`);
    expect(store.ids).toContain(`plain:${second}`);
    expect(store.size).toBe(0);
  });
});

describe("maxDataBytes", () => {
  test("ten concurrent 900-byte writes against a 2000-byte limit store at most 2000 bytes; the user can still log in", async () => {
    const store = new MemoryStore();
    const app = withSession(async (request: Request) => {
      const session = await getSession(request);
      const set = new URL(request.url).searchParams.get("set");
      if (set !== null) session.set(set, "x".repeat(900));
      if (new URL(request.url).searchParams.has("login")) await session.cycleKey();
      return new Response("ok");
    }, { store, maxDataBytes: 2000 });
    const created = await app(new Request("http://localhost/?set=start"));
    const key = /sessionid=([a-z0-9]{32})/.exec(created.headers.get("set-cookie")!)![1]!;
    const cookie = { cookie: `sessionid=${key}` };
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => app(new Request(`http://localhost/?set=k${i}`, { headers: cookie }))));
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SessionDataTooLargeError);
    const json = store.dump()[0]![1];
    expect(new TextEncoder().encode(json).length).toBeLessThanOrEqual(2000);
    const login = await app(new Request("http://localhost/?login", { headers: cookie }));
    expect(login.status).toBe(200);
    expect(login.headers.get("set-cookie")).toMatch(/sessionid=[a-z0-9]{32}/);
  });

  test("a session over the limit (the limit was lowered) can be cycled, shrunk and flushed, but not grown", async () => {
    const store = new MemoryStore();
    const big = createClient({ store, maxDataBytes: 65_536 });
    await big.run((s) => s.update({ a: "x".repeat(900), b: "x".repeat(900), c: "x".repeat(900) }));
    const small = createClient({ store, maxDataBytes: 2000 });
    small.jar.set("sessionid", big.cookie()!);
    const grow = await small.run((s) => s.set("d", 1)).catch((e: unknown) => e);
    expect(grow).toBeInstanceOf(SessionDataTooLargeError);
    expect((grow as SessionDataTooLargeError).limit).toBe(2000);
    const before = small.cookie();
    await small.run((s) => s.cycleKey());
    expect(small.cookie()).not.toBe(before);
    await small.run((s) => s.delete("a"));
    const { value } = await small.run((s) => s.keys());
    expect(value).toEqual(["b", "c"]);
    await small.run((s) => s.flush());
    expect(small.cookie()).toBeUndefined();
    expect(store.size).toBe(0);
  });

  test("the limit is sent to the store with every patch that sets keys", async () => {
    const patches: SessionPatch[] = [];
    const inner = new MemoryStore();
    const store: SessionStore = {
      load: (id) => inner.load(id),
      create: (id, r) => inner.create(id, r),
      update: (id, patch) => {
        patches.push(patch);
        return inner.update(id, patch);
      },
      delete: (id) => inner.delete(id),
    };
    const client = createClient({ store, maxDataBytes: 5000 });
    await client.run((s) => s.set("a", 1));
    await client.run((s) => s.set("b", 2));
    await client.run((s) => s.delete("b"));
    expect(patches.map((p) => p.maxBytes)).toEqual([5000, undefined]);
  });

});
