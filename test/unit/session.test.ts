/**
 * src/session.ts and src/session-state.ts: the Session class. Django's
 * SessionTestsMixin (tests/sessions_tests/tests.py) ported to withSession +
 * MemoryStore (each test named after the Django test it ports), then what
 * this library adds: reserved keys, flash, typed data, store ids, the size
 * limit and expiry bounds.
 */
import { afterEach, describe, expect, expectTypeOf, test, vi } from "vitest";
import {
  getSession,
  MemoryStore,
  openSession,
  type Session,
  SessionDataTooLargeError,
  SessionInterruptedError,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
  withSession,
} from "../../mod.ts";
import { rowId, setCookies } from "../helpers/http.ts";
import { createClient, SpyStore } from "../helpers/jar.ts";

const AGE = 1_209_600;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function exists(store: MemoryStore | SpyStore, key: string | null | undefined): Promise<boolean> {
  if (!key) return false;
  return (await store.load(rowId(key))) !== null;
}

describe("SessionTestsMixin", () => {
  test("test_new_session: a new session is unmodified, has no key, and is accessed once getSession() returns it", async () => {
    const client = createClient();
    const { value } = await client.run((s) => [s.modified, s.accessed, s.key, s.isEmpty()]);
    expect(value).toEqual([false, true, null, true]);
  });

  test("test_get_empty: get() of a missing key gives undefined or the fallback", async () => {
    const client = createClient();
    const { value } = await client.run((s) => [s.get("cat"), s.get("cat", "dog"), s.modified]);
    expect(value).toEqual([undefined, "dog", false]);
  });

  test("test_store: set() stores, marks modified, pop() returns it", async () => {
    const client = createClient();
    const { value } = await client.run((s) => {
      s.set("cat", "dog");
      const modified = s.modified;
      return [modified, s.has("cat"), s.pop("cat"), s.has("cat")];
    });
    expect(value).toEqual([true, true, "dog", false]);
  });

  test("test_pop: pop() returns the value and marks modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("some key", "exists"));
    const { value } = await client.run((s) => [s.pop("some key"), s.modified, s.get("some key")]);
    expect(value).toEqual(["exists", true, undefined]);
  });

  test("test_pop_default: pop() of a missing key returns the fallback and leaves modified alone", async () => {
    const client = createClient();
    const { value } = await client.run((s) => [s.pop("some key", "does not exist"), s.accessed, s.modified]);
    expect(value).toEqual(["does not exist", true, false]);
  });

  test("test_pop_no_default_keyerror_raised: pop() of a missing key without fallback gives undefined, unmodified", async () => {
    const client = createClient();
    const { value } = await client.run((s) => [s.pop("some key"), s.modified]);
    expect(value).toEqual([undefined, false]);
  });

  test("test_setdefault: setDefault() sets once and returns the existing value after", async () => {
    const client = createClient();
    const { value } = await client.run((s) => [s.setDefault("foo", "bar"), s.setDefault("foo", "baz"), s.modified]);
    expect(value).toEqual(["bar", "bar", true]);
  });

  test("test_setdefault: setDefault() of an existing key does not mark modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("foo", "bar"));
    const { value } = await client.run((s) => [s.setDefault("foo", "baz"), s.modified]);
    expect(value).toEqual(["bar", false]);
  });

  test("test_update: update() stores every entry and marks modified, even for {}", async () => {
    const client = createClient();
    const { value } = await client.run((s) => {
      s.update({ "update key": 1 });
      return [s.modified, s.get("update key")];
    });
    expect(value).toEqual([true, 1]);
    const empty = await client.run((s) => {
      s.update({});
      return s.modified;
    });
    expect(empty.value).toBe(true);
  });

  test("test_has_key: has() does not mark modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("some key", 1));
    const { value } = await client.run((s) => [s.has("some key"), s.has("other"), s.modified]);
    expect(value).toEqual([true, false, false]);
  });

  test("test_values: values() does not mark modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("some key", 1));
    const { value } = await client.run((s) => [s.values(), s.modified]);
    expect(value).toEqual([[1], false]);
  });

  test("test_keys: keys() does not mark modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    const { value } = await client.run((s) => [s.keys(), s.modified]);
    expect(value).toEqual([["x"], false]);
  });

  test("test_items: entries() does not mark modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    const { value } = await client.run((s) => [s.entries(), s.modified]);
    expect(value).toEqual([[["x", 1]], false]);
  });

  test("test_clear: clear() empties the data, keeps the key and marks modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    const key = client.cookie();
    const { value } = await client.run((s) => {
      s.clear();
      return [s.entries(), s.modified, s.accessed, s.key];
    });
    expect(value).toEqual([[], true, true, key]);
  });

  test("test_save: a saved session exists in the store", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    expect(await exists(client.store as MemoryStore, client.cookie())).toBe(true);
  });

  test("test_delete: deleting the stored row makes the session not exist", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    const key = client.cookie()!;
    await client.store.delete(rowId(key));
    expect(await exists(client.store as MemoryStore, key)).toBe(false);
  });

  test("test_flush: flush() deletes the row, forgets the key, marks modified", async () => {
    const client = createClient();
    await client.run((s) => s.set("foo", "bar"));
    const prevKey = client.cookie()!;
    const { value } = await client.run(async (s) => {
      await s.flush();
      return [s.key, s.modified, s.accessed, s.entries(), s.isEmpty()];
    });
    expect(value).toEqual([null, true, true, [], true]);
    expect(await exists(client.store as MemoryStore, prevKey)).toBe(false);
  });

  test("test_cycle: cycleKey() keeps the data under a new key and deletes the old row", async () => {
    const client = createClient();
    await client.run((s) => s.set("a", "c"));
    const prevKey = client.cookie()!;
    const { value } = await client.run(async (s) => {
      const before = s.entries();
      await s.cycleKey();
      return [before, s.entries(), s.key];
    });
    const [before, after, newKey] = value as [unknown, unknown, string];
    expect(after).toEqual(before);
    expect(newKey).not.toBe(prevKey);
    expect(await exists(client.store as MemoryStore, prevKey)).toBe(false);
    expect(await exists(client.store as MemoryStore, newKey)).toBe(true);
    expect(client.cookie()).toBe(newKey);
    const next = await client.run((s) => s.get("a"));
    expect(next.value).toBe("c");
  });

  test("test_cycle_with_no_session_cache: cycleKey() on a fresh session creates a row with its data", async () => {
    const client = createClient();
    const { value } = await client.run(async (s) => {
      s.set("a", "b");
      await s.cycleKey();
      return s.key;
    });
    expect(value).toMatch(/^[a-z0-9]{32}$/);
    expect(client.cookie()).toBe(value);
    expect((await client.run((s) => s.get("a"))).value).toBe("b");
  });

  test("test_save_doesnt_clear_data: data stays readable after save()", async () => {
    const client = createClient();
    const { value } = await client.run(async (s) => {
      s.set("a", "b");
      await s.save();
      return s.get("a");
    });
    expect(value).toBe("b");
  });

  test("test_invalid_key: a cookie of another shape is never adopted and no row is made for it", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    for (const bad of ["", "short", "a".repeat(31), "A".repeat(32), "a".repeat(33), "ab-" + "c".repeat(29)]) {
      client.jar.set("sessionid", bad);
      const { value } = await client.run((s) => [s.key, s.isEmpty()]);
      expect(value).toEqual([null, true]);
    }
    expect(store.count("load")).toBe(0);
    expect(store.count("create")).toBe(0);
  });

  test("test_session_key_valid_string_saved: a valid key that names no row is not adopted; save issues a new key", async () => {
    const client = createClient();
    const planted = "a".repeat(32);
    client.jar.set("sessionid", planted);
    const { value } = await client.run((s) => {
      s.set("x", 1);
      return s.key;
    });
    expect(value).toBeNull();
    expect(client.cookie()).toMatch(/^[a-z0-9]{32}$/);
    expect(client.cookie()).not.toBe(planted);
  });

  test("test_session_key_is_read_only: key cannot be assigned", async () => {
    const client = createClient();
    const { value } = await client.run((s) => {
      expect(() => {
        (s as unknown as { key: string }).key = "a".repeat(32);
      }).toThrow(TypeError);
      return s.key;
    });
    expect(value).toBeNull();
  });

  test("test_default_expiry: the default expiry age is cookie.maxAge, also with setExpiry(0)", async () => {
    const client = createClient();
    const { value } = await client.run((s) => {
      const age = s.getExpiryAge();
      s.setExpiry(0);
      return [age, s.getExpiryAge()];
    });
    expect(value).toEqual([AGE, AGE]);
  });

  test("test_custom_expiry_seconds: setExpiry(10) gives an age of 10 and a date 10 s ahead", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const client = createClient();
    const { value } = await client.run((s) => {
      s.setExpiry(10);
      return [s.getExpiryAge(), s.getExpiryDate().toISOString()];
    });
    expect(value).toEqual([10, "2026-01-01T00:00:10.000Z"]);
  });

  test("test_custom_expiry_timedelta: setExpiry(seconds) counts from each save", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const client = createClient();
    await client.run((s) => s.setExpiry(60));
    vi.setSystemTime(new Date("2026-01-01T00:00:30Z"));
    const { value } = await client.run((s) => {
      s.set("touch", true);
      return s.getExpiryAge();
    });
    expect(value).toBe(60);
    vi.setSystemTime(new Date("2026-01-01T00:01:20Z")); // 50 s after the last save: alive
    expect((await client.run((s) => s.get("touch"))).value).toBe(true);
  });

  test("test_custom_expiry_datetime: setExpiry(Date) gives whole seconds until it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const client = createClient();
    const { value } = await client.run((s) => {
      s.setExpiry(new Date("2026-01-01T00:00:10Z"));
      return [s.getExpiryAge(), s.getExpiryDate().toISOString()];
    });
    expect(value).toEqual([10, "2026-01-01T00:00:10.000Z"]);
  });

  test("test_custom_expiry_reset: setExpiry(null) goes back to the default", async () => {
    const client = createClient();
    const { value } = await client.run((s) => {
      s.setExpiry(10);
      s.setExpiry(null);
      return s.getExpiryAge();
    });
    expect(value).toBe(AGE);
  });

  for (const [setting, expected] of [[false, [false, true, false]], [true, [false, true, true]]] as const) {
    test(`test_get_expire_at_browser_close: with expireAtBrowserClose ${setting}`, async () => {
      const client = createClient({ expireAtBrowserClose: setting });
      const { value } = await client.run((s) => {
        const out: boolean[] = [];
        for (const expiry of [10, 0, null]) {
          s.setExpiry(expiry);
          out.push(s.getExpireAtBrowserClose());
        }
        return out;
      });
      expect(value).toEqual(expected);
    });
  }

  test("test_decode_failure_logged_to_security: corrupt stored data loads as an empty session and is logged", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("x", 1));
    const id = rowId(client.cookie()!);
    const original = store.load.bind(store);
    vi.spyOn(store, "load").mockImplementation(async (i) => {
      const record = await original(i);
      return record && { ...record, data: "not an object" as unknown as Record<string, unknown> };
    });
    const { value } = await client.run((s) => [s.entries(), s.key !== null]);
    expect(value).toEqual([[], true]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("corrupted"));
    expect(id).toHaveLength(64);
  });

  test("test_actual_expiry: a session saved already expired is gone in the next request", async () => {
    const client = createClient();
    const { response } = await client.run((s) => {
      s.set("foo", "bar");
      s.setExpiry(-10);
    });
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/Max-Age=0/);
    client.jar.set("sessionid", cookie.split(";")[0]!.split("=")[1]!);
    const { value } = await client.run((s) => [s.has("foo"), s.key]);
    expect(value).toEqual([false, null]);
  });

  test("a session whose expiry has passed, then cycleKey(), then a change, is saved already expired (Max-Age=0), not refused as deleted", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    const oldKey = client.cookie()!;
    const { response } = await client.run(async (s) => {
      s.setExpiry(-10);
      await s.cycleKey();
      s.set("y", 2);
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/Max-Age=0/);
    const newKey = cookie.split(";")[0]!.split("=")[1]!;
    expect(newKey).not.toBe(oldKey);
    // Dead under both keys, as after any already-expired save.
    for (const key of [newKey, oldKey]) {
      client.jar.set("sessionid", key);
      const { value } = await client.run((s) => [s.has("x"), s.key]);
      expect(value).toEqual([false, null]);
    }
  });

  test("a session cycled while its expiry had passed, then given a future expiry and a change, lives on under the new key (as in Django)", async () => {
    const client = createClient();
    await client.run((s) => s.set("x", 1));
    const { response } = await client.run(async (s) => {
      s.setExpiry(-10);
      await s.cycleKey();
      s.setExpiry(3600);
      s.set("y", 2);
    });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()[0]).toMatch(/Max-Age=3600;/);
    const { value } = await client.run((s) => [s.get("x"), s.get("y"), s.getExpiryAge() > 3500]);
    expect(value).toEqual([1, 2, true]);
  });

  test("save() of a session already saved expired, after another change, saves again instead of throwing SessionInterruptedError", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("x", 1));
    const key = client.cookie()!;
    const session = (await openSession(key, { store }))!;
    session.setExpiry(-10);
    session.set("y", 2);
    await session.save();
    session.set("z", 3);
    await expect(session.save()).resolves.toBeUndefined();
    expect(await store.load(rowId(key))).toBeNull();
  });

  test("a session whose row a concurrent request deleted is still refused with 400, also when its expiry has passed meanwhile", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("x", 1));
    const id = rowId(client.cookie()!);
    const { response } = await client.run(async (s) => {
      s.get("x");
      await store.delete(id); // a logout elsewhere
      s.setExpiry(-10);
      s.set("y", 2);
    });
    expect(response.status).toBe(400);
  });

  test("test_actual_expiry: a session past its expiry is not loaded", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const client = createClient();
    await client.run((s) => {
      s.set("foo", "bar");
      s.setExpiry(5);
    });
    vi.setSystemTime(new Date("2026-01-01T00:00:06Z"));
    const { value } = await client.run((s) => s.get("foo"));
    expect(value).toBeUndefined();
  });

  test("test_session_load_does_not_create_record: loading an unknown key creates nothing", async () => {
    const store = new SpyStore();
    const client = createClient({ store });
    client.jar.set("sessionid", "k".repeat(32));
    await client.run((s) => s.get("x"));
    expect(store.count("create")).toBe(0);
    expect(store.inner.size).toBe(0);
  });

  test("test_session_save_does_not_resurrect_session_logged_out_in_other_context", async () => {
    const client = createClient();
    await client.run((s) => s.set("a", 1));
    const id = rowId(client.cookie()!);
    const { value } = await client.run(async (s) => {
      await client.store.delete(id); // another request logs out
      s.set("b", 2);
      return s.save().then(() => "saved", (e: unknown) => e);
    });
    expect(value).toBeInstanceOf(SessionInterruptedError);
    expect(await client.store.load(id)).toBeNull();
  });

  test("test_bool / is_empty: a session with a key or data is not empty", async () => {
    const client = createClient();
    const fresh = await client.run((s) => {
      const before = s.isEmpty();
      s.set("x", 1);
      return [before, s.isEmpty()];
    });
    expect(fresh.value).toEqual([true, false]);
    const emptied = await client.run((s) => {
      s.clear();
      return s.isEmpty(); // still has a key
    });
    expect(emptied.value).toBe(false);
  });
});

describe("test cookie (SessionBase.set_test_cookie)", () => {
  test("setTestCookie() is seen by testCookieWorked() in the next request, and deleteTestCookie() removes it", async () => {
    const client = createClient();
    const first = await client.run((s) => {
      s.setTestCookie();
      return [s.testCookieWorked(), s.keys()];
    });
    expect(first.value).toEqual([true, []]);
    expect(client.cookie()).toBeDefined();
    const second = await client.run((s) => {
      const worked = s.testCookieWorked();
      s.deleteTestCookie();
      return [worked, s.testCookieWorked(), s.modified];
    });
    expect(second.value).toEqual([true, false, true]);
  });

  test("testCookieWorked() is false when the browser sent no cookie back", async () => {
    const client = createClient();
    await client.run((s) => s.setTestCookie());
    client.jar.clear();
    const { value } = await client.run((s) => s.testCookieWorked());
    expect(value).toBe(false);
  });
});

describe("Session values", () => {

  test("Session.set() stores a Date as JSON gives it: a string in the next request", async () => {
    const client = createClient();
    const date = new Date("2026-01-02T03:04:05.000Z");
    await client.run((s) => s.set("when", date));
    expect((await client.run((s) => s.get("when"))).value).toBe("2026-01-02T03:04:05.000Z");
  });

  test("Session keys starting with _ are reserved", async () => {
    const client = createClient();
    await client.run((s) => {
      expect(() => s.set("_x", 1)).toThrow(RangeError);
      expect(() => s.delete("_expiry")).toThrow(RangeError);
      expect(() => s.flash("_x", 1)).toThrow(RangeError);
      s.setTestCookie();
      s.setExpiry(100);
      s.flash("note", "hi");
      expect(s.keys()).toEqual([]);
      expect(s.has("_testcookie")).toBe(false);
      expect(s.get("_expiry")).toBeUndefined();
      expect(s.isEmpty()).toBe(false);
    });
    expect(client.cookie()).toBeDefined();
  });

  test("Session<Data> types get() and set()", async () => {
    const client = createClient();
    await client.run((untyped) => {
      const s = untyped as Session<{ visits: number; name: string }>;
      expectTypeOf(s.get("visits")).toEqualTypeOf<number | undefined>();
      expectTypeOf(s.get("visits", 0)).toEqualTypeOf<number>();
      expectTypeOf(s.pop("name")).toEqualTypeOf<string | undefined>();
      // @ts-expect-error a string is not a number
      s.set("visits", "one");
      // @ts-expect-error unknown key
      s.get("nope");
      s.set("visits", 1);
    });
  });
});

describe("Session.flash()", () => {
  test("flash() is not visible in the same request, shown once later, then gone", async () => {
    const client = createClient();
    const first = await client.run((s) => {
      s.flash("message", "Welcome");
      return [s.get("message"), s.keys()];
    });
    expect(first.value).toEqual([undefined, []]);
    const second = await client.run((s) => [s.get("message"), s.get("message"), s.modified]);
    expect(second.value).toEqual(["Welcome", undefined, true]);
    const third = await client.run((s) => s.get("message"));
    expect(third.value).toBeUndefined();
  });

  test("flash() values wait through requests that do not read them", async () => {
    const client = createClient();
    await client.run((s) => s.flash("m", 1));
    await client.run((s) => s.get("other"));
    await client.run((s) => s.get("other"));
    expect((await client.run((s) => s.get("m"))).value).toBe(1);
  });

  test("flash() re-set in the request that reads the old one keeps the new one for later", async () => {
    const client = createClient();
    await client.run((s) => s.flash("m", "old"));
    const { value } = await client.run((s) => {
      s.flash("m", "new");
      return s.get("m");
    });
    expect(value).toBe("old");
    expect((await client.run((s) => s.get("m"))).value).toBe("new");
  });

  test("flash() on a session that is otherwise empty is saved and then the session empties", async () => {
    const client = createClient();
    await client.run((s) => s.flash("m", 1));
    expect(client.cookie()).toBeDefined();
    const { response } = await client.run((s) => s.get("m"));
    // The session still has its key, so it is saved as {} and the cookie re-sent (as Django).
    expect(setCookies(response)).toHaveLength(1);
  });
});

describe("maxDataBytes (local check)", () => {
  test("maxDataBytes refuses to save a larger session with a RangeError that says the size", async () => {
    const store = new MemoryStore();
    const client = createClient({ store, maxDataBytes: 1000 });
    const error = await client.run((s) => s.set("big", "x".repeat(2000))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(String(error)).toMatch(/session of \d+ bytes.*limit \(maxDataBytes\) is 1000/);
    expect(store.size).toBe(0);
  });
  test("maxDataBytes counts UTF-8 bytes", async () => {
    const client = createClient({ maxDataBytes: 100 });
    const error = await client.run((s) => s.set("u", "é".repeat(50))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    const ok = await client.run((s) => s.set("u", "é".repeat(30)));
    expect(ok.response.status).toBe(200);
  });
});

describe("reserved keys", () => {
  test("get() and has() read a stored _ key that is not the library's own (Django's _auth_user_id); keys() hides it", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("name", "alice"));
    const id = rowId(client.cookie()!);
    await store.update(id, { set: { _auth_user_id: "42", _auth_user_backend: "b" }, unset: [], expiresAt: Date.now() + 60_000 });
    const { value } = await client.run((s) => {
      s.setExpiry(300);
      s.setTestCookie();
      return [s.get("_auth_user_id"), s.has("_auth_user_backend"), s.has("_nope"), s.get("_expiry"), s.has("_expiry"), s.get("_testcookie"), s.has("_flash"), s.keys(), s.values(), s.entries()];
    });
    expect(value).toEqual(["42", true, false, undefined, false, undefined, false, ["name"], ["alice"], [["name", "alice"]]]);
  });

  test("set(), delete() and pop() of any _ key still throw RangeError", async () => {
    const client = createClient();
    await client.run((s) => {
      expect(() => s.set("_auth_user_id" as never, 1 as never)).toThrow(RangeError);
      expect(() => s.delete("_auth_user_id" as never)).toThrow(RangeError);
      expect(() => s.pop("_auth_user_id" as never)).toThrow(RangeError);
    });
  });
});

/** A MemoryStore whose rows are named by the plain key, like Django's database backend. */
class PlainIdStore extends MemoryStore {
  readonly ids: string[] = [];
  idOf(key: string): string {
    return `plain:${key}`;
  }
  override load(id: string): Promise<SessionRecord | null> {
    this.ids.push(id);
    return super.load(id);
  }
  override create(id: string, record: SessionRecord): Promise<boolean> {
    this.ids.push(id);
    return super.create(id, record);
  }
  override update(id: string, patch: SessionPatch): Promise<boolean> {
    this.ids.push(id);
    return super.update(id, patch);
  }
  override delete(id: string): Promise<void> {
    this.ids.push(id);
    return super.delete(id);
  }
}

describe("SessionStore.idOf", () => {
  test("the core names rows with the store's idOf() on create, load, update, cycleKey, flush and openSession", async () => {
    const store = new PlainIdStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const first = client.cookie()!;
    await client.run((s) => s.set("a", 2));
    await client.run((s) => s.cycleKey());
    const second = client.cookie()!;
    const opened = await openSession(second, { store });
    expect(opened!.get("a")).toBe(2);
    await client.run((s) => s.flush());
    expect(store.ids.every((id) => id.startsWith("plain:"))).toBe(true);
    expect(store.ids).toContain(`plain:${first}`);
    expect(store.ids).toContain(`plain:${second}`);
    expect(store.size).toBe(0);
  });
});

describe("maxDataBytes", () => {
  test("ten concurrent 900-byte writes against a 2000-byte limit store at most 2000 bytes; the user can still log in", async () => {
    const store = new MemoryStore();
    const app = withSession(async (request: Request) => {
      const session = await getSession(request);
      const set = new URL(request.url).searchParams.get("set");
      if (set !== null) session.set(set, "x".repeat(900));
      if (new URL(request.url).searchParams.has("login")) await session.cycleKey();
      return new Response("ok");
    }, { store, maxDataBytes: 2000 });
    const created = await app(new Request("http://localhost/?set=start"));
    const key = /sessionid=([a-z0-9]{32})/.exec(created.headers.get("set-cookie")!)![1]!;
    const cookie = { cookie: `sessionid=${key}` };
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => app(new Request(`http://localhost/?set=k${i}`, { headers: cookie }))));
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SessionDataTooLargeError);
    const json = store.dump()[0]![1];
    expect(new TextEncoder().encode(json).length).toBeLessThanOrEqual(2000);
    const login = await app(new Request("http://localhost/?login", { headers: cookie }));
    expect(login.status).toBe(200);
    expect(login.headers.get("set-cookie")).toMatch(/sessionid=[a-z0-9]{32}/);
  });

  test("a session over the limit (the limit was lowered) can be cycled, shrunk and flushed, but not grown", async () => {
    const store = new MemoryStore();
    const big = createClient({ store, maxDataBytes: 65_536 });
    await big.run((s) => s.update({ a: "x".repeat(900), b: "x".repeat(900), c: "x".repeat(900) }));
    const small = createClient({ store, maxDataBytes: 2000 });
    small.jar.set("sessionid", big.cookie()!);
    const grow = await small.run((s) => s.set("d", 1)).catch((e: unknown) => e);
    expect(grow).toBeInstanceOf(SessionDataTooLargeError);
    expect((grow as SessionDataTooLargeError).limit).toBe(2000);
    const before = small.cookie();
    await small.run((s) => s.cycleKey());
    expect(small.cookie()).not.toBe(before);
    await small.run((s) => s.delete("a"));
    const { value } = await small.run((s) => s.keys());
    expect(value).toEqual(["b", "c"]);
    await small.run((s) => s.flush());
    expect(small.cookie()).toBeUndefined();
    expect(store.size).toBe(0);
  });

  test("the limit is sent to the store with every patch that sets keys", async () => {
    const patches: SessionPatch[] = [];
    const inner = new MemoryStore();
    const store: SessionStore = {
      load: (id) => inner.load(id),
      create: (id, r) => inner.create(id, r),
      update: (id, patch) => {
        patches.push(patch);
        return inner.update(id, patch);
      },
      delete: (id) => inner.delete(id),
    };
    const client = createClient({ store, maxDataBytes: 5000 });
    await client.run((s) => s.set("a", 1));
    await client.run((s) => s.set("b", 2));
    await client.run((s) => s.delete("b"));
    expect(patches.map((p) => p.maxBytes)).toEqual([5000, undefined]);
  });

});

describe("expiry bounds", () => {
  const DAYS_400 = 34_560_000;

  test("setExpiry() refuses seconds beyond 400 days either way with a RangeError, at the call", async () => {
    const client = createClient();
    await client.run((s) => {
      for (const value of [1e13, Number.MAX_SAFE_INTEGER, 1e300, -1e300, DAYS_400 + 1, -DAYS_400 - 1]) {
        expect(() => s.setExpiry(value), String(value)).toThrow(RangeError);
      }
      expect(s.modified).toBe(false);
      s.setExpiry(DAYS_400);
      expect(s.getExpiryAge()).toBe(DAYS_400);
      s.setExpiry(-DAYS_400);
      expect(s.getExpiryAge()).toBe(-DAYS_400);
    });
  });

  test("setExpiry() refuses a Date more than 400 days ahead with a RangeError; any past Date is allowed", async () => {
    const client = createClient();
    await client.run((s) => {
      expect(() => s.setExpiry(new Date(Date.now() + (DAYS_400 + 60) * 1000))).toThrow(RangeError);
      expect(() => s.setExpiry(new Date(8.64e15))).toThrow(RangeError);
      expect(() => s.setExpiry(new Date(Number.NaN))).toThrow(TypeError);
      s.setExpiry(new Date(Date.now() + (DAYS_400 - 60) * 1000));
      s.setExpiry(new Date(0));
      expect(s.getExpiryDate().getTime()).toBeGreaterThan(Date.now() - (DAYS_400 + 1) * 1000);
    });
  });

  test("a stored _expiry out of range (written by other software) still gives a finite expiry within 400 days, and the cookie agrees", async () => {
    const store = new MemoryStore();
    const client = createClient({ store });
    await client.run((s) => s.set("a", 1));
    const id = rowId(client.cookie()!);
    const expiries: number[] = [];
    const spy: SessionStore = {
      load: (i) => store.load(i),
      create: (i, r) => store.create(i, r),
      update: (i, patch) => {
        expiries.push(patch.expiresAt);
        return store.update(i, patch);
      },
      delete: (i) => store.delete(i),
    };
    for (const stored of [1e300, "+275760-09-13T00:00:00.001Z", "not a date"]) {
      await store.update(id, { set: { _expiry: stored }, unset: [], expiresAt: Date.now() + 60_000 });
      const other = createClient({ store: spy });
      other.jar.set("sessionid", client.cookie()!);
      const { response } = await other.run((s) => s.set("b", 2));
      const header = response.headers.getSetCookie()[0]!;
      const maxAge = Number(/Max-Age=(\d+)/.exec(header)![1]);
      const expires = Date.parse(/Expires=([^;]+)/.exec(header)![1]!);
      expect(maxAge).toBeLessThanOrEqual(DAYS_400);
      expect(Math.abs(expires - (Date.now() + maxAge * 1000))).toBeLessThan(2000);
    }
    expect(expiries).toHaveLength(3);
    for (const at of expiries) {
      expect(Number.isFinite(at)).toBe(true);
      expect(at).toBeLessThanOrEqual(Date.now() + DAYS_400 * 1000);
    }
  });
});
