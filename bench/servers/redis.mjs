// fetch-session on Redis, on Bun or Node (srvx). The same routes as fs.mjs.
// STORE=redis (RedisStore) | cached (CachedStore: RedisStore in front of
// KyselyStore on a libSQL file at DB). CLIENT=bun (Bun's RedisClient) |
// node-redis (createClient() of the root's redis package, v5). REDIS_URL: the
// server; REDIS_PREFIX: the key prefix (one per configuration).
import { getSession, withSession } from "../../mod.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { CachedStore, RedisStore } from "../../src/stores/redis/index.ts";
import { DB, cleanups, serveFetch, sessionApp, withStats } from "./common.mjs";

const kind = process.env.STORE ?? "redis";
const clientKind = process.env.CLIENT ?? (typeof Bun !== "undefined" ? "bun" : "node-redis");
const url = process.env.REDIS_URL;
if (!url) throw new Error("REDIS_URL is required");
const prefix = process.env.REDIS_PREFIX ?? "session:";

let client;
if (clientKind === "bun") {
  const { RedisClient } = await import("bun");
  client = new RedisClient(url);
  await client.connect();
  cleanups.push(() => client.close());
} else if (clientKind === "node-redis") {
  const { createClient } = await import("redis");
  client = createClient({ url });
  client.on("error", (error) => console.error("redis:", error.message));
  await client.connect();
  cleanups.push(() => client.destroy());
} else {
  throw new Error(`unknown CLIENT ${clientKind}`);
}

const redis = new RedisStore({ client, prefix });
let store = redis;
if (kind === "cached") {
  const libsql = await createLibsqlStore({ url: `file:${DB}` });
  cleanups.push(() => libsql.db.destroy());
  store = new CachedStore({ cache: redis, store: libsql });
} else if (kind !== "redis") {
  throw new Error(`unknown STORE ${kind}`);
}

const app = sessionApp({ getSession, withSession }, { store });

await serveFetch(withStats(app));
