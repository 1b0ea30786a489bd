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
 * A value as error messages show it: strings quoted, objects as JSON, anything
 * that cannot be printed by its tag. Never throws (internal).
 *
 * @param value any value a caller passed
 * @returns its printable form
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
