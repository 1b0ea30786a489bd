/**
 * Run by test/django/cookie.test.ts under real Bun and real Deno: a fetch
 * handler with djangoCookieStore, called in process, reads the Django session
 * in DJANGO_COOKIE (signed with DJANGO_SECRET_KEY), adds one value, and
 * prints what it saw and the Set-Cookie it answered with, as JSON.
 */
import process from "node:process";
import { getSession, withSession } from "../../mod.ts";
import { djangoCookieStore } from "../../src/django/mod.ts";

const runtime = (globalThis as { Deno?: { version: { deno: string } } }).Deno
  ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`;
const secretKey = process.env.DJANGO_SECRET_KEY!;
const cookie = process.env.DJANGO_COOKIE!;
let seen: { user: unknown; values: Record<string, unknown> } | undefined;
const app = withSession(async (request: Request) => {
  const session = await getSession(request);
  session.set("runtime", `${runtime.split(" ")[0]} was here ✓`);
  seen = { user: session.get("_auth_user_id"), values: Object.fromEntries(session.entries()) };
  return new Response("ok");
}, { store: djangoCookieStore({ secretKey }) });

const response = await app(new Request("http://localhost/", { headers: { cookie: `sessionid=${cookie}` } }));
console.log(JSON.stringify({ runtime, ...seen, setCookie: response.headers.get("set-cookie") }));
