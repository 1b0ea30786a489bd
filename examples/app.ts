/**
 * The example app: the views from Django's session documentation and
 * tutorial, written once against Web APIs only, so the same module runs under
 * `Bun.serve`, `Deno.serve`, a Cloudflare Worker, Node (srvx) and Hono.
 *
 * - `GET /`: the visit counter, the flash message left by a login, and who is logged in.
 * - `POST /comment`: one comment per session (`has_commented`).
 * - `GET /login`: the login form; sets Django's test cookie.
 * - `POST /login`: checks the test cookie, then the password (PBKDF2, salted),
 *   cycles the session key (session fixation defence), stores `member_id`,
 *   leaves a flash message and redirects to `/`.
 * - `POST /logout`: flushes the session; the cookie is expired.
 *
 * Demo accounts: `demo` / `demo` and `ada` / `lovelace`. Only their salted
 * hashes are in the code.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 *
 * Bun.serve({ hostname: "127.0.0.1", port: 3000, fetch: createApp() });
 * ```
 *
 * @module
 */
import { getSession, withSession } from "../mod.ts";
import type { WithSessionOptions } from "../mod.ts";

/** What the example keeps in a session. */
export type AppSessionData = {
  /** How many times this visitor loaded `/`. */
  num_visits: number;
  /** Set once the visitor posted a comment. */
  has_commented: boolean;
  /** The logged-in member's id. */
  member_id: number;
  /** A one-time message (set with `flash`, shown by the next `GET /`). */
  message: string;
};

/** A row of the example's users table. */
interface Member {
  id: number;
  username: string;
  /** Django's format: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`. */
  password: string;
}

/**
 * The users table. Passwords are PBKDF2-SHA256 hashes in Django's format;
 * 100,000 iterations is the most Cloudflare Workers' Web Crypto accepts.
 */
const MEMBERS: readonly Member[] = [
  { id: 1, username: "demo", password: "pbkdf2_sha256$100000$rhNxfoi6DdJVUn70eHfdEr$wAlk+HI/wKmtlPBQcs3jKDz8B13JoI9FepSVSSMbHCk=" },
  { id: 2, username: "ada", password: "pbkdf2_sha256$100000$rzwjvd4BcDIJutXZbrbXHE$2uoqejKlELiSV2d9F0flVLQgnnIDY0PErofc/Ds7zcA=" },
];

/** Hashed when the username is unknown, so a wrong username costs as long as a wrong password. */
const DUMMY_PASSWORD = "pbkdf2_sha256$100000$AhsdjxW3Ld2BmQ8tFzR6cN$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

type View = (request: Request) => Promise<Response>;

/** Method -> view, per path. */
const ROUTES: Readonly<Record<string, Readonly<Record<string, View>>>> = {
  "/": { GET: home },
  "/comment": { POST: comment },
  "/login": { GET: loginForm, POST: login },
  "/logout": { POST: logout },
};

/**
 * The example's request handler, without sessions: routes to the views. Wrap
 * it with `withSession` (that is what {@link createApp} does) before serving it.
 *
 * @param request the incoming request
 * @returns the view's response, `404` for an unknown path, `405` for a wrong method,
 *   `403` for a cross-origin form post
 * @example
 * ```ts
 * const app = withSession(handle, { store: new MemoryStore() });
 * ```
 */
export async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const route = Object.hasOwn(ROUTES, url.pathname) ? ROUTES[url.pathname] : undefined;
  if (route === undefined) return page("Not found", "<p>There is no such page.</p>", 404);
  const view = Object.hasOwn(route, request.method) ? route[request.method] : undefined;
  if (view === undefined) {
    const response = page("Method not allowed", "<p>That method is not allowed here.</p>", 405);
    response.headers.set("Allow", Object.keys(route).join(", "));
    return response;
  }
  // SameSite=Lax already keeps the cookie off cross-site POSTs; refusing a
  // foreign Origin as well is the cheap half of Django's CSRF check.
  if (request.method === "POST") {
    const origin = request.headers.get("Origin");
    if (origin !== null && origin !== url.origin) {
      return page("Forbidden", "<p>Cross-origin form posts are refused.</p>", 403);
    }
  }
  return await view(request);
}

/**
 * Builds the example app: {@link handle} wrapped with `withSession`. Each
 * runtime's entry passes its own store (or none, for the embedded libSQL
 * default at `SESSION_DATABASE_URL` or `file:sessions.db`).
 *
 * @param options `withSession` options: store, cookie settings, expiry policy
 * @returns a fetch handler for `Bun.serve`, `Deno.serve`, a Workers `fetch` export or srvx
 * @throws {TypeError} when an option has the wrong type (from `withSession`)
 * @throws {RangeError} when an option is out of range (from `withSession`)
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import { MemoryStore } from "../mod.ts";
 *
 * Deno.serve({ hostname: "127.0.0.1", port: 3000 }, createApp({ store: new MemoryStore() }));
 * ```
 */
export function createApp<Rest extends unknown[] = []>(
  options?: WithSessionOptions<Rest>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  // The runtime's extra arguments (Bun's server, Workers' env and ctx) are not needed by the views.
  return withSession<Rest, Response>((request: Request, ..._rest: Rest) => handle(request), options);
}

/** `GET /`: Django's visit counter, plus the flash message and who is logged in. */
async function home(request: Request): Promise<Response> {
  const session = await getSession<AppSessionData>(request);
  const visits = (session.get("num_visits") ?? 0) + 1;
  session.set("num_visits", visits);
  const message = session.get("message");
  const member = MEMBERS.find((m) => m.id === session.get("member_id"));
  const flash = message === undefined ? "" : `<p class="flash" role="status">${escapeHtml(message)}</p>`;
  const who = member === undefined
    ? `<p id="status">You are not logged in. <a href="/login">Log in</a></p>`
    : `<p id="status">Logged in as <strong>${escapeHtml(member.username)}</strong>.</p>
       <form method="post" action="/logout"><button type="submit">Log out</button></form>`;
  const commentForm = session.get("has_commented")
    ? `<p>Thanks for your comment!</p>`
    : `<form method="post" action="/comment">
         <label for="comment">Comment</label>
         <textarea id="comment" name="comment" rows="2" required></textarea>
         <button type="submit">Post comment</button>
       </form>`;
  return page(
    "Home",
    `${flash}
     <p id="visits">You have visited this page ${visits} time${visits === 1 ? "" : "s"}.</p>
     ${who}
     ${commentForm}`,
  );
}

/** `POST /comment`: one comment per session, as in Django's `post_comment` example. */
async function comment(request: Request): Promise<Response> {
  const session = await getSession<AppSessionData>(request);
  if (session.get("has_commented")) {
    return page("Comment", `<p id="result">You've already commented.</p><p><a href="/">Home</a></p>`);
  }
  const form = await readForm(request);
  const text = form?.get("comment");
  if (typeof text !== "string" || text.trim() === "") {
    return page("Comment", `<p id="result">Write a comment first.</p><p><a href="/">Home</a></p>`, 400);
  }
  // A real app would save the comment here.
  session.set("has_commented", true);
  return page(
    "Comment",
    `<p id="result">Thanks for your comment!</p>
     <blockquote>${escapeHtml(text)}</blockquote>
     <p><a href="/">Home</a></p>`,
  );
}

/** `GET /login`: the form; sets the test cookie that `POST /login` checks. */
async function loginForm(request: Request): Promise<Response> {
  const session = await getSession<AppSessionData>(request);
  session.setTestCookie();
  return loginPage();
}

/** `POST /login`: Django's test-cookie check, then the password, then `cycleKey()`. */
async function login(request: Request): Promise<Response> {
  const session = await getSession<AppSessionData>(request);
  if (!session.testCookieWorked()) {
    return page("Log in", `<p id="error">Please enable cookies and try again.</p><p><a href="/login">Log in</a></p>`, 403);
  }
  const form = await readForm(request);
  const username = form?.get("username");
  const password = form?.get("password");
  if (typeof username !== "string" || typeof password !== "string") {
    return loginPage("Enter a username and a password.", 400);
  }
  const member = await authenticate(username, password);
  if (member === null) return loginPage("Your username and password didn't match.", 403);
  session.deleteTestCookie();
  await session.cycleKey();
  session.set("member_id", member.id);
  session.flash("message", `Welcome back, ${member.username}!`);
  return Response.redirect(new URL("/", request.url).href, 303);
}

/** `POST /logout`: `flush()` deletes the stored session; the response expires the cookie. */
async function logout(request: Request): Promise<Response> {
  const session = await getSession<AppSessionData>(request);
  await session.flush();
  return Response.redirect(new URL("/", request.url).href, 303);
}

/** The member whose password matches, or `null`. Takes the same time for unknown usernames. */
async function authenticate(username: string, password: string): Promise<Member | null> {
  const member = MEMBERS.find((m) => m.username === username);
  const ok = await checkPassword(password, member?.password ?? DUMMY_PASSWORD);
  return ok && member !== undefined ? member : null;
}

/** Django's `check_password` for `pbkdf2_sha256` hashes, with Web Crypto. */
async function checkPassword(password: string, encoded: string): Promise<boolean> {
  const [algorithm, iterations, salt, hash] = encoded.split("$");
  if (algorithm !== "pbkdf2_sha256" || iterations === undefined || salt === undefined || hash === undefined) {
    return false;
  }
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt), iterations: Number(iterations) },
    key,
    256,
  );
  return constantTimeEqual(btoa(String.fromCharCode(...new Uint8Array(bits))), hash);
}

/** Compares two strings without stopping at the first difference. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** The request's form fields, or `null` when the body is not a form. */
async function readForm(request: Request): Promise<FormData | null> {
  try {
    return await request.formData();
  } catch {
    return null;
  }
}

function loginPage(error?: string, status = 200): Response {
  return page(
    "Log in",
    `${error === undefined ? "" : `<p id="error">${escapeHtml(error)}</p>`}
     <form method="post" action="/login">
       <label for="username">Username</label>
       <input id="username" name="username" autocomplete="username" required>
       <label for="password">Password</label>
       <input id="password" name="password" type="password" autocomplete="current-password" required>
       <button type="submit">Log in</button>
     </form>
     <p class="hint">Try <code>demo</code> / <code>demo</code>.</p>
     <p><a href="/">Home</a></p>`,
    status,
  );
}

/** A small HTML page. Per-visitor content: never cached by shared caches. */
function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · fetch-session demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.4rem; }
  .flash { background: #dafbe1; border: 1px solid #4ac26b; padding: .5rem .75rem; border-radius: 6px; }
  #error { background: #ffebe9; border: 1px solid #ff8182; padding: .5rem .75rem; border-radius: 6px; }
  form { display: grid; gap: .4rem; margin: 1rem 0; }
  button { justify-self: start; padding: .3rem .9rem; }
  .hint { color: #59636e; font-size: .9rem; }
</style>
</head>
<body>
<h1>fetch-session demo</h1>
<main>
${body}
</main>
</body>
</html>
`;
  return new Response(html, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/** Escapes text for HTML content and double-quoted attributes (the pages use no single-quoted ones). */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
