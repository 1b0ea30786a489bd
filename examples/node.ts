/**
 * The example app on Node, through srvx's fetch adapter: `npm run demo:node`
 * (`tsx examples/node.ts`, Node 20+), or `node examples/node.ts` on Node 22.18+,
 * which strips the types itself.
 * Sessions go to the default store, a SQLite file (`SESSION_DATABASE_URL`, else `file:sessions.db`).
 *
 * @module
 */
import { serve } from "srvx";
import { createApp } from "./app.ts";

serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000), fetch: createApp() });
