/**
 * djangoDatabaseStore on Django's SQLite file through fetch-session's own
 * libSQL dialect (`fetch-session/libsql`, `file:` URL, embedded engine): the
 * same flows as through Kysely's SqliteDialect.
 */
import { Kysely } from "kysely";
import { LibsqlDialect } from "../../src/stores/libsql/index.ts";
import { corruptSessionData, databaseInterop } from "./database-flows.ts";
import { djangoSecretKey, startDjango } from "./django-project.ts";

const secretKey = djangoSecretKey();

databaseInterop("SQLite through LibsqlDialect", secretKey, await corruptSessionData(secretKey), async () => {
  const django = await startDjango({ secretKey });
  const db = new Kysely<any>({ dialect: new LibsqlDialect({ url: `file:${django.sqlitePath}` }) });
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
