/**
 * Session data names at the boundary between Django and fetch-session.
 *
 * Django keeps a custom expiry under `_session_expiry` and its test cookie as
 * the plain key `testcookie` with the value `"worked"`; fetch-session keeps
 * them under its own reserved names `_expiry` and `_testcookie`. Every other
 * key (Django's `_auth_user_id`, `_auth_user_backend`, `_auth_user_hash`
 * included) passes through untouched.
 *
 * @module
 */

const DJANGO_EXPIRY = "_session_expiry";
const DJANGO_TEST_COOKIE = "testcookie";
const EXPIRY = "_expiry";
const TEST_COOKIE = "_testcookie";

/**
 * Django's session dict as fetch-session's data: `_session_expiry` becomes
 * `_expiry` and `testcookie` becomes `_testcookie`. An expiry Django wrote as
 * an ISO datetime (Django 4.x+ `set_expiry(datetime)`) becomes the same moment
 * in JavaScript's ISO form, which `setExpiry(Date)` also writes.
 *
 * @param data the decoded dict
 * @returns a new object in fetch-session's names, keys in the same order
 */
export function fromDjango(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    const value = data[key];
    if (key === DJANGO_EXPIRY) {
      if (typeof value === "string") {
        const at = Date.parse(value);
        out[EXPIRY] = Number.isFinite(at) ? new Date(at).toISOString() : value;
      } else out[EXPIRY] = value;
    } else if (key === DJANGO_TEST_COOKIE) out[TEST_COOKIE] = value;
    else if (key === EXPIRY || key === TEST_COOKIE) continue; // fetch-session's own names: not Django keys, dropped rather than confused
    else define(out, key, value);
  }
  return out;
}

/**
 * fetch-session's data as Django's session dict: `_expiry` becomes
 * `_session_expiry` and `_testcookie` becomes `testcookie`. A fixed date (from
 * `setExpiry(Date)`) becomes whole seconds from `now`, rounded up (at least 1
 * second while it lies ahead, -1 once passed), since Django 3.2's middleware
 * fails on any expiry but an integer.
 *
 * @param data the session's data
 * @param now the current time in milliseconds
 * @returns a new object in Django's names, keys in the same order
 */
export function toDjango(data: Record<string, unknown>, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    const value = data[key];
    if (key === EXPIRY) out[DJANGO_EXPIRY] = typeof value === "string" ? secondsUntil(value, now) : value;
    else if (key === TEST_COOKIE) out[DJANGO_TEST_COOKIE] = value;
    else if (key === DJANGO_TEST_COOKIE && Object.hasOwn(data, TEST_COOKIE)) continue; // the test cookie wins the name
    else define(out, key, value);
  }
  return out;
}

function secondsUntil(iso: string, now: number): number | string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return iso;
  const seconds = Math.ceil((at - now) / 1000);
  return seconds > 0 ? seconds : -1;
}

/** Sets an own property even for `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
