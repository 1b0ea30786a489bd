import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kysely, PostgresDialect } from "kysely";
import { D1Dialect } from "kysely-d1";
import Database from "libsql";
import { Miniflare } from "miniflare";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { schemaStatements } from "../../src/stores/schema.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { startHranaServer } from "../helpers/hrana-server.ts";
import { ROOT } from "../helpers/servers.ts";

const exec = promisify(execFile);
const BIN = join(ROOT, "node_modules", ".bin");
const HOUR = 3_600_000;

let dir: string;
let dist: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-cli-"));
  // `npm run build` into a private directory inside the repository, so that
  // the compiled CLI resolves the packages in node_modules as the published one does.
  dist = join(ROOT, "test", "artifacts", `cli-dist-${process.pid}`);
  await exec(join(BIN, "tsc"), ["-p", "tsconfig.build.json", "--outDir", dist], { cwd: ROOT });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (dist) await rm(dist, { recursive: true, force: true });
});

/** Runs the CLI in a runtime; resolves its exit code and output, never rejects on a non-zero exit. */
async function cli(
  runtime: "node" | "bun" | "deno",
  args: string[],
  env: Record<string, string> = {},
  denoFlags = ["--allow-read", "--allow-write", "--allow-ffi", "--allow-env", "--allow-sys"],
) {
  const [command, prefix] =
    runtime === "node" ? [process.execPath, [join(dist, "src", "cli.js")]]
    : runtime === "bun" ? [join(BIN, "bun"), ["src/cli.ts"]]
    : [join(BIN, "deno"), ["run", ...denoFlags, "src/cli.ts"]];
  const childEnv: Record<string, string | undefined> = { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env };
  if (!("SESSION_DATABASE_URL" in env)) delete childEnv.SESSION_DATABASE_URL;
  try {
    const { stdout, stderr } = await exec(command, [...prefix, ...args], { cwd: ROOT, env: childEnv, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A database with `expired` expired and `live` live sessions. */
async function seed(name: string, expired: number, live: number, table = "sessions"): Promise<string> {
  const url = `file:${join(dir, name)}`;
  const store = await createLibsqlStore({ url, table });
  try {
    for (let i = 0; i < expired + live; i++) {
      const id = i.toString(16).padStart(64, "0");
      await store.create(id, { data: { i }, expiresAt: i < expired ? Date.now() - HOUR : Date.now() + HOUR });
    }
  } finally {
    await store.db.destroy();
  }
  return url;
}

async function countRows(url: string, table = "sessions"): Promise<number> {
  const store = await createLibsqlStore({ url, table });
  try {
    return (await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n;
  } finally {
    await store.db.destroy();
  }
}

describe("fetch-session clearsessions", () => {
  for (const runtime of ["node", "bun", "deno"] as const) {
    it(`fetch-session clearsessions under ${runtime} deletes expired sessions in batches and prints the count`, async () => {
      const url = await seed(`${runtime}.db`, 7, 2);
      const result = await cli(runtime, ["clearsessions", "--url", url, "--batch-size", "3"]);
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: "Deleted 7 expired sessions.\n" });
      expect(await countRows(url)).toBe(2);
      const again = await cli(runtime, ["clearsessions", `--url=${url}`]);
      expect(again.stdout).toBe("Deleted 0 expired sessions.\n");
    });

    it(`fetch-session clearsessions under ${runtime} opens the same URL-decoded file as the store (file:my%20db.db)`, async () => {
      // The store and the CLI's existence check both decode %20: the file on disk is "<runtime> my db.db".
      const url = await seed(`${runtime}%20my%20db.db`, 3, 1);
      const { existsSync } = await import("node:fs");
      expect(existsSync(join(dir, `${runtime} my db.db`))).toBe(true);
      expect(existsSync(join(dir, `${runtime}%20my%20db.db`))).toBe(false);
      const result = await cli(runtime, ["clearsessions", "--url", url]);
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: "Deleted 3 expired sessions.\n" });
      expect(await countRows(url)).toBe(1);
    });

    it(`fetch-session clearsessions under ${runtime} exits 1 with a clear message when the database cannot be opened`, async () => {
      const missing = await cli(runtime, ["clearsessions", "--url", `file:${join(dir, "missing.db")}`]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/cannot open the database .*missing\.db.* does not exist/);
      const url = await seed(`${runtime}-table.db`, 1, 0);
      const noTable = await cli(runtime, ["clearsessions", "--url", url, "--table", "other"]);
      expect(noTable.code).toBe(1);
      expect(noTable.stderr).toMatch(/table "other".*no such table: other/);
      const notADatabase = join(dir, `${runtime}.txt`);
      await import("node:fs/promises").then((fs) => fs.writeFile(notADatabase, "this is not a database ".repeat(100)));
      const bad = await cli(runtime, ["clearsessions", "--url", `file:${notADatabase}`]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/not a database|file is (encrypted|not a database)/i);
    });

    it(`fetch-session under ${runtime} exits 2 with the usage for wrong arguments, and 0 for --help`, async () => {
      const help = await cli(runtime, ["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: fetch-session <command>/);
      expect(help.stdout).toContain("fetch-session schema --dialect <sqlite|postgres>");
      for (const args of [[], ["clearsessions"], ["clearsessions", "--url"], ["clearsessions", "--nope"], ["dropeverything"], ["clearsessions", "--url", "x", "--table", "a b"], ["schema"], ["schema", "--dialect", "mysql"], ["schema", "--dialect", "sqlite", "--url", "file:x.db"], ["schema", "--dialect", "sqlite", "--table", "a-b"], ["clearsessions", "--dialect", "sqlite"]]) {
        const result = await cli(runtime, args);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr, args.join(" ")).toMatch(/Usage: fetch-session <command>/);
      }
    });
  }

  it("fetch-session clearsessions on Deno without --allow-env names the permission and the flag", async () => {
    const url = await seed("deno-env.db", 2, 1);
    const flags = ["--allow-read", "--allow-write", "--allow-ffi", "--allow-sys"];
    const denied = await cli("deno", ["clearsessions"], { SESSION_DATABASE_URL: url }, flags);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/env access .*SESSION_DATABASE_URL: run with --allow-env \(at least --allow-env=SESSION_DATABASE_URL\)/);
  });

  it("the default libSQL store on Deno without --allow-env fails with an error naming the variable and --allow-env", async () => {
    // A script inside the repository, so that Deno resolves the packages in node_modules.
    const scripts = join(ROOT, "test", "artifacts", `deno-env-${process.pid}`);
    await mkdir(scripts, { recursive: true });
    try {
      await writeFile(
        join(scripts, "default-store.ts"),
        'import { createDefaultStore } from "../../../src/stores/libsql/default-store.ts";\n' +
          'try { await createDefaultStore(); console.log("opened"); } catch (error) { console.log((error as Error).message); }\n',
      );
      const { stdout } = await exec(join(BIN, "deno"), ["run", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", join(scripts, "default-store.ts")], {
        cwd: dir,
        env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
        timeout: 60_000,
      });
      expect(stdout.trim()).toBe(
        "Deno denied env access while reading the environment variable SESSION_DATABASE_URL: run with --allow-env (at least --allow-env=SESSION_DATABASE_URL)",
      );
    } finally {
      await rm(scripts, { recursive: true, force: true });
    }
  });

  it("fetch-session clearsessions reads SESSION_DATABASE_URL when --url is absent", async () => {
    const url = await seed("env.db", 2, 1);
    const result = await cli("node", ["clearsessions"], { SESSION_DATABASE_URL: url });
    expect(result).toMatchObject({ code: 0, stdout: "Deleted 2 expired sessions.\n" });
  });

  it("fetch-session clearsessions works on a remote libSQL URL with --auth-token, and exits 1 with a wrong token", async () => {
    const server = await startHranaServer(join(dir, "remote.db"), "secret");
    try {
      const store = await createLibsqlStore({ url: server.url, authToken: "secret" });
      try {
        for (let i = 0; i < 4; i++) {
          await store.create(i.toString(16).padStart(64, "0"), { data: {}, expiresAt: Date.now() + (i < 3 ? -HOUR : HOUR) });
        }
      } finally {
        await store.db.destroy();
      }
      for (const runtime of ["node", "bun"] as const) {
        const wrong = await cli(runtime, ["clearsessions", "--url", server.url, "--auth-token", "nope"]);
        expect(wrong.code, runtime).toBe(1);
        expect(wrong.stderr, runtime).toMatch(/cannot (open the database|clear sessions in) http:\/\/127\.0\.0\.1:\d+.*(401|Unauthorized)/s);
        expect(wrong.stderr).not.toContain("nope");
      }
      const result = await cli("bun", ["clearsessions", "--url", server.url], { SESSION_DATABASE_AUTH_TOKEN: "secret" });
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: "Deleted 3 expired sessions.\n" });
    } finally {
      await server.close();
    }
  });

  it("the compiled CLI keeps its node shebang for the package's bin entry", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
    expect(pkg.bin["fetch-session"]).toBe("./dist/src/cli.js");
    expect((await readFile(join(dist, "src", "cli.js"), "utf8")).split("\n")[0]).toBe("#!/usr/bin/env node");
  });
});

describe("fetch-session schema", () => {
  /** The statements of an output: its non-comment lines. */
  const statementsOf = (sql: string) => sql.split("\n").filter((line) => line !== "" && !line.startsWith("--"));

  /** A KyselyStore on a table the printed schema made: create, load, update and clearExpired work, createSchema is a no-op. */
  async function exercise(store: KyselyStore): Promise<void> {
    const id = "e".repeat(64);
    expect(await store.create(id, { data: { n: 1 }, expiresAt: Date.now() + HOUR })).toBe(true);
    expect(await store.update(id, { set: { m: 2 }, unset: ["n"], expiresAt: Date.now() + HOUR })).toBe(true);
    expect((await store.load(id))?.data).toEqual({ m: 2 });
    expect(await store.clearExpired()).toBe(0);
    await store.createSchema();
    expect((await store.load(id))?.data).toEqual({ m: 2 });
  }

  for (const runtime of ["node", "bun", "deno"] as const) {
    it(`fetch-session schema under ${runtime} prints the createSchema() statements for sqlite and postgres, with --table${runtime === "deno" ? ", with no permissions" : ""}`, async () => {
      for (const [dialect, table] of [["sqlite", "sessions"], ["postgres", "sessions"], ["sqlite", "user_sessions"]] as const) {
        const args = ["schema", "--dialect", dialect, ...(table === "sessions" ? [] : ["--table", table])];
        const result = await cli(runtime, args, {}, []);
        expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
        expect(result.stdout).toMatch(/^-- fetch-session: /);
        expect(statementsOf(result.stdout)).toEqual(schemaStatements(dialect, table).map((statement) => `${statement};`));
      }
    });
  }

  it("the sqlite schema applies with libSQL and as a D1 migration (wrangler d1 migrations apply --local), and KyselyStore works on it", async () => {
    const sql = (await cli("node", ["schema", "--dialect", "sqlite", "--table", "migrated"])).stdout;
    const file = join(dir, "schema-libsql.db");
    const native = new Database(file);
    try {
      native.exec(sql);
      native.exec(sql); // a second run is harmless
    } finally {
      native.close();
    }
    const libsql = await createLibsqlStore({ url: `file:${file}`, table: "migrated" });
    try {
      await exercise(libsql);
    } finally {
      await libsql.db.destroy();
    }
    // The D1 migration step: the output as migrations/0001_create_sessions.sql, applied by wrangler to a local D1.
    const project = join(dir, "d1-project");
    const databaseId = "00000000-0000-4000-8000-000000000001";
    await mkdir(join(project, "migrations"), { recursive: true });
    await writeFile(join(project, "migrations", "0001_create_sessions.sql"), sql);
    await writeFile(join(project, "worker.js"), "export default { fetch: () => new Response('ok') };\n");
    await writeFile(
      join(project, "wrangler.jsonc"),
      JSON.stringify({
        name: "schema-test",
        main: "worker.js",
        compatibility_date: "2026-05-01",
        d1_databases: [{ binding: "DB", database_name: "sessions", database_id: databaseId, migrations_dir: "migrations" }],
      }),
    );
    const applied = await exec(join(BIN, "wrangler"), ["d1", "migrations", "apply", "DB", "--local"], {
      cwd: project,
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      timeout: 120_000,
    });
    expect(applied.stdout).toMatch(/0001_create_sessions\.sql\s*│\s*✅/);
    const mf = new Miniflare({
      modules: true,
      script: "export default {}",
      d1Databases: { DB: databaseId },
      d1Persist: join(project, ".wrangler", "state", "v3", "d1"),
      compatibilityDate: "2026-05-01",
    });
    try {
      const d1 = await mf.getD1Database("DB");
      const columns = await d1.prepare("select name, type, pk from pragma_table_info('migrated') order by cid").all();
      expect(columns.results).toEqual([
        { name: "id", type: "TEXT", pk: 1 },
        { name: "data", type: "TEXT", pk: 0 },
        { name: "expires_at", type: "INTEGER", pk: 0 },
        { name: "expires_key", type: "INTEGER", pk: 0 },
      ]);
      const database = d1 as unknown as ConstructorParameters<typeof D1Dialect>[0]["database"];
      const db = new Kysely<any>({ dialect: new D1Dialect({ database }) });
      await exercise(new KyselyStore({ db, table: "migrated" }));
    } finally {
      await mf.dispose();
    }
  });

  it("the postgres schema applies to PostgreSQL and KyselyStore works on it", async () => {
    const sql = (await cli("node", ["schema", "--dialect", "postgres", "--table", "migrated"])).stdout;
    const server = await startPostgres();
    const pool = new pg.Pool({ connectionString: server.connectionString, max: 2 });
    pool.on("error", () => {});
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      await pool.query(sql);
      await pool.query(sql);
      const columns = await pool.query("select column_name, data_type from information_schema.columns where table_name = 'migrated' order by column_name");
      expect(columns.rows).toEqual([
        { column_name: "data", data_type: "jsonb" },
        { column_name: "expires_at", data_type: "bigint" },
        { column_name: "id", data_type: "text" },
      ]);
      await exercise(new KyselyStore({ db, table: "migrated" }));
    } finally {
      await db.destroy();
      await server.stop();
    }
  });
});
