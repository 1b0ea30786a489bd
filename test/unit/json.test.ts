/**
 * src/util/json.ts: parseJson() gives what JSON.parse should, even where V8's
 * JSON.parse (Node 24, Deno, workerd) renames a key written with an escape.
 * These run in this process, whatever Node runs vitest; the texts come with
 * the values they spell, so no JSON parser is the oracle here.
 * test/security/json-key-bug.test.ts holds the engine repro and a
 * differential run against JavaScriptCore's JSON.parse.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { hasEscapedKey, parseJson, parseJsonText } from "../../src/util/json.ts";
import { canon, sameShape, spelledJson } from "../helpers/json-texts.ts";

describe("parseJson()", () => {
  test("parseJson() reads a key written with an escape as itself after an earlier object put a backslash key at that place", () => {
    // On Node 24 JSON.parse gives ["a", "\\"] for the second text: the first text's key.
    parseJson('{"a":1,"\\\\":1}');
    expect(Object.keys(parseJson('{"a":1,"\\t":2}') as object)).toEqual(["a", "\t"]);
    parseJson('{"p":{"q\\\\":1}}');
    expect(canon(parseJson('{"p":{"q\\n":2}}'))).toEqual(canon({ p: { "q\n": 2 } }));
    parseJson('[{"\\\\u00":1}]');
    expect(canon(parseJson('[{"\\u0041\\u0042\\u0043\\u0044":1}]'))).toEqual(canon([{ ABCD: 1 }]));
  });

  test("parseJson() equals the value its text spells, over long runs of one shape with differently escaped keys (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(sameShape, spelledJson), { minLength: 20, maxLength: 60 }), (docs) => {
        for (const doc of docs) expect(canon(parseJson(doc.text))).toEqual(canon(doc.value));
      }),
      { numRuns: 300, seed: 20_261_126 },
    );
  });

  test("the parser behind parseJson() equals the value its text spells, and JSON.parse on texts without an escaped key (fast-check)", () => {
    fc.assert(
      fc.property(spelledJson, (doc) => {
        expect(canon(parseJsonText(doc.text))).toEqual(canon(doc.value));
        if (!hasEscapedKey(doc.text)) expect(canon(JSON.parse(doc.text))).toEqual(canon(doc.value));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  test("hasEscapedKey() tells exactly whether a text has a key written with an escape (fast-check)", () => {
    fc.assert(
      fc.property(fc.oneof(spelledJson, sameShape), (doc) => {
        expect(hasEscapedKey(doc.text), doc.text).toBe(doc.escapedKey);
      }),
      { numRuns: 5000, seed: 11 },
    );
  });

  test("hasEscapedKey() finds every key written with an escape, and no key without one", () => {
    for (const text of ['{"\\\\":1}', '{"a":{"b\\n" :1}}', '[{"\\u0041":1}]', '{"a":"x","\\"":1}', '{"a\\"b":1}', '{"x":"\\\\","y\\t"\r\n:1}']) {
      expect(hasEscapedKey(text), text).toBe(true);
    }
    for (const text of ['{"a":1}', '{"a":"\\\\"}', '["\\t",{"b":"\\n"}]', '{"a":"\\"","b":["\\u0041"]}', "1", '"\\\\"']) {
      expect(hasEscapedKey(text), text).toBe(false);
    }
  });

  test("parseJson() keeps JSON.parse's own-property __proto__, last duplicate, integer-key order and -0", () => {
    const value = parseJson('{"\\u0061":1,"__proto__":{"polluted":true},"b":1,"b":2,"2":0,"1":-0}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(Object.keys(value)).toEqual(["1", "2", "a", "__proto__", "b"]);
    expect(value["b"]).toBe(2);
    expect(Object.is(value["1"], -0)).toBe(true);
  });

  test("parseJson() throws SyntaxError where JSON.parse does, on texts with an escaped key", () => {
    for (const text of ['{"\\t":}', '{"\\t":1,}', '{"\\t" 1}', '{"\\x":1}', '{"\\u12":1}', '{"\\t":01}', '{"\\t":1}x', '{"\\t":"\u0001"}', '{"\\t":[1,]}', '{"\\t":tru}', '{"\\t":1']) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseJson(text), text).toThrow(SyntaxError);
    }
  });

  test("parseJson() reads nesting of any depth, as JSON.parse does", () => {
    const depth = 100_000;
    let value = parseJson(`{"\\t":${"[".repeat(depth)}${"]".repeat(depth)}}`) as Record<string, unknown>;
    let inner: unknown = value["\t"];
    let levels = 0;
    while (Array.isArray(inner) && inner.length > 0) {
      inner = inner[0];
      levels++;
    }
    expect(levels).toBe(depth - 1);
    value = parseJson('{"a":1}') as Record<string, unknown>;
    expect(value).toEqual({ a: 1 });
  });
});
