/**
 * libSQL for Kysely, and session stores on libSQL or an embedded SQLite
 * engine (`fetch-session/libsql`).
 *
 * `LibsqlDialect` is a small Kysely dialect: embedded `file:`/`:memory:`
 * databases run on an embedded engine directly (`libsql`, `bun:sqlite` or
 * `node:sqlite`, all on the same file format), remote `libsql://`,
 * `http(s)://`, `ws(s)://` servers through `@libsql/client`.
 * `createLibsqlStore` returns a ready `KyselyStore`.
 *
 * Node, Bun and Deno only: the embedded engines are native code. On
 * Cloudflare Workers use D1 (or a remote URL through `@libsql/client/web`).
 *
 * @example
 * ```ts
 * import { withSession } from "fetch-session";
 * import { createLibsqlStore } from "fetch-session/libsql";
 *
 * const store = await createLibsqlStore({ url: "file:sessions.db" });
 * const app = withSession(handler, { store });
 * ```
 *
 * @module
 */
export { LibsqlDialect } from "./libsql-dialect.ts";
export type { EmbeddedEngine, LibsqlDialectConfig } from "./libsql-dialect.ts";
export { createLibsqlStore, openLibsqlDatabase } from "./store.ts";
export type { LibsqlStoreOptions } from "./store.ts";
export type { SqlFamily } from "../schema.ts";
