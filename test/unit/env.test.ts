import { afterEach, describe, expect, it } from "vitest";
import { readEnv } from "../../src/util/env.ts";
import { quoteIdentifier } from "../../src/util/quote-identifier.ts";

const g = globalThis as { Deno?: unknown };

afterEach(() => {
  delete g.Deno;
  delete process.env.FETCH_SESSION_TEST_VAR;
});

describe("readEnv()", () => {
  it("reads process.env in Node and Bun; undefined when unset", () => {
    process.env.FETCH_SESSION_TEST_VAR = "x y";
    expect(readEnv("FETCH_SESSION_TEST_VAR")).toBe("x y");
    delete process.env.FETCH_SESSION_TEST_VAR;
    expect(readEnv("FETCH_SESSION_TEST_VAR")).toBeUndefined();
  });

  it("reads Deno.env in Deno, and names the permission and the flag when Deno denies it", () => {
    const denied = new Error('Requires env access to "SESSION_DATABASE_URL"');
    g.Deno = { env: { get: (name: string) => (name === "OK" ? "yes" : (() => { throw denied; })()) } };
    expect(readEnv("OK")).toBe("yes");
    let error: unknown;
    try {
      readEnv("SESSION_DATABASE_URL");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("env access");
    expect((error as Error).message).toContain("--allow-env=SESSION_DATABASE_URL");
    expect((error as Error).cause).toBe(denied);
  });
});

describe("quoteIdentifier()", () => {
  it("wraps in double quotes and doubles embedded ones; refuses NUL", () => {
    expect(quoteIdentifier("sessions")).toBe('"sessions"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(() => quoteIdentifier("a\u0000b")).toThrow(RangeError);
  });
});
