/**
 * The public conformance suite itself (src/testing.ts): its shape, that a
 * correct store passes every check, and that each deliberately broken store
 * (test/fixtures/broken-stores.ts) fails at least the check aimed at it.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { type SessionStoreCheck, sessionStoreChecks } from "../../src/testing.ts";
import { BROKEN_STORES } from "../fixtures/broken-stores.ts";

/** The names of the checks that fail, with their messages. */
async function failures(checks: SessionStoreCheck[]): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  for (const check of checks) {
    try {
      await check.run();
    } catch (error) {
      failed.set(check.name, error instanceof Error ? error.message : String(error));
    }
  }
  return failed;
}

/** The check each broken store must fail (others may fail too). */
const EXPECTED: Record<keyof typeof BROKEN_STORES, string> = {
  "update() ignores unset": "update() replaces set keys, removes unset keys, keeps the others and sets the expiry",
  "create() overwrites a live id": "create() resolves false for a live id and keeps the existing data",
  "update() resurrects a deleted row": "update() reports false when the row is gone and does not re-create it",
  "update() ignores maxBytes": "update() with maxBytes refuses a patch that would pass the limit (in UTF-8 bytes) and writes nothing",
  "update() reads, then writes the whole record (lost updates)": "concurrent update() calls on different keys of one row all keep their change",
  "update() treats dots in keys as paths": "update() changes only the keys it names: keys alike by prefix, case, escaping or normalisation stay apart",
  "load() returns expired rows": "load() never returns an expired row",
  "load() hands out the stored object": "load() returns data the caller may change without changing the store",
  "deleteWhere() ignores exceptId and compares loosely": "deleteWhere() matches the JSON type as well as the value",
  "clearExpired() reports no count": "clearExpired() deletes only expired rows and resolves the count",
};

describe("sessionStoreChecks()", () => {
  it("returns named checks (every check of the old suite plus the new contract items), all distinct", () => {
    const checks = sessionStoreChecks(() => new MemoryStore());
    expect(checks.length).toBeGreaterThanOrEqual(24);
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length);
    for (const check of checks) {
      expect(typeof check.name).toBe("string");
      expect(typeof check.run).toBe("function");
    }
  });

  it("MemoryStore passes every check, each well under 5 s, with a store made (and disposed) per check", async () => {
    const made: SessionStore[] = [];
    const disposed: SessionStore[] = [];
    const checks = sessionStoreChecks(async () => {
      const store = new MemoryStore();
      made.push(store);
      return store;
    }, { prefix: "MemoryStore: ", dispose: (store) => void disposed.push(store), makeBatchedStore: () => new MemoryStore() });
    for (const check of checks) {
      expect(check.name.startsWith("MemoryStore: ")).toBe(true);
      const started = performance.now();
      await check.run();
      expect(performance.now() - started, check.name).toBeLessThan(2_500);
    }
    expect(disposed).toEqual(made.concat(disposed.slice(made.length)));
    expect(disposed.length).toBe(checks.length);
  });

  it("options leave out clearExpired, deleteWhere and maxBytes checks, and a store lacking a method fails with advice", async () => {
    const all = sessionStoreChecks(() => new MemoryStore());
    const fewer = sessionStoreChecks(() => new MemoryStore(), { clearExpired: false, deleteWhere: false, maxBytes: false });
    const names = fewer.map((c) => c.name);
    expect(names.some((n) => /clearExpired|deleteWhere|maxBytes/.test(n))).toBe(false);
    expect(fewer.length).toBe(all.length - 8);
    const bare = () => {
      const store = new MemoryStore();
      return { load: store.load.bind(store), create: store.create.bind(store), update: store.update.bind(store), delete: store.delete.bind(store) };
    };
    const failed = await failures(sessionStoreChecks(bare));
    expect([...failed.keys()].filter((n) => !/clearExpired|deleteWhere/.test(n))).toEqual([]);
    expect(failed.size).toBe(5);
    for (const message of failed.values()) expect(message).toMatch(/the store has no (clearExpired|deleteWhere)\(\) method: implement it, or pass \{ (clearExpired|deleteWhere): false \}/);
  });

  it("makeStore must be a function", () => {
    expect(() => sessionStoreChecks(new MemoryStore() as never)).toThrow(TypeError);
  });

  for (const [broken, expected] of Object.entries(EXPECTED)) {
    it(`a store whose ${broken} fails "${expected}"`, async () => {
      const failed = await failures(sessionStoreChecks(BROKEN_STORES[broken]!));
      expect([...failed.keys()], JSON.stringify(Object.fromEntries(failed), null, 2)).toContain(expected);
      expect(failed.get(expected)!.length).toBeGreaterThan(20);
    });
  }

  it("a failure names what was checked and shows expected and received values", async () => {
    const failed = await failures(sessionStoreChecks(BROKEN_STORES["update() ignores unset"]!));
    const message = failed.get(EXPECTED["update() ignores unset"]!)!;
    expect(message).toContain("load() after update()");
    expect(message).toContain('unexpected key "drop"');
    expect(message).toMatch(/expected: .*\n {2}received: .*"drop":true/);
  });
});
