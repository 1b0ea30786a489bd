/**
 * libSQL for Kysely, and the embedded default session store.
 *
 * `LibsqlDialect` is a small Kysely dialect over `@libsql/client` (embedded
 * `file:`/`:memory:` databases, or a remote `libsql://`, `http(s)://`,
 * `ws(s)://` server). `createLibsqlStore` returns a ready `KyselyStore`;
 * `createDefaultStore` is what `withSession` uses when given no store.
 *
 * Node, Bun and Deno only: the embedded client loads native code. On
 * Cloudflare Workers use D1 (or a remote URL through `@libsql/client/web`).
 *
 * @example
 * ```ts
 * import { withSession } from "fetch-session";
 * import { createLibsqlStore } from "fetch-session/libsql";
 *
 * const store = await createLibsqlStore({ url: "file:sessions.db" });
 * const app = withSession(handler, { store });
 * ```
 *
 * @module
 */
import { createClient, type Client, type InValue, type Transaction } from "@libsql/client";
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from "kysely";
import Database from "libsql";
import { readEnv } from "../util/env.ts";
import { parseDatabaseUrl } from "../util/file-url.ts";
import { quoteIdentifier } from "../util/quote-identifier.ts";
import { KyselyStore } from "./kysely-store.ts";

/** Options for {@link LibsqlDialect}: a client you made, or a URL to make one from. */
export type LibsqlDialectConfig =
  | {
      /** A client from `@libsql/client` (or `@libsql/client/web`); the dialect does not close it. */
      client: Client;
    }
  | {
      /** `file:path.db`, `:memory:`, `libsql://…`, `http(s)://…` or `ws(s)://…`. */
      url: string;
      /** The token for a remote server (Turso, `sqld --auth-jwt-key`). */
      authToken?: string;
    };

/**
 * A Kysely dialect over `@libsql/client` 0.18+, for Node, Bun and Deno
 * (embedded files and `:memory:`) and any runtime with `fetch` (remote URLs,
 * with a client from `@libsql/client/web`).
 *
 * A `{ url }` of an embedded database (`file:` or `:memory:`) runs on the
 * native `libsql` engine directly (the one `@libsql/client` wraps), on one
 * connection with each statement prepared once: about twice the throughput
 * of going through the client, which prepares every statement on every call.
 * Remote URLs and a `{ client }` you pass go through `@libsql/client`; there,
 * Kysely transactions use the client's `transaction()`, so they also work on
 * remote servers.
 *
 * @example
 * ```ts
 * import { Kysely } from "kysely";
 * import { LibsqlDialect } from "fetch-session/libsql";
 *
 * const db = new Kysely<any>({ dialect: new LibsqlDialect({ url: "file:app.db" }) });
 * ```
 */
export class LibsqlDialect implements Dialect {
  readonly #config: LibsqlDialectConfig;

  /**
   * @param config `{ client }` or `{ url, authToken? }`
   * @throws {TypeError} when neither a client nor a URL string is given
   */
  constructor(config: LibsqlDialectConfig) {
    if (config === null || typeof config !== "object" || !("client" in config || typeof config.url === "string")) {
      throw new TypeError(`LibsqlDialect needs { client } or { url }: received ${String(config)}`);
    }
    this.#config = Object.freeze({ ...config });
  }

  /** @returns Kysely's SQLite adapter */
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  /** @returns a driver over the configured client */
  createDriver(): Driver {
    const config = this.#config;
    if ("client" in config) return new LibsqlDriver(config.client, false);
    if (isLocal(config.url)) return new NativeLibsqlDriver(localPath(config.url));
    return new LibsqlDriver(openClient(config.url, config.authToken), true);
  }

  /** @returns Kysely's SQLite compiler */
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  /** @returns Kysely's SQLite introspector */
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class LibsqlDriver implements Driver {
  readonly #client: Client;
  readonly #ownsClient: boolean;
  readonly #mutex: Mutex | null;

  constructor(client: Client, ownsClient: boolean) {
    this.#client = client;
    this.#ownsClient = ownsClient;
    // An embedded client executes synchronously on its connection(s); one at
    // a time lets a transaction hold the connection while others wait.
    this.#mutex = client.protocol === "file" ? new Mutex() : null;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#mutex) await this.#mutex.lock();
    return new LibsqlConnection(this.#client);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as LibsqlConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as LibsqlConnection).end(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as LibsqlConnection).end(false);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteIdentifier(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await (connection as LibsqlConnection).end(false);
    this.#mutex?.unlock();
  }

  async destroy(): Promise<void> {
    if (this.#ownsClient) this.#client.close();
  }
}

class LibsqlConnection implements DatabaseConnection {
  readonly #client: Client;
  #transaction: Transaction | null = null;

  constructor(client: Client) {
    this.#client = client;
  }

  async begin(): Promise<void> {
    this.#transaction = await this.#client.transaction("write");
  }

  /** Commits or rolls back the open transaction, if any. */
  async end(commit: boolean): Promise<void> {
    const transaction = this.#transaction;
    if (transaction === null) return;
    this.#transaction = null;
    try {
      if (commit) await transaction.commit();
      else await transaction.rollback();
    } finally {
      transaction.close();
    }
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const target = this.#transaction ?? this.#client;
    const result = await target.execute({ sql: query.sql, args: query.parameters as InValue[] });
    return {
      rows: result.rows as unknown as R[],
      numAffectedRows: BigInt(result.rowsAffected),
      insertId: result.lastInsertRowid,
    };
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}

/** How long a statement waits for another process's lock on the file, in milliseconds. */
const BUSY_TIMEOUT_MS = 5000;

/** Prepared statements kept per connection; past this many distinct SQL texts the cache starts over. */
const MAX_CACHED_STATEMENTS = 256;

/**
 * Embedded databases (`file:` and `:memory:`) through the native `libsql`
 * engine that `@libsql/client` itself wraps, with each statement prepared
 * once and reused. The client prepares every statement on every call and
 * rebuilds every row; on a session read that was 60-80% of the CPU
 * (bench/PROFILE.md), and going direct roughly doubles reads and writes.
 *
 * One connection; statements run synchronously, so the lock is free whenever
 * no transaction holds it and costs no promise then.
 */
class NativeLibsqlDriver implements Driver {
  readonly #path: string;
  #connection: NativeLibsqlConnection | undefined;
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  constructor(path: string) {
    this.#path = path;
  }

  async init(): Promise<void> {
    // A busy timeout from the first statement on, so that opening a file another process is writing waits.
    this.#connection = new NativeLibsqlConnection(new Database(this.#path, { timeout: BUSY_TIMEOUT_MS }));
  }

  acquireConnection(): Promise<DatabaseConnection> {
    const connection = this.#connection!;
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(connection);
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve)).then(() => connection);
  }

  async releaseConnection(): Promise<void> {
    const next = this.#waiters.shift();
    if (next === undefined) this.#locked = false;
    else next(); // hand the lock over without releasing it
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as NativeLibsqlConnection).exec("begin immediate");
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as NativeLibsqlConnection).exec("commit");
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as NativeLibsqlConnection).exec("rollback");
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as NativeLibsqlConnection).exec(`savepoint ${quoteIdentifier(name)}`);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as NativeLibsqlConnection).exec(`rollback to ${quoteIdentifier(name)}`);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as NativeLibsqlConnection).exec(`release ${quoteIdentifier(name)}`);
  }

  async destroy(): Promise<void> {
    this.#connection?.close();
    this.#connection = undefined;
  }
}

interface CachedStatement {
  statement: Database.Statement;
  reader: boolean;
}

class NativeLibsqlConnection implements DatabaseConnection {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, CachedStatement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  #prepare(sql: string): CachedStatement {
    let cached = this.#statements.get(sql);
    if (cached === undefined) {
      const statement = this.#db.prepare(sql);
      cached = { statement, reader: statement.reader };
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear();
      this.#statements.set(sql, cached);
    }
    return cached;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { statement, reader } = this.#prepare(query.sql);
    const parameters = bindable(query.parameters);
    if (reader) return { rows: statement.all(parameters) as R[] };
    const info = statement.run(parameters);
    return { rows: [], numAffectedRows: BigInt(info.changes), insertId: BigInt(info.lastInsertRowid) };
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}

/** SQLite has no booleans: bind them as 1 and 0, as `@libsql/client` does. */
function bindable(parameters: readonly unknown[]): unknown[] {
  for (let i = 0; i < parameters.length; i++) {
    if (typeof parameters[i] === "boolean") return parameters.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
  }
  return parameters as unknown[];
}

/** The file path of a local URL (`file:a.db`, `file:///abs/a.db`, a bare path), URL-decoded like the CLI's; `:memory:` for memory. */
function localPath(url: string): string {
  const location = parseDatabaseUrl(url);
  return location.kind === "file" ? location.path : ":memory:";
}

class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void)[] = [];

  async lock(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((resolve) => (release = resolve));
    await previous;
    this.#release.push(release);
  }

  unlock(): void {
    this.#release.shift()?.();
  }
}

/** Options for {@link createLibsqlStore} and {@link openLibsqlDatabase}. */
export interface LibsqlStoreOptions {
  /**
   * `file:path.db` (a bare path is taken as one), `:memory:`, or a remote
   * `libsql://`, `http(s)://`, `ws(s)://` URL.
   */
  url: string;
  /** The token for a remote server. */
  authToken?: string;
  /**
   * The sessions table.
   * @default "sessions"
   */
  table?: string;
}

/**
 * Opens a libSQL database as a Kysely instance. For `file:` databases it
 * turns on WAL (`journal_mode=WAL`, persistent), `synchronous=NORMAL` and a
 * 5 s busy timeout, so that several processes can share the file and writes
 * stay fast.
 *
 * @param options the URL and, for a remote server, the token
 * @returns the Kysely instance; `await db.destroy()` closes it
 * @throws {TypeError} when `url` is not a string
 * @throws the client's error (`LibsqlError`) when the database cannot be opened
 * @example
 * ```ts
 * const db = await openLibsqlDatabase({ url: "file:sessions.db" });
 * ```
 */
export async function openLibsqlDatabase(options: Omit<LibsqlStoreOptions, "table">): Promise<Kysely<any>> {
  if (options === null || typeof options !== "object" || typeof options.url !== "string") {
    throw new TypeError(`libSQL options need a url string: received ${String(options?.url ?? options)}`);
  }
  const { url, authToken } = options;
  const db = new Kysely<any>({ dialect: new LibsqlDialect(authToken === undefined ? { url } : { url, authToken }) });
  if (isLocal(url) && !isMemory(url)) {
    try {
      await db.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`));
      await db.executeQuery(CompiledQuery.raw("pragma journal_mode = wal"));
      await db.executeQuery(CompiledQuery.raw("pragma synchronous = normal"));
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  return db;
}

/**
 * Opens (or creates) a libSQL database and returns a `KyselyStore` on it
 * with the sessions table created.
 *
 * @param options the URL, the token for a remote server, and the table name
 * @returns a ready store; `await store.db.destroy()` closes the database
 * @throws {TypeError} when `url` is not a string
 * @throws {RangeError} when `table` is not a plain identifier
 * @throws the client's error (`LibsqlError`) when the database cannot be opened or the table created
 * @example
 * ```ts
 * import { withSession } from "fetch-session";
 * import { createLibsqlStore } from "fetch-session/libsql";
 *
 * const store = await createLibsqlStore({ url: process.env.TURSO_URL!, authToken: process.env.TURSO_TOKEN });
 * export default withSession(handler, { store });
 * ```
 */
export async function createLibsqlStore(options: LibsqlStoreOptions): Promise<KyselyStore> {
  const db = await openLibsqlDatabase(options);
  try {
    const store = new KyselyStore({ db, table: options.table ?? "sessions", dialect: "sqlite" });
    await store.createSchema();
    return store;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/**
 * The store `withSession` uses when given none: libSQL at the
 * `SESSION_DATABASE_URL` environment variable (with
 * `SESSION_DATABASE_AUTH_TOKEN` for a remote server), or `file:sessions.db`
 * in the working directory. Reads the environment in Node, Bun and Deno (on
 * a Deno without env access it throws an error naming `--allow-env`).
 *
 * @returns a ready store
 * @throws the client's error when the database cannot be opened
 * @example
 * ```ts
 * const store = await createDefaultStore(); // SESSION_DATABASE_URL=file:/var/lib/app/sessions.db
 * ```
 */
export async function createDefaultStore(): Promise<KyselyStore> {
  const url = readEnv("SESSION_DATABASE_URL") || "file:sessions.db";
  const authToken = readEnv("SESSION_DATABASE_AUTH_TOKEN") || undefined;
  return await createLibsqlStore(authToken === undefined ? { url } : { url, authToken });
}

function isMemory(url: string): boolean {
  return parseDatabaseUrl(url).kind === "memory";
}

function isLocal(url: string): boolean {
  return parseDatabaseUrl(url).kind !== "remote";
}

function openClient(url: string, authToken?: string): Client {
  const local = isLocal(url);
  const normalized = isMemory(url) ? ":memory:" : local && !url.startsWith("file:") ? `file:${url}` : url;
  // One connection for embedded databases: statements run synchronously, and
  // per-connection pragmas (synchronous, busy_timeout) then apply to all.
  return createClient(
    local ? { url: normalized, concurrency: 1, timeout: 5000 } : authToken === undefined ? { url } : { url, authToken },
  );
}
