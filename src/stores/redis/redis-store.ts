/**
 * `RedisStore`: sessions in Redis (or Valkey), one hash per session, through
 * the client the application already has.
 *
 * @module
 */
import { SessionDataTooLargeError } from "../../errors.ts";
import { parseJson } from "../../util/json.ts";
import type { SessionPatch, SessionRecord, SessionStore } from "../../store.ts";
import { commanderFor, integer, pairs, text, type RedisClientLike, type RedisCommander } from "./client.ts";
import { MARKER, scripts, type Script } from "./scripts.ts";

/** Options of `RedisStore`. */
export interface RedisStoreOptions {
  /**
   * A connected client: `createClient()` from the `redis` package (node-redis
   * v4, v5 or v6) on Node, Deno or Bun, or Bun's built-in `RedisClient`.
   * The store never closes it.
   */
  client: RedisClientLike;
  /** What every session's Redis key starts with. @default "session:" */
  prefix?: string;
  /**
   * How long one Redis command may take, in milliseconds, before the store
   * rejects (the library turns that into a `SessionStoreError`).
   * @default 2000
   */
  timeout?: number;
  /** Keys per `SCAN` step of `deleteWhere`. @default 1000 */
  scanCount?: number;
}

/** The error a command that ran out of time rejects with. */
export class RedisTimeoutError extends Error {
  override name = "RedisTimeoutError";
}

/**
 * Keeps each session in one Redis hash at `<prefix><id>` (the id being the
 * SHA-256 hex of the session key, as in every store): one field per session
 * key holding its JSON value, plus a marker field with the expiry, which
 * keeps empty sessions in existence. The key expires by itself
 * (`PEXPIREAT`). Every operation is one round trip; `create` and `update` are
 * Lua scripts (sent by `EVALSHA`, with `EVAL` when Redis lost its script
 * cache, e.g. after a restart), so `create` never overwrites a live session,
 * `update` never re-creates a deleted or expired one, and the `maxBytes` check
 * is atomic with the write.
 *
 * Every command rejects after `timeout` milliseconds when Redis does not
 * answer (down, unreachable, hung); a command still queued in the client is
 * then dropped, so it does not run later. The store recovers by itself when
 * the client reconnects.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { withSession } from "fetch-session";
 * import { RedisStore } from "fetch-session/redis";
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379" });
 * client.on("error", (error) => console.error("Redis:", error.message));
 * await client.connect();
 * const app = withSession(handler, { store: new RedisStore({ client }) });
 * ```
 */
export class RedisStore implements SessionStore {
  readonly #redis: RedisCommander;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #scanCount: number;
  readonly #scripts = scripts();

  /**
   * @param options the client, key prefix and timeout
   * @throws {TypeError} when `client` is not a supported client
   * @throws {RangeError} for an invalid `prefix`, `timeout` or `scanCount`
   */
  constructor(options: RedisStoreOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("RedisStore needs options with a client");
    this.#redis = commanderFor(options.client);
    const prefix = options.prefix ?? "session:";
    if (typeof prefix !== "string") throw new RangeError(`Invalid option prefix: expected a string, received ${String(prefix)}`);
    this.#prefix = prefix;
    this.#timeout = positive("timeout", options.timeout ?? 2000);
    this.#scanCount = positive("scanCount", options.scanCount ?? 1000);
  }

  /** The Redis key of session `id`. */
  keyOf(id: string): string {
    return this.#prefix + id;
  }

  /** One command, rejected after the timeout (and dropped from the client's queue if it was not sent yet). */
  async #send(args: string[]): Promise<unknown> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new RedisTimeoutError(`Redis did not answer ${args[0]} within ${this.#timeout} ms (${this.#redis.name})`);
        reject(error);
        controller.abort(error);
      }, this.#timeout);
    });
    try {
      return await Promise.race([this.#redis.send(args, controller.signal), timeout]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Runs a script by its SHA-1, sending its source when Redis does not have it (NOSCRIPT). */
  async #eval(script: Script, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#send(["EVALSHA", await script.sha, ...tail]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error | null)?.message ?? error))) throw error;
      return await this.#send(["EVAL", script.source, ...tail]);
    }
  }

  /** {@inheritDoc SessionStore.load} */
  async load(id: string): Promise<SessionRecord | null> {
    const fields = pairs(await this.#send(["HGETALL", this.keyOf(id)]));
    let expiresAt: number | null = null;
    const data: Record<string, unknown> = {};
    let corrupt = 0;
    for (const [field, value] of fields) {
      if (field === MARKER) {
        expiresAt = Number(value);
        continue;
      }
      if (!field.startsWith('"')) continue;
      try {
        const key = parseJson(field);
        if (typeof key !== "string") throw new TypeError("not a string");
        Object.defineProperty(data, key, { value: parseJson(value), enumerable: true, writable: true, configurable: true });
      } catch {
        corrupt++;
      }
    }
    if (expiresAt === null || !(expiresAt > Date.now())) return null;
    if (corrupt > 0) console.warn(`RedisStore: skipped ${corrupt} field(s) of ${this.keyOf(id)} that are not JSON`);
    return { data, expiresAt };
  }

  /** {@inheritDoc SessionStore.create} */
  async create(id: string, record: SessionRecord): Promise<boolean> {
    const args = [String(Date.now()), String(record.expiresAt), String(Math.ceil(record.expiresAt))];
    for (const key of Object.keys(record.data)) {
      const value = record.data[key];
      if (value === undefined) continue;
      args.push(JSON.stringify(key), JSON.stringify(value));
    }
    return integer(await this.#eval(this.#scripts.create, [this.keyOf(id)], args)) === 1;
  }

  /** {@inheritDoc SessionStore.update} */
  async update(id: string, patch: SessionPatch): Promise<boolean> {
    const set: string[] = [];
    for (const key of Object.keys(patch.set)) {
      const value = patch.set[key];
      // `undefined` is not JSON: the key goes, as JSON.stringify would drop it.
      if (value !== undefined) set.push(JSON.stringify(key), JSON.stringify(value));
    }
    const setKeys = new Set(Object.keys(patch.set).filter((key) => patch.set[key] !== undefined));
    const unset = [...new Set([...patch.unset, ...Object.keys(patch.set).filter((key) => patch.set[key] === undefined)])]
      .filter((key) => !setKeys.has(key))
      .map((key) => JSON.stringify(key));
    const maxBytes = patch.maxBytes;
    const reply = await this.#eval(this.#scripts.update, [this.keyOf(id)], [
      String(Date.now()),
      String(patch.expiresAt),
      String(Math.ceil(patch.expiresAt)),
      maxBytes === undefined ? "" : String(maxBytes),
      String(set.length / 2),
      ...set,
      ...unset,
    ]);
    if (Array.isArray(reply)) throw new SessionDataTooLargeError(maxBytes!, integer(reply[1]));
    return integer(reply) === 1;
  }

  /** {@inheritDoc SessionStore.delete} */
  async delete(id: string): Promise<void> {
    await this.#send(["DEL", this.keyOf(id)]);
  }

  /** Redis expires sessions by itself: nothing to delete, resolves 0. */
  async clearExpired(): Promise<number> {
    return 0;
  }

  /**
   * {@inheritDoc SessionStore.deleteWhere}
   *
   * Walks every key under the prefix with `SCAN` (`scanCount` keys per step)
   * and checks each step's keys in one script: about two round trips per
   * `scanCount` sessions. The timeout applies to each command.
   */
  async deleteWhere(field: string, value: string | number | boolean, exceptId?: string): Promise<number> {
    const match = this.#prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + "*";
    const except = exceptId === undefined ? "" : this.keyOf(exceptId);
    const fieldJson = JSON.stringify(field);
    const valueJson = JSON.stringify(value);
    let cursor = "0";
    let count = 0;
    do {
      const reply = (await this.#send(["SCAN", cursor, "MATCH", match, "COUNT", String(this.#scanCount)])) as unknown[];
      cursor = text(reply[0])!;
      const keys = ((reply[1] ?? []) as unknown[]).map((key) => text(key)!);
      if (keys.length > 0) {
        count += integer(await this.#eval(this.#scripts.deleteWhere, keys, [String(Date.now()), fieldJson, valueJson, except]));
      }
    } while (cursor !== "0");
    return count;
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Invalid option ${name}: expected a number > 0, received ${String(value)}`);
  }
  return value;
}
