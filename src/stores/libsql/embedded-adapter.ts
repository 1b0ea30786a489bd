/**
 * The Kysely adapter of embedded databases (internal).
 *
 * @module
 */
import { SqliteAdapter } from "kysely";
import { SYNC_SQL, type SyncSql } from "../sync-sql.ts";

/**
 * Kysely's SQLite adapter, carrying the embedded driver's synchronous path
 * (found by `KyselyStore` through `syncSqlOf`: the adapter is shared by every
 * `withoutPlugins()` copy of a Kysely instance).
 */
export class EmbeddedAdapter extends SqliteAdapter {
  [SYNC_SQL]: SyncSql | undefined;
}
