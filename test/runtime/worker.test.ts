import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaStatements } from "../../src/stores/schema.ts";
import { describeExampleApp } from "../helpers/example-flows.ts";
import { CookieJar, rowId, SESSION_COOKIE } from "../helpers/http.ts";
import { ROOT, startWorker } from "../helpers/servers.ts";

describeExampleApp("examples/worker.ts on workerd (Miniflare, D1 KyselyStore)", () => startWorker(), (server) => {
  it("the scheduled handler deletes expired sessions from D1 and keeps live ones", async () => {
    const { miniflare } = server();
    const jar = new CookieJar();
    await (await jar.fetch(`${server().url}/`)).text();
    const live = rowId(jar.get(SESSION_COOKIE) ?? "");
    const db = await miniflare.getD1Database("DB");
    const expired = "e".repeat(64);
    await db.prepare("insert into sessions (id, data, expires_at) values (?, ?, ?)").bind(expired, "{}", Date.now() - 1000).run();
    expect(await server().sessionIds()).toContain(expired);

    const worker = await miniflare.getWorker();
    const result = await worker.scheduled({ cron: "17 * * * *" });
    expect(result.outcome).toBe("ok");
    const ids = await server().sessionIds();
    expect(ids).not.toContain(expired);
    expect(ids).toContain(live);
    expect(server().output()).toMatch(/clearsessions: deleted [1-9]\d* expired sessions/);
  });
});

describe("examples/migrations", () => {
  it("0001_create_sessions.sql holds the same statements as KyselyStore.createSchema() on SQLite", async () => {
    const sql = await readFile(join(ROOT, "examples", "migrations", "0001_create_sessions.sql"), "utf8");
    const statements = sql
      .replace(/^\s*--.*$/gm, "")
      .split(";")
      .map((statement) => statement.replace(/\s+/g, " ").trim())
      .filter((statement) => statement !== "");
    expect(statements).toEqual(schemaStatements("sqlite", "sessions"));
  });
});
