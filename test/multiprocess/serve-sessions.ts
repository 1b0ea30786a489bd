/**
 * The HTTP side of the multi-process session servers (test/multiprocess/server.ts
 * on SQL, test/fixtures/redis-server.ts on Redis), run by Bun:
 *
 * - `GET /` answers `{ pid, data }` with the session's entries (`{ engine, data }` from
 *   test/stores/embedded-engines-server.ts);
 * - `POST /set?k=K&v=V` sets a key;
 * - `POST /logout` flushes the session.
 *
 * @module
 */
import { getSession, withSession } from "../../mod.ts";
import type { SessionStore } from "../../src/store.ts";

/**
 * The routes, as a fetch handler on `store`; `GET /` answers `about`'s fields
 * (the process id, the engine) followed by `data`. Plain fetch: also served by
 * srvx (test/stores/embedded-engines-server.ts).
 */
export function sessionRoutes(store: SessionStore, about: Record<string, unknown>): (request: Request) => Promise<Response> {
  return withSession(async (request: Request) => {
    const { pathname, searchParams } = new URL(request.url);
    const session = await getSession(request);
    if (pathname === "/set" && request.method === "POST") {
      session.set(searchParams.get("k")!, searchParams.get("v"));
      return new Response("ok");
    }
    if (pathname === "/logout" && request.method === "POST") {
      await session.flush();
      return new Response("bye");
    }
    return Response.json({ ...about, data: Object.fromEntries(session.entries()) });
  }, { store });
}

/**
 * Serves the routes on 127.0.0.1 at `PORT` (Bun.serve), prints
 * `listening on <url>`, and on SIGTERM or SIGINT stops the server, runs
 * `close` (the store's connections) and exits.
 */
export function serveSessions(store: SessionStore, close: () => Promise<void>): void {
  const app = sessionRoutes(store, { pid: process.pid });

  const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0), fetch: app });
  console.log(`listening on ${server.url}`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, async () => {
      await server.stop();
      await close();
      process.exit(0);
    });
  }
}
