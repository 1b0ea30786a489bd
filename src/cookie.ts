/**
 * The one file that touches the cookie library. We use `cookie-es` (the
 * parser React Router and h3 use) because Deno std's `@std/http/cookie` is
 * published on JSR only, which npm users cannot install.
 *
 * @module
 */
import { parse, serialize } from "cookie-es";
import { MAX_LIFETIME } from "./options.ts";

/** Attributes of the session cookie, already validated. @internal */
export interface CookieAttributes {
  name: string;
  domain: string | undefined;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: "lax" | "strict" | "none" | false;
  partitioned: boolean;
}

/** A Cookie header longer than this is not parsed at all (browsers send far less). @internal */
export const MAX_COOKIE_HEADER_LENGTH = 32 * 1024;
/** A session cookie value longer than this is ignored (browsers store at most 4096 bytes per cookie). @internal */
export const MAX_COOKIE_VALUE_LENGTH = 4096;

const identity = (value: string): string => value;

/**
 * The value of cookie `name` in a Cookie header: `undefined` when absent,
 * `""` for an empty or oversized value. Never throws.
 *
 * @param header the request's Cookie header, or null
 * @param name the cookie name
 * @returns the raw value (not URI-decoded: session values are cookie-safe)
 * @internal
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (header === null || header.length > MAX_COOKIE_HEADER_LENGTH) return undefined;
  // Cheap exit for requests without our cookie: no parse at all.
  const at = header.indexOf(name);
  if (at === -1) return undefined;
  const value = soleCookie(header, name, at) ?? parse(header, { decode: identity, filter: (key) => key === name })[name];
  if (value === undefined) return undefined;
  return value.length > MAX_COOKIE_VALUE_LENGTH ? "" : value;
}

/**
 * The common case without the parser (0.03 against 0.14 µs per request on
 * Bun): `name` occurs once in the header, right at the start of a pair
 * (after the start or a `;`, spaces and tabs only in between) and directly
 * followed by `=`. The value is then what the parser would give: up to the
 * next `;`, spaces and tabs trimmed. `undefined` for anything else, which the
 * parser handles (test/unit/cookie.test.ts compares the two on random headers).
 */
function soleCookie(header: string, name: string, at: number): string | undefined {
  const eq = at + name.length;
  if (header.charCodeAt(eq) !== 61 /* = */ || header.indexOf(name, at + 1) !== -1) return undefined;
  for (let i = at - 1; i >= 0; i--) {
    const c = header.charCodeAt(i);
    if (c === 59 /* ; */) break;
    if (c !== 32 && c !== 9) return undefined;
  }
  let end = header.indexOf(";", eq + 1);
  if (end === -1) end = header.length;
  let start = eq + 1;
  while (start < end && (header.charCodeAt(start) === 32 || header.charCodeAt(start) === 9)) start++;
  while (end > start && (header.charCodeAt(end - 1) === 32 || header.charCodeAt(end - 1) === 9)) end--;
  return header.slice(start, end);
}

/** The library's options for the session cookie's attributes, shared by setting and expiring it. */
function options(attributes: CookieAttributes, maxAge: number | undefined, expires: Date | undefined) {
  return {
    encode: identity,
    maxAge,
    expires,
    domain: attributes.domain,
    path: attributes.path,
    secure: attributes.secure,
    httpOnly: attributes.httpOnly,
    sameSite: attributes.sameSite,
    partitioned: attributes.partitioned,
  };
}

// The library writes the attributes; what follows the value changes only with
// maxAge and the second of Expires, so the last one is reused (one entry per
// attribute set: the same options serve every request of a withSession).
const PLACEHOLDER = "v";
const suffixes = new WeakMap<CookieAttributes, { maxAge: number | undefined; second: number; suffix: string }>();

/**
 * A `Set-Cookie` value that stores `value`. The attributes come from the
 * library; the string after the value is cached per `maxAge` and second.
 *
 * @param attributes the validated cookie attributes
 * @param value the cookie value (cookie-safe characters only: a key or a signed token)
 * @param maxAge seconds, or undefined for a cookie that ends with the browser session
 * @param now the current time in milliseconds
 * @returns the header value
 * @throws {TypeError} when the library refuses the attributes
 * @internal
 */
export function serializeCookie(
  attributes: CookieAttributes,
  value: string,
  maxAge: number | undefined,
  now: number,
): string {
  // Browsers cap a cookie's lifetime at 400 days; capping here keeps Max-Age and Expires saying the same.
  if (maxAge !== undefined && maxAge > MAX_LIFETIME) maxAge = MAX_LIFETIME;
  const second = Math.floor(now / 1000);
  let cached = suffixes.get(attributes);
  if (cached === undefined || cached.maxAge !== maxAge || cached.second !== second) {
    // Expires counts from the start of the second, so a cached string never claims a later expiry than Max-Age.
    const expires = maxAge === undefined ? undefined : new Date(second * 1000 + maxAge * 1000);
    const full = serialize(attributes.name, PLACEHOLDER, options(attributes, maxAge, expires));
    cached = { maxAge, second, suffix: full.slice(attributes.name.length + 1 + PLACEHOLDER.length) };
    suffixes.set(attributes, cached);
  }
  return `${attributes.name}=${value}${cached.suffix}`;
}

/**
 * A `Set-Cookie` value that deletes the session cookie: empty value,
 * `Max-Age=0`, the epoch as `Expires`, and the same Path, Domain, SameSite,
 * Secure and Partitioned as when it was set.
 *
 * @param attributes the validated cookie attributes
 * @returns the header value
 * @internal
 */
export function serializeExpiredCookie(attributes: CookieAttributes): string {
  return serialize(attributes.name, "", options(attributes, 0, new Date(0)));
}
