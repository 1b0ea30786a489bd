/**
 * A model-based property test of sessions: random sequences of session
 * operations through the public API (`withSession` + `getSession`, requests
 * carried by a cookie jar), compared after every call with a plain in-memory
 * model that also knows which inputs the library refuses.
 *
 * Runtime-agnostic (Node under vitest, the real Bun in
 * test/fixtures/model-bun.ts): only Web APIs, the library and test/helpers/http.ts.
 *
 * The rules the model holds the library to (SECURITY.md states them):
 * - a key is a string, not starting with `_` (RangeError), without U+0000 or a
 *   lone UTF-16 surrogate (TypeError);
 * - a value survives JSON: no undefined, function, symbol, bigint, NaN,
 *   Infinity, cycle, class instance (TypeError); strings and object keys
 *   without U+0000 or lone surrogates (TypeError); nested at most 256 levels
 *   (`[]` is 1; RangeError);
 * - a refused call throws and changes nothing (not even `modified`);
 * - `setExpiry` takes null, a finite number of seconds within ±400 days, or a
 *   valid Date at most 400 days ahead;
 * - a save that would pass the size limit fails the request and writes nothing;
 * - concurrent requests that change different keys of one session all keep
 *   their change.
 *
 * @module
 */
import { getSession, openSession, type Session, withSession } from "../../mod.ts";
import type { AnySessionStore } from "../../src/store.ts";
import { parseJson } from "../../src/util/json.ts";
import { CookieJar } from "../helpers/http.ts";

/** 400 days, in seconds: the longest lifetime the library accepts. */
const MAX_LIFETIME = 34_560_000;
/** The deepest a value may nest (`[]` is 1). */
const MAX_DEPTH = 256;
/** `cookie.maxAge` the model's app uses (the library default). */
const MAX_AGE = 1_209_600;

/** How a run went. */
export interface ModelResult {
  store: string;
  seed: number;
  /** Session calls made (each `set`, `get`, `flush`... is one). */
  ops: number;
  requests: number;
  /** Calls the model expected to be refused, and were. */
  refused: number;
  /** Requests whose save was refused for size, as the model expected. */
  tooLarge: number;
  concurrentGroups: number;
  cycles: number;
  flushes: number;
  expiries: number;
  /** Sequences run on a session from `openSession()` and saved with `save()`, outside a request. */
  opened: number;
  /** The first difference between the library and the model, with the seed and the call; absent when none. */
  mismatch?: string;
  ms: number;
}

/** What a run needs. */
export interface ModelOptions {
  /** A label for messages ("MemoryStore"). */
  label: string;
  store: AnySessionStore;
  seed: number;
  /** Stop after this many session calls. */
  ops: number;
  /** Concurrent requests on one session (not for cookie stores: the last cookie wins there by design). */
  concurrent: boolean;
  /** Largest data (JSON bytes) ordinary requests keep; a "big" call goes far past what the store accepts. */
  budget: number;
  /** Length of the string a "big" call stores (must be refused). */
  bigLength: number;
  /** Checks that an old key no longer opens the session after cycleKey() and flush() (server-side stores). */
  checkOldKeys: boolean;
}

/** The settings for a store that keeps sessions on the server: concurrent requests, a 16 KB budget, old keys checked. */
export const SERVER_STORE = { concurrent: true, budget: 16_000, bigLength: 70_000, checkOldKeys: true } as const;

/**
 * The settings for a cookie store: a cookie holds the whole session, so
 * concurrent requests race by design (the last response's cookie wins, as
 * with Django's signed_cookies) and an old cookie stays valid until it
 * expires; neither is modelled. A 1.2 KB budget.
 */
export const COOKIE_STORE = { concurrent: false, budget: 1_200, bigLength: 6_000, checkOldKeys: false } as const;

/*
 * Found by this model and fixed (each with a regression test):
 *
 * - In one request, `setExpiry()` to a past moment, then `cycleKey()`, then
 *   any change: the new row was created already expired, so the final save's
 *   `update()` found no live row and the request answered 400 "session was
 *   deleted" (Django saves it). The store backend now writes the whole
 *   session into a row it wrote already expired (test/unit/session.test.ts).
 * - V8's `JSON.parse` (Node 24, Deno, workerd) renames a key written with an
 *   escape after an earlier object of the same shape had a key with a
 *   backslash: sessions read back with renamed keys. Every store parses with
 *   `parseJson` (src/util/json.ts), and so does this model's own reference
 *   (it stores values as JSON text); json-key-seeds.test.ts replays the seeds
 *   that caught it, test/security/json-key-bug.test.ts the engines.
 */

// ---------------------------------------------------------------- randomness

/** A small seeded PRNG (mulberry32). */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** A new independent generator seeded from this one. */
  fork(): Random {
    return new Random(this.int(2 ** 32));
  }
}

// ---------------------------------------------------------------- the alphabet

const CHARS = [
  "a", "b", "c", "A", "0", "\u0000", '"', "'", "\\", ".", "[", "]", "$", "\ud800", "\udc00", "\udbff", "😀", "🍪",
  "é", "e\u0301", " ", "*", "%", "_", "/", "\n", "\t", "\u2028", "{", "}", ":", ",", "-", "\u0001", "\u007f", "ß", "İ",
];
const SAFE_CHARS = CHARS.filter((c) => c !== "\u0000" && !/^[\ud800-\udfff]$/.test(c));
const SPECIAL_KEYS = ["", "__proto__", "constructor", "toString", "hasOwnProperty", "length", "$", "$.a", "a.b", "a[0]", "0", "_", "_auth_user_id", "_expiry", "\u0000", "a\u0000b", "\ud800", "\udc00a", "😀", "null", "*"];

function text(random: Random, chars: readonly string[], max: number): string {
  let out = "";
  const length = random.int(max + 1);
  for (let i = 0; i < length; i++) out += random.pick(chars);
  return out;
}

// ---------------------------------------------------------------- the rules

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function badText(value: string): boolean {
  return value.includes("\u0000") || LONE_SURROGATE.test(value);
}

type Refusal = "TypeError" | "RangeError";

/** Why the library must refuse `key` as a key to write, or null. */
function keyRefusal(key: unknown): Refusal | null {
  if (typeof key !== "string") return "TypeError";
  if (key.startsWith("_")) return "RangeError";
  return badText(key) ? "TypeError" : null;
}

/** Every reason the library must refuse `value` (empty when it is accepted). */
function valueRefusals(value: unknown): Set<Refusal> {
  const found = new Set<Refusal>();
  const ancestors: unknown[] = [];
  const walk = (v: unknown, level: number): void => {
    switch (typeof v) {
      case "string":
        if (badText(v)) found.add("TypeError");
        return;
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(v)) found.add("TypeError");
        return;
      case "object": {
        if (v === null) return;
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === "function") return walk(toJSON.call(v, ""), level);
        if (ancestors.includes(v)) {
          found.add("TypeError");
          return;
        }
        if (level + 1 > MAX_DEPTH) {
          found.add("RangeError");
          return;
        }
        const proto = Object.getPrototypeOf(v);
        if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
          found.add("TypeError");
          return;
        }
        ancestors.push(v);
        if (Array.isArray(v)) for (const item of v) walk(item, level + 1);
        else {
          for (const k of Object.keys(v)) {
            if (badText(k)) found.add("TypeError");
            walk((v as Record<string, unknown>)[k], level + 1);
          }
        }
        ancestors.pop();
        return;
      }
      default:
        found.add("TypeError");
    }
  };
  walk(value, 0);
  return found;
}

/**
 * A value as canonical JSON: keys sorted, `toJSON` applied, -0 as 0. Two
 * values the library must treat as the same give the same text.
 */
export function canon(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value !== null && typeof value === "object") {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return canon(toJSON.call(value, ""));
    if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : canon(item))).join(",")}]`;
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

const encoder = new TextEncoder();

/** JSON bytes of a value (0 for one that cannot be serialised). */
function weight(value: unknown): number {
  try {
    return encoder.encode(canon(value)).length;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- values

function primitive(random: Random, safe: boolean): unknown {
  switch (random.int(10)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.int(2_000_001) - 1_000_000;
    case 3:
      return random.pick([1.5, -2.25, 0.1 + 0.2, 1e21, 5e-324, 2 ** 53, -(2 ** 53), -0, 1e-7, 123456.789]);
    case 4:
      return text(random, safe ? SAFE_CHARS : CHARS, 3);
    default:
      return text(random, safe ? SAFE_CHARS : CHARS, random.chance(0.05) ? 300 : 12);
  }
}

function nested(random: Random, depth: number, kind: "array" | "object"): unknown {
  let value: unknown = primitive(random, true);
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { [random.pick(["a", "$", ".", "k"])]: value };
  return value;
}

class Custom {
  x = 1;
}

/** A value to store: mostly valid, sometimes one the library must refuse. */
function value(random: Random, budget: number): unknown {
  const roll = random.int(100);
  if (roll < 40) return primitive(random, !random.chance(0.1));
  if (roll < 55) return Array.from({ length: random.int(6) }, () => primitive(random, !random.chance(0.05)));
  if (roll < 68) {
    const object: Record<string, unknown> = {};
    for (let i = random.int(6); i > 0; i--) {
      Object.defineProperty(object, text(random, random.chance(0.1) ? CHARS : SAFE_CHARS, 4), {
        value: random.chance(0.3) ? [primitive(random, true), { x: primitive(random, true) }] : primitive(random, true),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return object;
  }
  if (roll < 76) {
    // Deep: around the limit, well under it, or far past it.
    const depth = random.pick([1, 2, 5, 20, 100, 254, 255, 256, 257, 300, 1_000, 1_200]);
    return nested(random, depth, random.chance(0.5) ? "array" : "object");
  }
  if (roll < 82) {
    // Wide, within the size budget.
    const width = Math.max(1, Math.min(400, Math.floor(budget / 40)));
    if (random.chance(0.5)) return Array.from({ length: random.int(width) + 1 }, (_, i) => (random.chance(0.5) ? i : `v${i}`));
    return Object.fromEntries(Array.from({ length: random.int(width) + 1 }, (_, i) => [`${text(random, SAFE_CHARS, 2)}${i}`, i]));
  }
  if (roll < 85) return new Date(1_700_000_000_000 + random.int(1e9));
  // Values that do not survive JSON.
  switch (random.int(12)) {
    case 0:
      return undefined;
    case 1:
      return Number.NaN;
    case 2:
      return -Infinity;
    case 3:
      return () => 1;
    case 4:
      return Symbol("s");
    case 5:
      return 10n;
    case 6:
      return new Map([["a", 1]]);
    case 7:
      return new Custom();
    case 8: {
      const cycle: unknown[] = [1];
      cycle.push([cycle]);
      return cycle;
    }
    case 9:
      return { a: [1, undefined] };
    case 10:
      return { "k\u0000": 1 };
    default:
      return [`ok`, `lone \udc00 surrogate`];
  }
}

// ---------------------------------------------------------------- the model

type Expiry = { kind: "default" } | { kind: "browser" } | { kind: "seconds"; n: number } | { kind: "date"; at: number };

/** What one session holds, as the model sees it: canonical JSON per key. */
interface State {
  data: Map<string, string>;
  expiry: Expiry;
  /** Size of the data as JSON bytes (an estimate, for generating, never for judging). */
}

function copyState(state: State): State {
  return { data: new Map(state.data), expiry: state.expiry };
}

function sizeOf(state: State): number {
  let size = 2;
  for (const [k, v] of state.data) size += encoder.encode(JSON.stringify(k)).length + encoder.encode(v).length + 2;
  return size;
}

function expired(expiry: Expiry, now: number): boolean {
  return (expiry.kind === "seconds" && expiry.n < 0) || (expiry.kind === "date" && expiry.at <= now);
}

/** One call, with how to print it. */
interface Call {
  name: string;
  run(session: Session<any>): unknown;
  /** Applies the call to the model; returns the expected result, or the refusals it may throw. */
  expect(state: State, request: RequestModel): { value: unknown } | { refusals: Set<Refusal> };
  async?: boolean;
}

/** What one request knows while it runs. */
interface RequestModel {
  flushed: boolean;
  cycled: boolean;
  /** Keys this request changed (for merging concurrent requests). */
  touched: Set<string>;
  modified: boolean;
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || typeof value === "function") return String(value);
  if (value instanceof Map) return "Map";
  if (value instanceof Custom) return "Custom instance";
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  try {
    const text = canon(value);
    return text.length > 120 ? `${text.slice(0, 120)}… (${text.length} chars)` : text;
  } catch {
    return "(a cycle)";
  }
}

function setEntry(state: State, request: RequestModel, key: string, v: unknown): void {
  state.data.set(key, canon(v));
  request.touched.add(key);
  request.modified = true;
}

function removeEntry(state: State, request: RequestModel, key: string): boolean {
  if (!state.data.has(key)) return false;
  state.data.delete(key);
  request.touched.add(key);
  request.modified = true;
  return true;
}

/** Refusal of a key or value: the key's first, then any of the value's. */
function refusalOf(key: unknown, v: unknown, checkValue = true): Set<Refusal> {
  const k = keyRefusal(key);
  if (k !== null) return new Set([k]);
  return checkValue ? valueRefusals(v) : new Set();
}

// ---------------------------------------------------------------- calls

class CallMaker {
  readonly keys: string[];
  constructor(readonly random: Random, readonly budget: number, keys?: string[]) {
    this.keys = keys ?? [...Array.from({ length: 24 }, () => this.newKey()), ...SPECIAL_KEYS];
  }

  /** The same keys, another random stream (one per concurrent request, so runs replay). */
  with(random: Random): CallMaker {
    return new CallMaker(random, this.budget, this.keys);
  }

  /** Whether storing `values` would take the data past the budget. */
  #tooBig(state: State, ...values: unknown[]): boolean {
    let size = sizeOf(state);
    for (const v of values) size += weight(v) + 8;
    return size > this.budget;
  }

  newKey(): string {
    const r = this.random;
    if (r.chance(0.03)) return text(r, SAFE_CHARS, 1) + "k".repeat(r.pick([200, 1_000, 3_000]));
    return text(r, r.chance(0.3) ? CHARS : SAFE_CHARS, r.pick([0, 1, 2, 3, 5, 8]));
  }

  key(state: State, own?: readonly string[]): string {
    const r = this.random;
    if (own !== undefined) return r.pick(own);
    if (state.data.size > 0 && r.chance(0.4)) return r.pick([...state.data.keys()]);
    if (r.chance(0.05)) return this.newKey();
    return r.pick(this.keys);
  }

  /** A random call; `own` restricts keys (concurrent requests), `big` makes a call that must fail the save. */
  make(state: State, own: readonly string[] | undefined, allowStructural: boolean): Call {
    const r = this.random;
    const full = sizeOf(state) > this.budget;
    const roll = r.int(100);
    const key = this.key(state, own);
    if (roll < 22 && !full) {
      const v = value(r, this.budget - sizeOf(state));
      return this.#tooBig(state, key, v) ? this.delete(key) : this.set(key, v);
    }
    if (roll < 32) return this.get(key);
    if (roll < 37) return this.has(key);
    if (roll < 47 || (full && roll < 60)) return this.delete(key);
    if (roll < 55) return this.pop(key, r.chance(0.5) ? "fallback" : undefined);
    if (roll < 62 && !full) {
      const v = value(r, this.budget - sizeOf(state));
      return this.#tooBig(state, key, v) ? this.pop(key, undefined) : this.setDefault(key, v);
    }
    if (roll < 70 && !full) {
      const entries: [string, unknown][] = Array.from({ length: r.int(4) }, () => [this.key(state, own), value(r, (this.budget - sizeOf(state)) / 4)]);
      return this.#tooBig(state, ...entries.flat()) ? this.delete(key) : this.update(entries);
    }
    // Changing a value in place and setting `modified = true` re-saves every key: not in concurrent requests.
    if (roll < 75 && !full && own === undefined) return this.mutate(state, own);
    if (roll < 78 && own === undefined) return this.keysCall();
    if (!allowStructural) return this.get(key);
    if (roll < 83 || full) return this.clear();
    if (roll < 87) return this.flush();
    if (roll < 92) return this.cycleKey();
    return this.setExpiry();
  }

  get(key: string): Call {
    return {
      name: `get(${show(key)})`,
      run: (s) => s.get(key),
      expect: (state) => ({ value: state.data.has(key) ? parseJson(state.data.get(key)!) : undefined }),
    };
  }

  has(key: string): Call {
    return { name: `has(${show(key)})`, run: (s) => s.has(key), expect: (state) => ({ value: state.data.has(key) }) };
  }

  keysCall(): Call {
    return {
      name: "keys()",
      run: (s) => s.keys().sort(),
      expect: (state) => ({ value: [...state.data.keys()].sort() }),
    };
  }

  set(key: string, v: unknown): Call {
    return {
      name: `set(${show(key)}, ${show(v)})`,
      run: (s) => s.set(key, v),
      expect: (state, request) => {
        const refusals = refusalOf(key, v);
        if (refusals.size > 0) return { refusals };
        setEntry(state, request, key, v);
        return { value: undefined };
      },
    };
  }

  delete(key: string): Call {
    return {
      name: `delete(${show(key)})`,
      run: (s) => s.delete(key),
      expect: (state, request) => {
        const refusal = keyRefusal(key);
        if (refusal !== null) return { refusals: new Set([refusal]) };
        return { value: removeEntry(state, request, key) };
      },
    };
  }

  pop(key: string, fallback: unknown): Call {
    return {
      name: `pop(${show(key)}, ${show(fallback)})`,
      run: (s) => s.pop(key, fallback),
      expect: (state, request) => {
        const refusal = keyRefusal(key);
        if (refusal !== null) return { refusals: new Set([refusal]) };
        if (!state.data.has(key)) return { value: fallback };
        const old = parseJson(state.data.get(key)!);
        removeEntry(state, request, key);
        return { value: old };
      },
    };
  }

  setDefault(key: string, v: unknown): Call {
    return {
      name: `setDefault(${show(key)}, ${show(v)})`,
      run: (s) => s.setDefault(key, v),
      expect: (state, request) => {
        const refusal = keyRefusal(key);
        if (refusal !== null) return { refusals: new Set([refusal]) };
        // An existing key is returned as it is: the value is not even looked at.
        if (state.data.has(key)) return { value: parseJson(state.data.get(key)!) };
        const refusals = valueRefusals(v);
        if (refusals.size > 0) return { refusals };
        setEntry(state, request, key, v);
        return { value: v };
      },
    };
  }

  update(entries: [string, unknown][]): Call {
    const object: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true });
    return {
      name: `update(${entries.map(([k, v]) => `${show(k)}: ${show(v)}`).join(", ")})`,
      run: (s) => s.update(object),
      expect: (state, request) => {
        const refusals = new Set<Refusal>();
        for (const k of Object.keys(object)) {
          for (const refusal of refusalOf(k, object[k])) refusals.add(refusal);
          if (refusals.size > 0) break;
        }
        if (refusals.size > 0) {
          // Entries are checked in order; a later invalid entry could have another class, so any refusal class found is accepted.
          for (const k of Object.keys(object)) for (const refusal of refusalOf(k, object[k])) refusals.add(refusal);
          return { refusals };
        }
        for (const k of Object.keys(object)) setEntry(state, request, k, object[k]);
        request.modified = true;
        return { value: undefined };
      },
    };
  }

  /** Changes a nested value in place and sets `modified = true` (Django's `request.session.modified = True`). */
  mutate(state: State, own: readonly string[] | undefined): Call {
    const candidates = [...state.data].filter(([k, v]) => (own === undefined || own.includes(k)) && (v.startsWith("[") || v.startsWith("{")));
    if (candidates.length === 0) return this.get(this.key(state, own));
    const [key] = this.random.pick(candidates);
    const addition = primitive(this.random, true);
    const field = text(this.random, SAFE_CHARS, 3);
    const apply = (target: unknown) => {
      if (Array.isArray(target)) target.push(addition);
      else Object.defineProperty(target, field, { value: addition, enumerable: true, writable: true, configurable: true });
    };
    return {
      name: `get(${show(key)}) changed in place (${show(field)} = ${show(addition)}), then modified = true`,
      run: (s) => {
        apply(s.get(key));
        s.modified = true;
      },
      expect: (state, request) => {
        const current = parseJson(state.data.get(key)!);
        apply(current);
        state.data.set(key, canon(current));
        for (const k of state.data.keys()) request.touched.add(k);
        request.modified = true;
        return { value: undefined };
      },
    };
  }

  clear(): Call {
    return {
      name: "clear()",
      run: (s) => s.clear(),
      expect: (state, request) => {
        for (const k of state.data.keys()) request.touched.add(k);
        state.data.clear();
        state.expiry = { kind: "default" };
        request.modified = true;
        return { value: undefined };
      },
    };
  }

  flush(): Call {
    return {
      name: "flush()",
      async: true,
      run: (s) => s.flush(),
      expect: (state, request) => {
        state.data.clear();
        state.expiry = { kind: "default" };
        request.flushed = true;
        request.modified = false;
        return { value: undefined };
      },
    };
  }

  cycleKey(): Call {
    return {
      name: "cycleKey()",
      async: true,
      run: (s) => s.cycleKey(),
      expect: (_state, request) => {
        request.cycled = true;
        request.modified = true;
        return { value: undefined };
      },
    };
  }

  setExpiry(): Call {
    const r = this.random;
    const now = Date.now();
    const day = 86_400_000;
    const choices: [string, () => number | Date | null | string, Expiry | Refusal][] = [
      ["null", () => null, { kind: "default" }],
      ["0", () => 0, { kind: "browser" }],
      ["0.4", () => 0.4, { kind: "browser" }],
      ["3600", () => 3600, { kind: "seconds", n: 3600 }],
      ["86400.9", () => 86_400.9, { kind: "seconds", n: 86_400 }],
      ["34560000", () => MAX_LIFETIME, { kind: "seconds", n: MAX_LIFETIME }],
      ["-10", () => -10, { kind: "seconds", n: -10 }],
      ["34560001", () => MAX_LIFETIME + 1, "RangeError"],
      ["-1e300", () => -1e300, "RangeError"],
      ["1e13", () => 1e13, "RangeError"],
      ["NaN", () => Number.NaN, "TypeError"],
      ["Infinity", () => Infinity, "TypeError"],
      ['"60"', () => "60", "TypeError"],
      ["a Date in 30 days", () => new Date(now + 30 * day), { kind: "date", at: now + 30 * day }],
      ["a Date 1 day ago", () => new Date(now - day), { kind: "date", at: now - day }],
      ["a Date in 500 days", () => new Date(now + 500 * day), "RangeError"],
      ["an invalid Date", () => new Date(Number.NaN), "TypeError"],
    ];
    const [label, make, outcome] = r.pick(choices);
    return {
      name: `setExpiry(${label})`,
      run: (s) => s.setExpiry(make() as number),
      expect: (state, request) => {
        if (typeof outcome === "string") return { refusals: new Set([outcome]) };
        const hadExpiry = state.expiry.kind !== "default";
        state.expiry = outcome;
        // setExpiry(null) without an expiry removes nothing: the session stays unmodified.
        if (outcome.kind !== "default" || hadExpiry) request.modified = true;
        return { value: undefined };
      },
    };
  }

}

// ---------------------------------------------------------------- the run

class Mismatch extends Error {}

/** Compares the session a request sees with the model; throws a Mismatch naming the difference. */
function checkSnapshot(session: Session<any>, state: State, where: string, lastSave: number): void {
  const actual = new Map<string, string>();
  for (const [k, v] of session.entries()) actual.set(k, canon(v));
  if (actual.size !== state.data.size || [...state.data].some(([k, v]) => actual.get(k) !== v)) {
    const missing = [...state.data.keys()].filter((k) => !actual.has(k)).map(show);
    const extra = [...actual.keys()].filter((k) => !state.data.has(k)).map(show);
    const differ = [...state.data].filter(([k, v]) => actual.has(k) && actual.get(k) !== v).map(([k, v]) => `${show(k)}: expected ${v.slice(0, 100)}, got ${actual.get(k)!.slice(0, 100)}`);
    throw new Mismatch(`${where}: the session's data differs from the model; missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}, different ${JSON.stringify(differ)}`);
  }
  const now = Date.now();
  const age = session.getExpiryAge();
  const browser = session.getExpireAtBrowserClose();
  const expiry = state.expiry;
  const slack = Math.ceil((now - lastSave) / 1000) + 2;
  let ok: boolean;
  if (expiry.kind === "default") ok = !browser && age >= MAX_AGE - 2 && age <= MAX_AGE;
  else if (expiry.kind === "browser") ok = browser && age >= MAX_AGE - 2 && age <= MAX_AGE;
  else if (expiry.kind === "seconds") ok = !browser && age >= expiry.n - slack && age <= expiry.n;
  else {
    const left = (expiry.at - now) / 1000;
    ok = !browser && age >= Math.floor(left) - 2 && age <= Math.ceil(left) + 1;
  }
  if (!ok) throw new Mismatch(`${where}: expiry differs from the model (${JSON.stringify(expiry)}): getExpiryAge() = ${age}, getExpireAtBrowserClose() = ${browser}`);
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}

/** Runs one call against the session and the model; throws a Mismatch when they disagree. */
async function step(call: Call, session: Session<any>, state: State, request: RequestModel, where: string): Promise<boolean> {
  const before = copyState(state);
  const modifiedBefore = session.modified;
  const expected = call.expect(state, request);
  let result: unknown;
  let thrown: unknown = null;
  let threw = false;
  try {
    result = call.run(session);
    if (call.async) result = await result;
  } catch (error) {
    thrown = error;
    threw = true;
  }
  if ("refusals" in expected) {
    if (!threw) throw new Mismatch(`${where}: ${call.name} returned ${show(result)}; the model expected it to throw ${[...expected.refusals].join(" or ")}`);
    const name = thrown instanceof RangeError ? "RangeError" : thrown instanceof TypeError ? "TypeError" : "other";
    if (!expected.refusals.has(name as Refusal)) {
      throw new Mismatch(`${where}: ${call.name} threw ${errorName(thrown)}; the model expected ${[...expected.refusals].join(" or ")}`);
    }
    if (session.modified !== modifiedBefore) throw new Mismatch(`${where}: ${call.name} was refused but changed session.modified to ${session.modified}`);
    Object.assign(state, before);
    return true;
  }
  if (threw) throw new Mismatch(`${where}: ${call.name} threw ${errorName(thrown)}; the model expected ${show(expected.value)}`);
  if (canon(result) !== canon(expected.value)) {
    throw new Mismatch(`${where}: ${call.name} returned ${show(result)}; the model expected ${show(expected.value)}`);
  }
  return false;
}

/**
 * Runs random requests against `store` until `ops` session calls were made,
 * or the first mismatch.
 */
export async function runModel(options: ModelOptions): Promise<ModelResult> {
  const started = Date.now();
  const random = new Random(options.seed);
  const maker = new CallMaker(random.fork(), options.budget);
  const result: ModelResult = {
    store: options.label,
    seed: options.seed,
    ops: 0,
    requests: 0,
    refused: 0,
    tooLarge: 0,
    concurrentGroups: 0,
    cycles: 0,
    flushes: 0,
    expiries: 0,
    opened: 0,
    ms: 0,
  };
  const plans = new Map<string, (session: Session<any>) => Promise<void>>();
  const app = withSession(async (request: Request) => {
    const plan = plans.get(request.headers.get("x-plan") ?? "");
    if (plan === undefined) return new Response("no plan", { status: 500 });
    await plan(await getSession(request));
    return new Response("ok");
  }, { store: options.store });

  let committed: State = { data: new Map(), expiry: { kind: "default" } };
  let lastSave = Date.now();
  let jar = new CookieJar(app);
  let planId = 0;
  /** The calls of the last few requests, for the report of a mismatch. */
  const history: string[] = [];
  const remember = (where: string, names: string[]) => {
    history.push(`${where}: ${JSON.stringify(names)}`);
    if (history.length > 4) history.shift();
  };

  /** One request: `calls` made by the session inside the handler; resolves whether the app failed. */
  const request = async (
    where: string,
    body: (session: Session<any>) => Promise<void>,
    cookieJar: CookieJar = jar,
  ): Promise<unknown> => {
    const id = String(++planId);
    plans.set(id, body);
    try {
      const response = await cookieJar.fetch("/", { headers: { "x-plan": id } });
      const body = await response.text();
      if (response.status !== 200) return new Error(`HTTP ${response.status}: ${body.slice(0, 200)}; Set-Cookie: ${JSON.stringify(response.headers.getSetCookie())}`);
      return null;
    } catch (error) {
      if (error instanceof Mismatch) throw error;
      return error ?? new Error(`${where}: the app rejected with ${String(error)}`);
    } finally {
      plans.delete(id);
    }
  };

  try {
    while (result.ops < options.ops) {
      result.requests++;
      const where = `request ${result.requests}`;
      const concurrent = options.concurrent && jar.get() !== undefined && random.chance(0.08);
      if (concurrent) {
        await concurrentGroup(where);
        continue;
      }
      const callCount = 1 + random.int(6);
      const big = random.chance(0.02);
      const base = committed;
      const state = copyState(base);
      const model: RequestModel = { flushed: false, cycled: false, touched: new Set(), modified: false };
      const oldKey = jar.get();
      const names: string[] = [];
      const body = async (session: Session<any>) => {
        checkSnapshot(session, state, `${where} (seed ${options.seed}) at the start`, lastSave);
        for (let i = 0; i < callCount; i++) {
          const call = maker.make(state, undefined, !big);
          names.push(call.name);
          result.ops++;
          if (call.name === "flush()") result.flushes++;
          if (call.name === "cycleKey()") result.cycles++;
          if (call.name.startsWith("setExpiry")) result.expiries++;
          if (await step(call, session, state, model, `${where}, call ${i + 1} ${JSON.stringify(names)}`)) result.refused++;
        }
        if (big) {
          const key = maker.key(state);
          const safeKey = keyRefusal(key) === null ? key : "big";
          // Random printable ASCII: neither JSON nor compression makes it much smaller.
          const huge = Array.from({ length: options.bigLength }, () => String.fromCharCode(35 + random.int(57))).join("");
          session.set(safeKey, huge);
          names.push(`set(${show(safeKey)}, <${huge.length} characters>)`);
          result.ops++;
        }
      };
      // Now and then the same calls on a session opened by its key outside any request, then save().
      const opened = oldKey !== undefined && random.chance(0.05);
      let failure: unknown = null;
      if (opened) {
        result.opened++;
        names.push(`openSession(<the cookie's key>)`);
        const session = await openSession(oldKey, { store: options.store });
        if (session === null) throw new Mismatch(`${where}: openSession() found no session for the cookie's key`);
        try {
          await body(session);
          names.push("save()");
          await session.save();
          // What a browser would hold: the new key, or nothing once the session is gone or saved already expired.
          if (session.key === null || expired(state.expiry, Date.now())) jar.delete();
          else jar.set("sessionid", session.key);
        } catch (error) {
          if (error instanceof Mismatch) throw error;
          failure = error;
        }
      } else {
        failure = await request(where, body);
      }
      remember(where, names);
      if (big) {
        if (failure === null) throw new Mismatch(`${where}: a save of more than the limit succeeded (calls ${JSON.stringify(names)})`);
        if (!(failure instanceof RangeError)) throw new Mismatch(`${where}: a save of more than the limit failed with ${errorName(failure)}, not a RangeError (SessionDataTooLargeError)`);
        result.tooLarge++;
        continue; // Nothing was written: the model keeps `committed`.
      }
      if (failure !== null) throw new Mismatch(`${where}: the request failed with ${errorName(failure)} (calls ${JSON.stringify(names)})`);
      if (model.modified || model.flushed || model.cycled) lastSave = Date.now();
      committed = expired(state.expiry, Date.now()) ? { data: new Map(), expiry: { kind: "default" } } : state;
      if ((model.cycled || model.flushed) && oldKey !== undefined && options.checkOldKeys) {
        if (jar.get() === oldKey) throw new Mismatch(`${where}: the session key did not change after ${model.cycled ? "cycleKey()" : "flush()"} (calls ${JSON.stringify(names)})`);
        if (random.chance(0.25)) {
          const stale = new CookieJar(app);
          stale.set("sessionid", oldKey);
          const empty: State = { data: new Map(), expiry: { kind: "default" } };
          const probe = await request(`${where} (old key)`, async (session) => {
            checkSnapshot(session, empty, `${where}: the key from before ${model.cycled ? "cycleKey()" : "flush()"} still opens a session`, Date.now());
          }, stale);
          if (probe !== null) throw probe;
        }
      }
    }
  } catch (error) {
    result.mismatch = `${options.label}, seed ${options.seed}: ${error instanceof Mismatch ? error.message : `unexpected ${errorName(error)}\n${(error as Error)?.stack ?? ""}`}` +
      `\nThe requests before:\n${history.join("\n")}`;
  }
  result.ms = Date.now() - started;
  return result;

  /** 2 to 6 concurrent requests on one session, each changing its own keys. */
  async function concurrentGroup(where: string): Promise<void> {
    result.concurrentGroups++;
    const count = 2 + random.int(5);
    const pool = [...new Set([...committed.data.keys(), ...maker.keys])];
    const own: string[][] = Array.from({ length: count }, () => []);
    for (const key of pool) own[random.int(count)]!.push(key);
    const base = committed;
    const merged = copyState(base);
    const calls = own.map(() => 1 + random.int(3));
    const makers = own.map(() => maker.with(random.fork()));
    const outcomes = await Promise.all(
      own.map(async (keys, index) => {
        const state = copyState(base);
        const model: RequestModel = { flushed: false, cycled: false, touched: new Set(), modified: false };
        const sub = `${where}, concurrent request ${index + 1} of ${count}`;
        const names: string[] = [];
        const failure = await request(sub, async (session) => {
          for (let i = 0; i < calls[index]!; i++) {
            if (keys.length === 0) break;
            const call = makers[index]!.make(state, keys, false);
            names.push(call.name);
            result.ops++;
            if (await step(call, session, state, model, `${sub}, call ${i + 1} ${JSON.stringify(names)}`)) result.refused++;
          }
        });
        remember(sub, names);
        if (failure !== null) throw new Mismatch(`${sub}: the request failed with ${errorName(failure)} (calls ${JSON.stringify(names)})`);
        if (model.modified) lastSave = Date.now();
        return { state, model };
      }),
    );
    // Merged in request order (not completion order), so that a seed replays the same calls on any store.
    for (const { state, model } of outcomes) {
      for (const key of model.touched) {
        if (state.data.has(key)) merged.data.set(key, state.data.get(key)!);
        else merged.data.delete(key);
      }
    }
    committed = merged;
  }
}
