/**
 * The example app on Node, through srvx's fetch adapter. Node 22.18+ runs it
 * as it is: `node examples/node.ts`. Node 20 needs a TypeScript loader, e.g.
 * `npx tsx examples/node.ts` (the tests use `node --import ./test/helpers/node-ts-register.mjs examples/node.ts`).
 * Sessions go to the embedded libSQL default (`SESSION_DATABASE_URL`, else `file:sessions.db`).
 *
 * @module
 */
import { serve } from "srvx";
import { createApp } from "./app.ts";

serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000), fetch: createApp() });
