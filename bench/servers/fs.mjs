// fetch-session, on Bun (run directly) or Node (bundled by run.mjs, served through srvx).
// STORE=libsql (KyselyStore on a libSQL file at DB, via createLibsqlStore) | memory | cookie
// FS_MOD: another copy of mod.ts (a prototype of a core change); default: this repository's.
const { getSession, withSession, CookieStore, MemoryStore } = process.env.FS_MOD
  ? await import(process.env.FS_MOD)
  : await import("../../mod.ts");
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { DB, SECRET, cleanups, notFound, serveFetch, stats, withStats } from "./common.mjs";

const kind = process.env.STORE ?? "libsql";
let store;
const admin = {};
if (kind === "libsql") {
  store = await createLibsqlStore({ url: `file:${DB}` });
  // Count every statement the store runs. With CLEAR_YIELD=1 (a prototype of a
  // proposed change to KyselyStore.clearExpired), every clearExpired batch first
  // yields to the event loop, so that pending requests run between batches.
  const db = store.db;
  const execute = db.executeQuery.bind(db);
  const yieldBetweenBatches = process.env.CLEAR_YIELD === "1";
  db.executeQuery = (query, ...rest) => {
    stats.statements++;
    if (yieldBetweenBatches && query.queryId?.queryId === "fetch-session:clear-expired") {
      return new Promise((resolve) => setTimeout(resolve, 0)).then(() => execute(query, ...rest));
    }
    return execute(query, ...rest);
  };
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

async function read(request) {
  const session = await getSession(request);
  return new Response(String(session.get("n") ?? 0));
}

async function write(request) {
  const session = await getSession(request);
  const n = (session.get("n") ?? 0) + 1;
  session.set("n", n);
  return new Response(String(n));
}

async function create(request) {
  const session = await getSession(request);
  session.set("n", 1);
  return new Response("1");
}

// Routes that do not open the session answer synchronously, as the bare handler does.
const app = withSession(
  (request, path) => {
    switch (path) {
      case "/untouched":
        return new Response("ok");
      case "/read":
        return read(request);
      case "/write":
        return write(request);
      case "/new":
        return create(request);
    }
    return notFound();
  },
  { store },
);

await serveFetch(withStats(app, admin));
