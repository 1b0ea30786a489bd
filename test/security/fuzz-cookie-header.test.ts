/**
 * Property-based attacks on the Cookie header: whatever arrives, withSession
 * never throws, never hands a server-side store an id that is not a SHA-256
 * hex digest, never decodes an oversized value, and the handler sees either
 * the one valid session or a fresh empty one.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { CookieStore, getSession, withSession } from "../../mod.ts";
import { asHeaderBytes, DecodeSpy, IdCheckingStore, setCookieValue, sha256Hex } from "./support.ts";

const SECRET = "fuzzing-secret-0123456789abcdefghijkl";
const KEY_IN_HEADER = /(?:^|;)[ \t]*sessionid[ \t]*=[ \t]*([a-z0-9]{32})[ \t]*(?=;|$)/g;

/** A handler that logs in on /login and otherwise reports the data it sees, without writing. */
function makeApp(store: ConstructorParameters<typeof DecodeSpy>[0] | IdCheckingStore) {
  return withSession(async (request: Request) => {
    const session = await getSession(request);
    if (new URL(request.url).pathname === "/login") {
      session.set("user", "alice");
      return new Response("logged in");
    }
    return Response.json(Object.fromEntries(session.entries()));
  }, { store });
}

async function login(app: (request: Request) => Promise<Response>): Promise<string> {
  const response = await app(new Request("http://localhost/login"));
  const value = setCookieValue(response);
  expect(value).toBeTruthy();
  return value!;
}

/** What the handler saw for this Cookie header. */
async function visit(app: (request: Request) => Promise<Response>, header: string | string[]): Promise<Record<string, unknown>> {
  const headers = new Headers();
  for (const h of Array.isArray(header) ? header : [header]) headers.append("cookie", h);
  const response = await app(new Request("http://localhost/", { headers }));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const separators = fc.constantFrom("; ", ";", " ; ", ";;", "=;", "; =", "\t;", ",", ";\t ", "; ;");
const oddNames = fc.constantFrom("sessionid", "SESSIONID", "Sessionid", " sessionid", "sessionid ", "session", "sessionid2",
  "xsessionid", "__Host-sessionid", "", "=", "sessionid=", "\"sessionid\"", "sess%69onid");
const anyText = fc.string({ unit: "binary", maxLength: 80 }).map(asHeaderBytes);
const fakeKey = fc.stringMatching(/^[a-z0-9]{32}$/);

/** Headers with structure: many pairs, duplicate and near-miss names, `=` and `;` in odd places, huge values. */
function pairHeaders(valid: () => string) {
  const values = fc.oneof(
    { weight: 3, arbitrary: anyText },
    { weight: 2, arbitrary: fakeKey },
    { weight: 2, arbitrary: fc.constant(null).map(() => valid()) },
    { weight: 1, arbitrary: fc.constantFrom("=", ";", "==", "=;=", "\"\"", "%", "%zz", "%00", "\\", "a=b=c") },
    { weight: 1, arbitrary: fc.constant(null).map(() => `"${valid()}"`) },
    { weight: 1, arbitrary: fc.constant(null).map(() => valid().toUpperCase()) },
    { weight: 1, arbitrary: fc.constant(null).map(() => valid() + "=") },
    { weight: 1, arbitrary: fc.constant(null).map(() => valid().slice(1)) },
    { weight: 1, arbitrary: fc.integer({ min: 4000, max: 40_000 }).map((n) => "a".repeat(n)) },
  );
  const pair = fc.tuple(fc.oneof(oddNames, anyText), values, separators, fc.boolean())
    .map(([name, value, sep, bare]) => (bare ? value : `${name}=${value}`) + sep);
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(pair, { maxLength: 40 }).map((p) => p.join("")) },
    { weight: 1, arbitrary: fc.array(pair, { minLength: 1000, maxLength: 3000 }).map((p) => p.join("")) },
  );
}

/** Clean headers: other cookies with ordinary names and values, and the valid session cookie somewhere among them. */
function cleanHeaderWith(valid: () => string) {
  const otherName = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/).filter((n) => n !== "sessionid");
  const otherValue = fc.stringMatching(/^[A-Za-z0-9_.:=-]{0,40}$/);
  return fc.tuple(fc.array(fc.tuple(otherName, otherValue), { maxLength: 60 }), fc.nat(), fc.constantFrom("; ", ";"))
    .map(([pairs, at, sep]) => {
      const all = pairs.map(([n, v]) => `${n}=${v}`);
      all.splice(at % (all.length + 1), 0, `sessionid=${valid()}`);
      return all.join(sep);
    });
}

describe("withSession() with arbitrary Cookie headers and a server-side store", () => {
  const store = new IdCheckingStore();
  const app = makeApp(store);
  let key = "";
  beforeAll(async () => {
    key = await login(app);
  });

  test("withSession() never throws, never shows a store a malformed id, and yields the valid session or a fresh one", async () => {
    let sawValid = 0;
    let sawFresh = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 3000 }).map(asHeaderBytes) },
          { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 500 }).map(asHeaderBytes) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((b) => asHeaderBytes(String.fromCharCode(...b))) },
          { weight: 5, arbitrary: pairHeaders(() => key) },
        ),
        async (header) => {
          const before = store.calls.length;
          const seen = await visit(app, header);
          expect(store.badIds).toEqual([]);
          if (Object.keys(seen).length === 0) sawFresh++;
          else {
            expect(seen).toEqual({ user: "alice" });
            expect(header).toContain(key);
            sawValid++;
          }
          // Only a well-formed key in the header can reach the store, and only as its hash.
          const normalised = new Headers({ cookie: header }).get("cookie") ?? "";
          const candidates = await Promise.all([...normalised.matchAll(KEY_IN_HEADER)].map((m) => sha256Hex(m[1]!)));
          const calls = store.calls.slice(before);
          expect(calls.length).toBeLessThanOrEqual(1);
          for (const call of calls) {
            expect(call.method).toBe("load");
            expect(candidates).toContain(call.id);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(sawFresh).toBeGreaterThan(0);
    expect(sawValid).toBeGreaterThan(0);
  });

  test("withSession() finds the valid session among many ordinary cookies", async () => {
    await fc.assert(
      fc.asyncProperty(cleanHeaderWith(() => key), async (header) => {
        expect(await visit(app, header)).toEqual({ user: "alice" });
      }),
      { numRuns: 150 },
    );
  });

  test("withSession() reads the first of duplicate session cookies and never merges them", async () => {
    const other = await login(app);
    expect(await visit(app, `sessionid=${key}; sessionid=${other}`)).toEqual({ user: "alice" });
    expect(await visit(app, `sessionid=${"f".repeat(32)}; sessionid=${key}`)).toEqual({}); // an unknown key first shadows it
    expect(await visit(app, `sessionid=junk; sessionid=${key}`)).toEqual({});
    expect(await visit(app, [`a=1`, `sessionid=${key}`])).toEqual({ user: "alice" }); // two Cookie headers, joined
    expect(store.badIds).toEqual([]);
  });
});

describe("withSession() with arbitrary Cookie headers and a CookieStore", () => {
  const spy = new DecodeSpy(new CookieStore({ secret: SECRET }));
  const app = makeApp(spy);
  let token = "";
  beforeAll(async () => {
    token = await login(app);
  });

  test("withSession() never throws, never decodes an oversized value, and yields the valid session or a fresh one", async () => {
    let sawValid = 0;
    let sawFresh = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 3000 }).map(asHeaderBytes) },
          { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 500 }).map(asHeaderBytes) },
          { weight: 5, arbitrary: pairHeaders(() => token) },
        ),
        async (header) => {
          const before = spy.decoded.length;
          const seen = await visit(app, header);
          if (Object.keys(seen).length === 0) sawFresh++;
          else {
            expect(seen).toEqual({ user: "alice" });
            expect(header).toContain(token);
            sawValid++;
          }
          const decoded = spy.decoded.slice(before);
          expect(decoded.length).toBeLessThanOrEqual(1);
          for (const value of decoded) expect(value.length).toBeLessThanOrEqual(4096);
          if (header.length > 32 * 1024) expect(decoded).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
    expect(sawFresh).toBeGreaterThan(0);
    expect(sawValid).toBeGreaterThan(0);
  });

  test("withSession() with a CookieStore finds the valid session among many ordinary cookies", async () => {
    await fc.assert(
      fc.asyncProperty(cleanHeaderWith(() => token), async (header) => {
        expect(await visit(app, header)).toEqual({ user: "alice" });
      }),
      { numRuns: 100 },
    );
  });
});
