// In-process write requests (no HTTP), 32 in flight over 1,000 sessions, on Bun: the hand-written
// ceiling's write (cookie slice, bun:sqlite select by id, JSON.parse, json_set update through a group
// commit per event-loop turn, Set-Cookie), fetch-session on MemoryStore, and fetch-session's default store.
// Prints µs per request, median of 5 interleaved rounds. ONLY=ceiling,default picks handlers; run it under
// `bun --cpu-prof` to see where each spends its time.
//   bun bench/micro/writes.mjs
import { Database } from "bun:sqlite";
import { mkdtempSync } from "node:fs"; import { tmpdir } from "node:os"; import { join } from "node:path";
import { getSession, withSession, MemoryStore } from "../../mod.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { median, sessionHandler } from "./in-process.mjs";
const dir = mkdtempSync(join(tmpdir(), "cw-"));
const db = new Database(join(dir, "c.db"));
db.exec("pragma journal_mode=wal; pragma synchronous=normal");
db.exec("create table s(id text primary key, data text not null, expires integer not null); create index s_exp on s(expires)");
const sel = db.prepare("select data, expires from s where id = ? and expires > ?");
const upd = db.prepare("update s set data = json_set(data, '$.n', json(?)), expires = ? where id = ? and expires > ?");
const ins = db.prepare("insert into s values (?,?,?)");
const ck = [];
for (let i = 0; i < 1000; i++) { const k = crypto.randomUUID().replaceAll("-", ""); ck.push(`sessionid=${k}`); ins.run(k, JSON.stringify({ n: i }), Date.now() + 1e9); }
let queue = [], scheduled = false;
function flush() { scheduled = false; const q = queue; queue = []; db.exec("begin immediate"); for (const [p] of q) upd.run(...p); db.exec("commit"); for (const [, d] of q) d(); }
const write = (p) => new Promise((r) => { queue.push([p, r]); if (!scheduled) { scheduled = true; setImmediate(flush); } });
const ceiling = async (request) => {
  const c = request.headers.get("cookie") ?? ""; const at = c.indexOf("sessionid="); const id = c.slice(at + 10, at + 42);
  const row = sel.get(id, Date.now()); const n = (JSON.parse(row.data).n ?? 0) + 1;
  await write([String(n), Date.now() + 1e9, id, Date.now()]);
  return new Response(String(n), { headers: { "set-cookie": `sessionid=${id}; Max-Age=1209600; Path=/; HttpOnly; SameSite=Lax` } });
};
const setups = { ceiling: { handler: ceiling, cookies: ck } };
for (const [name, store] of Object.entries({ memory: new MemoryStore(), default: await createLibsqlStore({ url: `file:${join(dir, "a.db")}` }) })) {
  const handler = sessionHandler({ getSession, withSession }, store); const cookies = [];
  for (let i = 0; i < 1000; i++) cookies.push((await handler(new Request("http://x/write"))).headers.getSetCookie()[0].split(";")[0]);
  setups[name] = { handler, cookies };
}
async function measure(name, total = 20000) {
  const { handler, cookies } = setups[name]; let next = 0; const start = performance.now();
  async function worker() { while (next < total) { const i = next++; const r = await handler(new Request("http://x/write", { headers: { cookie: cookies[i % 1000] } })); await r.text(); } }
  await Promise.all(Array.from({ length: 32 }, worker)); return ((performance.now() - start) * 1000) / total;
}
const S = Object.fromEntries((process.env.ONLY ?? "ceiling,memory,default").split(",").map((n) => [n, []]));
for (const n of Object.keys(S)) await measure(n, 5000);
for (let r = 0; r < 5; r++) for (const n of Object.keys(S)) S[n].push(await measure(n));
for (const n of Object.keys(S)) console.log(n.padEnd(10), median(S[n]).toFixed(2));
process.exit(0);
