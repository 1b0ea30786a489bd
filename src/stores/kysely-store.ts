/**
 * `KyselyStore`: sessions in any SQL database Kysely reaches (SQLite, libSQL,
 * Cloudflare D1, `bun:sqlite`, `node:sqlite`, PostgreSQL).
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { SessionPatch, SessionRecord, SessionStore } from "../store.ts";
import { checkTableName, compiled, createSessionTable, detectSqlFamily, quoteIdentifier, type SqlFamily } from "./schema.ts";

/** Options for {@link KyselyStore}. */
export interface KyselyStoreOptions {
  /** The database: any Kysely instance with a SQLite-family or PostgreSQL dialect. Its plugins are not applied to the store's queries. */
  db: Kysely<any>;
  /**
   * The table name: a plain identifier.
   * @default "sessions"
   */
  table?: string;
  /**
   * The SQL family, for a third-party dialect that detection gets wrong.
   * @default detected from how `db` compiles a parameter (`$1`: PostgreSQL, `?`: SQLite)
   */
  dialect?: SqlFamily;
  /**
   * How many expired rows `clearExpired()` deletes per statement, so that a
   * concurrent request never waits long behind it.
   * @default 1000
   */
  batchSize?: number;
  /**
   * The clock, in milliseconds since the epoch (inject one in tests).
   * @default Date.now
   */
  now?: () => number;
}

/** The SQL of every statement that does not depend on the patch. */
interface Statements {
  load: string;
  create: string;
  delete: string;
  touch: string;
  clearBatch: string;
  deleteWhere: string;
}

const MAX_CACHED_UPDATES = 256;
const ids = {
  load: Object.freeze({ queryId: "fetch-session:load" }),
  create: Object.freeze({ queryId: "fetch-session:create" }),
  update: Object.freeze({ queryId: "fetch-session:update" }),
  delete: Object.freeze({ queryId: "fetch-session:delete" }),
  clear: Object.freeze({ queryId: "fetch-session:clear-expired" }),
  deleteWhere: Object.freeze({ queryId: "fetch-session:delete-where" }),
};

/**
 * A {@link SessionStore} over a Kysely instance. One table (see
 * {@link KyselyStoreOptions.table}) with `id` (the hex SHA-256 of the session
 * key), `data` (JSON) and `expires_at` (ms since the epoch, indexed).
 *
 * Each operation is one SQL statement, compiled once and reused:
 * - `load` never returns an expired row;
 * - `create` takes over an expired row with the same id, never a live one;
 * - `update` changes only the patched keys, atomically in the database
 *   (`json_set`/`json_remove` on SQLite, `jsonb` `||` and `-` on PostgreSQL),
 *   so concurrent requests that change different keys both keep their
 *   change, and a row deleted meanwhile (logout) is never re-created.
 *
 * No transactions are used, so it works on D1.
 *
 * @example
 * ```ts
 * import { Kysely, PostgresDialect } from "kysely";
 * import pg from "pg";
 * import { KyselyStore, withSession } from "fetch-session";
 *
 * const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }) });
 * const store = new KyselyStore({ db });
 * await store.createSchema();
 * const app = withSession(handler, { store });
 * ```
 */
export class KyselyStore implements SessionStore {
  readonly #db: Kysely<any>;
  readonly #table: string;
  readonly #family: SqlFamily;
  readonly #batchSize: number;
  readonly #now: () => number;
  readonly #sql: Statements;
  readonly #updates = new Map<string, string>();

  /**
   * @param options the database, and optionally the table name, dialect, batch size and clock
   * @throws {TypeError} when `db` is not a Kysely instance, or an option has the wrong type
   * @throws {RangeError} when `table` is not a plain identifier or `batchSize` is not a positive integer
   */
  constructor(options: KyselyStoreOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`KyselyStore options must be an object: received ${String(options)}`);
    }
    const { db, table = "sessions", dialect, batchSize = 1000, now = Date.now } = options;
    if (db === null || typeof db !== "object" || typeof db.executeQuery !== "function") {
      throw new TypeError(`KyselyStore option "db" must be a Kysely instance: received ${String(db)}`);
    }
    if (dialect !== undefined && dialect !== "sqlite" && dialect !== "postgres") {
      throw new RangeError(`KyselyStore option "dialect" must be "sqlite" or "postgres": received "${String(dialect)}"`);
    }
    if (typeof batchSize !== "number" || !Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`KyselyStore option "batchSize" must be a positive integer: received ${String(batchSize)}`);
    }
    if (typeof now !== "function") {
      throw new TypeError(`KyselyStore option "now" must be a function: received ${typeof now}`);
    }
    this.#table = checkTableName(table);
    this.#db = typeof db.withoutPlugins === "function" ? db.withoutPlugins() : db;
    this.#family = dialect ?? detectSqlFamily(this.#db);
    this.#batchSize = batchSize;
    this.#now = now;
    this.#sql = statements(this.#family, quoteIdentifier(this.#table));
  }

  /** The Kysely instance (without plugins) the store runs on; `await store.db.destroy()` closes it. */
  get db(): Kysely<any> {
    return this.#db;
  }

  /** The table name. */
  get table(): string {
    return this.#table;
  }

  /** The SQL family in use: `"sqlite"` (SQLite, libSQL, D1) or `"postgres"`. */
  get dialect(): SqlFamily {
    return this.#family;
  }

  /**
   * Creates the table and its expiry index if they do not exist. Idempotent;
   * the same schema is exported as migrations (`sessionMigrations`).
   *
   * @returns when the schema exists
   * @throws the database's error when it cannot be created
   * @example
   * ```ts
   * await new KyselyStore({ db }).createSchema();
   * ```
   */
  async createSchema(): Promise<void> {
    await createSessionTable(this.#db, this.#table, this.#family);
  }

  /**
   * Loads a live session. Data that is not a JSON object (corrupt row) loads
   * as an empty session and logs one warning.
   *
   * @param id the hex SHA-256 of the session key
   * @returns the record, or `null` when there is none or it has expired
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * const record = await store.load(id);
   * ```
   */
  async load(id: string): Promise<SessionRecord | null> {
    const result = await this.#run<{ d: unknown; e: unknown }>(this.#sql.load, [id, this.#now()], ids.load);
    const row = result.rows[0];
    if (row === undefined) return null;
    return { data: this.#parse(row.d, id), expiresAt: Number(row.e) };
  }

  /**
   * Inserts a session; an expired row with the same id is replaced.
   *
   * @param id the hex SHA-256 of the session key
   * @param record the data and expiry
   * @returns `false` (and writes nothing) when a live session has this id
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * await store.create(id, { data: { user: 1 }, expiresAt: Date.now() + 3600_000 });
   * ```
   */
  async create(id: string, record: SessionRecord): Promise<boolean> {
    const params = [id, JSON.stringify(record.data), record.expiresAt, this.#now()];
    return affected(await this.#run(this.#sql.create, params, ids.create)) > 0;
  }

  /**
   * Applies a patch in one atomic statement: `set` keys are replaced, `unset`
   * keys removed, every other key kept, and the expiry set.
   *
   * @param id the hex SHA-256 of the session key
   * @param patch the changes
   * @returns `false` when the row is gone or expired (it is not re-created)
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * await store.update(id, { set: { cart: [1, 2] }, unset: ["coupon"], expiresAt: Date.now() + 3600_000 });
   * ```
   */
  async update(id: string, patch: SessionPatch): Promise<boolean> {
    const setKeys = Object.keys(patch.set);
    const unset = patch.unset;
    const now = this.#now();
    let result;
    if (setKeys.length === 0 && unset.length === 0) {
      result = await this.#run(this.#sql.touch, [patch.expiresAt, id, now], ids.update);
    } else if (this.#family === "postgres") {
      const set = JSON.stringify(patch.set);
      result = unset.length === 0
        ? await this.#run(this.#pgUpdate(false), [set, patch.expiresAt, id, now], ids.update)
        : await this.#run(this.#pgUpdate(true), [JSON.stringify(unset), set, patch.expiresAt, id, now], ids.update);
    } else {
      const values = setKeys.map((key) => patch.set[key]);
      result = await this.#run(this.#updateSql(setKeys, unset), [JSON.stringify(values), patch.expiresAt, id, now], ids.update);
    }
    return affected(result) > 0;
  }

  /**
   * Deletes a session; a missing one is not an error.
   *
   * @param id the hex SHA-256 of the session key
   * @returns when the row is gone
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * await store.delete(id);
   * ```
   */
  async delete(id: string): Promise<void> {
    await this.#run(this.#sql.delete, [id], ids.delete);
  }

  /**
   * Deletes every expired session, `batchSize` rows per statement, until none
   * is left (rows that expire meanwhile wait for the next run).
   *
   * @returns how many rows were deleted
   * @throws the database's error when a query fails (rows deleted by earlier batches stay deleted)
   * @example
   * ```ts
   * console.log(`Deleted ${await store.clearExpired()} expired sessions.`);
   * ```
   */
  async clearExpired(): Promise<number> {
    const now = this.#now();
    let total = 0;
    for (;;) {
      const deleted = affected(await this.#run(this.#sql.clearBatch, [now, this.#batchSize], ids.clear));
      total += deleted;
      if (deleted < this.#batchSize) return total;
      // An embedded engine answers each batch at once, so without this the whole loop is one chain of
      // microtasks and no request is served until it ends (5 s over 1,000,000 rows; 27 ms with it).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /**
   * Deletes, in one statement, every live session whose data has the
   * top-level key `field` equal to `value` (same JSON type and value), except
   * the row `exceptId`: "log out everywhere else" for `deleteWhere("user_id", 42, currentId)`.
   *
   * @param field a top-level key of the session data
   * @param value the value to match: a string, a finite number or a boolean
   * @param exceptId the id of a row to keep (the current session)
   * @returns how many sessions were deleted
   * @throws {TypeError} when `field` is not a string or `value` is not a string, finite number or boolean
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * const others = await store.deleteWhere("_auth_user_id", "42", currentId);
   * ```
   */
  async deleteWhere(field: string, value: string | number | boolean, exceptId?: string): Promise<number> {
    if (typeof field !== "string") {
      throw new TypeError(`deleteWhere() field must be a string: received ${typeof field}`);
    }
    const kind = typeof value;
    if (kind !== "string" && kind !== "boolean" && !(kind === "number" && Number.isFinite(value))) {
      throw new TypeError(`deleteWhere() value must be a string, a finite number or a boolean: received ${String(value)}`);
    }
    if (exceptId !== undefined && typeof exceptId !== "string") {
      throw new TypeError(`deleteWhere() exceptId must be a string: received ${typeof exceptId}`);
    }
    const now = this.#now();
    let params: unknown[];
    if (this.#family === "postgres") {
      params = [now, exceptId ?? "", field, JSON.stringify(value)];
    } else {
      const [typeA, typeB, sqlValue] =
        kind === "string" ? ["text", "text", value]
        : kind === "number" ? ["integer", "real", value]
        : value ? ["true", "true", 1] : ["false", "false", 0];
      params = [now, exceptId ?? "", jsonPath(field), typeA, typeB, sqlValue];
    }
    return affected(await this.#run(this.#sql.deleteWhere, params, ids.deleteWhere));
  }

  #run<Row = Record<string, unknown>>(sql: string, params: unknown[], queryId: { readonly queryId: string }) {
    return this.#db.executeQuery(compiled(sql, params, queryId)) as Promise<{ rows: Row[]; numAffectedRows?: bigint }>;
  }

  #parse(raw: unknown, id: string): Record<string, unknown> {
    let value = raw;
    if (typeof raw === "string") {
      try {
        value = JSON.parse(raw);
      } catch {
        value = undefined;
      }
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    console.warn(
      `fetch-session: the session ${id.slice(0, 12)}… in table "${this.#table}" does not hold a JSON object; ` +
        "it loads as an empty session",
    );
    return {};
  }

  /** PostgreSQL: `(data - keys) || set`, keys passed as one JSON array. */
  #pgUpdate(withUnset: boolean): string {
    const cacheKey = withUnset ? "pg:unset" : "pg:set";
    let sql = this.#updates.get(cacheKey);
    if (sql === undefined) {
      const t = quoteIdentifier(this.#table);
      const base = `(case when jsonb_typeof(data) = 'object' then data else '{}'::jsonb end)`;
      const data = withUnset
        ? `(${base} - array(select jsonb_array_elements_text($1::jsonb))) || $2::jsonb`
        : `${base} || $1::jsonb`;
      const n = withUnset ? 3 : 2;
      sql = `update ${t} set data = ${data}, expires_at = $${n} where id = $${n + 1} and expires_at > $${n + 2}`;
      this.#updates.set(cacheKey, sql);
    }
    return sql;
  }

  /**
   * SQLite: `json_set(json_remove(data, paths...), path, value, ...)`. The
   * paths are SQL string literals (keys JSON-escaped, `"` as `\u0022`, `'`
   * doubled); the values travel as one bound JSON array, so the statement
   * has four parameters however many keys change (D1 allows 100). The SQL
   * is cached per set of keys.
   */
  #updateSql(setKeys: string[], unset: string[]): string {
    const cacheKey = JSON.stringify([setKeys, unset]);
    let sql = this.#updates.get(cacheKey);
    if (sql === undefined) {
      let data = `(case when json_valid(data) then (case json_type(data) when 'object' then data else '{}' end) else '{}' end)`;
      // SQLite functions take at most 127 arguments (SQLITE_MAX_FUNCTION_ARG): nest in chunks.
      const paths = unset.map((key) => sqlString(jsonPath(key)));
      for (let i = 0; i < paths.length; i += 100) {
        data = `json_remove(${data}, ${paths.slice(i, i + 100).join(", ")})`;
      }
      const pairs = setKeys.map((key, i) => `${sqlString(jsonPath(key))}, json(?1 -> '$[${i}]')`);
      for (let i = 0; i < pairs.length; i += 50) {
        data = `json_set(${data}, ${pairs.slice(i, i + 50).join(", ")})`;
      }
      sql = `update ${quoteIdentifier(this.#table)} set data = ${data}, expires_at = ?2 where id = ?3 and expires_at > ?4`;
      if (this.#updates.size >= MAX_CACHED_UPDATES) this.#updates.clear();
      this.#updates.set(cacheKey, sql);
    }
    return sql;
  }
}

/** The statements that do not depend on the patch, for one family and table. */
function statements(family: SqlFamily, t: string): Statements {
  const p = (n: number) => (family === "postgres" ? `$${n}` : `?${n}`);
  const create =
    `insert into ${t} (id, data, expires_at) values (${p(1)}, ${family === "postgres" ? "$2::jsonb" : "?2"}, ${p(3)}) ` +
    `on conflict (id) do update set data = excluded.data, expires_at = excluded.expires_at where ${t}.expires_at <= ${p(4)}`;
  const deleteWhere =
    family === "postgres"
      ? `delete from ${t} where expires_at > $1 and id <> $2 and data -> $3::text = $4::jsonb`
      : `delete from ${t} where expires_at > ?1 and id <> ?2` +
        ` and (case when json_valid(data) then json_type(data, ?3) end) in (?4, ?5)` +
        ` and (case when json_valid(data) then json_extract(data, ?3) end) = ?6`;
  return {
    load: `select data as d, expires_at as e from ${t} where id = ${p(1)} and expires_at > ${p(2)}`,
    create,
    delete: `delete from ${t} where id = ${p(1)}`,
    touch: `update ${t} set expires_at = ${p(1)} where id = ${p(2)} and expires_at > ${p(3)}`,
    clearBatch: `delete from ${t} where id in (select id from ${t} where expires_at <= ${p(1)} limit ${p(2)})`,
    deleteWhere,
  };
}

/**
 * A SQLite JSON path to the top-level key `key`: `$."key"`, with the key
 * escaped as a JSON string, except `"`, which SQLite's path parser does not
 * accept escaped as `\"` and is written `\u0022` (SQLite 3.45+ decodes the
 * escapes when it compares and writes labels).
 */
export function jsonPath(key: string): string {
  return `$."${JSON.stringify(key).slice(1, -1).replaceAll('\\"', "\\u0022")}"`;
}

/** A SQL string literal: `'` doubled. */
function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function affected(result: { numAffectedRows?: bigint }): number {
  return Number(result.numAffectedRows ?? 0n);
}
