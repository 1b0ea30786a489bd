/**
 * Starts a private PostgreSQL server for a test file: `initdb` into a temp
 * directory, `pg_ctl start` on a free port on 127.0.0.1 with its unix socket
 * in the same directory, one database created; `stop()` shuts it down and
 * removes the directory. When the process runs as root (CI containers), the
 * server runs as the `postgres` user (or `nobody`), since `initdb` refuses root.
 *
 * PostgreSQL missing is an error, not a skip: `.ci/run` installs it.
 *
 * @module
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { chmod, chown, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { findProgramDir, freePort } from "./system.ts";

const run = promisify(execFile);

/** A running server. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Finds the directory holding `initdb` and `pg_ctl`. */
export function findPostgresBin(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = findProgramDir(["initdb", "pg_ctl"], versions.map((version) => join(base, version, "bin")));
  if (dir !== undefined) return dir;
  throw new Error(
    "PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin). " +
      "Install it (Debian: apt-get install -y postgresql); the PostgreSQL tests do not skip.",
  );
}

/**
 * A Kysely on `connectionString` through a pg pool of at most `max` clients.
 * The pool's `error` events are ignored: an idle client that sees the server
 * stop at the end of a test reports it there, not as an uncaught error (a
 * query that fails still rejects).
 */
export function postgresKysely(connectionString: string, max = 10): Kysely<any> {
  const pool = new pg.Pool({ connectionString, max });
  pool.on("error", () => {});
  return new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
}

/** The unprivileged user to run the server as when we are root. */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      if (Number.isInteger(uid) && uid > 0) return { name, uid, gid };
    } catch {
      // try the next one
    }
  }
  throw new Error("Running as root and found no unprivileged user (postgres, nobody) to run PostgreSQL as");
}

const running = new Set<() => void>();
process.once("exit", () => {
  for (const stop of running) stop();
});

/**
 * Starts a server and creates a database in it.
 *
 * @param database the database name
 * @returns the running server
 * @throws when PostgreSQL is not installed or does not start
 */
export async function startPostgres(database = "fetch_session_test"): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const user = serverUser();
  const dir = await mkdtemp(join(tmpdir(), "fetch-session-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  if (user) {
    await chown(dir, user.uid, user.gid);
    await chmod(dir, 0o700);
  }
  const as = (command: string, args: string[]) =>
    user ? run("runuser", ["-u", user.name, "--", join(bin, command), ...args], { cwd: dir }) : run(join(bin, command), args, { cwd: dir });
  const port = await freePort();
  let started = false;
  const stopSync = () => {
    try {
      if (started) execFileSync(user ? "runuser" : join(bin, "pg_ctl"), [
        ...(user ? ["-u", user.name, "--", join(bin, "pg_ctl")] : []), "-D", data, "-m", "immediate", "-w", "stop",
      ], { stdio: "ignore" });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await as("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    const options = [
      `-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c synchronous_commit=off",
      "-c full_page_writes=off", "-c max_connections=60", "-c shared_buffers=32MB",
    ].join(" ");
    started = true;
    running.add(stopSync);
    await as("pg_ctl", ["-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]);
  } catch (error) {
    const text = await readFile(log, "utf8").catch(() => "");
    running.delete(stopSync);
    stopSync();
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${text}`, { cause: error });
  }
  const admin = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await admin.connect();
  try {
    await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/${database}`,
    host: "127.0.0.1",
    port,
    user: "postgres",
    database,
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(stopSync);
      try {
        await as("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
