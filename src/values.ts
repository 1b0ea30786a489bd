/**
 * What a session can hold: the rules for keys and values, the same for every
 * store, checked when a value is written (`set`, `update`, `setDefault`,
 * `flash`), so that a value that saves in development saves in production.
 *
 * @module
 */
import { quote } from "./errors.ts";

/**
 * How deeply a value may nest: `[]` and `{}` are depth 1, `[[1]]` depth 2.
 * Well below the JSON depth limits of the databases that keep sessions
 * (SQLite's JSON functions stop at 1000, Python's `json` at its recursion limit).
 * @internal
 */
export const MAX_VALUE_DEPTH = 256;

// A UTF-16 surrogate without its other half: not a Unicode character, so not
// valid UTF-8 or JSON text (PostgreSQL refuses it, SQLite replaces it).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be kept, or `undefined` when it can: it must not
 * contain U+0000 (databases end or refuse text there) or a lone surrogate.
 * @internal
 */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "contains U+0000";
  if (LONE_SURROGATE.test(text)) return "contains a lone UTF-16 surrogate";
  return undefined;
}

/**
 * Checks a key the application writes.
 *
 * @throws {TypeError} when it is not a string, or contains U+0000 or a lone surrogate
 * @throws {RangeError} when it starts with `_` (reserved for the library and for Django)
 * @internal
 */
export function checkKey(key: unknown, method: string): asserts key is string {
  if (typeof key !== "string") {
    throw new TypeError(`Session.${method}() needs a string key: received ${quote(key)}`);
  }
  if (key.startsWith("_")) {
    throw new RangeError(`Session keys starting with "_" are reserved for fetch-session: received ${quote(key)}`);
  }
  const problem = textProblem(key);
  if (problem !== undefined) throw new TypeError(`Cannot use the session key ${quote(key)}: it ${problem}`);
}

/**
 * Checks that `value` comes back from JSON as it went in, on every store.
 *
 * @param key the session key it is stored under (named in errors)
 * @param value the value
 * @throws {TypeError} for functions, symbols, bigints, `undefined`, `NaN`,
 *   `Infinity`, cycles, class instances without `toJSON`, and strings or
 *   object keys containing U+0000 or a lone surrogate
 * @throws {RangeError} when it nests deeper than {@linkcode MAX_VALUE_DEPTH}
 * @internal
 */
export function checkValue(key: string, value: unknown): void {
  checkJson(value, key, key, [], 0);
}

function checkJson(value: unknown, key: string, path: string, ancestors: unknown[], depth: number): void {
  switch (typeof value) {
    case "string": {
      const problem = textProblem(value);
      if (problem === undefined) return;
      throw new TypeError(`Cannot store the string at ${path} in session key ${quote(key)}: it ${problem}`);
    }
    case "boolean":
      return;
    case "number":
      if (Number.isFinite(value)) return;
      throw new TypeError(`Cannot store ${value} at ${path} in session key ${quote(key)}: JSON has no ${value}`);
    case "object": {
      if (value === null) return;
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        checkJson(toJSON.call(value, ""), key, path, ancestors, depth);
        return;
      }
      if (ancestors.includes(value)) {
        throw new TypeError(`Cannot store a cycle at ${path} in session key ${quote(key)}`);
      }
      if (depth >= MAX_VALUE_DEPTH) {
        throw new RangeError(`Cannot store the value of session key ${quote(key)}: it nests deeper than ${MAX_VALUE_DEPTH} levels`);
      }
      if (Array.isArray(value)) {
        ancestors.push(value);
        for (let i = 0; i < value.length; i++) checkJson(value[i], key, `${path}[${i}]`, ancestors, depth + 1);
        ancestors.pop();
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? "object";
        throw new TypeError(
          `Cannot store a ${name} at ${path} in session key ${quote(key)}: only plain objects, arrays and values with toJSON() survive JSON`,
        );
      }
      ancestors.push(value);
      for (const k of Object.keys(value)) {
        const problem = textProblem(k);
        if (problem !== undefined) {
          throw new TypeError(`Cannot store the object key ${quote(k)} at ${path} in session key ${quote(key)}: it ${problem}`);
        }
        checkJson((value as Record<string, unknown>)[k], key, `${path}.${k}`, ancestors, depth + 1);
      }
      ancestors.pop();
      return;
    }
    default:
      throw new TypeError(`Cannot store ${typeof value} at ${path} in session key ${quote(key)}: it does not survive JSON`);
  }
}
