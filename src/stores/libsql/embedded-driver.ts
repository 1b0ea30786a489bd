/**
 * The Kysely driver for embedded databases (internal).
 *
 * @module
 */
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from "kysely";
import { quoteIdentifier } from "../../util/quote-identifier.ts";
import { EmbeddedConnection } from "./embedded-connection.ts";
import { bindable, openEngine, type EmbeddedEngine, type Engine, type EngineStatement, type RunResult } from "./engine.ts";
import type { SyncSql } from "../sync-sql.ts";
import { GroupCommit } from "./group-commit.ts";
import { Lock } from "./lock.ts";

/** Prepared statements kept; past this many distinct SQL texts the cache starts over. */
const MAX_CACHED_STATEMENTS = 256;

/** A write that can join a group commit: data changes only (schema changes and pragmas run at once). */
const DATA_CHANGE = /^\s*(insert|update|delete|replace)\b/i;

interface Cached {
  statement: EngineStatement;
  reader: boolean;
  /** A data change without `returning`: queued for the group commit when one is on. */
  groupable: boolean;
}

/** Options of {@link EmbeddedDriver}. */
export interface EmbeddedDriverOptions {
  /** A file path or `:memory:`. */
  path: string;
  /** The engine, or `"auto"` for the runtime's fastest. */
  engine: EmbeddedEngine | "auto";
  /** Coalesce concurrent writes into one transaction per event-loop turn. */
  groupCommit: boolean;
}

/**
 * Embedded databases (`file:` and `:memory:`) on one engine connection, each
 * statement prepared once and run synchronously. The one lock orders
 * callers: a connection holds it from its acquisition to its first
 * statement (so a statement issued after a transaction began waits for that
 * transaction), a transaction until it ends. With group commit on, writes
 * outside transactions go through {@link GroupCommit}.
 */
export class EmbeddedDriver implements Driver {
  readonly #options: EmbeddedDriverOptions;
  #engine: Engine | undefined;
  #group: GroupCommit | null = null;
  readonly #statements = new Map<string, Cached>();
  /** Held by a connection until its first statement, and by a transaction until it ends. */
  readonly #lock = new Lock();
  #transaction: EmbeddedConnection | null = null;

  /** @param options the file, the engine and whether to group commits */
  constructor(options: EmbeddedDriverOptions) {
    this.#options = options;
  }

  /**
   * The synchronous path for `KyselyStore`'s statements (see `SyncSql`):
   * usable whenever no one holds the lock, since every statement runs to
   * completion synchronously; writes still go through the group commit.
   */
  readonly sync: SyncSql = {
    ready: () => !this.#lock.locked && this.#engine !== undefined,
    get: (sql, parameters) => this.#prepare(sql).statement.get(bindable(parameters)),
    run: (sql, parameters) => {
      const cached = this.#prepare(sql);
      if (cached.groupable && this.#group !== null) return this.#group.changes(cached.statement, bindable(parameters));
      return changes(cached.statement.run(bindable(parameters)));
    },
  };

  /** The open engine's name (after `init`). */
  get engine(): EmbeddedEngine | undefined {
    return this.#engine?.name;
  }

  async init(): Promise<void> {
    const engine = await openEngine(this.#options.engine, this.#options.path);
    this.#engine = engine;
    if (this.#options.groupCommit) this.#group = new GroupCommit(engine);
  }

  /**
   * Takes the lock in the order callers ask for connections, so that a
   * statement issued after a transaction started waits for it to end. A
   * statement outside a transaction gives the lock back as soon as it has
   * run (or been queued for the group commit), not when Kysely releases the
   * connection, so that writes waiting for their commit do not hold it.
   */
  acquireConnection(): Promise<DatabaseConnection> {
    const connection = new EmbeddedConnection(this);
    if (!this.#lock.locked) {
      void this.#lock.lock();
      connection.holdsLock = true;
      return Promise.resolve(connection);
    }
    return this.#lock.lock().then(() => {
      connection.holdsLock = true;
      return connection;
    });
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const handle = connection as EmbeddedConnection;
    // A transaction is always committed or rolled back first; this is a safety net.
    if (this.#transaction === handle) this.#end("rollback");
    else if (handle.holdsLock) {
      handle.holdsLock = false;
      this.#lock.unlock();
    }
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const handle = connection as EmbeddedConnection;
    if (!handle.holdsLock) await this.#lock.lock();
    handle.holdsLock = false;
    try {
      // Writes queued before the transaction commit first, in their order.
      this.#group?.flush();
      this.#engine!.exec("begin immediate");
    } catch (error) {
      this.#lock.unlock();
      throw error;
    }
    this.#transaction = handle;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#own(connection);
    // A failed commit leaves the transaction open: Kysely rolls it back next, which releases the lock.
    this.#engine!.exec("commit");
    this.#transaction = null;
    this.#lock.unlock();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#own(connection);
    this.#end("rollback");
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.#own(connection);
    this.#engine!.exec(`savepoint ${quoteIdentifier(name)}`);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.#own(connection);
    this.#engine!.exec(`rollback to ${quoteIdentifier(name)}`);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.#own(connection);
    this.#engine!.exec(`release ${quoteIdentifier(name)}`);
  }

  async destroy(): Promise<void> {
    const engine = this.#engine;
    if (engine === undefined) return;
    this.#group?.flush();
    this.#engine = undefined;
    this.#statements.clear();
    engine.close();
  }

  /**
   * Runs a query for a connection handle: at once, or queued for the group
   * commit, or once the lock is free.
   */
  execute<R>(connection: EmbeddedConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    if (connection === this.#transaction) return this.#dispatch<R>(connection, query);
    if (connection.holdsLock) {
      connection.holdsLock = false;
      try {
        return this.#dispatch<R>(connection, query);
      } finally {
        this.#lock.unlock();
      }
    }
    // A further statement on a connection that already gave the lock back.
    if (this.#lock.locked) {
      return this.#lock.lock().then(() => {
        try {
          return this.#dispatch<R>(connection, query);
        } finally {
          this.#lock.unlock();
        }
      });
    }
    return this.#dispatch<R>(connection, query);
  }

  #dispatch<R>(connection: EmbeddedConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    let cached: Cached;
    try {
      cached = this.#prepare(query.sql);
      const parameters = bindable(query.parameters);
      if (cached.reader) return Promise.resolve({ rows: cached.statement.all(parameters) as R[] });
      if (cached.groupable && this.#group !== null && this.#transaction !== connection) {
        return this.#group.run(cached.statement, parameters).then((info) => written<R>(info));
      }
      return Promise.resolve(written<R>(cached.statement.run(parameters)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #prepare(sql: string): Cached {
    const engine = this.#engine;
    if (engine === undefined) throw new Error("The embedded database is closed");
    let cached = this.#statements.get(sql);
    if (cached === undefined) {
      const statement = engine.prepare(sql);
      cached = { statement, reader: statement.reader, groupable: !statement.reader && DATA_CHANGE.test(sql) };
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear();
      this.#statements.set(sql, cached);
    }
    return cached;
  }

  #own(connection: DatabaseConnection): void {
    if (this.#transaction !== connection) throw new Error("This connection holds no transaction");
  }

  #end(sql: "rollback"): void {
    try {
      if (this.#engine?.inTransaction()) this.#engine.exec(sql);
    } finally {
      this.#transaction = null;
      this.#lock.unlock();
    }
  }
}

function changes(info: RunResult): number {
  return Number(info.changes);
}

function written<R>(info: RunResult): QueryResult<R> {
  return { rows: [], numAffectedRows: BigInt(info.changes), insertId: BigInt(info.lastInsertRowid) };
}
