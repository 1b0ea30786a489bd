/**
 * The example app on Bun: `npx bun examples/bun.ts` (or `npm run demo`).
 * Sessions go to the default store, a SQLite file (`SESSION_DATABASE_URL`, else `file:sessions.db`).
 *
 * @module
 */
import { createApp } from "./app.ts";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  fetch: createApp(),
});
console.log(`Listening on ${server.url}`);
