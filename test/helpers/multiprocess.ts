/**
 * Two Bun server processes (test/multiprocess/server.ts) sharing one
 * database: a session made through one is read and changed through the other.
 *
 * @module
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setCookie } from "./http.ts";
import { ROOT, startProcess, type RunningServer } from "./servers.ts";

const BUN = join(ROOT, "node_modules", ".bin", "bun");

/** Starts one fixture server on `storeUrl`. */
export function startFixture(storeUrl: string, table: string, name: string): Promise<RunningServer> {
  return startProcess({
    name: `bun test/multiprocess/server.ts (${name})`,
    command: BUN,
    args: ["test/multiprocess/server.ts"],
    env: { STORE_URL: storeUrl, STORE_TABLE: table },
  });
}

async function call(server: RunningServer, path: string, cookie: string | null, method = "POST") {
  const response = await fetch(server.url + path, { method, headers: cookie ? { cookie } : {} });
  const sent = setCookie(response);
  const body = method === "GET" ? ((await response.json()) as { pid: number; data: Record<string, string> }) : await response.text();
  return { status: response.status, cookie: sent ? `${sent.name}=${sent.value}` : null, body };
}

/**
 * Registers the tests.
 *
 * @param name the engine, for test names
 * @param storeUrl a function giving the database URL both processes use, and a fresh table name
 */
export function multiprocessSuite(name: string, target: () => { url: string; table: string }): void {
  describe(`two Bun processes sharing ${name}`, () => {
    const servers: RunningServer[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.stop()));
    });

    it(`a session created through one Bun process on ${name} is read and changed through another, and survives a restart`, async () => {
      const { url, table } = target();
      // Both start at once (racing to create the schema); whichever started is stopped by afterEach, even if the other failed.
      const started = await Promise.allSettled([startFixture(url, table, "A"), startFixture(url, table, "B")]);
      for (const result of started) if (result.status === "fulfilled") servers.push(result.value);
      for (const result of started) if (result.status === "rejected") throw result.reason;
      const [a, b] = servers as [RunningServer, RunningServer];
      const created = await call(a, "/set?k=user&v=alice", null);
      expect(created.status, a.output()).toBe(200);
      const cookie = created.cookie!;
      expect(cookie).toMatch(/^sessionid=[a-z0-9]{32}$/);

      const readB = await call(b, "/", cookie, "GET");
      expect(readB.body).toMatchObject({ data: { user: "alice" } });
      const readA = await call(a, "/", cookie, "GET");
      expect((readA.body as { pid: number }).pid).not.toBe((readB.body as { pid: number }).pid);

      expect((await call(b, "/set?k=cart&v=3", cookie)).status).toBe(200);
      // Interleaved writes of different keys through both processes all land.
      const writes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call(i % 2 ? a : b, `/set?k=k${i}&v=${i}`, cookie)),
      );
      expect(writes.map((w) => w.status)).toEqual(Array(20).fill(200));
      const expected: Record<string, string> = { user: "alice", cart: "3" };
      for (let i = 0; i < 20; i++) expected[`k${i}`] = String(i);
      expect((await call(a, "/", cookie, "GET")).body).toMatchObject({ data: expected });

      // Restart A: the session is still there.
      await a.stop();
      const a2 = await startFixture(url, table, "A again");
      servers.push(a2);
      expect((await call(a2, "/", cookie, "GET")).body).toMatchObject({ data: expected });

      // A logout through one process ends the session for the other.
      expect((await call(a2, "/logout", cookie)).status).toBe(200);
      expect((await call(b, "/", cookie, "GET")).body).toMatchObject({ data: {} });
    });
  });
}
