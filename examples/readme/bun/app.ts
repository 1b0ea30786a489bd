// app.ts: bun app.ts
import { getSession, withSession } from "fetch-session";

const app = withSession(async (request: Request) => {
  const session = await getSession<{ visits: number }>(request);
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return new Response(`Visits: ${visits}`);
});

Bun.serve({ hostname: "127.0.0.1", port: Number(Bun.env.PORT ?? 3000), fetch: app });
