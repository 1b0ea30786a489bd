/**
 * Django's SessionTestsMixin (tests/sessions_tests/tests.py), ported to
 * withSession + MemoryStore. Each test is named after the Django test it ports.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { MemoryStore, SessionInterruptedError } from "../mod.ts";
import { createClient, sha256Hex, SpyStore } from "./helpers/jar.ts";

const AGE = 1_209_600;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function exists(store: MemoryStore | SpyStore, key: string | null | undefined): Promise<boolean> {
  if (!key) return false;
  return (await store.load(await sha256Hex(key))) !== null;
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
    await client.store.delete(await sha256Hex(key));
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
    const id = await sha256Hex(client.cookie()!);
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
    const id = await sha256Hex(client.cookie()!);
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
