/**
 * `parseJson`: `JSON.parse` without a V8 bug that renames object keys.
 *
 * The bug (seen in Node 24.21, Deno 2.9.6 with V8 15.0, and workerd; not in
 * Node 20 or Bun): when an object of a shape V8 has already seen is parsed,
 * V8 takes the key an earlier object had at the same place when that key's
 * characters equal the same number of characters of the new key's JSON
 * text, escapes still undecoded. (In V8's source, `JSDataObjectBuilder`
 * passes `GetKeyChars(key)` to `TransitionsAccessor::ExpectedTransition`;
 * `GetKeyChars` cuts the raw JSON text at the decoded key's length,
 * src/json/json-parser.h.) A key written with an escape is longer in the
 * text than its value, so it is taken for the earlier key whenever that
 * earlier key holds a backslash and equals the beginning of the new key's
 * text. Whether it happens also depends on what else the process parsed
 * before (the layouts V8 keeps), so a repro needs a fresh process. After
 * `JSON.parse('{"a":1,"\\\\":1}')` (the key is one backslash),
 * `JSON.parse('{"a":1,"\\t":2}')` has the keys `a` and `\` instead of `a`
 * and a tab; after the key `a\`, the key `a\n` (text `"a\n"`) becomes `a\`;
 * after the key `\u00`, the key `ABCD` written `"\u0041\u0042\u0043\u0044"`
 * becomes `\u00`. Nested objects and arrays of objects are hit alike.
 *
 * Only a key whose text holds an escape can be misread (the comparison is
 * exact for a key written without one), so `parseJson` hands every text
 * without such a key to `JSON.parse` (the check is one `indexOf` when the
 * text holds no backslash) and parses the rest itself, with `JSON.parse`'s
 * grammar and results.
 *
 * @module
 */

/**
 * Parses JSON text as `JSON.parse(text)` does (same values, same key order,
 * same `SyntaxError` for bad text), immune to the V8 key-renaming bug.
 *
 * @param text JSON text
 * @returns the value
 * @throws SyntaxError when the text is not JSON
 * @example
 * ```ts
 * parseJson('{"a":1,"\\t":2}'); // { a: 1, "\t": 2 }, whatever was parsed before
 * ```
 */
export function parseJson(text: string): unknown {
  return hasEscapedKey(text) ? parseJsonText(text) : JSON.parse(text);
}

/**
 * Whether the JSON text has an object key written with an escape, the only
 * kind `JSON.parse` may misread. One `indexOf` when the text holds no
 * backslash. Otherwise, as a backslash occurs only inside strings in JSON,
 * it jumps from escape to escape (`indexOf`), finds the end of each string
 * that holds one, and looks for the `:` that makes it a key: time linear in
 * the text's length, and nothing spent on strings without escapes. Text that
 * is not JSON may give either answer: `JSON.parse` and the parser behind
 * `parseJson` refuse it alike.
 *
 * @param text JSON text
 * @returns `true` when `parseJson` parses the text itself
 */
export function hasEscapedKey(text: string): boolean {
  let slash = text.indexOf("\\");
  while (slash !== -1) {
    // `slash` starts an escape; the string holding it ends at the first quote that no escape takes.
    let close = text.indexOf('"', slash + 2);
    let next = text.indexOf("\\", slash + 2);
    while (next !== -1 && next < close) {
      close = text.indexOf('"', next + 2);
      next = text.indexOf("\\", next + 2);
    }
    if (close === -1) return false;
    let i = close + 1;
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++i);
    if (c === 0x3a) return true;
    // The next backslash after the string's end starts an escape in a later string.
    slash = next;
  }
  return false;
}

/** Parses a JSON text without JSON.parse, iteratively (any depth). Exported for tests. */
export function parseJsonText(text: string): unknown {
  const n = text.length;
  let i = 0;
  /** Open objects and arrays, innermost last; for an object, the key its next value goes to. */
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const keys: string[] = [];

  const fail = (what: string): never => {
    throw new SyntaxError(
      i >= n ? `Unexpected end of JSON input (${what})` : `Unexpected ${JSON.stringify(text[i])} in JSON at position ${i} (${what})`,
    );
  };
  const skip = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      i++;
    }
  };
  const string = (): string => {
    // text[i] is the opening quote
    i++;
    let out = "";
    let start = i;
    for (;;) {
      if (i >= n) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      i++;
      const e = text.charCodeAt(i);
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += "\\"; break;
        case 0x2f: out += "/"; break;
        case 0x62: out += "\b"; break;
        case 0x66: out += "\f"; break;
        case 0x6e: out += "\n"; break;
        case 0x72: out += "\r"; break;
        case 0x74: out += "\t"; break;
        case 0x75: {
          const hex = text.slice(i + 1, i + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            i++;
            fail("bad \\u escape");
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          fail("bad escape");
      }
      i++;
      start = i;
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const put = (value: unknown): void => {
    const top = containers[containers.length - 1]!;
    if (Array.isArray(top)) top.push(value);
    // JSON.parse defines each member (a "__proto__" key is an own property; last duplicate wins, first place kept).
    else Object.defineProperty(top, keys[keys.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
  };
  /** After "{" or ",": a key, ":", and leaves i at the value. */
  const memberKey = (): void => {
    skip();
    if (text.charCodeAt(i) !== 0x22) fail("expected a property name");
    keys[keys.length - 1] = string();
    skip();
    if (text.charCodeAt(i) !== 0x3a) fail("expected ':'");
    i++;
  };

  let value: unknown;
  for (;;) {
    // A value starts at i (after optional whitespace).
    skip();
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      i++;
      skip();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        value = {};
      } else {
        containers.push({});
        keys.push("");
        memberKey();
        continue;
      }
    } else if (c === 0x5b) {
      i++;
      skip();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        value = [];
      } else {
        containers.push([]);
        continue;
      }
    } else if (c === 0x22) {
      value = string();
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) {
        i++;
        return fail("bad number");
      }
      value = Number(m[0]);
      i += m[0].length;
    } else if (text.startsWith("true", i)) {
      value = true;
      i += 4;
    } else if (text.startsWith("false", i)) {
      value = false;
      i += 5;
    } else if (text.startsWith("null", i)) {
      value = null;
      i += 4;
    } else {
      fail("expected a value");
    }
    // A value is complete: close every container it completes.
    for (;;) {
      if (containers.length === 0) {
        skip();
        if (i < n) fail("unexpected text after JSON");
        return value;
      }
      put(value);
      skip();
      const top = containers[containers.length - 1]!;
      const d = text.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (!Array.isArray(top)) memberKey();
        break;
      }
      if (Array.isArray(top) ? d === 0x5d : d === 0x7d) {
        i++;
        containers.pop();
        if (!Array.isArray(top)) keys.pop();
        value = top;
        continue;
      }
      fail(Array.isArray(top) ? "expected ',' or ']'" : "expected ',' or '}'");
    }
  }
}
