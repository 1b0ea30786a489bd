/**
 * MemoryStore: the store contract (through the shared conformance checks) and
 * what is MemoryStore's own: the size limit checked in the same step as the write.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { SessionDataTooLargeError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { storeConformance } from "../store-conformance.ts";

storeConformance("MemoryStore", async () => ({
  store: new MemoryStore({ sweepInterval: 3_600_000 }),
  async close() {},
}));

afterEach(() => {
  vi.useRealTimers();
});

const ID = "a".repeat(64);
const later = () => Date.now() + 60_000;

describe("MemoryStore maxBytes", () => {
  test("update() with maxBytes refuses a patch that would pass the limit, writing nothing", async () => {
    const store = new MemoryStore();
    await store.create(ID, { data: { a: "x".repeat(10) }, expiresAt: later() });
    const error = await store.update(ID, { set: { b: "y".repeat(100) }, unset: [], expiresAt: later(), maxBytes: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionDataTooLargeError);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as SessionDataTooLargeError).limit).toBe(50);
    expect((error as SessionDataTooLargeError).size).toBe(JSON.stringify({ a: "x".repeat(10), b: "y".repeat(100) }).length);
    expect((await store.load(ID))!.data).toEqual({ a: "x".repeat(10) });
  });

  test("update() with maxBytes counts UTF-8 bytes, not characters", async () => {
    const store = new MemoryStore();
    await store.create(ID, { data: {}, expiresAt: later() });
    // {"a":"ééé..."} is 8 + 2*n bytes; 20 é = 48 bytes in 28 characters.
    await expect(store.update(ID, { set: { a: "é".repeat(21) }, unset: [], expiresAt: later(), maxBytes: 48 })).rejects.toThrow(SessionDataTooLargeError);
    await expect(store.update(ID, { set: { a: "é".repeat(20) }, unset: [], expiresAt: later(), maxBytes: 48 })).resolves.toBe(true);
  });

  test("update() with maxBytes lets data already over the limit shrink or stay the same size, never grow", async () => {
    const store = new MemoryStore();
    await store.create(ID, { data: { a: "x".repeat(200), b: "y".repeat(200) }, expiresAt: later() });
    await expect(store.update(ID, { set: { c: 1 }, unset: [], expiresAt: later(), maxBytes: 100 })).rejects.toThrow(SessionDataTooLargeError);
    await expect(store.update(ID, { set: { a: "z".repeat(200) }, unset: [], expiresAt: later(), maxBytes: 100 })).resolves.toBe(true);
    await expect(store.update(ID, { set: { a: "z" }, unset: [], expiresAt: later(), maxBytes: 100 })).resolves.toBe(true);
    expect((await store.load(ID))!.data).toEqual({ a: "z", b: "y".repeat(200) });
  });

  test("concurrent updates with maxBytes cannot pass the limit together", async () => {
    const store = new MemoryStore();
    await store.create(ID, { data: {}, expiresAt: later() });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.update(ID, { set: { [`k${i}`]: "x".repeat(900) }, unset: [], expiresAt: later(), maxBytes: 2000 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(results.filter((r) => r.status === "rejected" && r.reason instanceof SessionDataTooLargeError)).toHaveLength(8);
    expect(new TextEncoder().encode(store.dump()[0]![1]).length).toBeLessThanOrEqual(2000);
  });

  test("update() without maxBytes applies any size", async () => {
    const store = new MemoryStore();
    await store.create(ID, { data: {}, expiresAt: later() });
    await expect(store.update(ID, { set: { a: "x".repeat(100_000) }, unset: [], expiresAt: later() })).resolves.toBe(true);
  });
});

describe("MemoryStore expiry", () => {
  test("create() and update() refuse a non-finite expiresAt, so no row lives forever unswept", async () => {
    const store = new MemoryStore();
    await expect(store.create(ID, { data: {}, expiresAt: Number.NaN })).rejects.toThrow(TypeError);
    expect(store.size).toBe(0);
    await store.create(ID, { data: { a: 1 }, expiresAt: later() });
    await expect(store.update(ID, { set: { a: 2 }, unset: [], expiresAt: Number.POSITIVE_INFINITY })).rejects.toThrow(/finite expiresAt/);
    expect((await store.load(ID))!.data).toEqual({ a: 1 });
  });
});

describe("MemoryStore sweeping", () => {
  test("MemoryStore sweeps expired sessions on writes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const store = new MemoryStore({ sweepInterval: 1000 });
    for (let i = 0; i < 10; i++) await store.create(String(i).padStart(64, "0"), { data: {}, expiresAt: Date.now() + 500 });
    expect(store.size).toBe(10);
    vi.setSystemTime(new Date("2026-01-01T00:00:02Z"));
    await store.create("f".repeat(64), { data: {}, expiresAt: Date.now() + 500 });
    expect(store.size).toBe(1);
  });
});
