/**
 * The store `withSession` uses when given none: the embedded libSQL store,
 * loaded on first use so that bundles that pass a store never load native code.
 *
 * @module
 */
import type { AnySessionStore } from "./store.ts";

let defaultStore: Promise<AnySessionStore> | undefined;

/**
 * The embedded libSQL store at `SESSION_DATABASE_URL` or `file:sessions.db`,
 * created once per process.
 *
 * @throws {TypeError} when the libSQL module cannot be loaded in this runtime
 * @internal
 */
export function loadDefaultStore(): Promise<AnySessionStore> {
  defaultStore ??= (async () => {
    // `.${path}` is a relative path `deno publish` can analyse, yet it does not start with "./", so bundlers
    // (esbuild, Vite) leave it alone: bundles that pass a store never include the engines. import.meta.url
    // is undefined in workerd (which has no default store).
    const here = (import.meta as { url?: string }).url;
    const path = "/stores/libsql/default-store";
    let url = `.${path}`;
    let module: { createDefaultStore(): Promise<AnySessionStore> };
    try {
      if (here === undefined) throw new TypeError("import.meta.url is not available in this runtime");
      url = new URL(`.${path}${here.endsWith(".ts") ? ".ts" : ".js"}`, here).href;
      module = await import(/* @vite-ignore */ `.${path}${here.endsWith(".ts") ? ".ts" : ".js"}`);
    } catch (error) {
      throw new TypeError(
        `withSession() has no store and could not load the default libSQL store from ${url}; ` +
          "pass one, e.g. { store: await createLibsqlStore({ url }) } from fetch-session/libsql",
        { cause: error },
      );
    }
    try {
      return await module.createDefaultStore();
    } catch (error) {
      const denied = denoPermissionError(error);
      if (denied === undefined) throw error;
      throw new Error(
        `withSession() has no store, and Deno denied the default store what it needs (${denied}): ` +
          "run with --allow-env --allow-read --allow-write (the SQLite file, sessions.db unless SESSION_DATABASE_URL names another), " +
          "or pass a store, which needs none of them",
        { cause: error },
      );
    }
  })();
  defaultStore.catch(() => {
    defaultStore = undefined;
  });
  return defaultStore;
}

/** Deno's message when `error` (or its cause) is a permission refusal (`NotCapable`, `PermissionDenied`), else `undefined`. */
function denoPermissionError(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === "NotCapable" || e.name === "PermissionDenied") return e.message;
  }
  return undefined;
}
