/**
 * Replay after logout. A server-side session dies with its row; a signed
 * cookie cannot be revoked before it expires (as Django's signed_cookies), so
 * its lifetime is bounded by the cookie's maxAge and the session's expiry.
 */
import { expect, test, vi } from "vitest";
import { CookieStore, getSession, MemoryStore, withSession } from "../../mod.ts";
import { setCookieValue } from "./support.ts";

function makeApp(store: MemoryStore | CookieStore, maxAge = 1_209_600) {
  return withSession(async (request: Request) => {
    const session = await getSession(request);
    const path = new URL(request.url).pathname;
    if (path === "/login") session.set("user", "alice");
    if (path === "/logout") await session.flush();
    return Response.json(Object.fromEntries(session.entries()));
  }, { store, cookie: { maxAge } });
}

const send = (app: ReturnType<typeof makeApp>, path: string, cookie?: string) =>
  app(new Request(`http://localhost${path}`, { headers: cookie ? { cookie: `sessionid=${cookie}` } : {} }));

test("withSession() with a server-side store: a cookie copied before logout is dead after it", async () => {
  const app = makeApp(new MemoryStore());
  const stolen = setCookieValue(await send(app, "/login"))!;
  const logout = await send(app, "/logout", stolen);
  expect(setCookieValue(logout)).toBe(""); // the browser's copy is expired
  expect(await (await send(app, "/", stolen)).json()).toEqual({});
});

test("withSession() with a CookieStore: a cookie copied before logout is replayable until maxAge, then dead", async () => {
  vi.useFakeTimers({ now: Date.UTC(2030, 0, 1), toFake: ["Date"] });
  try {
    const app = makeApp(new CookieStore({ secret: "replay-secret-0123456789abcdefghijklm" }), 3600);
    const stolen = setCookieValue(await send(app, "/login"))!;
    const logout = await send(app, "/logout", stolen);
    expect(setCookieValue(logout)).toBe("");
    // The documented limitation: nothing on the server remembers the logout.
    expect(await (await send(app, "/", stolen)).json()).toEqual({ user: "alice" });
    vi.setSystemTime(Date.UTC(2030, 0, 1) + 3_601_000);
    expect(await (await send(app, "/", stolen)).json()).toEqual({});
  } finally {
    vi.useRealTimers();
  }
});
