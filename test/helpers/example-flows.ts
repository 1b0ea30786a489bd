/**
 * The end-to-end flows of the example app (examples/app.ts), written once and
 * run against every runtime's server over real HTTP with a cookie jar.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, isExpired, rowId, SESSION_COOKIE, type SetCookie } from "./http.ts";
import type { ExampleServer } from "./servers.ts";

/** The number in "You have visited this page N time(s)." */
export function visitsIn(html: string): number {
  const match = /You have visited this page (\d+) times?\./.exec(html);
  if (match?.[1] === undefined) throw new Error(`No visit counter in:\n${html}`);
  return Number(match[1]);
}

/** Loads `/` and returns the visit count and the page. */
async function visit(jar: CookieJar, base: string): Promise<{ visits: number; html: string; response: Response }> {
  const response = await jar.fetch(`${base}/`);
  const html = await response.text();
  expect(response.status, html).toBe(200);
  return { visits: visitsIn(html), html, response };
}

/** Logs `jar` in as demo through the form (test cookie, then the password). */
async function logIn(jar: CookieJar, base: string): Promise<Response> {
  const form = await jar.fetch(`${base}/login`);
  expect(form.status).toBe(200);
  await form.text();
  const response = await jar.post(`${base}/login`, { username: "demo", password: "demo" });
  await response.text();
  return response;
}

/**
 * Declares the example app's end-to-end tests for one runtime: starts the
 * server once before the tests, stops it after them (also when one fails).
 *
 * @param title the suite title, e.g. "examples/bun.ts on Bun"
 * @param start starts the server
 * @param extra more tests for this runtime, given a getter for the running server
 */
export function describeExampleApp<S extends ExampleServer>(
  title: string,
  start: () => Promise<S>,
  extra?: (server: () => S) => void,
): void {
  describe(title, () => {
    let running: S | undefined;
    const server = (): S => {
      if (running === undefined) throw new Error(`${title}: the server did not start`);
      return running;
    };
    const base = () => server().url;

    beforeAll(async () => {
      running = await start();
    });
    afterAll(async () => {
      await running?.stop();
    });

    it("GET / counts visits 1, 2, 3 per session, and a fresh cookie jar starts at 1", async () => {
      const jar = new CookieJar();
      const first = await visit(jar, base());
      expect(first.visits).toBe(1);
      expect(first.html).toContain("You have visited this page 1 time.");
      const cookie = jar.lastSetCookies.find((cookie) => cookie.name === SESSION_COOKIE);
      expect(cookie?.value).toMatch(/^[a-z0-9]{32}$/);
      expect(cookie?.attributes.get("httponly")).toBe(true);
      expect(cookie?.attributes.get("samesite")).toBe("Lax");
      expect(cookie?.attributes.get("path")).toBe("/");
      expect(cookie?.attributes.get("max-age")).toBe("1209600");
      expect(first.response.headers.get("Vary")).toMatch(/\bCookie\b/);
      expect((await visit(jar, base())).visits).toBe(2);
      const third = await visit(jar, base());
      expect(third.visits).toBe(3);
      expect(third.html).toContain("You have visited this page 3 times.");
      expect((await visit(new CookieJar(), base())).visits).toBe(1);
      expect((await visit(jar, base())).visits).toBe(4);
      // The store keeps the SHA-256 of the key, never the cookie value.
      const key = jar.get(SESSION_COOKIE) ?? "";
      const ids = await server().sessionIds();
      expect(ids).toContain(rowId(key));
      expect(ids).not.toContain(key);
    });

    it("POST /comment takes one comment per session", async () => {
      const jar = new CookieJar();
      const first = await jar.post(`${base()}/comment`, { comment: "Sessions <3 fetch" });
      const firstHtml = await first.text();
      expect(first.status).toBe(200);
      expect(firstHtml).toContain("Thanks for your comment!");
      expect(firstHtml).toContain("Sessions &#60;3 fetch");
      const second = await jar.post(`${base()}/comment`, { comment: "again" });
      expect(await second.text()).toContain("You've already commented.");
      const other = await new CookieJar().post(`${base()}/comment`, { comment: "hello" });
      expect(await other.text()).toContain("Thanks for your comment!");
    });

    it("POST /login without the test cookie is refused", async () => {
      const jar = new CookieJar();
      await visit(jar, base()); // a session, but no GET /login before the post
      const refused = await jar.post(`${base()}/login`, { username: "demo", password: "demo" });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain("Please enable cookies and try again.");
      const cookieless = await new CookieJar().post(`${base()}/login`, { username: "demo", password: "demo" });
      expect(cookieless.status).toBe(403);
      expect(await cookieless.text()).toContain("Please enable cookies and try again.");
      expect((await visit(jar, base())).html).toContain("You are not logged in.");
    });

    it("POST /login refuses a wrong password and keeps the test cookie for the next try", async () => {
      const jar = new CookieJar();
      await (await jar.fetch(`${base()}/login`)).text();
      const wrong = await jar.post(`${base()}/login`, { username: "demo", password: "wrong" });
      expect(wrong.status).toBe(403);
      expect(await wrong.text()).toContain("Your username and password didn't match.");
      const unknown = await jar.post(`${base()}/login`, { username: "nobody", password: "demo" });
      expect(unknown.status).toBe(403);
      expect(await unknown.text()).toContain("Your username and password didn't match.");
      const right = await jar.post(`${base()}/login`, { username: "demo", password: "demo" });
      expect(right.status).toBe(303);
    });

    it("POST /login with the test cookie cycles the session key, and the flash shows once", async () => {
      const jar = new CookieJar();
      expect((await visit(jar, base())).visits).toBe(1);
      const before = jar.get(SESSION_COOKIE);
      expect(before).toBeDefined();
      const response = await logIn(jar, base());
      expect(response.status).toBe(303);
      expect(new URL(response.headers.get("Location") ?? "", base()).pathname).toBe("/");
      const after = jar.get(SESSION_COOKIE);
      expect(after).toMatch(/^[a-z0-9]{32}$/);
      expect(after).not.toBe(before);
      // The old key names no session any more (fixation defence): its row is gone.
      const ids = await server().sessionIds();
      expect(ids).not.toContain(rowId(before ?? ""));
      expect(ids).toContain(rowId(after ?? ""));
      const stale = new CookieJar();
      stale.set(SESSION_COOKIE, before ?? "");
      expect((await visit(stale, base())).visits).toBe(1);

      const welcome = await visit(jar, base());
      expect(welcome.visits).toBe(2); // cycleKey() kept the data
      expect(welcome.html).toContain("Welcome back, demo!");
      expect(welcome.html).toContain("Logged in as <strong>demo</strong>.");
      const again = await visit(jar, base());
      expect(again.visits).toBe(3);
      expect(again.html).not.toContain("Welcome back");
      expect(again.html).toContain("Logged in as <strong>demo</strong>.");
    });

    it("POST /logout flushes the session, expires the cookie, and the counter starts over", async () => {
      const jar = new CookieJar();
      await visit(jar, base());
      await logIn(jar, base());
      const key = jar.get(SESSION_COOKIE) ?? "";
      expect((await visit(jar, base())).visits).toBe(2);
      const response = await jar.post(`${base()}/logout`);
      expect(response.status).toBe(303);
      expect(new URL(response.headers.get("Location") ?? "", base()).pathname).toBe("/");
      const expired = jar.lastSetCookies.find((cookie) => cookie.name === SESSION_COOKIE);
      expect(expired).toBeDefined();
      expect(isExpired(expired as SetCookie)).toBe(true);
      expect(expired?.value).toBe("");
      expect(expired?.attributes.get("path")).toBe("/");
      expect(response.headers.get("Vary")).toMatch(/\bCookie\b/);
      expect(jar.get(SESSION_COOKIE)).toBeUndefined();
      expect(await server().sessionIds()).not.toContain(rowId(key));
      const fresh = await visit(jar, base());
      expect(fresh.visits).toBe(1);
      expect(fresh.html).toContain("You are not logged in.");
      const replayed = new CookieJar();
      replayed.set(SESSION_COOKIE, key);
      expect((await visit(replayed, base())).visits).toBe(1);
    });

    it("unknown paths, wrong methods and cross-origin posts are refused without a session", async () => {
      const jar = new CookieJar();
      const missing = await jar.fetch(`${base()}/nope`);
      expect(missing.status).toBe(404);
      await missing.text();
      const wrongMethod = await jar.fetch(`${base()}/logout`);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("Allow")).toBe("POST");
      await wrongMethod.text();
      const foreign = await jar.post(`${base()}/comment`, { comment: "csrf" }, { Origin: "http://evil.example" });
      expect(foreign.status).toBe(403);
      await foreign.text();
      expect(jar.header()).toBeNull();
    });

    extra?.(server);
  });
}
