/**
 * Errors a caller can catch.
 *
 * @module
 */

/**
 * A session store failed (database down, disk full, D1 error). The original
 * error is in `cause`. Nothing was reported as saved when this is thrown.
 *
 * @example
 * ```ts
 * import { SessionStoreError } from "fetch-session";
 * try {
 *   await getSession(request);
 * } catch (error) {
 *   if (error instanceof SessionStoreError) return new Response("Try again later", { status: 503 });
 *   throw error;
 * }
 * ```
 */
export class SessionStoreError extends Error {
  override name = "SessionStoreError";
  /**
   * @param message what the library was doing when the store failed
   * @param options `cause`: the store's own error
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The session was deleted (for example by a logout in a concurrent request)
 * before this request could save it. `withSession` turns it into a 400 response,
 * as Django's `SessionInterrupted` does.
 */
export class SessionInterruptedError extends Error {
  override name = "SessionInterruptedError";
  constructor() {
    super(
      "The request's session was deleted before the request completed. " +
        "The user may have logged out in a concurrent request, for example.",
    );
  }
}

/**
 * The session's data would be larger than `maxDataBytes` once saved. Nothing
 * was written. A session already over the limit can still shrink, be flushed
 * and get a new key: only a save that would make it larger is refused. Thrown
 * as it is (never wrapped in a `SessionStoreError`), whether the library or the
 * store found the size.
 */
export class SessionDataTooLargeError extends RangeError {
  override name = "SessionDataTooLargeError";
  /** The limit, in bytes of UTF-8. */
  readonly limit: number;
  /** The size the data would have had, in bytes of UTF-8, when the checker knows it. */
  readonly size: number | undefined;
  /**
   * @param limit the limit in bytes
   * @param size the size that was refused, when known
   */
  constructor(limit: number, size?: number) {
    super(
      size === undefined
        ? `Cannot save the session: it would pass the limit (maxDataBytes) of ${limit} bytes`
        : `Cannot save a session of ${size} bytes: the limit (maxDataBytes) is ${limit}`,
    );
    this.limit = limit;
    this.size = size;
  }
}

/**
 * A value as error messages show it: strings quoted, objects as JSON, anything
 * that cannot be printed by its tag. Never throws (internal).
 *
 * @param value any value a caller passed
 * @returns its printable form
 * @internal
 */
export function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) ?? String(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
