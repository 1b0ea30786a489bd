// main.ts
import { getSession, withSession } from "fetch-session";

const app = withSession(async (request: Request) => {
  const session = await getSession<{ visits: number }>(request);
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return new Response(`Visits: ${visits}`);
});

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 8000) }, app);
