// The floor for a SQL session store: the same database work as fetch-session's
// KyselyStore, written by hand with no library, on the same kind of file
// (WAL, synchronous=NORMAL, busy timeout). Keys are 32 random [a-z0-9]
// characters; the row id is their SHA-256 (node:crypto, native and
// synchronous); no validation beyond the key's length, no Vary header, no
// JSON-merge update.
//   read:  1 SELECT by hashed id
//   write: SELECT + UPDATE (the whole data)
//   new:   1 INSERT
// ENGINE=client (default): through @libsql/client 0.18, as an application would.
// ENGINE=native: the `libsql` engine that @libsql/client wraps (and that
// fetch-session's embedded dialect drives), statements prepared once, get()
// for the SELECT: the floor for the store as it is now built.
import { createHash, getRandomValues } from "node:crypto";
import { createClient } from "@libsql/client";
import { DB, MAX_AGE, PRAGMAS, cleanups, notFound, serveFetch, stats, withStats } from "./common.mjs";

const SELECT = "select data, expires_at from sessions where id = ? and expires_at > ?";
const UPDATE = "update sessions set data = ?, expires_at = ? where id = ?";
const INSERT = "insert into sessions (id, data, expires_at) values (?, ?, ?)";
const SCHEMA = [
  "create table if not exists sessions (id text primary key not null, data text not null, expires_at integer not null) without rowid",
  "create index if not exists sessions_expires_at_idx on sessions (expires_at)",
];

/** run(sql, args) for writes, get(sql, args) for the one-row SELECT. */
let run;
let get;
if (process.env.ENGINE === "native") {
  const { default: Database } = await import("libsql");
  const db = new Database(DB);
  for (const pragma of PRAGMAS) db.exec(pragma);
  for (const statement of SCHEMA) db.exec(statement);
  cleanups.push(() => db.close());
  const prepared = new Map([SELECT, UPDATE, INSERT].map((sql) => [sql, db.prepare(sql)]));
  run = (sql, args) => prepared.get(sql).run(args);
  get = (sql, args) => prepared.get(sql).get(args);
} else {
  const client = createClient({ url: `file:${DB}`, concurrency: 1, timeout: 5000 });
  for (const pragma of PRAGMAS) await client.execute(pragma);
  for (const statement of SCHEMA) await client.execute(statement);
  cleanups.push(() => client.close());
  run = (sql, args) => client.execute({ sql, args });
  get = async (sql, args) => (await client.execute({ sql, args })).rows[0];
}
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const random = new Uint8Array(32);

function newKey() {
  getRandomValues(random);
  let key = "";
  for (let i = 0; i < 32; i++) key += ALPHABET[random[i] % 36];
  return key;
}
const hash = (key) => createHash("sha256").update(key).digest("hex");

function cookieKey(request) {
  const header = request.headers.get("cookie");
  if (header === null) return null;
  const at = header.indexOf("sessionid=");
  if (at === -1) return null;
  const key = header.slice(at + 10, at + 42);
  return key.length === 32 ? key : null;
}

function setCookie(key) {
  const expires = new Date(Date.now() + MAX_AGE * 1000).toUTCString();
  return `sessionid=${key}; Max-Age=${MAX_AGE}; Path=/; Expires=${expires}; HttpOnly; SameSite=Lax`;
}

async function load(id) {
  stats.statements++;
  const row = await get(SELECT, [id, Date.now()]);
  return row == null ? null : JSON.parse(row.data);
}

async function insert(data) {
  const key = newKey();
  stats.statements++;
  await run(INSERT, [hash(key), JSON.stringify(data), Date.now() + MAX_AGE * 1000]);
  return key;
}

async function app(request, path) {
  switch (path) {
    case "/untouched":
      return new Response("ok");
    case "/read": {
      const key = cookieKey(request);
      const data = key === null ? null : await load(hash(key));
      return new Response(String(data?.n ?? 0));
    }
    case "/write": {
      let key = cookieKey(request);
      const id = key === null ? null : hash(key);
      const data = id === null ? null : await load(id);
      if (data === null) {
        key = await insert({ n: 1 });
        return new Response("1", { headers: { "set-cookie": setCookie(key) } });
      }
      data.n = (data.n ?? 0) + 1;
      stats.statements++;
      await run(UPDATE, [JSON.stringify(data), Date.now() + MAX_AGE * 1000, id]);
      return new Response(String(data.n), { headers: { "set-cookie": setCookie(key) } });
    }
    case "/new": {
      const key = await insert({ n: 1 });
      return new Response("1", { headers: { "set-cookie": setCookie(key) } });
    }
  }
  return notFound();
}

await serveFetch(withStats(app));
