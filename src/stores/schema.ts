/**
 * The sessions table, as SQL for each engine family `KyselyStore` supports,
 * and as Kysely migrations for an application's own `Migrator`.
 *
 * Only `import type` from Kysely: this file adds nothing to a bundle that
 * does not use it, and works with whichever copy of Kysely the caller has.
 *
 * @module
 */
import type { CompiledQuery, Kysely, Migration, QueryResult, RootOperationNode } from "kysely";
import { quoteIdentifier } from "../util/quote-identifier.ts";

/**
 * The SQL family a Kysely instance speaks. `"sqlite"` covers SQLite, libSQL
 * (embedded or remote), Cloudflare D1, `bun:sqlite` and `node:sqlite`;
 * `"postgres"` covers PostgreSQL and its wire-compatible servers.
 */
export type SqlFamily = "sqlite" | "postgres";

/** The name of the one migration in {@link sessionMigrations}. */
export const SESSION_MIGRATION_NAME = "fetch_session_0001_create_sessions";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks a table name: a plain SQL identifier (letters, digits, `_`, not
 * starting with a digit, at most 63 characters), so it can be quoted safely.
 *
 * @param table the table name to check
 * @returns the same name
 * @throws {TypeError} when `table` is not a string
 * @throws {RangeError} when `table` is not a plain identifier
 * @example
 * ```ts
 * checkTableName("sessions"); // "sessions"
 * ```
 */
export function checkTableName(table: unknown): string {
  if (typeof table !== "string") {
    throw new TypeError(`Table name must be a string: received ${typeof table}`);
  }
  if (!IDENTIFIER.test(table)) {
    throw new RangeError(
      `Table name must be a plain identifier (letters, digits and _, at most 63 characters): received "${table}"`,
    );
  }
  return table;
}

/**
 * Finds which SQL family a Kysely instance speaks, without touching the
 * database: it compiles `select <parameter> as "x"` and reads the result.
 * PostgreSQL compilers write `$1`; SQLite compilers (SQLite, libSQL, D1)
 * write `?` and quote identifiers with `"`. MySQL (`?` and backticks) and
 * MS SQL Server (`@1`) are refused. This works with minified bundles and with
 * a second copy of Kysely, where `instanceof SqliteAdapter` would not.
 *
 * @param db any Kysely instance
 * @returns `"sqlite"` or `"postgres"`
 * @throws {TypeError} when the dialect is neither
 * @example
 * ```ts
 * import { Kysely } from "kysely";
 * import { D1Dialect } from "kysely-d1";
 * detectSqlFamily(new Kysely({ dialect: new D1Dialect({ database: env.DB }) })); // "sqlite"
 * ```
 */
export function detectSqlFamily(db: Kysely<any>): SqlFamily {
  if (db === null || typeof db !== "object" || typeof (db as { executeQuery?: unknown }).executeQuery !== "function") {
    throw new TypeError(`Expected a Kysely instance: received ${describe(db)}`);
  }
  const text = db.selectNoFrom((eb) => eb.val(1).as("x")).compile().sql;
  if (/\$1\b/.test(text)) return "postgres";
  if (text.includes("?") && text.includes('"x"')) return "sqlite";
  throw new TypeError(
    `KyselyStore supports SQLite, libSQL, D1 and PostgreSQL dialects; this dialect compiles to ${JSON.stringify(text)}` +
      ' (pass dialect: "sqlite" or "postgres" if it really is one of those)',
  );
}

/**
 * The statements that create the sessions table and its expiry index, each
 * idempotent (`if not exists`).
 *
 * - `id`: the hex SHA-256 of the session key, 64 characters, primary key.
 * - `data`: the session's JSON object (`text` on SQLite, `jsonb` on PostgreSQL).
 * - `expires_at`: milliseconds since the epoch (`integer` / `bigint`), indexed
 *   so that loading ignores and `clearExpired` finds expired rows cheaply.
 *
 * SQLite tables are `without rowid`: the primary-key B-tree is the table, so
 * a load by id is one lookup. They have a fourth column, `expires_key`, the
 * expiry index's key: set to `expires_at` on insert, and moved by a save only
 * when the expiry has run an hour ({@link EXPIRY_KEY_LAG_MS}) ahead of it, so
 * most saves leave the index entry alone (every save moves `expires_at`, and
 * rewriting an index entry that carries the 64-character id was half of a
 * save's cost: 9.4-9.8 against 5.1-5.2 µs, bench/micro/expiry-key.mjs). It is
 * never later than `expires_at`, so `clearExpired` finds every expired row
 * through it. The index is on `coalesce(expires_key, expires_at)`, an
 * expression, because SQLite skips an expression index's entry whose value
 * did not change but rewrites a plain column's entry even when it is set to
 * its own value; rows written without the column (by hand, or by an earlier
 * version) are indexed by `expires_at`. Tables created by earlier versions
 * (no `expires_key`) work as they are; docs/stores.md shows the upgrade.
 *
 * @param family the SQL family
 * @param table the table name (checked)
 * @returns the DDL statements, in order
 * @throws {RangeError} when `table` is not a plain identifier
 * @example
 * ```ts
 * for (const statement of schemaStatements("sqlite", "sessions")) console.log(statement);
 * ```
 */
export function schemaStatements(family: SqlFamily, table = "sessions"): string[] {
  const t = quoteIdentifier(checkTableName(table));
  const index = quoteIdentifier(`${table}_expires_at_idx`);
  if (family === "postgres") {
    return [
      `create table if not exists ${t} (id text primary key, data jsonb not null, expires_at bigint not null)`,
      `create index if not exists ${index} on ${t} (expires_at)`,
    ];
  }
  return [
    `create table if not exists ${t} (id text primary key not null, data text not null, expires_at integer not null, expires_key integer) without rowid`,
    `create index if not exists ${index} on ${t} (coalesce(expires_key, expires_at))`,
  ];
}

/**
 * How far a SQLite row's expiry may run ahead of its `expires_key` before a
 * save moves the key (one hour, in milliseconds).
 */
export const EXPIRY_KEY_LAG_MS = 3_600_000;

/**
 * Runs {@link schemaStatements} on `db`. Safe to run again, and from several
 * processes at once: PostgreSQL can fail a `create table if not exists` that
 * races another one, so a failure is retried once before it is thrown.
 *
 * @param db the Kysely instance (or a transaction)
 * @param table the table name
 * @param family the SQL family; detected when omitted
 * @returns when the table and index exist
 * @throws the database's error when the table cannot be created
 * @example
 * ```ts
 * await createSessionTable(db, "sessions");
 * ```
 */
export async function createSessionTable(db: Kysely<any>, table = "sessions", family?: SqlFamily): Promise<void> {
  const statements = schemaStatements(family ?? detectSqlFamily(db), table);
  for (const statement of statements) {
    try {
      await execute(db, statement, []);
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        await execute(db, statement, []);
      } catch {
        throw error;
      }
    }
  }
}

/**
 * The sessions schema as Kysely migrations for a table of your choosing.
 * `up` creates the table and index (idempotent, so it also adopts a table
 * that `KyselyStore.createSchema()` made before); `down` drops the table.
 *
 * @param table the table name
 * @returns one migration, named {@link SESSION_MIGRATION_NAME}
 * @throws {RangeError} when `table` is not a plain identifier
 * @example
 * ```ts
 * import { Migrator } from "kysely";
 * import { createSessionMigrations } from "fetch-session";
 *
 * const migrator = new Migrator({
 *   db,
 *   provider: { getMigrations: async () => createSessionMigrations("user_sessions") },
 *   migrationTableName: "fetch_session_migrations",
 *   migrationLockTableName: "fetch_session_migrations_lock",
 * });
 * const { error } = await migrator.migrateToLatest();
 * if (error) throw error;
 * ```
 */
export function createSessionMigrations(table = "sessions"): Record<string, Migration> {
  checkTableName(table);
  const migration: Migration = {
    async up(db) {
      await createSessionTable(db, table);
    },
    async down(db) {
      await execute(db, `drop table if exists ${quoteIdentifier(table)}`, []);
    },
  };
  return Object.freeze({ [SESSION_MIGRATION_NAME]: Object.freeze(migration) });
}

/**
 * The sessions schema (table `sessions`) as Kysely migrations: pass them to a
 * `Migrator`, alone or spread into your own migrations.
 *
 * @example
 * ```ts
 * import { Migrator } from "kysely";
 * import { sessionMigrations } from "fetch-session";
 *
 * const migrator = new Migrator({
 *   db,
 *   provider: { getMigrations: async () => sessionMigrations },
 *   migrationTableName: "fetch_session_migrations",
 *   migrationLockTableName: "fetch_session_migrations_lock",
 * });
 * await migrator.migrateToLatest();
 * ```
 */
export const sessionMigrations: Record<string, Migration> = createSessionMigrations();

export { quoteIdentifier };

/**
 * A compiled query built by hand, so that running it costs no query building.
 * Drivers read `sql` and `parameters`; `query` is a raw node for loggers and
 * plugins, `queryId` is shared by every run of the same statement.
 */
export function compiled(sql: string, parameters: readonly unknown[], queryId: { readonly queryId: string }): CompiledQuery {
  const query = { kind: "RawNode", sqlFragments: [sql], parameters: [] } as unknown as RootOperationNode;
  return { sql, parameters, query, queryId } as CompiledQuery;
}

const adHocQueryId = Object.freeze({ queryId: "fetch-session" });

/** Runs one SQL statement with positional parameters. */
export function execute<Row = Record<string, unknown>>(
  db: Kysely<any>,
  sql: string,
  parameters: readonly unknown[],
  queryId: { readonly queryId: string } = adHocQueryId,
): Promise<QueryResult<Row>> {
  return db.executeQuery(compiled(sql, parameters, queryId) as CompiledQuery<Row>);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
