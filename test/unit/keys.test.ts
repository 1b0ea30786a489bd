/**
 * src/keys.ts: session keys and the ids stores see.
 */
import { describe, expect, test } from "vitest";
import { hashKey, isValidKey } from "../../src/keys.ts";
import { rowId } from "../helpers/http.ts";
import { createClient, SpyStore } from "../helpers/jar.ts";

describe("keys and ids", () => {
  test("withSession() issues 32-character [a-z0-9] keys and stores only their SHA-256", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const key = client.cookie()!;
    expect(key).toMatch(/^[a-z0-9]{32}$/);
    const ids = store.calls.map((c) => c.id);
    expect(ids).toEqual([rowId(key)]);
    for (const [id, json] of store.inner.dump()) {
      expect(id).not.toContain(key);
      expect(json).not.toContain(key);
    }
  });

  test("generateKey() is uniform over [a-z0-9] (no modulo bias)", async () => {
    const { generateKey } = await import("../../src/keys.ts");
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) for (const c of generateKey()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(36);
    const expected = (n * 32) / 36;
    let chi = 0;
    for (const count of counts.values()) chi += (count - expected) ** 2 / expected;
    // 35 degrees of freedom: p = 0.0001 at 71.4. A biased generator (bytes % 36) lands near 250.
    expect(chi).toBeLessThan(71.4);
  });

  test("generateKey() keys stay unique across many refills of its random pool", async () => {
    const { generateKey } = await import("../../src/keys.ts");
    const keys = new Set<string>();
    // About 33 random bytes a key from a 4 KiB pool: 20,000 keys refill it about 160 times.
    for (let i = 0; i < 20_000; i++) keys.add(generateKey());
    expect(keys.size).toBe(20_000);
    for (const key of keys) expect(key).toMatch(/^[a-z0-9]{32}$/);
  });
});

describe("isValidKey() and hashKey()", () => {
  test("isValidKey() accepts exactly 32 characters of [a-z0-9]", () => {
    expect(isValidKey("a".repeat(32))).toBe(true);
    expect(isValidKey("0123456789abcdefghijklmnopqrstuv")).toBe(true);
    for (const bad of ["a".repeat(31), "a".repeat(33), "A".repeat(32), "a".repeat(31) + "-", "a".repeat(31) + "\u0000", ""]) {
      expect(isValidKey(bad), bad).toBe(false);
    }
  });

  test("hashKey() is the lowercase hex SHA-256 of the key", async () => {
    const key = "k3v9".repeat(8);
    expect(hashKey(key)).toBe(rowId(key));
  });
});
