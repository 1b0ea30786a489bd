/**
 * An in-process store for tests and development.
 *
 * @module
 */
import { SessionDataTooLargeError } from "../errors.ts";
import { LOAD_NOW, type SessionPatch, type SessionRecord, type SessionStore } from "../store.ts";
import { parseJson } from "../util/json.ts";

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /** How often, at most, a write sweeps out expired sessions, in milliseconds. @default 60000 */
  sweepInterval?: number;
}

interface Row {
  /** The data as JSON, so that values come back as JSON gives them back and callers never share objects. */
  json: string;
  expiresAt: number;
}

/**
 * Keeps sessions in a `Map` in this process: for tests and development.
 * Values are kept as JSON text, as a database would keep them. Expired
 * sessions are swept on writes (at most once per `sweepInterval`), so the map
 * does not grow without bound.
 *
 * @example
 * ```ts
 * import { withSession, MemoryStore } from "fetch-session";
 * const app = withSession(handler, { store: new MemoryStore() });
 * ```
 */
export class MemoryStore implements SessionStore {
  readonly #rows = new Map<string, Row>();
  readonly #sweepInterval: number;
  #lastSweep = Date.now();

  /**
   * @param options sweep interval
   * @throws {RangeError} for a negative or non-finite sweep interval
   */
  constructor(options: MemoryStoreOptions = {}) {
    const interval = options.sweepInterval ?? 60_000;
    if (typeof interval !== "number" || !Number.isFinite(interval) || interval < 0) {
      throw new RangeError(`Invalid option sweepInterval: expected milliseconds >= 0, received ${String(interval)}`);
    }
    this.#sweepInterval = interval;
  }

  /** How many sessions are held, expired ones not yet swept included. */
  get size(): number {
    return this.#rows.size;
  }

  /** Every stored id and its JSON text (for inspection in tests). */
  dump(): [id: string, json: string][] {
    return [...this.#rows].map(([id, row]) => [id, row.json]);
  }

  #live(id: string, now: number): Row | undefined {
    const row = this.#rows.get(id);
    if (row === undefined) return undefined;
    if (row.expiresAt > now) return row;
    this.#rows.delete(id);
    return undefined;
  }

  #maybeSweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepInterval) return;
    this.#lastSweep = now;
    this.#sweep(now);
  }

  #sweep(now: number): number {
    let count = 0;
    for (const [id, row] of this.#rows) {
      if (row.expiresAt <= now) {
        this.#rows.delete(id);
        count++;
      }
    }
    return count;
  }

  /** {@inheritDoc SessionStore.load} */
  async load(id: string): Promise<SessionRecord | null> {
    return this.#loadNow(id);
  }

  /**
   * `load()` answered at once (no promise on a request's read); `undefined`
   * when `load` was replaced (a subclass, a spy), which then must be called.
   * @internal
   */
  [LOAD_NOW](id: string): SessionRecord | null | undefined {
    if (this.load !== MemoryStore.prototype.load) return undefined;
    return this.#loadNow(id);
  }

  #loadNow(id: string): SessionRecord | null {
    const row = this.#live(id, Date.now());
    if (row === undefined) return null;
    return { data: parseJson(row.json) as Record<string, unknown>, expiresAt: row.expiresAt };
  }

  /** {@inheritDoc SessionStore.create} */
  async create(id: string, record: SessionRecord): Promise<boolean> {
    checkExpiry(record.expiresAt);
    const now = Date.now();
    this.#maybeSweep(now);
    if (this.#live(id, now) !== undefined) return false;
    this.#rows.set(id, { json: JSON.stringify(record.data), expiresAt: record.expiresAt });
    return true;
  }

  /** {@inheritDoc SessionStore.update} */
  async update(id: string, patch: SessionPatch): Promise<boolean> {
    checkExpiry(patch.expiresAt);
    const now = Date.now();
    this.#maybeSweep(now);
    const row = this.#live(id, now);
    if (row === undefined) return false;
    const data = parseJson(row.json) as Record<string, unknown>;
    for (const key of patch.unset) delete data[key];
    for (const key of Object.keys(patch.set)) {
      Object.defineProperty(data, key, { value: patch.set[key], enumerable: true, writable: true, configurable: true });
    }
    const json = JSON.stringify(data);
    // Checked in the same synchronous step as the write: no other update can run in between.
    const max = patch.maxBytes;
    if (max !== undefined && json.length * 3 > max) {
      const size = utf8Length(json);
      if (size > max && size > utf8Length(row.json)) throw new SessionDataTooLargeError(max, size);
    }
    row.json = json;
    row.expiresAt = patch.expiresAt;
    return true;
  }

  /** {@inheritDoc SessionStore.delete} */
  async delete(id: string): Promise<void> {
    this.#rows.delete(id);
  }

  /** {@inheritDoc SessionStore.clearExpired} */
  async clearExpired(): Promise<number> {
    const now = Date.now();
    this.#lastSweep = now;
    return this.#sweep(now);
  }

  /** {@inheritDoc SessionStore.deleteWhere} */
  async deleteWhere(field: string, value: string | number | boolean, exceptId?: string): Promise<number> {
    const now = Date.now();
    let count = 0;
    for (const [id, row] of this.#rows) {
      if (id === exceptId || row.expiresAt <= now) continue;
      const data = parseJson(row.json) as Record<string, unknown>;
      if (Object.hasOwn(data, field) && data[field] === value) {
        this.#rows.delete(id);
        count++;
      }
    }
    return count;
  }
}

/** A row must expire at a real time, or it would never be swept. */
function checkExpiry(expiresAt: number): void {
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) {
    throw new TypeError(`MemoryStore needs a finite expiresAt in milliseconds: received ${String(expiresAt)}`);
  }
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
