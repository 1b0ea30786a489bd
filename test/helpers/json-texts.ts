/**
 * fast-check arbitraries of JSON texts that exercise the V8 JSON.parse key
 * bug (see src/util/json.ts): small objects of few shapes whose keys are
 * spelled from an alphabet of escapes (`\\`, `\t`, `\u005c`, ...), so that
 * a run parses many objects of one shape with differently escaped keys.
 * Each arbitrary gives the text and the value it spells (built without any
 * JSON parser).
 */
import fc from "fast-check";

/** [spelling in the text, the characters it stands for] */
const PIECES: [string, string][] = [
  ["a", "a"],
  ["b", "b"],
  ["é", "é"],
  ["😀", "😀"],
  ["\\\\", "\\"],
  ["\\t", "\t"],
  ["\\n", "\n"],
  ['\\"', '"'],
  ["\\/", "/"],
  ["\\b", "\b"],
  ["\\f", "\f"],
  ["\\r", "\r"],
  ["\\u005c", "\\"],
  ["\\u005C", "\\"],
  ["\\u0041", "A"],
  ["\\u0000", "\u0000"],
  ["\\u00e9", "é"],
  ["\\ud83d", "\ud83d"],
  ["\\uDE00", "\ude00"],
  ["\\u0022", '"'],
];

/** The text, the value it spells, and whether an object key in it is written with an escape. */
export type Spelled = { text: string; value: unknown; escapedKey: boolean };

/** A string of up to `max` pieces, as text (with quotes) and value. */
export function spelledString(max = 3): fc.Arbitrary<Spelled> {
  return fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: max }).map((pieces) => ({
    text: `"${pieces.map((p) => p[0]).join("")}"`,
    value: pieces.map((p) => p[1]).join(""),
    escapedKey: false,
  }));
}

const WS = fc.constantFrom("", "", "", " ", "\n", "\t ", "\r\n");
const NUMBERS: [string, number][] = [["0", 0], ["-0", -0], ["1", 1], ["1.5", 1.5], ["1e3", 1000], ["-2E-2", -0.02], ["12345678901234567890", 12345678901234567890]];
const SCALAR: fc.Arbitrary<Spelled> = fc.oneof(
  fc.constantFrom(...NUMBERS).map(([text, value]) => ({ text, value, escapedKey: false })),
  fc.constantFrom<Spelled>({ text: "true", value: true, escapedKey: false }, { text: "false", value: false, escapedKey: false }, { text: "null", value: null, escapedKey: false }),
  spelledString(2),
);

/** An object or array value of limited depth, with its text. */
export const spelledJson: fc.Arbitrary<Spelled> = fc.letrec<{ value: Spelled; object: Spelled; array: Spelled }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, SCALAR, tie("object"), tie("array")),
  object: fc
    .array(fc.tuple(WS, fc.oneof(spelledString(1), spelledString(3)), WS, tie("value"), WS), { maxLength: 4 })
    .map((members) => {
      const value: Record<string, unknown> = {};
      for (const [, key, , v] of members) {
        Object.defineProperty(value, key.value as string, { value: v.value, enumerable: true, writable: true, configurable: true });
      }
      return {
        text: `{${members.map(([w1, k, w2, v, w3]) => `${w1}${k.text}${w2}:${v.text}${w3}`).join(",")}}`,
        value,
        escapedKey: members.some(([, k, , v]) => k.text.includes("\\") || v.escapedKey),
      };
    }),
  array: fc.array(fc.tuple(WS, tie("value"), WS), { maxLength: 3 }).map((items) => ({
    text: `[${items.map(([w1, v, w2]) => `${w1}${v.text}${w2}`).join(",")}]`,
    value: items.map(([, v]) => v.value),
    escapedKey: items.some(([, v]) => v.escapedKey),
  })),
})).object;

/** Objects that start with a fixed key, as the sessions of one app do: the shape repeats, the escaped key varies. */
export const sameShape: fc.Arbitrary<Spelled> = fc
  .tuple(fc.constantFrom("", '"x":1,', '"x":{"y":1},'), fc.oneof(spelledString(1), spelledString(2)), SCALAR)
  .map(([prefix, key, v]) => {
    const value: Record<string, unknown> = {};
    if (prefix.includes("y")) value["x"] = { y: 1 };
    else if (prefix !== "") value["x"] = 1;
    Object.defineProperty(value, key.value as string, { value: v.value, enumerable: true, writable: true, configurable: true });
    return { text: `{${prefix}${key.text}:${v.text}}`, value, escapedKey: key.text.includes("\\") };
  });

/** A value as nested arrays without object keys: objects as ["o", [[key, value], ...]], -0 kept. */
export function canon(value: unknown): unknown {
  if (value === null) return ["null", null];
  if (Array.isArray(value)) return ["a", value.map(canon)];
  if (typeof value === "object") return ["o", Object.keys(value).map((k) => [k, canon((value as Record<string, unknown>)[k])])];
  if (typeof value === "number") return ["n", Object.is(value, -0) ? "-0" : String(value)];
  return [typeof value, value];
}
