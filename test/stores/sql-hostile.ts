/**
 * Hostile and careless input against `KyselyStore` on one SQL engine: keys
 * with U+0000, lone surrogates, values nested past SQLite's JSON depth limit,
 * patches touching 10,000 keys, concurrent writes under `maxBytes`, and
 * `deleteWhere` fields and values that could match other sessions.
 *
 * Runner-agnostic (plain asserts, no vitest import), so the same checks run
 * in vitest (libSQL, D1 in workerd, PostgreSQL) and inside Bun (`bun:sqlite`)
 * and Node/Deno (`node:sqlite`) through test/stores/sql-hostile-runner.ts.
 *
 * @module
 */
import type { KyselyStore } from "../../src/stores/kysely-store.ts";
import { execute, quoteIdentifier } from "../../src/stores/schema.ts";
import { checkKey, checkValue, MAX_VALUE_DEPTH } from "../../src/values.ts";

/** A store on a fresh table; `close` drops the table. */
export interface HostileHandle {
  store: KyselyStore;
  close(): Promise<void>;
}

/** One check. */
export interface HostileCheck {
  name: string;
  run: () => Promise<void>;
}

const HOUR = 3_600_000;
const later = () => Date.now() + HOUR;
let counter = 0;
const newId = () => `${(++counter).toString(16)}${Math.random().toString(16).slice(2)}`.padEnd(64, "0").slice(0, 64);

function fail(message: string): never {
  throw new Error(message);
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) fail(`${what}:\n  expected ${e.slice(0, 400)}\n  received ${a.slice(0, 400)}`);
}

/** JSON with sorted keys (PostgreSQL's jsonb reorders keys). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  ) ?? "undefined";
}

async function rejects(promise: Promise<unknown>, what: string, test?: (error: unknown) => boolean): Promise<unknown> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await promise };
  } catch (error) {
    outcome = { error };
  }
  if ("value" in outcome) fail(`${what}: resolved ${String(outcome.value)} instead of rejecting`);
  if (test !== undefined && !test(outcome.error)) fail(`${what}: rejected with an unexpected error: ${String(outcome.error)}`);
  return outcome.error;
}

const isTypeError = (error: unknown) => error instanceof TypeError;

async function rawInsert(store: KyselyStore, id: string, data: string, expiresAt = later()): Promise<void> {
  const t = quoteIdentifier(store.table);
  const pg = store.dialect === "postgres";
  const columns = "(id, data, expires_at)";
  await execute(store.db, pg ? `insert into ${t} ${columns} values ($1, $2::jsonb, $3)` : `insert into ${t} ${columns} values (?, ?, ?)`, [id, data, expiresAt]);
}

async function rawData(store: KyselyStore, id: string): Promise<string | undefined> {
  const t = quoteIdentifier(store.table);
  const pg = store.dialect === "postgres";
  const result = await execute<{ data: string }>(
    store.db,
    pg ? `select data::text as data from ${t} where id = $1` : `select data from ${t} where id = ?`,
    [id],
  );
  return result.rows[0]?.data;
}

async function dataOf(store: KyselyStore, id: string): Promise<Record<string, unknown> | undefined> {
  return (await store.load(id))?.data;
}

/** `n` keys `k0..k(n-1)` with value `value(i)`. */
function manyKeys(n: number, value: (i: number) => unknown): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) data[`k${i}`] = value(i);
  return data;
}

/**
 * The checks for one engine.
 *
 * @param open opens a store on a fresh, empty table
 * @returns the checks; each opens and closes its own table
 */
export function hostileInputChecks(open: () => Promise<HostileHandle>): HostileCheck[] {
  const checks: HostileCheck[] = [];
  const add = (name: string, body: (store: KyselyStore) => Promise<void>) =>
    checks.push({
      name,
      run: async () => {
        const handle = await open();
        try {
          await body(handle.store);
        } finally {
          await handle.close();
        }
      },
    });

  add("a key with U+0000 is refused with a TypeError naming it and never touches another key (set, unset, create)", async (store) => {
    const id = newId();
    const expiresAt = later();
    await store.create(id, { data: { role: "user", a: 1, "": "empty" }, expiresAt });
    const error = await rejects(
      store.update(id, { set: { "role\u0000x": "admin" }, unset: [], expiresAt }),
      "update() setting role\\u0000x",
      isTypeError,
    );
    if (!String((error as Error).message).includes("role\\u0000x")) fail(`the TypeError does not name the key: ${(error as Error).message}`);
    await rejects(store.update(id, { set: {}, unset: ["a\u0000zzz"], expiresAt }), "update() unsetting a\\u0000zzz", isTypeError);
    await rejects(store.update(id, { set: { ok: 1, "\u0000": 2 }, unset: [], expiresAt }), "update() setting \\u0000 next to a fine key", isTypeError);
    await rejects(store.update(id, { set: { nested: { "x\u0000": 1 } }, unset: [], expiresAt }), "update() with U+0000 in a nested key", isTypeError);
    same(await dataOf(store, id), { role: "user", a: 1, "": "empty" }, "data after the refused writes");
    await rejects(store.create(newId(), { data: { "uid\u0000": 1 }, expiresAt }), "create() with a U+0000 key", isTypeError);
    // A row another program wrote with U+0000 in a key: SQLite would confuse that key with its prefix, so the
    // store refuses to patch the row at all (the save fails, nothing changes).
    if (store.dialect === "sqlite") {
      const planted = newId();
      const raw = JSON.stringify({ "\u0000x": "nul", "": "e", role: "user", "role\u0000x": "other", t: "\\u0000 is text" });
      await rawInsert(store, planted, raw, expiresAt);
      await rejects(store.update(planted, { set: { "": "changed", role: "admin" }, unset: [], expiresAt }), "update() of a row holding U+0000 keys");
      await rejects(store.update(planted, { set: {}, unset: ["role"], expiresAt, maxBytes: 65_536 }), "unset on a row holding U+0000 keys");
      same(await rawData(store, planted), raw, "the row holding U+0000 keys after the refused updates");
      // The text \u0000 in a value (an escaped backslash) is not U+0000: such a row is patched as usual.
      const text = newId();
      await store.create(text, { data: { t: "\\u0000 is text", role: "user" }, expiresAt });
      same(await store.update(text, { set: { role: "admin" }, unset: [], expiresAt }), true, "update() of a row whose text holds \\u0000");
      same(await dataOf(store, text), { t: "\\u0000 is text", role: "admin" }, "that row after update()");
    }
  });

  add("a lone surrogate in a key or string value is refused with a TypeError; valid astral, U+FFFD, U+2028 and control text round-trips", async (store) => {
    const id = newId();
    const expiresAt = later();
    await store.create(id, { data: { uid: "a\ufffd" }, expiresAt });
    for (const set of [{ "a\udc00": 1 }, { v: "x\ud800" }, { v: ["\udfff"] }, { v: { w: "\ud83c" } }]) {
      await rejects(store.update(id, { set, unset: [], expiresAt }), `update() setting ${JSON.stringify(set)}`, isTypeError);
    }
    await rejects(store.create(newId(), { data: { s: "🍪".slice(0, 1) }, expiresAt }), "create() with half an emoji", isTypeError);
    const text = { emoji: "🍪👩‍👩‍👧", fffd: "\ufffd", ls: "\u2028\u2029", ctl: "\u0001\u001f\t\n", esc: "\\u0000 is not NUL", q: `'"\\` };
    same(await store.update(id, { set: text, unset: [], expiresAt }), true, "update() with valid text");
    same(await dataOf(store, id), { uid: "a\ufffd", ...text }, "valid text after update()");
  });

  add("every key and value the session API accepts saves and round-trips (text at the edges, nesting at the core's depth limit)", async (store) => {
    const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : depth % 2 ? [nest(depth - 1, leaf)] : { d: nest(depth - 1, leaf) });
    const data: Record<string, unknown> = {
      "🍪 é\u0001\u001f\u2028\ufffd\uffff\\\"'.$[0]*": "\u0001\u007f\u0080\u00ff\u2028\u2029\ufeff\ufffd\uffff\ud83c\udf6a\udbff\udfff",
      deep: nest(MAX_VALUE_DEPTH, "leaf"),
      deepObject: nest(MAX_VALUE_DEPTH - 2, { "k\u0001": ["\ud800\udc00"] }),
      numbers: [0, -0, 1e-7, 1e21, 5e-324, 1.7976931348623157e308, -9007199254740991],
      empty: ["", {}, []],
    };
    // What the session API itself accepts (it refuses the rest at set()).
    for (const [key, value] of Object.entries(data)) {
      checkKey(key, "set");
      checkValue(key, value);
    }
    const id = newId();
    const expiresAt = later();
    same(await store.create(id, { data, expiresAt }), true, "create() with every accepted kind of key and value");
    same(await dataOf(store, id), JSON.parse(JSON.stringify(data)), "load() after create()");
    const again = Object.fromEntries(Object.entries(data).map(([key, value]) => [`${key}2`, value]));
    same(await store.update(id, { set: again, unset: ["numbers"], expiresAt, maxBytes: 65_536 }), true, "update() with every accepted kind of key and value");
    const { numbers: _numbers, ...rest } = data;
    same(await dataOf(store, id), JSON.parse(JSON.stringify({ ...rest, ...again })), "load() after update()");
  });

  add("deleteWhere() refuses a field with U+0000 or a lone surrogate, and a value with one, and deletes nothing", async (store) => {
    const expiresAt = later();
    const victims = [newId(), newId(), newId()];
    await store.create(victims[0]!, { data: { uid: 9 }, expiresAt });
    await store.create(victims[1]!, { data: { uid: "a\ufffd" }, expiresAt });
    await store.create(victims[2]!, { data: { uid: "a" }, expiresAt });
    await rejects(store.deleteWhere("uid\u0000x", 9), 'deleteWhere("uid\\u0000x", 9)', isTypeError);
    await rejects(store.deleteWhere("uid\ud800", 9), 'deleteWhere("uid\\ud800", 9)', isTypeError);
    await rejects(store.deleteWhere("uid", "a\udc00"), 'deleteWhere("uid", "a\\udc00")', isTypeError);
    await rejects(store.deleteWhere("uid", "a\u0000"), 'deleteWhere("uid", "a\\u0000")', isTypeError);
    for (const id of victims) if ((await store.load(id)) === null) fail(`a refused deleteWhere() deleted the session ${id}`);
    same(await store.deleteWhere("uid", "a\ufffd"), 1, 'deleteWhere("uid", "a\\ufffd")');
  });

  add("a value nested 1,500 deep written into a row is never replaced: an unrelated update fails or keeps every key", async (store) => {
    const id = newId();
    const expiresAt = later();
    const deep = "[".repeat(1_500) + "1" + "]".repeat(1_500);
    const raw = `{"user_id":42,"cart":[1,2,3],"deep":${deep}}`;
    await rawInsert(store, id, raw, expiresAt);
    const before = await rawData(store, id);
    let updated: boolean | undefined;
    try {
      updated = await store.update(id, { set: { visits: 1 }, unset: [], expiresAt, maxBytes: 65_536 });
    } catch {
      updated = undefined;
    }
    if (store.dialect === "sqlite") {
      same(updated, undefined, "update() of a row SQLite's JSON functions cannot read (it must fail)");
      same(await rawData(store, id), before, "the row's data after the failed update()");
      await rejects(store.update(id, { set: {}, unset: ["cart"], expiresAt }), "update() unsetting a key of that row");
      same(await rawData(store, id), before, "the row's data after the failed unset");
      // A logout still works on such a row.
      const doomed = newId();
      await rawInsert(store, doomed, raw, expiresAt);
      await store.delete(doomed);
      same(await rawData(store, doomed), undefined, "a row nested too deep after delete()");
      // A new session holding such a value is refused at create(), so no row becomes unwritable.
      await rejects(store.create(newId(), { data: { deep: JSON.parse(deep) }, expiresAt }), "create() with a value 1,500 deep");
    } else {
      const data = await dataOf(store, id);
      if (updated === true) same([data?.user_id, data?.cart, data?.visits], [42, [1, 2, 3], 1], "the row after update()");
      else same(await rawData(store, id), before, "the row's data after the failed update()");
    }
  });

  add("a row whose data is not an object is never replaced by an update", async (store) => {
    const id = newId();
    await rawInsert(store, id, "[1,2,3]");
    await rejects(store.update(id, { set: { a: 1 }, unset: [], expiresAt: later() }), "update() of an array row");
    await rejects(store.update(id, { set: { a: 1 }, unset: [], expiresAt: later(), maxBytes: 1_000 }), "update() with maxBytes of an array row");
    same(JSON.parse((await rawData(store, id))!), [1, 2, 3], "the array row after the refused updates");
  });

  add("patches touching 10,000 keys work: set them, set them all again (modified = true), clear them", async (store) => {
    const id = newId();
    const expiresAt = later();
    await store.create(id, { data: { keep: "me" }, expiresAt });
    const first = manyKeys(10_000, (i) => i);
    same(await store.update(id, { set: first, unset: [], expiresAt }), true, "update() setting 10,000 keys");
    same(await dataOf(store, id), { keep: "me", ...first }, "data after setting 10,000 keys");
    const again = manyKeys(10_000, (i) => ({ n: i, s: "v" }));
    same(await store.update(id, { set: { keep: "me", ...again }, unset: [], expiresAt, maxBytes: 1_000_000 }), true, "update() setting all 10,001 keys again under maxBytes");
    same(await dataOf(store, id), { keep: "me", ...again }, "data after setting all keys again");
    same(await store.update(id, { set: {}, unset: ["keep", ...Object.keys(again)], expiresAt }), true, "update() unsetting 10,001 keys (clear)");
    same(await dataOf(store, id), {}, "data after clear");
    // A session created with 3,000 keys (D1's old SQLITE_TOOBIG point) is cleared and rebuilt in two patches.
    const other = newId();
    await store.create(other, { data: manyKeys(3_000, (i) => `v${i}`), expiresAt });
    same(await store.update(other, { set: { only: true }, unset: Object.keys(manyKeys(3_000, () => 0)), expiresAt, maxBytes: 65_536 }), true, "update() clearing 3,000 keys and setting one");
    same(await dataOf(store, other), { only: true }, "data after that update()");
  });

  add("an update replaces a value whole (no merge into the old object), keeps nulls, and leaves other values' text exact", async (store) => {
    const id = newId();
    const expiresAt = later();
    const untouched = { f: 0.30000000000000004, big: 1e300, small: 5e-324, neg: -12.5, int: 9007199254740991, t: true, nul: null, s: "é\\\"" };
    await store.create(id, { data: { o: { a: 1, b: { c: 2 } }, arr: [1, 2], ...untouched }, expiresAt });
    for (const maxBytes of [undefined, 65_536]) {
      const set = { o: { a: null, d: { e: null } }, arr: [null, { x: null }], n: null, ["__proto__"]: { p: 1 } };
      const patch = { set: JSON.parse(JSON.stringify(set)) as Record<string, unknown>, unset: [], expiresAt, ...(maxBytes === undefined ? {} : { maxBytes }) };
      same(await store.update(id, patch), true, `update() with nulls (maxBytes ${String(maxBytes)})`);
      same(await dataOf(store, id), { ...untouched, ...JSON.parse(JSON.stringify(set)) }, `data after update() with nulls (maxBytes ${String(maxBytes)})`);
      same(await store.update(id, { set: { o: { z: 1 } }, unset: [], expiresAt, ...(maxBytes === undefined ? {} : { maxBytes }) }), true, "update() replacing an object");
      same((await dataOf(store, id))?.o, { z: 1 }, "the replaced object");
    }
    if (store.dialect === "sqlite") {
      // Members a save does not name keep their stored text: escapes and number spellings byte for byte, whitespace dropped.
      const planted = newId();
      const members = ['"f":0.30000000000000004', '"big":1E+300', '"e":"\\u00e9\\n"', '"n":-0.0', '"o":{"a" : [1,2]}'];
      await rawInsert(store, planted, `{${members.join(",")},"x":1}`, expiresAt);
      same(await store.update(planted, { set: { x: 2, y: { z: null } }, unset: [], expiresAt, maxBytes: 65_536 }), true, "update() of a planted row");
      const text = (await rawData(store, planted))!;
      for (const member of members.slice(0, 4)) if (!text.includes(member)) fail(`the untouched member ${member} changed: ${text}`);
      if (!text.includes('"o":{"a":[1,2]}')) fail(`the untouched object changed more than its whitespace: ${text}`);
    }
    const loaded = (await dataOf(store, id))!;
    for (const [key, value] of Object.entries(untouched)) same(Object.is(loaded[key], value) || (value === null && loaded[key] === null), true, `untouched ${key} is exactly ${String(value)}`);
  });

  add("ten concurrent writes against a 2,000-byte limit never store more than the limit, also for values with nulls", async (store) => {
    for (const withNull of [false, true]) {
      const id = newId();
      const expiresAt = later();
      await store.create(id, { data: {}, expiresAt });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.update(id, { set: { [`k${i}`]: withNull ? { v: "x".repeat(890), n: null } : "x".repeat(900) }, unset: [], expiresAt, maxBytes: 2_000 }),
        ),
      );
      const kept = results.flatMap((result, i) => (result.status === "fulfilled" ? [`k${i}`] : []));
      for (const result of results) {
        if (result.status === "rejected" && (result.reason as Error).name !== "SessionDataTooLargeError") fail(`a refused write threw ${String(result.reason)}`);
      }
      const raw = (await rawData(store, id))!;
      const size = new TextEncoder().encode(raw).length;
      if (size > 2_000) fail(`10 concurrent 900-byte writes stored ${size} bytes under maxBytes 2,000`);
      same(Object.keys(JSON.parse(raw)).sort(), kept.sort(), "stored keys are exactly the accepted writes");
      if (kept.length !== 2) fail(`expected exactly 2 of 10 concurrent 900-byte writes to fit in 2,000 bytes; ${kept.length} did`);
    }
  });

  add("a refused size reports the limit and the size, writes nothing, and a gone row still reports false", async (store) => {
    const id = newId();
    const expiresAt = later();
    await store.create(id, { data: { a: 1 }, expiresAt });
    const error = (await rejects(store.update(id, { set: { b: "y".repeat(500) }, unset: [], expiresAt: expiresAt + HOUR, maxBytes: 100 }), "update() over maxBytes")) as {
      name: string;
      limit: number;
      size?: number;
    };
    same([error.name, error.limit], ["SessionDataTooLargeError", 100], "the refusal");
    if (!(typeof error.size === "number" && error.size > 500)) fail(`the refusal's size is ${String(error.size)}, expected the would-be size (> 500)`);
    same(await store.load(id), { data: { a: 1 }, expiresAt }, "the row after the refusal (data and expiry unchanged)");
    await store.delete(id);
    same(await store.update(id, { set: { b: "y".repeat(500) }, unset: [], expiresAt, maxBytes: 100 }), false, "update() over maxBytes of a deleted row");
  });

  add("a refused update (unreadable row, size limit, hostile key) fails only its own request among concurrent writes", async (store) => {
    const expiresAt = later();
    const good = Array.from({ length: 20 }, () => newId());
    for (const id of good) await store.create(id, { data: { n: 0 }, expiresAt });
    const [array, big] = [newId(), newId()];
    await rawInsert(store, array, "[1,2]", expiresAt);
    await store.create(big, { data: { a: 1 }, expiresAt });
    const results = await Promise.allSettled([
      ...good.map((id, i) => store.update(id, { set: { n: i + 1 }, unset: [], expiresAt, maxBytes: 1_000 })),
      store.update(array, { set: { x: 1 }, unset: [], expiresAt }),
      store.update(big, { set: { b: "y".repeat(2_000) }, unset: [], expiresAt, maxBytes: 1_000 }),
      store.update(good[0]!, { set: { "bad\u0000": 1 }, unset: [], expiresAt }),
    ]);
    same(results.slice(0, 20).map((r) => (r.status === "fulfilled" ? r.value : String(r.reason))), good.map(() => true), "the 20 good concurrent updates");
    const [onArray, onBig, onHostile] = results.slice(20);
    if (onArray?.status !== "rejected" || !/JSON object/.test(String(onArray.reason))) fail(`the update of an array row: ${String(onArray?.status === "rejected" ? onArray.reason : "resolved")}`);
    if (onBig?.status !== "rejected" || (onBig.reason as Error).name !== "SessionDataTooLargeError") fail("the update over maxBytes was not refused with SessionDataTooLargeError");
    if (onHostile?.status !== "rejected" || !(onHostile.reason instanceof TypeError)) fail("the update with a U+0000 key was not refused with a TypeError");
    for (const [i, id] of good.entries()) same(await dataOf(store, id), { n: i + 1 }, `good session ${i} after the concurrent writes`);
    same(JSON.parse((await rawData(store, array))!), [1, 2], "the array row after the concurrent writes");
    same(await dataOf(store, big), { a: 1 }, "the refused session after the concurrent writes");
  });

  return checks;
}
