/**
 * A connection of the `@libsql/client` driver (internal).
 *
 * @module
 */
import type { Client, InValue, Transaction } from "@libsql/client";
import type { CompiledQuery, DatabaseConnection, QueryResult } from "kysely";

/** Statements on a client, or inside the client transaction this connection began. */
export class ClientConnection implements DatabaseConnection {
  readonly #client: Client;
  #transaction: Transaction | null = null;

  /** @param client the client the statements run on */
  constructor(client: Client) {
    this.#client = client;
  }

  /** Begins a write transaction. */
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
