/**
 * The Kysely driver over `@libsql/client` (internal).
 *
 * @module
 */
import type { Client } from "@libsql/client";
import { CompiledQuery, type DatabaseConnection, type Driver } from "kysely";
import { quoteIdentifier } from "../../util/quote-identifier.ts";
import { ClientConnection } from "./client-connection.ts";
import { Lock } from "./lock.ts";

/**
 * Statements through a `@libsql/client` client: one you passed (kept open
 * when the driver is destroyed), or one the driver opened for a remote URL
 * (`libsql://`, `http(s)://`, `ws(s)://`; closed with the driver).
 * Transactions use the client's `transaction("write")`, so they work on
 * remote servers too. An embedded client (`protocol === "file"`) runs one
 * statement at a time on its connection, so there the lock makes a
 * transaction hold it while other statements wait.
 */
export class ClientDriver implements Driver {
  readonly #open: () => Promise<Client>;
  readonly #owned: boolean;
  #client: Client | undefined;
  #lock: Lock | null = null;

  /**
   * @param open returns the client (called once, by `init`)
   * @param owned whether `destroy` closes the client
   */
  constructor(open: () => Promise<Client>, owned: boolean) {
    this.#open = open;
    this.#owned = owned;
  }

  async init(): Promise<void> {
    const client = await this.#open();
    this.#client = client;
    this.#lock = client.protocol === "file" ? new Lock() : null;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#lock !== null) await this.#lock.lock();
    return new ClientConnection(this.#client!);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ClientConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ClientConnection).end(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ClientConnection).end(false);
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
    await (connection as ClientConnection).end(false);
    this.#lock?.unlock();
  }

  async destroy(): Promise<void> {
    if (this.#owned) this.#client?.close();
    this.#client = undefined;
  }
}
