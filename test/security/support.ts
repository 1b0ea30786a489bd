/**
 * Shared pieces of the attack tests: stores that check or break things, and a
 * way to read the session cookie off a response.
 */
import { type CookieSessionStore, MemoryStore, type SessionPatch, type SessionRecord, type SessionStore } from "../../mod.ts";
import { rowId } from "../helpers/http.ts";

export const ID_SHAPE = /^[0-9a-f]{64}$/;

/**
 * A MemoryStore behind a spy that records every call and remembers any id that
 * is not 64 lowercase hex characters (the test then fails on `badIds`).
 */
export class IdCheckingStore implements SessionStore {
  readonly inner = new MemoryStore();
  readonly calls: { method: string; id: string }[] = [];
  readonly badIds: unknown[] = [];

  #see(method: string, id: string): void {
    this.calls.push({ method, id });
    if (typeof id !== "string" || !ID_SHAPE.test(id)) this.badIds.push(id);
  }
  count(method?: string): number {
    return method === undefined ? this.calls.length : this.calls.filter((c) => c.method === method).length;
  }
  load(id: string): Promise<SessionRecord | null> {
    this.#see("load", id);
    return this.inner.load(id);
  }
  create(id: string, record: SessionRecord): Promise<boolean> {
    this.#see("create", id);
    return this.inner.create(id, record);
  }
  update(id: string, patch: SessionPatch): Promise<boolean> {
    this.#see("update", id);
    return this.inner.update(id, patch);
  }
  delete(id: string): Promise<void> {
    this.#see("delete", id);
    return this.inner.delete(id);
  }
}

/** A cookie store wrapper that records every value `decode` receives. */
export class DecodeSpy implements CookieSessionStore {
  readonly kind = "cookie" as const;
  readonly decoded: string[] = [];
  constructor(readonly inner: CookieSessionStore) {}
  decode(value: string, maxAgeSeconds: number): Promise<SessionRecord | null> {
    this.decoded.push(value);
    return this.inner.decode(value, maxAgeSeconds);
  }
  encode(record: SessionRecord): Promise<string> {
    return this.inner.encode(record);
  }
}

export type Fault = "throw" | "hang" | undefined;

/**
 * A MemoryStore whose methods can be made to throw or to never settle, one
 * method at a time. `pending` counts calls left hanging.
 */
export class FaultyStore implements SessionStore {
  readonly inner = new MemoryStore();
  readonly faults: Partial<Record<"load" | "create" | "update" | "delete", Fault>> = {};
  pending = 0;

  async #call<T>(method: "load" | "create" | "update" | "delete", run: () => Promise<T>): Promise<T> {
    const fault = this.faults[method];
    if (fault === "throw") throw new Error(`simulated ${method} failure: database is down`);
    if (fault === "hang") {
      this.pending++;
      return new Promise<T>(() => {});
    }
    return run();
  }
  load(id: string): Promise<SessionRecord | null> {
    return this.#call("load", () => this.inner.load(id));
  }
  create(id: string, record: SessionRecord): Promise<boolean> {
    return this.#call("create", () => this.inner.create(id, record));
  }
  update(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#call("update", () => this.inner.update(id, patch));
  }
  delete(id: string): Promise<void> {
    return this.#call("delete", () => this.inner.delete(id));
  }
}

/** The value the response sets for the session cookie (`""` when it expires it), from the shared HTTP helper. */
export { setCookieValue } from "../helpers/http.ts";

/** The row id a server-side store sees for a key (the shared helper's `rowId`). */
export async function sha256Hex(text: string): Promise<string> {
  return rowId(text);
}

/** Settles with `"timeout"` when `promise` has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Makes a header-safe string (a ByteString without CR, LF or NUL) from any text, as raw UTF-8 bytes would arrive. */
export function asHeaderBytes(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = "";
  for (const b of bytes) if (b !== 0x0a && b !== 0x0d && b !== 0x00) out += String.fromCharCode(b);
  return out;
}
