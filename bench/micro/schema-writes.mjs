// Microbenchmark: what a session write costs at the engine, by table layout and statement, with the
// commits and the WAL included: 24 updates per `begin immediate ... commit` (what the group commit does
// at 32 connections), random rows of 1,000, a file in WAL with synchronous=NORMAL, bun:sqlite.
//   bun bench/micro/schema-writes.mjs
// - the store's table (`WITHOUT ROWID`, 64-character hex id) with the store's update (json_patch, maxBytes);
// - the ceiling's table (rowid, 32-character id) with its `json_set` update;
// - a rowid table with the store's 64-character id and the store's update.
import { Database } from "bun:sqlite";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KyselyStore } from "../../src/stores/kysely-store.ts";

const dir = mkdtempSync(join(tmpdir(), "fs-schema-writes-"));
// The store's update statement, as KyselyStore compiles it (captured from a stand-in Kysely).
const captured = [];
const stand = { executeQuery: async (query) => (captured.push(query.sql), { rows: [], numAffectedRows: 1n }), getExecutor: () => ({ adapter: {} }) };
await new KyselyStore({ db: stand, dialect: "sqlite" }).update("x", { set: { n: 2 }, unset: [], expiresAt: 1, maxBytes: 65536 });
const storeUpdate = captured[0];
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hex = (bytes) => {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (let i = 0; i < bytes; i++) s += HEX[b[i]];
  return s;
};
function table(name, ddl, idBytes) {
  const db = new Database(join(dir, `${name}.db`));
  db.exec("pragma journal_mode=wal");
  db.exec("pragma synchronous=normal");
  db.exec(ddl);
  const ids = Array.from({ length: 1000 }, () => hex(idBytes));
  const insert = db.prepare("insert into sessions (id, data, expires_at) values (?, ?, ?)");
  for (const id of ids) insert.run(id, JSON.stringify({ n: 1 }), Date.now() + 1e9);
  return { db, ids };
}
const store = table("store", "create table sessions (id text primary key not null, data text not null, expires_at integer not null) without rowid; create index sessions_expires_at_idx on sessions (expires_at)", 32);
const ceiling = table("ceiling", "create table sessions (id text primary key, data text not null, expires_at integer not null); create index s_exp on sessions (expires_at)", 16);
const rowid = table("rowid", "create table sessions (id text primary key not null, data text not null, expires_at integer not null); create index sessions_expires_at_idx on sessions (expires_at)", 32);
const jsonSet = "update sessions set data = json_set(data, '$.n', json(?)), expires_at = ? where id = ? and expires_at > ?";
const cases = {
  "store table (WITHOUT ROWID, 64-hex id), store update": [store, store.db.prepare(storeUpdate), (s, i, id) => s.run('{"n":null}', `{"n":${i}}`, Date.now() + 1e9, id, Date.now(), 65536)],
  "ceiling table (rowid, 32-char id), json_set": [ceiling, ceiling.db.prepare(jsonSet), (s, i, id) => s.run(String(i), Date.now() + 1e9, id, Date.now())],
  "rowid table, 64-hex id, store update": [rowid, rowid.db.prepare(storeUpdate), (s, i, id) => s.run('{"n":null}', `{"n":${i}}`, Date.now() + 1e9, id, Date.now(), 65536)],
};
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < 7; round++) {
  for (const [name, [{ db, ids }, statement, run]] of Object.entries(cases)) {
    const n = 24_000;
    const start = performance.now();
    for (let i = 0; i < n; i += 24) {
      db.exec("begin immediate");
      for (let j = 0; j < 24; j++) run(statement, i + j, ids[(Math.random() * 1000) | 0]);
      db.exec("commit");
    }
    samples[name].push(((performance.now() - start) * 1000) / n);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log("µs per write, 24 writes per transaction, median of 7 interleaved rounds (bun:sqlite, WAL, synchronous=NORMAL)");
for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(56)} ${median(xs).toFixed(2).padStart(7)}`);
