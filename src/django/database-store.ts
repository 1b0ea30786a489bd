/**
 * `djangoDatabaseStore`: sessions in Django's own `django_session` table,
 * shared row for row with `django.contrib.sessions.backends.db`.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { SessionDataTooLargeError } from "../errors.ts";
import { TimestampSigner } from "../signing.ts";
import type { SessionPatch, SessionRecord, SessionStore } from "../store.ts";
import { parseJson } from "../util/json.ts";
import { checkTableName, compiled, detectSqlFamily, quoteIdentifier, type SqlFamily } from "../stores/schema.ts";
import { djangoSecrets } from "./cookie-store.ts";
import { djangoJson } from "./json.ts";
import { fromDjango, toDjango } from "./names.ts";

/** Options of {@linkcode djangoDatabaseStore}. */
export interface DjangoDatabaseStoreOptions {
  /** The Django project's database (SQLite, libSQL or PostgreSQL) through Kysely. */
  db: Kysely<any>;
  /** Django's `SECRET_KEY`: `session_data` is signed with it (at least 32 bytes of UTF-8). */
  secretKey: string;
  /** Django's `SECRET_KEY_FALLBACKS` (Django 4.1+): older keys that still verify, tried in order. */
  fallbackKeys?: readonly string[];
  /**
   * The session table (`Session._meta.db_table`).
   *
   * @default "django_session"
   */
  table?: string;
  /**
   * The salt of `session_data`: Django signs it with
   * `"django.contrib.sessions." + SessionStore.__qualname__`. A project whose
   * `SESSION_ENGINE` is its own subclass of the database `SessionStore`
   * (say `class CustomStore(SessionStore)`) must pass
   * `"django.contrib.sessions.CustomStore"`.
   *
   * @default "django.contrib.sessions.SessionStore"
   */
  salt?: string;
  /**
   * The SQL family, for a third-party dialect that detection gets wrong.
   *
   * @default detected from how `db` compiles a parameter
   */
  dialect?: SqlFamily;
  /**
   * The clock, in milliseconds since the epoch (inject it in tests).
   *
   * @default Date.now
   */
  now?: () => number;
}

/** The salt of Django's database backend (`"django.contrib.sessions." + SessionStore.__qualname__`). */
export const DJANGO_DATABASE_SALT = "django.contrib.sessions.SessionStore";

/** How often `update` re-reads a row that a concurrent writer changed under it before giving up. */
const MAX_UPDATE_ATTEMPTS = 64;
/** Rows read per statement by `deleteWhere`. */
const SCAN_BATCH = 500;

const ids = {
  load: Object.freeze({ queryId: "fetch-session:django:load" }),
  create: Object.freeze({ queryId: "fetch-session:django:create" }),
  update: Object.freeze({ queryId: "fetch-session:django:update" }),
  touch: Object.freeze({ queryId: "fetch-session:django:touch" }),
  delete: Object.freeze({ queryId: "fetch-session:django:delete" }),
  clear: Object.freeze({ queryId: "fetch-session:django:clear-expired" }),
  scan: Object.freeze({ queryId: "fetch-session:django:scan" }),
};

interface Row {
  session_data: unknown;
  expire_date: unknown;
}

/**
 * Opens Django's `django_session` table as a session store, so that a JS
 * route and the Django site share one login: a session Django created is
 * read here, and a session saved here is read by Django.
 *
 * The table is Django's, created by `manage.py migrate`:
 * `session_key varchar(40) primary key, session_data text, expire_date`
 * (`datetime` holding naive UTC text on SQLite, which needs `USE_TZ = True`,
 * Django's default since `startproject` writes it; `timestamp with time zone`
 * on PostgreSQL). `session_data` is `signing.dumps(dict, salt=..., compress=True)`
 * under Django's `SECRET_KEY`, in Django's JSON; a row whose signature does
 * not verify loads as an empty session, as in Django.
 *
 * **This is the one store that keeps session keys in clear.** Every other
 * store names a row by the SHA-256 of its key, so a leaked table gives no
 * usable session. Django looks rows up by the plain key, and a shared table
 * must be readable by both, so here a leaked `django_session` table (or
 * backup) is a list of live sessions, as it is for Django itself.
 *
 * A row whose `session_data` does not verify under the keys and salt given
 * (or is not a JSON object) loads as an empty session with a warning, as in
 * Django; unlike Django, a save on top of it is refused (the update rejects and
 * the request fails) rather than replacing it, so a JS service configured with
 * the wrong secret cannot wipe the Django site's sessions.
 *
 * Saves are no worse than Django's, which rewrites the whole row: each
 * `update` reads the row, applies the changed keys, and writes it back only if
 * `session_data` is still what it read (retrying otherwise), so concurrent
 * saves of different keys from JS both keep their change; a save never
 * re-creates a row deleted meanwhile (logout) or past `expire_date`.
 * `deleteWhere` (used by `revokeSessions`) must verify and decode every live
 * row: it is a full scan.
 *
 * @param options the database, Django's secret key(s), and the table and salt if not Django's defaults
 * @returns the store, for `withSession({ store })` or `openSession`
 * @throws {TypeError} when `db` is not a Kysely instance, or an option has the wrong type
 * @throws {RangeError} when a key is shorter than 32 bytes, or `table` is not a plain identifier
 * @example
 * ```ts
 * import { Kysely, SqliteDialect } from "kysely";
 * import Database from "libsql";
 * import { withSession } from "fetch-session";
 * import { djangoDatabaseStore } from "fetch-session/django";
 *
 * const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database("/srv/mysite/db.sqlite3") }) });
 * const app = withSession(handler, { store: djangoDatabaseStore({ db, secretKey: process.env.DJANGO_SECRET_KEY! }) });
 * ```
 */
export function djangoDatabaseStore(options: DjangoDatabaseStoreOptions): DjangoDatabaseStore {
  return new DjangoDatabaseStore(options);
}

/** The store {@linkcode djangoDatabaseStore} returns. */
export class DjangoDatabaseStore implements SessionStore {
  readonly #db: Kysely<any>;
  readonly #family: SqlFamily;
  readonly #signer: TimestampSigner;
  readonly #now: () => number;
  readonly #sql: Record<keyof typeof ids, string>;

  /** @param options as {@linkcode djangoDatabaseStore} takes them */
  constructor(options: DjangoDatabaseStoreOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`djangoDatabaseStore() needs an options object with db and secretKey: received ${options === null ? "null" : typeof options}`);
    }
    const { db, table = "django_session", salt = DJANGO_DATABASE_SALT, dialect, now = Date.now } = options;
    if (db === null || typeof db !== "object" || typeof db.executeQuery !== "function") {
      throw new TypeError(`djangoDatabaseStore() option db must be a Kysely instance: received ${db === null ? "null" : typeof db}`);
    }
    const secrets = djangoSecrets("djangoDatabaseStore", options.secretKey, options.fallbackKeys);
    if (typeof salt !== "string") throw new TypeError(`djangoDatabaseStore() option salt must be a string: received ${typeof salt}`);
    if (dialect !== undefined && dialect !== "sqlite" && dialect !== "postgres") {
      throw new RangeError(`djangoDatabaseStore() option dialect must be "sqlite" or "postgres": received ${String(dialect)}`);
    }
    if (typeof now !== "function") throw new TypeError(`djangoDatabaseStore() option now must be a function: received ${typeof now}`);
    this.#db = typeof db.withoutPlugins === "function" ? db.withoutPlugins() : db;
    this.#family = dialect ?? detectSqlFamily(this.#db);
    this.#now = now;
    this.#signer = new TimestampSigner({ secret: secrets, salt, compressWhen: "django", payloadEncoding: "latin1", now });
    this.#sql = statements(this.#family, quoteIdentifier(checkTableName(table)));
  }

  /** The Kysely instance (without plugins) the store runs on. */
  get db(): Kysely<any> {
    return this.#db;
  }

  /**
   * Django looks rows up by the plain session key, so the row id is the key
   * itself (every other store uses its SHA-256).
   *
   * @param key a session key
   * @returns the same key
   */
  idOf(key: string): string {
    return key;
  }

  /**
   * The live row of `id` (its `expire_date` ahead of now), decoded.
   *
   * @param id the session key
   * @returns the record, or `null` when there is none or it has expired
   */
  async load(id: string): Promise<SessionRecord | null> {
    const row = await this.#read(id, this.#now());
    if (row === null) return null;
    return { data: fromDjango(row.data), expiresAt: row.expiresAt };
  }

  /**
   * Inserts a row; a row of the same key past its `expire_date` is replaced.
   *
   * @param id the session key
   * @param record the data and expiry
   * @returns `false` (writing nothing) when a live row has this key
   */
  async create(id: string, record: SessionRecord): Promise<boolean> {
    const now = this.#now();
    const token = await this.#signer.sign(djangoJson(toDjango(record.data, now)));
    const result = await this.#run(this.#sql.create, [id, token, this.#date(record.expiresAt), this.#date(now)], ids.create);
    return affected(result) > 0;
  }

  /**
   * Applies a patch: reads the live row, changes the patched keys, and writes
   * it back if nobody changed it meanwhile (else reads it again).
   *
   * @param id the session key
   * @param patch the changes, the new expiry, and possibly a size limit
   * @returns `false` when the row is gone or expired (it is not re-created)
   * @throws {SessionDataTooLargeError} when `patch.maxBytes` is given and the new data (Django's JSON) would pass it and be larger than before
   */
  async update(id: string, patch: SessionPatch): Promise<boolean> {
    const setKeys = Object.keys(patch.set);
    if (setKeys.length === 0 && patch.unset.length === 0) {
      const now = this.#now();
      return affected(await this.#run(this.#sql.touch, [this.#date(patch.expiresAt), id, this.#date(now)], ids.touch)) > 0;
    }
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const now = this.#now();
      const row = await this.#read(id, now);
      if (row === null) return false;
      if (row.payload === null || row.corrupt) {
        // Django would overwrite it; a wrong secretKey on the JS side must not wipe Django's sessions.
        throw new Error(
          `djangoDatabaseStore: the session holds data this store cannot verify or read (another SECRET_KEY or salt?); it is left untouched`,
        );
      }
      const data = fromDjango(row.data);
      for (const key of patch.unset) delete data[key];
      for (const key of setKeys) {
        Object.defineProperty(data, key, { value: patch.set[key], enumerable: true, writable: true, configurable: true });
      }
      const json = djangoJson(toDjango(data, now));
      const max = patch.maxBytes;
      // Django's JSON is ASCII: its length is its size in bytes.
      if (max !== undefined && json.length > max && json.length > (row.payload?.length ?? 0)) {
        throw new SessionDataTooLargeError(max, json.length);
      }
      const token = await this.#signer.sign(json);
      const params = [token, this.#date(patch.expiresAt), id, row.token, this.#date(now)];
      if (affected(await this.#run(this.#sql.update, params, ids.update)) > 0) return true;
    }
    throw new Error(`djangoDatabaseStore: the session row kept changing under ${MAX_UPDATE_ATTEMPTS} attempts to update it`);
  }

  /**
   * Deletes the row; a missing one is not an error.
   *
   * @param id the session key
   */
  async delete(id: string): Promise<void> {
    await this.#run(this.#sql.delete, [id], ids.delete);
  }

  /**
   * Deletes every row whose `expire_date` has passed (Django's `clearsessions`).
   *
   * @returns how many rows were deleted
   */
  async clearExpired(): Promise<number> {
    return affected(await this.#run(this.#sql.clear, [this.#date(this.#now())], ids.clear));
  }

  /**
   * Deletes every live session whose top-level `field` equals `value` (same
   * JSON type), except the row `exceptId`. `session_data` is signed and often
   * compressed, so the database cannot match it: every live row is read,
   * verified and decoded, `SCAN_BATCH` at a time.
   *
   * @param field a top-level key, in fetch-session's names (`_auth_user_id` is Django's and the same on both sides)
   * @param value a string, finite number or boolean
   * @param exceptId a session key to keep
   * @returns how many sessions were deleted
   */
  async deleteWhere(field: string, value: string | number | boolean, exceptId?: string): Promise<number> {
    if (typeof field !== "string") throw new TypeError(`deleteWhere() field must be a string: received ${typeof field}`);
    const kind = typeof value;
    if (kind !== "string" && kind !== "boolean" && !(kind === "number" && Number.isFinite(value))) {
      throw new TypeError(`deleteWhere() value must be a string, a finite number or a boolean: received ${String(value)}`);
    }
    const now = this.#date(this.#now());
    let after = "";
    let deleted = 0;
    for (;;) {
      const result = await this.#run<{ session_key: string; session_data: unknown }>(this.#sql.scan, [after, now, SCAN_BATCH], ids.scan);
      for (const row of result.rows) {
        if (row.session_key === exceptId) continue;
        const data = await this.#decode(row.session_data);
        if (data === null || !Object.hasOwn(data, field)) continue;
        if (fromDjango(data)[field] !== value) continue;
        deleted += affected(await this.#run(this.#sql.delete, [row.session_key], ids.delete));
      }
      if (result.rows.length < SCAN_BATCH) return deleted;
      after = result.rows[result.rows.length - 1]!.session_key;
    }
  }

  /** The live row: its token, payload text, decoded dict (Django's names) and expiry. */
  async #read(id: string, now: number): Promise<{ token: unknown; payload: string | null; data: Record<string, unknown>; corrupt: boolean; expiresAt: number } | null> {
    const result = await this.#run<Row>(this.#sql.load, [id, this.#date(now)], ids.load);
    const row = result.rows[0];
    if (row === undefined) return null;
    const expiresAt = parseDate(row.expire_date);
    const payload = typeof row.session_data === "string" ? await this.#signer.unsign(row.session_data) : null;
    const data = payload === null ? null : parseObject(payload);
    if (data === null) {
      console.warn(`fetch-session: Session data corrupted in a django_session row: it loads as an empty session`);
    }
    return { token: row.session_data, payload, data: data ?? {}, corrupt: data === null, expiresAt };
  }

  /** A `session_data` value as Django's dict, or `null` when it does not verify or is not a JSON object. */
  async #decode(raw: unknown): Promise<Record<string, unknown> | null> {
    if (typeof raw !== "string") return null;
    const payload = await this.#signer.unsign(raw);
    return payload === null ? null : parseObject(payload);
  }

  /** A moment as the column takes it: naive UTC text on SQLite (Django's format), ISO 8601 with `Z` for PostgreSQL. */
  #date(ms: number): string {
    return this.#family === "postgres" ? new Date(ms).toISOString() : naiveUtc(ms);
  }

  #run<R = Record<string, unknown>>(sql: string, params: unknown[], queryId: { readonly queryId: string }) {
    return this.#db.executeQuery(compiled(sql, params, queryId)) as Promise<{ rows: R[]; numAffectedRows?: bigint }>;
  }
}

function statements(family: SqlFamily, t: string): Record<keyof typeof ids, string> {
  // Every parameter appears once and in order, so SQLite drivers that only bind plain `?` work.
  const p = family === "postgres" ? (n: number) => `$${n}` : (_n: number) => "?";
  return {
    load: `select session_data, expire_date from ${t} where session_key = ${p(1)} and expire_date > ${p(2)}`,
    create:
      `insert into ${t} (session_key, session_data, expire_date) values (${p(1)}, ${p(2)}, ${p(3)}) ` +
      `on conflict (session_key) do update set session_data = excluded.session_data, expire_date = excluded.expire_date ` +
      `where ${t}.expire_date <= ${p(4)}`,
    update:
      `update ${t} set session_data = ${p(1)}, expire_date = ${p(2)} ` +
      `where session_key = ${p(3)} and session_data = ${p(4)} and expire_date > ${p(5)}`,
    touch: `update ${t} set expire_date = ${p(1)} where session_key = ${p(2)} and expire_date > ${p(3)}`,
    delete: `delete from ${t} where session_key = ${p(1)}`,
    clear: `delete from ${t} where expire_date <= ${p(1)}`,
    scan:
      `select session_key, session_data from ${t} where session_key > ${p(1)} and expire_date > ${p(2)} ` +
      `order by session_key limit ${p(3)}`,
  };
}

function affected(result: { numAffectedRows?: bigint }): number {
  return Number(result.numAffectedRows ?? 0n);
}

function parseObject(payload: string): Record<string, unknown> | null {
  try {
    const value: unknown = parseJson(payload);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * A moment as Python's `str(datetime)` of the naive UTC datetime, which is
 * how Django stores a `DateTimeField` on SQLite with `USE_TZ = True`:
 * `YYYY-MM-DD HH:MM:SS.ffffff`, the fraction left out when it is zero.
 *
 * @param ms milliseconds since the epoch
 * @returns the text
 */
export function naiveUtc(ms: number): string {
  const d = new Date(ms);
  const base =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const micro = d.getUTCMilliseconds() * 1000;
  return micro === 0 ? base : `${base}.${pad(micro, 6)}`;
}

const DATE_TEXT = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/**
 * An `expire_date` as the driver returns it: a `Date` (node-postgres), naive
 * UTC text (SQLite), or text with an offset (PostgreSQL drivers that return
 * strings). Unreadable values are treated as already expired.
 */
function parseDate(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== "string") return 0;
  const m = DATE_TEXT.exec(value.trim());
  if (m === null) return 0;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0);
  const zone = m[8];
  if (zone === undefined || zone.toUpperCase() === "Z") return ms;
  const sign = zone[0] === "-" ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0")) * 60_000;
  return ms - sign * offset;
}
