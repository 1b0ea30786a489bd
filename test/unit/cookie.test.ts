/**
 * src/cookie.ts: reading the session cookie and writing Set-Cookie values.
 */
import { describe, expect, test } from "vitest";
import { parse } from "cookie-es";
import { type CookieAttributes, MAX_COOKIE_HEADER_LENGTH, readCookie, serializeCookie, serializeExpiredCookie } from "../../src/cookie.ts";
import { parseSetCookie } from "../helpers/http.ts";

const attributes: CookieAttributes = Object.freeze({
  name: "sessionid",
  domain: undefined,
  path: "/",
  secure: true,
  httpOnly: true,
  sameSite: "lax",
  partitioned: false,
});

describe("serializeCookie()", () => {
  test("serializeCookie() gives the library's attributes, per value and maxAge, within one cached second", async () => {
    const attributes = { name: "sid", domain: "example.com", path: "/", secure: true, httpOnly: true, sameSite: "lax" as const, partitioned: false };
    const now = Date.parse("2026-01-01T00:00:00.250Z");
    const a = serializeCookie(attributes, "a".repeat(32), 60, now);
    const b = serializeCookie(attributes, "b".repeat(32), 60, now + 500);
    const c = serializeCookie(attributes, "c".repeat(32), 10, now + 600);
    const d = serializeCookie(attributes, "d".repeat(32), undefined, now + 700);
    expect(a).toBe(`sid=${"a".repeat(32)}; Max-Age=60; Domain=example.com; Path=/; Expires=Thu, 01 Jan 2026 00:01:00 GMT; HttpOnly; Secure; SameSite=Lax`);
    expect(b).toBe(a.replace("a".repeat(32), "b".repeat(32)));
    expect(c).toMatch(/; Max-Age=10; .*Expires=Thu, 01 Jan 2026 00:00:10 GMT/);
    expect(d).toBe(`sid=${"d".repeat(32)}; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax`);
    const later = serializeCookie(attributes, "e".repeat(32), 60, now + 2000);
    expect(later).toMatch(/Expires=Thu, 01 Jan 2026 00:01:02 GMT/);
  });

  test("Max-Age and Expires agree, up to the 400-day cap browsers apply, even when asked for more", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0, 500);
    for (const maxAge of [0, 1, 3600, 34_560_000, 34_560_001, 63_072_000]) {
      const cookie = parseSetCookie(serializeCookie({ ...attributes }, "k", maxAge, now));
      const expected = Math.min(maxAge, 34_560_000);
      expect(cookie.maxAge).toBe(expected);
      expect(cookie.expires!.getTime()).toBe(Math.floor(now / 1000) * 1000 + expected * 1000);
    }
  });

  test("a cookie for the browser session has neither Max-Age nor Expires", () => {
    const cookie = parseSetCookie(serializeCookie(attributes, "k", undefined, Date.now()));
    expect(cookie.maxAge).toBeUndefined();
    expect(cookie.expires).toBeUndefined();
    expect(cookie.value).toBe("k");
  });
});

describe("serializeExpiredCookie()", () => {
  test("expires the cookie with Max-Age=0 and the epoch, keeping the attributes", () => {
    const header = serializeExpiredCookie(attributes);
    expect(header).toBe("sessionid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax");
  });
});

describe("readCookie()", () => {
  test("finds the cookie among others, raw (not URI-decoded)", () => {
    expect(readCookie("a=1; sessionid=abc%20; b=2", "sessionid")).toBe("abc%20");
    expect(readCookie("a=1", "sessionid")).toBeUndefined();
    expect(readCookie(null, "sessionid")).toBeUndefined();
  });

  test("gives what cookie-es's parser gives (first pair wins, spaces and tabs trimmed) on 20,000 random headers", () => {
    // readCookie answers the common case without the parser; this compares it with the parser everywhere else too.
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ["sessionid", "session", "id", "=", ";", " ", "\t", "a", "x=1", "sessionid=", "%20", '"q"', ";sessionid", "=="];
    const names = ["sessionid", "id", "s"];
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      let header = "";
      const length = 1 + random(8);
      for (let j = 0; j < length; j++) header += pieces[random(pieces.length)];
      if (random(3) === 0) header = `sessionid=${"k".repeat(random(40))}${header}`;
      const name = names[random(names.length)]!;
      const expected = header.includes(name) ? parse(header, { decode: (v) => v, filter: (key) => key === name })[name] : undefined;
      expect(readCookie(header, name), JSON.stringify({ header, name })).toBe(expected);
      if (header.indexOf(name) === header.lastIndexOf(name)) fast++;
    }
    expect(fast).toBeGreaterThan(2_000);
  });

  test("ignores an oversized header and treats an oversized value as empty", () => {
    expect(readCookie(`sessionid=x; pad=${"p".repeat(MAX_COOKIE_HEADER_LENGTH)}`, "sessionid")).toBeUndefined();
    expect(readCookie(`sessionid=${"v".repeat(4097)}`, "sessionid")).toBe("");
    expect(readCookie(`sessionid=${"v".repeat(4096)}`, "sessionid")).toBe("v".repeat(4096));
  });
});
