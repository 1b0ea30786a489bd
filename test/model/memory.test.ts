import { it } from "vitest";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { runModel, SERVER_STORE } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

it(`MemoryStore matches the session model over ${OPS} random calls`, async () => {
  const result = await runModel({
    label: "MemoryStore",
    store: new MemoryStore(),
    seed: SEED,
    ops: OPS,
    ...SERVER_STORE,
  });
  expectNoMismatch(result);
}, TIMEOUT);
