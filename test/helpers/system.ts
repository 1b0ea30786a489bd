/**
 * What the helpers that start servers share: a free port on 127.0.0.1 and
 * the directory of an installed program.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolvePort(address.port) : reject(new Error("No port"))));
    });
  });
}

/**
 * The first directory, of those on PATH and then `more`, that holds every one of `programs`.
 *
 * @returns the directory, or `undefined` when none has them all
 */
export function findProgramDir(programs: readonly string[], more: readonly string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...more]) {
    if (dir && programs.every((program) => existsSync(join(dir, program)))) return dir;
  }
  return undefined;
}
