/**
 * djangoCookieStore against real Django (Debian's python3-django): Django's
 * SessionMiddleware with `signed_cookies`, `django.contrib.auth.login()`, and
 * `django.core.signing`, driven by one Python process for the whole file.
 */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSession, withSession } from "../../mod.ts";
import {
  DJANGO_COOKIE_SALT,
  djangoCookieStore,
  djangoDatabaseStore,
  djangoJson,
  djangoSessionAuthHash,
  djangoSessionAuthHashMatches,
} from "../../src/django/mod.ts";
import type { CookieSessionStore } from "../../src/store.ts";
import { type DjangoProject, type DjangoResponse, djangoSecretKey, startDjango } from "./django-project.ts";

const here = dirname(fileURLToPath(import.meta.url));

let django: DjangoProject;
let userId: number;
let secretKey: string;

beforeAll(async () => {
  django = await startDjango();
  secretKey = django.secretKey;
  userId = (await django.call<{ pk: number }>("create_user", { username: "alice", password: "correct horse" })).pk;
});
afterAll(async () => {
  await django?.close();
});

/** Every JSON kind, as Django writes it (JSON text, so that Python gets floats where it says 1.0). */
const DJANGO_VALUES_JSON =
  '{"name":"Zo\\u00eb \\u2713 \\ud83c\\udf6a \\u2028 \\"quoted\\" back\\\\slash","nested":{"a":[1,{"b":null}],"deep":{"x":"y"}},' +
  '"list":[1,"two",3.5,[],{}],"yes":true,"no":false,"nothing":null,"pi":3.14159,"one":1.0,"big":1e+20,"tiny":1e-07,' +
  '"count":42,"neg":-7,"empty":""}';
const VALUES = JSON.parse(DJANGO_VALUES_JSON) as Record<string, unknown>;

/** One request through Django's middleware. */
function djangoRequest(args: Record<string, unknown>): Promise<DjangoResponse> {
  return django.call<DjangoResponse>("request", { engine: "cookie", ...args });
}

/** A Django session with alice logged in and every JSON kind stored: its cookie value. */
async function djangoLogin(extra: Record<string, unknown> = {}): Promise<string> {
  const response = await djangoRequest({
    actions: [{ op: "login", username: "alice" }, { op: "update", json: DJANGO_VALUES_JSON }],
    ...extra,
  });
  expect(response.status).toBe(200);
  expect(response.cookie?.value).toMatch(/^\.?[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}$/);
  return response.cookie!.value;
}

type Handler = (session: Awaited<ReturnType<typeof getSession>>) => unknown;

/** Runs a JS handler with the store on a request carrying `cookie`; resolves what it returned and the new cookie value. */
async function jsRequest(store: CookieSessionStore, cookie: string | null, handler: Handler, maxAge?: number) {
  let result: unknown;
  const app = withSession(async (request: Request) => {
    result = await handler(await getSession(request));
    return new Response("ok");
  }, { store, ...(maxAge === undefined ? {} : { cookie: { maxAge } }) });
  const headers = cookie === null ? undefined : { cookie: `sessionid=${cookie}` };
  const response = await app(new Request("http://localhost/", { headers }));
  const setCookie = response.headers.get("set-cookie");
  const value = setCookie === null ? null : /^sessionid=([^;]*)/.exec(setCookie)![1]!;
  return { result, setCookie, value };
}

const readAll: Handler = (session) => ({
  user: session.get("_auth_user_id"),
  backend: session.get("_auth_user_backend"),
  hash: session.get("_auth_user_hash"),
  has: session.has("_auth_user_id" as never),
  values: Object.fromEntries(session.entries()),
  keys: session.keys(),
});

describe("djangoCookieStore with real Django", () => {
  it("(1) reads the session Django's SessionMiddleware and auth.login() wrote: _auth_user_id and every JSON kind", async () => {
    const cookie = await djangoLogin();
    const { result, setCookie } = await jsRequest(djangoCookieStore({ secretKey }), cookie, readAll);
    expect(result).toEqual({
      user: String(userId),
      backend: "django.contrib.auth.backends.ModelBackend",
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      has: true,
      values: VALUES,
      keys: Object.keys(VALUES),
    });
    expect((result as { values: Record<string, unknown> }).values["name"]).toBe('Zoë ✓ 🍪 \u2028 "quoted" back\\slash');
    // Reading changes nothing: no Set-Cookie, so Django's cookie is left alone (the old CookieStore deleted it).
    expect(setCookie).toBeNull();
  });

  for (const runtime of ["bun", "deno"] as const) {
    it(`(1) the same under real ${runtime === "bun" ? "Bun" : "Deno"}, and Django reads the cookie it wrote`, async () => {
      const cookie = await djangoLogin();
      const script = join(here, "runtime-read.ts");
      const args = runtime === "bun" ? [script] : ["run", "--quiet", "--allow-env", "--allow-read", "--no-prompt", script];
      const { stdout } = await promisify(execFile)(join(here, `../../node_modules/.bin/${runtime}`), args, {
        env: { ...process.env, DJANGO_SECRET_KEY: secretKey, DJANGO_COOKIE: cookie },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout) as { runtime: string; user: string; values: Record<string, unknown>; setCookie: string };
      expect(out.runtime).toMatch(new RegExp(`^${runtime} \\d`));
      expect(out.user).toBe(String(userId));
      expect(out.values).toEqual({ ...VALUES, runtime: `${runtime} was here ✓` });
      const back = await djangoRequest({ cookie: /^sessionid=([^;]*)/.exec(out.setCookie)![1] });
      expect(back.user_id_before).toBe(userId);
      expect(back.before["runtime"]).toBe(`${runtime} was here ✓`);
    });
  }

  it("(2) JS changes the session; Django reads back the same values, unicode intact, and the user is still logged in", async () => {
    const cookie = await djangoLogin();
    const changed = {
      name: "Ünïcødé ✓ 🍪 — changed in JS \u0001 \u007f \u2028",
      added: { floats: [0.5, 1e21, 1.5e-10, 123456.789, -0.25], ints: [0, -1, 2 ** 53 - 1], unicode: ["日本語", "emoji 🎉"] },
      yes: false,
    };
    const { value, setCookie } = await jsRequest(djangoCookieStore({ secretKey }), cookie, (session) => {
      for (const [key, v] of Object.entries(changed)) session.set(key, v);
      session.delete("no");
      session.delete("nested");
    });
    expect(setCookie).toMatch(/Max-Age=1209600/);
    const back = await djangoRequest({ cookie: value });
    expect(back.user_id_before).toBe(userId);
    const expected: Record<string, unknown> = { ...VALUES, ...changed };
    delete expected["no"];
    delete expected["nested"];
    const { _auth_user_id, _auth_user_backend, _auth_user_hash, ...rest } = back.before;
    expect(_auth_user_id).toBe(String(userId));
    expect(_auth_user_backend).toBe("django.contrib.auth.backends.ModelBackend");
    expect(_auth_user_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rest).toEqual(expected);
    // The payload is what Django's serializer would write for the same dict.
    const [decoded] = await django.call<{ payload: string }[]>("decompress", { tokens: [value] });
    const loaded = await django.call<{ ok?: string }[]>("loads", { items: [{ token: value, key: secretKey, salt: DJANGO_COOKIE_SALT }] });
    expect(loaded[0]!.ok).toBe(decoded!.payload);
  });

  it("(2) flush() in JS logs out of Django too: the cookie is deleted", async () => {
    const cookie = await djangoLogin();
    const { setCookie, value } = await jsRequest(djangoCookieStore({ secretKey }), cookie, (session) => session.flush());
    expect(setCookie).toMatch(/Max-Age=0/);
    expect(value).toBe("");
    const back = await djangoRequest({ cookie: value });
    expect(back.user_id_before).toBeNull();
    // clear() keeps the cookie but empties it: Django's auth keys are gone with the rest.
    const cleared = await jsRequest(djangoCookieStore({ secretKey }), await djangoLogin(), (session) => session.clear());
    const afterClear = await djangoRequest({ cookie: cleared.value });
    expect(afterClear.user_id_before).toBeNull();
    expect(afterClear.before).toEqual({});
  });

  it("(4) uncompressed tokens equal Django's signing.dumps byte for byte over a corpus of JS payloads; compressed ones after inflating", async () => {
    const at = 1_790_000_000; // a frozen timestamp, seconds
    const store = djangoCookieStore({ secretKey, now: () => at * 1000 + 999 });
    const corpus = payloadCorpus();
    const tokens = await Promise.all(corpus.map((data) => store.encode({ data, expiresAt: 0 })));
    const dumped = await django.call<{ token: string; same: boolean; redumped: string }[]>("dumps", {
      items: corpus.map((data) => ({ json: djangoJson(data), plain_json: JSON.stringify(data), key: secretKey, salt: DJANGO_COOKIE_SALT, time: at })),
    });
    const loaded = await django.call<{ ok?: string; error?: string }[]>("loads", {
      items: tokens.map((token) => ({ token, key: secretKey, salt: DJANGO_COOKIE_SALT, max_age: 60, time: at + 30 })),
    });
    const compressed = tokens.map((token, i) => token.startsWith(".") || dumped[i]!.token.startsWith("."));
    const inflated = await django.call<{ compressed: boolean; payload: string }[]>("decompress", {
      tokens: tokens.flatMap((token, i) => (compressed[i] ? [token, dumped[i]!.token] : [])),
    });
    let plain = 0;
    let zipped = 0;
    let decisionsDiffer = 0;
    let zippedEqual = 0;
    for (const [i, data] of corpus.entries()) {
      const json = djangoJson(data);
      const what = `payload ${i}: ${json.slice(0, 200)}`;
      // The same values: Python's json.loads of our text equals its json.loads of JSON.stringify's.
      expect(dumped[i]!.same, what).toBe(true);
      // Our text is exactly Python's json.dumps of what it reads (escapes, float repr, separators, key order).
      expect(dumped[i]!.redumped, what).toBe(json);
      // Django's signing.loads accepts every JS token and reads the same text.
      expect(loaded[i], what).toEqual({ ok: json });
      if (!compressed[i]) {
        expect(tokens[i], what).toBe(dumped[i]!.token);
        plain++;
      } else {
        const ours = inflated.shift()!;
        const theirs = inflated.shift()!;
        expect(ours.payload, what).toBe(json);
        expect(theirs.payload, what).toBe(json);
        if (ours.compressed !== theirs.compressed) decisionsDiffer++;
        if (tokens[i] === dumped[i]!.token) zippedEqual++;
        zipped++;
      }
    }
    console.log(`corpus: ${corpus.length} payloads, ${plain} uncompressed (byte-equal), ${zipped} compressed (${zippedEqual} of them byte-equal), ${decisionsDiffer} compress decisions differ`);
    // The corpus exercises both paths; near the line zlib builds may decide differently.
    expect(plain).toBeGreaterThan(150);
    expect(zipped).toBeGreaterThan(20);
    expect(decisionsDiffer).toBeLessThan(zipped / 4);
  });

  it("(4) Django's JSON: random doubles, strings and keys serialise exactly as Python's json.dumps writes them", async () => {
    const doubles = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { seed: 11, numRuns: 5000 });
    const scaled = fc.sample(fc.tuple(fc.integer({ min: -999_999, max: 999_999 }), fc.integer({ min: -330, max: 300 })), { seed: 12, numRuns: 2000 })
      .map(([m, e]) => Number(`${m}e${e}`));
    const strings = fc.sample(fc.string({ unit: "binary", maxLength: 40 }), { seed: 13, numRuns: 2000 });
    const texts = [
      ...[...doubles, ...scaled].map((n) => djangoJson([n])),
      ...strings.map((text) => djangoJson({ [text]: text })),
    ];
    const redumped = await django.call<string[]>("redump", { texts });
    const wrong = texts.filter((text, i) => redumped[i] !== text);
    expect(wrong.slice(0, 5).map((text) => `${text} -> ${redumped[texts.indexOf(text)]}`)).toEqual([]);
    // And they are the values JavaScript had.
    for (const [i, n] of [...doubles, ...scaled].entries()) expect(JSON.parse(texts[i]!)[0]).toBe(n === 0 ? 0 : n);
  });

  it("(4) tokens Django signs are read back to the same values", async () => {
    const at = Math.floor(Date.now() / 1000);
    const corpus = payloadCorpus().slice(0, 120);
    const dumped = await django.call<{ token: string }[]>("dumps", {
      items: corpus.map((data) => ({ json: djangoJson(data), key: secretKey, salt: DJANGO_COOKIE_SALT, time: at })),
    });
    const store = djangoCookieStore({ secretKey });
    for (const [i, data] of corpus.entries()) {
      const record = await store.decode(dumped[i]!.token, 60);
      expect(record?.data, djangoJson(data)).toEqual(JSON.parse(JSON.stringify(data)));
      expect(record?.expiresAt).toBe((at + 60) * 1000);
    }
  });

  it("(5) expiry: each side refuses the other's token past SESSION_COOKIE_AGE, and accepts it before", async () => {
    const age = 120;
    const now = Math.floor(Date.now() / 1000);
    // Django-signed, 121 s and 60 s ago.
    const old = await djangoLogin({ time: now - age - 1, SESSION_COOKIE_AGE: age });
    const fresh = await djangoLogin({ time: now - 60, SESSION_COOKIE_AGE: age });
    const store = djangoCookieStore({ secretKey, maxAge: age });
    const user = (session: Awaited<ReturnType<typeof getSession>>) => session.get("_auth_user_id") ?? null;
    expect((await jsRequest(store, old, user)).result).toBeNull();
    expect((await jsRequest(store, fresh, user)).result).toBe(String(userId));
    // The age comes from withSession's cookie.maxAge when the store has none.
    expect((await jsRequest(djangoCookieStore({ secretKey }), old, user, age)).result).toBeNull();
    expect((await jsRequest(djangoCookieStore({ secretKey }), fresh, user, age)).result).toBe(String(userId));

    // JS-signed, 121 s and 60 s ago, read by Django with SESSION_COOKIE_AGE = 120.
    const signedAt = (seconds: number) => djangoCookieStore({ secretKey, now: () => seconds * 1000 });
    const jsOld = await signedAt(now - age - 1).encode({ data: { from: "js" }, expiresAt: 0 });
    const jsFresh = await signedAt(now - 60).encode({ data: { from: "js" }, expiresAt: 0 });
    expect((await djangoRequest({ cookie: jsOld, SESSION_COOKIE_AGE: age })).before).toEqual({});
    expect((await djangoRequest({ cookie: jsFresh, SESSION_COOKIE_AGE: age })).before).toEqual({ from: "js" });

    // A longer _session_expiry does not extend a signed cookie, on either side (Django's rule).
    const longExpiry = await signedAt(now - age - 1).encode({ data: { from: "js", _expiry: 100 * age }, expiresAt: 0 });
    expect((await djangoRequest({ cookie: longExpiry, SESSION_COOKIE_AGE: age })).before).toEqual({});
    expect(await store.decode(longExpiry, age)).toBeNull();
  });

  it("(5) setExpiry() and Django's set_expiry() meet at _session_expiry, in whole seconds", async () => {
    const cookie = await djangoLogin({ actions: [{ op: "login", username: "alice" }, { op: "set_expiry", value: 300 }] });
    const { result, value } = await jsRequest(djangoCookieStore({ secretKey }), cookie, (session) => {
      const age = session.getExpiryAge();
      session.set("touched", true);
      return age;
    });
    expect(result).toBe(300);
    expect((await djangoRequest({ cookie: value })).before["_session_expiry"]).toBe(300);

    const inAnHour = new Date(Date.now() + 3_600_000);
    const numbered = await jsRequest(djangoCookieStore({ secretKey }), value, (session) => session.setExpiry(600));
    const viaDjango = await djangoRequest({ cookie: numbered.value });
    expect(viaDjango.before["_session_expiry"]).toBe(600);
    expect(viaDjango.expiry_age).toBe(600);
    const dated = await jsRequest(djangoCookieStore({ secretKey }), value, (session) => session.setExpiry(inAnHour));
    const back = await djangoRequest({ cookie: dated.value });
    const seconds = back.before["_session_expiry"] as number;
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThan(3590);
    expect(seconds).toBeLessThanOrEqual(3600);
    expect(back.expiry_age).toBe(seconds);
    expect(back.user_id_before).toBe(userId);

    // 0: until the browser closes, on both sides (no Max-Age on the cookie).
    const atClose = await jsRequest(djangoCookieStore({ secretKey }), value, (session) => session.setExpiry(0));
    expect(atClose.setCookie).not.toMatch(/Max-Age/i);
    const djangoSide = await djangoRequest({ cookie: atClose.value, actions: [{ op: "set", key: "again", value: 1 }] });
    expect(djangoSide.before["_session_expiry"]).toBe(0);
    expect(djangoSide.cookie!.max_age).toBe("");
    const fromDjango = await djangoRequest({ actions: [{ op: "set", key: "x", value: 1 }, { op: "set_expiry", value: 0 }] });
    const jsSide = await jsRequest(djangoCookieStore({ secretKey }), fromDjango.cookie!.value, (session) => {
      session.set("y", 2);
      return session.getExpireAtBrowserClose();
    });
    expect(jsSide.result).toBe(true);
    expect(jsSide.setCookie).not.toMatch(/Max-Age/i);
  });

  it("(5) an expiry stored as an ISO datetime (newer Django's set_expiry(datetime)) is read as that moment", async () => {
    const at = Math.floor(Date.now() / 1000);
    const when = new Date((at + 30 * 86400) * 1000 + 123);
    // Python's isoformat() of an aware UTC datetime: microseconds and +00:00.
    const iso = when.toISOString().replace("Z", "456+00:00");
    const [token] = await django.call<{ token: string }[]>("dumps", {
      items: [{ json: `{"a":1,"_session_expiry":"${iso}"}`, key: secretKey, salt: DJANGO_COOKIE_SALT, time: at }],
    });
    const { result } = await jsRequest(djangoCookieStore({ secretKey }), token!.token, (session) => ({
      date: session.getExpiryDate().toISOString(),
      keys: session.keys(),
    }));
    expect(result).toEqual({ date: when.toISOString(), keys: ["a"] });
  });

  it("(6) rotation: a token signed with a fallback key is read; new tokens use the current key", async () => {
    const oldKey = secretKey;
    const newKey = djangoSecretKey();
    const cookie = await djangoLogin({ SECRET_KEY: oldKey });
    const rotated = djangoCookieStore({ secretKey: newKey, fallbackKeys: [oldKey] });
    const { result, value } = await jsRequest(rotated, cookie, (session) => {
      session.set("rotated", true);
      return session.get("_auth_user_id");
    });
    expect(result).toBe(String(userId));
    // Re-signed with the new key: Django under the new key reads it, under the old key it does not.
    const underNew = await djangoRequest({ cookie: value, SECRET_KEY: newKey });
    expect(underNew.before).toMatchObject({ ...VALUES, rotated: true, _auth_user_id: String(userId) });
    expect((await djangoRequest({ cookie: value, SECRET_KEY: oldKey })).before).toEqual({});
    // Without the fallback the old token is nothing.
    const strict = await jsRequest(djangoCookieStore({ secretKey: newKey }), cookie, (session) => session.get("_auth_user_id") ?? null);
    expect(strict.result).toBeNull();
    // And the JS token verifies with Django's signing under the new key only.
    const checked = await django.call<{ ok?: string; error?: string }[]>("loads", {
      items: [newKey, oldKey].map((key) => ({ token: value, key, salt: DJANGO_COOKIE_SALT })),
    });
    expect(checked[0]!.ok).toBeDefined();
    expect(checked[1]).toEqual({ error: "BadSignature" });
  });

  it("(7) testcookie: Django's set_test_cookie() is seen by testCookieWorked(), and setTestCookie() by Django", async () => {
    const fromDjango = await djangoRequest({ actions: [{ op: "set_test_cookie" }] });
    const seen = await jsRequest(djangoCookieStore({ secretKey }), fromDjango.cookie!.value, (session) => ({
      worked: session.testCookieWorked(),
      hidden: session.get("testcookie" as never) ?? null,
      keys: session.keys(),
    }));
    expect(seen.result).toEqual({ worked: true, hidden: null, keys: [] });

    const fromJs = await jsRequest(djangoCookieStore({ secretKey }), null, (session) => {
      session.setTestCookie();
      session.set("visits", 1);
    });
    const read = await djangoRequest({ cookie: fromJs.value });
    expect(read.test_cookie_worked).toBe(true);
    expect(read.before).toEqual({ testcookie: "worked", visits: 1 });

    const deleted = await jsRequest(djangoCookieStore({ secretKey }), fromJs.value, (session) => session.deleteTestCookie());
    const after = await djangoRequest({ cookie: deleted.value });
    expect(after.test_cookie_worked).toBe(false);
    expect(after.before).toEqual({ visits: 1 });

    // A JS key named "testcookie" is Django's test cookie: it is not an ordinary key on the way back.
    const named = await jsRequest(djangoCookieStore({ secretKey }), null, (session) => session.set("testcookie" as never, "worked" as never));
    const reread = await jsRequest(djangoCookieStore({ secretKey }), named.value, (session) => ({
      value: session.get("testcookie" as never) ?? null,
      worked: session.testCookieWorked(),
    }));
    expect(reread.result).toEqual({ value: null, worked: true });
  });

  it("djangoSessionAuthHashMatches() checks _auth_user_hash as Django's get_user() does: a password change logs out", async () => {
    await django.call("create_user", { username: "carol", password: "first password" });
    const cookie = (await djangoRequest({ actions: [{ op: "login", username: "carol" }] })).cookie!.value;
    const { result: hash } = await jsRequest(djangoCookieStore({ secretKey }), cookie, (session) => session.get("_auth_user_hash"));
    const password = await django.call<string>("password_hash", { username: "carol" });
    expect(password).toMatch(/^md5\$/);
    expect(djangoSessionAuthHash(password, secretKey)).toBe(hash);
    expect(djangoSessionAuthHashMatches(hash, password, { secretKey })).toBe(true);
    const rotatedKey = djangoSecretKey();
    expect(djangoSessionAuthHashMatches(hash, password, { secretKey: rotatedKey })).toBe(false);
    expect(djangoSessionAuthHashMatches(hash, password, { secretKey: rotatedKey, fallbackKeys: [secretKey] })).toBe(true);
    expect(djangoSessionAuthHashMatches(undefined, password, { secretKey })).toBe(false);
    // The password changes: Django no longer takes the session as logged in, and neither does the check.
    const changed = await django.call<string>("password_hash", { username: "carol", new_password: "second password" });
    expect(djangoSessionAuthHashMatches(hash, changed, { secretKey })).toBe(false);
    expect((await djangoRequest({ cookie })).user_id_before).toBeNull();
  });

  it("integers above 2^53 lose precision in JavaScript and come back to Django as floats", async () => {
    const cookie = (await djangoRequest({ actions: [{ op: "update", json: '{"big":1152921504606846977,"safe":9007199254740991,"one":1.0}' }] })).cookie!.value;
    const { result, value } = await jsRequest(djangoCookieStore({ secretKey }), cookie, (session) => {
      session.set("touched", true);
      return [session.get("big"), session.get("safe"), session.get("one")];
    });
    expect(result).toEqual([1152921504606846976, 9007199254740991, 1]);
    const [decoded] = await django.call<{ payload: string }[]>("decompress", { tokens: [value] });
    // Django's 1.0 comes back as the integer 1: JavaScript has one number type.
    expect(decoded!.payload).toBe('{"big":1.152921504606847e+18,"safe":9007199254740991,"one":1,"touched":true}');
  });

  it("a session holding NaN or Infinity (Python's json writes them, JSON does not have them) reads as empty", async () => {
    const cookie = (await djangoRequest({ actions: [{ op: "update", json: '{"a":1,"n":NaN}' }] })).cookie!.value;
    const { result } = await jsRequest(djangoCookieStore({ secretKey }), cookie, (session) => session.keys());
    expect(result).toEqual([]);
  });

  it("refuses forged, truncated and other-salt tokens as Django does", async () => {
    const cookie = await djangoLogin();
    const store = djangoCookieStore({ secretKey });
    const otherSalt = await django.call<{ token: string }[]>("dumps", {
      items: [{ json: '{"a":1}', key: secretKey, salt: "django.contrib.sessions.SessionStore", time: Math.floor(Date.now() / 1000) }],
    });
    const mac = cookie.slice(cookie.lastIndexOf(":") + 1);
    const flipped = cookie.slice(0, cookie.lastIndexOf(":") + 1) + (mac[0] === "A" ? "B" : "A") + mac.slice(1);
    for (const bad of [flipped, cookie.slice(0, -1), cookie.replace(/^\.?/, "x"), otherSalt[0]!.token, "", "sessionid"]) {
      expect(await store.decode(bad, 1209600), bad).toBeNull();
    }
    const verdicts = await django.call<{ ok?: string; error?: string }[]>("loads", {
      items: [flipped, cookie.slice(0, -1)].map((token) => ({ token, key: secretKey, salt: DJANGO_COOKIE_SALT })),
    });
    expect(verdicts).toEqual([{ error: "BadSignature" }, { error: "BadSignature" }]);
    // Django 3.1-3.2 with DEFAULT_HASHING_ALGORITHM = "sha1" signs with HMAC-SHA-1: not read.
    const sha1 = await djangoRequest({ DEFAULT_HASHING_ALGORITHM: "sha1", actions: [{ op: "set", key: "a", value: 1 }] });
    expect(sha1.cookie!.value.slice(sha1.cookie!.value.lastIndexOf(":") + 1)).toHaveLength(27);
    expect(await store.decode(sha1.cookie!.value, 1209600)).toBeNull();
  });
});

describe("fetch-session/django options", () => {
  it("refuse a short or missing key (without quoting it), a cookie limit above 4096, and a session too large for a cookie", async () => {
    const short = "django-insecure-short";
    expect(() => djangoCookieStore({ secretKey: short })).toThrow(RangeError);
    expect(() => djangoCookieStore({ secretKey: short })).not.toThrow(new RegExp(short));
    expect(() => djangoCookieStore({ secretKey: "k".repeat(40), fallbackKeys: ["old"] })).toThrow(/fallbackKeys\[0\] is 3 bytes long/);
    expect(() => djangoCookieStore({} as never)).toThrow(TypeError);
    expect(() => djangoCookieStore({ secretKey: "k".repeat(40), fallbackKeys: "old" as never })).toThrow(TypeError);
    expect(() => djangoCookieStore({ secretKey: "k".repeat(40), maxCookieBytes: 5000 })).toThrow(RangeError);
    expect(() => djangoCookieStore({ secretKey: "k".repeat(40), maxAge: -1 })).toThrow(RangeError);
    expect(() => djangoDatabaseStore({ db: {} as never, secretKey: "k".repeat(40) })).toThrow(TypeError);
    const noise = [...crypto.getRandomValues(new Uint8Array(3000))].map((b) => b.toString(36)).join("");
    await expect(djangoCookieStore({ secretKey: "k".repeat(40) }).encode({ data: { noise }, expiresAt: 0 })).rejects.toThrow(/bytes \(name and value\)/);
  });
});

/** JS-born payloads: hand-picked edge cases and a seeded random sample (fast-check). */
function payloadCorpus(): Record<string, unknown>[] {
  const edges: Record<string, unknown>[] = [
    {},
    { a: 1 },
    { b: 2, a: 1, "10": "integer-like keys come first in JS", "2": "and in numeric order" },
    { text: 'quote " backslash \\ slash / controls \b\f\n\r\t \u0000 \u001f \u007f \u0080 \u00ff' },
    { unicode: "Zoë ✓ 日本語 🍪 \u2028 \u2029 \ufeff", lone: "\ud800 \udfff x\ud83c" },
    { "ключ": "значение", "🔑": "🍪" },
    {
      floats: [0.1, 0.5, 1.5, -2.25, 1e-7, 1e-5, 0.0001, 123456.789, 1e15 + 0.5, 2 ** 53, 2 ** 53 + 2, 1e16, 1e20, 1e21, 1.7976931348623157e308, 5e-324, -1.5e-10, 4.35, 0.30000000000000004],
    },
    { ints: [0, -0, 1, -1, 42, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1)] },
    { nested: { a: [1, { b: [null, true, false, { c: "d" }] }], empty: {}, list: [] } },
    { date: new Date(0), toJSON: { toJSON: () => "custom" } },
    { long: "abcdefgh".repeat(200) },
    { repeated: Array.from({ length: 40 }, (_, i) => ({ id: i, name: "item" })) },
  ];
  const value = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.string({ maxLength: 60 }),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), tie("value"), { maxKeys: 5 }),
    ),
  })).value;
  const keys = fc.string({ unit: "binary", maxLength: 12 }).filter((k) => !["testcookie", "_expiry", "_testcookie", "_session_expiry"].includes(k));
  const random = fc.sample(fc.dictionary(keys, value, { maxKeys: 8 }), { seed: 20261126, numRuns: 260 });
  const doubles = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { seed: 7, numRuns: 200 });
  return [...edges, ...random, ...doubles.map((f, i) => ({ [`f${i}`]: f }))] as Record<string, unknown>[];
}
