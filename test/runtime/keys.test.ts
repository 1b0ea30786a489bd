/**
 * hashKey() takes Bun's native SHA-256 on Bun and src/sha256.ts elsewhere: a
 * row written by a Bun process must be found by a Node or Deno process, so
 * both must give the same id for every key.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/sha256.ts";
import { ROOT } from "../helpers/servers.ts";

const exec = promisify(execFile);
const SCRIPT = `
import { generateKey, hashKey } from "./src/keys.ts";
const keys = Array.from({ length: 2000 }, () => generateKey());
keys.push("0".repeat(32), "z".repeat(32), "0123456789abcdefghijklmnopqrstuv");
console.log(JSON.stringify({ native: typeof (globalThis as any).Bun?.SHA256?.hash === "function", pairs: keys.map((key) => [key, hashKey(key)]) }));
`;

describe("hashKey() in real runtimes", () => {
  for (const [runtime, command, args] of [
    ["Bun", join(ROOT, "node_modules", ".bin", "bun"), ["-e", SCRIPT]],
    ["Deno", join(ROOT, "node_modules", ".bin", "deno"), ["eval", "--ext=ts", SCRIPT]],
  ] as const) {
    it(`gives the hex SHA-256 of the key under ${runtime} (Bun: its native hash)`, async () => {
      const { stdout } = await exec(command, [...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" }, timeout: 60_000 });
      const { native, pairs } = JSON.parse(stdout.trim().split("\n").at(-1)!) as { native: boolean; pairs: [string, string][] };
      expect(native).toBe(runtime === "Bun");
      expect(pairs).toHaveLength(2003);
      for (const [key, id] of pairs) expect(id, key).toBe(sha256Hex(key));
    });
  }
});
