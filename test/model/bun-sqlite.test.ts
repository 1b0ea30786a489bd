/**
 * The session model on `bun:sqlite` through Kysely, under the real Bun
 * (test/fixtures/model-bun.ts), on a WAL file database.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
import { ROOT } from "../helpers/servers.ts";
import { expectNoMismatchInProcess, OPS, SEED, TIMEOUT } from "./settings.ts";

it(`KyselyStore on bun:sqlite (under Bun) matches the session model over ${OPS} random calls`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "model-bun-"));
  try {
    await expectNoMismatchInProcess(join(ROOT, "node_modules", ".bin", "bun"), ["test/fixtures/model-bun.ts", String(SEED), String(OPS), join(dir, "sessions.db")]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, TIMEOUT);
