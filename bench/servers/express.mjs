// Express 5 on Node. STORE=none: no session code. STORE=sqlite: express-session
// with better-sqlite3-session-store on a better-sqlite3 file (WAL,
// synchronous=NORMAL), options as the READMEs show (resave: false,
// saveUninitialized: false).
import { createRequire } from "node:module";
import express from "express";
import {
  DB,
  PRAGMAS,
  cleanups,
  expressSessionOptions,
  expressSessionRoutes,
  expressStats,
  listenExpress,
  stats,
} from "./common.mjs";

const require = createRequire(import.meta.url);
const kind = process.env.STORE ?? "none";
const app = express();
expressStats(app);
if (kind === "sqlite") {
  const session = require("express-session");
  const Database = require("better-sqlite3");
  const SqliteStore = require("better-sqlite3-session-store")(session);
  const db = new Database(DB);
  for (const pragma of PRAGMAS) db.exec(pragma);
  cleanups.push(() => db.close());
  // Count statements: every store call prepares and runs one statement.
  const prepare = db.prepare.bind(db);
  db.prepare = (sql) => {
    const statement = prepare(sql);
    for (const method of ["get", "run", "all"]) {
      const original = statement[method].bind(statement);
      statement[method] = (...args) => {
        stats.statements++;
        return original(...args);
      };
    }
    return statement;
  };
  const store = new SqliteStore({ client: db, expired: { clear: true, intervalMs: 15 * 60 * 1000 } });
  app.use(session(expressSessionOptions(store)));
  expressSessionRoutes(app);
} else if (kind !== "none") {
  throw new Error(`unknown STORE ${kind}`);
}
app.get("/untouched", (req, res) => res.type("text").send("ok"));
app.get("/read", (req, res) => res.type("text").send("ok"));

listenExpress(app);
