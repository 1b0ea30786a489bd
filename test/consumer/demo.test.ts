/**
 * The repository's demo commands (CONTRIBUTING.md, and the README's first
 * command): `npm run demo` (Bun) and `npm run demo:node` (tsx on Node) serve
 * the example app with sessions in a local SQLite file.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CookieJar } from "../helpers/http.ts";
import { ROOT, startServer, systemNode, userEnv } from "./support.ts";

let dir = "";
afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("the repository's demo commands", () => {
  for (const script of ["demo", "demo:node"]) {
    it(`npm run ${script} serves the example app, its sessions in the SQLite file at SESSION_DATABASE_URL`, async () => {
      dir ||= await mkdtemp(join(tmpdir(), "fetch-session-demo-"));
      const file = join(dir, `${script.replace(":", "-")}.db`);
      const env = userEnv(dirname(systemNode().path), { SESSION_DATABASE_URL: `file:${file}` });
      const server = await startServer("npm", ["run", "--silent", script], { cwd: ROOT, env });
      try {
        const jar = new CookieJar(undefined, server.url);
        const first = await jar.fetch("/");
        expect(first.status).toBe(200);
        expect(await first.text()).toMatch(/visited this page 1 time/);
        expect(await (await jar.fetch("/")).text()).toMatch(/visited this page 2 times/);
      } finally {
        await server.stop();
      }
      expect(existsSync(file)).toBe(true);
    }, 60_000);
  }
});
