// Hono on Bun. STORE=none: Hono with no session code. STORE=cookie: hono-sessions
// CookieStore. STORE=sqlite: hono-sessions BunSqliteStore on a bun:sqlite file
// (WAL, synchronous=NORMAL). Middleware as in the hono-sessions README
// (app.use("*", sessionMiddleware(...)), autoExtendExpiration left at its default).
import { Hono } from "hono";
import { CookieStore, sessionMiddleware } from "hono-sessions";
import { DB, MAX_AGE, PRAGMAS, SECRET, cleanups, serveFetch, stats, withStats } from "./common.mjs";

const kind = process.env.STORE ?? "none";
const app = new Hono();
if (kind !== "none") {
  let store;
  if (kind === "cookie") {
    store = new CookieStore();
  } else if (kind === "sqlite") {
    const { Database } = await import("bun:sqlite");
    const { BunSqliteStore } = await import("hono-sessions/bun-sqlite-store");
    const db = new Database(DB, { create: true });
    for (const pragma of PRAGMAS) db.run(pragma);
    cleanups.push(() => db.close());
    // Count statements: every store call runs one query object.
    const query = db.query.bind(db);
    db.query = (sql) => {
      const statement = query(sql);
      return {
        get: (...args) => (stats.statements++, statement.get(...args)),
        run: (...args) => (stats.statements++, statement.run(...args)),
        all: (...args) => (stats.statements++, statement.all(...args)),
      };
    };
    store = new BunSqliteStore(db, "hono_sessions");
  } else {
    throw new Error(`unknown STORE ${kind}`);
  }
  app.use(
    "*",
    sessionMiddleware({
      store,
      encryptionKey: SECRET,
      expireAfterSeconds: MAX_AGE,
      cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true, maxAge: MAX_AGE },
    }),
  );
}

app.get("/untouched", (c) => c.text("ok"));
app.get("/read", (c) => c.text(String(c.get("session").get("n") ?? 0)));
app.get("/write", (c) => {
  const session = c.get("session");
  const n = (session.get("n") ?? 0) + 1;
  session.set("n", n);
  return c.text(String(n));
});
app.get("/new", (c) => {
  c.get("session").set("n", 1);
  return c.text("1");
});
if (kind === "none") {
  app.get("/read", (c) => c.text("ok"));
}

await serveFetch(withStats((request) => app.fetch(request)));
