/**
 * Exercises KyselyStore in a real runtime (Bun or Deno) on one backend and
 * prints `{"ok":true,...}`, or throws. Backends:
 *
 * - `libsql-file <path>` / `libsql-memory`: createLibsqlStore;
 * - `bun-sqlite <path>`: Kysely's own SqliteDialect over `bun:sqlite` (Bun);
 * - `node-sqlite <path>`: Kysely's SqliteDialect over `node:sqlite` with the
 *   small adapter in test/helpers/node-sqlite.ts (Deno, Node 22.5+).
 */
import { Kysely, SqliteDialect } from "kysely";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { openNodeSqlite } from "../helpers/node-sqlite.ts";

const [backend, path] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);

async function open(): Promise<KyselyStore> {
  if (backend === "libsql-file") return await createLibsqlStore({ url: `file:${path}` });
  if (backend === "libsql-memory") return await createLibsqlStore({ url: ":memory:" });
  if (backend === "bun-sqlite") {
    const { Database } = await import("bun:sqlite" as string);
    const database = new Database(path);
    database.exec("pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = 5000");
    const store = new KyselyStore({ db: new Kysely<any>({ dialect: new SqliteDialect({ database }) }) });
    await store.createSchema();
    return store;
  }
  if (backend === "node-sqlite") {
    const database = await openNodeSqlite(path!);
    const store = new KyselyStore({ db: new Kysely<any>({ dialect: new SqliteDialect({ database }) }) });
    await store.createSchema();
    return store;
  }
  throw new Error(`Unknown backend ${backend}`);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`Failed: ${what}`);
}

const store = await open();
const hour = 3_600_000;
const id = "a".repeat(64);
const keys = ['quote"d', "dot.ted", "$", "[0]", "sp ace", "ünï 🍪", "back\\slash", "it's"];
check(await store.create(id, { data: { user: "u1", n: 1 }, expiresAt: Date.now() + hour }), "create");
check(!(await store.create(id, { data: {}, expiresAt: Date.now() + hour })), "create on a live id is refused");
const set = Object.fromEntries(keys.map((k, i) => [k, i]));
check(await store.update(id, { set, unset: ["n"], expiresAt: Date.now() + hour }), "update");
const loaded = await store.load(id);
check(JSON.stringify(loaded?.data) === JSON.stringify({ user: "u1", ...set }), `load after update: ${JSON.stringify(loaded)}`);
await Promise.all(Array.from({ length: 20 }, (_, i) => store.update(id, { set: { [`c${i}`]: i }, unset: [], expiresAt: Date.now() + hour })));
check(Object.keys((await store.load(id))!.data).length === 1 + keys.length + 20, "concurrent updates all kept");
const other = "b".repeat(64);
await store.create(other, { data: { user: "u1" }, expiresAt: Date.now() + hour });
check((await store.deleteWhere("user", "u1", id)) === 1, "deleteWhere");
await store.create("c".repeat(64), { data: {}, expiresAt: Date.now() - hour });
check((await store.clearExpired()) === 1, "clearExpired");
await store.delete(id);
check((await store.load(id)) === null, "delete");
check(!(await store.update(id, { set: { x: 1 }, unset: [], expiresAt: Date.now() + hour })), "update on a gone row");
await store.db.destroy();
console.log(JSON.stringify({ ok: true, backend }));
