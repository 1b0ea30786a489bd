// Shared by the in-process micro benchmarks (requests.mjs, crypto-inprocess.mjs): no HTTP, Requests
// go straight through the wrapped handler.

/**
 * The handler every in-process run measures: /read gets the counter, /write increments it, /new
 * sets it to 1 (on a request without a cookie). The first argument is the module that exports
 * getSession and withSession (this repository's mod.ts or another copy of it).
 */
export function sessionHandler({ getSession, withSession }, store) {
  return withSession(async (request) => {
    const session = await getSession(request);
    const path = request.url.slice(request.url.lastIndexOf("/"));
    if (path === "/read") return new Response(String(session.get("n") ?? 0));
    const n = (path === "/new" ? 0 : session.get("n") ?? 0) + 1;
    session.set("n", n);
    return new Response(String(n));
  }, { store });
}

/** The median of a list of samples (the upper one of the middle two for an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
