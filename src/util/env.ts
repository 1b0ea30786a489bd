/**
 * One environment reader for Node, Bun and Deno (internal: not part of the
 * public API).
 *
 * @module
 */

interface DenoEnv {
  env?: { get(name: string): string | undefined };
}

/**
 * Reads an environment variable in Node, Bun or Deno.
 *
 * @param name the variable's name
 * @returns its value, or `undefined` when it is unset or the runtime has no environment (workerd, browsers)
 * @throws {Error} on Deno without env access: the message names the permission and the flags
 *   (`--allow-env`, at least `--allow-env=NAME`) that grant it; the runtime's own error is the `cause`
 * @example
 * ```ts
 * const url = readEnv("SESSION_DATABASE_URL") ?? "file:sessions.db";
 * ```
 */
export function readEnv(name: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoEnv }).Deno;
  if (deno?.env !== undefined) {
    try {
      return deno.env.get(name);
    } catch (error) {
      throw new Error(
        `Deno denied env access while reading the environment variable ${name}: ` +
          `run with --allow-env (at least --allow-env=${name})`,
        { cause: error },
      );
    }
  }
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}
