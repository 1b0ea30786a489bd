/**
 * Streaming responses through `withSession`: a handler sets a session value
 * and returns a body that is still being produced. The session is saved and
 * `Set-Cookie` sent before the body starts; the body is never buffered: the
 * client reads the first chunk while the producer still waits for a signal
 * (`/release`) that the client only sends after it read that chunk. Had
 * anything buffered the body, the first read would only return after the
 * producer's 10-second fallback and the last chunk would say "timeout".
 *
 * Runs on the real Bun, Deno and workerd (Miniflare), on Node over HTTP
 * (srvx, in this process) and in-process without HTTP.
 *
 * @module
 */
import { performance } from "node:perf_hooks";
import { serve } from "srvx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSession, MemoryStore, withSession } from "../../mod.ts";
import { createFixtureApp } from "../fixtures/app.ts";
import { CookieJar, rowId, SESSION_COOKIE, setCookies, setCookieValue } from "../helpers/http.ts";
import { freePort, startBun, startDeno, startWorker } from "../helpers/servers.ts";
import { TimedReader } from "../helpers/ws.ts";

/** A server that runs test/fixtures/app.ts. */
interface StreamingServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** The first chunk must arrive well before the producer's 10-second fallback. */
const FIRST_CHUNK_DEADLINE_MS = 5_000;

/** Serves a fetch handler on Node through srvx on a free port; `stop()` closes it and its connections. */
async function serveOnNode(fetchHandler: (request: Request) => Promise<Response | undefined>): Promise<StreamingServer> {
  const port = await freePort();
  const server = serve({
    hostname: "127.0.0.1",
    port,
    silent: true,
    fetch: async (request) => (await fetchHandler(request)) ?? new Response("No response\n", { status: 500 }),
  });
  await server.ready();
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close(true) };
}

/** The fixture app on Node, with a MemoryStore (Node has no WebSocket server here: `/ws` answers 501). */
function startNodeFixture(): Promise<StreamingServer> {
  const app = createFixtureApp<[]>(() => new Response("No WebSockets on Node here\n", { status: 501 }), { store: new MemoryStore() });
  return serveOnNode((request) => app(request));
}

/**
 * Requests a slow stream, reads the first chunk, then releases the producer
 * and reads the rest; checks the cookie and that a later request sees the value.
 */
async function checkSlowStream(
  base: string,
  path: "/stream" | "/sse",
  first: string,
  last: string,
  headers: HeadersInit = {},
): Promise<Response> {
  const jar = new CookieJar();
  const id = crypto.randomUUID();
  const started = performance.now();
  const response = await jar.fetch(`${base}${path}?id=${id}`, { headers });
  expect(response.status).toBe(200);
  const cookie = jar.lastSetCookies.find((c) => c.name === SESSION_COOKIE);
  expect(cookie?.value).toMatch(/^[a-z0-9]{32}$/);
  expect(response.headers.get("vary")).toBe("Cookie");

  const reader = new TimedReader(response.body);
  try {
    const firstAt = await reader.readUntil(first);
    expect(reader.text()).toBe(first);
    expect(firstAt - started).toBeLessThan(FIRST_CHUNK_DEADLINE_MS);

    // The producer is still waiting: only now is it told to send the last chunk.
    const releasedAt = performance.now();
    const release = await fetch(`${base}/release?id=${id}`);
    expect(release.status, await release.text()).toBe(200);
    const endedAt = await reader.readToEnd();
    expect(reader.text()).toBe(first + last);
    expect(firstAt).toBeLessThan(releasedAt);
    expect(reader.chunks.at(-1)!.at).toBeGreaterThan(releasedAt);
    expect(endedAt).toBeGreaterThanOrEqual(releasedAt);
  } finally {
    await reader.cancel();
  }

  // The session was saved before the body started.
  const whoami = await jar.fetch(`${base}/whoami`);
  expect(await whoami.json()).toEqual({ name: null, sockets: 0, streamed: id });
  return response;
}

/**
 * Declares the streaming tests for one server.
 *
 * @param textHeaders request headers for the `text/plain` stream: workerd (like
 *   Cloudflare's edge) gzips `text/plain` for clients that accept gzip, and the
 *   compressor holds small chunks back, so that client asks for `identity`
 */
function describeStreaming(title: string, start: () => Promise<StreamingServer>, textHeaders: HeadersInit = {}): void {
  describe(title, () => {
    let server: StreamingServer | undefined;
    const base = () => server!.url;

    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("a ReadableStream body: the first chunk reaches the client before the last is produced, with Set-Cookie, and the session is saved", async () => {
      const response = await checkSlowStream(base(), "/stream", "chunk 1\n", "last chunk: released\n", textHeaders);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response.headers.get("content-encoding")).toBeNull();
    });

    it("server-sent events: the first event reaches the client before the last is produced, with Set-Cookie, and the session is saved", async () => {
      const response = await checkSlowStream(base(), "/sse", "data: event 1\n\n", "event: end\ndata: released\n\n");
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      expect(response.headers.get("content-encoding")).toBeNull();
    });
  });
}

describeStreaming("Streaming on Bun (Bun.serve; libSQL store)", () => startBun("test/fixtures/ws-bun.ts"));
describeStreaming("Streaming on Deno (Deno.serve; libSQL store)", () => startDeno("test/fixtures/ws-deno.ts"));
describeStreaming("Streaming on workerd via Miniflare (D1 KyselyStore)", () => startWorker("test/fixtures/ws-worker.ts"), {
  "accept-encoding": "identity",
});
describeStreaming("Streaming on Node over HTTP (srvx; MemoryStore)", startNodeFixture);

describe("withSession() with streaming bodies, in-process", () => {
  it("returns the handler's own Response and body stream, saved and with Set-Cookie, while the producer is still waiting", async () => {
    const store = new MemoryStore();
    let produce: ((chunk: string | null) => void) | undefined;
    let stream: ReadableStream<Uint8Array> | undefined;
    let returned: Response | undefined;
    const app = withSession(async (request: Request) => {
      const session = await getSession(request);
      session.set("streamed", "yes");
      const encoder = new TextEncoder();
      stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode("chunk 1\n"));
          produce = (chunk) => (chunk === null ? controller.close() : controller.enqueue(encoder.encode(chunk)));
        },
      });
      returned = new Response(stream, { headers: { "content-type": "text/plain" } });
      return returned;
    }, { store });

    const response = await app(new Request("http://localhost/stream"));
    expect(response).toBe(returned);
    expect(response.body).toBe(stream);
    const key = setCookieValue(response);
    expect(key).toMatch(/^[a-z0-9]{32}$/);
    expect(await store.load(rowId(key!))).toMatchObject({ data: { streamed: "yes" } });

    const reader = new TimedReader(response.body);
    await reader.readUntil("chunk 1\n");
    produce!("chunk 2\n");
    await reader.readUntil("chunk 2\n");
    produce!(null);
    await reader.readToEnd();
    expect(reader.chunks.map((chunk) => chunk.text)).toEqual(["chunk 1\n", "chunk 2\n"]);
  });

  it("a proxied fetch() response (immutable headers) is copied and keeps streaming, with both servers' Set-Cookie", async () => {
    const upstream = await serveOnNode(
      createFixtureApp<[]>(() => new Response("No WebSockets\n", { status: 501 }), { store: new MemoryStore(), cookie: { name: "upstream" } }),
    );
    const proxy = await serveOnNode(
      withSession(async (request: Request) => {
        const session = await getSession(request);
        const url = new URL(request.url);
        if (url.pathname === "/whoami") return Response.json({ name: null, sockets: 0, streamed: session.get("streamed") ?? null });
        if (url.pathname === "/release") return await fetch(`${upstream.url}${url.pathname}${url.search}`);
        session.set("streamed", url.searchParams.get("id"));
        const response = await fetch(`${upstream.url}${url.pathname}${url.search}`);
        expect(() => response.headers.append("x-probe", "1")).toThrow(TypeError);
        return response;
      }, { store: new MemoryStore() }),
    );
    try {
      const response = await checkSlowStream(proxy.url, "/stream", "chunk 1\n", "last chunk: released\n");
      const names = setCookies(response).map((cookie) => cookie.name);
      expect(names.sort()).toEqual(["sessionid", "upstream"]);
    } finally {
      await proxy.stop();
      await upstream.stop();
    }
  });
});
