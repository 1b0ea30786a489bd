// Shared by every benchmark server: port, database file, counters, routing, readiness.
// A server is started by bench/run.mjs with PORT (and DB for SQL stores) in the
// environment, prints "READY <port>" once it listens, and serves:
//   /untouched  cookie sent, session never opened
//   /read       one get of an existing session
//   /write      counter increment (also used, without a cookie, to seed the cookie pool)
//   /new        no cookie, one set: one insert
//   /__stats    {"requests": n, "statements": n} (outside any session code)
// It exits on SIGINT/SIGTERM (so that --cpu-prof writes its profile).

export const PORT = Number(process.env.PORT ?? 0);
export const DB = process.env.DB ?? "";
export const SECRET = "bench-secret-bench-secret-bench-secret-0123456789";
export const MAX_AGE = 1_209_600;

/** Counters read by /__stats: requests served, SQL statements run, and write transactions committed (where counted). */
export const stats = { requests: 0, statements: 0, transactions: 0 };

/** The path of a request URL, without building a URL object. */
export function pathOf(url) {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}

export function statsResponse() {
  return new Response(JSON.stringify(stats), { headers: { "content-type": "application/json" } });
}

export function notFound() {
  return new Response("not found", { status: 404 });
}

/**
 * Wraps a fetch handler `(request, path) => Response` with /__stats, the
 * request counter and optional admin routes (paths starting with "/__").
 */
export function withStats(app, admin = {}) {
  return function fetch(request) {
    const path = pathOf(request.url);
    if (path.startsWith("/__")) return path === "/__stats" ? statsResponse() : admin[path]?.(request) ?? notFound();
    stats.requests++;
    return app(request, path);
  };
}

/** Serves a fetch handler with Bun.serve, or with srvx on Node. */
export async function serveFetch(fetch) {
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ port: PORT, hostname: "127.0.0.1", fetch, development: false });
    ready(server.port, () => server.stop(true));
    return;
  }
  const { serve } = await import("srvx");
  const server = serve({ port: PORT, hostname: "127.0.0.1", fetch, silent: true });
  await server.ready();
  ready(new URL(server.url).port, () => server.close(true));
}

let closing = false;
export function ready(port, close, cleanup) {
  const stop = async () => {
    if (closing) return;
    closing = true;
    try {
      await close?.();
      await cleanup?.();
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  console.log(`READY ${port}`);
}

/** Extra cleanup (closing a database) to run before exit. */
export const cleanups = [];
process.on("exit", () => {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {}
  }
});

/** SQLite pragmas every SQL store here runs with (as PEERS.md: WAL, synchronous=NORMAL, busy timeout). */
export const PRAGMAS = ["pragma journal_mode = wal", "pragma synchronous = normal", "pragma busy_timeout = 5000"];

/**
 * The fetch-session routes of fs.mjs and redis.mjs: `fetchSession` is the
 * module that exports getSession and withSession, `options` go to withSession.
 * Routes that do not open the session answer synchronously, as the bare handler does.
 */
export function sessionApp({ getSession, withSession }, options) {
  async function read(request) {
    const session = await getSession(request);
    return new Response(String(session.get("n") ?? 0));
  }

  async function write(request) {
    const session = await getSession(request);
    const n = (session.get("n") ?? 0) + 1;
    session.set("n", n);
    return new Response(String(n));
  }

  async function create(request) {
    const session = await getSession(request);
    session.set("n", 1);
    return new Response("1");
  }

  return withSession((request, path) => {
    switch (path) {
      case "/untouched":
        return new Response("ok");
      case "/read":
        return read(request);
      case "/write":
        return write(request);
      case "/new":
        return create(request);
    }
    return notFound();
  }, options);
}

/** Express: /__stats and the request counter, before any other middleware. */
export function expressStats(app) {
  app.disable("x-powered-by");
  app.get("/__stats", (req, res) => res.json(stats));
  app.use((req, res, next) => {
    stats.requests++;
    next();
  });
}

/** express-session options as the READMEs show (resave: false, saveUninitialized: false). */
export function expressSessionOptions(store) {
  return {
    store,
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: MAX_AGE * 1000, httpOnly: true, sameSite: "lax" },
  };
}

/** Express: the session routes /read, /write and /new over req.session. */
export function expressSessionRoutes(app) {
  app.get("/read", (req, res) => res.type("text").send(String(req.session.n ?? 0)));
  app.get("/write", (req, res) => {
    req.session.n = (req.session.n ?? 0) + 1;
    res.type("text").send(String(req.session.n));
  });
  app.get("/new", (req, res) => {
    req.session.n = 1;
    res.type("text").send("1");
  });
}

/** Express: listens on PORT and prints READY. */
export function listenExpress(app) {
  const server = app.listen(PORT, "127.0.0.1", () => ready(server.address().port, () => server.close()));
}
