/**
 * Run by test/django/cookie.test.ts under real Bun: a fetch handler with
 * djangoCookieStore reads the Django session in DJANGO_COOKIE (signed with
 * DJANGO_SECRET_KEY), adds one value, and prints what it saw and the
 * Set-Cookie it answered with, as JSON.
 */
import { getSession, withSession } from "../../mod.ts";
import { djangoCookieStore } from "../../src/django/mod.ts";

const secretKey = process.env.DJANGO_SECRET_KEY!;
const cookie = process.env.DJANGO_COOKIE!;
let seen: { user: unknown; values: Record<string, unknown> } | undefined;
const app = withSession(async (request: Request) => {
  const session = await getSession(request);
  session.set("bun", "was here ✓");
  seen = { user: session.get("_auth_user_id"), values: Object.fromEntries(session.entries()) };
  return new Response("ok");
}, { store: djangoCookieStore({ secretKey }) });

const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app });
try {
  const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { cookie: `sessionid=${cookie}` } });
  await response.text();
  console.log(JSON.stringify({ runtime: `bun ${Bun.version}`, ...seen, setCookie: response.headers.get("set-cookie") }));
} finally {
  server.stop(true);
}
