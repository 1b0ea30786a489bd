import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CamelCasePlugin, Kysely, Migrator, MysqlDialect, PostgresDialect, sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { getSession, withSession } from "../../mod.ts";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createDefaultStore } from "../../src/stores/libsql/default-store.ts";
import { syncSqlOf } from "../../src/stores/sync-sql.ts";
import { EmbeddedDriver } from "../../src/stores/libsql/embedded-driver.ts";
import { createLibsqlStore, LibsqlDialect, openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { createSessionMigrations, detectSqlFamily, sessionMigrations } from "../../src/stores/schema.ts";
import { freshTable } from "../helpers/kysely-harness.ts";
import { dumpTable, sessionCookie, sessionOverSqlSuite } from "../helpers/session-sql-suite.ts";

let dir: string;
let shared: Kysely<any>;
const HOUR = 3_600_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-libsql-"));
  shared = await openLibsqlDatabase({ url: `file:${join(dir, "shared.db")}` });
});

afterAll(async () => {
  await shared?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const url = (name: string) => `file:${join(dir, name)}`;

sessionOverSqlSuite("libSQL file:", async () => {
  const store = new KyselyStore({ db: shared, table: freshTable() });
  await store.createSchema();
  return { store, close: () => sql`drop table ${sql.table(store.table)}`.execute(shared).then(() => {}) };
});

describe("createLibsqlStore()", () => {
  it("createLibsqlStore() creates the table and turns on WAL, synchronous=NORMAL and a busy timeout for file: URLs", async () => {
    const store = await createLibsqlStore({ url: url("wal.db"), table: "my_sessions" });
    try {
      expect(store.table).toBe("my_sessions");
      expect(store.dialect).toBe("sqlite");
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0];
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("synchronous")).toBe(1);
      expect(await pragma("busy_timeout")).toBe(5000);
      const indexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'my_sessions'`.execute(store.db);
      expect(indexes.rows.map((row) => row.name)).toContain("my_sessions_expires_at_idx");
      await store.createSchema();
      await store.createSchema();
    } finally {
      await store.db.destroy();
    }
  });

  it("createLibsqlStore() retries the settings of a file another process holds (SQLITE_BUSY at once) and fails at once on any other error", async () => {
    const execute = EmbeddedDriver.prototype.execute;
    let refusals = 0;
    const failWith = (error: Error & { code?: string }, times: number) => {
      refusals = 0;
      EmbeddedDriver.prototype.execute = function (connection, query) {
        if (query.sql === "pragma journal_mode = wal" && refusals < times) {
          refusals++;
          return Promise.reject(error);
        }
        return execute.call(this, connection, query) as never;
      };
    };
    try {
      failWith(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }), 3);
      const store = await createLibsqlStore({ url: url("busy.db") });
      expect(refusals).toBe(3);
      expect(await store.create("a".repeat(64), { data: { n: 1 }, expiresAt: Date.now() + HOUR })).toBe(true);
      await store.db.destroy();
      failWith(Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" }), 3);
      await expect(createLibsqlStore({ url: url("ioerr.db") })).rejects.toThrow("disk I/O error");
      expect(refusals).toBe(1);
    } finally {
      EmbeddedDriver.prototype.execute = execute;
    }
  });

  it("createLibsqlStore() keeps sessions across a close and reopen of the same file (restart)", async () => {
    const file = url("restart.db");
    let store = await createLibsqlStore({ url: file });
    const app = (s: KyselyStore) =>
      withSession(async (request: Request) => {
        const session = await getSession(request);
        session.set("visits", ((session.get("visits") as number | undefined) ?? 0) + 1);
        return new Response(String(session.get("visits")));
      }, { store: s });
    const first = await app(store)(new Request("http://app.test/"));
    const cookie = sessionCookie(first)!;
    expect(await first.text()).toBe("1");
    await store.db.destroy();
    store = await createLibsqlStore({ url: file });
    try {
      const second = await app(store)(new Request("http://app.test/", { headers: { cookie } }));
      expect(await second.text()).toBe("2");
    } finally {
      await store.db.destroy();
    }
  });

  it("createLibsqlStore() works on :memory: and on a bare path", async () => {
    for (const target of [":memory:", join(dir, "bare.db")]) {
      const store = await createLibsqlStore({ url: target });
      try {
        const id = "a".repeat(64);
        expect(await store.create(id, { data: { x: 1 }, expiresAt: Date.now() + HOUR })).toBe(true);
        expect((await store.load(id))?.data).toEqual({ x: 1 });
      } finally {
        await store.db.destroy();
      }
    }
  });

  it("createLibsqlStore() rejects with the client's error when the file cannot be opened", async () => {
    await expect(createLibsqlStore({ url: `file:${join(dir, "no", "such", "dir", "x.db")}` })).rejects.toThrow(/unable to open|SQLITE_CANTOPEN/i);
    await expect(createLibsqlStore({ url: ":memory:", table: "bad name" })).rejects.toThrow(RangeError);
    // @ts-expect-error wrong type on purpose
    await expect(createLibsqlStore({})).rejects.toThrow(TypeError);
  });
});

describe("fetch-session/libsql entry", () => {
  it("fetch-session/libsql exports the dialect and the store factories only: no readEnv, no createDefaultStore", async () => {
    const entry = await import("../../src/stores/libsql/index.ts");
    expect(Object.keys(entry).sort()).toEqual(["LibsqlDialect", "createLibsqlStore", "openLibsqlDatabase"]);
  });
});

describe("createDefaultStore()", () => {
  const saved = process.env.SESSION_DATABASE_URL;
  const cwd = process.cwd();
  afterEach(() => {
    if (saved === undefined) delete process.env.SESSION_DATABASE_URL;
    else process.env.SESSION_DATABASE_URL = saved;
    process.chdir(cwd);
  });

  it("createDefaultStore() opens SESSION_DATABASE_URL", async () => {
    process.env.SESSION_DATABASE_URL = url("from-env.db");
    const store = await createDefaultStore();
    try {
      await store.create("b".repeat(64), { data: { env: true }, expiresAt: Date.now() + HOUR });
    } finally {
      await store.db.destroy();
    }
    const again = await createLibsqlStore({ url: url("from-env.db") });
    try {
      expect((await again.load("b".repeat(64)))?.data).toEqual({ env: true });
    } finally {
      await again.db.destroy();
    }
  });

  it("createDefaultStore() falls back to file:sessions.db in the working directory", async () => {
    delete process.env.SESSION_DATABASE_URL;
    const here = await mkdtemp(join(dir, "cwd-"));
    process.chdir(here);
    const store = await createDefaultStore();
    try {
      await store.create("c".repeat(64), { data: {}, expiresAt: Date.now() + HOUR });
      const { existsSync } = await import("node:fs");
      expect(existsSync(join(here, "sessions.db"))).toBe(true);
    } finally {
      await store.db.destroy();
    }
  });
});

describe("LibsqlDialect", () => {
  for (const target of [":memory:", "file"] as const) {
    it(`LibsqlDialect runs Kysely queries and transactions on ${target}`, async () => {
      const db = new Kysely<any>({ dialect: new LibsqlDialect({ url: target === "file" ? url("dialect.db") : ":memory:" }) });
      try {
        await db.schema.createTable("t").ifNotExists().addColumn("n", "integer").execute();
        await db.insertInto("t").values([{ n: 1 }, { n: 2 }]).execute();
        await db.transaction().execute(async (tx) => {
          await tx.insertInto("t").values({ n: 3 }).execute();
        });
        await expect(
          db.transaction().execute(async (tx) => {
            await tx.insertInto("t").values({ n: 4 }).execute();
            throw new Error("roll back");
          }),
        ).rejects.toThrow("roll back");
        // A query issued while a transaction holds the connection waits for it instead of failing.
        const [, outside] = await Promise.all([
          db.transaction().execute(async (tx) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            await tx.insertInto("t").values({ n: 5 }).execute();
          }),
          db.selectFrom("t").select((eb) => eb.fn.countAll<number>().as("c")).executeTakeFirstOrThrow(),
        ]);
        expect(outside.c).toBe(4);
        const rows = await db.selectFrom("t").select("n").orderBy("n").execute();
        expect(rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 5 }]);
        const result = await db.deleteFrom("t").where("n", ">", 2).executeTakeFirst();
        expect(result.numDeletedRows).toBe(2n);
      } finally {
        await db.destroy();
      }
    });
  }

  it("LibsqlDialect refuses a config with neither client nor url", () => {
    // @ts-expect-error wrong type on purpose
    expect(() => new LibsqlDialect({})).toThrow(TypeError);
  });
});

describe("sessionMigrations", () => {
  it("sessionMigrations run in a Migrator of their own and give a working table; down drops it", async () => {
    const db = await openLibsqlDatabase({ url: ":memory:" });
    try {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => sessionMigrations },
        migrationTableName: "fetch_session_migrations",
        migrationLockTableName: "fetch_session_migrations_lock",
      });
      const { error, results } = await migrator.migrateToLatest();
      expect(error).toBeUndefined();
      expect(results?.map((r) => [r.migrationName, r.status])).toEqual([["fetch_session_0001_create_sessions", "Success"]]);
      const store = new KyselyStore({ db });
      await store.createSchema();
      expect(await store.create("d".repeat(64), { data: { m: 1 }, expiresAt: Date.now() + HOUR })).toBe(true);
      expect((await store.load("d".repeat(64)))?.data).toEqual({ m: 1 });
      const down = await migrator.migrateDown();
      expect(down.error).toBeUndefined();
      const tables = await sql<{ name: string }>`select name from sqlite_master where name = 'sessions'`.execute(db);
      expect(tables.rows).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it("createSessionMigrations() names its table and merges into an application's migrations", async () => {
    const db = await openLibsqlDatabase({ url: ":memory:" });
    try {
      const migrator = new Migrator({
        db,
        provider: {
          getMigrations: async () => ({
            "2026_01_01_users": { up: async (d: Kysely<any>) => void (await d.schema.createTable("users").addColumn("id", "integer").execute()) },
            ...createSessionMigrations("user_sessions"),
          }),
        },
      });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const store = new KyselyStore({ db, table: "user_sessions" });
      expect(await store.create("e".repeat(64), { data: {}, expiresAt: Date.now() + HOUR })).toBe(true);
      expect(() => createSessionMigrations("user sessions")).toThrow(RangeError);
    } finally {
      await db.destroy();
    }
  });
});

describe("KyselyStore", () => {
  it("KyselyStore detects PostgreSQL and SQLite dialects without connecting, and refuses MySQL", () => {
    const never = () => {
      throw new Error("must not connect");
    };
    const pgDb = new Kysely<any>({ dialect: new PostgresDialect({ pool: never as never }) });
    const mysqlDb = new Kysely<any>({ dialect: new MysqlDialect({ pool: never as never }) });
    expect(detectSqlFamily(pgDb)).toBe("postgres");
    expect(new KyselyStore({ db: pgDb }).dialect).toBe("postgres");
    expect(detectSqlFamily(shared)).toBe("sqlite");
    expect(() => new KyselyStore({ db: mysqlDb })).toThrow(/supports SQLite, libSQL, D1 and PostgreSQL/);
    expect(new KyselyStore({ db: mysqlDb, dialect: "sqlite" }).dialect).toBe("sqlite");
  });

  it("KyselyStore validates its options", () => {
    // @ts-expect-error wrong type on purpose
    expect(() => new KyselyStore({ db: {} })).toThrow(TypeError);
    // @ts-expect-error wrong type on purpose
    expect(() => new KyselyStore()).toThrow(TypeError);
    expect(() => new KyselyStore({ db: shared, table: "x; drop table y" })).toThrow(/received "x; drop table y"/);
    expect(() => new KyselyStore({ db: shared, table: "1abc" })).toThrow(RangeError);
    expect(() => new KyselyStore({ db: shared, batchSize: 0 })).toThrow(RangeError);
    // @ts-expect-error wrong type on purpose
    expect(() => new KyselyStore({ db: shared, dialect: "mysql" })).toThrow(RangeError);
  });

  it("KyselyStore.deleteWhere() refuses values that are not a string, finite number or boolean", async () => {
    const store = new KyselyStore({ db: shared });
    // @ts-expect-error wrong type on purpose
    await expect(store.deleteWhere("f", null)).rejects.toThrow(TypeError);
    await expect(store.deleteWhere("f", Number.NaN)).rejects.toThrow(TypeError);
    // @ts-expect-error wrong type on purpose
    await expect(store.deleteWhere(1, "x")).rejects.toThrow(TypeError);
  });

  it("KyselyStore ignores the plugins of the Kysely instance it is given", async () => {
    const db = shared.withPlugin(new CamelCasePlugin());
    const store = new KyselyStore({ db, table: freshTable() });
    await store.createSchema();
    const id = "f".repeat(64);
    expect(await store.create(id, { data: { some_key: 1 }, expiresAt: Date.now() + HOUR })).toBe(true);
    expect(await store.update(id, { set: { other_key: 2 }, unset: [], expiresAt: Date.now() + HOUR })).toBe(true);
    expect((await store.load(id))?.data).toEqual({ some_key: 1, other_key: 2 });
  });

  it("KyselyStore uses the injected clock for expiry", async () => {
    let now = 1_000_000;
    const store = new KyselyStore({ db: shared, table: freshTable(), now: () => now });
    await store.createSchema();
    const id = "0".repeat(64);
    await store.create(id, { data: { a: 1 }, expiresAt: 2_000_000 });
    expect(await store.load(id)).not.toBeNull();
    now = 2_000_000;
    expect(await store.load(id)).toBeNull();
    expect(await store.update(id, { set: {}, unset: [], expiresAt: 3_000_000 })).toBe(false);
    expect(await store.clearExpired()).toBe(1);
    expect(await dumpTable(store)).toEqual([]);
  });

  it("KyselyStore runs one statement per load, create, update and delete", async () => {
    const store = new KyselyStore({ db: shared, table: freshTable() });
    await store.createSchema();
    // Statements go through Kysely's executor, or (load, create, update, delete) the embedded engine's synchronous path.
    const sync = syncSqlOf(store.db)!;
    const spies = [vi.spyOn(store.db, "executeQuery"), vi.spyOn(sync, "get"), vi.spyOn(sync, "run")];
    const id = "1".repeat(64);
    await store.create(id, { data: { a: 1 }, expiresAt: Date.now() + HOUR });
    await store.load(id);
    await store.update(id, { set: { b: 2 }, unset: ["a"], expiresAt: Date.now() + HOUR });
    await store.deleteWhere("b", 2, id);
    await store.delete(id);
    expect(spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBe(5);
    expect(spies[0]).toHaveBeenCalledTimes(1);
  });
});
