// Express 5 + express-session + connect-redis (node-redis v5 client) on Node:
// the peer row for RedisStore. Options as the READMEs show (resave: false,
// saveUninitialized: false). REDIS_URL: the server; REDIS_PREFIX: the key prefix.
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import { MAX_AGE, PORT, SECRET, cleanups, ready, stats } from "./common.mjs";

const client = createClient({ url: process.env.REDIS_URL });
client.on("error", (error) => console.error("redis:", error.message));
await client.connect();
cleanups.push(() => client.destroy());

const app = express();
app.disable("x-powered-by");
app.get("/__stats", (req, res) => res.json(stats));
app.use((req, res, next) => {
  stats.requests++;
  next();
});
app.use(
  session({
    store: new RedisStore({ client, prefix: process.env.REDIS_PREFIX ?? "sess:" }),
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: MAX_AGE * 1000, httpOnly: true, sameSite: "lax" },
  }),
);
app.get("/read", (req, res) => res.type("text").send(String(req.session.n ?? 0)));
app.get("/write", (req, res) => {
  req.session.n = (req.session.n ?? 0) + 1;
  res.type("text").send(String(req.session.n));
});
app.get("/new", (req, res) => {
  req.session.n = 1;
  res.type("text").send("1");
});
app.get("/untouched", (req, res) => res.type("text").send("ok"));
const server = app.listen(PORT, "127.0.0.1", () => ready(server.address().port, () => server.close()));
