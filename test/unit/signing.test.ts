import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { base64UrlDecode, base64UrlEncode, COMPRESS_MIN_BYTES, TimestampSigner } from "../../src/signing.ts";

const SECRET = "s".repeat(16) + "0123456789abcdef"; // 32 bytes
const OLD_SECRET = "old-secret-0123456789abcdefghijklmnop";
const NOW = 1_700_000_000_000;
const clock = (ms = NOW) => () => ms;
/** Every character a token may contain. */
const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:.";
const encoder = new TextEncoder();

/** Every single-character change of `token`: each position replaced by every other token character and by each bit flip of its code. */
function* mutations(token: string): Generator<string> {
  for (let i = 0; i < token.length; i++) {
    const before = token.slice(0, i);
    const after = token.slice(i + 1);
    for (const c of TOKEN_ALPHABET) if (c !== token[i]) yield before + c + after;
    for (let bit = 0; bit < 8; bit++) {
      const c = String.fromCharCode(token.charCodeAt(i) ^ (1 << bit));
      if (!TOKEN_ALPHABET.includes(c)) yield before + c + after;
    }
    yield before + after; // deletion
  }
  for (let length = 0; length < token.length; length++) yield token.slice(0, length); // truncation
  for (const c of TOKEN_ALPHABET) yield token + c; // extension
}

async function acceptedForgeries(signer: TimestampSigner, token: string): Promise<{ tried: number; accepted: string[] }> {
  const accepted: string[] = [];
  let tried = 0;
  for (const forged of mutations(token)) {
    tried++;
    if ((await signer.unsign(forged)) !== null) accepted.push(forged);
  }
  return { tried, accepted };
}

/** Signs `value` by hand with the documented key derivation: HMAC-SHA-256 keyed by SHA-256(salt + "signer" + secret). */
async function handSign(value: string, salt: string, secret: string): Promise<string> {
  const raw = await crypto.subtle.digest("SHA-256", encoder.encode(salt + "signer" + secret));
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(value)));
  return `${value}:${base64UrlEncode(mac)}`;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("TimestampSigner", () => {
  test("TimestampSigner.unsign() returns what sign() signed", async () => {
    const signer = new TimestampSigner({ secret: SECRET });
    for (const payload of ["", "hello", '{"a":1}', "ünïcødé ✓ 🍪", "x".repeat(5000), "\u0000\n;=,\""]) {
      expect(await signer.unsign(await signer.sign(payload))).toBe(payload);
    }
  });

  test("TimestampSigner.sign() produces [.]payload:timestamp:mac of cookie-safe characters", async () => {
    const signer = new TimestampSigner({ secret: SECRET, now: clock() });
    const token = await signer.sign('{"user":42}');
    expect(token).toMatch(/^[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}$/);
    expect(token.split(":")[1]).toBe("1r31eq"); // base 62 of 1_700_000_000
  });

  test("TimestampSigner reads and writes Django's own signed tokens (same salt and secret)", async () => {
    // Produced by a re-implementation of django.core.signing.dumps(obj, compress=True) in Python
    // (hashlib/hmac/zlib, SHA-256, timestamp 1700000000): an independent check of the format and key derivation.
    const secret = "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz";
    const salt = "django.contrib.sessions.backends.signed_cookies";
    const signer = new TimestampSigner({ secret, salt, now: clock() });
    const plain = "eyJfYXV0aF91c2VyX2lkIjoiMSIsImNhcnQiOlsxLDIsM119:1r31eq:Y4U0jAIW6WVGBkvwoYjRXu61yvALi7qSZhDch2dJ0Ak";
    expect(await signer.unsign(plain, 60)).toBe('{"_auth_user_id":"1","cart":[1,2,3]}');
    expect(await signer.sign('{"_auth_user_id":"1","cart":[1,2,3]}')).toBe(plain);
    const compressed = ".eJyrVsosSc0tVrKKVqqAAyWdUc5I5cTWAgDQBNEl:1r31eq:GL23PXFSF7rSi3boGLrT4CAhuHobQdjHai0B-elSPsM";
    expect(await signer.unsign(compressed, 60)).toBe(JSON.stringify({ items: Array(40).fill("x".repeat(10)) }));
  });

  test("TimestampSigner derives the HMAC key as SHA-256(salt + 'signer' + secret)", async () => {
    const signer = new TimestampSigner({ secret: SECRET, salt: "my-salt" });
    expect(await signer.unsign(await handSign("aGk:1r31eq", "my-salt", SECRET))).toBe("hi");
    expect(await signer.unsign(await handSign("aGk:1r31eq", "other-salt", SECRET))).toBeNull();
  });

  test("TimestampSigner.sign() compresses only when that makes the token shorter", async () => {
    const signer = new TimestampSigner({ secret: SECRET, now: clock() });
    const plainLength = (payload: string) => base64UrlEncode(encoder.encode(payload)).length;

    const repetitive = JSON.stringify({ items: Array(100).fill("the same words again") });
    const compressed = await signer.sign(repetitive);
    expect(compressed.startsWith(".")).toBe(true);
    expect(compressed.split(":")[0]!.length).toBeLessThan(plainLength(repetitive));
    expect(await signer.unsign(compressed)).toBe(repetitive);

    // For any payload: the token carries the shorter of the two forms (above the size threshold).
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", minLength: COMPRESS_MIN_BYTES, maxLength: 1500 }),
          fc.string({ unit: "grapheme-ascii", minLength: COMPRESS_MIN_BYTES, maxLength: 1500 }),
          fc.array(fc.constantFrom("ab", "cd", "ef", "\u00e9", "\u{1F36A}"), { minLength: 200, maxLength: 600 }).map((a) => a.join("")),
        ),
        async (payload) => {
          const body = (await signer.sign(payload)).split(":")[0]!;
          const plain = plainLength(payload);
          const deflated = 1 + base64UrlEncode(await deflate(encoder.encode(payload))).length;
          expect(body.length).toBe(Math.min(plain, deflated));
          expect(body.startsWith(".")).toBe(deflated < plain);
          expect(await signer.unsign(await signer.sign(payload))).toBe(payload);
        },
      ),
      { numRuns: 60 },
    );

    // Short payloads are never compressed, even when deflate would win a few bytes.
    const short = "a".repeat(COMPRESS_MIN_BYTES - 1);
    expect((await signer.sign(short)).startsWith(".")).toBe(false);
    expect((await new TimestampSigner({ secret: SECRET, compress: false }).sign(repetitive)).startsWith(".")).toBe(false);
  });

  test("TimestampSigner.unsign() rejects a token whose compression mark was added or removed", async () => {
    const signer = new TimestampSigner({ secret: SECRET });
    const compressed = await signer.sign("z".repeat(1000));
    expect(compressed.startsWith(".")).toBe(true);
    expect(await signer.unsign(compressed.slice(1))).toBeNull();
    const plain = await signer.sign("short");
    expect(await signer.unsign("." + plain)).toBeNull();
  });

  test("TimestampSigner verifies tokens of an old secret after rotation, and not once it is removed", async () => {
    const before = new TimestampSigner({ secret: OLD_SECRET });
    const rotated = new TimestampSigner({ secret: [SECRET, OLD_SECRET] });
    const after = new TimestampSigner({ secret: [SECRET] });
    const oldToken = await before.sign("old");
    expect(await rotated.unsign(oldToken)).toBe("old");
    expect(await after.unsign(oldToken)).toBeNull();
    const newToken = await rotated.sign("new");
    expect(await after.unsign(newToken)).toBe("new"); // the first secret signs
    expect(await before.unsign(newToken)).toBeNull();
  });

  test("TimestampSigner.unsign() rejects a token older than maxAge", async () => {
    const token = await new TimestampSigner({ secret: SECRET, now: clock() }).sign("p");
    const at = (ms: number) => new TimestampSigner({ secret: SECRET, now: clock(ms) });
    expect(await at(NOW + 60_000).unsign(token, 60)).toBe("p");
    expect(await at(NOW + 60_999).unsign(token, 60)).toBeNull();
    expect(await at(NOW + 61_000).unsign(token, 60)).toBeNull();
    expect(await at(NOW + 10 * 365 * 86_400_000).unsign(token)).toBe("p"); // no maxAge: no age check
    expect(await at(NOW).unsign(token, 0)).toBe("p");
  });

  test("TimestampSigner.unsign() rejects a token signed under another salt", async () => {
    const token = await new TimestampSigner({ secret: SECRET, salt: "a" }).sign("p");
    expect(await new TimestampSigner({ secret: SECRET, salt: "b" }).unsign(token)).toBeNull();
    expect(await new TimestampSigner({ secret: SECRET }).unsign(token)).toBeNull();
    expect(await new TimestampSigner({ secret: SECRET, salt: "a" }).unsign(token)).toBe("p");
  });

  test("TimestampSigner.unsign() rejects every single-character change, deletion, truncation and extension of a signed token", async () => {
    const signer = new TimestampSigner({ secret: [SECRET, OLD_SECRET] });
    const token = await signer.sign(JSON.stringify({ d: { user: 1, role: "admin" }, e: NOW }));
    const { tried, accepted } = await acceptedForgeries(signer, token);
    expect(tried).toBeGreaterThan(token.length * 70);
    expect(accepted).toEqual([]);
  });

  test("TimestampSigner.unsign() rejects every single-character change, deletion, truncation and extension of a compressed token", async () => {
    const signer = new TimestampSigner({ secret: SECRET });
    const token = await signer.sign(JSON.stringify({ d: { cart: Array(60).fill("item") }, e: NOW }));
    expect(token.startsWith(".")).toBe(true);
    const { tried, accepted } = await acceptedForgeries(signer, token);
    expect(tried).toBeGreaterThan(token.length * 70);
    expect(accepted).toEqual([]);
  });

  test("TimestampSigner.unsign() rejects every single-character change, deletion, truncation and extension of an encrypted token", async () => {
    const signer = new TimestampSigner({ secret: [SECRET, OLD_SECRET], encrypt: true });
    const token = await signer.sign(JSON.stringify({ d: { user: 1 }, e: NOW }));
    const { tried, accepted } = await acceptedForgeries(signer, token);
    expect(tried).toBeGreaterThan(token.length * 70);
    expect(accepted).toEqual([]);
  });

  test("TimestampSigner with encrypt hides the payload and uses a fresh IV for every token", async () => {
    const signer = new TimestampSigner({ secret: SECRET, encrypt: true });
    const payload = JSON.stringify({ secret_note: "launch codes 0000", padding: "z".repeat(400) });
    const a = await signer.sign(payload);
    const b = await signer.sign(payload);
    expect(a).not.toBe(b);
    expect(a.startsWith(".")).toBe(false); // never compressed
    for (const token of [a, b]) {
      const body = base64UrlDecode(token.split(":")[0]!)!;
      const text = new TextDecoder("latin1").decode(body);
      expect(text).not.toContain("launch codes");
      expect(text).not.toContain("zzzz");
      expect(token).not.toContain(base64UrlEncode(encoder.encode("launch codes")).slice(0, 12));
      expect(body.length).toBe(12 + encoder.encode(payload).length + 16); // IV + ciphertext + tag
      expect(await signer.unsign(token)).toBe(payload);
    }
  });

  test("TimestampSigner with encrypt opens tokens sealed under an old secret after rotation", async () => {
    const token = await new TimestampSigner({ secret: OLD_SECRET, encrypt: true }).sign("sealed");
    expect(await new TimestampSigner({ secret: [SECRET, OLD_SECRET], encrypt: true }).unsign(token)).toBe("sealed");
    expect(await new TimestampSigner({ secret: SECRET, encrypt: true }).unsign(token)).toBeNull();
  });

  test("TimestampSigner with encrypt rejects plain tokens with a valid MAC, and the reverse", async () => {
    const plainSigner = new TimestampSigner({ secret: SECRET });
    const sealingSigner = new TimestampSigner({ secret: SECRET, encrypt: true });
    expect(await sealingSigner.unsign(await plainSigner.sign('{"a":1}'))).toBeNull();
    expect(await sealingSigner.unsign(await plainSigner.sign("q".repeat(2000)))).toBeNull(); // compressed
    expect(await plainSigner.unsign(await sealingSigner.sign('{"a":1}'))).not.toBe('{"a":1}');
  });

  test("TimestampSigner.unsign() rejects a correctly signed deflate bomb and corrupt deflate data", async () => {
    const salt = "fetch-session.signing";
    const bomb = await deflate(new Uint8Array(2 << 20)); // 2 MiB of zeros
    const signer = new TimestampSigner({ secret: SECRET });
    expect(await signer.unsign(await handSign(`.${base64UrlEncode(bomb)}:1r31eq`, salt, SECRET))).toBeNull();
    const fine = await deflate(encoder.encode("fine"));
    expect(await signer.unsign(await handSign(`.${base64UrlEncode(fine)}:1r31eq`, salt, SECRET))).toBe("fine");
    const corrupt = fine.slice(0, -3);
    expect(await signer.unsign(await handSign(`.${base64UrlEncode(corrupt)}:1r31eq`, salt, SECRET))).toBeNull();
    // Invalid UTF-8 under a valid MAC.
    expect(await signer.unsign(await handSign(`${base64UrlEncode(new Uint8Array([0xff, 0xfe]))}:1r31eq`, salt, SECRET))).toBeNull();
    // A timestamp longer than 8 base-62 digits.
    expect(await signer.unsign(await handSign("aGk:100000000", salt, SECRET))).toBeNull();
  });

  test("TimestampSigner.unsign() returns null for arbitrary input and never throws", async () => {
    const signer = new TimestampSigner({ secret: SECRET });
    const odd: unknown[] = ["", ":", "::", ":::", ".", ".:", "a:b:c", ":".repeat(1000), "x".repeat(100_000),
      "\uD800:\uDC00:" + "A".repeat(43), "aGk:1r31eq:" + "A".repeat(43), "aGk:1r31eq:" + "A".repeat(42) + "B",
      undefined, null, 42, {}, []];
    for (const input of odd) expect(await signer.unsign(input as string, 10)).toBeNull();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), fc.option(fc.double()), async (input, maxAge) => {
        expect(await signer.unsign(input, maxAge ?? undefined)).toBeNull();
      }),
      { numRuns: 500 },
    );
    const token = await signer.sign("p");
    const [body, time] = token.split(":");
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), async (mac) => {
        expect(await signer.unsign(`${body}:${time}:${mac}`)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  test("new TimestampSigner() refuses secrets shorter than 32 bytes without quoting them", () => {
    const short = "too-short-secret-value";
    expect(() => new TimestampSigner({ secret: short })).toThrow(RangeError);
    expect(() => new TimestampSigner({ secret: short })).toThrow(/secret as it is 22 bytes long/);
    try {
      new TimestampSigner({ secret: [SECRET, short] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toContain("secret[1]");
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => new TimestampSigner({ secret: "€".repeat(11) })).not.toThrow(); // 33 bytes of UTF-8, 11 characters
    expect(() => new TimestampSigner({ secret: "é".repeat(15) })).toThrow(/30 bytes/);
  });

  test("new TimestampSigner() throws TypeError for an empty secret list or wrong option types", () => {
    expect(() => new TimestampSigner({ secret: [] })).toThrow(TypeError);
    expect(() => new TimestampSigner({ secret: [] })).toThrow(/secret as it is an empty array/);
    expect(() => new TimestampSigner({ secret: 42 as unknown as string })).toThrow(TypeError);
    expect(() => new TimestampSigner({ secret: [SECRET, null as unknown as string] })).toThrow(/secret\[1\]/);
    expect(() => new TimestampSigner({ secret: SECRET, salt: 1 as unknown as string })).toThrow(TypeError);
    expect(() => new TimestampSigner({ secret: SECRET, encrypt: "yes" as unknown as boolean })).toThrow(/encrypt/);
    expect(() => new TimestampSigner(undefined as unknown as { secret: string })).toThrow(TypeError);
  });
});

describe("base64url", () => {
  test("base64UrlDecode() inverts base64UrlEncode() for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = base64UrlEncode(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(base64UrlDecode(text)).toEqual(bytes);
      }),
    );
  });

  test("base64UrlDecode() rejects padding, foreign characters, impossible lengths and stray bits", () => {
    for (const bad of ["QQ==", "QQ=", "Q", "QUJDR", "Q+", "Q/", "Q Q", "QR", "QUF", "QUJ", "Ä"]) {
      expect(base64UrlDecode(bad)).toBeNull();
    }
    expect(base64UrlDecode("QQ")).toEqual(new Uint8Array([65]));
    expect(base64UrlDecode("QUE")).toEqual(new Uint8Array([65, 65]));
    expect(base64UrlDecode("")).toEqual(new Uint8Array([]));
  });
});
