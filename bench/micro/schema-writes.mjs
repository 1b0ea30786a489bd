// Microbenchmark: what a session write, insert and read cost at the engine, by table layout, with the
// commits and the WAL included: 24 writes (or inserts) per `begin immediate ... commit` (what the group
// commit does at 32 connections), one read per statement outside a transaction (as the store reads),
// random rows of 1,000 (or --rows), a file in WAL with synchronous=NORMAL and the store's 128 MiB
// mmap_size, bun:sqlite. The statements are the store's, as KyselyStore compiles them.
//   bun bench/micro/schema-writes.mjs                          (1,000 rows, 7 rounds)
//   bun bench/micro/schema-writes.mjs --rows 1000000 --rounds 3   (about 45 s of setup and 1 GB in a temporary directory, removed at the end)
// Tables:
// - the store's: `WITHOUT ROWID` with the 64-character hex id and the expiry index on `expires_at`, as
//   `schemaStatements("sqlite")` creates it;
// - hourly index: the same table with the expiry index on `expires_at / 3600000` (measured as an
//   alternative, not taken: a save within the hour leaves the index alone, but new rows of the same hour
//   land at random places in it, ordered by id; bench/RESULTS.md);
// - rowid: the same columns in an ordinary rowid table (measured as an alternative, not taken: cheaper
//   updates, slower reads, most of all at scale; bench/RESULTS.md);
// - the store's table without its expiry index, and the store's table with the ceiling's `json_set`
//   update (writes only: what the index and the statement each cost);
// - the ceiling's table (rowid, 32-character id) with its `json_set` update (writes only).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { schemaStatements } from "../../src/stores/schema.ts";

const { values: args } = parseArgs({ options: { rows: { type: "string", default: "1000" }, rounds: { type: "string", default: "7" } } });
const ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROWS) || ROWS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("--rows and --rounds take positive integers");
const WRITES = 24_000; // per round and case, 24 per transaction
const READS = 100_000; // per round and case

const dir = mkdtempSync(join(tmpdir(), "fs-schema-writes-"));

// The store's statements, as KyselyStore compiles them (captured from a stand-in Kysely), with their
// parameters: the values passed below are markers, replaced per call by `bind`.
const captured = [];
const stand = {
  executeQuery: async (query) => (captured.push({ sql: query.sql, parameters: query.parameters }), { rows: [], numAffectedRows: 1n }),
  getExecutor: () => ({ adapter: {} }),
};
const NOW = 1_111_111_111_111;
const EXPIRES = 2_222_222_222_222;
const store = new KyselyStore({ db: stand, dialect: "sqlite", now: () => NOW });
const capture = async (call) => {
  captured.length = 0;
  await call();
  if (captured.length !== 1) throw new Error(`expected one statement, captured ${captured.length}`);
  return captured[0];
};
const storeUpdate = await capture(() => store.update("ID", { set: { n: 2 }, unset: [], expiresAt: EXPIRES, maxBytes: 65536 }));
const storeCreate = await capture(() => store.create("ID", { data: { n: 1 }, expiresAt: EXPIRES }));
const storeLoad = await capture(() => store.load("ID"));
/** A function of (id, i) giving the statement's parameters, markers replaced: the id, now, the expiry, the set value. */
function bind({ parameters }) {
  const slots = parameters.map((value) =>
    value === "ID" ? (id) => id
    : value === NOW ? () => Date.now()
    : value === EXPIRES ? () => Date.now() + 1e9
    : value === '{"n":2}' ? (_, i) => `{"n":${i}}`
    : () => value,
  );
  return (id, i) => slots.map((slot) => slot(id, i));
}
const [updateArgs, createArgs, loadArgs] = [storeUpdate, storeCreate, storeLoad].map(bind);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hex = (bytes) => {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (let i = 0; i < bytes; i++) s += HEX[b[i]];
  return s;
};
function table(name, ddl, idBytes, keepIds = true) {
  const db = new Database(join(dir, `${name}.db`));
  db.exec("pragma journal_mode=wal");
  db.exec("pragma synchronous=normal");
  db.exec("pragma mmap_size=134217728");
  for (const statement of ddl) db.exec(statement);
  const ids = Array.from({ length: ROWS }, () => hex(idBytes));
  const insert = db.prepare("insert into sessions (id, data, expires_at) values (?, ?, ?)");
  db.exec("begin");
  for (const id of ids) insert.run(id, JSON.stringify({ n: 1 }), Date.now() + 1e9);
  db.exec("commit");
  db.exec("pragma wal_checkpoint(truncate)");
  return { db, ids: keepIds ? ids : [], idBytes };
}
const STORE_DDL = schemaStatements("sqlite", "sessions");
const HOURLY_DDL = [STORE_DDL[0], "create index sessions_expires_at_idx on sessions (expires_at / 3600000)"];
const ROWID_DDL = [
  "create table sessions (id text primary key not null, data text not null, expires_at integer not null)",
  "create index sessions_expires_at_idx on sessions (expires_at)",
];
const setupStart = performance.now();
const old = table("store", STORE_DDL, 32);
const fresh = table("rowid", ROWID_DDL, 32);
const hourly = table("hourly", HOURLY_DDL, 32);
const unindexed = table("unindexed", [STORE_DDL[0]], 32);
const ceiling = table("ceiling", ["create table sessions (id text primary key, data text not null, expires_at integer not null)", "create index s_exp on sessions (expires_at)"], 16);
// Inserts run on copies of their own, so that the rows they add and remove leave the other cases' tables as they are.
const oldInserts = table("store-inserts", STORE_DDL, 32, false);
const hourlyInserts = table("hourly-inserts", HOURLY_DDL, 32, false);
const freshInserts = table("rowid-inserts", ROWID_DDL, 32, false);
console.log(`setup: 8 tables of ${ROWS.toLocaleString("en")} rows in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
const megabytes = (t) => {
  const { bytes } = t.db.query("select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()").get();
  return `${(bytes / 1e6).toFixed(1)} MB`;
};
console.log(`database size: the store's table ${megabytes(old)}, rowid ${megabytes(fresh)}`);
if (!/without rowid$/i.test(old.db.query("select sql from sqlite_schema where name = 'sessions'").get().sql)) throw new Error("the store's table is not WITHOUT ROWID");
if (/without rowid/i.test(fresh.db.query("select sql from sqlite_schema where name = 'sessions'").get().sql)) throw new Error("the rowid table is WITHOUT ROWID");
const jsonSet = "update sessions set data = json_set(data, '$.n', json(?)), expires_at = ? where id = ? and expires_at > ?";

/** 24 statements per transaction on random existing rows. */
const writes = (t, sql, args) => {
  const statement = t.db.prepare(sql);
  return () => {
    for (let i = 0; i < WRITES; i += 24) {
      t.db.exec("begin immediate");
      for (let j = 0; j < 24; j++) if (statement.run(...args(t.ids[(Math.random() * ROWS) | 0], i + j)).changes !== 1) throw new Error("no row written");
      t.db.exec("commit");
    }
    return WRITES;
  };
};
/** The store's create with new random ids, 24 per transaction; the inserted rows are deleted afterwards (untimed), so the table stays at --rows. */
const inserts = (t) => {
  const statement = t.db.prepare(storeCreate.sql);
  const remove = t.db.prepare("delete from sessions where id = ?");
  return () => {
    const ids = Array.from({ length: WRITES }, () => hex(t.idBytes));
    const start = performance.now();
    for (let i = 0; i < WRITES; i += 24) {
      t.db.exec("begin immediate");
      for (let j = 0; j < 24; j++) if (statement.run(...createArgs(ids[i + j], i + j)).changes !== 1) throw new Error("no row inserted");
      t.db.exec("commit");
    }
    const elapsed = performance.now() - start;
    t.db.exec("begin immediate");
    for (const id of ids) remove.run(id);
    t.db.exec("commit");
    return { n: WRITES, elapsed };
  };
};
/** The store's load of random existing rows, one statement each, outside a transaction. */
const reads = (t) => {
  const statement = t.db.prepare(storeLoad.sql);
  return () => {
    for (let i = 0; i < READS; i++) if (statement.get(...loadArgs(t.ids[(Math.random() * ROWS) | 0], i)) === null) throw new Error("no row read");
    return READS;
  };
};

const cases = {
  "update: the store's table (WITHOUT ROWID, 64-hex id), store update": writes(old, storeUpdate.sql, updateArgs),
  "update: the store's table, json_set instead of the store's update": writes(old, jsonSet, (id, i) => [String(i), Date.now() + 1e9, id, Date.now()]),
  "update: the store's table without its expiry index, store update": writes(unindexed, storeUpdate.sql, updateArgs),
  "update: hourly expiry index, store update": writes(hourly, storeUpdate.sql, updateArgs),
  "update: ceiling table (rowid, 32-char id), json_set": writes(ceiling, jsonSet, (id, i) => [String(i), Date.now() + 1e9, id, Date.now()]),
  "update: rowid table (64-hex id), store update": writes(fresh, storeUpdate.sql, updateArgs),
  "insert: the store's table (WITHOUT ROWID), store create": inserts(oldInserts),
  "insert: hourly expiry index, store create": inserts(hourlyInserts),
  "insert: rowid table, store create": inserts(freshInserts),
  "read: the store's table (WITHOUT ROWID), store load": reads(old),
  "read: hourly expiry index, store load": reads(hourly),
  "read: rowid table, store load": reads(fresh),
};
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const start = performance.now();
    const result = run();
    const { n, elapsed } = typeof result === "number" ? { n: result, elapsed: performance.now() - start } : result;
    samples[name].push((elapsed * 1000) / n);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `µs per statement, ${ROWS.toLocaleString("en")} rows, median of ${ROUNDS} interleaved rounds (bun:sqlite, WAL, synchronous=NORMAL, mmap_size=128 MiB);` +
    " writes and inserts 24 per transaction, reads one per statement",
);
for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(66)} ${median(xs).toFixed(2).padStart(7)}`);

for (const t of [unindexed, hourly, hourlyInserts, old, fresh, ceiling, oldInserts, freshInserts]) t.db.close();
rmSync(dir, { recursive: true, force: true });
