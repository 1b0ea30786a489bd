/**
 * One tiny interface over the Redis clients `RedisStore` accepts, and one
 * adapter per client. The store only ever sends raw commands (`EVALSHA`,
 * `EVAL`, `HGETALL`, `DEL`, `SCAN`) and reads back strings, integers and
 * arrays, so the adapters differ only in how a command is sent and cancelled
 * and in the reply types each client produces (node-redis 6 speaks RESP3 by
 * default and may give maps; Bun gives plain objects for maps). No client is
 * imported here: the user passes the one they already have.
 *
 * @module
 */

/** What the store needs from a Redis connection (internal). */
export interface RedisCommander {
  /** Which client this is, for error messages ("node-redis", "Bun RedisClient"). */
  readonly name: string;
  /**
   * Sends one command. `signal` aborts it: a command still waiting in the
   * client's queue (not written to the socket yet) is then dropped, so a
   * timed-out command does not run later.
   */
  send(args: string[], signal: AbortSignal): Promise<unknown>;
}

/** The shape of a node-redis client (v4, v5 or v6) the adapter relies on. */
export interface NodeRedisClientLike {
  sendCommand(args: string[], options?: Record<string, unknown>): Promise<unknown>;
  readonly isOpen: boolean;
}

/** The shape of Bun's built-in `RedisClient` the adapter relies on. */
export interface BunRedisClientLike {
  send(command: string, args: string[]): Promise<unknown>;
  readonly connected: boolean;
  connect(): Promise<void>;
}

/** Any client `RedisStore` accepts. */
export type RedisClientLike = NodeRedisClientLike | BunRedisClientLike;

function isNodeRedis(client: unknown): client is NodeRedisClientLike {
  return typeof (client as NodeRedisClientLike | null)?.sendCommand === "function";
}

function isBunRedis(client: unknown): client is BunRedisClientLike {
  const c = client as BunRedisClientLike | null;
  return typeof c?.send === "function" && typeof c.connect === "function" && "connected" in c;
}

/**
 * node-redis v4 (`signal`) and v5/v6 (`abortSignal`) both drop a queued
 * command when its signal aborts; each ignores the other's option. node-redis
 * queues commands while it reconnects, so without the signal a command that
 * timed out here would still run once Redis is back.
 */
function nodeRedisCommander(client: NodeRedisClientLike): RedisCommander {
  return {
    name: "node-redis",
    send(args, signal) {
      return client.sendCommand(args, { signal, abortSignal: signal });
    },
  };
}

/**
 * Bun's client queues commands while disconnected and gives up reconnecting
 * after `maxRetries`, and it cannot drop a queued command. So a command is
 * only handed to it once it is connected: when it is not, the adapter asks it
 * to connect (which also revives a client that gave up) and sends after that,
 * unless the caller's time ran out meanwhile.
 */
function bunCommander(client: BunRedisClientLike): RedisCommander {
  let connecting: Promise<void> | null = null;
  const connect = () => {
    connecting ??= client.connect().finally(() => {
      connecting = null;
    });
    return connecting;
  };
  return {
    name: "Bun RedisClient",
    async send(args, signal) {
      if (!client.connected) {
        await connect();
        if (signal.aborted) throw signal.reason;
      }
      return await client.send(args[0]!, args.slice(1));
    },
  };
}

/**
 * The adapter for `client`.
 *
 * @throws {TypeError} when `client` is neither a node-redis client nor Bun's `RedisClient`
 */
export function commanderFor(client: unknown): RedisCommander {
  if (isNodeRedis(client)) return nodeRedisCommander(client);
  if (isBunRedis(client)) return bunCommander(client);
  throw new TypeError(
    "Invalid option client: expected a node-redis client (createClient() from the redis package, v4 to v6) " +
      "or Bun's RedisClient",
  );
}

const decoder = new TextDecoder();

/** A bulk-string reply as text (node-redis may hand Buffers back). */
export function text(reply: unknown): string | null {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  return String(reply);
}

/**
 * A hash reply (HGETALL) as [field, value] pairs, whatever the client made of
 * it: a flat array (RESP2), a `Map` or a plain object (RESP3).
 */
export function pairs(reply: unknown): [string, string][] {
  const out: [string, string][] = [];
  if (reply === null || reply === undefined) return out;
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([text(reply[i])!, text(reply[i + 1])!]);
  } else if (reply instanceof Map) {
    for (const [field, value] of reply) out.push([text(field)!, text(value)!]);
  } else if (typeof reply === "object") {
    for (const field of Object.keys(reply)) out.push([field, text((reply as Record<string, unknown>)[field])!]);
  }
  return out;
}

/** An integer reply (some clients give bigint or numeric strings). */
export function integer(reply: unknown): number {
  const n = Number(typeof reply === "bigint" ? reply : text(reply));
  if (!Number.isFinite(n)) throw new TypeError(`Unexpected reply from Redis: ${String(reply)}`);
  return n;
}
