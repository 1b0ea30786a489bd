/**
 * The store conformance suite, for anyone writing a `SessionStore` (Redis,
 * DynamoDB, KV, another SQL engine...): the checks every store of this
 * library passes, as plain async functions that work under any test runner.
 *
 * ```ts
 * import { sessionStoreChecks } from "fetch-session/testing";
 * import { test } from "vitest"; // or bun:test, or Deno.test, or node:test
 *
 * for (const check of sessionStoreChecks(() => new MyStore())) test(check.name, check.run);
 * ```
 *
 * Each check makes its own store with `makeStore` (a fresh, empty one is
 * best: a new table, a new key prefix), uses only the `SessionStore`
 * methods, throws an `Error` with a clear message when the store breaks the
 * contract, and takes well under the 5 s default timeout of common runners.
 *
 * @module
 */
import type { SessionPatch, SessionRecord, SessionStore } from "./store.ts";

/** One conformance check: give `run` to your runner under `name`. */
export interface SessionStoreCheck {
  /** What the check proves, as a test name ("update() removes unset keys..."). */
  name: string;
  /** Runs the check; rejects with an `Error` saying what the store did wrong. */
  run: () => Promise<void>;
}

/** Rows planted by hand whose data is not a JSON object, for stores that can hold them. */
export interface CorruptRows {
  /** Raw texts the store's backend can hold as a row's data that are not a JSON object (`"[1,2]"`, `"{oops"`). */
  samples: string[];
  /** Writes one row with `data` as raw text, bypassing the store (plain SQL insert, raw Redis SET...). */
  insert(store: SessionStore, id: string, data: string, expiresAt: number): Promise<void>;
}

/** What `sessionStoreChecks` needs besides a way to make stores. */
export interface SessionStoreCheckOptions {
  /** Prefix for every check name, e.g. `"RedisStore: "`. @default "" */
  prefix?: string;
  /** Called after each check with the store it made: close connections, drop tables. */
  dispose?(store: SessionStore): void | Promise<void>;
  /**
   * Makes a store whose `clearExpired()` deletes at most `batchSize` rows per
   * statement, to check that it keeps going until every expired row is gone.
   * Without it that check runs on a store from `makeStore`.
   */
  makeBatchedStore?(batchSize: number): SessionStore | Promise<SessionStore>;
  /** Whether to check `clearExpired()`; `false` for a store whose backend expires rows by itself. @default true */
  clearExpired?: boolean;
  /** Whether to check `deleteWhere()` ("log out everywhere"); `false` for a store without it. @default true */
  deleteWhere?: boolean;
  /** Whether to check `SessionPatch.maxBytes` (the size limit applied atomically with the write). @default true */
  maxBytes?: boolean;
  /** Corrupt rows to plant: checks that they load as empty sessions with one warning and are never overwritten. */
  corruptRows?: CorruptRows;
}

/**
 * The conformance checks for one store implementation.
 *
 * @param makeStore makes the store one check uses (called once per check; an empty store is best)
 * @param options what to check beyond the core contract, and how to clean up
 * @returns the checks, in order; none depends on another
 * @example
 * ```ts
 * import { sessionStoreChecks } from "fetch-session/testing";
 * for (const check of sessionStoreChecks(() => new MyStore({ prefix: crypto.randomUUID() }))) {
 *   Deno.test(check.name, check.run);
 * }
 * ```
 */
export function sessionStoreChecks(
  makeStore: () => SessionStore | Promise<SessionStore>,
  options: SessionStoreCheckOptions = {},
): SessionStoreCheck[] {
  if (typeof makeStore !== "function") throw new TypeError("sessionStoreChecks(makeStore): makeStore must be a function returning a SessionStore");
  const prefix = options.prefix ?? "";
  const checks: SessionStoreCheck[] = [];
  const add = (name: string, body: (store: SessionStore) => Promise<void>, make: () => SessionStore | Promise<SessionStore> = makeStore) => {
    checks.push({
      name: prefix + name,
      run: async () => {
        const store = await make();
        if (store === null || typeof store !== "object") fail(`makeStore() returned ${describe(store)} instead of a store`);
        try {
          await body(store);
        } finally {
          await options.dispose?.(store);
        }
      },
    });
  };

  add("load() resolves null for an unknown id", async (store) => {
    equal(await store.load(randomId()), null, "load() of an id never created");
  });

  add("create() then load() round-trips JSON data and the expiry", async (store) => {
    const id = randomId();
    const record: SessionRecord = {
      data: {
        n: 42,
        f: 1.5,
        neg: -7,
        big: 2 ** 53 - 1,
        t: true,
        no: false,
        nil: null,
        s: 'text with "quotes", \\backslashes\\ and ünïcødé 🍪',
        nested: { a: [1, { b: "c" }], empty: {} },
        list: [],
        date: new Date(0).toJSON(),
      },
      expiresAt: later(),
    };
    equal(await store.create(id, record), true, "create() of a new id");
    equal(await store.load(id), record, "load() after create()");
  });

  add("create() resolves false for a live id and keeps the existing data", async (store) => {
    const id = randomId();
    const expiresAt = later();
    equal(await store.create(id, { data: { owner: "first" }, expiresAt }), true, "first create()");
    equal(await store.create(id, { data: { owner: "second" }, expiresAt: expiresAt + 5 }), false, "create() of an id that is live");
    equal(await store.load(id), { data: { owner: "first" }, expiresAt }, "load() after the refused create()");
  });

  add("create() takes over an expired row with the same id", async (store) => {
    const id = randomId();
    equal(await store.create(id, { data: { old: 1 }, expiresAt: past() }), true, "create() of an already expired record");
    const expiresAt = later();
    equal(await store.create(id, { data: { fresh: 2 }, expiresAt }), true, "create() over the expired row");
    equal(await store.load(id), { data: { fresh: 2 }, expiresAt }, "load() after taking over the expired row");
  });

  add("load() never returns an expired row", async (store) => {
    const id = randomId();
    equal(await store.create(id, { data: { x: 1 }, expiresAt: Date.now() - 1 }), true, "create() of an expired record");
    equal(await store.load(id), null, "load() of an expired row");
  });

  add("load() returns data the caller may change without changing the store", async (store) => {
    const id = randomId();
    const expiresAt = later();
    const data = { list: [1], inner: { a: 1 } };
    await store.create(id, { data, expiresAt });
    data.list.push(2);
    data.inner.a = 2;
    const first = await store.load(id);
    equal(first, { data: { list: [1], inner: { a: 1 } }, expiresAt }, "load() after the caller changed the object it gave create()");
    try {
      (first!.data["list"] as number[]).push(3);
      first!.data["added"] = true;
    } catch (error) {
      fail(`load() returned data the caller cannot change (${describe(error)}): the library changes loaded values in place`);
    }
    equal(await store.load(id), { data: { list: [1], inner: { a: 1 } }, expiresAt }, "load() after the caller changed a loaded record");
  });

  add("update() replaces set keys, removes unset keys, keeps the others and sets the expiry", async (store) => {
    const id = randomId();
    await store.create(id, { data: { keep: "k", change: 1, drop: true, nested: { a: 1, b: 2 } }, expiresAt: later() });
    const expiresAt = later() + HOUR;
    const ok = await store.update(id, { set: { change: 2, added: ["x"], nested: { c: 3 } }, unset: ["drop", "never-there"], expiresAt });
    equal(ok, true, "update() of a live row");
    equal(await store.load(id), { data: { keep: "k", change: 2, added: ["x"], nested: { c: 3 } }, expiresAt }, "load() after update()");
  });

  add("update() with nothing to change renews the expiry", async (store) => {
    const id = randomId();
    await store.create(id, { data: { a: 1 }, expiresAt: later() });
    const expiresAt = later() + 2 * HOUR;
    equal(await store.update(id, { set: {}, unset: [], expiresAt }), true, "update() with an empty patch");
    equal(await store.load(id), { data: { a: 1 }, expiresAt }, "load() after renewing the expiry");
  });

  add('update() stores null, false, 0 and "" as values, not as removals', async (store) => {
    const id = randomId();
    await store.create(id, { data: { a: 1, b: 1, c: 1, d: 1 }, expiresAt: later() });
    equal(await store.update(id, { set: { a: null, b: false, c: 0, d: "" }, unset: [], expiresAt: later() }), true, "update()");
    equal((await store.load(id))?.data, { a: null, b: false, c: 0, d: "" }, "data after setting falsy values");
  });

  add("update() reports false when the row is gone and does not re-create it", async (store) => {
    const id = randomId();
    await store.create(id, { data: { a: 1 }, expiresAt: later() });
    await store.delete(id);
    equal(await store.update(id, { set: { a: 2 }, unset: [], expiresAt: later() }), false, "update() of a deleted row");
    equal(await store.load(id), null, "load() after update() of a deleted row (it must not come back)");
    equal(await store.update(randomId(), { set: {}, unset: [], expiresAt: later() }), false, "update() of an id never created");
  });

  add("update() reports false when the row has expired and does not revive it", async (store) => {
    const id = randomId();
    await store.create(id, { data: { a: 1 }, expiresAt: past() });
    equal(await store.update(id, { set: { a: 2 }, unset: [], expiresAt: later() }), false, "update() of an expired row");
    equal(await store.update(id, { set: {}, unset: [], expiresAt: later() }), false, "empty update() of an expired row");
    equal(await store.load(id), null, "load() after update() of an expired row (it must not come back)");
  });

  add("update() handles keys with quotes, dots, $, brackets, spaces, unicode and SQL", async (store) => {
    const id = randomId();
    await store.create(id, { data: { plain: 0 }, expiresAt: later() });
    const set = Object.fromEntries(AWKWARD_KEYS.map((key, i) => [key, { i, key }]));
    const expiresAt = later();
    equal(await store.update(id, { set, unset: [], expiresAt }), true, "update() setting awkward keys");
    const loaded = await store.load(id);
    equal(Object.keys(loaded?.data ?? {}).sort(), ["plain", ...AWKWARD_KEYS].sort(), "keys after setting awkward keys");
    for (const [i, key] of AWKWARD_KEYS.entries()) {
      equal(Object.getOwnPropertyDescriptor(loaded!.data, key)?.value, { i, key }, `value of key ${JSON.stringify(key)}`);
    }
    // The same keys again must find the same entries (no twins), then removing them must leave only "plain".
    equal(await store.update(id, { set: Object.fromEntries(AWKWARD_KEYS.map((key) => [key, "again"])), unset: [], expiresAt }), true, "second update()");
    equal(Object.keys((await store.load(id))?.data ?? {}).length, AWKWARD_KEYS.length + 1, "number of keys after replacing every awkward key");
    equal(await store.update(id, { set: {}, unset: [...AWKWARD_KEYS], expiresAt }), true, "update() unsetting awkward keys");
    equal((await store.load(id))?.data, { plain: 0 }, "data after unsetting every awkward key");
  });

  add("update() changes only the keys it names: keys alike by prefix, case, escaping or normalisation stay apart", async (store) => {
    const id = randomId();
    const expiresAt = later();
    const original = Object.fromEntries(NEIGHBOUR_KEYS.map((key, i) => [key, `original ${i}`]));
    equal(await store.create(id, { data: original, expiresAt }), true, "create()");
    const expected: Record<string, unknown> = { ...original };
    // Each key in turn, in one patch each: set it, then (every other key) remove it; nothing else may move.
    for (const [i, key] of NEIGHBOUR_KEYS.entries()) {
      const patch: SessionPatch = i % 2 === 0
        ? { set: { [key]: `changed ${i}` }, unset: [], expiresAt }
        : { set: {}, unset: [key], expiresAt };
      if (i % 2 === 0) Object.defineProperty(expected, key, { value: `changed ${i}`, enumerable: true, writable: true, configurable: true });
      else delete expected[key];
      equal(await store.update(id, patch), true, `update() of key ${JSON.stringify(key)}`);
      equal((await store.load(id))?.data, expected, `data after ${i % 2 === 0 ? "setting" : "removing"} only key ${JSON.stringify(key)}`);
    }
  });

  add("update() changes 150 keys in one patch", async (store) => {
    const id = randomId();
    await store.create(id, { data: {}, expiresAt: later() });
    const set = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
    equal(await store.update(id, { set, unset: [], expiresAt: later() }), true, "update() of 150 keys");
    equal((await store.load(id))?.data, set, "data after setting 150 keys");
    const unset = Object.keys(set).slice(0, 120);
    equal(await store.update(id, { set: { extra: "x" }, unset, expiresAt: later() }), true, "update() unsetting 120 keys");
    const expected: Record<string, unknown> = Object.fromEntries(Object.entries(set).slice(120));
    expected["extra"] = "x";
    equal((await store.load(id))?.data, expected, "data after unsetting 120 keys and setting one");
  });

  add("concurrent update() calls on different keys of one row all keep their change", async (store) => {
    const id = randomId();
    await store.create(id, { data: { base: true }, expiresAt: later() });
    const expiresAt = later();
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => store.update(id, { set: { [`key${i}`]: i }, unset: [], expiresAt })),
    );
    equal(results, Array(25).fill(true), "results of 25 concurrent update() calls");
    const expected = { base: true, ...Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`key${i}`, i])) };
    equal((await store.load(id))?.data, expected, "data after 25 concurrent updates of different keys (a lost update is a race)");
  });

  add("delete() removes the row and ignores a missing one", async (store) => {
    const id = randomId();
    await store.create(id, { data: { a: 1 }, expiresAt: later() });
    await store.delete(id);
    equal(await store.load(id), null, "load() after delete()");
    await store.delete(randomId());
    equal(await store.create(id, { data: { b: 2 }, expiresAt: later() }), true, "create() of a deleted id");
  });

  if (options.maxBytes !== false) {
    add("update() with maxBytes refuses a patch that would pass the limit (in UTF-8 bytes) and writes nothing", async (store) => {
      const id = randomId();
      const expiresAt = later();
      const record = { data: { a: "x", b: "keep" }, expiresAt };
      await store.create(id, record);
      // 2,000 bytes against a 1,000-byte limit.
      await rejectsTooLarge(
        store.update(id, { set: { big: "y".repeat(2_000) }, unset: ["a"], expiresAt: expiresAt + HOUR, maxBytes: 1_000 }),
        1_000,
        "update() adding 2,000 bytes under maxBytes 1,000",
      );
      equal(await store.load(id), record, "load() after the refused update() (data and expiry must be unchanged)");
      // 600 "é" are 600 UTF-16 units but 1,200 UTF-8 bytes.
      await rejectsTooLarge(
        store.update(id, { set: { accents: "é".repeat(600) }, unset: [], expiresAt, maxBytes: 1_000 }),
        1_000,
        "update() adding 1,200 UTF-8 bytes (600 UTF-16 units) under maxBytes 1,000",
      );
      equal(await store.load(id), record, "load() after the refused update() of accented text");
      equal(await store.update(id, { set: { small: "z".repeat(300) }, unset: ["a"], expiresAt, maxBytes: 1_000 }), true, "update() to about 330 bytes under maxBytes 1,000");
      equal((await store.load(id))?.data, { b: "keep", small: "z".repeat(300) }, "data after an update() under the limit");
    });

    add("update() with maxBytes lets a session over the limit shrink or renew, and refuses growth", async (store) => {
      const id = randomId();
      const expiresAt = later();
      // create() is not size-checked by stores: the library checks new sessions itself.
      await store.create(id, { data: { a: "a".repeat(3_000), b: "b".repeat(3_000), c: "c".repeat(3_000) }, expiresAt });
      equal(await store.update(id, { set: {}, unset: ["c"], expiresAt, maxBytes: 1_000 }), true, "update() shrinking a 9 KB session under maxBytes 1,000");
      equal(await store.update(id, { set: { b: "B" }, unset: [], expiresAt, maxBytes: 1_000 }), true, "update() replacing a 3 KB value with 1 byte under maxBytes 1,000");
      const renewed = expiresAt + HOUR;
      equal(await store.update(id, { set: {}, unset: [], expiresAt: renewed, maxBytes: 1_000 }), true, "update() renewing the expiry of a session over the limit");
      const before = { data: { a: "a".repeat(3_000), b: "B" }, expiresAt: renewed };
      equal(await store.load(id), before, "load() after shrinking");
      await rejectsTooLarge(
        store.update(id, { set: { d: "grow" }, unset: [], expiresAt: renewed + HOUR, maxBytes: 1_000 }),
        1_000,
        "update() growing a session already over maxBytes",
      );
      equal(await store.load(id), before, "load() after the refused growth");
      equal(await store.update(id, { set: { more: "m".repeat(5_000) }, unset: [], expiresAt: renewed }), true, "update() without maxBytes is not limited");
    });

    add("concurrent update() calls with maxBytes never store more than the limit together", async (store) => {
      const id = randomId();
      const expiresAt = later();
      await store.create(id, { data: {}, expiresAt });
      const limit = 2_000;
      const settled = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.update(id, { set: { [`k${i}`]: String(i).repeat(900) }, unset: [], expiresAt, maxBytes: limit })),
      );
      const kept: string[] = [];
      for (const [i, result] of settled.entries()) {
        if (result.status === "fulfilled") {
          equal(result.value, true, `result of concurrent update() ${i}`);
          kept.push(`k${i}`);
        } else {
          isTooLarge(result.reason, limit, `concurrent update() ${i}`);
        }
      }
      const data = (await store.load(id))?.data ?? {};
      equal(Object.keys(data).sort(), kept.sort(), "keys stored after 10 concurrent 900-byte writes (exactly those whose update() succeeded)");
      const size = utf8Bytes(JSON.stringify(data));
      check(size <= limit, `10 concurrent 900-byte writes under maxBytes ${limit} stored ${size} bytes of JSON: the limit must be checked in the same atomic step as the write`);
      check(kept.length >= 1, "every one of 10 concurrent 900-byte writes was refused under maxBytes 2,000, but the first fits");
    });
  }

  if (options.clearExpired !== false) {
    add("clearExpired() deletes only expired rows and resolves the count", async (store) => {
      const clearExpired = method(store, "clearExpired");
      const live = [randomId(), randomId()];
      const dead = [randomId(), randomId(), randomId()];
      for (const id of live) await store.create(id, { data: { live: true }, expiresAt: later() });
      for (const id of dead) await store.create(id, { data: { live: false }, expiresAt: past() });
      equal(await clearExpired(), 3, "clearExpired() with 3 expired rows");
      equal(await clearExpired(), 0, "clearExpired() again");
      for (const id of live) equal((await store.load(id))?.data, { live: true }, "a live row after clearExpired()");
      for (const id of dead) equal(await store.create(id, { data: { again: true }, expiresAt: later() }), true, "create() of a cleared id");
    });

    const batched = options.makeBatchedStore;
    add(
      batched ? "clearExpired() deletes more rows than one batch holds" : "clearExpired() deletes eleven expired rows in one call",
      async (store) => {
        const clearExpired = method(store, "clearExpired");
        const keep = randomId();
        const expiresAt = later();
        await store.create(keep, { data: { keep: true }, expiresAt });
        for (let i = 0; i < 11; i++) await store.create(randomId(), { data: { i }, expiresAt: past() });
        equal(await clearExpired(), 11, batched ? "clearExpired() of 11 expired rows in batches of 4" : "clearExpired() of 11 expired rows");
        equal(await clearExpired(), 0, "clearExpired() again");
        equal(await store.load(keep), { data: { keep: true }, expiresAt }, "the live row after clearExpired()");
      },
      batched ? () => batched(4) : makeStore,
    );
  }

  if (options.deleteWhere !== false) {
    add("deleteWhere() deletes live sessions whose field equals the value, except one", async (store) => {
      const deleteWhere = method(store, "deleteWhere");
      const [mine, other, stranger, expired] = [randomId(), randomId(), randomId(), randomId()];
      await store.create(mine, { data: { user: "alice" }, expiresAt: later() });
      await store.create(other, { data: { user: "alice", x: 1 }, expiresAt: later() });
      await store.create(stranger, { data: { user: "bob" }, expiresAt: later() });
      await store.create(expired, { data: { user: "alice" }, expiresAt: past() });
      equal(await deleteWhere("user", "alice", mine), 1, 'deleteWhere("user", "alice", except mine) (the expired row does not count)');
      check((await store.load(mine)) !== null, "deleteWhere() deleted the session it was told to keep");
      equal(await store.load(other), null, "the other session of alice after deleteWhere()");
      check((await store.load(stranger)) !== null, "deleteWhere() deleted bob's session");
      equal(await deleteWhere("user", "alice"), 1, 'deleteWhere("user", "alice") with no exception');
      equal(await store.load(mine), null, "mine after the second deleteWhere()");
    });

    add("deleteWhere() matches the JSON type as well as the value", async (store) => {
      const deleteWhere = method(store, "deleteWhere");
      const samples: unknown[] = [1, "1", true, false, 0, "true", 1.5, null, [1], { v: 1 }];
      const cases: [string | number | boolean, unknown[]][] = [
        [1, [1]], ["1", ["1"]], [true, [true]], [false, [false]], [0, [0]], ["true", ["true"]], [1.5, [1.5]], ["nope", []],
      ];
      // Each case gets its own field name, so all rows are written at once.
      const rows = cases.flatMap(([value], c) => [
        ...samples.map((sample) => ({ id: randomId(), data: { [`v${c}`]: sample } as Record<string, unknown>, value: sample })),
        { id: randomId(), data: { [`w${c}`]: value } as Record<string, unknown>, value: "other field" as unknown },
        { id: randomId(), data: { nested: { [`v${c}`]: value } } as Record<string, unknown>, value: "nested" as unknown },
      ]);
      await Promise.all(rows.map((row) => store.create(row.id, { data: row.data, expiresAt: later() })));
      for (const [c, [value, expected]] of cases.entries()) {
        const count = await deleteWhere(`v${c}`, value);
        const candidates = rows.filter((row) => Object.hasOwn(row.data, `v${c}`));
        const loaded = await Promise.all(candidates.map((row) => store.load(row.id)));
        const gone = candidates.filter((_, i) => loaded[i] === null).map((row) => row.value);
        equal(gone, expected, `values whose sessions deleteWhere("v${c}", ${JSON.stringify(value)}) deleted`);
        equal(count, expected.length, `count resolved by deleteWhere("v${c}", ${JSON.stringify(value)})`);
      }
      const others = rows.filter((row) => row.value === "other field" || row.value === "nested");
      for (const row of others) check((await store.load(row.id)) !== null, `deleteWhere() deleted ${JSON.stringify(row.data)}, whose top-level field does not match`);
      await store.create(randomId(), { data: { "v.x": 1, v: { x: 2 } }, expiresAt: later() });
      equal(await deleteWhere("v.x", 2), 0, 'deleteWhere("v.x", 2) must not read the path v -> x');
      equal(await deleteWhere("v.x", 1), 1, 'deleteWhere("v.x", 1) on the field named "v.x"');
    });

    add("deleteWhere() finds fields whose names need quoting", async (store) => {
      const deleteWhere = method(store, "deleteWhere");
      const ids = AWKWARD_KEYS.map(() => randomId());
      await Promise.all(AWKWARD_KEYS.map((key, i) => store.create(ids[i]!, { data: { [key]: `value ${i}` }, expiresAt: later() })));
      for (const [i, key] of AWKWARD_KEYS.entries()) {
        equal(await deleteWhere(key, `value ${i}`), 1, `deleteWhere(${JSON.stringify(key)}, "value ${i}")`);
        equal(await store.load(ids[i]!), null, `the session with field ${JSON.stringify(key)} after deleteWhere()`);
      }
    });
  }

  const corrupt = options.corruptRows;
  if (corrupt !== undefined) {
    add("a row whose data is not a JSON object loads as an empty session with one warning and is never overwritten", async (store) => {
      const expiresAt = later();
      for (const raw of corrupt.samples) {
        const id = randomId();
        await corrupt.insert(store, id, raw, expiresAt);
        const first = await countWarnings(() => store.load(id));
        equal(first.result, { data: {}, expiresAt }, `load() of a row whose data is ${JSON.stringify(raw)}`);
        equal(first.warnings, 1, `console.warn calls while loading a row whose data is ${JSON.stringify(raw)}`);
        // A save on top of data the store cannot read must fail, not replace it.
        const saved = await store.update(id, { set: { fresh: raw }, unset: ["x"], expiresAt }).then(
          (value) => ({ value }),
          () => null,
        );
        check(saved === null, `update() of a row whose data is ${JSON.stringify(raw)} resolved ${saved === null ? "" : String(saved.value)} instead of rejecting: a store must never replace data it cannot read`);
        const again = await countWarnings(() => store.load(id));
        equal(again.result, { data: {}, expiresAt }, `load() after the refused update() of a row whose data is ${JSON.stringify(raw)}`);
        equal(again.warnings, 1, `console.warn calls on the second load() of ${JSON.stringify(raw)} (none means its data was replaced)`);
      }
      if (options.deleteWhere !== false) {
        const survivor = randomId();
        await corrupt.insert(store, survivor, corrupt.samples[0]!, expiresAt);
        await store.create(randomId(), { data: { user: "u" }, expiresAt });
        equal(await method(store, "deleteWhere")("user", "u"), 1, "deleteWhere() next to a corrupt row");
        const kept = await countWarnings(() => store.load(survivor));
        equal(kept.result, { data: {}, expiresAt }, "the corrupt row after deleteWhere()");
      }
    });
  }

  return checks;
}

const HOUR = 3_600_000;
const later = () => Date.now() + HOUR;
const past = () => Date.now() - HOUR;

/** Keys that need quoting in a JSON path, a SQL string or a Redis hash field. */
export const AWKWARD_KEYS: readonly string[] = [
  'quote"inside',
  "dot.ted",
  "$",
  "$.root",
  "[0]",
  "br[ack]et",
  "with space",
  "ünïcødé 🍪",
  "back\\slash",
  'both\\"mixed',
  "single'quote",
  "'); drop table sessions; --",
  "new\nline",
  "tab\there",
  "*",
  "",
  "__proto__",
  "constructor",
];

/** Keys that a careless store could confuse with one another. */
const NEIGHBOUR_KEYS: readonly string[] = [
  "a",
  "A",
  "a.b",
  "a[0]",
  "a[\"b\"]",
  "a\\",
  "a\\\\",
  'a"',
  "a'",
  "a ",
  " a",
  "a*",
  "a%",
  "a_",
  "$",
  "$.a",
  "",
  "\u00e9", // é, composed
  "e\u0301", // é, decomposed
  "🍪",
  "a\u0001",
  "a\u001f",
  "\u2028",
  "a/b",
];

/** A random row id of the shape stores get: 64 lowercase hex characters. */
export function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const encoder = new TextEncoder();

function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** The optional method `name` of `store`, bound, or a failure saying how to skip its checks. */
function method<K extends "clearExpired" | "deleteWhere">(store: SessionStore, name: K): NonNullable<SessionStore[K]> {
  const fn = store[name];
  if (typeof fn !== "function") {
    fail(`the store has no ${name}() method: implement it, or pass { ${name}: false } to sessionStoreChecks() to leave its checks out`);
  }
  return fn.bind(store) as NonNullable<SessionStore[K]>;
}

async function countWarnings<T>(fn: () => Promise<T>): Promise<{ result: T; warnings: number }> {
  const original = console.warn;
  let warnings = 0;
  console.warn = () => {
    warnings++;
  };
  try {
    return { result: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

function isTooLarge(error: unknown, limit: number, what: string): void {
  const name = (error as { name?: unknown } | null)?.name;
  check(
    error instanceof RangeError && name === "SessionDataTooLargeError",
    `${what} rejected with ${describe(error)}; expected a SessionDataTooLargeError (a RangeError from "fetch-session")`,
  );
  equal((error as { limit?: unknown }).limit, limit, `${what}: the error's .limit`);
}

async function rejectsTooLarge(promise: Promise<unknown>, limit: number, what: string): Promise<void> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    isTooLarge(error, limit, what);
    return;
  }
  fail(`${what} resolved ${describe(result)}; expected it to reject with a SessionDataTooLargeError and write nothing`);
}

/** A failed check. */
class SessionStoreCheckError extends Error {
  override name = "SessionStoreCheckError";
}

function fail(message: string): never {
  throw new SessionStoreCheckError(message);
}

function check(condition: boolean, message: string): void {
  if (!condition) fail(message);
}

/** Deep equality of JSON-like values (key order ignored); fails with both values printed. */
function equal(actual: unknown, expected: unknown, what: string): void {
  const difference = differ(actual, expected, "");
  if (difference !== null) {
    fail(`${what}: ${difference}\n  expected: ${describe(expected)}\n  received: ${describe(actual)}`);
  }
}

function differ(actual: unknown, expected: unknown, path: string): string | null {
  if (Object.is(actual, expected)) return null;
  const at = path === "" ? "" : ` at ${path}`;
  if (typeof expected !== "object" || expected === null || typeof actual !== "object" || actual === null) {
    return `values differ${at}`;
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return `array and object differ${at}`;
  const expectedKeys = Object.keys(expected);
  const actualKeys = Object.keys(actual);
  for (const key of expectedKeys) {
    if (!Object.hasOwn(actual, key)) return `missing key ${JSON.stringify(key)}${at}`;
  }
  for (const key of actualKeys) {
    if (!Object.hasOwn(expected, key)) return `unexpected key ${JSON.stringify(key)}${at}`;
  }
  for (const key of expectedKeys) {
    const a = Object.getOwnPropertyDescriptor(actual, key)?.value;
    const e = Object.getOwnPropertyDescriptor(expected, key)?.value;
    const inner = differ(a, e, `${path}[${JSON.stringify(key)}]`);
    if (inner !== null) return inner;
  }
  return null;
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  let text: string;
  try {
    text = value === undefined ? "undefined" : JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text;
}
