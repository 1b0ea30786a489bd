/**
 * A connection handle of the embedded driver (internal).
 *
 * @module
 */
import type { CompiledQuery, DatabaseConnection, QueryResult } from "kysely";
import type { EmbeddedDriver } from "./embedded-driver.ts";

/**
 * What Kysely holds between acquiring and releasing a connection. The
 * embedded driver has one engine connection; a handle only says who is
 * asking, so that the driver can run a transaction's statements in it and
 * make everyone else's wait until it ends.
 */
export class EmbeddedConnection implements DatabaseConnection {
  readonly #driver: EmbeddedDriver;
  /** Whether this handle holds the driver's lock (from acquiring it until its first statement, or until released). */
  holdsLock = false;

  /** @param driver the driver that runs the statements */
  constructor(driver: EmbeddedDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute<R>(this, query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}
