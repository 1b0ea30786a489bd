import { it } from "vitest";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { runModel } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

it(`MemoryStore matches the session model over ${OPS} random calls`, async () => {
  const result = await runModel({
    label: "MemoryStore",
    store: new MemoryStore(),
    seed: SEED,
    ops: OPS,
    concurrent: true,
    budget: 16_000,
    bigLength: 70_000,
    checkOldKeys: true,
  });
  expectNoMismatch(result);
}, TIMEOUT);
