const isBun = typeof Bun !== "undefined";
const rt = isBun ? "bun" : typeof Deno !== "undefined" ? "deno" : "node " + process.versions.node;
const { createRequire } = await import("node:module");
const require = createRequire("/work/main/package.json");
const engines = {};
if (isBun) { const { Database } = await import("bun:sqlite"); engines["bun:sqlite"] = (p) => { const d = new Database(p, { create: true }); return { exec: (s) => d.exec(s), prepare: (s) => { const st = d.prepare(s); return { get: (a) => st.get(...a), run: (a) => st.run(...a) }; }, close: () => d.close() }; }; }
else { try { const { DatabaseSync } = await import("node:sqlite"); engines["node:sqlite"] = (p) => { const d = new DatabaseSync(p); return { exec: (s) => d.exec(s), prepare: (s) => { const st = d.prepare(s); return { get: (a) => st.get(...a), run: (a) => st.run(...a) }; }, close: () => d.close() }; }; } catch {} }
const Libsql = require("libsql");
engines["libsql"] = (p) => { const d = new Libsql(p); return { exec: (s) => d.exec(s), prepare: (s) => { const st = d.prepare(s); return { get: (a) => st.get(a), run: (a) => st.run(a) }; }, close: () => d.close() }; };
const ids = Array.from({ length: 1000 }, (_, i) => "id" + String(i).padStart(60, "0"));
for (const [name, open] of Object.entries(engines)) {
  const path = `/tmp/eng/m-${name.replace(":", "_")}-${rt.replace(/ /g,"")}.db`;
  const db = open(path);
  db.exec("pragma journal_mode=wal"); db.exec("pragma synchronous=normal"); db.exec("pragma busy_timeout=5000");
  db.exec("create table if not exists sessions (id text primary key not null, data text not null, expires_at integer not null) without rowid");
  const ins = db.prepare("insert or replace into sessions values (?1, ?2, ?3)");
  db.exec("begin"); for (const id of ids) ins.run([id, '{"n":1}', Date.now() + 1e9]); db.exec("commit");
  const sel = db.prepare("select data as d, expires_at as e from sessions where id = ?1 and expires_at > ?2");
  const upd = db.prepare("update sessions set data = json_set(data, '$.n', json(?1 -> '$[0]')), expires_at = ?2 where id = ?3 and expires_at > ?4");
  const time = (fn, n) => { for (let i = 0; i < n / 5; i++) fn(i); const t = performance.now(); for (let i = 0; i < n; i++) fn(i); return ((performance.now() - t) * 1000 / n).toFixed(2); };
  const r = time((i) => JSON.parse(sel.get([ids[i % 1000], Date.now()]).d), 100000);
  const w = time((i) => upd.run(["[" + i + "]", Date.now() + 1e9, ids[i % 1000], Date.now()]), 5000);
  const tx = time((i) => { if (i % 10 === 0) db.exec("begin immediate"); upd.run(["[" + i + "]", Date.now() + 1e9, ids[i % 1000], Date.now()]); if (i % 10 === 9) db.exec("commit"); }, 50000);
  console.log(`${rt.padEnd(14)} ${name.padEnd(12)} select+parse ${r} µs  autocommit update ${w} µs  update in 10-stmt tx ${tx} µs`);
  db.close();
}
