// fetch-session, on Bun (run directly), Node (transpiled by run.mjs, or Node 24 directly; served through
// srvx) or Deno (srvx).
// STORE=default: zero-config withSession() (no store; SESSION_DATABASE_URL=file:DB), the default
//   embedded store: the runtime's fastest engine, group commit, the synchronous path.
// STORE=libsql: createLibsqlStore on the file DB; ENGINE=auto|libsql|bun:sqlite|node:sqlite (default
//   auto), GROUP=0 turns group commit off.
// STORE=memory | cookie. OLD_TABLE=1: see below.
// FS_MOD: another copy of mod.ts (a prototype of a core change); default: this repository's.
const { getSession, withSession, CookieStore, MemoryStore } = process.env.FS_MOD
  ? await import(process.env.FS_MOD)
  : await import("../../mod.ts");
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { EmbeddedDriver } from "../../src/stores/libsql/embedded-driver.ts";
import { GroupCommit } from "../../src/stores/libsql/group-commit.ts";
import { DB, SECRET, cleanups, serveFetch, sessionApp, stats, withStats } from "./common.mjs";

// Count every statement the embedded driver runs, through Kysely's executor or the synchronous path
// (the same module instance the default store loads), and every write transaction: a group commit's
// flush, or a write run outside one (autocommit). SYNC=0 turns the synchronous path off (to measure it).
const flush = GroupCommit.prototype.flush;
GroupCommit.prototype.flush = function countTransactions() {
  if (this.pending) stats.transactions++;
  return flush.call(this);
};
const init = EmbeddedDriver.prototype.init;
EmbeddedDriver.prototype.init = async function countStatements() {
  await init.call(this);
  const { sync } = this;
  if (process.env.SYNC === "0") sync.ready = () => false;
  const grouped = process.env.GROUP !== "0";
  for (const method of ["get", "run"]) {
    const original = sync[method];
    sync[method] = (sql, parameters) => {
      stats.statements++;
      if (method === "run" && !grouped) stats.transactions++;
      return original(sql, parameters);
    };
  }
  const execute = this.execute;
  this.execute = (connection, query) => {
    stats.statements++;
    if (!grouped && /^\s*(insert|update|delete)/i.test(query.sql)) stats.transactions++;
    return execute.call(this, connection, query);
  };
};

// OLD_TABLE=1 (Bun): the sessions table is created first as earlier versions did (no expires_key, the expiry
// index on expires_at), so the store runs on it (to measure the expires_key lever).
if (process.env.OLD_TABLE === "1") {
  const { Database } = await import("bun:sqlite");
  const pre = new Database(DB);
  pre.exec("pragma journal_mode = wal");
  pre.exec("create table if not exists sessions (id text primary key not null, data text not null, expires_at integer not null) without rowid");
  pre.exec('create index if not exists "sessions_expires_at_idx" on sessions (expires_at)');
  pre.close();
}
const kind = process.env.STORE ?? "libsql";
let store;
const admin = {};
if (kind === "default") {
  process.env.SESSION_DATABASE_URL = `file:${DB}`;
  store = undefined;
} else if (kind === "libsql") {
  store = await createLibsqlStore({ url: `file:${DB}`, engine: process.env.ENGINE ?? "auto", groupCommit: process.env.GROUP !== "0" });
  // PRAGMAS="cache_size = -65536; mmap_size = 268435456": extra pragmas on the store's connection (to measure them).
  for (const pragma of (process.env.PRAGMAS ?? "").split(";").map((p) => p.trim()).filter(Boolean)) {
    await store.db.executeQuery({ sql: `pragma ${pragma}`, parameters: [], query: { kind: "RawNode", sqlFragments: [], parameters: [] }, queryId: { queryId: "bench" } });
  }
  // Runs clearExpired in this process and reports how long it took and the
  // longest time the event loop could not run anything else meanwhile (a 1 ms
  // timer that measures the gap between its ticks).
  // /__clear starts it and answers at once (Bun closes a connection idle for
  // 10 s); /__clear-result answers 204 until it is done.
  let clearResult = null;
  admin["/__clear"] = () => {
    clearResult = null;
    let last = performance.now();
    let stall = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 1);
    const start = performance.now();
    store.clearExpired().then(
      (deleted) => {
        const ms = performance.now() - start;
        clearInterval(timer);
        stall = Math.max(stall, performance.now() - last);
        clearResult = { deleted, ms, stallMs: stall };
      },
      (error) => {
        clearInterval(timer);
        clearResult = { error: String(error) };
      },
    );
    return new Response(null, { status: 202 });
  };
  admin["/__clear-result"] = () => (clearResult === null ? new Response(null, { status: 204 }) : Response.json(clearResult));
  cleanups.push(() => store.db.destroy());
} else if (kind === "memory") {
  store = new MemoryStore();
} else if (kind === "cookie") {
  store = new CookieStore({ secret: SECRET });
} else {
  throw new Error(`unknown STORE ${kind}`);
}

const app = sessionApp({ getSession, withSession }, store === undefined ? {} : { store });

await serveFetch(withStats(app, admin));
