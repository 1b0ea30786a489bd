/**
 * djangoDatabaseStore on PostgreSQL: a throwaway server, Django's `migrate`
 * through psycopg2 creating `django_session` (timestamp with time zone), and
 * the same flows as on SQLite against the running Django.
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { startPostgres } from "../helpers/postgres.ts";
import { corruptSessionData, databaseInterop } from "./database-flows.ts";
import { djangoSecretKey, startDjango } from "./django-project.ts";

const secretKey = djangoSecretKey();

databaseInterop("PostgreSQL", secretKey, await corruptSessionData(secretKey), async () => {
  const server = await startPostgres("django_interop");
  try {
    const django = await startDjango({
      secretKey,
      database: { engine: "postgres", host: server.host, port: server.port, user: server.user, name: server.database },
    });
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: server.connectionString, max: 5 }) }) });
    return {
      django,
      db,
      family: "postgres",
      async close() {
        await db.destroy();
        await django.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
});
