/**
 * The one SQL identifier quoter (internal: not part of the public API).
 *
 * @module
 */

/**
 * Quotes an identifier for SQLite and PostgreSQL alike: wrapped in `"`, each
 * `"` doubled. NUL cannot be part of an identifier in either database (SQLite
 * would end the name there), so it is refused.
 *
 * @param name the identifier (a table, index or savepoint name)
 * @returns the quoted identifier
 * @throws {RangeError} when `name` contains U+0000
 * @example
 * ```ts
 * quoteIdentifier('my "table"'); // "\"my \"\"table\"\"\""
 * ```
 */
export function quoteIdentifier(name: string): string {
  if (name.includes("\u0000")) {
    throw new RangeError(`An SQL identifier cannot contain U+0000: received ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}
