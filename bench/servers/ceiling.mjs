// The hand-written ceiling (from the speed issue's ceiling.ts): the same work as a session read or
// write, with no library: cookie, select the row by id, JSON.parse; a write is one json_set update;
// `new` one insert. One SQLite file in WAL with synchronous=NORMAL. No hashing, no validation, no
// session semantics: an upper bound, not a design. Bun only.
//   ENGINE=bun (bun:sqlite, default) | libsql (the libsql engine, statements prepared once)
//   GROUP=1: writes queued and run in one `begin immediate ... commit` per event-loop turn, each
//            response sent after its commit; GROUP=0: autocommit.
import { DB, MAX_AGE, cleanups, notFound, serveFetch, stats, withStats } from "./common.mjs";

const engine = process.env.ENGINE ?? "bun";
const group = process.env.GROUP === "1";
let db;
if (engine === "bun") {
  const { Database } = await import("bun:sqlite");
  db = new Database(DB);
} else {
  const { default: Database } = await import("libsql");
  db = new Database(DB);
}
db.exec("pragma journal_mode=wal");
db.exec("pragma synchronous=normal");
db.exec("pragma busy_timeout=5000");
db.exec("create table if not exists s(id text primary key, data text not null, expires integer not null)");
db.exec("create index if not exists s_exp on s(expires)");
cleanups.push(() => db.close());
const sel = db.prepare("select data, expires from s where id = ? and expires > ?");
const upd = db.prepare("update s set data = json_set(data, '$.n', json(?)), expires = ? where id = ? and expires > ?");
const ins = db.prepare("insert or replace into s values (?,?,?)");

let queue = [];
let scheduled = false;
function flush() {
  scheduled = false;
  const q = queue;
  queue = [];
  stats.transactions++;
  db.exec("begin immediate");
  for (const [statement, params] of q) statement.run(params);
  db.exec("commit");
  for (const [, , done] of q) done();
}
function write(statement, params) {
  stats.statements++;
  if (!group) {
    stats.transactions++;
    statement.run(params);
    return undefined;
  }
  return new Promise((resolve) => {
    queue.push([statement, params, resolve]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let key = "";
  for (let i = 0; i < 32; i++) key += ALPHABET[bytes[i] % 36];
  return key;
}
const cookie = (k) => `sessionid=${k}; Max-Age=${MAX_AGE}; Path=/; HttpOnly; SameSite=Lax`;

async function create() {
  const k = newKey();
  await write(ins, [k, JSON.stringify({ n: 1 }), Date.now() + MAX_AGE * 1000]);
  return new Response("1", { headers: { "set-cookie": cookie(k) } });
}

async function app(request, path) {
  if (path === "/untouched") return new Response("ok");
  if (path === "/new") return create();
  const c = request.headers.get("cookie") ?? "";
  const at = c.indexOf("sessionid=");
  const id = at === -1 ? "" : c.slice(at + 10, at + 42);
  stats.statements++;
  const row = id === "" ? null : sel.get([id, Date.now()]);
  if (path === "/read") return new Response(String(row ? JSON.parse(row.data).n ?? 0 : 0));
  if (path === "/write") {
    if (!row) return create();
    const n = (JSON.parse(row.data).n ?? 0) + 1;
    await write(upd, [String(n), Date.now() + MAX_AGE * 1000, id, Date.now()]);
    return new Response(String(n), { headers: { "set-cookie": cookie(id) } });
  }
  return notFound();
}

await serveFetch(withStats(app));
