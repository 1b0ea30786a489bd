/**
 * RedisStore with Bun's built-in RedisClient under the real Bun: runs
 * redis-bun-checks.ts (the conformance suite, SCRIPT FLUSH, 50 concurrent
 * writers, Redis killed, hung and back, a client that gave up reconnecting)
 * and fails with each failed check's message.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { ROOT } from "../helpers/servers.ts";

const run = promisify(execFile);

it("RedisStore passes the conformance suite and the outage checks with Bun's RedisClient under the real Bun", async () => {
  const { stdout } = await run(join(ROOT, "node_modules", ".bin", "bun"), ["test/stores/redis-bun-checks.ts"], {
    cwd: ROOT,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1" },
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    // A failed check exits 1: report its lines below rather than the exit code.
    if (error.stdout?.includes('"done":true')) return { stdout: error.stdout };
    throw new Error(`${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
  });
  const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as { name?: string; ok?: boolean; error?: string; done?: boolean; failed?: number; info?: string });
  const results = lines.filter((line) => line.name !== undefined);
  expect(lines.at(-1)).toMatchObject({ done: true });
  expect(results.length).toBeGreaterThan(25);
  expect(results.filter((line) => !line.ok).map((line) => `${line.name}: ${line.error}`)).toEqual([]);
  expect(lines.find((line) => line.info)?.info).toMatch(/^Bun 1\.\d+\.\d+, redis-server \d+\.\d+\.\d+$/);
}, 150_000);
