import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createSessionMigrations } from "../../src/stores/schema.ts";
import { freshTable, kyselyOpener, POSTGRES_CORRUPT } from "../helpers/kysely-harness.ts";
import { multiprocessSuite } from "../helpers/multiprocess.ts";
import { sessionOverSqlSuite } from "../helpers/session-sql-suite.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { storeConformance } from "../store-conformance.ts";

let server: PostgresServer;
let db: Kysely<any>;

beforeAll(async () => {
  server = await startPostgres();
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 10 });
  // An idle client that sees the server stop in afterAll reports it here, not as an uncaught error.
  pool.on("error", () => {});
  db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
});

afterAll(async () => {
  await db?.destroy();
  await server?.stop();
});

storeConformance("KyselyStore on PostgreSQL", (options) => kyselyOpener(db)(options), { corrupt: POSTGRES_CORRUPT });

sessionOverSqlSuite("PostgreSQL", async () => {
  const store = new KyselyStore({ db, table: freshTable() });
  await store.createSchema();
  return { store, close: () => sql`drop table ${sql.table(store.table)}`.execute(db).then(() => {}) };
});

describe("KyselyStore on PostgreSQL", () => {
  it("KyselyStore on PostgreSQL creates jsonb and bigint columns and an expiry index, idempotently", async () => {
    const store = new KyselyStore({ db, table: freshTable() });
    await Promise.all([store.createSchema(), store.createSchema(), store.createSchema()]);
    const columns = await sql<{ column_name: string; data_type: string }>`
      select column_name, data_type from information_schema.columns where table_name = ${store.table} order by column_name`.execute(db);
    expect(columns.rows).toEqual([
      { column_name: "data", data_type: "jsonb" },
      { column_name: "expires_at", data_type: "bigint" },
      { column_name: "id", data_type: "text" },
    ]);
    const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where tablename = ${store.table}`.execute(db);
    expect(indexes.rows.map((row) => row.indexname)).toContain(`${store.table}_expires_at_idx`);
  });

  it("sessionMigrations run in a PostgreSQL Migrator (in its transaction) and down drops the table", async () => {
    const table = freshTable();
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => createSessionMigrations(table) },
      migrationTableName: `${table}_migrations`,
      migrationLockTableName: `${table}_migrations_lock`,
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const store = new KyselyStore({ db, table });
    expect(await store.create("a".repeat(64), { data: { pg: true }, expiresAt: Date.now() + 60_000 })).toBe(true);
    expect((await store.load("a".repeat(64)))?.data).toEqual({ pg: true });
    expect((await migrator.migrateDown()).error).toBeUndefined();
    const left = await sql`select 1 from information_schema.tables where table_name = ${table}`.execute(db);
    expect(left.rows).toEqual([]);
  });
});

multiprocessSuite("one PostgreSQL database", () => ({ url: server.connectionString, table: freshTable() }));
