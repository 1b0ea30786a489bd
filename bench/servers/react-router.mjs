// React Router 7 sessions on Bun. STORE=libsql: createSessionStorage with a
// strategy on @libsql/client (same file settings as fetch-session; the cookie
// holds the signed row id). STORE=cookie: createCookieSessionStorage.
// As documented: getSession(request.headers.get("Cookie")), commitSession on change.
import { createClient } from "@libsql/client";
import { createCookieSessionStorage, createSessionStorage } from "react-router";
import { DB, MAX_AGE, PRAGMAS, SECRET, cleanups, notFound, serveFetch, stats, withStats } from "./common.mjs";

const cookie = { name: "__session", secrets: [SECRET], sameSite: "lax", httpOnly: true, path: "/", maxAge: MAX_AGE };
const kind = process.env.STORE ?? "libsql";
let storage;
if (kind === "libsql") {
  const client = createClient({ url: `file:${DB}`, concurrency: 1, timeout: 5000 });
  for (const pragma of PRAGMAS) await client.execute(pragma);
  await client.execute(
    "create table if not exists rr_sessions (id text primary key not null, data text not null, expires_at integer) without rowid",
  );
  cleanups.push(() => client.close());
  const run = (sql, args) => {
    stats.statements++;
    return client.execute({ sql, args });
  };
  storage = createSessionStorage({
    cookie,
    async createData(data, expires) {
      const id = crypto.randomUUID();
      await run("insert into rr_sessions (id, data, expires_at) values (?, ?, ?)", [id, JSON.stringify(data), expires?.getTime() ?? null]);
      return id;
    },
    async readData(id) {
      const { rows } = await run("select data from rr_sessions where id = ? and (expires_at is null or expires_at > ?)", [id, Date.now()]);
      return rows.length === 0 ? null : JSON.parse(rows[0].data);
    },
    async updateData(id, data, expires) {
      await run("update rr_sessions set data = ?, expires_at = ? where id = ?", [JSON.stringify(data), expires?.getTime() ?? null, id]);
    },
    async deleteData(id) {
      await run("delete from rr_sessions where id = ?", [id]);
    },
  });
} else if (kind === "cookie") {
  storage = createCookieSessionStorage({ cookie });
} else {
  throw new Error(`unknown STORE ${kind}`);
}

async function app(request, path) {
  switch (path) {
    case "/untouched":
      return new Response("ok");
    case "/read": {
      const session = await storage.getSession(request.headers.get("Cookie"));
      return new Response(String(session.get("n") ?? 0));
    }
    case "/write": {
      const session = await storage.getSession(request.headers.get("Cookie"));
      const n = (session.get("n") ?? 0) + 1;
      session.set("n", n);
      return new Response(String(n), { headers: { "Set-Cookie": await storage.commitSession(session) } });
    }
    case "/new": {
      const session = await storage.getSession(request.headers.get("Cookie"));
      session.set("n", 1);
      return new Response("1", { headers: { "Set-Cookie": await storage.commitSession(session) } });
    }
  }
  return notFound();
}

await serveFetch(withStats(app));
