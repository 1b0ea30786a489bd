/**
 * The repo's stores through the public conformance suite (src/testing.ts,
 * `fetch-session/testing`): a thin vitest adapter. A test file calls
 * `storeConformance(name, open)` with a function that opens a fresh, empty
 * store (a new table on a shared database is fine).
 *
 * @module
 */
import { describe, it } from "vitest";
import type { SessionStore } from "../src/store.ts";
import { sessionStoreChecks, type SessionStoreCheckOptions } from "../src/testing.ts";

/** A store under test, with what the suite needs besides the store itself. */
export interface StoreHarness {
  store: SessionStore;
  /** Writes a row as raw text, bypassing the store (SQL stores: to plant corrupt data). */
  insertRaw?(id: string, data: string, expiresAt: number): Promise<void>;
  /** Every row's id and stored data as text, expired rows included (SQL stores). */
  rows?(): Promise<{ id: string; data: string; expiresAt: number }[]>;
  /** Closes what `open` opened. */
  close(): Promise<void>;
}

/** Options a store may honour. */
export interface OpenOptions {
  /** Rows per `clearExpired` statement. */
  batchSize?: number;
}

/** What a store can be tested for beyond the common contract. */
export interface StoreFeatures extends Pick<SessionStoreCheckOptions, "clearExpired" | "deleteWhere" | "maxBytes"> {
  /**
   * Raw `data` texts the database can hold that are not a JSON object (with
   * `insertRaw`): the corrupt-row check runs with them.
   */
  corrupt?: string[];
}

/** Opens a fresh, empty store. */
export type OpenStore = (options?: OpenOptions) => Promise<StoreHarness>;

/**
 * Registers every check of `sessionStoreChecks` for one store as vitest tests.
 *
 * @param name the store, as test names show it ("KyselyStore on libSQL file:")
 * @param open opens a fresh, empty store
 * @param features what else to test
 */
export function storeConformance(name: string, open: OpenStore, features: StoreFeatures = {}): void {
  const harnesses = new Map<SessionStore, StoreHarness>();
  const opened = async (options?: OpenOptions) => {
    const harness = await open(options);
    harnesses.set(harness.store, harness);
    return harness.store;
  };
  const harnessOf = (store: SessionStore) => {
    const harness = harnesses.get(store);
    if (harness === undefined) throw new Error(`${name}: a store the adapter did not open`);
    return harness;
  };
  const { corrupt, ...flags } = features;
  const checks = sessionStoreChecks(() => opened(), {
    ...flags,
    async dispose(store) {
      const harness = harnessOf(store);
      harnesses.delete(store);
      await harness.close();
    },
    makeBatchedStore: (batchSize) => opened({ batchSize }),
    ...(corrupt === undefined ? {} : {
      corruptRows: {
        samples: corrupt,
        async insert(store, id, data, expiresAt) {
          const harness = harnessOf(store);
          if (harness.insertRaw === undefined) throw new Error(`${name}: the harness has no insertRaw() for the corrupt-row check`);
          await harness.insertRaw(id, data, expiresAt);
        },
      },
    }),
  });
  describe(`${name} conformance`, () => {
    for (const check of checks) it(`${name}: ${check.name}`, check.run);
  });
}
