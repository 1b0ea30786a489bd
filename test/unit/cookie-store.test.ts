import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CookieStore, type SessionRecord } from "../../mod.ts";
import { base64UrlDecode, base64UrlEncode, TimestampSigner } from "../../src/signing.ts";

const SECRET = "cookie-store-secret-0123456789abcdef";
const OLD_SECRET = "an-older-secret-that-was-rotated-out";
const NOW = 1_750_000_000_000;
const DAY = 86_400;
const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:.";

const FAR = Date.now() + 365 * DAY * 1000;
const record = (data: Record<string, unknown> = { user: 42, name: "Zoë" }, expiresAt = FAR): SessionRecord => ({ data, expiresAt });
const at = (ms: number, options: Partial<ConstructorParameters<typeof CookieStore>[0]> = {}) =>
  new CookieStore({ secret: SECRET, ...options, now: () => ms });
/** The value CookieStore signs for a record, whatever its size (a signer with CookieStore's salt and clock). */
const signed = (input: SessionRecord, ms = NOW) =>
  new TimestampSigner({ secret: SECRET, salt: "fetch-session.CookieStore", now: () => ms }).sign(JSON.stringify({ d: input.data, e: input.expiresAt }));

/** Every single-character substitution (over the token alphabet and each bit flip), deletion, truncation and extension. */
function* mutations(value: string): Generator<string> {
  for (let i = 0; i < value.length; i++) {
    const before = value.slice(0, i);
    const after = value.slice(i + 1);
    for (const c of TOKEN_ALPHABET) if (c !== value[i]) yield before + c + after;
    for (let bit = 0; bit < 8; bit++) {
      const c = String.fromCharCode(value.charCodeAt(i) ^ (1 << bit));
      if (!TOKEN_ALPHABET.includes(c)) yield before + c + after;
    }
    yield before + after;
  }
  for (let length = 0; length < value.length; length++) yield value.slice(0, length);
  for (const c of TOKEN_ALPHABET) yield value + c;
}

describe("CookieStore", () => {
  test("CookieStore is a cookie store for withSession", () => {
    expect(new CookieStore({ secret: SECRET }).kind).toBe("cookie");
  });

  test("CookieStore.decode() returns the record encode() produced, expiry included", async () => {
    const store = at(NOW);
    const input = record({ user: 42, cart: [1, 2, { sku: "é🍪" }], nested: { a: null, b: true } });
    const value = await store.encode(input);
    expect(value).toMatch(/^\.?[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}$/);
    expect(await store.decode(value, 14 * DAY)).toEqual(input);
  });

  test("CookieStore.encode() compresses large repetitive sessions only when the cookie gets shorter", async () => {
    const store = at(NOW);
    const big = record({ cart: Array(80).fill({ sku: "widget", qty: 1 }) });
    const compressed = await store.encode(big);
    expect(compressed.startsWith(".")).toBe(true);
    const uncompressed = await at(NOW).encode(record({ user: 1 }));
    expect(uncompressed.startsWith(".")).toBe(false);
    const plainBody = base64UrlEncode(new TextEncoder().encode(JSON.stringify({ d: big.data, e: big.expiresAt })));
    expect(compressed.split(":")[0]!.length).toBeLessThan(plainBody.length);
    expect(await store.decode(compressed, DAY)).toEqual(big);
  });

  test("CookieStore.decode() returns null once the record's expiresAt has passed", async () => {
    const value = await at(NOW).encode(record({ a: 1 }, NOW + 60_000));
    expect(await at(NOW + 59_999).decode(value, DAY)).toEqual(record({ a: 1 }, NOW + 60_000));
    expect(await at(NOW + 60_000).decode(value, DAY)).toBeNull();
    expect(await at(NOW + 3_600_000).decode(value, DAY)).toBeNull();
  });

  test("CookieStore.decode() returns null when the cookie was signed longer ago than maxAge", async () => {
    const value = await at(NOW).encode(record({ a: 1 }, NOW + 365 * DAY * 1000));
    expect(await at(NOW + 3_600_000).decode(value, 3600)).not.toBeNull();
    expect(await at(NOW + 3_601_000).decode(value, 3600)).toBeNull();
  });

  test("CookieStore.encode() encodes an already expired record, which then decodes to null", async () => {
    const value = await at(NOW).encode(record({ a: 1 }, NOW - 1000));
    expect(typeof value).toBe("string");
    expect(await at(NOW).decode(value, DAY)).toBeNull();
  });

  test("CookieStore verifies cookies of an old secret after rotation, and not once it is removed", async () => {
    const old = await new CookieStore({ secret: OLD_SECRET }).encode(record());
    expect(await new CookieStore({ secret: [SECRET, OLD_SECRET] }).decode(old, DAY)).toEqual(record());
    expect(await new CookieStore({ secret: [SECRET] }).decode(old, DAY)).toBeNull();
    const rotated = await new CookieStore({ secret: [SECRET, OLD_SECRET] }).encode(record());
    expect(await new CookieStore({ secret: SECRET }).decode(rotated, DAY)).toEqual(record()); // the first secret signs
    expect(await new CookieStore({ secret: OLD_SECRET }).decode(rotated, DAY)).toBeNull();
  });

  test("CookieStore with encrypt verifies cookies of an old secret after rotation, and not once it is removed", async () => {
    const old = await new CookieStore({ secret: OLD_SECRET, encrypt: true }).encode(record());
    expect(await new CookieStore({ secret: [SECRET, OLD_SECRET], encrypt: true }).decode(old, DAY)).toEqual(record());
    expect(await new CookieStore({ secret: SECRET, encrypt: true }).decode(old, DAY)).toBeNull();
  });

  test("CookieStore.decode() rejects a cookie signed under another salt", async () => {
    const value = await new CookieStore({ secret: SECRET, salt: "app-one" }).encode(record());
    expect(await new CookieStore({ secret: SECRET, salt: "app-two" }).decode(value, DAY)).toBeNull();
    expect(await new CookieStore({ secret: SECRET }).decode(value, DAY)).toBeNull();
    expect(await new CookieStore({ secret: SECRET, salt: "app-one" }).decode(value, DAY)).toEqual(record());
  });

  for (const [kind, encrypt] of [["a signed", false], ["an encrypted", true]] as const) {
    test(`CookieStore.decode() rejects every single-character change, deletion, truncation and extension of ${kind} cookie`, async () => {
      const store = new CookieStore({ secret: [SECRET, OLD_SECRET], encrypt });
      const value = await store.encode(record({ user: 1, role: "admin" }));
      let tried = 0;
      const accepted: string[] = [];
      for (const forged of mutations(value)) {
        tried++;
        if ((await store.decode(forged, DAY)) !== null) accepted.push(forged);
      }
      expect(tried).toBeGreaterThan(value.length * 70);
      expect(accepted).toEqual([]);
    });
  }

  test("CookieStore without encrypt keeps the data readable, and with encrypt unreadable", async () => {
    const data = { card_last4: "4242", email: "someone@example.com" };
    const readable = await new CookieStore({ secret: SECRET }).encode(record(data));
    const body = new TextDecoder().decode(base64UrlDecode(readable.split(":")[0]!)!);
    expect(body).toContain("someone@example.com"); // signed, not encrypted: as Django documents

    const store = new CookieStore({ secret: SECRET, encrypt: true });
    const sealed = await store.encode(record(data));
    const bytes = base64UrlDecode(sealed.split(":")[0]!)!;
    const latin1 = new TextDecoder("latin1").decode(bytes);
    for (const text of ["4242", "someone", "example.com", "card_last4", '"d"', '"e"']) {
      expect(latin1).not.toContain(text);
      expect(sealed).not.toContain(text);
    }
    expect(sealed).not.toContain(base64UrlEncode(new TextEncoder().encode('{"d":')));
    expect(await store.encode(record(data))).not.toBe(sealed); // a fresh IV every time
    expect(await store.decode(sealed, DAY)).toEqual(record(data));
  });

  test("CookieStore with and without encrypt do not accept each other's cookies", async () => {
    const plain = new CookieStore({ secret: SECRET });
    const sealed = new CookieStore({ secret: SECRET, encrypt: true });
    expect(await sealed.decode(await plain.encode(record()), DAY)).toBeNull();
    expect(await plain.decode(await sealed.encode(record()), DAY)).toBeNull();
  });

  test("CookieStore.encode() throws a RangeError giving the size when the cookie would pass 4096 bytes", async () => {
    const store = at(NOW);
    const random = base64UrlEncode(crypto.getRandomValues(new Uint8Array(3600)));
    const error = await store.encode(record({ blob: random })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Cannot store the session in a cookie: "sessionid" would be (\d+) bytes \(name and value\), over the 4096-byte limit of browsers/);
    const size = Number(/would be (\d+) bytes/.exec(message)![1]);
    expect(size).toBeGreaterThan(4096);
    // The size is the real one: name plus the value the same signer produces.
    const value = await signed(record({ blob: random }));
    expect(size).toBe("sessionid".length + value.length);
  });

  test("CookieStore.encode() counts the cookie name and accepts a cookie of exactly maxCookieBytes", async () => {
    const data = { blob: "x1y2z3".repeat(30) };
    const value = await at(NOW).encode(record(data), "__Host-session");
    const exact = "__Host-session".length + value.length;
    expect(await at(NOW, { maxCookieBytes: exact }).encode(record(data), "__Host-session")).toBe(value);
    await expect(at(NOW, { maxCookieBytes: exact - 1 }).encode(record(data), "__Host-session")).rejects.toThrow(
      new RegExp(`"__Host-session" would be ${exact} bytes \\(name and value\\), over the ${exact - 1}-byte limit`),
    );
    await expect(at(NOW, { maxCookieBytes: exact }).encode(record(data), "__Host-session-longer")).rejects.toThrow(RangeError);
  });

  test("CookieStore.decode() ignores a value longer than maxCookieBytes", async () => {
    const big = await signed(record({ blob: base64UrlEncode(crypto.getRandomValues(new Uint8Array(4000))) }));
    expect(big.length).toBeGreaterThan(4096);
    expect(await at(NOW).decode(big, DAY)).toBeNull();
    const medium = await signed(record({ blob: base64UrlEncode(crypto.getRandomValues(new Uint8Array(600))) }));
    expect(medium.length).toBeGreaterThan(500);
    expect(await at(NOW).decode(medium, DAY)).not.toBeNull();
    expect(await at(NOW, { maxCookieBytes: 500 }).decode(medium, DAY)).toBeNull();
  });

  test("new CookieStore() refuses maxCookieBytes above 4096 with a RangeError: browsers keep no larger cookie and withSession would ignore it", () => {
    expect(() => new CookieStore({ secret: SECRET, maxCookieBytes: 8192 })).toThrow(RangeError);
    expect(() => new CookieStore({ secret: SECRET, maxCookieBytes: 4097 })).toThrow(/maxCookieBytes.*from 1 to 4096/);
    expect(() => new CookieStore({ secret: SECRET, maxCookieBytes: 4096 })).not.toThrow();
  });

  test("CookieStore.decode() returns null for validly signed payloads of the wrong shape", async () => {
    const signer = new TimestampSigner({ secret: SECRET, salt: "fetch-session.CookieStore", now: () => NOW });
    const store = at(NOW);
    for (const payload of ["not json", "null", "[]", "42", '"x"', "{}", '{"d":{}}', '{"e":1e20}', '{"d":[],"e":1e20}',
      '{"d":null,"e":1e20}', '{"d":"x","e":1e20}', '{"d":{},"e":"1e20"}', '{"d":{},"e":null}', '{"d":{}, "e":1e400}']) {
      expect(await store.decode(await signer.sign(payload), DAY)).toBeNull();
    }
    expect(await store.decode(await signer.sign('{"d":{"ok":1},"e":1e20}'), DAY)).toEqual({ data: { ok: 1 }, expiresAt: 1e20 });
    // "__proto__" in the data stays an ordinary key, never a prototype.
    const decoded = await store.decode(await signer.sign('{"d":{"__proto__":{"admin":true}},"e":1e20}'), DAY);
    expect(Object.getPrototypeOf(decoded!.data)).toBe(Object.prototype);
    expect((decoded!.data as { admin?: unknown }).admin).toBeUndefined();
  });

  test("CookieStore.decode() never throws and returns null for arbitrary values", async () => {
    const store = new CookieStore({ secret: SECRET });
    for (const odd of [undefined, null, 1, {}, "", ":", "..", "a:b:c", "\u0000", "x".repeat(10_000)]) {
      expect(await store.decode(odd as string, DAY)).toBeNull();
    }
    expect(await store.decode(await store.encode(record()), Number.NaN)).toEqual(record()); // NaN: no age check
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 500 }), fc.integer(), async (value, maxAge) => {
        expect(await store.decode(value, maxAge)).toBeNull();
      }),
      { numRuns: 400 },
    );
  });

  test("new CookieStore() refuses secrets shorter than 32 bytes with a RangeError naming secret", () => {
    expect(() => new CookieStore({ secret: "short" })).toThrow(RangeError);
    expect(() => new CookieStore({ secret: "short" })).toThrow(/^Cannot use secret as it is 5 bytes long/);
    expect(() => new CookieStore({ secret: [SECRET, "x".repeat(31)] })).toThrow(/secret\[1\] as it is 31 bytes long/);
    expect(() => new CookieStore({ secret: "x".repeat(32) })).not.toThrow();
  });

  test("new CookieStore() throws TypeError for an empty secret list and wrong option types", () => {
    expect(() => new CookieStore({ secret: [] })).toThrow(TypeError);
    expect(() => new CookieStore({ secret: [] })).toThrow(/secret/);
    expect(() => new CookieStore({} as { secret: string })).toThrow(TypeError);
    expect(() => new CookieStore(undefined as unknown as { secret: string })).toThrow(TypeError);
    expect(() => new CookieStore({ secret: SECRET, maxCookieBytes: "4k" as unknown as number })).toThrow(TypeError);
    expect(() => new CookieStore({ secret: SECRET, maxCookieBytes: 0 })).toThrow(RangeError);
    expect(() => new CookieStore({ secret: SECRET, maxCookieBytes: 1.5 })).toThrow(/maxCookieBytes.*1\.5/);
    expect(() => new CookieStore({ secret: SECRET, encrypt: 1 as unknown as boolean })).toThrow(TypeError);
  });
});
