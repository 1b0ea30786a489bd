import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/servers.ts";

/** Runs a command from node_modules/.bin in the repository; resolves its exit code and output. */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      join(ROOT, "node_modules", ".bin", command),
      args,
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe("example entries type-check with their runtime's types", () => {
  it("examples/worker.ts type-checks against @cloudflare/workers-types alone (no DOM, no Node)", async () => {
    const { code, output } = await run("tsc", ["--noEmit", "-p", "examples/tsconfig.worker.json"]);
    expect(output).toBe("");
    expect(code).toBe(0);
  }, 60_000);

  it("examples/node.ts type-checks against @types/node alone (no Bun globals)", async () => {
    const { code, output } = await run("tsc", ["--noEmit", "-p", "examples/tsconfig.node.json"]);
    expect(output).toBe("");
    expect(code).toBe(0);
  }, 60_000);

  it("examples/deno.ts passes deno check", async () => {
    const { code, output } = await run("deno", ["check", "examples/deno.ts"], { DENO_NO_UPDATE_CHECK: "1" });
    expect(output).not.toMatch(/error/i);
    expect(code).toBe(0);
  }, 120_000); // a cold Deno cache takes a while
});

describe("examples/wrangler.jsonc", () => {
  it("builds the Worker with wrangler deploy --dry-run and binds the D1 database as DB", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "fetch-session-wrangler-"));
    try {
      const { code, output } = await run(
        "wrangler",
        ["deploy", "--dry-run", "-c", "examples/wrangler.jsonc", "--outdir", outdir],
        { WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: outdir },
      );
      expect(code, output).toBe(0);
      expect(output).toMatch(/env\.DB \(fetch-session-example\)\s+D1 Database/);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
