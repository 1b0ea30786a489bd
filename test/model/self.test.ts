/**
 * The model can fail: stores that each break one rule (test/fixtures/broken-stores.ts)
 * are caught within a few thousand calls, with the seed in the report.
 */
import { expect, it } from "vitest";
import { BROKEN_STORES } from "../fixtures/broken-stores.ts";
import { runModel } from "./model.ts";
import { SEED } from "./settings.ts";

for (const broken of ["update() ignores unset", "update() treats dots in keys as paths", "update() reads, then writes the whole record (lost updates)", "load() returns expired rows"]) {
  it(`the model catches a store whose ${broken}`, async () => {
    const result = await runModel({
      label: `broken: ${broken}`,
      store: BROKEN_STORES[broken]!(),
      seed: SEED,
      ops: 5_000,
      concurrent: true,
      budget: 16_000,
      bigLength: 70_000,
      checkOldKeys: true,
    });
    expect(result.mismatch, `${broken}: ${result.ops} calls without a mismatch`).toBeDefined();
    expect(result.mismatch).toContain(`seed ${SEED}`);
  });
}
