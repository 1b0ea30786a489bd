/**
 * mod.ts: the public surface, on purpose.
 */
import { describe, expect, test } from "vitest";

describe("public API", () => {
  test("mod.ts exports exactly the public API", async () => {
    const mod = await import("../../mod.ts");
    expect(Object.keys(mod).sort()).toMatchInlineSnapshot(`
      [
        "CachedStore",
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

  test("Session shows only its public API: no internal members, and a private constructor", async () => {
    const { Session } = await import("../../mod.ts");
    expect(Object.getOwnPropertyNames(Session.prototype).sort()).toEqual([
      "accessed", "clear", "constructor", "cycleKey", "delete", "deleteTestCookie", "entries", "flash", "flush", "get",
      "getExpireAtBrowserClose", "getExpiryAge", "getExpiryDate", "has", "isEmpty", "key", "keys", "modified", "pop",
      "save", "set", "setDefault", "setExpiry", "setTestCookie", "testCookieWorked", "update", "values",
    ]);
    const construct = () => {
      // @ts-expect-error sessions come from getSession() or openSession(), never from the constructor
      return new Session({} as never);
    };
    expect(typeof construct).toBe("function");
  });
});
