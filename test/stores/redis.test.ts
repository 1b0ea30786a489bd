/**
 * RedisStore beyond the shared contract, against a real redis-server: the
 * Redis layout (one hash per session, marker field, PEXPIREAT, SHA-256 ids
 * under the prefix), scripts surviving SCRIPT FLUSH, the exact size the
 * maxBytes check measures, deleteWhere across SCAN steps, commands no newer
 * than Redis 6.2, and 50 concurrent writers through withSession.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getSession, withSession } from "../../mod.ts";
import { SessionDataTooLargeError } from "../../src/errors.ts";
import { RedisStore } from "../../src/stores/redis/index.ts";
import { CREATE, DELETE_WHERE, UPDATE } from "../../src/stores/redis/scripts.ts";
import { randomId } from "../../src/testing.ts";
import { CookieJar, rowId } from "../helpers/http.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { connectNodeRedis, NODE_REDIS, type TestClient } from "./redis-clients.ts";

let server: RedisServer;
const clients = new Map<string, TestClient>();
let prefixes = 0;
const HOUR = 3_600_000;

beforeAll(async () => {
  server = await startRedis();
  for (const pkg of NODE_REDIS) clients.set(pkg, await connectNodeRedis(pkg, server.url));
});

afterAll(async () => {
  for (const client of clients.values()) await client.close();
  await server?.stop();
});

const prefix = () => `redis-test${++prefixes}:`;

for (const pkg of NODE_REDIS) {
  describe(`RedisStore with ${pkg}`, () => {
    const client = () => clients.get(pkg)!.client;

    it("RedisStore keeps a session as one hash: a JSON field per key, the expiry marker and a PEXPIREAT TTL", async () => {
      const p = prefix();
      const store = new RedisStore({ client: client(), prefix: p });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      await store.create(id, { data: { user: "alice", n: 1 }, expiresAt });
      const key = `${p}${id}`;
      expect(await client().sendCommand(["TYPE", key])).toBe("hash");
      expect(await server.command("HGET", key, "@e")).toBe(String(expiresAt));
      expect(await server.command("HGET", key, '"user"')).toBe('"alice"');
      expect(await server.command("HGET", key, '"n"')).toBe("1");
      const pttl = Number(await server.command("PTTL", key));
      expect(pttl).toBeGreaterThan(HOUR - 5_000);
      expect(pttl).toBeLessThanOrEqual(HOUR);
      // The update moves the TTL with the expiry.
      await store.update(id, { set: {}, unset: ["n"], expiresAt: expiresAt + HOUR });
      expect(Number(await server.command("PTTL", key))).toBeGreaterThan(2 * HOUR - 5_000);
      expect(await server.command("HEXISTS", key, '"n"')).toBe("0");
    });

    it("RedisStore keeps an empty session in existence (the marker field) and invisible in its data", async () => {
      const store = new RedisStore({ client: client(), prefix: prefix() });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      expect(await store.create(id, { data: {}, expiresAt })).toBe(true);
      expect(await store.load(id)).toEqual({ data: {}, expiresAt });
      expect(await store.update(id, { set: { a: 1 }, unset: [], expiresAt })).toBe(true);
      expect(await store.update(id, { set: {}, unset: ["a"], expiresAt })).toBe(true);
      expect(await store.load(id)).toEqual({ data: {}, expiresAt });
      expect(await store.create(id, { data: { other: 1 }, expiresAt })).toBe(false);
    });

    it("RedisStore.clearExpired() resolves 0 and leaves every key alone: Redis expires them", async () => {
      const p = prefix();
      const store = new RedisStore({ client: client(), prefix: p });
      const id = randomId();
      await store.create(id, { data: { a: 1 }, expiresAt: Date.now() + HOUR });
      expect(await store.clearExpired()).toBe(0);
      expect(await store.load(id)).not.toBeNull();
    });

    it("RedisStore writes again after SCRIPT FLUSH (EVALSHA falls back to EVAL on NOSCRIPT)", async () => {
      const store = new RedisStore({ client: client(), prefix: prefix() });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      expect(await store.create(id, { data: { a: 1 }, expiresAt })).toBe(true);
      await client().sendCommand(["SCRIPT", "FLUSH"]);
      expect(await store.update(id, { set: { b: 2 }, unset: [], expiresAt })).toBe(true);
      await client().sendCommand(["SCRIPT", "FLUSH"]);
      const other = randomId();
      expect(await store.create(other, { data: { user: "u" }, expiresAt })).toBe(true);
      await client().sendCommand(["SCRIPT", "FLUSH"]);
      expect(await store.deleteWhere("user", "u")).toBe(1);
      expect(await store.load(id)).toEqual({ data: { a: 1, b: 2 }, expiresAt });
      // The last EVAL put its script back: the next call finds it by its SHA-1.
      const sha = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(DELETE_WHERE));
      const hex = [...new Uint8Array(sha)].map((b) => b.toString(16).padStart(2, "0")).join("");
      expect(await client().sendCommand(["SCRIPT", "EXISTS", hex])).toEqual([1]);
    });

    it("RedisStore measures maxBytes exactly as the UTF-8 size of JSON.stringify(data)", async () => {
      const store = new RedisStore({ client: client(), prefix: prefix() });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      await store.create(id, { data: { "clé 🍪": ["a", { b: null }] }, expiresAt });
      const set = { 'quote"d': "é".repeat(10), n: 1.5 };
      const after = new TextEncoder().encode(JSON.stringify({ "clé 🍪": ["a", { b: null }], ...set })).length;
      const refused = await store.update(id, { set, unset: [], expiresAt, maxBytes: after - 1 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SessionDataTooLargeError);
      expect(refused).toMatchObject({ limit: after - 1, size: after });
      expect(await store.update(id, { set, unset: [], expiresAt, maxBytes: after })).toBe(true);
    });

    it("RedisStore.deleteWhere() walks every SCAN step under the prefix and nothing outside it", async () => {
      // A prefix with glob characters: MATCH must take them literally.
      const p = `glob*?[x]\\${++prefixes}:`;
      const store = new RedisStore({ client: client(), prefix: p, scanCount: 100 });
      const neighbour = new RedisStore({ client: client(), prefix: `glob${prefixes}:` });
      const expiresAt = Date.now() + HOUR;
      const ids = Array.from({ length: 1_500 }, () => randomId());
      await Promise.all(ids.map((id, i) => store.create(id, { data: { user: i % 10 === 0 ? "alice" : "bob" }, expiresAt })));
      const outside = randomId();
      await neighbour.create(outside, { data: { user: "alice" }, expiresAt });
      const mine = ids[0]!;
      expect(await store.deleteWhere("user", "alice", mine)).toBe(149);
      expect(await store.load(mine)).not.toBeNull();
      expect(await neighbour.load(outside)).not.toBeNull();
      const left = await Promise.all(ids.map((id) => store.load(id)));
      expect(left.filter((record) => record?.data.user === "alice")).toHaveLength(1);
      expect(left.filter((record) => record?.data.user === "bob")).toHaveLength(1_350);
    });

    it("RedisStore.load() skips a field that is not JSON with one warning, and keeps the rest", async () => {
      const p = prefix();
      const store = new RedisStore({ client: client(), prefix: p });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      await store.create(id, { data: { good: 1 }, expiresAt });
      await server.command("HSET", `${p}${id}`, '"bad"', "{not json");
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      try {
        expect(await store.load(id)).toEqual({ data: { good: 1 }, expiresAt });
        expect(warn).toHaveBeenCalledTimes(1);
      } finally {
        warn.mockRestore();
      }
    });
  });
}

describe("RedisStore", () => {
  it("RedisStore works with node-redis 5 speaking RESP3", async () => {
    const resp3 = await connectNodeRedis("redis", server.url, { RESP: 3 });
    try {
      const store = new RedisStore({ client: resp3.client, prefix: prefix() });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      await store.create(id, { data: { a: [1, "x"] }, expiresAt });
      await store.update(id, { set: { b: { c: true } }, unset: [], expiresAt });
      expect(await store.load(id)).toEqual({ data: { a: [1, "x"], b: { c: true } }, expiresAt });
      expect(await store.deleteWhere("a", 1)).toBe(0);
    } finally {
      await resp3.close();
    }
  });

  it("RedisStore rejects clients it does not know and invalid options", () => {
    expect(() => new RedisStore({ client: {} as never })).toThrow(TypeError);
    expect(() => new RedisStore({ client: clients.get("redis")!.client, timeout: 0 })).toThrow(RangeError);
    expect(() => new RedisStore({ client: clients.get("redis")!.client, timeout: Number.NaN })).toThrow(RangeError);
    expect(() => new RedisStore({ client: clients.get("redis")!.client, prefix: 1 as never })).toThrow(RangeError);
  });

  it("RedisStore names a session's key by the SHA-256 hex of its session key, under the prefix", async () => {
    const p = prefix();
    const store = new RedisStore({ client: clients.get("redis")!.client, prefix: p });
    const app = withSession(async (request) => {
      const session = await getSession(request);
      session.set("user", "alice");
      return new Response("ok");
    }, { store });
    const jar = new CookieJar(app);
    expect((await jar.fetch("/")).status).toBe(200);
    const key = jar.get()!;
    expect(await server.command("EXISTS", `${p}${rowId(key)}`)).toBe("1");
    expect(await server.command("HGET", `${p}${rowId(key)}`, '"user"')).toBe('"alice"');
  });

  it("RedisStore keeps every key of 50 concurrent requests on one session through withSession", async () => {
    const store = new RedisStore({ client: clients.get("redis6")!.client, prefix: prefix() });
    const app = withSession(async (request) => {
      const session = await getSession(request);
      const k = new URL(request.url).searchParams.get("k");
      if (k !== null) session.set(k, k);
      else session.set("start", true);
      return Response.json(Object.fromEntries(session.entries()));
    }, { store });
    const jar = new CookieJar(app);
    await jar.fetch("/");
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => app(jar.request(`/?k=key${i}`))));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const data = (await (await jar.fetch("/")).json()) as Record<string, unknown>;
    expect(Object.keys(data)).toHaveLength(51);
    for (let i = 0; i < 50; i++) expect(data[`key${i}`]).toBe(`key${i}`);
  });

  it("RedisStore uses no command newer than Redis 6.2", async () => {
    // Every command the store sends, recorded through a client wrapper, plus every command its scripts call.
    const real = clients.get("redis")!.client;
    const sent = new Set<string>();
    const spy = {
      isOpen: true,
      sendCommand(args: string[], options?: Record<string, unknown>) {
        sent.add(args[0]!.toUpperCase());
        return real.sendCommand(args, options);
      },
    };
    const store = new RedisStore({ client: spy, prefix: prefix() });
    const id = randomId();
    const expiresAt = Date.now() + HOUR;
    await store.create(id, { data: { user: "u" }, expiresAt });
    await store.update(id, { set: { a: 1 }, unset: ["user"], expiresAt, maxBytes: 1000 });
    await store.load(id);
    await real.sendCommand(["SCRIPT", "FLUSH"]);
    await store.update(id, { set: { user: "u" }, unset: [], expiresAt });
    await store.deleteWhere("user", "u");
    await store.delete(id);
    for (const source of [CREATE, UPDATE, DELETE_WHERE]) {
      for (const match of source.matchAll(/redis\.p?call\('([A-Z]+)'/g)) sent.add(match[1]!);
    }
    // The first Redis version of each (redis.io command pages); HSET with several pairs needs 4.0.
    const since: Record<string, string> = {
      EVALSHA: "2.6.0", EVAL: "2.6.0", HGETALL: "2.0.0", DEL: "1.0.0", SCAN: "2.8.0", HGET: "2.0.0", HMGET: "2.0.0",
      HSET: "4.0.0", HDEL: "2.4.0", EXISTS: "1.0.0", PEXPIREAT: "2.6.0",
    };
    for (const command of sent) {
      expect(since[command], `${command} is not on the list of commands checked against Redis 6.2`).toBeDefined();
    }
    expect([...sent].sort()).toEqual(["DEL", "EVAL", "EVALSHA", "EXISTS", "HDEL", "HGET", "HGETALL", "HMGET", "HSET", "PEXPIREAT", "SCAN"]);
  });
});
