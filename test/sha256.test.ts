import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { sha256Hex } from "../src/sha256.ts";

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
