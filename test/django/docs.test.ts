/**
 * docs/django.md: every TypeScript snippet type-checks against the package
 * ("fetch-session" and "fetch-session/django" mapped to the sources).
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const OUT = join(ROOT, "test", "artifacts", `docs-django-${process.pid}`);

afterAll(async () => {
  await rm(OUT, { recursive: true, force: true });
});

it("every TypeScript snippet in docs/django.md type-checks against the package", async () => {
  const doc = await readFile(join(ROOT, "docs", "django.md"), "utf8");
  const blocks = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  expect(blocks.join("\n")).toMatch(/djangoCookieStore[\s\S]*djangoDatabaseStore[\s\S]*djangoSessionAuthHashMatches/);
  await mkdir(OUT, { recursive: true });
  const files: string[] = [];
  for (const [i, block] of blocks.entries()) {
    let source = block;
    // The handler the snippets wrap is the reader's own.
    if (/\bhandler\b/.test(source) && !/const handler\b/.test(source)) source = "declare const handler: (request: Request) => Response;\n" + source;
    const file = `snippet-${i}.ts`;
    await writeFile(join(OUT, file), source + "\nexport {};\n");
    files.push(file);
  }
  await writeFile(join(OUT, "tsconfig.json"), JSON.stringify({
    extends: "../../../tsconfig.json",
    compilerOptions: {
      noEmit: true,
      types: ["node"],
      paths: {
        "fetch-session": ["../../../mod.ts"],
        "fetch-session/django": ["../../../src/django/mod.ts"],
        "fetch-session/libsql": ["../../../src/stores/libsql/index.ts"],
      },
    },
    include: files,
  }));
  const output = await promisify(execFile)(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(OUT, "tsconfig.json")], { cwd: ROOT }).then(
    () => "",
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}` || "tsc failed",
  );
  expect(output).toBe("");
});
