import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterAll, beforeAll } from "vitest";
import { openLibsqlDatabase } from "../../src/stores/libsql/index.ts";
import { kyselyOpener, SQLITE_CORRUPT } from "../helpers/kysely-harness.ts";
import { storeConformance } from "../store-conformance.ts";

let dir: string;
let fileDb: Kysely<any>;
let memoryDb: Kysely<any>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-session-libsql-"));
  fileDb = await openLibsqlDatabase({ url: `file:${join(dir, "sessions.db")}` });
  memoryDb = await openLibsqlDatabase({ url: ":memory:" });
});

afterAll(async () => {
  await fileDb?.destroy();
  await memoryDb?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

storeConformance("KyselyStore on libSQL file:", (options) => kyselyOpener(fileDb)(options), { corrupt: SQLITE_CORRUPT });
storeConformance("KyselyStore on libSQL :memory:", (options) => kyselyOpener(memoryDb)(options), { corrupt: SQLITE_CORRUPT });
