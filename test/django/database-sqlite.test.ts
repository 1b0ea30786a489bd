/**
 * djangoDatabaseStore on the SQLite file Django's `migrate` created, shared
 * with a running Django (SessionMiddleware, auth.login(), the db backend).
 */
import { Kysely, SqliteDialect } from "kysely";
import Database from "libsql";
import { sqliteInterop } from "./database-flows.ts";

await sqliteInterop("SQLite", (path) => new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(path) as never }) }));
