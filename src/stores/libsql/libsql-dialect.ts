/**
 * `LibsqlDialect`: libSQL and embedded SQLite for Kysely.
 *
 * @module
 */
import type { Client } from "@libsql/client";
import {
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
} from "kysely";
import { parseDatabaseUrl } from "../../util/file-url.ts";
import { ClientDriver } from "./client-driver.ts";
import { EmbeddedDriver } from "./embedded-driver.ts";
import type { EmbeddedEngine } from "./engine.ts";
import { SYNC_SQL } from "../sync-sql.ts";
import { EmbeddedAdapter } from "./embedded-adapter.ts";

export type { EmbeddedEngine } from "./engine.ts";

/** Options for {@link LibsqlDialect}: a client you made, or a URL to make one from. */
export type LibsqlDialectConfig =
  | {
      /** A client from `@libsql/client` (or `@libsql/client/web`); the dialect does not close it. */
      client: Client;
    }
  | {
      /** `file:path.db` (a bare path is taken as one), `:memory:`, `libsql://…`, `http(s)://…` or `ws(s)://…`. */
      url: string;
      /** The token for a remote server (Turso, `sqld --auth-jwt-key`). */
      authToken?: string;
      /**
       * The engine for an embedded (`file:`, `:memory:`) database: `"libsql"`,
       * `"bun:sqlite"` (Bun), `"node:sqlite"` (Node 22.16+, Deno), or `"auto"`
       * for the fastest one the runtime has. All of them read and write the
       * same SQLite file. Ignored for remote URLs.
       * @default "libsql"
       */
      engine?: EmbeddedEngine | "auto";
      /**
       * Embedded databases only: coalesce the data changes (`insert`,
       * `update`, `delete`) that concurrent callers run outside transactions
       * into one `begin immediate ... commit` per event-loop turn. Each
       * caller's promise settles after the commit that carries its statement,
       * with its own result or error.
       * @default false
       */
      groupCommit?: boolean;
    };

/**
 * A Kysely dialect over libSQL, for Node, Bun and Deno (embedded files and
 * `:memory:`) and any runtime with `fetch` (remote URLs, with a client from
 * `@libsql/client/web`).
 *
 * A `{ url }` of an embedded database (`file:` or `:memory:`) runs on an
 * embedded engine directly (by default the native `libsql` engine that
 * `@libsql/client` wraps; see `engine`), on one connection with each
 * statement prepared once: about twice the throughput of going through the
 * client, which prepares every statement on every call. Remote URLs and a
 * `{ client }` you pass go through `@libsql/client`; there, Kysely
 * transactions use the client's `transaction()`, so they also work on
 * remote servers.
 *
 * @example
 * ```ts
 * import { Kysely } from "kysely";
 * import { LibsqlDialect } from "fetch-session/libsql";
 *
 * const db = new Kysely<any>({ dialect: new LibsqlDialect({ url: "file:app.db" }) });
 * ```
 */
export class LibsqlDialect implements Dialect {
  readonly #config: LibsqlDialectConfig;
  #driverWaiting: EmbeddedDriver | null = null;
  #adapterWaiting: EmbeddedAdapter | null = null;

  /**
   * @param config `{ client }` or `{ url, authToken?, engine?, groupCommit? }`
   * @throws {TypeError} when neither a client nor a URL string is given, or the URL is malformed
   * @throws {RangeError} when `engine` is not one of the engines
   */
  constructor(config: LibsqlDialectConfig) {
    if (config === null || typeof config !== "object" || !("client" in config || typeof config.url === "string")) {
      throw new TypeError(`LibsqlDialect needs { client } or { url }: received ${String(config)}`);
    }
    if (!("client" in config)) {
      parseDatabaseUrl(config.url);
      const { engine } = config;
      if (engine !== undefined && engine !== "auto" && engine !== "libsql" && engine !== "bun:sqlite" && engine !== "node:sqlite") {
        throw new RangeError(`LibsqlDialect option "engine" must be "auto", "libsql", "bun:sqlite" or "node:sqlite": received "${String(engine)}"`);
      }
    }
    this.#config = Object.freeze({ ...config });
  }

  /** @returns Kysely's SQLite adapter; for an embedded database, one that also offers the driver's synchronous path */
  createAdapter(): DialectAdapter {
    if ("client" in this.#config || parseDatabaseUrl(this.#config.url).kind === "remote") return new SqliteAdapter();
    const adapter = new EmbeddedAdapter();
    // Kysely creates a driver and an adapter per instance (0.28: driver first): pair them in either order.
    if (this.#driverWaiting !== null) {
      adapter[SYNC_SQL] = this.#driverWaiting.sync;
      this.#driverWaiting = null;
    } else {
      this.#adapterWaiting = adapter;
    }
    return adapter;
  }

  /** @returns the driver: embedded engine, or `@libsql/client` for a client or a remote URL */
  createDriver(): Driver {
    const config = this.#config;
    if ("client" in config) {
      const client = config.client;
      return new ClientDriver(async () => client, false);
    }
    const location = parseDatabaseUrl(config.url);
    if (location.kind === "remote") {
      const { url, authToken } = config;
      return new ClientDriver(async () => {
        let createClient: typeof import("@libsql/client").createClient;
        try {
          ({ createClient } = await import("@libsql/client"));
        } catch (error) {
          throw new TypeError("A remote libSQL URL needs the @libsql/client package: install it with `npm install @libsql/client`", { cause: error });
        }
        return createClient(authToken === undefined ? { url } : { url, authToken });
      }, true);
    }
    const driver = new EmbeddedDriver({
      path: location.kind === "file" ? location.path : ":memory:",
      engine: config.engine ?? "libsql",
      groupCommit: config.groupCommit ?? false,
    });
    if (this.#adapterWaiting !== null) {
      this.#adapterWaiting[SYNC_SQL] = driver.sync;
      this.#adapterWaiting = null;
    } else {
      this.#driverWaiting = driver;
    }
    return driver;
  }

  /** @returns Kysely's SQLite compiler */
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  /** @returns Kysely's SQLite introspector */
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
