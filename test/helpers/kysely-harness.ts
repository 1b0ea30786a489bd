/**
 * Builds conformance harnesses for `KyselyStore` on any Kysely instance:
 * every `open()` gets a fresh table on the shared database.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { execute, quoteIdentifier } from "../../src/stores/schema.ts";
import type { OpenStore, StoreHarness } from "../store-conformance.ts";

let tables = 0;

/** A fresh table name, unique in this process. */
export function freshTable(prefix = "sessions"): string {
  return `${prefix}_${process.pid}_${++tables}`;
}

/**
 * A conformance `open` for `KyselyStore` on `db`.
 *
 * @param db the shared database (the caller closes it)
 * @returns a function opening a store on a new table each time
 */
export function kyselyOpener(db: Kysely<any>): OpenStore {
  return async (options = {}) => {
    const table = freshTable();
    const store = new KyselyStore({ db, table, ...(options.batchSize ? { batchSize: options.batchSize } : {}) });
    await store.createSchema();
    return kyselyHarness(store);
  };
}

/** The harness around one `KyselyStore`: raw inserts and row dumps in its table. */
export function kyselyHarness(store: KyselyStore): StoreHarness {
  const t = quoteIdentifier(store.table);
  const pg = store.dialect === "postgres";
  return {
    store,
    async insertRaw(id, data, expiresAt) {
      await execute(
        store.db,
        pg
          ? `insert into ${t} (id, data, expires_at) values ($1, $2::jsonb, $3)`
          : `insert into ${t} (id, data, expires_at) values (?, ?, ?)`,
        [id, data, expiresAt],
      );
    },
    async rows() {
      const result = await execute<{ id: string; data: string; expires_at: unknown }>(
        store.db,
        `select id, ${pg ? "data::text as data" : "data"}, expires_at from ${t} order by id`,
        [],
      );
      return result.rows.map((row) => ({ id: row.id, data: row.data, expiresAt: Number(row.expires_at) }));
    },
    async close() {
      await execute(store.db, `drop table if exists ${t}`, []);
    },
  };
}

/** Texts SQLite can hold in `data` that are not a JSON object. */
export const SQLITE_CORRUPT = ["{not json", "[1,2,3]", '"a string"', "null", "42", "", "{\"a\":1"];
/** Texts PostgreSQL `jsonb` can hold that are not an object (invalid JSON cannot be stored). */
export const POSTGRES_CORRUPT = ["[1,2,3]", '"a string"', "null", "42", "true"];
