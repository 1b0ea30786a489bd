/**
 * `fetch-session/redis`: `RedisStore` (sessions in Redis or Valkey through the
 * application's own client) and `CachedStore` (a cache in front of any store,
 * as Django's `cached_db`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { withSession } from "fetch-session";
 * import { RedisStore } from "fetch-session/redis";
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const app = withSession(handler, { store: new RedisStore({ client }) });
 * ```
 *
 * @module
 */
export { RedisStore, RedisTimeoutError } from "./redis-store.ts";
export type { RedisStoreOptions } from "./redis-store.ts";
export type { BunRedisClientLike, NodeRedisClientLike, RedisClientLike } from "./client.ts";
export { CachedStore } from "../cached-store.ts";
export type { CachedStoreOptions } from "../cached-store.ts";
