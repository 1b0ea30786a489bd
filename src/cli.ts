#!/usr/bin/env node
/**
 * The `fetch-session` command. One subcommand, Django's `clearsessions`:
 *
 * ```sh
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
import { checkTableName } from "./stores/schema.ts";
import { readEnv } from "./util/env.ts";
import { parseDatabaseUrl } from "./util/file-url.ts";

const USAGE = `Usage: fetch-session clearsessions [options]

Deletes expired sessions from a libSQL/SQLite session database, in batches,
and prints how many it removed.

Options:
  --url <url>           file:path.db, a bare path, or libsql://, http(s)://, ws(s)://
                        (default: the SESSION_DATABASE_URL environment variable)
  --auth-token <token>  token for a remote server (default: SESSION_DATABASE_AUTH_TOKEN)
  --table <name>        the sessions table (default: sessions)
  --batch-size <n>      rows deleted per statement (default: 1000)
  -h, --help            show this help

PostgreSQL and D1 users call store.clearExpired() from their own job
(on Workers: a scheduled handler).`;

/** Raised for wrong arguments: exit code 2 with the usage. */
class UsageError extends Error {}

interface Options {
  command: string | undefined;
  help: boolean;
  url?: string;
  authToken?: string;
  table: string;
  batchSize: number;
}

const VALUE_OPTIONS: Record<string, "url" | "authToken" | "table" | "batchSize"> = {
  "--url": "url",
  "--auth-token": "authToken",
  "--table": "table",
  "--batch-size": "batchSize",
};

/**
 * Parses the command line.
 *
 * @param args the arguments after the script name
 * @returns the options
 * @throws {UsageError} for an unknown option, a missing value or an extra argument
 */
function parse(args: string[]): Options {
  const options: Options = { command: undefined, help: false, table: "sessions", batchSize: 1000 };
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
  return options;
}

/** The URL without its query string (which may carry a token), for messages. */
function shown(url: string): string {
  return url.split("?")[0]!;
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
