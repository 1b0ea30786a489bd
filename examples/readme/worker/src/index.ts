// src/index.ts (tsconfig: "types": ["@cloudflare/workers-types"])
import { Kysely } from "kysely";
import { D1Dialect } from "kysely-d1";
import { getSession, KyselyStore, withSession } from "fetch-session";

interface Env {
  DB: D1Database;
}

const stores = new WeakMap<D1Database, KyselyStore>(); // one store per binding
function storeFor(env: Env): KyselyStore {
  let store = stores.get(env.DB);
  if (store === undefined) {
    store = new KyselyStore({ db: new Kysely({ dialect: new D1Dialect({ database: env.DB }) }) });
    stores.set(env.DB, store);
  }
  return store;
}

const app = withSession(async (request: Request, _env: Env, _ctx: ExecutionContext) => {
  const session = await getSession<{ visits: number }>(request);
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return new Response(`Visits: ${visits}`);
}, { store: (_request, env) => storeFor(env) });

export default {
  fetch: app,
  async scheduled(_controller, env) {
    await storeFor(env).clearExpired(); // Django's clearsessions, from the cron trigger
  },
} satisfies ExportedHandler<Env>;
