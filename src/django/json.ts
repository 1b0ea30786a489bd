/**
 * Django's `JSONSerializer` (`django/core/signing.py`), byte for byte:
 * `json.dumps(obj, separators=(",", ":"))` with Python's defaults, so the
 * output is ASCII (`ensure_ascii`), and numbers are written the way Python
 * writes the `int` or `float` that `json.loads` makes of them.
 *
 * @module
 */

/**
 * Serialises a value as Django's `JSONSerializer().dumps()` does, for the
 * values JSON can carry:
 * - strings: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` as such, every other
 *   code unit outside U+0020-U+007E as `\uXXXX` in lowercase hex (characters
 *   beyond U+FFFF become their two surrogates, as Python writes them);
 * - numbers: safe integers (|n| < 2^53) as integers; every other finite number
 *   in Python's `repr(float)` (`0.1`, `1e-05`, `1e+16`, `9007199254740992.0`);
 * - objects: keys in the object's own order, values as `JSON.stringify` picks
 *   them (`toJSON()` is called; `undefined`, functions and symbols are skipped
 *   in objects and become `null` in arrays);
 * - no whitespace: `,` and `:` separators.
 *
 * @param value the value (session data is a plain object)
 * @returns the JSON text, ASCII only
 * @throws {TypeError} for a bigint, `NaN`, `Infinity` or a cycle
 * @example
 * ```ts
 * djangoJson({ name: "Zoë ✓", ratio: 1e20, n: 1 }); // '{"name":"Zo\\u00eb \\u2713","ratio":1e+20,"n":1}'
 * ```
 */
export function djangoJson(value: unknown): string {
  const out = write(value, "", []);
  if (out === undefined) throw new TypeError(`Cannot serialise ${typeof value} as JSON`);
  return out;
}

function write(input: unknown, key: string, ancestors: object[]): string | undefined {
  let value = input;
  if (typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case "string":
      return quoteString(value);
    case "number":
      return writeNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError("Cannot serialise a bigint as JSON");
    case "object": {
      if (value === null) return "null";
      if (value instanceof Number) return writeNumber(value.valueOf());
      if (value instanceof String) return quoteString(value.valueOf());
      if (value instanceof Boolean) return value.valueOf() ? "true" : "false";
      if (ancestors.includes(value)) throw new TypeError("Cannot serialise a cycle as JSON");
      ancestors.push(value);
      let out: string;
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) items.push(write(value[i], String(i), ancestors) ?? "null");
        out = `[${items.join(",")}]`;
      } else {
        const members: string[] = [];
        for (const k of Object.keys(value)) {
          const item = write((value as Record<string, unknown>)[k], k, ancestors);
          if (item !== undefined) members.push(`${quoteString(k)}:${item}`);
        }
        out = `{${members.join(",")}}`;
      }
      ancestors.pop();
      return out;
    }
    default:
      return undefined; // undefined, functions, symbols: skipped as JSON.stringify skips them
  }
}

const HEX = "0123456789abcdef";
const SHORT: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };

/** Python's `py_encode_basestring_ascii`. */
function quoteString(text: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += text.slice(from, i);
    out += SHORT[c] ?? `\\u${HEX[c >> 12]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
    from = i + 1;
  }
  return out + text.slice(from) + '"';
}

function writeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`Cannot serialise ${n} as JSON`);
  if (Number.isSafeInteger(n)) return String(n); // -0 too: "0"
  return pythonFloatRepr(n);
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (the same digits
 * JavaScript's `String(n)` picks), in fixed notation when the decimal exponent
 * is from -4 to 15 (with `.0` when there is no fraction), else as
 * `d.ddde±XX` with at least two exponent digits.
 *
 * @param n a finite number
 * @returns its Python repr
 */
export function pythonFloatRepr(n: number): string {
  const sign = n < 0 || Object.is(n, -0) ? "-" : "";
  const text = String(Math.abs(n));
  let digits: string;
  let point: number; // the value is 0.digits × 10^point
  const e = text.indexOf("e");
  if (e >= 0) {
    const mantissa = text.slice(0, e);
    digits = mantissa.replace(".", "");
    point = Number(text.slice(e + 1)) + 1;
  } else {
    const dot = text.indexOf(".");
    const whole = dot < 0 ? text : text.slice(0, dot);
    const fraction = dot < 0 ? "" : text.slice(dot + 1);
    if (whole === "0") {
      let zeros = 0;
      while (zeros < fraction.length && fraction[zeros] === "0") zeros++;
      digits = fraction.slice(zeros);
      point = -zeros;
      if (digits === "") return `${sign}0.0`;
    } else {
      digits = whole + fraction;
      point = whole.length;
    }
  }
  digits = digits.replace(/0+$/, "");
  const exponent = point - 1;
  if (exponent >= -4 && exponent < 16) {
    if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const abs = String(Math.abs(exponent)).padStart(2, "0");
  return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${abs}`;
}
