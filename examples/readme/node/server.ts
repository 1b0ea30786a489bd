// server.ts: npx tsx server.ts (Node 20+), or node server.ts (Node 22.18+)
import { serve } from "srvx";
import { getSession, withSession } from "fetch-session";

const app = withSession(async (request: Request) => {
  const session = await getSession<{ visits: number }>(request);
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return new Response(`Visits: ${visits}`);
});

serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000), fetch: app });
