/**
 * The djangoDatabaseStore interop tests, run against one real Django project
 * and its database (SQLite file or PostgreSQL): both directions through
 * `django_session`, expiry, key rotation, the test cookie, a concurrent
 * logout, and the public conformance suite on Django's own table.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getSession, openSession, SessionStoreError, withSession } from "../../mod.ts";
import { DJANGO_DATABASE_SALT, djangoDatabaseStore, djangoJson } from "../../src/django/mod.ts";
import { naiveUtc } from "../../src/django/database-store.ts";
import { TimestampSigner } from "../../src/signing.ts";
import { execute } from "../../src/stores/schema.ts";
import type { SessionPatch, SessionRecord, SessionStore } from "../../src/store.ts";
import { storeConformance } from "../store-conformance.ts";
import { type DjangoProject, type DjangoResponse, djangoSecretKey, startDjango } from "./django-project.ts";

/** What a test file gives the flows. */
export interface DatabaseSetup {
  django: DjangoProject;
  /** The same database, through Kysely. */
  db: Kysely<any>;
  family: "sqlite" | "postgres";
  close(): Promise<void>;
}

const VALUES_JSON =
  '{"name":"Zo\\u00eb \\u2713 \\ud83c\\udf6a","nested":{"a":[1,{"b":null}]},"list":[1,"two",3.5,[]],"yes":true,"no":false,' +
  '"nothing":null,"pi":3.14159,"one":1.0,"big":1e+20,"count":42}';
const VALUES = JSON.parse(VALUES_JSON) as Record<string, unknown>;

/**
 * Registers the flows.
 *
 * @param label the database, as test names show it
 * @param secretKey the Django project's SECRET_KEY (`start` must use it)
 * @param corrupt `session_data` texts that do not load (see {@linkcode corruptSessionData})
 * @param start starts Django and the database (once for the file)
 */
export function databaseInterop(label: string, secretKey: string, corrupt: string[], start: () => Promise<DatabaseSetup>): void {
  let setup: DatabaseSetup;
  let django: DjangoProject;
  let userId: number;
  const t = "django_session";

  beforeAll(async () => {
    setup = await start();
    django = setup.django;
    expect(django.secretKey).toBe(secretKey);
    expect(django.vendor).toBe(setup.family === "postgres" ? "postgresql" : "sqlite");
    userId = (await django.call<{ pk: number }>("create_user", { username: "bob", password: "hunter2" })).pk;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const store = (options: { secretKey?: string; fallbackKeys?: string[] } = {}) =>
    djangoDatabaseStore({ db: setup.db, secretKey: options.secretKey ?? secretKey, ...(options.fallbackKeys ? { fallbackKeys: options.fallbackKeys } : {}) });
  const djangoRequest = (args: Record<string, unknown>) => django.call<DjangoResponse>("request", { engine: "db", ...args });
  const djangoLoad = (key: string, extra: Record<string, unknown> = {}) =>
    django.call<{ data: Record<string, unknown> | null; expiry_age: number }>("db_load", { key, ...extra });

  async function djangoLogin(extra: Record<string, unknown> = {}): Promise<string> {
    const response = await djangoRequest({ actions: [{ op: "login", username: "bob" }, { op: "update", json: VALUES_JSON }], ...extra });
    expect(response.status).toBe(200);
    expect(response.cookie?.value).toMatch(/^[a-z0-9]{32}$/);
    return response.cookie!.value;
  }

  type Handler = (session: Awaited<ReturnType<typeof getSession>>) => unknown;
  async function jsRequest(sessionStore: SessionStore, cookie: string | null, handler: Handler) {
    let result: unknown;
    const app = withSession(async (request: Request) => {
      result = await handler(await getSession(request));
      return new Response("ok");
    }, { store: sessionStore });
    const response = await app(new Request("http://localhost/", { headers: cookie === null ? undefined : { cookie: `sessionid=${cookie}` } }));
    const setCookie = response.headers.get("set-cookie");
    return { result, status: response.status, setCookie, value: setCookie === null ? null : /^sessionid=([^;]*)/.exec(setCookie)![1]! };
  }

  /** The row as stored; `expire_date` as naive UTC text (as stored on SQLite, converted on PostgreSQL). */
  async function rawRow(key: string): Promise<{ session_data: string; expire_date: string } | undefined> {
    const sql = setup.family === "postgres"
      ? `select session_data, to_char(expire_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as expire_date from ${t} where session_key = $1`
      : `select session_data, expire_date from ${t} where session_key = ?`;
    return (await execute<{ session_data: string; expire_date: string }>(setup.db, sql, [key])).rows[0];
  }

  /** Milliseconds of a naive UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
  const parseNaive = (text: string) => Date.parse(text.slice(0, 23).replace(" ", "T") + "Z");

  /** A new Django session (no cookie in), changed by `actions`: its key. */
  async function djangoNew(actions: unknown[]): Promise<string> {
    const response = await djangoRequest({ actions });
    expect(response.cookie?.value).toMatch(/^[a-z0-9]{32}$/);
    return response.cookie!.value;
  }

  describe(`djangoDatabaseStore with real Django on ${label}`, () => {
    it(`(3) ${label}: reads the session Django's middleware and auth.login() stored in django_session`, async () => {
      const key = await djangoLogin();
      const { result, setCookie } = await jsRequest(store(), key, (session) => ({
        key: session.key,
        user: session.get("_auth_user_id"),
        backend: session.get("_auth_user_backend"),
        hash: session.get("_auth_user_hash"),
        values: Object.fromEntries(session.entries()),
      }));
      expect(result).toEqual({
        key,
        user: String(userId),
        backend: "django.contrib.auth.backends.ModelBackend",
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        values: VALUES,
      });
      expect(setCookie).toBeNull();
    });

    it(`(3) ${label}: JS changes the row; Django reads the same values back, unicode intact, user still logged in`, async () => {
      const key = await djangoLogin();
      const hash = (await djangoLoad(key)).data!["_auth_user_hash"];
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      const changed = { name: "Ünïcødé ✓ 🍪 — JS", added: { f: [0.5, 1e21, -2.5e-8], n: 2 ** 53 - 1 }, yes: false };
      const { value } = await jsRequest(store(), key, (session) => {
        for (const [k, v] of Object.entries(changed)) session.set(k, v);
        session.delete("no");
      });
      expect(value).toBe(key); // same row, same key
      const back = await djangoRequest({ cookie: key });
      expect(back.user_id_before).toBe(userId);
      const expected: Record<string, unknown> = { ...VALUES, ...changed };
      delete expected["no"];
      const { _auth_user_id, _auth_user_backend, _auth_user_hash, ...rest } = back.before;
      expect(_auth_user_id).toBe(String(userId));
      expect(_auth_user_hash).toBe(hash);
      expect(_auth_user_backend).toBe("django.contrib.auth.backends.ModelBackend");
      expect(rest).toEqual(expected);
      // The row keeps Django's formats: a session_data Django's signing.loads reads, and expire_date in the column's type.
      const row = (await rawRow(key))!;
      const [loaded] = await django.call<{ ok?: string }[]>("loads", { items: [{ token: row.session_data, key: secretKey, salt: DJANGO_DATABASE_SALT }] });
      expect(JSON.parse(loaded!.ok!)).toMatchObject(expected);
      if (setup.family === "sqlite") {
        expect(row.expire_date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
        const ms = parseNaive(row.expire_date);
        expect(Math.abs(ms - (Date.now() + 1_209_600_000))).toBeLessThan(60_000);
        expect(row.expire_date).toBe(naiveUtc(ms));
      } else {
        const type = await execute<{ data_type: string }>(setup.db, "select data_type from information_schema.columns where table_name = $1 and column_name = 'expire_date'", [t]);
        expect(type.rows[0]!.data_type).toBe("timestamp with time zone");
      }
    });

    it(`(3) ${label}: a session created in JS is a Django session: Django reads it, changes it, and JS sees the change`, async () => {
      const { value: key } = await jsRequest(store(), null, (session) => {
        session.set("cart", ["apple", "pear ✓"]);
        session.set("ratio", 0.75);
      });
      expect(key).toMatch(/^[a-z0-9]{32}$/);
      expect((await rawRow(key!))).toBeDefined(); // the plain key names the row
      expect((await djangoLoad(key!)).data).toEqual({ cart: ["apple", "pear ✓"], ratio: 0.75 });
      const changed = await djangoRequest({ cookie: key, actions: [{ op: "set", key: "from_django", value: "ça marche" }, { op: "delete", key: "ratio" }] });
      expect(changed.before).toEqual({ cart: ["apple", "pear ✓"], ratio: 0.75 });
      const { result } = await jsRequest(store(), key, (session) => Object.fromEntries(session.entries()));
      expect(result).toEqual({ cart: ["apple", "pear ✓"], from_django: "ça marche" });
    });

    it(`(5) ${label}: a row past expire_date is dead for both, and each side's clearsessions removes the other's`, async () => {
      // Django writes a row that is already past its expire_date, and so does JS.
      const deadRows = async () => {
        const fromDjango = await djangoNew([{ op: "set", key: "x", value: 1 }, { op: "set_expiry", value: -30 }]);
        const { value: fromJs } = await jsRequest(store(), null, (session) => session.set("y", 2));
        const live = (await openSession(fromJs!, { store: store() }))!;
        live.setExpiry(-30);
        live.set("y", 3);
        await live.save();
        for (const key of [fromDjango, fromJs!]) expect(await rawRow(key), key).toBeDefined();
        return [fromDjango, fromJs!];
      };
      const [djangoDead, jsDead] = await deadRows();
      const jsView = await jsRequest(store(), djangoDead!, (session) => ({ key: session.key, x: session.get("x") ?? null }));
      expect(jsView.result).toEqual({ key: null, x: null });
      expect(await openSession(djangoDead!, { store: store() })).toBeNull();
      expect((await djangoLoad(jsDead!)).data).toBeNull();
      expect((await djangoRequest({ cookie: jsDead })).before).toEqual({});

      const liveKey = await djangoLogin();
      // The JS store's clearExpired() deletes both...
      expect(await store().clearExpired()).toBeGreaterThanOrEqual(2);
      for (const key of [djangoDead!, jsDead!]) expect(await rawRow(key), key).toBeUndefined();
      // ...and so does Django's clear_expired (the clearsessions command).
      const again = await deadRows();
      const remaining = await django.call<string[]>("clear_expired");
      for (const key of again) expect(remaining).not.toContain(key);
      expect(remaining).toContain(liveKey);
      expect((await djangoLoad(liveKey)).data).toMatchObject({ _auth_user_id: String(userId) });
    });

    it(`(5) ${label}: setExpiry() and Django's set_expiry() meet at _session_expiry and expire_date`, async () => {
      const key = await djangoNew([{ op: "set", key: "a", value: 1 }, { op: "set_expiry", value: 600 }]);
      const { result } = await jsRequest(store(), key, (session) => {
        const age = session.getExpiryAge();
        session.setExpiry(new Date(Date.now() + 7_200_000));
        return age;
      });
      expect(result).toBe(600);
      const back = await djangoLoad(key);
      expect(Number.isInteger(back.data!["_session_expiry"])).toBe(true);
      expect(back.data!["_session_expiry"]).toBeGreaterThan(7190);
      expect(back.expiry_age).toBe(back.data!["_session_expiry"]);
      const row = (await rawRow(key))!;
      const expires = parseNaive(row.expire_date);
      expect(Math.abs(expires - (Date.now() + 7_200_000))).toBeLessThan(60_000);
    });

    it(`(6) ${label}: rotation: a row signed with a fallback key is read; the next save signs with the current key`, async () => {
      const oldKey = secretKey;
      const newKey = djangoSecretKey();
      const key = await djangoLogin({ SECRET_KEY: oldKey });
      const { result } = await jsRequest(store({ secretKey: newKey, fallbackKeys: [oldKey] }), key, (session) => {
        session.set("rotated", true);
        return session.get("_auth_user_id");
      });
      expect(result).toBe(String(userId));
      expect((await djangoLoad(key, { SECRET_KEY: newKey })).data).toMatchObject({ ...VALUES, rotated: true, _auth_user_id: String(userId) });
      expect((await djangoLoad(key, { SECRET_KEY: oldKey })).data).toEqual({}); // Django: "Session data corrupted"
      // Without the fallback, Django's old row reads as empty (one warning) and is never overwritten.
      const other = await djangoLogin({ SECRET_KEY: oldKey });
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      try {
        const strict = (await openSession(other, { store: store({ secretKey: newKey }) }))!;
        expect(strict.get("_auth_user_id")).toBeUndefined();
        expect(warn).toHaveBeenCalledTimes(1);
        strict.set("overwrite", true);
        await expect(strict.save()).rejects.toBeInstanceOf(SessionStoreError);
      } finally {
        warn.mockRestore();
      }
      expect((await djangoLoad(other, { SECRET_KEY: oldKey })).data).toMatchObject({ _auth_user_id: String(userId) });
    });

    it(`(7) ${label}: testcookie: Django's set_test_cookie() is seen by testCookieWorked(), and setTestCookie() by Django`, async () => {
      const key = await djangoNew([{ op: "set", key: "v", value: 1 }, { op: "set_test_cookie" }]);
      const seen = await jsRequest(store(), key, (session) => ({ worked: session.testCookieWorked(), keys: session.keys() }));
      expect(seen.result).toEqual({ worked: true, keys: ["v"] });
      const { value } = await jsRequest(store(), null, (session) => {
        session.setTestCookie();
        session.set("w", 2);
      });
      const read = await djangoRequest({ cookie: value });
      expect(read.test_cookie_worked).toBe(true);
      expect(read.before).toEqual({ testcookie: "worked", w: 2 });
      await jsRequest(store(), value, (session) => session.deleteTestCookie());
      expect((await djangoLoad(value!)).data).toEqual({ w: 2 });
    });

    it(`${label}: a project's SessionStore subclass signs with its own salt, which the salt option takes`, async () => {
      const response = await djangoRequest({ engine: "custom", actions: [{ op: "set", key: "via", value: "CustomStore" }] });
      const key = response.cookie!.value;
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      try {
        const plain = (await openSession(key, { store: store() }))!;
        expect(plain.get("via")).toBeUndefined();
        expect(warn).toHaveBeenCalledTimes(1);
      } finally {
        warn.mockRestore();
      }
      const salted = djangoDatabaseStore({ db: setup.db, secretKey, salt: "django.contrib.sessions.CustomStore" });
      const { result, value } = await jsRequest(salted, key, (session) => {
        session.set("back", "from JS");
        return session.get("via");
      });
      expect(result).toBe("CustomStore");
      expect((await djangoRequest({ engine: "custom", cookie: value })).before).toEqual({ via: "CustomStore", back: "from JS" });
    });

    it(`${label}: a logout in Django while JS holds the session: the JS save is refused and the row stays deleted`, async () => {
      const key = await djangoLogin();
      const session = (await openSession(key, { store: store() }))!;
      session.set("late", true);
      await djangoRequest({ cookie: key, actions: [{ op: "flush" }] });
      await expect(session.save()).rejects.toMatchObject({ name: "SessionInterruptedError" });
      expect(await rawRow(key)).toBeUndefined();
    });

    it(`${label}: maxBytes counts the data as Django stores it (non-ASCII escaped), and refuses growth past it`, async () => {
      const { value: key } = await jsRequest(store(), null, (session) => session.set("a", 1));
      const accents = "é".repeat(200); // 400 bytes of UTF-8, 1,200 in Django's JSON
      await expect(store().update(key!, { set: { t: accents }, unset: [], expiresAt: Date.now() + 60_000, maxBytes: 1_000 }))
        .rejects.toMatchObject({ name: "SessionDataTooLargeError", limit: 1_000, size: '{"a":1,"t":""}'.length + 6 * 200 });
      expect((await djangoLoad(key!)).data).toEqual({ a: 1 });
      expect(await store().update(key!, { set: { t: accents }, unset: [], expiresAt: Date.now() + 60_000, maxBytes: 1_300 })).toBe(true);
      expect((await djangoLoad(key!)).data).toEqual({ a: 1, t: accents });
    });

    it(`${label}: flush() in JS logs the user out of Django`, async () => {
      const key = await djangoLogin();
      const { setCookie } = await jsRequest(store(), key, (session) => session.flush());
      expect(setCookie).toMatch(/Max-Age=0/);
      expect(await rawRow(key)).toBeUndefined();
      expect((await djangoRequest({ cookie: key })).user_id_before).toBeNull();
    });

    it(`${label}: revokeSessions() by _auth_user_id logs a user out of every Django session`, async () => {
      const keys = [await djangoLogin(), await djangoLogin(), await djangoLogin()];
      const removed = await store().deleteWhere("_auth_user_id", String(userId), keys[0]);
      expect(removed).toBeGreaterThanOrEqual(2);
      expect((await djangoRequest({ cookie: keys[0] })).user_id_before).toBe(userId);
      for (const key of keys.slice(1)) expect((await djangoRequest({ cookie: key })).user_id_before).toBeNull();
    });
  });

  // The public conformance suite on Django's own table (created by migrate), emptied for each check.
  // The suite's ids are 64 hex characters; Django's column holds 40, so the adapter keeps the first 40.
  storeConformance(`djangoDatabaseStore on ${label}`, async () => {
    await execute(setup.db, `delete from ${t}`, []);
    const inner = store();
    const short = (id: string) => id.slice(0, 40);
    const wrapped: SessionStore = {
      load: (id) => inner.load(short(id)),
      create: (id, record: SessionRecord) => inner.create(short(id), record),
      update: (id, patch: SessionPatch) => inner.update(short(id), patch),
      delete: (id) => inner.delete(short(id)),
      clearExpired: () => inner.clearExpired(),
      deleteWhere: (field, value, exceptId) => inner.deleteWhere(field, value, exceptId === undefined ? undefined : short(exceptId)),
    };
    return {
      store: wrapped,
      async insertRaw(id, data, expiresAt) {
        const date = setup.family === "postgres" ? new Date(expiresAt).toISOString() : naiveUtc(expiresAt);
        const sql = setup.family === "postgres" ? `insert into ${t} values ($1, $2, $3)` : `insert into ${t} values (?, ?, ?)`;
        await execute(setup.db, sql, [short(id), data, date]);
      },
      async close() {
        await execute(setup.db, `delete from ${t}`, []);
      },
    };
  }, { corrupt });
}

/**
 * Registers the flows against a running Django on the SQLite file its
 * `migrate` created, reached through the Kysely instance `open` makes for
 * that file.
 */
export async function sqliteInterop(label: string, open: (path: string) => Kysely<any>): Promise<void> {
  const secretKey = djangoSecretKey();
  databaseInterop(label, secretKey, await corruptSessionData(secretKey), async () => {
    const django = await startDjango({ secretKey });
    const db = open(django.sqlitePath);
    return {
      django,
      db,
      family: "sqlite",
      async close() {
        await db.destroy();
        await django.close();
      },
    };
  });
}

/**
 * `session_data` values Django would load as `{}`: not a token, a forged
 * MAC, another salt, and correctly signed payloads that are not a JSON object.
 */
export async function corruptSessionData(secretKey: string): Promise<string[]> {
  const signer = new TimestampSigner({ secret: secretKey, salt: DJANGO_DATABASE_SALT });
  const other = new TimestampSigner({ secret: secretKey, salt: "django.contrib.sessions.CustomStore" });
  const good = await signer.sign(djangoJson({ a: 1 }));
  return [
    "not a token",
    good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA"),
    await other.sign('{"a":1}'),
    await signer.sign("[1,2,3]"),
    await signer.sign('"a string"'),
    await signer.sign("{not json"),
    await signer.sign("null"),
  ];
}
