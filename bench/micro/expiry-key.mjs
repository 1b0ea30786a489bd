// Microbenchmark: why SQLite session tables have `expires_key` (src/stores/schema.ts). Every save moves a
// session's expiry; with the index on `expires_at` every save also rewrites the index entry. A second column
// `k` holds the index key: written exactly on insert (so new rows append to the index), moved by a save only
// when the expiry has run an hour ahead of it (`k = case when ?2 >= k and ?2 - k < 3600000 then k else ?2 end`);
// `expires_at` stays exact. SQLite skips an expression index's entry when the expression's value is
// unchanged, but rewrites a plain column index's entry even when the column is set to its own value, so the
// index is on an expression (`k + 0`, or `coalesce(k, expires_at)` as the store has it).
// 24 saves per transaction (json_set, so that only the index differs), random rows of 1,000, WAL,
// synchronous=NORMAL, bun:sqlite, median of 7 interleaved rounds.
//   bun bench/micro/expiry-key.mjs
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./in-process.mjs";

const dir = mkdtempSync(join(tmpdir(), "fs-expiry-key-"));
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hexId = () => {
  let s = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(32))) s += HEX[byte];
  return s;
};
const TABLE = "create table s (id text primary key not null, data text not null, expires_at integer not null, k integer) without rowid";
function table(name, index) {
  const db = new Database(join(dir, `${name}.db`));
  db.exec("pragma journal_mode = wal; pragma synchronous = normal; pragma mmap_size = 134217728");
  db.exec(TABLE);
  db.exec(index);
  const ids = Array.from({ length: 1000 }, hexId);
  const insert = db.prepare("insert into s (id, data, expires_at, k) values (?, ?, ?, ?)");
  db.exec("begin");
  for (const id of ids) insert.run(id, '{"n":1}', Date.now() + 1e9, Date.now() + 1e9);
  db.exec("commit");
  return { db, ids };
}
const SET = "update s set data = json_set(data, '$.n', ?1), expires_at = ?2";
const LAG = ", k = case when ?2 >= k and ?2 - k < 3600000 then k else ?2 end";
const cases = {
  "index on expires_at (earlier versions)": [table("exact", "create index i on s (expires_at)"), `${SET} where id = ?3`],
  "index on k, k lagging": [table("plain", "create index i on s (k)"), `${SET}${LAG} where id = ?3`],
  "index on k + 0, k lagging": [table("expression", "create index i on s (k + 0)"), `${SET}${LAG} where id = ?3`],
  "index on coalesce(k, expires_at), k lagging (the store)": [table("coalesce", "create index i on s (coalesce(k, expires_at))"), `${SET}${LAG} where id = ?3`],
  "index on k, k not set (the floor)": [table("floor", "create index i on s (k)"), `${SET} where id = ?3`],
};
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < 7; round++) {
  for (const [name, [t, sql]] of Object.entries(cases)) {
    const statement = t.db.prepare(sql);
    const n = 24_000;
    const start = performance.now();
    for (let i = 0; i < n; i += 24) {
      t.db.exec("begin immediate");
      for (let j = 0; j < 24; j++) statement.run(i + j, Date.now() + 1e9 + i, t.ids[(Math.random() * 1000) | 0]);
      t.db.exec("commit");
    }
    samples[name].push(((performance.now() - start) * 1000) / n);
  }
}
console.log("µs per save, 24 per transaction, 1,000 rows, median of 7 interleaved rounds (bun:sqlite)");
for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(42)} ${median(xs).toFixed(2).padStart(7)}`);
for (const [t] of Object.values(cases)) t.db.close();
rmSync(dir, { recursive: true, force: true });
