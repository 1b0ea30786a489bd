// iron-session 8 on Bun, with Request/Response as its README shows for fetch
// handlers: getIronSession(request, response, options); save() sets the cookie
// on the response's headers.
import { getIronSession } from "iron-session";
import { MAX_AGE, SECRET, notFound, serveFetch, withStats } from "./common.mjs";

const options = { password: SECRET, cookieName: "iron", ttl: MAX_AGE, cookieOptions: { secure: false, httpOnly: true, sameSite: "lax", path: "/" } };

async function app(request, path) {
  switch (path) {
    case "/untouched":
      return new Response("ok");
    case "/read": {
      const headers = new Response();
      const session = await getIronSession(request, headers, options);
      return new Response(String(session.n ?? 0), headers);
    }
    case "/write":
    case "/new": {
      const headers = new Response();
      const session = await getIronSession(request, headers, options);
      session.n = path === "/new" ? 1 : (session.n ?? 0) + 1;
      await session.save();
      return new Response(String(session.n), headers);
    }
  }
  return notFound();
}

await serveFetch(withStats(app));
