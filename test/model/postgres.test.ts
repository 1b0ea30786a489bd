import type { Kysely } from "kysely";
import { afterAll, beforeAll, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { postgresKysely, startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { expectModelMatches, OPS, TIMEOUT } from "./settings.ts";

let server: PostgresServer;
let db: Kysely<any>;
let store: KyselyStore;

beforeAll(async () => {
  server = await startPostgres("fetch_session_model");
  db = postgresKysely(server.connectionString);
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
