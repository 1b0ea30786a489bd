import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import type { KyselyStore } from "../../src/stores/kysely-store.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { runModel, SERVER_STORE } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

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
  const result = await runModel({
    label: "KyselyStore on a libSQL file",
    store,
    seed: SEED,
    ops: OPS,
    ...SERVER_STORE,
  });
  expectNoMismatch(result);
}, TIMEOUT);
