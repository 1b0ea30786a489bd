import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/servers.ts";

const exec = promisify(execFile);
const BIN = join(ROOT, "node_modules", ".bin");
const DENO = [join(BIN, "deno"), ["run", "--allow-read", "--allow-write", "--allow-ffi", "--allow-env", "--allow-sys"]] as const;
const BUN = [join(BIN, "bun"), []] as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-runtimes-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cases = [
  ["Bun", BUN, "libsql-file"],
  ["Bun", BUN, "libsql-memory"],
  ["Bun", BUN, "bun-sqlite"],
  ["Deno", DENO, "libsql-file"],
  ["Deno", DENO, "libsql-memory"],
  ["Deno", DENO, "node-sqlite"],
] as const;

describe("KyselyStore in real runtimes", () => {
  for (const [runtime, [command, flags], backend] of cases) {
    it(`KyselyStore works under ${runtime} on ${backend}`, async () => {
      const file = join(dir, `${runtime}-${backend}.db`);
      const { stdout } = await exec(command, [...flags, "test/multiprocess/store-smoke.ts", backend, file], {
        cwd: ROOT,
        env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
        timeout: 60_000,
      });
      expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual({ ok: true, backend });
    });
  }
});
