/**
 * The example app as a Cloudflare Workers module, with sessions in D1 through
 * `KyselyStore` and a cron trigger that deletes expired sessions.
 *
 * Run it locally: `npx wrangler d1 migrations apply DB --local -c examples/wrangler.jsonc`,
 * then `npx wrangler dev -c examples/wrangler.jsonc --ip 127.0.0.1`.
 *
 * @module
 */
import { Kysely } from "kysely";
import { D1Dialect } from "kysely-d1";
import { KyselyStore } from "../mod.ts";
import { createApp } from "./app.ts";

/** The bindings declared in `wrangler.jsonc`. */
export interface Env {
  /** The D1 database holding the `sessions` table (see `migrations/`). */
  DB: D1Database;
}

/** One store per D1 binding, reused across requests in the same isolate. */
const stores = new WeakMap<D1Database, KyselyStore>();

function storeFor(env: Env): KyselyStore {
  let store = stores.get(env.DB);
  if (store === undefined) {
    store = new KyselyStore({ db: new Kysely({ dialect: new D1Dialect({ database: env.DB }) }) });
    stores.set(env.DB, store);
  }
  return store;
}

const app = createApp<[Env, ExecutionContext]>({ store: (_request, env) => storeFor(env) });

export default {
  fetch: app,
  async scheduled(_controller, env) {
    const count = await storeFor(env).clearExpired();
    console.log(`clearsessions: deleted ${count} expired sessions`);
  },
} satisfies ExportedHandler<Env>;
