/**
 * Django's session auth hash (`AbstractBaseUser.get_session_auth_hash`), so a
 * JS route can check a Django login the way Django's `get_user()` does.
 *
 * @module
 */
import { HmacSha256, sha256 } from "../sha256.ts";

const KEY_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";
const encoder = new TextEncoder();

/**
 * The `_auth_user_hash` Django stores at login for a user whose `password`
 * column (the password hash, e.g. `pbkdf2_sha256$...`) is `passwordHash`:
 * `salted_hmac(KEY_SALT, password, secret=SECRET_KEY, algorithm="sha256").hexdigest()`.
 *
 * @param passwordHash the user's `password` column, as Django stores it
 * @param secretKey Django's `SECRET_KEY` (or one of `SECRET_KEY_FALLBACKS`)
 * @returns 64 lowercase hex characters
 * @example
 * ```ts
 * djangoSessionAuthHash("pbkdf2_sha256$870000$...", secretKey); // "3f1c…"
 * ```
 */
export function djangoSessionAuthHash(passwordHash: string, secretKey: string): string {
  const mac = new HmacSha256(sha256(encoder.encode(KEY_SALT + secretKey))).sign(encoder.encode(passwordHash));
  let hex = "";
  for (const byte of mac) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Whether a session's `_auth_user_hash` still matches the user's password
 * hash, as Django's `get_user()` checks on every request: a password change
 * (or a `SECRET_KEY` change without fallbacks) makes it false, and Django
 * then logs the session out. `_auth_user_id` alone does not prove that.
 *
 * @param sessionHash `session.get("_auth_user_hash")`
 * @param passwordHash the `password` column of the user `session.get("_auth_user_id")` names
 * @param keys Django's `SECRET_KEY`, then `SECRET_KEY_FALLBACKS` (Django 4.1+ accepts hashes made with them)
 * @returns true when the hash matches under one of the keys; compared without early exit
 * @example
 * ```ts
 * const userId = session.get("_auth_user_id");
 * const user = userId && await db.selectFrom("auth_user").select("password").where("id", "=", Number(userId)).executeTakeFirst();
 * const loggedIn = !!user && djangoSessionAuthHashMatches(session.get("_auth_user_hash"), user.password, { secretKey });
 * ```
 */
export function djangoSessionAuthHashMatches(
  sessionHash: unknown,
  passwordHash: string,
  keys: { secretKey: string; fallbackKeys?: readonly string[] },
): boolean {
  if (typeof sessionHash !== "string" || typeof passwordHash !== "string") return false;
  let matched = false;
  for (const key of [keys.secretKey, ...(keys.fallbackKeys ?? [])]) {
    const expected = djangoSessionAuthHash(passwordHash, key);
    let diff = expected.length ^ sessionHash.length;
    for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ (sessionHash.charCodeAt(i) | 0);
    matched = matched || diff === 0;
  }
  return matched;
}
