import { expect, it } from "vitest";
import { CookieJar } from "../helpers/http.ts";
import { describeExampleApp } from "../helpers/example-flows.ts";
import { startBun } from "../helpers/servers.ts";

describeExampleApp("examples/hono.ts on Bun (Hono, default libSQL store)", () => startBun("examples/hono.ts"), (server) => {
  it("a Hono route reads the same session with getSession(c.req.raw)", async () => {
    const jar = new CookieJar();
    const empty = await jar.fetch(`${server().url}/whoami`);
    expect(await empty.json()).toEqual({ memberId: null, visits: 0 });
    expect(jar.header()).toBeNull(); // read-only: nothing saved, no cookie
    await (await jar.fetch(`${server().url}/`)).text();
    await (await jar.fetch(`${server().url}/`)).text();
    await (await jar.fetch(`${server().url}/login`)).text();
    const login = await jar.post(`${server().url}/login`, { username: "demo", password: "demo" });
    expect(login.status).toBe(303);
    const who = await jar.fetch(`${server().url}/whoami`);
    expect(who.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await who.json()).toEqual({ memberId: 1, visits: 2 });
  });
});
