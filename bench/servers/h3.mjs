// h3 v2 on Bun: useSession/getSession/updateSession (a sealed cookie, iron-style).
import { H3 } from "h3";
import { getSession, updateSession } from "h3";
import { MAX_AGE, SECRET, serveFetch, withStats } from "./common.mjs";

const config = { password: SECRET, name: "h3", maxAge: MAX_AGE, cookie: { secure: false, httpOnly: true, sameSite: "lax", path: "/" } };
const app = new H3();
app.get("/untouched", () => "ok");
app.get("/read", async (event) => String((await getSession(event, config)).data.n ?? 0));
app.get("/write", async (event) => {
  const session = await updateSession(event, config, (data) => ({ n: (data.n ?? 0) + 1 }));
  return String(session.data.n);
});
app.get("/new", async (event) => {
  await updateSession(event, config, { n: 1 });
  return "1";
});

await serveFetch(withStats((request) => app.fetch(request)));
