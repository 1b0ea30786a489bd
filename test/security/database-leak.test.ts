/**
 * Database leak: a server-side store keeps the SHA-256 of each key, never the
 * key, so a copy of the table gives no usable session (the Rails fix for
 * CVE-2019-16782). The KyselyStore variant lives with the Kysely tests.
 */
import { expect, test } from "vitest";
import { getSession, MemoryStore, withSession } from "../../mod.ts";
import { ID_SHAPE, setCookieValue, sha256Hex } from "./support.ts";

test("MemoryStore holds no cookie value after a run of requests, only SHA-256 ids", async () => {
  const store = new MemoryStore();
  const issued = new Set<string>();
  const app = withSession(async (request: Request) => {
    const session = await getSession(request);
    const action = new URL(request.url).pathname.slice(1);
    if (action === "visit") session.set("visits", (session.get("visits") as number | undefined ?? 0) + 1);
    if (action === "login") {
      await session.cycleKey();
      session.set("user", "alice");
    }
    if (action === "flash") session.flash("message", "saved");
    if (action === "expiry") session.setExpiry(3600);
    if (action === "logout") await session.flush();
    if (session.key !== null) issued.add(session.key);
    return new Response("ok");
  }, { store, saveEveryRequest: true });

  const script = ["visit", "visit", "login", "visit", "flash", "read", "expiry", "login", "visit", "logout", "visit", "login"];
  for (let browser = 0; browser < 20; browser++) {
    let cookie: string | undefined;
    for (const action of script) {
      const response = await app(new Request(`http://localhost/${action}`, { headers: cookie ? { cookie: `sessionid=${cookie}` } : {} }));
      const value = setCookieValue(response);
      if (value) issued.add(value);
      if (value !== undefined) cookie = value || undefined;
    }
  }

  const rows = store.dump();
  expect(rows.length).toBeGreaterThanOrEqual(20);
  expect(issued.size).toBeGreaterThan(60);
  const hashes = new Set(await Promise.all([...issued].map(sha256Hex)));
  const everything = JSON.stringify(rows);
  for (const value of issued) {
    expect(value).toMatch(/^[a-z0-9]{32}$/);
    expect(everything).not.toContain(value);
  }
  for (const [id, json] of rows) {
    expect(id).toMatch(ID_SHAPE);
    expect(hashes.has(id)).toBe(true);
    expect(json).not.toMatch(/[a-z0-9]{32}/);
  }
});

test("withSession() gives nothing for a leaked store id used as a cookie", async () => {
  const store = new MemoryStore();
  const app = withSession(async (request: Request) => {
    const session = await getSession(request);
    if (new URL(request.url).pathname === "/login") session.set("user", "alice");
    return Response.json(Object.fromEntries(session.entries()));
  }, { store });
  const key = setCookieValue(await app(new Request("http://localhost/login")))!;
  const [[id]] = store.dump() as [[string, string]];
  expect(id).toBe(await sha256Hex(key));
  for (const stolen of [id, id.slice(0, 32), id.slice(32), id.toUpperCase()]) {
    const response = await app(new Request("http://localhost/", { headers: { cookie: `sessionid=${stolen}` } }));
    expect(await response.json()).toEqual({});
  }
  expect(await (await app(new Request("http://localhost/", { headers: { cookie: `sessionid=${key}` } }))).json()).toEqual({ user: "alice" });
});
