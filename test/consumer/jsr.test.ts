/**
 * JSR: `deno publish --dry-run` (offline: it type-checks and lists files) must
 * be clean, and publish the library sources and docs only.
 */
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BIN, ROOT, run, userEnv } from "./support.ts";

describe("deno publish --dry-run", () => {
  it("is clean: no warning, no error, and only the library sources, docs and licence are published", async () => {
    const result = await run(join(BIN, "deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: ROOT, env: userEnv(undefined, { NO_COLOR: "1" }), timeoutMs: 180_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.code, output).toBe(0);
    expect(output, "warnings").not.toMatch(/\bwarning(\[[\w-]+\])?:/i);
    expect(output, "errors").not.toMatch(/(^|\s)error(\[[\w-]+\])?:/im);
    expect(output).toMatch(/Dry run complete/);

    const root = pathToFileURL(ROOT).href;
    const files = [...output.matchAll(/^\s+(file:\/\/\S+) \(/gm)].map((match) => match[1]!.slice(root.length + 1));
    for (const file of ["mod.ts", "LICENSE", "README.md", "SECURITY.md", "docs/api.md", "docs/stores.md", "src/with-session.ts"]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((file) => /^(test|examples|scripts|\.ci|node_modules)\//.test(file) || /^bench\/(?!RESULTS\.md|PROFILE\.md|results\.svg)/.test(file)), "tests and tooling").toEqual([]);
    expect(files.filter((file) => /package-lock\.json|package\.json|tsconfig/.test(file)), "lockfile and configs").toEqual([]);

    const deno = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8")) as { license?: string; version?: string; exports?: Record<string, string> };
    const npm = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { license: string; version: string; exports: Record<string, unknown> };
    expect(deno.license).toBe(npm.license);
    expect(deno.version).toBe(npm.version);
    expect(Object.keys(deno.exports ?? {}).sort(), "the same entry points as npm").toEqual(Object.keys(npm.exports).filter((key) => key !== "./package.json").sort());

    const broken: string[] = [];
    for (const file of files.filter((name) => name.endsWith(".md"))) {
      const text = await readFile(join(ROOT, file), "utf8");
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split("#")[0]!;
        if (target === "" || /^[a-z]+:/i.test(target)) continue;
        if (!files.includes(posix.normalize(posix.join(posix.dirname(file), target)))) broken.push(`${file} -> ${match[1]}`);
      }
    }
    expect(broken, "relative links in published Markdown").toEqual([]);
  }, 200_000);
});
