/**
 * `CachedStore`: a cache in front of any store, as Django's `cached_db`
 * session backend.
 *
 * @module
 */
import type { SessionPatch, SessionRecord, SessionStore } from "../store.ts";

/** Options of `CachedStore`. */
export interface CachedStoreOptions {
  /** The fast store reads try first (a `RedisStore`, or a `MemoryStore` per process). */
  cache: SessionStore;
  /** The store that keeps every session (a `KyselyStore`): the source of truth. */
  store: SessionStore;
  /**
   * How long one cache call may take, in milliseconds, before the cache
   * counts as failed (on top of the cache's own timeout, if it has one).
   * @default 2000
   */
  timeout?: number;
  /** After a cache failure, how long to use the store alone before trying the cache again, in milliseconds. @default 5000 */
  retryAfter?: number;
  /**
   * How many sessions changed while the cache was unreachable are remembered
   * for invalidation. Past it the cache is not used again by this instance
   * (and an error is logged), since stale entries could no longer be found.
   * @default 100000
   */
  maxPending?: number;
  /** Where the one message per cache outage goes. @default console.error */
  log?: (message: string, error?: unknown) => void;
}

type Outcome<T> = { ok: true; value: T } | { ok: false };

/**
 * Reads from `cache` and falls back to `store` (then fills the cache); writes
 * go to `store` first and then to `cache` (the same patch, so concurrent
 * updates of different keys are merged in both); deletes go to both.
 *
 * A failing cache never fails a request: the call falls back to the store,
 * one message is logged per outage, and the cache is left alone for
 * `retryAfter` milliseconds, so a hung cache costs at most one `timeout` per
 * request (and then none until the retry). A failing store fails the call.
 *
 * Sessions written or deleted while the cache could not be reached are
 * remembered; they bypass the cache until their cache entry is deleted, which
 * happens as soon as the cache answers again (`deleteWhere` calls missed by
 * the cache are replayed, and the whole cache is bypassed until they are). A
 * fill after a cache miss re-reads the store and drops the entry again when a
 * concurrent write changed the session meanwhile.
 *
 * @example
 * ```ts
 * import { withSession } from "fetch-session";
 * import { CachedStore, RedisStore } from "fetch-session/redis";
 * import { createLibsqlStore } from "fetch-session/libsql";
 *
 * const store = new CachedStore({
 *   cache: new RedisStore({ client }),
 *   store: await createLibsqlStore({ url: "file:sessions.db" }),
 * });
 * const app = withSession(handler, { store });
 * ```
 */
export class CachedStore implements SessionStore {
  readonly #cache: SessionStore;
  readonly #store: SessionStore;
  readonly #timeout: number;
  readonly #retryAfter: number;
  readonly #maxPending: number;
  readonly #log: (message: string, error?: unknown) => void;
  /** The cache failed and has not answered since. */
  #down = false;
  /** Until when the cache is left alone. */
  #downUntil = 0;
  /** Sessions the cache may hold a stale copy of. */
  readonly #pendingIds = new Set<string>();
  /** `deleteWhere` calls the cache missed. */
  readonly #pendingWhere: [string, string | number | boolean, string | undefined][] = [];
  /** Too many pending invalidations were lost track of: the cache is not used again. */
  #abandoned = false;
  #flushing: Promise<void> | null = null;

  /** How the store names a session key's row (the underlying store's rule). */
  readonly idOf?: (key: string) => string;

  /**
   * @param options the cache, the store and the failure handling
   * @throws {TypeError} when `cache` or `store` is missing, or the store can `deleteWhere` and the cache cannot
   * @throws {RangeError} for an invalid number
   */
  constructor(options: CachedStoreOptions) {
    const { cache, store } = options ?? ({} as CachedStoreOptions);
    if (!isStore(cache)) throw new TypeError("Invalid option cache: expected a SessionStore");
    if (!isStore(store)) throw new TypeError("Invalid option store: expected a SessionStore");
    if (cache === store) throw new TypeError("Invalid options: cache and store are the same object");
    if (typeof store.deleteWhere === "function" && typeof cache.deleteWhere !== "function") {
      throw new TypeError("Invalid option cache: it must support deleteWhere() so that sessions deleted in the store leave the cache too");
    }
    this.#cache = cache;
    this.#store = store;
    this.#timeout = positive("timeout", options.timeout ?? 2000);
    this.#retryAfter = positive("retryAfter", options.retryAfter ?? 5000, true);
    this.#maxPending = positive("maxPending", options.maxPending ?? 100_000);
    this.#log = options.log ?? ((message, error) => console.error(message, error));
    if (typeof store.idOf === "function") this.idOf = store.idOf.bind(store);
  }

  /** Whether the cache is in use right now (for monitoring and tests). */
  get cacheAvailable(): boolean {
    return !this.#abandoned && !this.#down;
  }

  /** How many sessions wait for their cache entry to be invalidated. */
  get pendingInvalidations(): number {
    return this.#pendingIds.size + this.#pendingWhere.length;
  }

  /** Resolves when a running invalidation pass (after an outage) is over (for tests). */
  async settled(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /** Whether the cache may be used for `id` now; starts the invalidation pass when the outage is over. */
  #usable(id?: string): boolean {
    if (this.#abandoned) return false;
    if (this.#down && Date.now() < this.#downUntil) return false;
    if (this.#pendingIds.size > 0 || this.#pendingWhere.length > 0) {
      this.#flush();
      if (this.#pendingWhere.length > 0) return false;
      if (id !== undefined && this.#pendingIds.has(id)) return false;
    }
    return true;
  }

  async #try<T>(call: () => Promise<T>, timed = true): Promise<Outcome<T>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const run = call();
      const value = timed
        ? await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`The cache did not answer within ${this.#timeout} ms`)), this.#timeout);
            }),
          ])
        : await run;
      this.#down = false;
      return { ok: true, value };
    } catch (error) {
      this.#fail(error);
      return { ok: false };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  #fail(error: unknown): void {
    if (!this.#down) {
      this.#log(`CachedStore: the cache failed; using the store alone (retrying the cache every ${this.#retryAfter} ms)`, error);
    }
    this.#down = true;
    this.#downUntil = Date.now() + this.#retryAfter;
  }

  /** Remembers that the cache may hold a stale copy of `id`. */
  #remember(id: string): void {
    if (this.#abandoned) return;
    this.#pendingIds.add(id);
    if (this.#pendingIds.size > this.#maxPending) {
      this.#abandoned = true;
      this.#pendingIds.clear();
      this.#pendingWhere.length = 0;
      this.#log(`CachedStore: more than ${this.#maxPending} sessions changed while the cache was unreachable; not using the cache any more`);
    }
  }

  /** Deletes the cache entries of sessions changed during an outage, in the background. */
  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = (async () => {
      for (const id of [...this.#pendingIds]) {
        const done = await this.#try(() => this.#cache.delete(id));
        if (!done.ok) return;
        this.#pendingIds.delete(id);
      }
      while (this.#pendingWhere.length > 0) {
        const [field, value, exceptId] = this.#pendingWhere[0]!;
        const done = await this.#try(() => this.#cache.deleteWhere!(field, value, exceptId), false);
        if (!done.ok) return;
        this.#pendingWhere.shift();
      }
    })().finally(() => {
      this.#flushing = null;
    });
  }

  /** Drops the cache entry of `id`, or remembers to. */
  async #invalidate(id: string): Promise<void> {
    if (this.#abandoned) return;
    if (this.#down && Date.now() < this.#downUntil) return this.#remember(id);
    const done = await this.#try(() => this.#cache.delete(id));
    if (done.ok) this.#pendingIds.delete(id);
    else this.#remember(id);
  }

  /** {@inheritDoc SessionStore.load} */
  async load(id: string): Promise<SessionRecord | null> {
    if (this.#usable(id)) {
      const cached = await this.#try(() => this.#cache.load(id));
      if (cached.ok && cached.value !== null) return cached.value;
    }
    const record = await this.#store.load(id);
    if (record === null || !this.#usable(id)) return record;
    const filled = await this.#try(() => this.#cache.create(id, record));
    if (!filled.ok || !filled.value) return record;
    // A write that reached the store between our read and the fill would be hidden by the fill: look again.
    const again = await this.#store.load(id);
    if (!sameRecord(record, again)) {
      await this.#invalidate(id);
      return again;
    }
    return record;
  }

  /** {@inheritDoc SessionStore.create} */
  async create(id: string, record: SessionRecord): Promise<boolean> {
    if (!(await this.#store.create(id, record))) return false;
    if (!this.#usable(id)) {
      this.#remember(id);
      return true;
    }
    const created = await this.#try(() => this.#cache.create(id, record));
    if (!created.ok) this.#remember(id);
    else if (!created.value) await this.#invalidate(id); // a stale entry under the same id
    return true;
  }

  /** {@inheritDoc SessionStore.update} */
  async update(id: string, patch: SessionPatch): Promise<boolean> {
    const ok = await this.#store.update(id, patch);
    if (!ok) {
      // Gone from the store: it must not live on in the cache.
      await this.#invalidate(id);
      return false;
    }
    if (!this.#usable(id)) {
      this.#remember(id);
      return true;
    }
    // The store already checked the size; the cache keeps the same data.
    const updated = await this.#try(() => this.#cache.update(id, { set: patch.set, unset: patch.unset, expiresAt: patch.expiresAt }));
    if (!updated.ok) this.#remember(id);
    return true;
  }

  /** {@inheritDoc SessionStore.delete} */
  async delete(id: string): Promise<void> {
    await this.#store.delete(id);
    await this.#invalidate(id);
  }

  /** Deletes expired sessions from the store (and the cache, when it can) and resolves the store's count. */
  async clearExpired(): Promise<number> {
    const count = (await this.#store.clearExpired?.()) ?? 0;
    if (this.#cache.clearExpired && this.#usable()) await this.#try(() => this.#cache.clearExpired!(), false);
    return count;
  }

  /** {@inheritDoc SessionStore.deleteWhere} */
  async deleteWhere(field: string, value: string | number | boolean, exceptId?: string): Promise<number> {
    if (typeof this.#store.deleteWhere !== "function") throw new TypeError("The store does not support deleteWhere()");
    const count = await this.#store.deleteWhere(field, value, exceptId);
    if (this.#abandoned) return count;
    const live = !(this.#down && Date.now() < this.#downUntil);
    const done = live ? await this.#try(() => this.#cache.deleteWhere!(field, value, exceptId), false) : { ok: false };
    if (!done.ok) this.#pendingWhere.push([field, value, exceptId]);
    return count;
  }
}

function sameRecord(a: SessionRecord, b: SessionRecord | null): boolean {
  return b !== null && a.expiresAt === b.expiresAt && JSON.stringify(a.data) === JSON.stringify(b.data);
}

function isStore(value: unknown): value is SessionStore {
  const s = value as SessionStore | null;
  return typeof s?.load === "function" && typeof s.create === "function" && typeof s.update === "function" && typeof s.delete === "function";
}

function positive(name: string, value: number, zero = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!zero && value === 0)) {
    throw new RangeError(`Invalid option ${name}: expected a number ${zero ? ">=" : ">"} 0, received ${String(value)}`);
  }
  return value;
}
