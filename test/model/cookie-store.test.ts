import { it } from "vitest";
import { CookieStore } from "../../src/stores/cookie-store.ts";
import { COOKIE_STORE, runModel } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

for (const encrypt of [false, true]) {
  it(`CookieStore (${encrypt ? "encrypted" : "signed"}) matches the session model over ${OPS} random calls`, async () => {
    const result = await runModel({
      label: `CookieStore (${encrypt ? "encrypted" : "signed"})`,
      store: new CookieStore({ secret: "model-test-secret-".repeat(3), encrypt }),
      seed: SEED,
      ops: OPS,
      ...COOKIE_STORE,
    });
    expectNoMismatch(result);
  }, TIMEOUT);
}
