#!/usr/bin/env node
/**
 * The `fetch-session` command:
 *
 * - `schema`: prints the SQL that creates the sessions table and its expiry
 *   index (the statements `KyselyStore.createSchema()` and the migrations
 *   run), e.g. as a D1 migration:
 *   `npx fetch-session schema --dialect sqlite > migrations/0001_create_sessions.sql`;
 * - `clearsessions`, Django's command: deletes expired sessions from a
 *   libSQL/SQLite database.
 *
 * ```sh
 * npx fetch-session schema --dialect postgres --table user_sessions
 * npx fetch-session clearsessions --url file:sessions.db
 * bun src/cli.ts clearsessions --url libsql://db.example.turso.io --auth-token "$TOKEN"
 * deno run --allow-read --allow-write --allow-ffi --allow-env --allow-sys src/cli.ts clearsessions --url file:sessions.db
 * ```
 *
 * Exit codes: 0 done, 1 the database failed (cannot be opened, no such
 * table), 2 wrong arguments.
 *
 * @module
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { checkTableName, schemaStatements, type SqlFamily } from "./stores/schema.ts";
import { readEnv } from "./util/env.ts";
import { parseDatabaseUrl } from "./util/file-url.ts";

const USAGE = `Usage: fetch-session <command> [options]

Commands:
  schema          print the SQL that creates the sessions table and its index
  clearsessions   delete expired sessions from a libSQL/SQLite database

fetch-session schema --dialect <sqlite|postgres> [--table <name>]

  Prints the CREATE statements (idempotent: "if not exists"), the same ones
  KyselyStore.createSchema() and sessionMigrations run. For D1:
    npx fetch-session schema --dialect sqlite > migrations/0001_create_sessions.sql
    npx wrangler d1 migrations apply DB

  --dialect <name>      sqlite (SQLite, libSQL, D1, bun:sqlite, node:sqlite) or postgres
  --table <name>        the sessions table (default: sessions)

fetch-session clearsessions [options]

  Deletes expired sessions in batches and prints how many it removed.

  --url <url>           file:path.db, a bare path, or libsql://, http(s)://, ws(s)://
                        (default: the SESSION_DATABASE_URL environment variable)
  --auth-token <token>  token for a remote server (default: SESSION_DATABASE_AUTH_TOKEN)
  --table <name>        the sessions table (default: sessions)
  --batch-size <n>      rows deleted per statement (default: 1000)

  PostgreSQL and D1 users call store.clearExpired() from their own job
  (on Workers: a scheduled handler).

  -h, --help            show this help`;

/** Raised for wrong arguments: exit code 2 with the usage. */
class UsageError extends Error {}

interface Options {
  command: string | undefined;
  help: boolean;
  url?: string;
  authToken?: string;
  dialect?: string;
  table: string;
  batchSize: number;
  /** The options given explicitly, to refuse those the command does not take. */
  given: Set<string>;
}

const VALUE_OPTIONS: Record<string, "url" | "authToken" | "dialect" | "table" | "batchSize"> = {
  "--url": "url",
  "--auth-token": "authToken",
  "--dialect": "dialect",
  "--table": "table",
  "--batch-size": "batchSize",
};

/** The options each command takes. */
const COMMAND_OPTIONS: Record<string, readonly string[]> = {
  schema: ["--dialect", "--table"],
  clearsessions: ["--url", "--auth-token", "--table", "--batch-size"],
};

/**
 * Parses the command line.
 *
 * @param args the arguments after the script name
 * @returns the options
 * @throws {UsageError} for an unknown option, a missing value or an extra argument
 */
function parse(args: string[]): Options {
  const options: Options = { command: undefined, help: false, table: "sessions", batchSize: 1000, given: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      options.help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_OPTIONS[name];
    if (key !== undefined) {
      const value = eq > 0 && name !== arg ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === "") throw new UsageError(`Option ${name} needs a value`);
      options.given.add(name);
      if (key === "batchSize") {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`Option --batch-size must be a positive integer: received "${value}"`);
        options.batchSize = n;
      } else {
        options[key] = value;
      }
      continue;
    }
    if (arg.startsWith("-")) throw new UsageError(`Unknown option "${arg}"`);
    if (options.command !== undefined) throw new UsageError(`Unexpected argument "${arg}"`);
    options.command = arg;
  }
  try {
    checkTableName(options.table);
  } catch (error) {
    throw new UsageError(`Option --table: ${(error as Error).message}`);
  }
  const allowed = options.command === undefined ? undefined : COMMAND_OPTIONS[options.command];
  if (allowed !== undefined) {
    for (const name of options.given) {
      if (!allowed.includes(name)) throw new UsageError(`Option ${name} does not apply to ${options.command}`);
    }
  }
  if (options.command === "schema" && options.dialect !== "sqlite" && options.dialect !== "postgres") {
    throw new UsageError(
      options.dialect === undefined
        ? "schema needs --dialect sqlite or --dialect postgres"
        : `Option --dialect must be sqlite or postgres: received "${options.dialect}"`,
    );
  }
  return options;
}

/** The URL without its query string (which may carry a token), for messages. */
function shown(url: string): string {
  return url.split("?")[0]!;
}

/**
 * The `schema` command's output: a comment, then each statement of
 * `schemaStatements` on one line, ended by `;`.
 *
 * @param family the SQL family
 * @param table the table name (checked)
 * @returns the SQL text
 */
function schemaSql(family: SqlFamily, table: string): string {
  const engines = family === "sqlite" ? "SQLite, libSQL, D1, bun:sqlite, node:sqlite" : "PostgreSQL";
  return (
    `-- fetch-session: the sessions table "${table}" and its expiry index (${engines}).\n` +
    "-- The same statements as KyselyStore.createSchema(); idempotent. Made by: fetch-session schema\n" +
    schemaStatements(family, table).map((statement) => `${statement};\n`).join("")
  );
}

/**
 * Runs the command.
 *
 * @param args the arguments after the script name
 * @returns the exit code
 */
async function main(args: string[]): Promise<number> {
  let options: Options;
  try {
    options = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`fetch-session: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.command === "schema") {
    process.stdout.write(schemaSql(options.dialect as SqlFamily, options.table));
    return 0;
  }
  if (options.command !== "clearsessions") {
    console.error(
      options.command === undefined ? USAGE : `fetch-session: unknown command "${options.command}"\n\n${USAGE}`,
    );
    return 2;
  }
  let url: string | undefined;
  let authToken: string | undefined;
  let location;
  try {
    url = options.url ?? readEnv("SESSION_DATABASE_URL");
    if (!url) {
      console.error(`fetch-session: clearsessions needs --url <database url> (or SESSION_DATABASE_URL)\n\n${USAGE}`);
      return 2;
    }
    location = parseDatabaseUrl(url);
    // A token is only read for a remote server, so a local run needs no env access.
    if (location.kind === "remote") authToken = options.authToken ?? (readEnv("SESSION_DATABASE_AUTH_TOKEN") || undefined);
  } catch (error) {
    console.error(`fetch-session: ${(error as Error).message}`);
    return 2;
  }
  if (location.kind === "file" && !existsSync(location.path)) {
    console.error(`fetch-session: cannot open the database ${shown(url)}: ${location.path} does not exist`);
    return 1;
  }
  const { openLibsqlDatabase } = await import("./stores/libsql/index.ts");
  const { KyselyStore } = await import("./stores/kysely-store.ts");
  let db;
  try {
    db = await openLibsqlDatabase(authToken === undefined ? { url } : { url, authToken });
  } catch (error) {
    console.error(`fetch-session: cannot open the database ${shown(url)}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const store = new KyselyStore({ db, table: options.table, batchSize: options.batchSize, dialect: "sqlite" });
    const count = await store.clearExpired();
    console.log(`Deleted ${count} expired session${count === 1 ? "" : "s"}.`);
    return 0;
  } catch (error) {
    const message = (error as Error).message;
    console.error(`fetch-session: cannot clear sessions in ${shown(url)} (table "${options.table}"): ${message}`);
    return 1;
  } finally {
    await db.destroy();
  }
}

process.exit(await main(process.argv.slice(2)));
