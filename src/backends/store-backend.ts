/**
 * The backend over a server-side `SessionStore`: the cookie carries a random
 * key, the store keeps the data under the key's id.
 *
 * @module
 */
import type { SessionBackend } from "../backend.ts";
import { checkRecord } from "../backend.ts";
import { SessionDataTooLargeError, SessionInterruptedError, SessionStoreError } from "../errors.ts";
import { generateKey, hashKey, isValidKey } from "../keys.ts";
import { changes, type LoadedSession, markSaved, type SessionState, wholeRecord, type WholeRecord } from "../session-state.ts";
import { LOAD_NOW, type LoadsNow, type SessionPatch, type SessionRecord, type SessionStore } from "../store.ts";

const MAX_CREATE_ATTEMPTS = 10;

/** A store failure as the caller sees it: a `SessionStoreError` (a `SessionDataTooLargeError` passes as it is). */
function storeError(what: string, error: unknown): unknown {
  if (error instanceof SessionDataTooLargeError) return error;
  return new SessionStoreError(`Could not ${what}: the session store failed`, { cause: error });
}

/** Runs a store call, wrapping any failure, thrown or rejected, with {@link storeError}. */
async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeError(what, error);
  }
}

/** A rejection handler that rethrows with {@link storeError}, made once per operation (not per request). */
function failWith(what: string): (error: unknown) => never {
  return (error) => {
    throw storeError(what, error);
  };
}

const LOAD = "load the session";
const loadFailed = failWith(LOAD);
const CREATE = "create the session";
const createFailed = failWith(CREATE);
const SAVE = "save the session";
const saveFailed = failWith(SAVE);

/** Records a write: the row now holds the session, and nothing changed since (a second commit writes nothing). */
function saved(state: SessionState, key: string, id: string, expiresAt: number, json: string | undefined): void {
  markSaved(state, key, id, expiresAt, json);
  state.clean = true;
}

function loadedSession(key: string, id: string, record: SessionRecord | null): LoadedSession | null {
  return record === null ? null : { key, id, record: checkRecord(record) };
}

/** Sessions in a `SessionStore`, one row per key. @internal */
export class StoreBackend implements SessionBackend {
  readonly #store: SessionStore;

  constructor(store: SessionStore) {
    this.#store = store;
  }

  /** The id the store gives the row of `key`. */
  #idOf(key: string): string {
    const store = this.#store;
    return store.idOf === undefined ? hashKey(key) : store.idOf(key);
  }

  load(value: string, _maxAge: number): Promise<LoadedSession | null> {
    // No async frame: a read is the store's promise and one reaction on it.
    if (!isValidKey(value)) return Promise.resolve(null);
    let id: string;
    let pending: Promise<SessionRecord | null>;
    try {
      id = this.#idOf(value);
      pending = this.#store.load(id);
    } catch (error) {
      return Promise.reject(storeError(LOAD, error));
    }
    return Promise.resolve(pending).then((record) => loadedSession(value, id, record), loadFailed);
  }

  loadNow(value: string, _maxAge: number): LoadedSession | null | undefined {
    const store = this.#store as SessionStore & Partial<LoadsNow>;
    if (store[LOAD_NOW] === undefined) return undefined;
    if (!isValidKey(value)) return null;
    let id: string;
    let record: SessionRecord | null | undefined;
    try {
      id = this.#idOf(value);
      record = store[LOAD_NOW](id);
    } catch (error) {
      throw storeError(LOAD, error);
    }
    return record === undefined ? undefined : loadedSession(value, id, record);
  }

  commit(state: SessionState): Promise<void> {
    const id = state.id;
    const key = state.key;
    if (key === null || id === null) return this.#create(state);
    if (state.clean) return Promise.resolve();
    // No async frame on the common path: the store's promise and one reaction on it.
    let patch: SessionPatch;
    let json: string | undefined;
    let pending: Promise<boolean>;
    try {
      ({ patch, json } = changes(state));
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      pending = this.#store.update(id, patch);
    } catch (error) {
      return Promise.reject(storeError(SAVE, error));
    }
    return Promise.resolve(pending).then(
      (updated) => (updated ? saved(state, key, id, patch.expiresAt, json) : this.#updateMissed(state, key, id)),
      saveFailed,
    );
  }

  /** `update()` found no live row: a session deleted meanwhile, or one this request wrote already expired. */
  async #updateMissed(state: SessionState, key: string, id: string): Promise<void> {
    if (!state.storedDead) throw new SessionInterruptedError();
    // This request wrote the row already expired (setExpiry() to a past moment, then cycleKey() or save()), so
    // update() finds no live row where Django's UPDATE finds the expired one. create() takes a dead row's place:
    // the whole session goes there, as any already-expired save (or alive again, when the expiry moved ahead).
    const { record, json } = wholeRecord(state);
    const store = this.#store;
    const created = await storeCall(SAVE, () => store.create(id, record));
    if (!created) throw new SessionInterruptedError();
    saved(state, key, id, record.expiresAt, json);
  }

  async commitWithoutCookie(state: SessionState): Promise<void> {
    // A new session's key could never reach the browser: nothing to save.
    if (state.key !== null) await this.commit(state);
  }

  async cycleKey(state: SessionState): Promise<void> {
    const oldId = state.id;
    await this.#create(state);
    await this.destroy(oldId);
  }

  async destroy(id: string | null): Promise<void> {
    if (id === null) return;
    const store = this.#store;
    await storeCall("delete the session", () => store.delete(id));
  }

  async revoke(field: string, value: string | number | boolean, keepId: string | undefined): Promise<number> {
    const store = this.#store;
    if (typeof store.deleteWhere !== "function") {
      throw new TypeError("revokeSessions() needs a store with deleteWhere() (MemoryStore and KyselyStore have it)");
    }
    return storeCall("revoke sessions", () => store.deleteWhere!(field, value, keepId));
  }

  /** Inserts the whole session under a new key. */
  #create(state: SessionState): Promise<void> {
    let whole: WholeRecord;
    try {
      whole = wholeRecord(state);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#insert(state, whole, 0);
  }

  /** One attempt at a new key (no async frame: a first visit's save is one store promise and one reaction). */
  #insert(state: SessionState, whole: WholeRecord, attempt: number): Promise<void> {
    if (attempt === MAX_CREATE_ATTEMPTS) {
      return Promise.reject(new SessionStoreError(`Could not create a session: ${MAX_CREATE_ATTEMPTS} new keys were all taken`));
    }
    const key = generateKey();
    let id: string;
    let pending: Promise<boolean>;
    try {
      id = this.#idOf(key);
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      pending = this.#store.create(id, whole.record);
    } catch (error) {
      return Promise.reject(storeError(CREATE, error));
    }
    return Promise.resolve(pending).then(
      (created) => (created ? saved(state, key, id, whole.record.expiresAt, whole.json) : this.#insert(state, whole, attempt + 1)),
      createFailed,
    );
  }
}
