/**
 * RedisStore with Bun's built-in RedisClient, run by the real Bun
 * (`bun test/stores/redis-bun-checks.ts`; redis-bun.test.ts starts it): the
 * conformance suite, scripts after SCRIPT FLUSH, 50 concurrent writers through
 * withSession, and the outages (Redis killed, hung, and back; a client that
 * gave up reconnecting). Prints one JSON line per check and a last line
 * `{"done":true,"failed":N}`.
 */
import { RedisClient } from "bun";
import { getSession, withSession } from "../../mod.ts";
import { RedisStore } from "../../src/stores/redis/index.ts";
import { randomId, sessionStoreChecks } from "../../src/testing.ts";
import { eventually, startRedis } from "../helpers/redis.ts";

const HOUR = 3_600_000;
const TIMEOUT = 500;
const SLACK = 1_000;
const server = await startRedis();
let failed = 0;
let prefixes = 0;

async function check(name: string, run: () => Promise<void>): Promise<void> {
  const start = performance.now();
  try {
    await run();
    console.log(JSON.stringify({ name, ok: true, ms: Math.round(performance.now() - start) }));
  } catch (error) {
    failed++;
    console.log(JSON.stringify({ name, ok: false, error: String((error as Error)?.stack ?? error) }));
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function rejectsWithin(promise: Promise<unknown>, ms: number, what: string): Promise<unknown> {
  const start = performance.now();
  try {
    await promise;
  } catch (error) {
    const took = performance.now() - start;
    assert(took < ms, `${what} rejected after ${Math.round(took)} ms, more than ${ms} ms`);
    return error;
  }
  throw new Error(`${what} resolved; expected a rejection`);
}

try {
  const client = new RedisClient(server.url);
  await client.connect();
  console.log(JSON.stringify({ info: `Bun ${Bun.version}, redis-server ${server.version}` }));

  for (const c of sessionStoreChecks(() => new RedisStore({ client, prefix: `bun${++prefixes}:` }), {
    prefix: "RedisStore (Bun RedisClient): ",
    clearExpired: false,
  })) {
    await check(c.name, c.run);
  }

  await check("RedisStore (Bun RedisClient) writes again after SCRIPT FLUSH", async () => {
    const store = new RedisStore({ client, prefix: `bun${++prefixes}:` });
    const id = randomId();
    const expiresAt = Date.now() + HOUR;
    assert(await store.create(id, { data: { a: 1 }, expiresAt }), "create");
    await client.send("SCRIPT", ["FLUSH"]);
    assert(await store.update(id, { set: { b: 2 }, unset: [], expiresAt }), "update after SCRIPT FLUSH");
    await client.send("SCRIPT", ["FLUSH"]);
    assert(await store.create(randomId(), { data: {}, expiresAt }), "create after SCRIPT FLUSH");
    assert(JSON.stringify((await store.load(id))?.data) === '{"a":1,"b":2}', "data after the updates");
    assert(await store.clearExpired() === 0, "clearExpired() resolves 0");
  });

  await check("RedisStore (Bun RedisClient) keeps every key of 50 concurrent requests on one session", async () => {
    const store = new RedisStore({ client, prefix: `bun${++prefixes}:` });
    const app = withSession(async (request) => {
      const session = await getSession(request);
      const k = new URL(request.url).searchParams.get("k");
      session.set(k ?? "start", k ?? true);
      return Response.json(Object.fromEntries(session.entries()));
    }, { store });
    const first = await app(new Request("http://localhost/"));
    const cookie = first.headers.getSetCookie()[0]!.split(";")[0]!;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => app(new Request(`http://localhost/?k=key${i}`, { headers: { cookie } }))),
    );
    assert(responses.every((r) => r.status === 200), "every response 200");
    const data = (await (await app(new Request("http://localhost/", { headers: { cookie } }))).json()) as Record<string, unknown>;
    for (let i = 0; i < 50; i++) assert(data[`key${i}`] === `key${i}`, `key${i} kept`);
  });

  await check("RedisStore (Bun RedisClient) fails within its timeout while Redis is killed, drops queued writes, and recovers", async () => {
    const store = new RedisStore({ client, prefix: "bunkill:", timeout: TIMEOUT });
    const id = randomId();
    await store.create(id, { data: { a: 1 }, expiresAt: Date.now() + HOUR });
    await server.kill();
    const lost = randomId();
    await Promise.all([
      rejectsWithin(store.load(id), TIMEOUT + SLACK, "load() while killed"),
      rejectsWithin(store.create(lost, { data: { queued: true }, expiresAt: Date.now() + HOUR }), TIMEOUT + SLACK, "create() while killed"),
      rejectsWithin(store.update(id, { set: { b: 1 }, unset: [], expiresAt: Date.now() + HOUR }), TIMEOUT + SLACK, "update() while killed"),
      rejectsWithin(store.delete(id), TIMEOUT + SLACK, "delete() while killed"),
    ]);
    // Still down a few seconds later (Bun's reconnect attempts keep failing): still failing fast.
    await Bun.sleep(1500);
    await rejectsWithin(store.load(id), TIMEOUT + SLACK, "load() still killed");
    await server.restart();
    const id2 = randomId();
    assert(await eventually(() => store.create(id2, { data: { after: true }, expiresAt: Date.now() + HOUR })), "create after restart");
    await Bun.sleep(300);
    assert((await store.load(lost)) === null, "the create that failed during the outage did not run later");
  });

  await check("RedisStore (Bun RedisClient) fails within its timeout while Redis hangs, and works when it answers", async () => {
    const store = new RedisStore({ client, prefix: "bunhang:", timeout: TIMEOUT });
    const id = randomId();
    await eventually(() => store.create(id, { data: { a: 1 }, expiresAt: Date.now() + HOUR }));
    server.pause();
    try {
      await Promise.all([
        rejectsWithin(store.load(id), TIMEOUT + SLACK, "load() while hung"),
        rejectsWithin(store.load(randomId()), TIMEOUT + SLACK, "another load() while hung"),
      ]);
    } finally {
      server.resume();
    }
    const loaded = await eventually(() => store.load(id));
    assert(loaded?.data.a === 1, "load() after Redis answers again");
  });

  await check("RedisStore (Bun RedisClient) revives a client that gave up reconnecting", async () => {
    const quitter = new RedisClient(server.url, { maxRetries: 1 });
    await quitter.connect();
    const store = new RedisStore({ client: quitter, prefix: "bunquit:", timeout: TIMEOUT });
    const id = randomId();
    await store.create(id, { data: { a: 1 }, expiresAt: Date.now() + HOUR });
    await server.kill();
    await rejectsWithin(store.load(id), TIMEOUT + SLACK, "load() while killed");
    await Bun.sleep(2_000); // past its one retry
    assert(!quitter.connected, "the client gave up");
    await server.restart();
    const id2 = randomId();
    assert(await eventually(() => store.create(id2, { data: {}, expiresAt: Date.now() + HOUR })), "create after the restart");
    quitter.close();
  });

  client.close();
} finally {
  await server.stop();
  console.log(JSON.stringify({ done: true, failed }));
}
process.exit(failed === 0 ? 0 : 1);
