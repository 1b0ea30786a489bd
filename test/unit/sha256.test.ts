import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { HmacSha256, sha256, sha256Hex } from "../../src/sha256.ts";

async function subtleHex(input: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** A string of `length` UTF-16 units drawn from ASCII, two- and three-byte BMP characters, astral pairs and lone surrogates. */
function randomString(length: number, random: () => number): string {
  let s = "";
  while (s.length < length) {
    const kind = random();
    if (kind < 0.5) s += String.fromCharCode(Math.floor(random() * 0x80));
    else if (kind < 0.65) s += String.fromCharCode(0x80 + Math.floor(random() * 0x780));
    else if (kind < 0.8) s += String.fromCharCode(0x800 + Math.floor(random() * (0xd800 - 0x800)));
    else if (kind < 0.9) s += String.fromCodePoint(0x10000 + Math.floor(random() * 0x100000));
    else if (kind < 0.95) s += String.fromCharCode(0xd800 + Math.floor(random() * 0x800));
    else s += String.fromCharCode(0xe000 + Math.floor(random() * 0x2000));
  }
  return s.slice(0, length);
}

/** A seeded generator (mulberry32), so a failure can be reproduced. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("sha256Hex()", () => {
  // FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the one-million-"a" vector from FIPS 180-2 appendix B.3.
  const vectors: Array<[string, string]> = [
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
    [
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ],
    ["a".repeat(1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"],
  ];
  for (const [input, expected] of vectors) {
    test(`sha256Hex() matches the NIST vector for a ${input.length}-character message`, () => {
      expect(sha256Hex(input)).toBe(expected);
    });
  }

  test("sha256Hex() matches crypto.subtle.digest for every length from 0 to 300 (ASCII and Unicode)", async () => {
    const random = seeded(20240611);
    for (let length = 0; length <= 300; length++) {
      for (let round = 0; round < 4; round++) {
        const input =
          round === 0
            ? randomString(length, () => random() * 0.5) // ASCII only
            : randomString(length, random);
        expect(sha256Hex(input), JSON.stringify(input)).toBe(await subtleHex(input));
      }
    }
  });

  test("sha256Hex() matches crypto.subtle.digest on arbitrary full-Unicode strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), async (input) => {
        expect(sha256Hex(input)).toBe(await subtleHex(input));
      }),
      { numRuns: 500 },
    );
  });

  test("sha256Hex() encodes lone surrogates as U+FFFD, as TextEncoder does", async () => {
    const cases: Array<[string, string]> = [
      ["\ud800", "\ufffd"],
      ["a\udc00b", "a\ufffdb"],
      ["\udbff\ud800", "\ufffd\ufffd"],
      ["\ud83d", "\ufffd"],
      ["x\ud83d\ude00\ude00", "x\ud83d\ude00\ufffd"],
    ];
    for (const [input, wellFormed] of cases) {
      expect(sha256Hex(input)).toBe(await subtleHex(wellFormed));
      expect(sha256Hex(input)).toBe(await subtleHex(input));
    }
  });

  test("sha256Hex() gives the same digest after hashing a longer input (buffers are reused correctly)", () => {
    const key = "abcdefghijklmnopqrstuvwxyz012345";
    const first = sha256Hex(key);
    sha256Hex("é".repeat(5000));
    sha256Hex("");
    expect(sha256Hex(key)).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });

  test("sha256Hex() hashes the padding boundaries 55, 56, 63 and 64 bytes like crypto.subtle.digest", async () => {
    for (const length of [55, 56, 57, 63, 64, 65, 119, 120, 128]) {
      const input = "q".repeat(length);
      expect(sha256Hex(input)).toBe(await subtleHex(input));
    }
  });
});

function randomBytes(length: number, random: () => number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

async function subtleHmac(key: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, message));
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string) => new Uint8Array(text.match(/../g)!.map((h) => parseInt(h, 16)));
const utf8 = (text: string) => new TextEncoder().encode(text);

describe("sha256()", () => {
  test("sha256() matches crypto.subtle.digest on random bytes of every length from 0 to 300", async () => {
    const random = seeded(7);
    for (let length = 0; length <= 300; length++) {
      const message = randomBytes(length, random);
      const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", message));
      expect(hex(sha256(message))).toBe(hex(expected));
    }
  });
});

describe("HmacSha256", () => {
  // RFC 4231 section 4.2, 4.3, 4.7 (test cases 1, 2 and 6: a key longer than the block).
  const vectors: Array<[Uint8Array, Uint8Array, string]> = [
    [new Uint8Array(20).fill(0x0b), utf8("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [utf8("Jefe"), utf8("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [
      new Uint8Array(131).fill(0xaa),
      utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
  ];
  for (const [key, message, expected] of vectors) {
    test(`HmacSha256.sign() matches the RFC 4231 vector for a ${key.length}-byte key`, () => {
      expect(hex(new HmacSha256(key).sign(message))).toBe(expected);
    });
  }

  test("HmacSha256.sign() matches crypto.subtle HMAC for random keys (1-200 bytes) and messages (0-300 bytes)", async () => {
    const random = seeded(99);
    for (let i = 0; i < 400; i++) {
      const key = randomBytes(1 + Math.floor(random() * 200), random); // WebCrypto refuses empty HMAC keys
      const message = randomBytes(Math.floor(random() * 301), random);
      const hmac = new HmacSha256(key);
      expect(hex(hmac.sign(message))).toBe(hex(await subtleHmac(key, message)));
      // A second MAC under the same key, after other hashing, is still right (state is reused).
      sha256Hex("interleaved");
      expect(hex(hmac.sign(message))).toBe(hex(await subtleHmac(key, message)));
    }
  });

  test("HmacSha256.verify() accepts the right MAC and rejects a changed byte or a wrong length", () => {
    const hmac = new HmacSha256(fromHex("000102030405060708090a0b0c0d0e0f"));
    const message = utf8("payload:1sX2aB");
    const mac = hmac.sign(message);
    expect(hmac.verify(mac, message)).toBe(true);
    for (let i = 0; i < 32; i++) {
      const forged = mac.slice();
      forged[i]! ^= 1;
      expect(hmac.verify(forged, message)).toBe(false);
    }
    expect(hmac.verify(mac.subarray(0, 31), message)).toBe(false);
    expect(hmac.verify(mac, utf8("payload:1sX2aC"))).toBe(false);
  });

  test("HmacSha256 throws TypeError for a key that is not a Uint8Array", () => {
    expect(() => new HmacSha256("key" as unknown as Uint8Array)).toThrow(TypeError);
  });
});
