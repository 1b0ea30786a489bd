import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import type { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { expectModelMatches, OPS, TIMEOUT } from "./settings.ts";

let dir: string;
let store: KyselyStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "model-libsql-"));
  store = await createLibsqlStore({ url: `file:${join(dir, "sessions.db")}`, engine: "libsql" });
});

afterAll(async () => {
  await store?.db.destroy();
  await rm(dir, { recursive: true, force: true });
});

it(`KyselyStore on an embedded libSQL file matches the session model over ${OPS} random calls`, async () => {
  await expectModelMatches("KyselyStore on a libSQL file", store);
}, TIMEOUT);
