/**
 * `withSession` on a real SQL store: concurrent writers, a logout racing a
 * write, and what ends up in the table.
 *
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getSession, withSession } from "../../mod.ts";
import type { KyselyStore } from "../../src/stores/kysely-store.ts";
import { execute, quoteIdentifier } from "../../src/stores/schema.ts";
import { rowId, setCookie } from "./http.ts";

/** A store on a fresh table, and how to drop it. */
export interface SqlStoreHandle {
  store: KyselyStore;
  close(): Promise<void>;
}

const URL_BASE = "http://app.test";

/**
 * The `sessionid=...` pair of a response's Set-Cookie, or null.
 * @deprecated use `setCookie` from ./http.ts (kept until test/stores/libsql.test.ts has moved).
 */
export function sessionCookie(response: Response): string | null {
  const cookie = setCookie(response);
  return cookie === undefined ? null : `${cookie.name}=${cookie.value}`;
}

/** Every row of the store's table, expired ones included, with data as text. */
export async function dumpTable(store: KyselyStore): Promise<{ id: string; data: string; expires_at: unknown }[]> {
  const data = store.dialect === "postgres" ? "data::text as data" : "data";
  const result = await execute<{ id: string; data: string; expires_at: unknown }>(
    store.db,
    `select id, ${data}, expires_at from ${quoteIdentifier(store.table)}`,
    [],
  );
  return result.rows;
}

/**
 * Registers the tests for one engine.
 *
 * @param name the engine, for test names ("libSQL file:")
 * @param open opens a store on a fresh table
 */
export function sessionOverSqlSuite(name: string, open: () => Promise<SqlStoreHandle>): void {
  describe(`withSession() on KyselyStore (${name})`, () => {
    let handle: SqlStoreHandle;
    beforeEach(async () => {
      handle = await open();
    });
    afterEach(async () => {
      await handle.close();
    });

    /** An app: POST /set?k=..&v=.. sets a key, GET / returns the data, POST /logout flushes. */
    const app = (store: KyselyStore, gate?: { wait: Promise<void>; loaded: () => void }) =>
      withSession(async (request: Request) => {
        const url = new URL(request.url);
        const session = await getSession(request);
        if (url.pathname === "/set") {
          if (gate) {
            gate.loaded();
            await gate.wait;
          }
          session.set(url.searchParams.get("k")!, url.searchParams.get("v"));
          return new Response("ok");
        }
        if (url.pathname === "/logout") {
          await session.flush();
          return new Response("bye");
        }
        return Response.json(Object.fromEntries(session.entries()));
      }, { store });

    const send = (handler: (r: Request) => Promise<Response>, path: string, cookie: string | null, method = "POST") =>
      handler(new Request(URL_BASE + path, { method, headers: cookie ? { cookie } : {} }));

    it(`withSession() on ${name} keeps all 50 keys set by 50 concurrent requests on one session`, async () => {
      const handler = app(handle.store);
      const first = await send(handler, "/set?k=start&v=0", null);
      const cookie = sessionCookie(first);
      expect(cookie).not.toBeNull();
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => send(handler, `/set?k=key${i}&v=${i}`, cookie)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
      const data = await (await send(handler, "/", cookie, "GET")).json();
      const expected: Record<string, string> = { start: "0" };
      for (let i = 0; i < 50; i++) expected[`key${i}`] = String(i);
      expect(data).toEqual(expected);
      expect(await dumpTable(handle.store)).toHaveLength(1);
    });

    it(`withSession() on ${name} answers 400 to a write whose session a concurrent logout deleted`, async () => {
      let release!: () => void;
      let loaded!: () => void;
      const wait = new Promise<void>((resolve) => (release = resolve));
      const hasLoaded = new Promise<void>((resolve) => (loaded = resolve));
      const plain = app(handle.store);
      const gated = app(handle.store, { wait, loaded });
      const cookie = sessionCookie(await send(plain, "/set?k=user&v=alice", null));
      // The writer loads the session, then waits while the logout deletes it.
      const writer = send(gated, "/set?k=cart&v=full", cookie);
      await hasLoaded;
      const logout = await send(plain, "/logout", cookie);
      expect(logout.status).toBe(200);
      release();
      const response = await writer;
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/session was deleted before the request completed/);
      // Django leaves the cookie alone: the browser may have just received a new one from a login.
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await dumpTable(handle.store)).toEqual([]);
      expect(await (await send(plain, "/", cookie, "GET")).json()).toEqual({});
    });

    it(`withSession() on ${name} stores only hashes of cookie values`, async () => {
      const handler = app(handle.store);
      const cookies: string[] = [];
      for (let i = 0; i < 5; i++) {
        const cookie = sessionCookie(await send(handler, `/set?k=n&v=${i}`, null))!;
        await send(handler, "/set?k=again&v=1", cookie);
        cookies.push(cookie.slice("sessionid=".length));
      }
      const rows = await dumpTable(handle.store);
      expect(rows).toHaveLength(5);
      const text = JSON.stringify(rows);
      for (const value of cookies) {
        expect(value).toMatch(/^[a-z0-9]{32}$/);
        expect(text).not.toContain(value);
        expect(rows.map((row) => row.id)).toContain(rowId(value, handle.store));
      }
    });
  });
}
