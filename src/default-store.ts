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
    // A computed specifier, so bundlers leave it alone; undefined in workerd (which has no default store).
    const here = (import.meta as { url?: string }).url;
    let url = "./stores/libsql/default-store";
    let module: { createDefaultStore(): Promise<AnySessionStore> };
    try {
      if (here === undefined) throw new TypeError("import.meta.url is not available in this runtime");
      url = new URL(`./stores/libsql/default-store${here.endsWith(".ts") ? ".ts" : ".js"}`, here).href;
      module = await import(/* @vite-ignore */ url);
    } catch (error) {
      throw new TypeError(
        `withSession() has no store and could not load the default libSQL store from ${url}; ` +
          "pass one, e.g. { store: await createLibsqlStore({ url }) } from fetch-session/libsql",
        { cause: error },
      );
    }
    return module.createDefaultStore();
  })();
  defaultStore.catch(() => {
    defaultStore = undefined;
  });
  return defaultStore;
}
