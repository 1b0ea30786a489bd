/**
 * The example app on Deno:
 * `deno run --allow-net --allow-env --allow-read --allow-write examples/deno.ts`.
 * Sessions go to the default store, a SQLite file (`SESSION_DATABASE_URL`, else `file:sessions.db`).
 *
 * @module
 */
import { createApp } from "./app.ts";

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 3000) }, createApp());
