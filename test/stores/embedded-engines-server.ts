/**
 * A session server on one embedded engine, for the cross-engine test
 * (test/stores/embedded-engines.test.ts): runs under Bun, Node 24 or Deno
 * (srvx serves it), with `STORE_URL=file:/tmp/x.db STORE_TABLE=t ENGINE=bun:sqlite PORT=8000`.
 * Several of them, on different engines, share one database file.
 *
 * The routes of test/multiprocess/serve-sessions.ts: `GET /` answers
 * `{ engine, data }` with the session's entries, `POST /set?k=K&v=V` sets a
 * key, `POST /logout` flushes the session.
 */
import { serve } from "srvx";
import { createLibsqlStore, type EmbeddedEngine } from "../../src/stores/libsql/index.ts";
import { sessionRoutes } from "../multiprocess/serve-sessions.ts";

const env = (name: string) => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
const url = env("STORE_URL");
if (!url) throw new Error("STORE_URL is required");
const engine = (env("ENGINE") ?? "auto") as EmbeddedEngine | "auto";
const store = await createLibsqlStore({ url, table: env("STORE_TABLE") ?? "sessions", engine });

const app = sessionRoutes(store, { engine });

const server = serve({ hostname: "127.0.0.1", port: Number(env("PORT") ?? 0), fetch: app, silent: true });
await server.ready();
console.log(`listening on ${server.url}`);
