import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { kyselyOpener, POSTGRES_CORRUPT } from "../helpers/kysely-harness.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { storeConformance } from "../store-conformance.ts";

let server: PostgresServer;
let db: Kysely<any>;

beforeAll(async () => {
  server = await startPostgres();
  db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: server.connectionString, max: 10 }) }) });
});

afterAll(async () => {
  await db?.destroy();
  await server?.stop();
});

storeConformance("KyselyStore on PostgreSQL", (options) => kyselyOpener(db)(options), { corrupt: POSTGRES_CORRUPT });
