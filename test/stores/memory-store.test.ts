import { MemoryStore } from "../../src/stores/memory-store.ts";
import { storeConformance } from "../store-conformance.ts";

storeConformance("MemoryStore", async () => ({
  store: new MemoryStore({ sweepInterval: 3_600_000 }),
  async close() {},
}));
