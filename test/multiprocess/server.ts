/**
 * A small session server for the multi-process tests, run by Bun:
 * `STORE_URL=file:/tmp/x.db PORT=8000 bun test/multiprocess/server.ts`
 * (or `STORE_URL=postgres://...`). Several of them share one database.
 * Its routes: test/multiprocess/serve-sessions.ts.
 */
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { postgresKysely } from "../helpers/postgres.ts";
import { serveSessions } from "./serve-sessions.ts";

const url = process.env.STORE_URL;
if (!url) throw new Error("STORE_URL is required");
const table = process.env.STORE_TABLE ?? "sessions";

let store: KyselyStore;
if (url.startsWith("postgres:")) {
  store = new KyselyStore({ db: postgresKysely(url, 5), table });
  await store.createSchema();
} else {
  store = await createLibsqlStore({ url, table });
}

serveSessions(store, async () => await store.db.destroy());
