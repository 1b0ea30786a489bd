/**
 * mod.ts: the public surface, on purpose.
 */
import { describe, expect, test } from "vitest";

describe("public API", () => {
  test("mod.ts exports exactly the public API", async () => {
    const mod = await import("../../mod.ts");
    expect(Object.keys(mod).sort()).toMatchInlineSnapshot(`
      [
        "CookieStore",
        "KyselyStore",
        "MemoryStore",
        "Session",
        "SessionDataTooLargeError",
        "SessionInterruptedError",
        "SessionStoreError",
        "createSessionMigrations",
        "getSession",
        "openSession",
        "revokeSessions",
        "sessionMigrations",
        "withSession",
      ]
    `);
  });
});
