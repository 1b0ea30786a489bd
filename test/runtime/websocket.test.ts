/**
 * WebSocket upgrades through `withSession` on the real runtimes: Bun
 * (`server.upgrade()`, the handler returns `undefined`), Deno (the 101 of
 * `Deno.upgradeWebSocket`) and workerd through Miniflare (a 101 carrying
 * `webSocket`). The fixtures are test/fixtures/ws-*.ts; a `ws` client connects
 * over real TCP with the session cookie.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, rowId, SESSION_COOKIE } from "../helpers/http.ts";
import { type ExampleServer, startBun, startDeno, startWorker } from "../helpers/servers.ts";
import { connectSocket, wsUrl } from "../helpers/ws.ts";

interface WhoAmI {
  name: string | null;
  sockets: number;
  streamed: string | null;
}

/** `/whoami` with exactly this cookie (no jar: an expired cookie is not applied anywhere). */
async function whoami(base: string, key: string | null): Promise<{ body: WhoAmI; setCookie: string[] }> {
  const headers: Record<string, string> = key === null ? {} : { cookie: `${SESSION_COOKIE}=${key}` };
  const response = await fetch(`${base}/whoami`, { headers });
  expect(response.status).toBe(200);
  return { body: (await response.json()) as WhoAmI, setCookie: response.headers.getSetCookie() };
}

/** Logs a new client in as `name`; returns its jar and session key. */
async function logIn(base: string, name: string): Promise<{ jar: CookieJar; key: string }> {
  const jar = new CookieJar();
  const response = await jar.fetch(`${base}/login?name=${encodeURIComponent(name)}`);
  expect(response.status).toBe(200);
  await response.text();
  const key = jar.get(SESSION_COOKIE);
  expect(key).toMatch(/^[a-z0-9]{32}$/);
  return { jar, key: key! };
}

function describeWebSockets(title: string, start: () => Promise<ExampleServer>): void {
  describe(title, () => {
    let server: ExampleServer | undefined;
    const base = () => server!.url;

    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("a logged-in client connects with its cookie and the socket greets it with session data; the 101 has no Set-Cookie", async () => {
      const { jar, key } = await logIn(base(), "ada");
      const socket = await connectSocket(`${wsUrl(base())}/ws`, jar.header());
      try {
        expect(socket.status).toBe(101);
        expect(socket.headers["set-cookie"]).toBeUndefined();
        expect(socket.headers.upgrade?.toLowerCase()).toBe("websocket");
        expect(await socket.next()).toBe("hello ada");
        socket.send("ping");
        expect(await socket.next()).toBe("echo ping");
      } finally {
        await socket.close();
      }
      // The handler counted the connection in the session on the upgrade request: saved under the same key.
      const after = await whoami(base(), key);
      expect(after.body).toEqual({ name: "ada", sockets: 1, streamed: null });
      expect(after.setCookie).toEqual([]);
    });

    it("a client without a cookie is upgraded, and the session it cannot receive a cookie for is not stored", async () => {
      const before = await server!.sessionIds();
      const socket = await connectSocket(`${wsUrl(base())}/ws`, null);
      try {
        expect(socket.status).toBe(101);
        expect(socket.headers["set-cookie"]).toBeUndefined();
        expect(await socket.next()).toBe("hello stranger");
      } finally {
        await socket.close();
      }
      expect((await server!.sessionIds()).sort()).toEqual(before.sort());
    });

    it("session.cycleKey() before upgrading: the old key no longer loads and the data lives under the new key", async () => {
      const { jar, key: oldKey } = await logIn(base(), "grace");
      expect(await server!.sessionIds()).toContain(rowId(oldKey));
      const socket = await connectSocket(`${wsUrl(base())}/ws-cycle`, jar.header());
      let newKey: string;
      try {
        expect(socket.status).toBe(101);
        expect(socket.headers["set-cookie"]).toBeUndefined();
        expect(await socket.next()).toBe("hello grace");
        const message = await socket.next();
        expect(message).toMatch(/^key [a-z0-9]{32}$/);
        newKey = message.slice("key ".length);
      } finally {
        await socket.close();
      }
      expect(newKey).not.toBe(oldKey);
      const ids = await server!.sessionIds();
      expect(ids).not.toContain(rowId(oldKey));
      expect(ids).toContain(rowId(newKey));

      const old = await whoami(base(), oldKey);
      expect(old.body).toEqual({ name: null, sockets: 0, streamed: null });
      expect(old.setCookie.join("\n")).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
      const current = await whoami(base(), newKey);
      expect(current.body).toEqual({ name: "grace", sockets: 1, streamed: null });
    });

    it("a plain GET of the upgrade route is an ordinary response and keeps the session untouched", async () => {
      const { jar, key } = await logIn(base(), "linus");
      const response = await jar.fetch(`${base()}/ws`);
      expect(response.status).toBe(426);
      await response.text();
      expect(response.headers.getSetCookie()).toEqual([]);
      expect((await whoami(base(), key)).body).toEqual({ name: "linus", sockets: 0, streamed: null });
    });
  });
}

describeWebSockets("WebSocket upgrade on Bun (server.upgrade, handler returns undefined; libSQL store)", () =>
  startBun("test/fixtures/ws-bun.ts"),
);
describeWebSockets("WebSocket upgrade on Deno (Deno.upgradeWebSocket 101 response; libSQL store)", () =>
  startDeno("test/fixtures/ws-deno.ts"),
);
describeWebSockets("WebSocket upgrade on workerd via Miniflare (101 with webSocket; D1 KyselyStore)", () =>
  startWorker("test/fixtures/ws-worker.ts"),
);
