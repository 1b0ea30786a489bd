/**
 * The node-redis clients the Redis tests run against: v4, v5 and v6 of the
 * `redis` package (installed as `redis4`, `redis` and `redis6`). Each is a
 * real client on a real server; the store must work with all three.
 *
 * @module
 */
import { createClient as createClient4 } from "redis4";
import { createClient as createClient5 } from "redis";
import { createClient as createClient6 } from "redis6";
import type { NodeRedisClientLike } from "../../src/stores/redis/client.ts";

/** A connected node-redis client with its version, and how to close it. */
export interface TestClient {
  /** "node-redis 4.7.1" */
  readonly label: string;
  readonly client: NodeRedisClientLike & { sendCommand(args: string[]): Promise<unknown> };
  close(): Promise<void>;
}

/** The package versions, read from their package.json. */
async function versionOf(pkg: string): Promise<string> {
  const { createRequire } = await import("node:module");
  return (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version;
}

export const NODE_REDIS = ["redis4", "redis", "redis6"] as const;

/**
 * Connects one node-redis client of package `pkg` to `url`. Errors the client
 * emits (while Redis is down) are collected instead of crashing the process.
 */
export async function connectNodeRedis(pkg: (typeof NODE_REDIS)[number], url: string, options: Record<string, unknown> = {}): Promise<TestClient & { errors: Error[] }> {
  const create = pkg === "redis4" ? createClient4 : pkg === "redis" ? createClient5 : createClient6;
  const client = (create as (options: Record<string, unknown>) => any)({ url, ...options });
  const errors: Error[] = [];
  client.on("error", (error: Error) => errors.push(error));
  await client.connect();
  return {
    label: `node-redis ${await versionOf(pkg)}`,
    client,
    errors,
    async close() {
      try {
        if (typeof client.destroy === "function") client.destroy();
        else await client.disconnect();
      } catch {
        // already closed
      }
    },
  };
}
