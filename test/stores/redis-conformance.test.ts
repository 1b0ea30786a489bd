/**
 * RedisStore and CachedStore through the public conformance suite
 * (`sessionStoreChecks` from fetch-session/testing), against a real
 * redis-server, with each node-redis major version. Bun's own client runs the
 * same checks under the real Bun in redis-bun.test.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { CachedStore } from "../../src/stores/cached-store.ts";
import { openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { RedisStore } from "../../src/stores/redis/index.ts";
import type { SessionStore } from "../../src/store.ts";
import { sessionStoreChecks } from "../../src/testing.ts";
import { kyselyOpener } from "../helpers/kysely-harness.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { connectNodeRedis, NODE_REDIS, type TestClient } from "./redis-clients.ts";

let server: RedisServer;
const clients = new Map<string, TestClient>();
let dir: string;
let db: Kysely<any>;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedis();
  for (const pkg of NODE_REDIS) clients.set(pkg, await connectNodeRedis(pkg, server.url));
  dir = await mkdtemp(join(tmpdir(), "fetch-session-cached-"));
  db = await openLibsqlDatabase({ url: `file:${join(dir, "sessions.db")}` });
});

afterAll(async () => {
  for (const client of clients.values()) await client.close();
  await db?.destroy();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const prefix = () => `conformance${++prefixes}:`;

for (const pkg of NODE_REDIS) {
  describe(`RedisStore with ${pkg}`, () => {
    const checks = sessionStoreChecks(() => new RedisStore({ client: clients.get(pkg)!.client, prefix: prefix() }), {
      prefix: `RedisStore (${pkg}): `,
      // Redis expires keys by itself; clearExpired() resolving 0 is tested in redis.test.ts.
      clearExpired: false,
    });
    for (const check of checks) it(check.name, check.run);
  });
}

/** Registers the checks for CachedStore in front of a KyselyStore on the libSQL file, with a cache from `makeCache`, as `CachedStore(<cache>, KyselyStore on libSQL)`. */
function cachedOverLibsql(cacheName: string, makeCache: () => SessionStore): void {
  const name = `CachedStore(${cacheName}, KyselyStore on libSQL)`;
  describe(name, () => {
    const closers = new Map<SessionStore, () => Promise<void>>();
    const open = async (batchSize?: number) => {
      const harness = await kyselyOpener(db)(batchSize ? { batchSize } : {});
      const store = new CachedStore({ cache: makeCache(), store: harness.store });
      closers.set(store, () => harness.close());
      return store;
    };
    const checks = sessionStoreChecks(() => open(), {
      prefix: `${name}: `,
      makeBatchedStore: (batchSize) => open(batchSize),
      async dispose(store) {
        await closers.get(store)?.();
        closers.delete(store);
      },
    });
    for (const check of checks) it(check.name, check.run);
  });
}

cachedOverLibsql("RedisStore", () => new RedisStore({ client: clients.get("redis")!.client, prefix: prefix() }));

describe("CachedStore(RedisStore, MemoryStore)", () => {
  const checks = sessionStoreChecks(
    () => new CachedStore({ cache: new RedisStore({ client: clients.get("redis6")!.client, prefix: prefix() }), store: new MemoryStore() }),
    { prefix: "CachedStore(RedisStore, MemoryStore): " },
  );
  for (const check of checks) it(check.name, check.run);
});

cachedOverLibsql("MemoryStore", () => new MemoryStore());
