/**
 * A small session server for the multi-process tests, run by Bun:
 * `STORE_URL=file:/tmp/x.db PORT=8000 bun test/multiprocess/server.ts`
 * (or `STORE_URL=postgres://...`). Several of them share one database.
 *
 * - `GET /` answers `{ pid, data }` with the session's entries;
 * - `POST /set?k=K&v=V` sets a key;
 * - `POST /logout` flushes the session.
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { getSession, withSession } from "../../mod.ts";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";

const url = process.env.STORE_URL;
if (!url) throw new Error("STORE_URL is required");
const table = process.env.STORE_TABLE ?? "sessions";

let store: KyselyStore;
if (url.startsWith("postgres:")) {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  pool.on("error", () => {});
  store = new KyselyStore({ db: new Kysely<any>({ dialect: new PostgresDialect({ pool }) }), table });
  await store.createSchema();
} else {
  store = await createLibsqlStore({ url, table });
}

const app = withSession(async (request: Request) => {
  const { pathname, searchParams } = new URL(request.url);
  const session = await getSession(request);
  if (pathname === "/set" && request.method === "POST") {
    session.set(searchParams.get("k")!, searchParams.get("v"));
    return new Response("ok");
  }
  if (pathname === "/logout" && request.method === "POST") {
    await session.flush();
    return new Response("bye");
  }
  return Response.json({ pid: process.pid, data: Object.fromEntries(session.entries()) });
}, { store });

const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0), fetch: app });
console.log(`listening on ${server.url}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, async () => {
    await server.stop();
    await store.db.destroy();
    process.exit(0);
  });
}
