/**
 * The synchronous statement path an embedded SQL dialect can offer
 * `KyselyStore` (internal: not part of the public API).
 *
 * @module
 */
import type { Kysely } from "kysely";

/**
 * Runs SQL on an embedded engine without Kysely's asynchronous executor
 * (acquire, execute, release, result transform): a session read is then one
 * engine call. Offered by the dialect's adapter under {@link SYNC_SQL}; the
 * SQL is the store's own, compiled once.
 */
export interface SyncSql {
  /** Whether statements can run now (no transaction holds the connection). */
  ready(): boolean;
  /** Runs a statement that returns rows; the first row, or `null`/`undefined` when there is none. */
  get(sql: string, parameters: readonly unknown[]): unknown;
  /** Runs a write; the number of rows changed, or a promise of it when the write waits for a group commit. */
  run(sql: string, parameters: readonly unknown[]): number | Promise<number>;
}

/** The adapter property under which a dialect offers its {@link SyncSql}. */
export const SYNC_SQL: unique symbol = Symbol.for("fetch-session.sync-sql");

/**
 * The synchronous path of `db`'s dialect, if it has one.
 *
 * @param db a Kysely instance
 * @returns the path, or `undefined` (every dialect but the embedded one)
 */
export function syncSqlOf(db: Kysely<any>): SyncSql | undefined {
  let adapter: unknown;
  try {
    adapter = db.getExecutor().adapter;
  } catch {
    return undefined;
  }
  const sync = (adapter as { [SYNC_SQL]?: SyncSql } | null | undefined)?.[SYNC_SQL];
  return sync !== undefined && typeof sync.ready === "function" ? sync : undefined;
}
