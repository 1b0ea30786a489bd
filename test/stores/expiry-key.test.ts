/**
 * SQLite tables keep the expiry index's key in `expires_key`: exact on
 * insert, moved by a save only when the expiry has run an hour ahead of it
 * (or back below it), so most saves leave the index entry alone. It must
 * never pass `expires_at`, `clearExpired` must find every expired row through
 * the index, and tables of earlier versions (no `expires_key`) must keep
 * working, before and after the documented upgrade.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CompiledQuery, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { EmbeddedDriver } from "../../src/stores/libsql/embedded-driver.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { schemaStatements } from "../../src/stores/schema.ts";
import { sessionStoreChecks } from "../../src/testing.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-expiry-key-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The table and index earlier versions created. */
const EARLIER = (table: string) => [
  `create table "${table}" (id text primary key not null, data text not null, expires_at integer not null) without rowid`,
  `create index "${table}_expires_at_idx" on "${table}" (expires_at)`,
];
/** The upgrade docs/stores.md gives for such a table. */
const UPGRADE = (table: string) => [
  `alter table "${table}" add column expires_key integer`,
  `drop index if exists "${table}_expires_at_idx"`,
  `create index if not exists "${table}_expires_at_idx" on "${table}" (coalesce(expires_key, expires_at))`,
];

type Layout = "current" | "earlier" | "upgraded";
let files = 0;

/** A store (libsql engine, a file) on a table of the given layout, as a fresh process would open it. */
async function storeOn(layout: Layout): Promise<KyselyStore> {
  const table = "sessions";
  const url = `file:${join(dir, `${layout}-${++files}.db`)}`;
  if (layout === "current") return createLibsqlStore({ url, engine: "libsql" });
  const setup = await createLibsqlStore({ url, engine: "libsql", table: `setup_${files}` });
  for (const statement of EARLIER(table)) await sql.raw(statement).execute(setup.db);
  if (layout === "upgraded") for (const statement of UPGRADE(table)) await sql.raw(statement).execute(setup.db);
  await setup.db.destroy();
  const store = await createLibsqlStore({ url, engine: "libsql", table });
  return store;
}

async function columns(store: KyselyStore): Promise<string[]> {
  return (await sql<{ name: string }>`select name from pragma_table_info(${store.table})`.execute(store.db)).rows.map((row) => row.name);
}

async function row(store: KyselyStore, id: string): Promise<{ expires_at: number; expires_key: number | null }> {
  const result = await sql<{ expires_at: number; expires_key: number | null }>`select expires_at, expires_key from ${sql.table(store.table)} where id = ${id}`.execute(store.db);
  return result.rows[0]!;
}

/** Runs `body` and gives the SQL of every statement the embedded driver ran through Kysely meanwhile. */
async function statementsDuring(body: () => Promise<unknown>): Promise<string[]> {
  const queries: CompiledQuery[] = [];
  const execute = EmbeddedDriver.prototype.execute;
  EmbeddedDriver.prototype.execute = function <R>(this: EmbeddedDriver, connection: Parameters<typeof execute>[0], query: CompiledQuery) {
    queries.push(query);
    return execute.call(this, connection, query) as ReturnType<typeof execute<R>>;
  };
  try {
    await body();
  } finally {
    EmbeddedDriver.prototype.execute = execute;
  }
  return queries.map((query) => query.sql);
}

describe("the SQLite expiry key", () => {
  it("schemaStatements() gives SQLite tables expires_key and indexes coalesce(expires_key, expires_at); PostgreSQL is unchanged", () => {
    expect(schemaStatements("sqlite", "sessions")).toEqual([
      'create table if not exists "sessions" (id text primary key not null, data text not null, expires_at integer not null, expires_key integer) without rowid',
      'create index if not exists "sessions_expires_at_idx" on "sessions" (coalesce(expires_key, expires_at))',
    ]);
    expect(schemaStatements("postgres", "sessions")[1]).toBe('create index if not exists "sessions_expires_at_idx" on "sessions" (expires_at)');
  });

  it("create() sets the key to the expiry; a save moves it only when the expiry runs an hour ahead or falls below it, and it never passes the expiry", async () => {
    const store = await storeOn("current");
    try {
      expect(await columns(store)).toContain("expires_key");
      const t0 = Date.now() + 14 * 24 * HOUR;
      const id = "a".repeat(64);
      expect(await store.create(id, { data: { n: 0 }, expiresAt: t0 })).toBe(true);
      expect(await row(store, id)).toEqual({ expires_at: t0, expires_key: t0 });
      const steps: [number, number][] = [
        [t0 + 10 * MINUTE, t0], // ten minutes later: the key stays
        [t0 + 59 * MINUTE, t0], // still within the hour
        [t0 + 61 * MINUTE, t0 + 61 * MINUTE], // past the hour: the key moves to the expiry
        [t0 + 70 * MINUTE, t0 + 61 * MINUTE],
        [t0 + 30 * MINUTE, t0 + 30 * MINUTE], // a shorter expiry: the key comes down with it
      ];
      for (const [i, [expiresAt, key]] of steps.entries()) {
        expect(await store.update(id, { set: { n: i + 1 }, unset: [], expiresAt, maxBytes: 65536 })).toBe(true);
        expect(await row(store, id)).toEqual({ expires_at: expiresAt, expires_key: key });
      }
      // A renewal without changes (touch) follows the same rule.
      expect(await store.update(id, { set: {}, unset: [], expiresAt: t0 + 40 * MINUTE })).toBe(true);
      expect(await row(store, id)).toEqual({ expires_at: t0 + 40 * MINUTE, expires_key: t0 + 30 * MINUTE });
      expect(await store.update(id, { set: {}, unset: [], expiresAt: t0 + 20 * MINUTE })).toBe(true);
      expect(await row(store, id)).toEqual({ expires_at: t0 + 20 * MINUTE, expires_key: t0 + 20 * MINUTE });
      // Taking over an expired row with the same id resets the key.
      await sql`update ${sql.table(store.table)} set expires_at = 1, expires_key = 1 where id = ${id}`.execute(store.db);
      expect(await store.create(id, { data: {}, expiresAt: t0 })).toBe(true);
      expect(await row(store, id)).toEqual({ expires_at: t0, expires_key: t0 });
      // A row written without the key (by hand) gets one at its first save.
      await sql`insert into ${sql.table(store.table)} (id, data, expires_at) values (${"b".repeat(64)}, '{}', ${t0})`.execute(store.db);
      expect(await store.update("b".repeat(64), { set: { x: 1 }, unset: [], expiresAt: t0 + MINUTE })).toBe(true);
      expect(await row(store, "b".repeat(64))).toEqual({ expires_at: t0 + MINUTE, expires_key: t0 + MINUTE });
    } finally {
      await store.db.destroy();
    }
  });

  for (const layout of ["current", "earlier", "upgraded"] as const) {
    it(`clearExpired() on a ${layout} table goes through the expiry index and deletes exactly the expired rows`, async () => {
      const store = await storeOn(layout);
      try {
        const keyed = layout !== "earlier";
        expect((await columns(store)).includes("expires_key")).toBe(keyed);
        const now = Date.now();
        const insert = (id: string, expiresAt: number, key?: number | null) =>
          keyed
            ? sql`insert into ${sql.table(store.table)} (id, data, expires_at, expires_key) values (${id}, '{}', ${expiresAt}, ${key ?? null})`.execute(store.db)
            : sql`insert into ${sql.table(store.table)} (id, data, expires_at) values (${id}, '{}', ${expiresAt})`.execute(store.db);
        await insert("expired_long_ago", now - 30 * HOUR, now - 30 * HOUR);
        await insert("expired_just_now", now - 1, now - 20 * MINUTE); // its key lags behind its expiry
        await insert("expired_no_key", now - 1000, null); // written without the key
        await insert("live_key_lagging", now + 5 * MINUTE, now - 50 * MINUTE); // the key has passed, the session has not
        await insert("live_no_key", now + HOUR, null);
        await insert("live", now + 14 * 24 * HOUR, now + 14 * 24 * HOUR);
        for (let i = 0; i < 250; i++) await insert(`bulk_${i}`, now - (i + 1) * MINUTE, now - (i + 30) * MINUTE);
        let deleted = 0;
        const ran = await statementsDuring(async () => {
          deleted = await new KyselyStore({ db: store.db, table: store.table, batchSize: 40 }).clearExpired();
        });
        expect(deleted).toBe(253);
        const left = await sql<{ id: string }>`select id from ${sql.table(store.table)} order by id`.execute(store.db);
        expect(left.rows.map((r) => r.id)).toEqual(["live", "live_key_lagging", "live_no_key"]);
        const clear = ran.filter((text) => text.startsWith("delete"));
        // 253 rows, 40 a batch: 7 batches; on an earlier table the first statement naming expires_key is refused first.
        expect(clear.map((text) => text.includes("expires_key"))).toEqual(keyed ? Array(7).fill(true) : [true, ...Array(7).fill(false)]);
        const plan = await sql.raw<{ detail: string }>(`explain query plan ${clear.at(-1)!.replaceAll("?1", "0").replaceAll("?2", "1")}`).execute(store.db);
        expect(plan.rows.map((r) => r.detail).join("\n")).toMatch(new RegExp(`USING (COVERING )?INDEX ${store.table}_expires_at_idx`));
      } finally {
        await store.db.destroy();
      }
    });
  }

  it("a store on an earlier table writes without expires_key (once the database says it has no such column), and createSchema() leaves that table as it is", async () => {
    const store = await storeOn("earlier");
    try {
      await store.createSchema();
      expect(await columns(store)).toEqual(["id", "data", "expires_at"]);
      expect(await store.create("c".repeat(64), { data: { a: 1 }, expiresAt: Date.now() + HOUR })).toBe(true);
      expect((await store.load("c".repeat(64)))?.data).toEqual({ a: 1 });
      expect(await store.update("c".repeat(64), { set: { a: 2 }, unset: [], expiresAt: Date.now() + 2 * HOUR })).toBe(true);
      expect((await store.load("c".repeat(64)))?.data).toEqual({ a: 2 });
    } finally {
      await store.db.destroy();
    }
  });

  it("the upgrade, run beside a store that still writes the earlier way, loses nothing; a store opened afterwards keys its writes", async () => {
    const url = `file:${join(dir, `upgrade-live-${++files}.db`)}`;
    const setup = await createLibsqlStore({ url, engine: "libsql", table: "setup" });
    for (const statement of EARLIER("sessions")) await sql.raw(statement).execute(setup.db);
    await setup.db.destroy();
    const running = await createLibsqlStore({ url, engine: "libsql" });
    const later = Date.now() + HOUR;
    try {
      expect(await running.create("d".repeat(64), { data: { before: true }, expiresAt: later })).toBe(true);
      for (const statement of UPGRADE("sessions")) await sql.raw(statement).execute(running.db);
      // The running store keeps the statements it chose; they work on the upgraded table.
      expect(await running.update("d".repeat(64), { set: { during: true }, unset: [], expiresAt: later + MINUTE })).toBe(true);
      expect(await running.create("e".repeat(64), { data: { during: true }, expiresAt: later })).toBe(true);
      const reopened = await createLibsqlStore({ url, engine: "libsql" });
      try {
        expect(await reopened.create("f".repeat(64), { data: { after: true }, expiresAt: later })).toBe(true);
        expect(await row(reopened, "f".repeat(64))).toEqual({ expires_at: later, expires_key: later });
        expect((await reopened.load("d".repeat(64)))?.data).toEqual({ before: true, during: true });
        expect((await reopened.load("e".repeat(64)))?.data).toEqual({ during: true });
      } finally {
        await reopened.db.destroy();
      }
    } finally {
      await running.db.destroy();
    }
  });

  for (const layout of ["earlier", "upgraded"] as const) {
    for (const check of sessionStoreChecks(() => storeOn(layout), {
      prefix: `KyselyStore on an ${layout} table: `,
      dispose: (store) => (store as KyselyStore).db.destroy(),
    })) {
      it(check.name, check.run);
    }
  }
});
