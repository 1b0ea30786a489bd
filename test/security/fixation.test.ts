/**
 * Session fixation: a value the visitor (or an attacker who planted it) chose
 * is never adopted, and `cycleKey()` on login issues a key the attacker never saw.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CookieStore, getSession, MemoryStore, withSession } from "../../mod.ts";
import { IdCheckingStore, setCookieValue, sha256Hex } from "./support.ts";

const SECRET = "fixation-secret-0123456789abcdefghijk";

/** /login cycles the key and stores the user; /set stores a value; / reports the data. */
function makeApp(store: IdCheckingStore | MemoryStore | CookieStore) {
  return withSession(async (request: Request) => {
    const session = await getSession(request);
    const url = new URL(request.url);
    if (url.pathname === "/login") {
      await session.cycleKey();
      session.set("user", url.searchParams.get("user"));
    } else if (url.pathname === "/set") {
      session.set("note", url.searchParams.get("note"));
    }
    return Response.json(Object.fromEntries(session.entries()));
  }, { store });
}

function get(app: ReturnType<typeof makeApp>, path: string, cookie?: string): Promise<Response> {
  return app(new Request(`http://localhost${path}`, { headers: cookie === undefined ? {} : { cookie: `sessionid=${cookie}` } }));
}

describe("session fixation with a server-side store", () => {
  test("withSession() never adopts a visitor-chosen session key, well-formed or not", async () => {
    const store = new IdCheckingStore();
    const app = makeApp(store);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.stringMatching(/^[a-z0-9]{32}$/), fc.stringMatching(/^[A-Za-z0-9_.:-]{1,80}$/)),
        async (chosen) => {
          const response = await get(app, "/set?note=hello", chosen);
          expect(await response.json()).toEqual({ note: "hello" });
          const issued = setCookieValue(response);
          expect(issued).toMatch(/^[a-z0-9]{32}$/);
          expect(issued).not.toBe(chosen);
          expect(await store.inner.load(await sha256Hex(chosen))).toBeNull(); // no row was created under the chosen key
          expect(await store.inner.load(await sha256Hex(issued!))).not.toBeNull();
        },
      ),
      { numRuns: 200 },
    );
    expect(store.badIds).toEqual([]);
  });

  test("Session.cycleKey() on login gives a key the attacker never saw and kills the planted one", async () => {
    const store = new MemoryStore();
    const app = makeApp(store);
    // The attacker gets a real key from the site, then plants it in the victim's browser.
    const planted = setCookieValue(await get(app, "/set?note=attacker"))!;
    const seenByAttacker = new Set([planted]);
    // The victim logs in carrying the planted key.
    const response = await get(app, "/login?user=victim", planted);
    const issued = setCookieValue(response)!;
    expect(issued).toMatch(/^[a-z0-9]{32}$/);
    expect(seenByAttacker.has(issued)).toBe(false);
    expect(await response.json()).toEqual({ note: "attacker", user: "victim" }); // data carried over, as Django's cycle_key
    // The attacker's copy is now worthless: it names no session.
    const replay = await get(app, "/", planted);
    expect(await replay.json()).toEqual({});
    expect(await store.load(await sha256Hex(planted))).toBeNull();
    // The victim's new key works.
    expect(await (await get(app, "/", issued)).json()).toEqual({ note: "attacker", user: "victim" });
  });

  test("Session.cycleKey() issues a different key every time, never one issued before", async () => {
    const store = new MemoryStore();
    const app = makeApp(store);
    const seen = new Set<string>();
    let key = setCookieValue(await get(app, "/set?note=x"))!;
    seen.add(key);
    for (let i = 0; i < 50; i++) {
      key = setCookieValue(await get(app, `/login?user=u${i}`, key))!;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    expect(store.size).toBe(1); // every old row was deleted
  });
});

describe("session fixation with a CookieStore", () => {
  test("withSession() with a CookieStore never adopts a visitor-chosen cookie value", async () => {
    const store = new CookieStore({ secret: SECRET });
    const app = makeApp(store);
    const genuine = setCookieValue(await get(app, "/set?note=genuine"))!;
    const [body, time] = genuine.split(":");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.stringMatching(/^[A-Za-z0-9_.:-]{1,200}$/),
          // Well-formed tokens with the genuine payload and timestamp but a guessed MAC.
          fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((mac) => `${body}:${time}:${mac}`),
          // A payload the visitor wrote, with the genuine MAC.
          fc.constant(null).map(() => `${btoa('{"d":{"user":"admin"},"e":9e15}').replace(/=+$/, "")}:${time}:${genuine.split(":")[2]}`),
        ),
        async (chosen) => {
          const response = await get(app, "/", chosen);
          expect(await response.json()).toEqual({});
        },
      ),
      { numRuns: 200 },
    );
  });

  test("Session.cycleKey() with a CookieStore on login gives a cookie the attacker never saw", async () => {
    const store = new CookieStore({ secret: SECRET });
    const app = makeApp(store);
    const planted = setCookieValue(await get(app, "/set?note=attacker"))!;
    const response = await get(app, "/login?user=victim", planted);
    const issued = setCookieValue(response)!;
    expect(issued).not.toBe(planted);
    expect(await (await get(app, "/", issued)).json()).toEqual({ note: "attacker", user: "victim" });
    // The planted copy still carries only the attacker's own data, never the victim's login.
    // (It stays valid until it expires: signed cookies cannot be revoked, see SECURITY.md.)
    expect(await (await get(app, "/", planted)).json()).toEqual({ note: "attacker" });
  });
});
