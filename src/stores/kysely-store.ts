/**
 * `KyselyStore`: sessions in any SQL database Kysely reaches (SQLite, libSQL,
 * Cloudflare D1, `bun:sqlite`, `node:sqlite`, PostgreSQL).
 *
 * @module
 */
import type { Kysely } from "kysely";
import { SessionDataTooLargeError } from "../errors.ts";
import { LOAD_NOW, type SessionPatch, type SessionRecord, type SessionStore } from "../store.ts";
import { parseJson } from "../util/json.ts";
import { syncSqlOf, type SyncSql } from "./sync-sql.ts";
import { checkTableName, compiled, createSessionTable, detectSqlFamily, EXPIRY_KEY_LAG_MS, quoteIdentifier, type SqlFamily } from "./schema.ts";

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
  /** `update` without a size limit: `[ALL, SET, expiresAt, id, now]` (SQLite), `[UNSET, SET, expiresAt, id, now]` (PostgreSQL). */
  update: string;
  /** `update` under `maxBytes`: the same parameters, then the limit. */
  updateLimited: string;
  /** SQLite: `update` when `SET` holds a `null` in an object, which a merge patch would drop. */
  updateNulls: string;
  updateNullsLimited: string;
  /** The size `update` would have given: the same parameters as `update` except `expiresAt`. */
  sizeAfter: string;
  sizeAfterNulls: string;
}

/** A row of the load statement. */
interface LoadRow {
  d: unknown;
  e: unknown;
}

const ids = {
  load: Object.freeze({ queryId: "fetch-session:load" }),
  create: Object.freeze({ queryId: "fetch-session:create" }),
  update: Object.freeze({ queryId: "fetch-session:update" }),
  delete: Object.freeze({ queryId: "fetch-session:delete" }),
  clear: Object.freeze({ queryId: "fetch-session:clear-expired" }),
  deleteWhere: Object.freeze({ queryId: "fetch-session:delete-where" }),
  size: Object.freeze({ queryId: "fetch-session:size-after" }),
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
 *   (`json_patch` on SQLite, `jsonb` `-` and `||` on PostgreSQL), so
 *   concurrent requests that change different keys both keep their change,
 *   and a row deleted meanwhile (logout) is never re-created. The keys and
 *   values travel as two bound JSON parameters, never in the SQL text, so the
 *   statement is the same however many keys change (10,000 keys is one
 *   statement on D1 too). With `maxBytes`, the size check is in the same
 *   statement's `where`.
 * - data the database's JSON functions cannot read (not an object, or nested
 *   deeper than SQLite's 1,000 levels) is never replaced: the `update` fails.
 *
 * Keys and string values containing U+0000 or a lone UTF-16 surrogate are
 * refused with a `TypeError` before any SQL runs (SQLite compares JSON keys
 * only up to a U+0000, PostgreSQL's `jsonb` holds neither), so a write never
 * touches a key other than the one it names, on every SQL engine alike.
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
  /**
   * The statements in use. On SQLite, those for a table with `expires_key` (the layout `createSchema()`
   * makes) until the database says the table has no such column (a table of an earlier version).
   */
  #sql: Statements;
  /** The statements for a table without `expires_key` (PostgreSQL, and SQLite tables of earlier versions). */
  readonly #plainSql: Statements;
  /** SQLite: each statement that writes `expires_key`, to its equivalent without it (same parameters). */
  readonly #withoutKey: ReadonlyMap<string, string>;
  /** The embedded dialect's synchronous path for the hot statements (load, create, update, delete), when it has one. */
  readonly #sync: SyncSql | undefined;

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
    this.#plainSql = statements(this.#family, quoteIdentifier(this.#table), false);
    this.#sql = this.#family === "sqlite" ? statements("sqlite", quoteIdentifier(this.#table), true) : this.#plainSql;
    const withoutKey = new Map<string, string>();
    for (const name of Object.keys(this.#sql) as (keyof Statements)[]) {
      if (this.#sql[name] !== this.#plainSql[name]) withoutKey.set(this.#sql[name], this.#plainSql[name]);
    }
    this.#withoutKey = withoutKey;
    this.#sync = this.#family === "sqlite" ? syncSqlOf(this.#db) : undefined;
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
   * The error of a statement that wrote `expires_key` on a table without the
   * column (a table of an earlier version): from then on this store writes
   * without it, and `sql`'s equivalent runs instead. Any other error is
   * thrown as it is. Tables that have the column never pay for this.
   */
  #withoutKeyAfter<T>(error: unknown, sql: string, run: (sql: string) => Promise<T>): Promise<T> {
    const plain = this.#withoutKey.get(sql);
    const message = error instanceof Error ? error.message : String(error);
    if (plain === undefined || !/no such column: expires_key|has no column named expires_key/.test(message)) return Promise.reject(error);
    this.#sql = this.#plainSql;
    return run(plain);
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
  load(id: string): Promise<SessionRecord | null> {
    try {
      const now = this.#loadNow(id);
      if (now !== undefined) return Promise.resolve(now);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run<LoadRow>(this.#sql.load, [id, this.#now()], ids.load).then((result) => this.#record(result.rows[0], id));
  }

  /**
   * `load()` answered at once on an embedded engine that is free: one engine
   * call, no promise (the hot read of every request that opens its session);
   * `undefined` on every other dialect, while a transaction holds the
   * connection, and when `load` was replaced (a subclass, a spy), which then
   * must be called.
   * @internal
   */
  [LOAD_NOW](id: string): SessionRecord | null | undefined {
    return this.load === KyselyStore.prototype.load ? this.#loadNow(id) : undefined;
  }

  #loadNow(id: string): SessionRecord | null | undefined {
    const sync = this.#sync;
    if (sync === undefined || !sync.ready()) return undefined;
    return this.#record(sync.get(this.#sql.load, [id, this.#now()]) as LoadRow | null | undefined, id);
  }

  #record(row: LoadRow | null | undefined, id: string): SessionRecord | null {
    if (row === undefined || row === null) return null;
    return { data: this.#parse(row.d, id), expiresAt: Number(row.e) };
  }

  /**
   * Inserts a session; an expired row with the same id is replaced.
   *
   * @param id the hex SHA-256 of the session key
   * @param record the data and expiry
   * @returns `false` (and writes nothing) when a live session has this id
   * @throws {TypeError} when a key or text value holds U+0000 or a lone surrogate
   * @throws {Error} on SQLite, when the data is nested deeper than its JSON functions read (1,000 levels)
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * await store.create(id, { data: { user: 1 }, expiresAt: Date.now() + 3600_000 });
   * ```
   */
  create(id: string, record: SessionRecord): Promise<boolean> {
    try {
      const data = JSON.stringify(record.data);
      refuseHostile(data, record.data);
      return this.#write(this.#sql.create, [id, data, record.expiresAt, this.#now()], ids.create);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Applies a patch in one atomic statement: `set` keys are replaced, `unset`
   * keys removed, every other key kept, and the expiry set. With
   * `patch.maxBytes`, the statement writes only when the new data is at most
   * that many UTF-8 bytes or no larger than before.
   *
   * @param id the hex SHA-256 of the session key
   * @param patch the changes
   * @returns `false` when the row is gone or expired (it is not re-created)
   * @throws {TypeError} when a key or text value holds U+0000 or a lone surrogate (nothing is written)
   * @throws {SessionDataTooLargeError} when `maxBytes` refuses the result (nothing is written)
   * @throws {Error} when the row's data is not a JSON object the database can read (it is kept as it is)
   * @throws the database's error when the query fails
   * @example
   * ```ts
   * await store.update(id, { set: { cart: [1, 2] }, unset: ["coupon"], expiresAt: Date.now() + 3600_000 });
   * ```
   */
  update(id: string, patch: SessionPatch): Promise<boolean> {
    // No async frame: the statement's promise and one reaction on it (a save is on every writing request's path).
    try {
      return this.#update(id, patch);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #update(id: string, patch: SessionPatch): Promise<boolean> {
    const { set, unset, expiresAt, maxBytes } = patch;
    const now = this.#now();
    const setKeys = Object.keys(set);
    if (setKeys.length === 0 && unset.length === 0) {
      // The data does not change, so it never grows: no size check.
      const touch = (sql: string) => this.#change(sql, [expiresAt, id, now], ids.update);
      const sql = this.#sql.touch;
      return touch(sql).then(isPositive, (error: unknown) => this.#withoutKeyAfter(error, sql, touch).then(isPositive));
    }
    if (maxBytes !== undefined && (typeof maxBytes !== "number" || !(maxBytes >= 0))) {
      throw new RangeError(`KyselyStore.update(): maxBytes must be a number of bytes: received ${String(maxBytes)}`);
    }
    const setJson = JSON.stringify(set);
    let removeJson: string;
    if (this.#family === "postgres") {
      removeJson = JSON.stringify(unset);
    } else {
      // Every key the patch names is removed first, so a set key's new value replaces the old one instead of merging into it.
      const remove: Record<string, null> = {};
      for (const key of setKeys) defineNull(remove, key);
      for (const key of unset) defineNull(remove, key);
      removeJson = JSON.stringify(remove);
    }
    refuseHostile(setJson, set);
    refuseHostile(removeJson, unset); // holds the set keys too on SQLite: checked second, so the culprit is an unset key
    // A merge patch drops a null inside an object; such a patch takes the statement that appends the set keys as text.
    const nulls = this.#family === "sqlite" && setJson.includes(":null");
    const sql = this.#sql;
    const params: unknown[] = [removeJson, setJson, expiresAt, id, now];
    if (maxBytes === undefined) return this.#write(nulls ? sql.updateNulls : sql.update, params, ids.update);
    params.push(maxBytes);
    return this.#write(nulls ? sql.updateNullsLimited : sql.updateLimited, params, ids.update).then((written) =>
      // Nothing written: either the row is gone or expired, or the result would pass the limit. Tell which.
      written || this.#refusal(nulls ? sql.sizeAfterNulls : sql.sizeAfter, [removeJson, setJson, id, now], maxBytes),
    );
  }

  /** Why a size-limited update wrote nothing: `false` for a row gone or expired, else the size refusal. */
  async #refusal(sql: string, params: unknown[], maxBytes: number): Promise<boolean> {
    const row = await this.#get<{ n: unknown }>(sql, params, ids.size);
    if (row === undefined) return false;
    throw new SessionDataTooLargeError(maxBytes, row.n === null || row.n === undefined ? undefined : Number(row.n));
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
    await this.#change(this.#sql.delete, [id], ids.delete);
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
      const batch = (sql: string) => this.#run(sql, [now, this.#batchSize], ids.clear);
      const sql = this.#sql.clearBatch;
      const deleted = affected(await batch(sql).catch((error: unknown) => this.#withoutKeyAfter(error, sql, batch)));
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
   * @throws {TypeError} when `field` is not a string or `value` is not a string, finite number or boolean,
   *   or when `field` or a string `value` holds U+0000 or a lone surrogate (no stored session can match it)
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
    if (HOSTILE_TEXT.test(field)) {
      throw new TypeError(
        `deleteWhere() field ${JSON.stringify(field)} contains U+0000 or a lone surrogate: no stored key can have it, and matching it would hit other keys`,
      );
    }
    const kind = typeof value;
    if (kind !== "string" && kind !== "boolean" && !(kind === "number" && Number.isFinite(value))) {
      throw new TypeError(`deleteWhere() value must be a string, a finite number or a boolean: received ${String(value)}`);
    }
    if (kind === "string" && HOSTILE_TEXT.test(value as string)) {
      throw new TypeError(
        `deleteWhere() value ${JSON.stringify(value)} contains U+0000 or a lone surrogate: no stored value can have it, and matching it would hit other values`,
      );
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

  /** The first row of a statement: one engine call on the synchronous path when there is one and it is free. */
  async #get<Row>(sql: string, params: unknown[], queryId: { readonly queryId: string }): Promise<Row | undefined> {
    const sync = this.#sync;
    if (sync !== undefined && sync.ready()) return (sync.get(sql, params) ?? undefined) as Row | undefined;
    return (await this.#run<Row>(sql, params, queryId)).rows[0];
  }

  /** Runs a statement that changes rows; how many it changed. */
  #change(sql: string, params: unknown[], queryId: { readonly queryId: string }): Promise<number> {
    const sync = this.#sync;
    if (sync !== undefined && sync.ready()) {
      try {
        const changed = sync.run(sql, params);
        return typeof changed === "number" ? Promise.resolve(changed) : changed;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#run(sql, params, queryId).then(affected);
  }

  /**
   * Runs a statement that writes `data`: whether it changed a row, explaining the database's refusal of data
   * its JSON functions cannot read.
   */
  #write(sql: string, params: unknown[], queryId: { readonly queryId: string }): Promise<boolean> {
    return this.#change(sql, params, queryId).then(isPositive, (error: unknown) =>
      this.#withoutKeyAfter(error, sql, (plain) => this.#write(plain, params, queryId)).catch((final: unknown) => {
        throw explainJsonError(final, this.#table);
      }),
    );
  }

  #parse(raw: unknown, id: string): Record<string, unknown> {
    let value = raw;
    if (typeof raw === "string") {
      try {
        value = parseJson(raw);
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
}

/** The statements of one family and table; each is the same text whatever the data, so drivers prepare it once. */
function statements(family: SqlFamily, t: string, keyed: boolean): Statements {
  const p = (n: number) => (family === "postgres" ? `$${n}` : `?${n}`);
  // SQLite tables with `expires_key` (schemaStatements): the expiry index's key, written exactly on insert and
  // moved by a save only when the expiry has run EXPIRY_KEY_LAG_MS ahead of it (or back below it), so most saves
  // leave the index entry alone; it never passes expires_at, so clearExpired finds every expired row through it.
  const key = (expiresAt: string) =>
    keyed ? `, expires_key = case when ${expiresAt} >= expires_key and ${expiresAt} - expires_key < ${EXPIRY_KEY_LAG_MS} then expires_key else ${expiresAt} end` : "";
  const create =
    family === "postgres"
      ? `insert into ${t} (id, data, expires_at) values ($1, $2::jsonb, $3) `
      : // json_type() fails on JSON SQLite cannot read (deeper than 1,000 levels) and the case gives NULL (refused
        // by NOT NULL) for a non-object: such data would make every later update fail, so it is never stored.
        `insert into ${t} (id, data, expires_at${keyed ? ", expires_key" : ""}) values (?1, case when json_type(?2) = 'object' then ?2 end, ?3${keyed ? ", ?3" : ""}) `;
  const upsert = `on conflict (id) do update set data = excluded.data, expires_at = excluded.expires_at${keyed ? ", expires_key = excluded.expires_key" : ""} where ${t}.expires_at <= ${p(4)}`;
  const deleteWhere =
    family === "postgres"
      ? `delete from ${t} where expires_at > $1 and id <> $2 and data -> $3::text = $4::jsonb`
      : `delete from ${t} where expires_at > ?1 and id <> ?2` +
        ` and (case when json_valid(data) then json_type(data, ?3) end) in (?4, ?5)` +
        ` and (case when json_valid(data) then json_extract(data, ?3) end) = ?6`;
  // The new data. Data that is not an object becomes NULL, which NOT NULL refuses: the update fails and the row
  // keeps its data. On SQLite, json_type() itself fails on data it cannot parse.
  let next: string;
  let nextNulls: string;
  let size: (data: string) => string;
  let before: string;
  if (family === "postgres") {
    next = `((case when jsonb_typeof(data) = 'object' then data end) - array(select jsonb_array_elements_text($1::jsonb))) || $2::jsonb`;
    nextNulls = next;
    size = (data) => `octet_length((${data})::text)`;
    before = `greatest($6::bigint, octet_length(data::text))`;
  } else {
    // ?1 = {"k": null, ...} for every key the patch names (a merge patch removes them), then ?2 = the set keys,
    // which are now absent, merged in: that rebuilds each value exactly unless it holds a null inside an object.
    // SQLite compares keys only up to a U+0000, so a row another program wrote with such a key (its text holds the
    // escape \u0000, which this store never writes) is not patched: the NULL fails the update.
    // (A case, not an or: SQLite would evaluate the subquery on every save.)
    const readable =
      `json_type(data) = 'object' and case when instr(data, '\\u0000') = 0 then 1` +
      ` else not exists (select 1 from json_each(data) where instr(key, char(0)) > 0) end`;
    const removed = `json_patch(case when ${readable} then data end, ?1)`;
    next = `json_patch(${removed}, ?2)`;
    // Values with such nulls: the set keys appended as text after the remaining members.
    nextNulls =
      `case when json_type(?2) = 'object' then (case when ${removed} = '{}' then ?2` +
      ` else substr(${removed}, 1, length(${removed}) - 1) || ',' || substr(?2, 2) end) end`;
    size = (data) => `length(cast(${data} as blob))`;
    before = `max(?6, length(cast(data as blob)))`;
  }
  const update = (data: string) => `update ${t} set data = ${data}, expires_at = ${p(3)}${key(p(3))} where id = ${p(4)} and expires_at > ${p(5)}`;
  // The limit: the new data is at most maxBytes, or no larger than before. NULL (data that is not an object)
  // passes, so that the update fails on NOT NULL rather than looking like a size refusal.
  // SQLite first tries a bound that needs no second merge: the new text is never longer than the old text plus
  // the set members' text (?2), so when that sum fits, so does the result (most saves, far below the limit).
  const quick = family === "postgres" ? "" : `length(cast(data as blob)) + length(cast(?2 as blob)) <= ?6 or `;
  const limited = (data: string) => `${update(data)} and (${quick}coalesce(${size(data)}, 0) <= ${before})`;
  const sizeAfter = (data: string) => `select ${size(data)} as n from ${t} where id = ${p(3)} and expires_at > ${p(4)}`;
  return {
    // PostgreSQL hands jsonb as text: drivers would parse it with JSON.parse, which V8 can misread (see parseJson).
    load: `select ${family === "postgres" ? "data::text" : "data"} as d, expires_at as e from ${t} where id = ${p(1)} and expires_at > ${p(2)}`,
    create: create + upsert,
    delete: `delete from ${t} where id = ${p(1)}`,
    touch: `update ${t} set expires_at = ${p(1)}${key(p(1))} where id = ${p(2)} and expires_at > ${p(3)}`,
    clearBatch: keyed
      ? `delete from ${t} where id in (select id from ${t} where coalesce(expires_key, expires_at) <= ?1 and expires_at <= ?1 limit ?2)`
      : `delete from ${t} where id in (select id from ${t} where expires_at <= ${p(1)} limit ${p(2)})`,
    deleteWhere,
    update: update(next),
    updateLimited: limited(next),
    updateNulls: update(nextNulls),
    updateNullsLimited: limited(nextNulls),
    sizeAfter: sizeAfter(next),
    sizeAfterNulls: sizeAfter(nextNulls),
  };
}

/** Text a key or string value cannot hold: U+0000 or a lone UTF-16 surrogate. */
const HOSTILE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** The same in `JSON.stringify` output, which escapes both as `\u0000` and `\udxxx` (lowercase): an unescaped backslash before `u`. */
const HOSTILE_JSON = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/;

/**
 * Refuses data whose keys or string values hold U+0000 or a lone surrogate:
 * SQLite compares JSON keys only up to a U+0000 (`role\u0000x` would hit
 * `role`) and reads lone surrogates as U+FFFD, and PostgreSQL's `jsonb` holds
 * neither. One scan of the JSON text the statement sends.
 *
 * @param json the JSON the statement would send
 * @param source the keys (an array) or the object it was made from, to name the culprit
 * @throws {TypeError} naming the first top-level key at fault
 */
function refuseHostile(json: string, source: Record<string, unknown> | readonly string[]): void {
  if (!HOSTILE_JSON.test(json)) return;
  let culprit: string | undefined;
  if (Array.isArray(source)) {
    culprit = source.find((key) => HOSTILE_TEXT.test(key));
  } else {
    const data = source as Record<string, unknown>;
    culprit = Object.keys(data).find((key) => HOSTILE_TEXT.test(key) || HOSTILE_JSON.test(JSON.stringify(data[key]) ?? ""));
  }
  throw new TypeError(
    `KyselyStore cannot store the key ${culprit === undefined ? "(unknown)" : JSON.stringify(culprit)}: ` +
      "session keys and text values must not contain U+0000 or a lone UTF-16 surrogate",
  );
}

/** Adds `key: null` as an own property, `__proto__` included. */
function defineNull(target: Record<string, null>, key: string): void {
  Object.defineProperty(target, key, { value: null, enumerable: true, writable: true, configurable: true });
}

/** The error of a write the database refused because of the JSON it holds or would hold; others as they are. */
function explainJsonError(error: unknown, table: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!/malformed JSON|JSON nested too deep|NOT NULL constraint failed: [^ ]*\bdata\b|null value in column "data"/i.test(message)) {
    return error;
  }
  return new Error(
    `KyselyStore: nothing was written to table "${table}": the session's stored or new data is not a JSON object ` +
      "the database's JSON functions can read (not an object, malformed, or nested deeper than SQLite's 1,000 levels)",
    { cause: error },
  );
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

function isPositive(n: number): boolean {
  return n > 0;
}

function affected(result: { numAffectedRows?: bigint }): number {
  return Number(result.numAffectedRows ?? 0n);
}
