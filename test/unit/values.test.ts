/**
 * src/values.ts: the rules for keys and values, the same for every store,
 * enforced where the application writes (set, update, setDefault, flash).
 */
import { describe, expect, test } from "vitest";
import { CookieStore, MemoryStore, type Session } from "../../mod.ts";
import { MAX_VALUE_DEPTH } from "../../src/values.ts";
import { createClient } from "../helpers/jar.ts";

/** A value nested `depth` levels: arrays and objects alternating. */
function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { v: value };
  return value;
}

const writers: [string, (s: Session<any>, key: string, value: unknown) => void][] = [
  ["set", (s, k, v) => s.set(k, v)],
  ["update", (s, k, v) => s.update({ [k]: v })],
  ["setDefault", (s, k, v) => s.setDefault(k, v)],
  ["flash", (s, k, v) => s.flash(k, v)],
];

describe("keys", () => {
  for (const [method, write] of writers) {
    test(`${method}() refuses a key containing U+0000 or a lone surrogate with a TypeError naming it, and writes nothing`, async () => {
      const client = createClient();
      await client.run((s) => {
        for (const key of ["role\u0000x", "\u0000", "a\ud800", "\udc00b", "x\udbff\u0041"]) {
          const error = (() => {
            try {
              write(s, key, 1);
            } catch (e) {
              return e;
            }
          })();
          expect(error, JSON.stringify(key)).toBeInstanceOf(TypeError);
          expect((error as Error).message).toContain(JSON.stringify(key));
        }
        expect(s.modified).toBe(false);
        expect(s.keys()).toEqual([]);
      });
    });
  }

  test("a key with a surrogate pair (an emoji), quotes, dots, brackets, $, backslashes, a newline or an Object.prototype name is an ordinary key", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    const keys = ["🍪", 'a"b', "a.b", "a[0]", "$.x", "a\\b", "'", " ", "new\nline", "constructor", "toString", "hasOwnProperty"];
    await client.run((s) => keys.forEach((k, i) => s.set(k, i)));
    const { value } = await client.run((s) => keys.map((k) => s.get(k)));
    expect(value).toEqual(keys.map((_, i) => i));
  });

  test("the empty key is allowed and round-trips through MemoryStore and CookieStore", async () => {
    for (const store of [new MemoryStore(), new CookieStore({ secret: "x".repeat(32) })]) {
      const client = createClient({ store });
      await client.run((s) => {
        s.set("", "empty");
        s.set("a", 1);
      });
      const { value } = await client.run((s) => [s.get(""), s.has(""), s.keys().sort()]);
      expect(value).toEqual(["empty", true, ["", "a"]]);
      await client.run((s) => s.delete(""));
      expect((await client.run((s) => s.keys())).value).toEqual(["a"]);
    }
  });
});

describe("values", () => {
  test("Session.set() throws TypeError naming the key for values that do not survive JSON", async () => {
    const client = createClient();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: [string, unknown][] = [
      ["fn", () => 1],
      ["sym", Symbol("x")],
      ["big", 1n],
      ["undef", undefined],
      ["nan", NaN],
      ["inf", Infinity],
      ["cycle", cyclic],
      ["nested", { a: [1, { b: undefined }] }],
      ["map", new Map()],
      ["set", new Set([1])],
    ];
    await client.run((s) => {
      for (const [key, value] of bad) {
        expect(() => s.set(key, value)).toThrow(TypeError);
        expect(() => s.set(key, value)).toThrow(new RegExp(`"${key}"`));
      }
      expect(() => s.update({ ok: 1, bad: () => 1 })).toThrow(/"bad"/);
      expect(s.has("ok")).toBe(false); // update checks every entry before storing any
      expect(s.modified).toBe(false);
    });
  });
  const hostile: [string, unknown][] = [
    ["a string with U+0000", "ad\u0000min"],
    ["a string with a lone high surrogate (a slice through an emoji)", "🍪".slice(0, 1)],
    ["a lone low surrogate deep in an array", [1, [2, ["\udc00"]]]],
    ["an object key with U+0000", { "uid\u0000x": 1 }],
    ["a nested object key with a lone surrogate", { a: { b: [{ "\ud800": true }] } }],
    ["a string with U+0000 behind toJSON", { toJSON: () => "x\u0000" }],
  ];
  for (const [method, write] of writers) {
    for (const [what, value] of hostile) {
      test(`${method}() refuses ${what} with a TypeError naming the key`, async () => {
        const client = createClient();
        await client.run((s) => {
          expect(() => write(s, "profile", value)).toThrow(TypeError);
          expect(() => write(s, "profile", value)).toThrow(/"profile"/);
          expect(s.modified).toBe(false);
        });
      });
    }

    test(`${method}() accepts a value nested ${MAX_VALUE_DEPTH} levels and refuses ${MAX_VALUE_DEPTH + 1} with a RangeError naming the key`, async () => {
      const store = new MemoryStore();
      const client = createClient({ store });
      await client.run((s) => {
        expect(() => write(s, "deep", nested(MAX_VALUE_DEPTH + 1))).toThrow(RangeError);
        expect(() => write(s, "deep", nested(MAX_VALUE_DEPTH + 1))).toThrow(/"deep".*deeper than 256/);
        expect(s.modified).toBe(false);
        write(s, "deep", nested(MAX_VALUE_DEPTH));
      });
      if (method === "flash") return;
      const { value } = await client.run((s) => s.get("deep"));
      expect(value).toEqual(nested(MAX_VALUE_DEPTH));
    });
  }

  test("the depth limit is 256", () => {
    expect(MAX_VALUE_DEPTH).toBe(256);
  });

  test("strings with every other control character, quotes, backslashes and emoji round-trip", async () => {
    const client = createClient();
    let text = "";
    for (let c = 1; c < 32; c++) text += String.fromCharCode(c);
    text += `"\\'🍪\u{10FFFF}\uFFFD`;
    await client.run((s) => s.set("t", { [text]: text }));
    expect((await client.run((s) => s.get("t"))).value).toEqual({ [text]: text });
  });

  test("update() checks every entry before storing any", async () => {
    const client = createClient();
    await client.run((s) => {
      expect(() => s.update({ a: 1, b: "x\u0000" })).toThrow(TypeError);
      expect(s.has("a")).toBe(false);
    });
  });
});
