import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/servers.ts";

const exec = promisify(execFile);
const OUT = join(ROOT, "test", "artifacts", `docs-stores-${process.pid}`);

/** The ```ts blocks of docs/stores.md's SQL section ("## Where sessions live" up to the next "## "), in order. */
async function snippets(): Promise<string[]> {
  const readme = await readFile(join(ROOT, "docs", "stores.md"), "utf8");
  const start = readme.indexOf("## Where sessions live");
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 3);
  const text = readme.slice(start, end === -1 ? undefined : end);
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** Free names some snippets use, declared when the snippet does not declare them. */
const PRELUDE: [RegExp, RegExp, string][] = [
  [/\bdb\b/, /const db\b/, 'import type { Kysely as __Kysely } from "kysely";\ndeclare const db: __Kysely<any>;\n'],
  [/\bstore\b/, /const store\b/, 'import type { KyselyStore as __KyselyStore } from "fetch-session";\ndeclare const store: __KyselyStore;\n'],
];

/** `node:sqlite` is newer than the @types/node this project pins (Node 20): declare the part the docs use. */
const NODE_SQLITE = `declare module "node:sqlite" {
  export class DatabaseSync {
    constructor(path: string);
    prepare(sql: string): {
      columns(): unknown[];
      all(...parameters: never[]): unknown[];
      run(...parameters: never[]): { changes: number | bigint; lastInsertRowid: number | bigint };
      iterate(...parameters: never[]): IterableIterator<unknown>;
    };
    close(): void;
  }
}
`;

function tsconfig(include: string[], extra: Record<string, unknown>) {
  return JSON.stringify({
    extends: "../../../tsconfig.json",
    compilerOptions: {
      noEmit: true,
      paths: { "fetch-session": ["../../../mod.ts"], "fetch-session/libsql": ["../../../src/stores/libsql/index.ts"] },
      ...extra,
    },
    include,
  }, null, 2);
}

afterAll(async () => {
  await rm(OUT, { recursive: true, force: true });
});

describe("docs/stores.md", () => {
  it("docs/stores.md has a TypeScript snippet for libSQL, a remote URL, D1, PostgreSQL, bun:sqlite, node:sqlite and migrations", async () => {
    const all = (await snippets()).join("\n");
    for (const needle of ["createLibsqlStore", "authToken", "D1Dialect", "PostgresDialect", "bun:sqlite", "node:sqlite", "sessionMigrations", "clearExpired", "scheduled"]) {
      expect(all, needle).toContain(needle);
    }
  });

  it("every TypeScript snippet in docs/stores.md type-checks against the package", async () => {
    const blocks = await snippets();
    await mkdir(OUT, { recursive: true });
    const worker: string[] = [];
    const other: string[] = [];
    for (const [i, block] of blocks.entries()) {
      let source = block;
      for (const [uses, declares, prelude] of PRELUDE) if (uses.test(source) && !declares.test(source)) source = prelude + source;
      if (!/^import /m.test(source)) source += "\nexport {};\n";
      const file = `snippet-${String(i).padStart(2, "0")}.ts`;
      await writeFile(join(OUT, file), source);
      (/D1Database|ExportedHandler/.test(block) ? worker : other).push(file);
    }
    await writeFile(join(OUT, "node-sqlite.d.ts"), NODE_SQLITE);
    await writeFile(join(OUT, "tsconfig.json"), tsconfig([...other, "node-sqlite.d.ts"], { types: ["node", "bun"] }));
    await writeFile(join(OUT, "tsconfig.worker.json"), tsconfig(worker, { lib: ["ES2022"], types: ["@cloudflare/workers-types/2023-07-01"] }));
    expect(worker.length).toBeGreaterThan(0);
    for (const config of ["tsconfig.json", "tsconfig.worker.json"]) {
      const result = await exec(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(OUT, config)], { cwd: ROOT }).then(
        () => "",
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}` || "tsc failed",
      );
      expect(result, config).toBe("");
    }
  });
});
