/**
 * The one parser of libSQL database URLs into what they name (internal: not
 * part of the public API). The CLI's "does the file exist" check and the
 * store that opens the file both use it, so they always look at the same file.
 *
 * @module
 */

/** What a database URL names. */
export type DatabaseLocation =
  | { kind: "memory" }
  | { kind: "file"; path: string }
  | { kind: "remote"; url: string };

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const WINDOWS_DRIVE = /^[a-z]:[\\/]/i;

/**
 * Parses a libSQL database URL.
 *
 * - `:memory:`, `file::memory:` and `:memory:?…`: an in-memory database.
 * - `file:path.db`, `file:/abs/path.db`: the path, URL-decoded (`file:my%20db.db`
 *   is the file `my db.db`), without the query string.
 * - `file:///abs/path.db`, `file://localhost/abs/path.db`: the absolute path, URL-decoded.
 * - a string without a scheme (`sessions.db`, `./data/s.db`, `C:\data\s.db`):
 *   that path, as written (not decoded).
 * - anything else (`libsql://`, `http(s)://`, `ws(s)://`): a remote server.
 *
 * @param url the URL
 * @returns what it names
 * @throws {TypeError} when `url` is not a string, is empty, names a file on
 *   another host (`file://host/…`), or has a malformed `%` escape
 * @example
 * ```ts
 * parseDatabaseUrl("file:my%20db.db"); // { kind: "file", path: "my db.db" }
 * ```
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (typeof url !== "string" || url === "") {
    throw new TypeError(`A database URL must be a non-empty string: received ${typeof url === "string" ? '""' : typeof url}`);
  }
  if (url.startsWith(":memory:") || url.startsWith("file::memory:")) return { kind: "memory" };
  if (!SCHEME.test(url) || WINDOWS_DRIVE.test(url)) return { kind: "file", path: url };
  if (!/^file:/i.test(url)) return { kind: "remote", url };
  let rest = url.slice("file:".length);
  const end = rest.search(/[?#]/);
  if (end !== -1) rest = rest.slice(0, end);
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    const host = rest.slice(2, slash === -1 ? rest.length : slash);
    if (host !== "" && host.toLowerCase() !== "localhost") {
      throw new TypeError(`A file: database URL cannot name another host ("${host}"): received ${url}`);
    }
    rest = slash === -1 ? "" : rest.slice(slash);
    // file:///C:/data/s.db is the Windows path C:/data/s.db.
    if (/^\/[a-z](:|%3a)\//i.test(rest)) rest = rest.slice(1);
  }
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    throw new TypeError(`The database URL ${url} has a malformed % escape (write a literal % as %25)`);
  }
  if (path === "") throw new TypeError(`The database URL ${url} names no file`);
  return { kind: "file", path };
}
