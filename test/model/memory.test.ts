import { it } from "vitest";
import { MemoryStore } from "../../src/stores/memory-store.ts";
import { expectModelMatches, OPS, TIMEOUT } from "./settings.ts";

it(`MemoryStore matches the session model over ${OPS} random calls`, async () => {
  await expectModelMatches("MemoryStore", new MemoryStore());
}, TIMEOUT);
