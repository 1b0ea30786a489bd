import { Kysely } from "kysely";
import { D1Dialect } from "kysely-d1";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { kyselyOpener, SQLITE_CORRUPT } from "../helpers/kysely-harness.ts";
import { storeConformance } from "../store-conformance.ts";

let mf: Miniflare;
let db: Kysely<any>;

beforeAll(async () => {
  mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"], compatibilityDate: "2026-05-01" });
  // kysely-d1 types the binding with @cloudflare/workers-types; Miniflare's proxy is the same object shape.
  const database = (await mf.getD1Database("DB")) as unknown as ConstructorParameters<typeof D1Dialect>[0]["database"];
  db = new Kysely<any>({ dialect: new D1Dialect({ database }) });
});

afterAll(async () => {
  await mf?.dispose();
});

storeConformance("KyselyStore on D1 (workerd)", (options) => kyselyOpener(db)(options), { corrupt: SQLITE_CORRUPT });

describe("KyselyStore on D1 (workerd)", () => {
  it("KyselyStore detects D1 as the sqlite family", () => {
    expect(new KyselyStore({ db }).dialect).toBe("sqlite");
  });

  it("KyselyStore finds the expires_key column on D1 and keys its writes (so clearExpired goes through the expiry index)", async () => {
    const store = new KyselyStore({ db, table: "keyed_sessions" });
    await store.createSchema();
    const expiresAt = Date.now() + 3_600_000;
    expect(await store.create("a".repeat(64), { data: { n: 1 }, expiresAt })).toBe(true);
    const rows = await db.selectFrom("keyed_sessions").select(["expires_at", "expires_key"]).execute();
    expect(rows).toEqual([{ expires_at: expiresAt, expires_key: expiresAt }]);
    expect(await store.clearExpired()).toBe(0);
  });
});
