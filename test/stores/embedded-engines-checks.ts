/**
 * The embedded engines' checks, run by each runtime the default store can
 * pick an engine on (test/stores/embedded-engines.test.ts starts it):
 *
 *     bun test/stores/embedded-engines-checks.ts                      (bun:sqlite, libsql)
 *     node test/stores/embedded-engines-checks.ts                     (Node 24: node:sqlite, libsql)
 *     deno run -A test/stores/embedded-engines-checks.ts              (node:sqlite, libsql)
 *
 * For every engine of the runtime: the public conformance suite on a file
 * with group commit on; group commit itself (concurrent writes share a
 * transaction, a failing statement fails only its own caller, the
 * resurrection guard and the key-level merge hold inside a batch, Kysely
 * transactions wait for and follow queued writes); and two engines on one
 * file in the same process. Prints one JSON line per check, then
 * `{"done":true}`; exits 1 when a check failed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashKey } from "../../src/keys.ts";
import { LOAD_NOW, type SessionStore } from "../../src/store.ts";
import { getSession, withSession } from "../../src/with-session.ts";
import { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore, type EmbeddedEngine } from "../../src/stores/libsql/index.ts";
import { GroupCommit } from "../../src/stores/libsql/group-commit.ts";
import { runtimeEngine } from "../../src/stores/libsql/engine.ts";
import { execute } from "../../src/stores/schema.ts";
import { syncSqlOf } from "../../src/stores/sync-sql.ts";
import { randomId, sessionStoreChecks } from "../../src/testing.ts";

const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } }; process?: { versions: { node: string } } };
const runtime = g.Bun ? `Bun ${g.Bun.version}` : g.Deno ? `Deno ${g.Deno.version.deno}` : `Node ${g.process!.versions.node}`;
const engines: EmbeddedEngine[] = [runtimeEngine(), "libsql"];
const dir = mkdtempSync(join(tmpdir(), "fetch-session-engines-"));
const HOUR = 3_600_000;
let failed = 0;
let tables = 0;
const print = (line: object) => console.log(JSON.stringify(line));
const fresh = () => `t_${process.pid}_${++tables}`;

// Counts write transactions: a group commit's flush with something queued.
let flushes = 0;
const flush = GroupCommit.prototype.flush;
GroupCommit.prototype.flush = function (this: GroupCommit) {
  if (this.pending) flushes++;
  flush.call(this);
};

async function check(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    print({ name, ok: true });
  } catch (error) {
    failed++;
    print({ name, ok: false, error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const open = (engine: EmbeddedEngine, file = "shared.db", table = fresh()) =>
  createLibsqlStore({ url: `file:${join(dir, file)}`, engine, table });

print({ info: `${runtime}: engines ${engines.join(", ")}` });

for (const engine of engines) {
  const prefix = `${runtime}, ${engine}: `;
  // One database file per engine, a fresh table per check, the database closed after each.
  const checks = sessionStoreChecks(() => open(engine, `${engine.replace(":", "-")}.db`), {
    prefix,
    dispose: (store) => (store as KyselyStore).db.destroy(),
    makeBatchedStore: async (batchSize) => {
      const base = await open(engine, `${engine.replace(":", "-")}.db`);
      return new KyselyStore({ db: base.db, table: base.table, batchSize });
    },
    corruptRows: {
      samples: ["{not json", "[1,2,3]", '"a string"', "null", "42", "", '{"a":1'],
      insert: async (store, id, data, expiresAt) => {
        const s = store as KyselyStore;
        await execute(s.db, `insert into "${s.table}" (id, data, expires_at) values (?, ?, ?)`, [id, data, expiresAt]);
      },
    },
  });
  for (const c of checks) await check(c.name, c.run);

  await check(`${prefix}the store runs on the ${engine} engine with the synchronous path, WAL, synchronous=NORMAL, a 5 s busy timeout and 128 MiB of memory-mapped reads`, async () => {
    const store = await open(engine);
    try {
      assert(syncSqlOf(store.db) !== undefined, "no synchronous path");
      const { rows } = await execute<{ v: string }>(store.db, "select sqlite_version() as v", []);
      assert(/^3\.\d+/.test(rows[0]!.v), `sqlite_version() gave ${rows[0]?.v}`);
      // The file settings openLibsqlDatabase applies, read back from this engine's connection.
      const setting = async (name: string) => Object.values((await execute(store.db, `pragma ${name}`, [])).rows[0] ?? {})[0];
      const settings = { journal_mode: await setting("journal_mode"), synchronous: await setting("synchronous"), busy_timeout: await setting("busy_timeout"), mmap_size: await setting("mmap_size") };
      assert(
        String(settings.journal_mode).toLowerCase() === "wal" && Number(settings.synchronous) === 1 && Number(settings.busy_timeout) === 5000 && Number(settings.mmap_size) === 134_217_728,
        `settings ${JSON.stringify(settings)}`,
      );
    } finally {
      await store.db.destroy();
    }
  });

  await check(`${prefix}50 concurrent creates and updates commit in fewer transactions than writes, each caller after its commit`, async () => {
    const store = await open(engine);
    try {
      const ids = Array.from({ length: 50 }, randomId);
      const before = flushes;
      const created = await Promise.all(ids.map((id) => store.create(id, { data: { n: 0 }, expiresAt: Date.now() + HOUR })));
      assert(created.every(Boolean), `creates: ${created}`);
      const updated = await Promise.all(ids.map((id, i) => store.update(id, { set: { n: i }, unset: [], expiresAt: Date.now() + HOUR })));
      assert(updated.every(Boolean), `updates: ${updated}`);
      const transactions = flushes - before;
      assert(transactions >= 2 && transactions <= 10, `100 writes took ${transactions} transactions`);
      // Another connection sees every write once the promises have resolved: they were committed.
      const other = await open(engine, "shared.db", store.table);
      try {
        for (const [i, id] of ids.entries()) {
          const record = await other.load(id);
          assert(record?.data.n === i, `row ${i} reads ${JSON.stringify(record)} from another connection`);
        }
      } finally {
        await other.db.destroy();
      }
    } finally {
      await store.db.destroy();
    }
  });

  await check(`${prefix}a statement that fails inside a group commit fails only its own caller`, async () => {
    const store = await open(engine);
    try {
      const ids = Array.from({ length: 10 }, randomId);
      await Promise.all(ids.map((id) => store.create(id, { data: { n: 0 }, expiresAt: Date.now() + HOUR })));
      const bad = randomId();
      const results = await Promise.allSettled([
        ...ids.slice(0, 5).map((id) => store.update(id, { set: { a: 1 }, unset: [], expiresAt: Date.now() + HOUR })),
        // Not an object: the database refuses it (NOT NULL), in the same batch as the others.
        store.create(bad, { data: [1, 2] as unknown as Record<string, unknown>, expiresAt: Date.now() + HOUR }),
        ...ids.slice(5).map((id) => store.update(id, { set: { a: 2 }, unset: [], expiresAt: Date.now() + HOUR })),
      ]);
      assert(results[5]!.status === "rejected", `the bad create gave ${JSON.stringify(results[5])}`);
      const others = results.filter((_, i) => i !== 5);
      assert(others.every((r) => r.status === "fulfilled" && r.value === true), `others: ${JSON.stringify(others)}`);
      assert((await store.load(bad)) === null, "the refused row exists");
      for (const [i, id] of ids.entries()) assert((await store.load(id))?.data.a === (i < 5 ? 1 : 2), `row ${i} lost its update`);
    } finally {
      await store.db.destroy();
    }
  });

  await check(`${prefix}inside one batch, an update after a delete does not bring the row back, and concurrent updates of different keys all land`, async () => {
    const store = await open(engine);
    try {
      const gone = randomId();
      const kept = randomId();
      await store.create(gone, { data: { user: "a" }, expiresAt: Date.now() + HOUR });
      await store.create(kept, { data: { user: "b" }, expiresAt: Date.now() + HOUR });
      const [, revived, ...merged] = await Promise.all([
        store.delete(gone),
        store.update(gone, { set: { cart: 1 }, unset: [], expiresAt: Date.now() + HOUR }),
        ...Array.from({ length: 20 }, (_, i) => store.update(kept, { set: { [`k${i}`]: i }, unset: i === 0 ? ["user"] : [], expiresAt: Date.now() + HOUR })),
      ]);
      assert(revived === false, "the update after the delete reported success");
      assert((await store.load(gone)) === null, "the deleted row came back");
      assert(merged.every((m) => m === true), `merges: ${merged}`);
      const data = (await store.load(kept))!.data;
      const expected = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
      assert(JSON.stringify(Object.entries(data).sort()) === JSON.stringify(Object.entries(expected).sort()), `merged data ${JSON.stringify(data)}`);
    } finally {
      await store.db.destroy();
    }
  });

  await check(`${prefix}a Kysely transaction commits the writes queued before it first, and statements issued during it wait`, async () => {
    const store = await open(engine);
    try {
      const t = `"${store.table}"`;
      const early = randomId();
      const queued = store.create(early, { data: { n: 1 }, expiresAt: Date.now() + HOUR });
      let seenInside: unknown;
      const transaction = store.db.transaction().execute(async (tx) => {
        seenInside = (await execute<{ c: number }>(tx, `select count(*) as c from ${t} where id = ?`, [early])).rows[0]!.c;
        await new Promise((resolve) => setTimeout(resolve, 20));
        await execute(tx, `insert into ${t} (id, data, expires_at) values (?, '{"n":2}', ?)`, ["tx-row", Date.now() + HOUR]);
      });
      const during = store.load("tx-row");
      await Promise.all([queued, transaction]);
      assert(Number(seenInside) === 1, `the transaction saw ${String(seenInside)} queued rows`);
      assert((await during)?.data.n === 2, "a load issued during the transaction did not wait for it");
      await assertRejects(
        store.db.transaction().execute(async (tx) => {
          await execute(tx, `insert into ${t} (id, data, expires_at) values (?, '{}', ?)`, ["rolled-back", Date.now() + HOUR]);
          throw new Error("roll back");
        }),
        "roll back",
      );
      assert((await store.load("rolled-back")) === null, `a rolled back row exists: ${JSON.stringify((await execute(store.db, `select id, data from ${t}`, [])).rows)} ${JSON.stringify(await store.load("rolled-back"))}`);
      assert((await store.create(randomId(), { data: {}, expiresAt: Date.now() + HOUR })) === true, "a write after the transactions failed");
    } finally {
      await store.db.destroy();
    }
  });

  await check(`${prefix}a request reads its session at once (no promise) when the engine is free, waits during a transaction, and goes through a subclass's own load()`, async () => {
    const store = await open(engine);
    try {
      const loadNow = (s: KyselyStore, id: string) => (s as unknown as Record<symbol, (id: string) => unknown>)[LOAD_NOW]!.call(s, id);
      const key = "k".repeat(32);
      const id = hashKey(key);
      await store.create(id, { data: { n: 7 }, expiresAt: Date.now() + HOUR });
      const now = loadNow(store, id) as { data: { n: number } } | undefined;
      assert(now !== undefined && !(now instanceof Promise) && now.data.n === 7, `the free engine did not answer at once: ${String(now)}`);
      let inside: unknown = "not run";
      await store.db.transaction().execute(async () => {
        inside = loadNow(store, id);
      });
      assert(inside === undefined, `a read during a transaction did not fall back to load(): ${JSON.stringify(inside)}`);
      class Audited extends KyselyStore {
        override async load(rowId: string) {
          const record = await super.load(rowId);
          return record && { ...record, data: { ...record.data, audited: true } };
        }
      }
      const audited = new Audited({ db: store.db, table: store.table });
      assert(loadNow(audited, id) === undefined, "the subclass's load() was bypassed");
      for (const s of [store, audited]) {
        const app = withSession(async (request: Request) => Response.json((await getSession(request)).entries()), { store: s });
        const body = await (await app(new Request("http://x/", { headers: { cookie: `sessionid=${key}` } }))).json();
        const expected = s === store ? [["n", 7]] : [["n", 7], ["audited", true]];
        assert(JSON.stringify(body) === JSON.stringify(expected), `the request read ${JSON.stringify(body)}`);
      }
    } finally {
      await store.db.destroy();
    }
  });
}

await check(`${runtime}: ${engines.join(" and ")} share one file (WAL), each reading and changing what the other wrote, concurrently`, async () => {
  const table = fresh();
  const a = await open(engines[0]!, "both.db", table);
  const b = await open(engines[1]!, "both.db", table);
  try {
    const id = randomId();
    assert(await a.create(id, { data: { by: engines[0] }, expiresAt: Date.now() + HOUR }), "create through A");
    assert((await b.load(id))?.data.by === engines[0], "B does not see A's row");
    const writes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).update(id, { set: { [`k${i}`]: i }, unset: [], expiresAt: Date.now() + HOUR })),
    );
    assert(writes.every(Boolean), `writes: ${writes}`);
    const data = (await a.load(id))!.data;
    for (let i = 0; i < 40; i++) assert(data[`k${i}`] === i, `k${i} missing: ${JSON.stringify(data)}`);
    await b.delete(id);
    assert((await a.update(id, { set: { x: 1 }, unset: [], expiresAt: Date.now() + HOUR })) === false, "A revived B's deleted row");
    assert((await a.load(id)) === null, "the row came back");
  } finally {
    await a.db.destroy();
    await b.db.destroy();
  }
});

async function assertRejects(promise: Promise<unknown>, message: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof Error && error.message.includes(message), `rejected with ${String(error)}`);
    return;
  }
  throw new Error("did not reject");
}

void (null as unknown as SessionStore);
rmSync(dir, { recursive: true, force: true });
print({ done: true, failed });
if (failed > 0) process.exit(1);
