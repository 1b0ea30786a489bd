// Express 5 + express-session + connect-redis (node-redis v5 client) on Node:
// the peer row for RedisStore. Options as the READMEs show (resave: false,
// saveUninitialized: false). REDIS_URL: the server; REDIS_PREFIX: the key prefix.
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import { cleanups, expressSessionOptions, expressSessionRoutes, expressStats, listenExpress } from "./common.mjs";

const client = createClient({ url: process.env.REDIS_URL });
client.on("error", (error) => console.error("redis:", error.message));
await client.connect();
cleanups.push(() => client.destroy());

const app = express();
expressStats(app);
app.use(session(expressSessionOptions(new RedisStore({ client, prefix: process.env.REDIS_PREFIX ?? "sess:" }))));
expressSessionRoutes(app);
app.get("/untouched", (req, res) => res.type("text").send("ok"));
listenExpress(app);
