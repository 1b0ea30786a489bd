/**
 * The session model on `bun:sqlite` through Kysely, under the real Bun
 * (test/fixtures/model-bun.ts), on a WAL file database.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
import { ROOT } from "../helpers/servers.ts";
import type { ModelResult } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

/** Runs the fixture under Bun; resolves its output, killing it when the test's time is nearly up. */
function runBun(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "bun"), ["test/fixtures/model-bun.ts", ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it(`KyselyStore on bun:sqlite (under Bun) matches the session model over ${OPS} random calls`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "model-bun-"));
  try {
    const { code, stdout, stderr } = await runBun([String(SEED), String(OPS), join(dir, "sessions.db")], TIMEOUT - 5_000);
    const line = stdout.trim().split("\n").at(-1) ?? "";
    if (code !== 0 || !line.startsWith("{")) throw new Error(`bun exited with ${code}:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
    expectNoMismatch(JSON.parse(line) as ModelResult);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, TIMEOUT);
