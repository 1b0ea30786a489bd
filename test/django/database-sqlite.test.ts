/**
 * djangoDatabaseStore on the SQLite file Django's `migrate` created, shared
 * with a running Django (SessionMiddleware, auth.login(), the db backend).
 */
import { Kysely, SqliteDialect } from "kysely";
import Database from "libsql";
import { corruptSessionData, databaseInterop } from "./database-flows.ts";
import { djangoSecretKey, startDjango } from "./django-project.ts";

const secretKey = djangoSecretKey();

databaseInterop("SQLite", secretKey, await corruptSessionData(secretKey), async () => {
  const django = await startDjango({ secretKey });
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(django.sqlitePath) as never }) });
  return {
    django,
    db,
    family: "sqlite",
    async close() {
      await db.destroy();
      await django.close();
    },
  };
});
