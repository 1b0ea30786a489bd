import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { expectModelMatches, OPS, TIMEOUT } from "./settings.ts";

let server: PostgresServer;
let db: Kysely<any>;
let store: KyselyStore;

beforeAll(async () => {
  server = await startPostgres("fetch_session_model");
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 10 });
  // An idle client that sees the server stop in afterAll reports it here, not as an uncaught error.
  pool.on("error", () => {});
  db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  store = new KyselyStore({ db });
  await store.createSchema();
});

afterAll(async () => {
  await db?.destroy();
  await server?.stop();
});

it(`KyselyStore on PostgreSQL matches the session model over ${OPS} random calls`, async () => {
  await expectModelMatches("KyselyStore on PostgreSQL", store);
}, TIMEOUT);
