/**
 * KyselyStore.clearExpired() on the embedded engine, which answers every
 * batch at once: other work must still run between batches.
 */
import { afterAll, expect, test } from "vitest";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";

const store = await createLibsqlStore({ url: ":memory:" });
afterAll(() => store.db.destroy());

test("KyselyStore.clearExpired() lets timers run between batches and deletes every expired row", async () => {
  const { KyselyStore } = await import("../../mod.ts");
  const batched = new KyselyStore({ db: store.db, batchSize: 50 });
  const past = Date.now() - 1000;
  for (let i = 0; i < 500; i++) await store.create(i.toString(16).padStart(64, "0"), { data: {}, expiresAt: past });
  await store.create("f".repeat(64), { data: { live: true }, expiresAt: Date.now() + 60_000 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    expect(await batched.clearExpired()).toBe(500);
  } finally {
    clearInterval(timer);
  }
  // Ten batches: a zero-delay timer fires between them. Without the yield the loop is one microtask chain and it never fires.
  expect(ticks).toBeGreaterThanOrEqual(5);
  expect(await store.load("f".repeat(64))).not.toBeNull();
});
