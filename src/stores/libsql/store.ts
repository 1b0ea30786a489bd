/**
 * `openLibsqlDatabase` and `createLibsqlStore`: a session database and store
 * on libSQL or an embedded SQLite engine.
 *
 * @module
 */
import { CompiledQuery, Kysely } from "kysely";
import { parseDatabaseUrl } from "../../util/file-url.ts";
import { KyselyStore } from "../kysely-store.ts";
import { BUSY_TIMEOUT_MS, type EmbeddedEngine } from "./engine.ts";
import { LibsqlDialect } from "./libsql-dialect.ts";

/** How much of a database file is memory-mapped (128 MiB, as Rails configures SQLite). */
const MMAP_SIZE = 134_217_728;

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
  /**
   * The engine for an embedded database: `"auto"` takes the fastest one the
   * runtime has (`bun:sqlite` on Bun, `node:sqlite` on Node 22.16+ and Deno,
   * `libsql` elsewhere); all of them share the same file format, so
   * processes on different engines can share one file.
   * @default "auto"
   */
  engine?: EmbeddedEngine | "auto";
  /**
   * Embedded databases only: concurrent writes from different requests are
   * committed together, one `begin immediate ... commit` per event-loop
   * turn; each request still waits for the commit that carries its write,
   * and a failing write fails only its own request.
   * @default true
   */
  groupCommit?: boolean;
}

/**
 * Opens a libSQL database as a Kysely instance. For `file:` databases it
 * turns on WAL (`journal_mode=WAL`, persistent), `synchronous=NORMAL`, a
 * 5 s busy timeout and memory-mapped reads of up to 128 MiB
 * (`mmap_size`), so that several processes can share the file and reads
 * and writes stay fast.
 *
 * @param options the URL and, for a remote server, the token; the engine and group commit for a file
 * @returns the Kysely instance; `await db.destroy()` closes it
 * @throws {TypeError} when `url` is not a string or is malformed
 * @throws the engine's or client's error (`LibsqlError`) when the database cannot be opened
 * @example
 * ```ts
 * const db = await openLibsqlDatabase({ url: "file:sessions.db" });
 * ```
 */
export async function openLibsqlDatabase(options: Omit<LibsqlStoreOptions, "table">): Promise<Kysely<any>> {
  if (options === null || typeof options !== "object" || typeof options.url !== "string") {
    throw new TypeError(`libSQL options need a url string: received ${String(options?.url ?? options)}`);
  }
  const { url, authToken, engine = "auto", groupCommit = true } = options;
  const location = parseDatabaseUrl(url);
  const dialect =
    location.kind === "remote"
      ? new LibsqlDialect(authToken === undefined ? { url } : { url, authToken })
      : new LibsqlDialect({ url, engine, groupCommit });
  const db = new Kysely<any>({ dialect });
  if (location.kind === "file") {
    try {
      await atOpen(db, `pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
      await atOpen(db, "pragma journal_mode = wal");
      await atOpen(db, "pragma synchronous = normal");
      // Reads from the OS page cache without a read() per page: with 1,000,000 rows, reads kept 0.85 of
      // their 1,000-row throughput instead of 0.73 (bench/RESULTS.md). Address space, not memory; a
      // build without memory-mapped I/O ignores it.
      await atOpen(db, `pragma mmap_size = ${MMAP_SIZE}`);
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  return db;
}

/** An engine's error for a file another connection holds: SQLITE_BUSY (bun:sqlite and libsql give the code, node:sqlite the message). */
function isBusy(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === "SQLITE_BUSY" || /database is locked|SQLITE_BUSY/.test(String(e?.message ?? ""));
}

/**
 * Runs one of the settings a file gets when it is opened, retrying for up to
 * the busy timeout while another process holds the file. SQLite answers some
 * of these at once with SQLITE_BUSY instead of waiting (a process opening the
 * file while another closes it and removes its WAL); two server processes
 * starting on one file hit it.
 */
async function atOpen(db: Kysely<any>, sql: string): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      await db.executeQuery(CompiledQuery.raw(sql));
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() + wait > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Opens (or creates) a libSQL database and returns a `KyselyStore` on it
 * with the sessions table created.
 *
 * @param options the URL, the token for a remote server, the table name, and for a file the engine and group commit
 * @returns a ready store; `await store.db.destroy()` closes the database
 * @throws {TypeError} when `url` is not a string
 * @throws {RangeError} when `table` is not a plain identifier
 * @throws the engine's or client's error (`LibsqlError`) when the database cannot be opened or the table created
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
