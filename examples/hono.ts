/**
 * The example app as a Hono app, served by Bun: `npx bun examples/hono.ts`.
 * `withSession(app.fetch)` wraps the whole Hono app; a route reaches the
 * session with `getSession(c.req.raw)`. Runs unchanged under `Deno.serve` or
 * as a Workers `export default { fetch }`.
 *
 * @module
 */
import { Hono } from "hono";
import { getSession, withSession } from "../mod.ts";
import { handle, type AppSessionData } from "./app.ts";

const app = new Hono();

// A Hono route of its own: reads the same session as the shared views.
app.get("/whoami", async (c) => {
  const session = await getSession<AppSessionData>(c.req.raw);
  return c.json({ memberId: session.get("member_id") ?? null, visits: session.get("num_visits") ?? 0 });
});
// The shared views from app.ts, mounted as they are.
app.all("*", (c) => handle(c.req.raw));

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  fetch: withSession(app.fetch),
});
console.log(`Listening on ${server.url}`);
