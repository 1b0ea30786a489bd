/**
 * CachedStore (Django's cached_db): reads from the cache, the store as the
 * fallback and source of truth, writes to both, a failing or hung cache
 * degrading to the store alone, a failing store failing the request, and no
 * session coming back from the cache after it was deleted or changed while
 * the cache was unreachable. Deterministic cases use a cache that can be made
 * to fail or hang on demand; the rest run on a real redis-server (paused with
 * SIGSTOP) and a libSQL file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSession, SessionStoreError, withSession } from "../../mod.ts";
import { CachedStore } from "../../src/stores/cached-store.ts";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { RedisStore } from "../../src/stores/redis/index.ts";
import type { SessionPatch, SessionRecord, SessionStore } from "../../src/store.ts";
import { randomId } from "../../src/testing.ts";
import { freshTable } from "../helpers/kysely-harness.ts";
import { CookieJar, rowId } from "../helpers/http.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { connectNodeRedis, type TestClient } from "./redis-clients.ts";

const HOUR = 3_600_000;
const SLACK = 1_000;

type Mode = "ok" | "fail" | "hang";

/** A MemoryStore that records its calls and can be made to fail or hang. */
class Switchable implements SessionStore {
  readonly inner = new MemoryStore();
  mode: Mode = "ok";
  /** Milliseconds each delete takes (a slow invalidation pass). */
  deleteDelay = 0;
  readonly calls: string[] = [];
  async #run<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.calls.push(name);
    if (this.mode === "fail") throw new Error(`${name}: connection refused`);
    if (this.mode === "hang") return await new Promise<T>(() => {});
    return await call();
  }
  load(id: string) {
    return this.#run("load", () => this.inner.load(id));
  }
  create(id: string, record: SessionRecord) {
    return this.#run("create", () => this.inner.create(id, record));
  }
  update(id: string, patch: SessionPatch) {
    return this.#run("update", () => this.inner.update(id, patch));
  }
  delete(id: string) {
    return this.#run("delete", async () => {
      if (this.deleteDelay > 0) await sleep(this.deleteDelay);
      return await this.inner.delete(id);
    });
  }
  clearExpired() {
    return this.#run("clearExpired", () => this.inner.clearExpired());
  }
  deleteWhere(field: string, value: string | number | boolean, exceptId?: string) {
    return this.#run("deleteWhere", () => this.inner.deleteWhere(field, value, exceptId));
  }
}

function setup(options: { timeout?: number; retryAfter?: number } = {}) {
  const cache = new Switchable();
  const store = new Switchable();
  const logs: string[] = [];
  const cached = new CachedStore({ cache, store, ...options, log: (message) => logs.push(message) });
  return { cache, store, cached, logs };
}

const record = (data: Record<string, unknown> = { user: "alice" }): SessionRecord => ({ data, expiresAt: Date.now() + HOUR });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("CachedStore", () => {
  it("CachedStore reads from the cache without touching the store", async () => {
    const { cache, store, cached } = setup();
    const id = randomId();
    const r = record();
    await cached.create(id, r);
    store.calls.length = 0;
    expect(await cached.load(id)).toEqual(r);
    expect(await cached.load(id)).toEqual(r);
    expect(store.calls).toEqual([]);
    expect(cache.calls.filter((c) => c === "load")).toHaveLength(2);
  });

  it("CachedStore falls back to the store on a cache miss and fills the cache", async () => {
    const { cache, store, cached } = setup();
    const id = randomId();
    const r = record();
    await store.inner.create(id, r);
    expect(await cached.load(id)).toEqual(r);
    expect(await cache.inner.load(id)).toEqual(r);
    store.calls.length = 0;
    expect(await cached.load(id)).toEqual(r);
    expect(store.calls).toEqual([]);
    expect(await cached.load(randomId())).toBeNull();
  });

  it("CachedStore writes to the store first, then to the cache, and deletes from both", async () => {
    const { cache, store, cached } = setup();
    const order: string[] = [];
    const spy = (s: Switchable, name: string) => {
      const update = s.update.bind(s);
      s.update = (id, patch) => (order.push(name), update(id, patch));
      const del = s.delete.bind(s);
      s.delete = (id) => (order.push(name), del(id));
    };
    spy(store, "store");
    spy(cache, "cache");
    const id = randomId();
    await cached.create(id, record({ a: 1 }));
    const expiresAt = Date.now() + 2 * HOUR;
    expect(await cached.update(id, { set: { b: 2 }, unset: ["a"], expiresAt })).toBe(true);
    expect(order).toEqual(["store", "cache"]);
    expect(await store.inner.load(id)).toEqual({ data: { b: 2 }, expiresAt });
    expect(await cache.inner.load(id)).toEqual({ data: { b: 2 }, expiresAt });
    order.length = 0;
    await cached.delete(id);
    expect(order).toEqual(["store", "cache"]);
    expect(await store.inner.load(id)).toBeNull();
    expect(await cache.inner.load(id)).toBeNull();
  });

  it("CachedStore keeps working on the store alone while the cache fails, and logs once per outage", async () => {
    const { cache, store, cached, logs } = setup({ retryAfter: 100 });
    const id = randomId();
    await cached.create(id, record({ a: 1 }));
    cache.mode = "fail";
    expect(await cached.load(id)).toMatchObject({ data: { a: 1 } });
    expect(await cached.update(id, { set: { b: 2 }, unset: [], expiresAt: Date.now() + HOUR })).toBe(true);
    const other = randomId();
    expect(await cached.create(other, record())).toBe(true);
    await cached.delete(other);
    expect(await cached.load(other)).toBeNull();
    expect(cached.cacheAvailable).toBe(false);
    await sleep(150);
    expect(await cached.load(id)).toMatchObject({ data: { a: 1, b: 2 } }); // the retry fails too: still one message
    expect(logs).toHaveLength(1);
    expect(await store.inner.load(id)).toMatchObject({ data: { a: 1, b: 2 } });
    // Back: the cache is used again once the entries it missed are invalidated.
    cache.mode = "ok";
    await sleep(150);
    expect(await cached.load(id)).toMatchObject({ data: { a: 1, b: 2 } });
    await cached.settled();
    expect(cached.pendingInvalidations).toBe(0);
    expect(cached.cacheAvailable).toBe(true);
    store.calls.length = 0;
    expect(await cached.load(id)).toMatchObject({ data: { a: 1, b: 2 } }); // filled by the previous load or this one
    expect(await cached.load(id)).toMatchObject({ data: { a: 1, b: 2 } });
    expect(store.calls.length).toBeLessThanOrEqual(2);
    // A second outage logs again.
    cache.mode = "fail";
    await cached.load(id);
    expect(logs).toHaveLength(2);
  });

  it("CachedStore spends at most one timeout per request on a hung cache", async () => {
    const { cache, cached } = setup({ timeout: 1_500, retryAfter: 60_000 });
    const app = withSession(async (request) => {
      const session = await getSession(request);
      session.set("n", Number(session.get("n") ?? 0) + 1);
      return new Response(String(session.get("n")));
    }, { store: cached });
    const jar = new CookieJar(app);
    expect(await (await jar.fetch("/")).text()).toBe("1");
    cache.mode = "hang";
    let start = performance.now();
    // Load (cache: times out) and save (cache skipped): one timeout.
    expect(await (await jar.fetch("/")).text()).toBe("2");
    const first = performance.now() - start;
    expect(first).toBeGreaterThanOrEqual(1_490);
    expect(first).toBeLessThan(1_500 + SLACK);
    start = performance.now();
    expect(await (await jar.fetch("/")).text()).toBe("3");
    expect(performance.now() - start).toBeLessThan(1_000); // no timeout: the cache is left alone until retryAfter
  });

  it("CachedStore fails the request when the store fails", async () => {
    const { store, cached } = setup();
    const id = randomId();
    await cached.create(id, record());
    store.mode = "fail";
    await expect(cached.update(id, { set: { x: 1 }, unset: [], expiresAt: Date.now() + HOUR })).rejects.toThrow(/connection refused/);
    await expect(cached.create(randomId(), record())).rejects.toThrow(/connection refused/);
    await expect(cached.delete(id)).rejects.toThrow(/connection refused/);
    await expect(cached.load(randomId())).rejects.toThrow(/connection refused/); // a miss needs the store
    await expect(cached.deleteWhere("user", "alice")).rejects.toThrow(/connection refused/);
    const app = withSession(async (request) => {
      try {
        const session = await getSession(request);
        return new Response(String(session.get("user")));
      } catch (error) {
        return new Response(error instanceof SessionStoreError ? "store error" : "other", { status: 503 });
      }
    }, { store: cached });
    const response = await app(new Request("http://localhost/", { headers: { cookie: "sessionid=abcdefghijklmnopqrstuvwxyz012345" } }));
    expect(await response.text()).toBe("store error");
  });

  it("CachedStore does not serve a session deleted or changed while the cache was unreachable", async () => {
    const { cache, cached } = setup({ retryAfter: 50 });
    const deleted = randomId();
    const changed = randomId();
    const loggedOut = randomId();
    await cached.create(deleted, record({ user: "a" }));
    await cached.create(changed, record({ user: "b", cart: 1 }));
    await cached.create(loggedOut, record({ user: "everywhere" }));
    cache.mode = "fail";
    await cached.delete(deleted);
    await cached.update(changed, { set: { cart: 2 }, unset: [], expiresAt: Date.now() + HOUR });
    expect(await cached.deleteWhere("user", "everywhere")).toBe(1);
    // The cache still holds the old copies.
    expect(await cache.inner.load(deleted)).not.toBeNull();
    expect((await cache.inner.load(changed))?.data).toEqual({ user: "b", cart: 1 });
    cache.mode = "ok";
    await sleep(80);
    // Right after the outage (invalidation still running or not) and after it, the store's truth is served.
    expect(await cached.load(deleted)).toBeNull();
    expect((await cached.load(changed))?.data).toEqual({ user: "b", cart: 2 });
    expect(await cached.load(loggedOut)).toBeNull();
    await cached.settled();
    expect(cached.pendingInvalidations).toBe(0);
    expect(await cache.inner.load(deleted)).toBeNull();
    expect(await cache.inner.load(loggedOut)).toBeNull();
    expect(await cached.load(deleted)).toBeNull();
    expect((await cached.load(changed))?.data).toEqual({ user: "b", cart: 2 });
    expect(await cached.load(loggedOut)).toBeNull();
  });

  it("CachedStore bypasses the cache for the sessions it missed while their invalidation is still running", async () => {
    const { cache, cached } = setup({ retryAfter: 50 });
    const ids = Array.from({ length: 5 }, () => randomId());
    for (const id of ids) await cached.create(id, record({ v: "old" }));
    cache.mode = "fail";
    for (const id of ids) await cached.update(id, { set: { v: "new" }, unset: [], expiresAt: Date.now() + HOUR });
    cache.mode = "ok";
    cache.deleteDelay = 100;
    await sleep(80);
    // The invalidation pass takes 500 ms; meanwhile every one of them is read from the store.
    for (const id of ids) expect((await cached.load(id))?.data).toEqual({ v: "new" });
    expect(cached.pendingInvalidations).toBeGreaterThan(0);
    await cached.settled();
    for (const id of ids) expect((await cached.load(id))?.data).toEqual({ v: "new" });
  });

  it("CachedStore does not let a cache fill bring back a session deleted during the fill", async () => {
    const cache = new MemoryStore();
    const store = new Switchable();
    const a = new CachedStore({ cache, store });
    const b = new CachedStore({ cache, store }); // another process sharing the cache and the store
    const id = randomId();
    await store.inner.create(id, record());
    // A reads the store; before A fills the cache, B logs the session out.
    const load = store.load.bind(store);
    let once = true;
    store.load = async (i) => {
      const result = await load(i);
      if (once) {
        once = false;
        await b.delete(id);
      }
      return result;
    };
    expect(await a.load(id)).toBeNull();
    expect(await cache.load(id)).toBeNull();
    expect(await b.load(id)).toBeNull();
  });

  it("CachedStore rejects invalid options", () => {
    const m = new MemoryStore();
    expect(() => new CachedStore({ cache: m, store: m })).toThrow(TypeError);
    expect(() => new CachedStore({ cache: {} as never, store: m })).toThrow(TypeError);
    expect(() => new CachedStore({ cache: { load() {}, create() {}, update() {}, delete() {} } as never, store: m })).toThrow(/deleteWhere/);
    expect(() => new CachedStore({ cache: new MemoryStore(), store: m, timeout: 0 })).toThrow(RangeError);
  });
});

describe("CachedStore(RedisStore, KyselyStore on libSQL) on a real Redis", () => {
  let server: RedisServer;
  let client: TestClient & { errors: Error[] };
  let dir: string;
  let db: Kysely<any>;
  beforeAll(async () => {
    server = await startRedis();
    client = await connectNodeRedis("redis", server.url);
    dir = await mkdtemp(join(tmpdir(), "fetch-session-cached-"));
    db = await openLibsqlDatabase({ url: `file:${join(dir, "sessions.db")}` });
  });
  afterAll(async () => {
    server?.resume();
    await client?.close();
    await db?.destroy();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(prefix: string, options: { timeout?: number; retryAfter?: number } = {}) {
    const store = new KyselyStore({ db, table: freshTable() });
    await store.createSchema();
    const cache = new RedisStore({ client: client.client, prefix, timeout: options.timeout ?? 2000 });
    const logs: string[] = [];
    return { store, cache, logs, cached: new CachedStore({ cache, store, ...options, log: (m) => logs.push(m) }) };
  }

  it("CachedStore keeps every key of 50 concurrent requests on one session, in the cache and in the store", async () => {
    const { store, cache, cached } = await open("cc50:");
    const app = withSession(async (request) => {
      const session = await getSession(request);
      const k = new URL(request.url).searchParams.get("k");
      session.set(k ?? "start", k ?? true);
      return new Response("ok");
    }, { store: cached });
    const jar = new CookieJar(app);
    await jar.fetch("/");
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => app(jar.request(`/?k=key${i}`))));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const id = rowId(jar.get()!);
    const expected = { start: true, ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, `key${i}`])) };
    expect((await store.load(id))?.data).toEqual(expected);
    expect((await cache.load(id))?.data).toEqual(expected);
  });

  it("CachedStore serves from the store while Redis hangs, and a session deleted meanwhile does not come back from Redis", async () => {
    const { store, cache, cached, logs } = await open("cchang:", { timeout: 300, retryAfter: 200 });
    const id = randomId();
    const kept = randomId();
    await cached.create(id, record({ user: "alice" }));
    await cached.create(kept, record({ user: "bob" }));
    server.pause();
    try {
      const start = performance.now();
      expect(await cached.load(kept)).toMatchObject({ data: { user: "bob" } });
      expect(performance.now() - start).toBeLessThan(300 + SLACK);
      await cached.delete(id);
      await cached.update(kept, { set: { cart: 3 }, unset: [], expiresAt: Date.now() + HOUR });
      expect(await store.load(id)).toBeNull();
      expect(logs).toHaveLength(1);
    } finally {
      server.resume();
    }
    // Redis still holds the old copies: the CachedStore must not serve them.
    expect(await cache.load(id)).not.toBeNull();
    await sleep(250);
    expect(await cached.load(id)).toBeNull();
    expect((await cached.load(kept))?.data).toEqual({ user: "bob", cart: 3 });
    await cached.settled();
    expect(await cache.load(id)).toBeNull();
    expect(await cached.load(id)).toBeNull();
    expect((await cached.load(kept))?.data).toEqual({ user: "bob", cart: 3 });
  });

  it("CachedStore keeps answering from the store while Redis is killed, and uses Redis again once it is back", async () => {
    const { cached, logs } = await open("cckill:", { timeout: 300, retryAfter: 200 });
    const id = randomId();
    await cached.create(id, record({ user: "carol" }));
    await server.kill();
    for (let i = 0; i < 5; i++) expect(await cached.load(id)).toMatchObject({ data: { user: "carol" } });
    expect(await cached.update(id, { set: { n: 1 }, unset: [], expiresAt: Date.now() + HOUR })).toBe(true);
    expect(logs).toHaveLength(1);
    await server.restart();
    const deadline = Date.now() + 20_000;
    while (!(cached.cacheAvailable && cached.pendingInvalidations === 0) && Date.now() < deadline) {
      expect((await cached.load(id))?.data).toEqual({ user: "carol", n: 1 });
      await sleep(100);
    }
    expect(cached.cacheAvailable).toBe(true);
    expect((await cached.load(id))?.data).toEqual({ user: "carol", n: 1 });
  });
});
