/**
 * One set of store-level tests, run against every `SessionStore`
 * (Kysely's dialect matrix, in miniature). A test file calls
 * `storeConformance(name, open)` with a function that opens a fresh, empty
 * store (a new table on a shared database is fine).
 *
 * @module
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionRecord, SessionStore } from "../src/store.ts";

/** A store under test, with what the suite needs besides the store itself. */
export interface StoreHarness {
  store: SessionStore & Required<Pick<SessionStore, "clearExpired" | "deleteWhere">>;
  /** Writes a row as raw text, bypassing the store (SQL stores: to plant corrupt data). */
  insertRaw?(id: string, data: string, expiresAt: number): Promise<void>;
  /** Every row's id and stored data as text, expired rows included (SQL stores). */
  rows?(): Promise<{ id: string; data: string; expiresAt: number }[]>;
  /** Closes what `open` opened. */
  close(): Promise<void>;
}

/** Options a store may honour. */
export interface OpenOptions {
  /** Rows per `clearExpired` statement. */
  batchSize?: number;
}

/** What a store can be tested for beyond the common contract. */
export interface StoreFeatures {
  /**
   * Raw `data` texts the database can hold that are not a JSON object (with
   * `insertRaw`): the corrupt-row test runs with them.
   */
  corrupt?: string[];
}

/** Opens a fresh, empty store. */
export type OpenStore = (options?: OpenOptions) => Promise<StoreHarness>;

/** A random row id of the shape stores get: 64 lowercase hex characters. */
export function randomId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const HOUR = 3_600_000;

/** Keys that need quoting in a JSON path or in SQL. */
export const AWKWARD_KEYS = [
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

/**
 * Registers the conformance tests for one store.
 *
 * @param name the store, as test names show it ("KyselyStore on libSQL file:")
 * @param open opens a fresh, empty store
 * @param features what else to test
 */
export function storeConformance(name: string, open: OpenStore, features: StoreFeatures = {}): void {
  describe(`${name} conformance`, () => {
    let h: StoreHarness;
    let store: StoreHarness["store"];
    const later = () => Date.now() + HOUR;
    const past = () => Date.now() - HOUR;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await h.close();
    });

    it(`${name}: load() resolves null for an unknown id`, async () => {
      expect(await store.load(randomId())).toBeNull();
    });

    it(`${name}: create() then load() round-trips JSON data and the expiry`, async () => {
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
      expect(await store.create(id, record)).toBe(true);
      expect(await store.load(id)).toEqual(record);
    });

    it(`${name}: create() resolves false for a live id and keeps the existing data`, async () => {
      const id = randomId();
      const expiresAt = later();
      expect(await store.create(id, { data: { owner: "first" }, expiresAt })).toBe(true);
      expect(await store.create(id, { data: { owner: "second" }, expiresAt: expiresAt + 5 })).toBe(false);
      expect(await store.load(id)).toEqual({ data: { owner: "first" }, expiresAt });
    });

    it(`${name}: create() takes over an expired row with the same id`, async () => {
      const id = randomId();
      expect(await store.create(id, { data: { old: 1 }, expiresAt: past() })).toBe(true);
      const expiresAt = later();
      expect(await store.create(id, { data: { fresh: 2 }, expiresAt })).toBe(true);
      expect(await store.load(id)).toEqual({ data: { fresh: 2 }, expiresAt });
    });

    it(`${name}: load() never returns an expired row`, async () => {
      const id = randomId();
      expect(await store.create(id, { data: { x: 1 }, expiresAt: Date.now() - 1 })).toBe(true);
      expect(await store.load(id)).toBeNull();
    });

    it(`${name}: update() replaces set keys, removes unset keys, keeps the others and sets the expiry`, async () => {
      const id = randomId();
      await store.create(id, { data: { keep: "k", change: 1, drop: true, nested: { a: 1, b: 2 } }, expiresAt: later() });
      const expiresAt = later() + HOUR;
      const ok = await store.update(id, {
        set: { change: 2, added: ["x"], nested: { c: 3 } },
        unset: ["drop", "never-there"],
        expiresAt,
      });
      expect(ok).toBe(true);
      expect(await store.load(id)).toEqual({
        data: { keep: "k", change: 2, added: ["x"], nested: { c: 3 } },
        expiresAt,
      });
    });

    it(`${name}: update() with nothing to change renews the expiry`, async () => {
      const id = randomId();
      await store.create(id, { data: { a: 1 }, expiresAt: later() });
      const expiresAt = later() + 2 * HOUR;
      expect(await store.update(id, { set: {}, unset: [], expiresAt })).toBe(true);
      expect(await store.load(id)).toEqual({ data: { a: 1 }, expiresAt });
    });

    it(`${name}: update() stores null, false, 0 and "" as values, not as removals`, async () => {
      const id = randomId();
      await store.create(id, { data: { a: 1, b: 1, c: 1, d: 1 }, expiresAt: later() });
      const expiresAt = later();
      await store.update(id, { set: { a: null, b: false, c: 0, d: "" }, unset: [], expiresAt });
      expect((await store.load(id))?.data).toEqual({ a: null, b: false, c: 0, d: "" });
    });

    it(`${name}: update() reports false when the row is gone and does not re-create it`, async () => {
      const id = randomId();
      await store.create(id, { data: { a: 1 }, expiresAt: later() });
      await store.delete(id);
      expect(await store.update(id, { set: { a: 2 }, unset: [], expiresAt: later() })).toBe(false);
      expect(await store.load(id)).toBeNull();
      expect(await store.update(randomId(), { set: {}, unset: [], expiresAt: later() })).toBe(false);
    });

    it(`${name}: update() reports false when the row has expired and does not revive it`, async () => {
      const id = randomId();
      await store.create(id, { data: { a: 1 }, expiresAt: past() });
      expect(await store.update(id, { set: { a: 2 }, unset: [], expiresAt: later() })).toBe(false);
      expect(await store.update(id, { set: {}, unset: [], expiresAt: later() })).toBe(false);
      expect(await store.load(id)).toBeNull();
    });

    it(`${name}: update() handles keys with quotes, dots, $, brackets, spaces, unicode and SQL`, async () => {
      const id = randomId();
      await store.create(id, { data: { plain: 0 }, expiresAt: later() });
      const set = Object.fromEntries(AWKWARD_KEYS.map((key, i) => [key, { i, key }]));
      const expiresAt = later();
      expect(await store.update(id, { set, unset: [], expiresAt })).toBe(true);
      const loaded = await store.load(id);
      expect(Object.keys(loaded!.data).sort()).toEqual(["plain", ...AWKWARD_KEYS].sort());
      for (const [i, key] of AWKWARD_KEYS.entries()) expect(Object.getOwnPropertyDescriptor(loaded!.data, key)?.value).toEqual({ i, key });
      // Replace each once more (same path must find the same key, not add a twin), then remove them all.
      const again = Object.fromEntries(AWKWARD_KEYS.map((key) => [key, "again"]));
      expect(await store.update(id, { set: again, unset: [], expiresAt })).toBe(true);
      const replaced = await store.load(id);
      expect(Object.keys(replaced!.data)).toHaveLength(AWKWARD_KEYS.length + 1);
      expect(await store.update(id, { set: {}, unset: AWKWARD_KEYS, expiresAt })).toBe(true);
      expect((await store.load(id))?.data).toEqual({ plain: 0 });
    });

    it(`${name}: update() changes 150 keys in one patch`, async () => {
      const id = randomId();
      await store.create(id, { data: {}, expiresAt: later() });
      const set = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
      expect(await store.update(id, { set, unset: [], expiresAt: later() })).toBe(true);
      expect((await store.load(id))?.data).toEqual(set);
      const unset = Object.keys(set).slice(0, 120);
      expect(await store.update(id, { set: { extra: "x" }, unset, expiresAt: later() })).toBe(true);
      const data = (await store.load(id))?.data;
      expect(Object.keys(data!)).toHaveLength(31);
      expect(data).toMatchObject({ k149: 149, extra: "x" });
    });

    it(`${name}: concurrent update() calls on different keys of one row all keep their change`, async () => {
      const id = randomId();
      await store.create(id, { data: { base: true }, expiresAt: later() });
      const expiresAt = later();
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => store.update(id, { set: { [`key${i}`]: i }, unset: [], expiresAt })),
      );
      expect(results.every(Boolean)).toBe(true);
      const data = (await store.load(id))?.data;
      expect(data).toEqual({ base: true, ...Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`key${i}`, i])) });
    });

    it(`${name}: delete() removes the row and ignores a missing one`, async () => {
      const id = randomId();
      await store.create(id, { data: { a: 1 }, expiresAt: later() });
      await store.delete(id);
      expect(await store.load(id)).toBeNull();
      await expect(store.delete(randomId())).resolves.toBeUndefined();
      expect(await store.create(id, { data: { b: 2 }, expiresAt: later() })).toBe(true);
    });

    it(`${name}: clearExpired() deletes only expired rows and resolves the count`, async () => {
      const live = [randomId(), randomId()];
      const dead = [randomId(), randomId(), randomId()];
      for (const id of live) await store.create(id, { data: { live: true }, expiresAt: later() });
      for (const id of dead) await store.create(id, { data: { live: false }, expiresAt: past() });
      expect(await store.clearExpired()).toBe(3);
      expect(await store.clearExpired()).toBe(0);
      for (const id of live) expect(await store.load(id)).not.toBeNull();
      if (h.rows) expect((await h.rows()).map((row) => row.id).sort()).toEqual([...live].sort());
    });

    it(`${name}: clearExpired() deletes more rows than one batch holds`, async () => {
      await h.close();
      h = await open({ batchSize: 4 });
      store = h.store;
      const keep = randomId();
      await store.create(keep, { data: {}, expiresAt: later() });
      for (let i = 0; i < 11; i++) await store.create(randomId(), { data: { i }, expiresAt: past() });
      expect(await store.clearExpired()).toBe(11);
      expect(await store.load(keep)).not.toBeNull();
    });

    it(`${name}: deleteWhere() deletes live sessions whose field equals the value, except one`, async () => {
      const mine = randomId();
      const other = randomId();
      const stranger = randomId();
      const expired = randomId();
      await store.create(mine, { data: { user: "alice" }, expiresAt: later() });
      await store.create(other, { data: { user: "alice", x: 1 }, expiresAt: later() });
      await store.create(stranger, { data: { user: "bob" }, expiresAt: later() });
      await store.create(expired, { data: { user: "alice" }, expiresAt: past() });
      expect(await store.deleteWhere("user", "alice", mine)).toBe(1);
      expect(await store.load(mine)).not.toBeNull();
      expect(await store.load(other)).toBeNull();
      expect(await store.load(stranger)).not.toBeNull();
      expect(await store.deleteWhere("user", "alice")).toBe(1);
      expect(await store.load(mine)).toBeNull();
    });

    it(`${name}: deleteWhere() matches the JSON type as well as the value`, async () => {
      const samples: unknown[] = [1, "1", true, false, 0, "true", 1.5, null, [1], { v: 1 }];
      const cases: [string | number | boolean, unknown[]][] = [
        [1, [1]], ["1", ["1"]], [true, [true]], [false, [false]], [0, [0]], ["true", ["true"]], [1.5, [1.5]], ["nope", []],
      ];
      // Each case gets its own field name, so all rows are written at once.
      const rows = cases.flatMap((_, c) => [
        ...samples.map((value) => ({ id: randomId(), data: { [`v${c}`]: value } as Record<string, unknown>, value })),
        { id: randomId(), data: { [`w${c}`]: cases[c]![0] }, value: "other field" },
        { id: randomId(), data: { nested: { [`v${c}`]: cases[c]![0] } }, value: "nested" },
      ]);
      await Promise.all(rows.map((row) => store.create(row.id, { data: row.data, expiresAt: later() })));
      // One query where the harness can list rows (remote engines are slow per query), else one load per row.
      const goneOf = async (subset: typeof rows) => {
        if (h.rows) {
          const left = new Set((await h.rows()).map((row) => row.id));
          return subset.filter((row) => !left.has(row.id)).map((row) => row.value);
        }
        const loaded = await Promise.all(subset.map((row) => store.load(row.id)));
        return subset.filter((_, i) => loaded[i] === null).map((row) => row.value);
      };
      for (const [c, [value, expected]] of cases.entries()) {
        const count = await store.deleteWhere(`v${c}`, value);
        const mine = rows.filter((row) => Object.hasOwn(row.data, `v${c}`));
        const gone = await goneOf(mine);
        expect(gone, JSON.stringify(value)).toEqual(expected);
        expect(count).toBe(expected.length);
      }
      const others = rows.filter((row) => typeof row.value === "string" && ["other field", "nested"].includes(row.value));
      for (const row of others) expect(await store.load(row.id)).not.toBeNull();
      await store.create(randomId(), { data: { "v.x": 1, v: { x: 2 } }, expiresAt: later() });
      expect(await store.deleteWhere("v.x", 2)).toBe(0);
      expect(await store.deleteWhere("v.x", 1)).toBe(1);
    });

    it(`${name}: deleteWhere() finds fields whose names need quoting`, async () => {
      const ids = AWKWARD_KEYS.map(() => randomId());
      await Promise.all(AWKWARD_KEYS.map((key, i) => store.create(ids[i]!, { data: { [key]: `value ${i}` }, expiresAt: later() })));
      for (const [i, key] of AWKWARD_KEYS.entries()) {
        expect(await store.deleteWhere(key, `value ${i}`), key).toBe(1);
        expect(await store.load(ids[i]!)).toBeNull();
      }
    });

    if (features.corrupt) {
      const samples = features.corrupt;
      it(`${name}: a row whose data is not a JSON object loads as an empty session with one warning`, async () => {
        const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
        const expiresAt = later();
        for (const raw of samples) {
          const id = randomId();
          await h.insertRaw!(id, raw, expiresAt);
          warn.mockClear();
          expect(await store.load(id), raw).toEqual({ data: {}, expiresAt });
          expect(warn, raw).toHaveBeenCalledTimes(1);
          // A save on top of it starts from an empty object instead of failing.
          expect(await store.update(id, { set: { fresh: raw }, unset: ["x"], expiresAt })).toBe(true);
          expect(await store.load(id)).toEqual({ data: { fresh: raw }, expiresAt });
        }
        const survivor = randomId();
        await h.insertRaw!(survivor, samples[0]!, expiresAt);
        await store.create(randomId(), { data: { user: "u" }, expiresAt });
        expect(await store.deleteWhere("user", "u")).toBe(1);
        expect(await store.load(survivor)).toEqual({ data: {}, expiresAt });
        });
    }
  });
}
