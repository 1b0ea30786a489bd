/**
 * RedisStore with node-redis 4, 5 and 6 in whichever runtime runs this file
 * (Node, Deno or Bun; redis-runtimes.test.ts starts each): the conformance
 * suite against the Redis at REDIS_URL. Prints `{"ok":true,...}` as its last
 * line, or the failed checks.
 */
import { createClient as createClient4 } from "redis4";
import { createClient as createClient5 } from "redis";
import { createClient as createClient6 } from "redis6";
import { RedisStore } from "../../src/stores/redis/index.ts";
import { sessionStoreChecks } from "../../src/testing.ts";

const env = (globalThis as { Deno?: { env: { get(name: string): string | undefined } } }).Deno?.env.get("REDIS_URL") ?? process.env.REDIS_URL;
if (!env) throw new Error("REDIS_URL is required");
const runtime = "Deno" in globalThis ? "Deno" : "Bun" in globalThis ? "Bun" : "Node";
const failures: string[] = [];
let passed = 0;
let prefixes = 0;
for (const [name, create] of [["redis4", createClient4], ["redis", createClient5], ["redis6", createClient6]] as const) {
  const client = (create as (options: object) => any)({ url: env });
  client.on("error", () => {});
  await client.connect();
  for (const check of sessionStoreChecks(() => new RedisStore({ client, prefix: `${runtime}-${name}-${++prefixes}:` }), { clearExpired: false })) {
    try {
      await check.run();
      passed++;
    } catch (error) {
      failures.push(`${name}: ${check.name}: ${String(error)}`);
    }
  }
  if (typeof client.destroy === "function") client.destroy();
  else await client.disconnect();
}
console.log(JSON.stringify({ ok: failures.length === 0, runtime, passed, failures }));
