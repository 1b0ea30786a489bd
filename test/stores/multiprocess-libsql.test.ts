import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freshTable } from "../helpers/kysely-harness.ts";
import { multiprocessSuite } from "../helpers/multiprocess.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-mp-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

multiprocessSuite("one libSQL file", () => ({ url: `file:${join(dir, "shared.db")}`, table: freshTable() }));
