/**
 * Runs the hostile-input checks (sql-hostile.ts) inside a runtime whose
 * SQLite binding only exists there, and prints one JSON line:
 * `{"backend":...,"passed":[names],"failed":[{"name","message"}]}`.
 *
 * - `bun test/stores/sql-hostile-runner.ts bun-sqlite <file>`: Kysely's SqliteDialect over `bun:sqlite`;
 * - `node test/stores/sql-hostile-runner.ts node-sqlite <file>` (Node 22.18+/24, or Deno): over `node:sqlite`;
 * - `libsql-auto <file>`: `openLibsqlDatabase` with `engine: "auto"` (the runtime's own engine) and group commit.
 *
 * @module
 */
import { Kysely, SqliteDialect } from "kysely";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { execute, quoteIdentifier } from "../../src/stores/schema.ts";
import { openNodeSqlite } from "../helpers/node-sqlite.ts";
import { hostileInputChecks } from "./sql-hostile.ts";

const [backend, path] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);

async function database(): Promise<unknown> {
  if (backend === "bun-sqlite") {
    const { Database } = await import("bun:sqlite" as string);
    const db = new Database(path);
    db.exec("pragma journal_mode = wal; pragma busy_timeout = 5000");
    return db;
  }
  if (backend === "node-sqlite") return await openNodeSqlite(path!);
  throw new Error(`Unknown backend ${backend}`);
}

const db =
  backend === "libsql-auto"
    ? await openLibsqlDatabase({ url: `file:${path}`, engine: "auto", groupCommit: true })
    : new Kysely<any>({ dialect: new SqliteDialect({ database: (await database()) as never }) });
let tables = 0;
const checks = hostileInputChecks(async () => {
  const store = new KyselyStore({ db, table: `hostile_${++tables}` });
  await store.createSchema();
  return { store, close: async () => void (await execute(db, `drop table ${quoteIdentifier(store.table)}`, [])) };
});
const passed: string[] = [];
const failed: { name: string; message: string }[] = [];
for (const check of checks) {
  try {
    await check.run();
    passed.push(check.name);
  } catch (error) {
    failed.push({ name: check.name, message: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
}
await db.destroy();
console.log(JSON.stringify({ backend, passed, failed }));
