/**
 * The zero-config store (internal: `withSession` loads it when given no
 * store; not exported from `fetch-session/libsql`).
 *
 * @module
 */
import { readEnv } from "../../util/env.ts";
import type { KyselyStore } from "../kysely-store.ts";
import { createLibsqlStore } from "./store.ts";

/**
 * The store `withSession` uses when given none: the database at the
 * `SESSION_DATABASE_URL` environment variable (with
 * `SESSION_DATABASE_AUTH_TOKEN` for a remote server), or `file:sessions.db`
 * in the working directory. A file runs on the fastest embedded engine the
 * runtime has (`bun:sqlite` on Bun, `node:sqlite` on Node 22.16+ and Deno,
 * `libsql` elsewhere) with group commit; a remote URL goes through
 * `@libsql/client`. On a Deno without env access it throws an error naming
 * `--allow-env`.
 *
 * @returns a ready store
 * @throws the engine's or client's error when the database cannot be opened
 * @example
 * ```ts
 * const store = await createDefaultStore(); // SESSION_DATABASE_URL=file:/var/lib/app/sessions.db
 * ```
 */
export async function createDefaultStore(): Promise<KyselyStore> {
  const url = readEnv("SESSION_DATABASE_URL") || "file:sessions.db";
  const authToken = readEnv("SESSION_DATABASE_AUTH_TOKEN") || undefined;
  return await createLibsqlStore(authToken === undefined ? { url } : { url, authToken });
}
