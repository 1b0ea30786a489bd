/**
 * Two Bun server processes sharing one real Redis, one through Bun's
 * RedisClient and one through node-redis: a session made through one is read
 * and changed through the other, concurrent writes of different keys through
 * both all land, it survives a restart, and a logout through one ends it for
 * the other. The same with CachedStore(RedisStore, libSQL file) in both
 * processes, where the logout must also leave the shared cache.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { rowId } from "../helpers/http.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { ROOT, startProcess, type RunningServer } from "../helpers/servers.ts";

const BUN = join(ROOT, "node_modules", ".bin", "bun");
let redis: RedisServer;
let dir: string;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), "fetch-session-redis-mp-"));
});
afterAll(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(name: string, env: Record<string, string>): Promise<RunningServer> {
  return startProcess({ name: `bun test/fixtures/redis-server.ts (${name})`, command: BUN, args: ["test/fixtures/redis-server.ts"], env });
}

async function call(server: RunningServer, path: string, cookie: string | null, method = "POST") {
  const response = await fetch(server.url + path, { method, headers: cookie ? { cookie } : {} });
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("sessionid="));
  const body = method === "GET" ? ((await response.json()) as { pid: number; data: Record<string, string> }) : await response.text();
  return { status: response.status, cookie: setCookie ? setCookie.split(";")[0]! : null, body };
}

for (const mode of ["redis", "cached"] as const) {
  describe(`two Bun processes sharing one Redis (${mode === "redis" ? "RedisStore" : "CachedStore(RedisStore, libSQL file)"})`, () => {
    const servers: RunningServer[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.stop()));
    });

    it(`a session made through one process (${mode}) is read and changed through the other, survives a restart, and a logout ends it for both`, async () => {
      const prefix = `mp${++prefixes}:`;
      const common = { REDIS_URL: redis.url, REDIS_PREFIX: prefix, STORE: mode, LIBSQL_URL: `file:${join(dir, `${prefix.slice(0, -1)}.db`)}` };
      // A first (it creates the libSQL table), then B.
      servers.push(await start("A, Bun RedisClient", { ...common, REDIS_CLIENT: "bun" }));
      servers.push(await start("B, node-redis", { ...common, REDIS_CLIENT: "node-redis" }));
      const [a, b] = servers as [RunningServer, RunningServer];
      const created = await call(a, "/set?k=user&v=alice", null);
      expect(created.status, a.output()).toBe(200);
      const cookie = created.cookie!;
      const key = cookie.slice("sessionid=".length);
      expect(await redis.command("EXISTS", `${prefix}${rowId(key)}`)).toBe("1");

      const readB = await call(b, "/", cookie, "GET");
      expect(readB.body, b.output()).toMatchObject({ data: { user: "alice" } });
      expect(((await call(a, "/", cookie, "GET")).body as { pid: number }).pid).not.toBe((readB.body as { pid: number }).pid);

      const writes = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2 ? a : b, `/set?k=k${i}&v=${i}`, cookie)));
      expect(writes.map((w) => w.status)).toEqual(Array(20).fill(200));
      const expected: Record<string, string> = { user: "alice" };
      for (let i = 0; i < 20; i++) expected[`k${i}`] = String(i);
      expect((await call(a, "/", cookie, "GET")).body).toMatchObject({ data: expected });
      expect((await call(b, "/", cookie, "GET")).body).toMatchObject({ data: expected });

      await a.stop();
      const a2 = await start("A again", { ...common, REDIS_CLIENT: "bun" });
      servers.push(a2);
      expect((await call(a2, "/", cookie, "GET")).body).toMatchObject({ data: expected });

      expect((await call(a2, "/logout", cookie)).status).toBe(200);
      expect((await call(b, "/", cookie, "GET")).body).toMatchObject({ data: {} });
      expect(await redis.command("EXISTS", `${prefix}${rowId(key)}`)).toBe("0");
    }, 120_000);
  });
}
