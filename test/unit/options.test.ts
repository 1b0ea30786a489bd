/**
 * src/options.ts: withSession()'s options, checked once when it is called.
 * openSession() goes through the same checks (see open-session.test.ts).
 */
import { describe, expect, test } from "vitest";
import { MemoryStore, withSession, type WithSessionOptions } from "../../mod.ts";

const handler = () => new Response("ok");

describe("withSession() options", () => {
  const typeErrors: [string, unknown, RegExp][] = [
    ["options", 5, /Invalid option options/],
    ["store", { load() {} }, /Invalid option store/],
    ["cookie", "x", /Invalid option cookie: expected an object/],
    ["cookie.name", { cookie: { name: 1 } }, /Invalid option cookie.name/],
    ["cookie.maxAge", { cookie: { maxAge: "1" } }, /Invalid option cookie.maxAge/],
    ["cookie.secure", { cookie: { secure: "yes" } }, /Invalid option cookie.secure/],
    ["cookie.httpOnly", { cookie: { httpOnly: 1 } }, /Invalid option cookie.httpOnly/],
    ["cookie.sameSite", { cookie: { sameSite: true } }, /Invalid option cookie.sameSite/],
    ["cookie.domain", { cookie: { domain: 1 } }, /Invalid option cookie.domain/],
    ["cookie.path", { cookie: { path: 1 } }, /Invalid option cookie.path/],
    ["saveEveryRequest", { saveEveryRequest: "true" }, /Invalid option saveEveryRequest/],
    ["expireAtBrowserClose", { expireAtBrowserClose: 1 }, /Invalid option expireAtBrowserClose/],
    ["refreshAfter", { refreshAfter: "1" }, /Invalid option refreshAfter/],
    ["maxDataBytes", { maxDataBytes: "1" }, /Invalid option maxDataBytes/],
    ["unknown", { cokie: {} }, /Unknown option "cokie"/],
    ["unknown cookie key", { cookie: { maxage: 1 } }, /Unknown option cookie.maxage/],
  ];
  for (const [name, options, message] of typeErrors) {
    test(`withSession() throws TypeError naming ${name}`, () => {
      const opts = name === "options" ? options : name === "store" ? { store: options } : name === "cookie" ? { cookie: options } : options;
      expect(() => withSession(handler, opts as WithSessionOptions)).toThrow(TypeError);
      expect(() => withSession(handler, opts as WithSessionOptions)).toThrow(message);
    });
  }

  const rangeErrors: [string, WithSessionOptions, RegExp][] = [
    ["a negative maxAge", { cookie: { maxAge: -1 } }, /cookie.maxAge.*received -1/],
    ["a fractional maxAge", { cookie: { maxAge: 1.5 } }, /cookie.maxAge/],
    ["an unknown sameSite", { cookie: { sameSite: "Loose" as "Lax" } }, /cookie.sameSite.*"Loose"/],
    ["SameSite=None without secure", { cookie: { sameSite: "None" } }, /"None" requires cookie.secure/],
    ["a cookie name with forbidden characters", { cookie: { name: "sess id;" } }, /cookie.name.*"sess id;"/],
    ["an empty cookie name", { cookie: { name: "" } }, /cookie.name/],
    ["a path without a leading slash", { cookie: { path: "app" } }, /cookie.path/],
    ["a path with a semicolon", { cookie: { path: "/a;b" } }, /cookie.path/],
    ["a bad domain", { cookie: { domain: "exa mple.com" } }, /cookie.domain/],
    ["partitioned without secure", { cookie: { partitioned: true } }, /cookie.partitioned/],
    ["__Secure- without secure", { cookie: { name: "__Secure-id" } }, /__Secure- prefix/],
    ["__Host- without secure", { cookie: { name: "__Host-id" } }, /__Host- prefix/],
    ["__Host- with a domain", { cookie: { name: "__Host-id", secure: true, domain: "example.com" } }, /__Host- prefix/],
    ["__Host- with a path", { cookie: { name: "__Host-id", secure: true, path: "/app" } }, /__Host- prefix/],
    ["a negative refreshAfter", { refreshAfter: -5 }, /refreshAfter/],
    ["a tiny maxDataBytes", { maxDataBytes: 0 }, /maxDataBytes/],
  ];
  for (const [what, options, message] of rangeErrors) {
    test(`withSession() throws RangeError for ${what}`, () => {
      expect(() => withSession(handler, { store: new MemoryStore(), ...options })).toThrow(RangeError);
      expect(() => withSession(handler, { store: new MemoryStore(), ...options })).toThrow(message);
    });
  }

  test("withSession() accepts the valid prefixed names", () => {
    expect(() => withSession(handler, { store: new MemoryStore(), cookie: { name: "__Host-sid", secure: true } })).not.toThrow();
    expect(() => withSession(handler, { store: new MemoryStore(), cookie: { name: "__Secure-sid", secure: true, domain: "example.com" } }))
      .not.toThrow();
  });



});

describe("expiry bounds", () => {
  test("cookie.maxAge above 400 days (34560000 s, the most a browser keeps a cookie) is refused with a RangeError", () => {
    for (const maxAge of [34_560_001, 1e13, Number.MAX_SAFE_INTEGER]) {
      expect(() => withSession(handler, { store: new MemoryStore(), cookie: { maxAge } }), String(maxAge)).toThrow(RangeError);
      expect(() => withSession(handler, { store: new MemoryStore(), cookie: { maxAge } })).toThrow(/cookie.maxAge.*400 days/);
    }
    expect(() => withSession(handler, { store: new MemoryStore(), cookie: { maxAge: 34_560_000 } })).not.toThrow();
  });

  test("options must be a plain object, not an array or null", () => {
    expect(() => withSession(handler, [] as never)).toThrow(TypeError);
    expect(() => withSession(handler, null as never)).toThrow(TypeError);
    expect(() => withSession(handler, { cookie: [] } as never)).toThrow(TypeError);
  });
});
