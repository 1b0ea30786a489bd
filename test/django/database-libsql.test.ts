/**
 * djangoDatabaseStore on Django's SQLite file through fetch-session's own
 * libSQL dialect (`fetch-session/libsql`, `file:` URL, embedded engine): the
 * same flows as through Kysely's SqliteDialect.
 */
import { Kysely } from "kysely";
import { LibsqlDialect } from "../../src/stores/libsql/index.ts";
import { sqliteInterop } from "./database-flows.ts";

await sqliteInterop("SQLite through LibsqlDialect", (path) => new Kysely<any>({ dialect: new LibsqlDialect({ url: `file:${path}` }) }));
