import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLibsqlStore, LibsqlDialect, openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { startHranaServer, type HranaServer } from "../helpers/hrana-server.ts";
import { kyselyOpener, SQLITE_CORRUPT } from "../helpers/kysely-harness.ts";
import { storeConformance } from "../store-conformance.ts";

const TOKEN = "test-token";
let dir: string;
let server: HranaServer;
let db: Kysely<any>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-remote-"));
  server = await startHranaServer(join(dir, "remote.db"), TOKEN);
  db = await openLibsqlDatabase({ url: server.url, authToken: TOKEN });
});

afterAll(async () => {
  await db?.destroy();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

storeConformance("KyselyStore on a remote libSQL server (Hrana over HTTP)", (options) => kyselyOpener(db)(options), {
  corrupt: SQLITE_CORRUPT,
});

describe("libSQL remote URL", () => {
  it("createLibsqlStore() with a remote URL and token talks to the server, not a local file", async () => {
    const before = server.requests;
    const store = await createLibsqlStore({ url: server.url, authToken: TOKEN, table: "remote_sessions" });
    try {
      const id = "9".repeat(64);
      expect(await store.create(id, { data: { remote: true }, expiresAt: Date.now() + 60_000 })).toBe(true);
      expect((await store.load(id))?.data).toEqual({ remote: true });
    } finally {
      await store.db.destroy();
    }
    expect(server.requests).toBeGreaterThan(before + 2);
  });

  it("createLibsqlStore() with a wrong token rejects with the server's error", async () => {
    await expect(createLibsqlStore({ url: server.url, authToken: "wrong" })).rejects.toThrow(/401|Unauthorized/);
  });

  it("LibsqlDialect runs Kysely transactions on a remote server through the client's transaction()", async () => {
    const remote = new Kysely<any>({ dialect: new LibsqlDialect({ url: server.url, authToken: TOKEN }) });
    try {
      await remote.schema.createTable("tx_test").ifNotExists().addColumn("n", "integer").execute();
      await remote.transaction().execute(async (tx) => {
        await tx.insertInto("tx_test").values({ n: 1 }).execute();
        await tx.insertInto("tx_test").values({ n: 2 }).execute();
      });
      await expect(
        remote.transaction().execute(async (tx) => {
          await tx.insertInto("tx_test").values({ n: 3 }).execute();
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      expect(await remote.selectFrom("tx_test").select("n").orderBy("n").execute()).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await remote.destroy();
    }
  });
});
