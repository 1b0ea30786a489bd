/**
 * KyselyStore on both SQLite table layouts: the `without rowid` table that
 * versions before the rowid layout created (kept verbatim below, as an
 * upgraded app finds it) and the rowid table `schemaStatements` creates now.
 * Both pass the public conformance suite on a libSQL file; `clearExpired` and
 * `deleteWhere` are checked on both again with many rows. Then the opt-in
 * conversion (`rebuildStatements`, printed by `fetch-session schema
 * --rebuild`; the printed script is run in cli.test.ts): rows and expiry
 * kept, the index back, nothing changed by a failed or interrupted rebuild,
 * a running store's writes waiting for its commit, and D1 refusing it.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, Migrator } from "kysely";
import Database from "libsql";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore, openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { createSessionMigrations, execute, rebuildStatements, schemaStatements } from "../../src/stores/schema.ts";
import { freshTable, kyselyHarness, SQLITE_CORRUPT } from "../helpers/kysely-harness.ts";
import { ROOT } from "../helpers/servers.ts";
import { storeConformance } from "../store-conformance.ts";

const HOUR = 3_600_000;

/** The DDL that versions before the rowid layout ran (createSchema, sessionMigrations, `fetch-session schema`). */
const withoutRowidDdl = (table: string) => [
  `create table if not exists "${table}" (id text primary key not null, data text not null, expires_at integer not null) without rowid`,
  `create index if not exists "${table}_expires_at_idx" on "${table}" (expires_at)`,
];

interface Layout {
  name: string;
  ddl: (table: string) => string[];
  withoutRowid: boolean;
}

const LAYOUTS: Layout[] = [
  { name: "a WITHOUT ROWID table (created before this version)", ddl: withoutRowidDdl, withoutRowid: true },
  { name: "a rowid table (schemaStatements)", ddl: (table) => schemaStatements("sqlite", table), withoutRowid: false },
];

/** A table's `create table` text from sqlite_schema. */
function tableSql(rows: { sql: string }[], table: string): string {
  if (rows.length !== 1) throw new Error(`expected one table "${table}" in sqlite_schema, found ${rows.length}`);
  return rows[0]!.sql;
}
const SQL_OF = "select sql from sqlite_schema where type = 'table' and name = ?";
const isWithoutRowid = (sql: string) => /\)\s*without\s+rowid\s*$/i.test(sql);

async function sqlOf(db: Kysely<any>, table: string): Promise<string> {
  return tableSql((await execute<{ sql: string }>(db, SQL_OF, [table])).rows, table);
}

/** The rebuild as one script, as `fetch-session schema --rebuild` prints it (without its comments). */
const script = (table: string) => rebuildStatements(table).map((statement) => `${statement};\n`).join("");

const id = (n: number) => n.toString(16).padStart(64, "0");

let dir: string;
const dbs = new Map<Layout, Kysely<any>>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-layouts-"));
  for (const [i, layout] of LAYOUTS.entries()) dbs.set(layout, await openLibsqlDatabase({ url: `file:${join(dir, `layout-${i}.db`)}` }));
});

afterAll(async () => {
  for (const db of dbs.values()) await db.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A store on a fresh table made with the layout's DDL; createSchema() afterwards leaves the layout as it is. */
async function openOn(layout: Layout, batchSize?: number): Promise<KyselyStore> {
  const db = dbs.get(layout)!;
  const table = freshTable();
  for (const statement of layout.ddl(table)) await execute(db, statement, []);
  const store = new KyselyStore({ db, table, ...(batchSize ? { batchSize } : {}) });
  await store.createSchema();
  const sql = await sqlOf(db, table);
  if (isWithoutRowid(sql) !== layout.withoutRowid) throw new Error(`table "${table}" has the wrong layout: ${sql}`);
  return store;
}

for (const layout of LAYOUTS) {
  storeConformance(`KyselyStore on ${layout.name}`, async (options) => kyselyHarness(await openOn(layout, options?.batchSize)), {
    corrupt: SQLITE_CORRUPT,
  });

  describe(`KyselyStore on ${layout.name}`, () => {
    it(`clearExpired() on ${layout.name} deletes 250 expired rows in batches of 40 and keeps the 5 live ones`, async () => {
      const store = await openOn(layout, 40);
      const harness = kyselyHarness(store);
      try {
        const past = Date.now() - HOUR;
        for (let i = 0; i < 255; i++) {
          expect(await store.create(id(i), { data: { i }, expiresAt: i < 250 ? past - i : Date.now() + HOUR })).toBe(true);
        }
        expect(await store.clearExpired()).toBe(250);
        expect(await store.clearExpired()).toBe(0);
        expect((await harness.rows!()).map((row) => row.id)).toEqual([250, 251, 252, 253, 254].map(id));
        for (let i = 250; i < 255; i++) expect((await store.load(id(i)))?.data).toEqual({ i });
      } finally {
        await harness.close();
      }
    });

    it(`deleteWhere() on ${layout.name} deletes every live session whose field matches, except exceptId, and no other row`, async () => {
      const store = await openOn(layout);
      const harness = kyselyHarness(store);
      try {
        const later = Date.now() + HOUR;
        for (let i = 0; i < 40; i++) await store.create(id(i), { data: { user: i % 4, i }, expiresAt: later });
        await store.create(id(100), { data: { user: 1 }, expiresAt: Date.now() - HOUR }); // expired: left for clearExpired
        await store.create(id(101), { data: { user: "1" }, expiresAt: later }); // another JSON type: not a match
        expect(await store.deleteWhere("user", 1, id(1))).toBe(9);
        const left = (await harness.rows!()).map((row) => row.id);
        const expected = [...Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 !== 1 || i === 1), 100, 101].map(id);
        expect(left).toEqual(expected.sort());
        expect(await store.deleteWhere("user", 1)).toBe(1);
        expect(await store.load(id(1))).toBeNull();
        expect(await store.clearExpired()).toBe(1);
      } finally {
        await harness.close();
      }
    });
  });
}

describe("a WITHOUT ROWID table is adopted as it is", () => {
  it("createSchema(), the Kysely migration and the statements `fetch-session schema` prints leave a WITHOUT ROWID table and its rows as they are", async () => {
    const layout = LAYOUTS[0]!;
    const db = dbs.get(layout)!;
    const table = freshTable();
    for (const statement of layout.ddl(table)) await execute(db, statement, []);
    const store = new KyselyStore({ db, table });
    const harness = kyselyHarness(store);
    try {
      expect(await store.create(id(1), { data: { kept: true }, expiresAt: Date.now() + HOUR })).toBe(true);
      const sql = await sqlOf(db, table);
      expect(isWithoutRowid(sql)).toBe(true);
      await store.createSchema();
      for (const statement of schemaStatements("sqlite", table)) await execute(db, statement, []);
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => createSessionMigrations(table) },
        migrationTableName: `${table}_migrations`,
        migrationLockTableName: `${table}_migrations_lock`,
      });
      const { error, results } = await migrator.migrateToLatest();
      expect(error).toBeUndefined();
      expect(results?.map((result) => result.status)).toEqual(["Success"]);
      expect(await sqlOf(db, table)).toBe(sql);
      expect((await store.load(id(1)))?.data).toEqual({ kept: true });
    } finally {
      await harness.close();
    }
  });
});

describe("rebuildStatements(): converting a WITHOUT ROWID table to the rowid layout (opt-in)", () => {
  /** A file holding an old-layout table with live, expired and awkward rows; resolves the rows as stored. */
  async function oldTableWithRows(file: string, table: string) {
    const db = await openLibsqlDatabase({ url: `file:${file}` });
    try {
      for (const statement of withoutRowidDdl(table)) await execute(db, statement, []);
      const old = new KyselyStore({ db, table });
      const later = Date.now() + HOUR;
      for (let i = 0; i < 300; i++) await old.create(id(i), { data: { i, s: "ünïcødé 🍪 \"q\" \\" }, expiresAt: i % 3 === 0 ? Date.now() - HOUR - i : later + i });
      await execute(db, `insert into "${table}" (id, data, expires_at) values (?, ?, ?)`, [id(1000), "{not json", later]);
      expect(isWithoutRowid(await sqlOf(db, table))).toBe(true);
      return await kyselyHarness(old).rows!();
    } finally {
      await db.destroy();
    }
  }

  it("the rebuild converts a WITHOUT ROWID table with rows: rows and expiry intact, expiry index back (indexes and triggers added by hand gone), KyselyStore works on it", async () => {
    const file = join(dir, "rebuild.db");
    const before = await oldTableWithRows(file, "sessions");
    const native = new Database(file);
    try {
      // An index and a trigger added by the application: dropped with the old table, not recreated.
      native.exec("create index sessions_data_idx on sessions (data); create trigger sessions_audit after delete on sessions begin select 1; end;");
      native.exec(script("sessions"));
      const sql = (native.prepare(SQL_OF).get(["sessions"]) as { sql: string }).sql;
      expect(isWithoutRowid(sql)).toBe(false);
      expect(sql).toBe('CREATE TABLE "sessions" (id text primary key not null, data text not null, expires_at integer not null)');
      const objects = native.prepare("select type, name, tbl_name from sqlite_schema where tbl_name like 'sessions%' order by name").all([]);
      expect(objects).toEqual([
        { type: "table", name: "sessions", tbl_name: "sessions" },
        { type: "index", name: "sessions_expires_at_idx", tbl_name: "sessions" },
        { type: "index", name: "sqlite_autoindex_sessions_1", tbl_name: "sessions" },
      ]);
      expect((native.prepare("select sql from sqlite_schema where name = 'sessions_expires_at_idx'").get([]) as { sql: string }).sql).toBe(
        'CREATE INDEX "sessions_expires_at_idx" on "sessions" (expires_at)',
      );
      expect(native.prepare("pragma integrity_check").all([])).toEqual([{ integrity_check: "ok" }]);
    } finally {
      native.close();
    }
    const store = await createLibsqlStore({ url: `file:${file}`, table: "sessions" });
    try {
      const harness = kyselyHarness(store);
      expect(await harness.rows!()).toEqual(before);
      expect(before).toHaveLength(301);
      for (const row of before.filter((row) => row.expiresAt > Date.now() && row.id !== id(1000))) {
        expect(await store.load(row.id)).toEqual({ data: JSON.parse(row.data), expiresAt: row.expiresAt });
      }
      expect(await store.load(id(3))).toBeNull(); // expired before the rebuild, still expired
      expect(await store.update(id(1), { set: { m: 2 }, unset: ["i"], expiresAt: Date.now() + HOUR })).toBe(true);
      expect((await store.load(id(1)))?.data).toEqual({ s: "ünïcødé 🍪 \"q\" \\", m: 2 });
      expect(await store.create(id(1), { data: {}, expiresAt: Date.now() + HOUR })).toBe(false);
      expect(await store.create(id(0), { data: { taken: true }, expiresAt: Date.now() + HOUR })).toBe(true); // an expired row taken over
      expect(await store.deleteWhere("i", 2)).toBe(1);
      expect(await store.clearExpired()).toBe(99);
      expect(await harness.rows!()).toHaveLength(301 - 1 - 99);
    } finally {
      await store.db.destroy();
    }
  });

  it("rebuildStatements() uses the table name given, and refuses a name that is not a plain identifier", () => {
    expect(rebuildStatements("user_sessions")).toEqual([
      "begin immediate",
      'create table "user_sessions_rebuild" (id text primary key not null, data text not null, expires_at integer not null)',
      'insert into "user_sessions_rebuild" (id, data, expires_at) select id, data, expires_at from "user_sessions"',
      'drop table "user_sessions"',
      'alter table "user_sessions_rebuild" rename to "user_sessions"',
      schemaStatements("sqlite", "user_sessions")[1],
      "commit",
    ]);
    expect(rebuildStatements("user_sessions")[1]).toBe(schemaStatements("sqlite", "user_sessions_rebuild")[0]!.replace(" if not exists", ""));
    expect(() => rebuildStatements('x"; drop table y; --')).toThrow(RangeError);
  });

  it("a rebuild that fails part-way (the client stops at the error) or is interrupted before its commit changes nothing", async () => {
    const file = join(dir, "rebuild-failed.db");
    const before = await oldTableWithRows(file, "sessions");
    const rowsNow = async () => {
      const db = await openLibsqlDatabase({ url: `file:${file}` });
      try {
        expect(isWithoutRowid(await sqlOf(db, "sessions"))).toBe(true);
        return await kyselyHarness(new KyselyStore({ db, table: "sessions" })).rows!();
      } finally {
        await db.destroy();
      }
    };
    // A table already has the temporary name: the create fails, the client stops, closing rolls back.
    let native = new Database(file);
    native.exec("create table sessions_rebuild (x)");
    expect(() => native.exec(script("sessions"))).toThrow(/table "?sessions_rebuild"? already exists/);
    native.close();
    expect(await rowsNow()).toEqual(before);
    native = new Database(file);
    native.exec("drop table sessions_rebuild");
    // Every statement up to the rename ran (the old table dropped), then the process stops before commit.
    const statements = rebuildStatements("sessions");
    for (const statement of statements.slice(0, -1)) native.exec(statement);
    expect(isWithoutRowid((native.prepare(SQL_OF).get(["sessions"]) as { sql: string }).sql)).toBe(false); // the new table, not yet committed
    native.close();
    expect(await rowsNow()).toEqual(before);
  });

  it("while the rebuild runs in another process, a running store reads the old table and its writes wait for the commit, then land in the new table", async () => {
    const file = join(dir, "rebuild-online.db");
    const before = await oldTableWithRows(file, "sessions");
    const store = await createLibsqlStore({ url: `file:${file}`, table: "sessions" });
    const live = before.find((row) => row.expiresAt > Date.now() && row.id !== id(1000))!;
    expect((await store.load(live.id))?.data).toEqual(JSON.parse(live.data)); // statements prepared on the old table
    // The rebuild, holding its transaction open for 500 ms before the commit.
    const statements = rebuildStatements("sessions");
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const Database = require("libsql");
         const db = new Database(${JSON.stringify(file)});
         db.exec("pragma busy_timeout = 5000");
         for (const statement of ${JSON.stringify(statements.slice(0, -1))}) db.exec(statement);
         console.log("holding");
         setTimeout(() => { db.exec("commit"); db.close(); console.log("committed"); }, 500);`,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          output += chunk;
          if (output.includes("holding")) resolve();
        });
        child.on("exit", () => reject(new Error(`the rebuild process exited early: ${output}`)));
      });
      expect((await store.load(live.id))?.data).toEqual(JSON.parse(live.data)); // reads go on during the rebuild
      const fresh = "f".repeat(64);
      expect(await store.create(fresh, { data: { after: true }, expiresAt: Date.now() + HOUR })).toBe(true);
      expect(await store.update(live.id, { set: { seen: 1 }, unset: [], expiresAt: live.expiresAt })).toBe(true);
      expect(await exited).toBe(0);
      expect(output).toBe("holding\ncommitted\n");
      expect(isWithoutRowid(await sqlOf(store.db, "sessions"))).toBe(false);
      expect((await store.load(fresh))?.data).toEqual({ after: true });
      expect((await store.load(live.id))?.data).toEqual({ ...JSON.parse(live.data), seen: 1 });
      expect(await kyselyHarness(store).rows!()).toHaveLength(before.length + 1);
    } finally {
      child.kill();
      await store.db.destroy();
    }
  });

  it("D1 refuses the rebuild script (it has no BEGIN) and the table stays as it was", async () => {
    const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"], compatibilityDate: "2026-05-01" });
    try {
      const d1 = await mf.getD1Database("DB");
      for (const statement of withoutRowidDdl("sessions")) await d1.prepare(statement).run();
      await d1.prepare("insert into sessions (id, data, expires_at) values (?, ?, ?)").bind(id(1), "{}", Date.now() + HOUR).run();
      await expect(d1.exec(script("sessions").replaceAll("\n", " "))).rejects.toThrow(/BEGIN TRANSACTION/);
      const { results } = await d1.prepare(SQL_OF).bind("sessions").all<{ sql: string }>();
      expect(isWithoutRowid(tableSql(results, "sessions"))).toBe(true);
      expect((await d1.prepare("select count(*) as n from sessions").first<{ n: number }>())?.n).toBe(1);
    } finally {
      await mf.dispose();
    }
  });
});
