/**
 * The lockfile a fresh clone installs from: npm leaves it unchanged, and it
 * installs on macOS and Windows as well as Linux.
 */
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ok, ROOT, run, userEnv } from "./support.ts";

interface LockPackage {
  version?: string;
  optional?: boolean;
  devOptional?: boolean;
  os?: string[];
  cpu?: string[];
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockPackage> };
const packages = lock.packages;

/** Where Node would find `name` from the package at `path` (walking up the node_modules folders). */
function resolveFrom(path: string, name: string): string | undefined {
  let base = path;
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const at = base.lastIndexOf("/node_modules/");
    base = at === -1 ? "" : base.slice(0, at);
  }
}

let scratch = "";
afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

describe("package-lock.json", () => {
  it("is what npm install writes for package.json: a fresh clone's install leaves it unchanged", async () => {
    scratch = await mkdtemp(join(tmpdir(), "fetch-session-lockfile-"));
    await copyFile(join(ROOT, "package.json"), join(scratch, "package.json"));
    await copyFile(join(ROOT, "package-lock.json"), join(scratch, "package-lock.json"));
    ok(await run("npm", ["install", "--package-lock-only", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: scratch, env: userEnv(), timeoutMs: 120_000 }), "npm install --package-lock-only");
    expect(await readFile(join(scratch, "package-lock.json"), "utf8")).toBe(await readFile(join(ROOT, "package-lock.json"), "utf8"));
  }, 150_000);

  it("holds every platform's binary package, so an install on macOS or Windows finds its own", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (resolveFrom(path, name) === undefined) missing.push(`${path || "(root)"} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("has no required package limited to platforms that leave out Linux, macOS or Windows", () => {
    const limited: string[] = [];
    for (const [path, entry] of Object.entries(packages)) {
      if (path === "" || entry.optional === true || entry.devOptional === true || entry.os === undefined) continue;
      const allowed = (os: string) => (entry.os!.some((o) => !o.startsWith("!")) ? entry.os!.includes(os) : !entry.os!.includes(`!${os}`));
      for (const os of ["linux", "darwin", "win32"]) if (!allowed(os)) limited.push(`${path} (os: ${entry.os.join(", ")})`);
    }
    expect(limited).toEqual([]);
  });
});
