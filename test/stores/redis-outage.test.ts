/**
 * RedisStore when Redis fails, against a real redis-server: killed mid-run
 * (SIGKILL), hung (SIGSTOP) and out of memory (maxmemory with noeviction).
 * Each request whose store call cannot finish gets a SessionStoreError within
 * the store's timeout, requests that do not touch the session keep working,
 * a write that timed out while the client was reconnecting does not run once
 * Redis is back, and the store recovers by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getSession, SessionStoreError, withSession } from "../../mod.ts";
import { RedisStore, RedisTimeoutError } from "../../src/stores/redis/index.ts";
import { randomId } from "../../src/testing.ts";
import { CookieJar, rowId, setCookieValue } from "../helpers/http.ts";
import { eventually, startRedis, type RedisServer } from "../helpers/redis.ts";
import { connectNodeRedis, NODE_REDIS, type TestClient } from "./redis-clients.ts";

const HOUR = 3_600_000;
const TIMEOUT = 500;
/** What the machine may add to the timeout (two shared cores under load). */
const SLACK = 1_000;

/** Resolves how long `promise` took to reject, and the error. */
async function rejection(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const start = performance.now();
  try {
    await promise;
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
  throw new Error("expected a rejection, got a result");
}

/** An app whose `/session` route reads and writes the session, answering 503 on a store failure, and whose `/health` does not touch it. */
function app(store: RedisStore) {
  return withSession(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("up");
    try {
      const session = await getSession(request);
      const k = url.searchParams.get("k");
      if (k !== null) session.set(k, url.searchParams.get("v"));
      return Response.json(Object.fromEntries(session.entries()));
    } catch (error) {
      if (error instanceof SessionStoreError && error.cause instanceof Error) return new Response("store down", { status: 503 });
      throw error;
    }
  }, { store });
}

for (const pkg of NODE_REDIS) {
  describe(`RedisStore with ${pkg} when Redis fails`, () => {
    let server: RedisServer;
    let client: TestClient & { errors: Error[] };
    beforeAll(async () => {
      server = await startRedis();
      client = await connectNodeRedis(pkg, server.url);
    });
    afterAll(async () => {
      await client?.close();
      await server?.stop();
    });
    afterEach(async () => {
      server.resume();
    });

    it(`RedisStore (${pkg}) fails each call within its timeout while Redis is killed, drops the queued writes, and recovers when it is back`, async () => {
      const store = new RedisStore({ client: client.client, prefix: "kill:", timeout: TIMEOUT });
      const handler = app(store);
      const jar = new CookieJar(handler);
      expect((await jar.fetch("/session?k=user&v=alice")).status).toBe(200);
      const id = randomId();
      await store.create(id, { data: { before: true }, expiresAt: Date.now() + HOUR });

      await server.kill();
      // Every kind of call fails, each within the timeout.
      const lost = randomId();
      const outcomes = await Promise.all([
        rejection(store.load(id)),
        rejection(store.create(lost, { data: { queued: true }, expiresAt: Date.now() + HOUR })),
        rejection(store.update(id, { set: { during: true }, unset: [], expiresAt: Date.now() + HOUR })),
        rejection(store.delete(id)),
        rejection(store.deleteWhere("before", true)),
      ]);
      for (const { ms } of outcomes) expect(ms).toBeLessThan(TIMEOUT + SLACK);
      // Through withSession: the session route answers 503 within the timeout, the other route answers at once.
      const started = performance.now();
      const [down, health] = await Promise.all([handler(jar.request("/session")), handler(jar.request("/health"))]);
      expect(down.status).toBe(503);
      expect(health.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(TIMEOUT + SLACK);
      // A save that fails is an error, never a silent success.
      const failedSave = await rejection(Promise.resolve(handler(new Request("http://localhost/session?k=a&v=b"))).then((r) => {
        if (r.status >= 500) throw new Error(`status ${r.status}`);
        return r;
      }));
      expect(failedSave.ms).toBeLessThan(2 * (TIMEOUT + SLACK));

      await server.restart();
      // The client reconnects by itself; the store works again.
      const id2 = randomId();
      expect(await eventually(() => store.create(id2, { data: { after: true }, expiresAt: Date.now() + HOUR }))).toBe(true);
      // Redis without persistence (as the tests run it) lost every session in the restart.
      expect(await store.load(id)).toBeNull();
      expect(await store.load(id2)).toMatchObject({ data: { after: true } });
      expect((await jar.fetch("/session?k=user&v=bob")).status).toBe(200);
      // The create that timed out while the client was reconnecting was dropped from its queue, not run late.
      await new Promise((r) => setTimeout(r, 300));
      expect(await store.load(lost)).toBeNull();
    });

    it(`RedisStore (${pkg}) fails each call within its timeout while Redis hangs, and works again when it answers`, async () => {
      const store = new RedisStore({ client: client.client, prefix: "hang:", timeout: TIMEOUT });
      const id = randomId();
      const expiresAt = Date.now() + HOUR;
      await eventually(() => store.create(id, { data: { a: 1 }, expiresAt }));
      server.pause();
      const outcomes = await Promise.all([
        rejection(store.load(id)),
        rejection(store.update(id, { set: { b: 2 }, unset: [], expiresAt })),
        rejection(store.load(randomId())),
      ]);
      for (const { ms, error } of outcomes) {
        expect(ms).toBeLessThan(TIMEOUT + SLACK);
        expect(error).toBeInstanceOf(RedisTimeoutError);
        expect(String(error)).toMatch(/did not answer/);
      }
      // Other work in the process is not blocked meanwhile.
      const health = await app(store)(new Request("http://localhost/health"));
      expect(health.status).toBe(200);
      server.resume();
      expect(await eventually(() => store.load(id))).toMatchObject({ data: { a: 1 } });
      // The update that was already on the wire when Redis hung ran when it woke up: the caller was told it failed,
      // and the docs say so (a timed-out write may or may not have happened).
      const second = randomId();
      expect(await store.create(second, { data: {}, expiresAt })).toBe(true);
    });
  });
}

describe("RedisStore when Redis is out of memory (maxmemory, noeviction)", () => {
  let server: RedisServer;
  let client: TestClient & { errors: Error[] };
  beforeAll(async () => {
    server = await startRedis(["--maxmemory", "3mb", "--maxmemory-policy", "noeviction"]);
    client = await connectNodeRedis("redis", server.url);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it("RedisStore rejects the writes Redis refuses (OOM), and every write it reported is stored", async () => {
    const store = new RedisStore({ client: client.client, prefix: "oom:" });
    const expiresAt = Date.now() + HOUR;
    const stored: string[] = [];
    let refusal: unknown = null;
    for (let i = 0; i < 2_000 && refusal === null; i++) {
      const id = randomId();
      try {
        expect(await store.create(id, { data: { blob: "x".repeat(20_000), i }, expiresAt })).toBe(true);
        stored.push(id);
      } catch (error) {
        refusal = error;
      }
    }
    expect(String(refusal)).toMatch(/OOM command not allowed/);
    expect(stored.length).toBeGreaterThan(10);
    for (const [i, id] of stored.entries()) expect((await store.load(id))?.data).toEqual({ blob: "x".repeat(20_000), i });
    // Growing an existing session is refused too and leaves it as it was; shrinking and deleting still work.
    const first = stored[0]!;
    await expect(store.update(first, { set: { more: "y".repeat(20_000) }, unset: [], expiresAt })).rejects.toThrow(/OOM/);
    expect((await store.load(first))?.data).toEqual({ blob: "x".repeat(20_000), i: 0 });
    // Through withSession, a refused save is a SessionStoreError; a save that went through is stored.
    const handler = withSession(async (request) => {
      const session = await getSession(request);
      session.set("blob", "z".repeat(20_000));
      try {
        await session.save();
      } catch (error) {
        return new Response(error instanceof SessionStoreError ? "store error" : String(error), { status: 503 });
      }
      return new Response("saved");
    }, { store });
    let refused: Response | null = null;
    for (let i = 0; i < 200 && refused === null; i++) {
      const response = await handler(new Request("http://localhost/"));
      if (response.status === 503) {
        refused = response;
        break;
      }
      expect(await response.text()).toBe("saved");
      const key = setCookieValue(response)!;
      expect((await store.load(rowId(key)))?.data).toEqual({ blob: "z".repeat(20_000) });
    }
    expect(await refused?.text()).toBe("store error");
    await store.delete(first);
    expect(await store.load(first)).toBeNull();
  });
});
