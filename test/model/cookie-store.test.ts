import { it } from "vitest";
import { CookieStore } from "../../src/stores/cookie-store.ts";
import { runModel } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

// A cookie holds the whole session: concurrent requests race by design (the
// last response's cookie wins, as with Django's signed_cookies), and an old
// cookie stays valid until it expires, so neither is modelled here.
for (const encrypt of [false, true]) {
  it(`CookieStore (${encrypt ? "encrypted" : "signed"}) matches the session model over ${OPS} random calls`, async () => {
    const result = await runModel({
      label: `CookieStore (${encrypt ? "encrypted" : "signed"})`,
      store: new CookieStore({ secret: "model-test-secret-".repeat(3), encrypt }),
      seed: SEED,
      ops: OPS,
      concurrent: false,
      budget: 1_200,
      bigLength: 6_000,
      checkOldKeys: false,
    });
    expectNoMismatch(result);
  }, TIMEOUT);
}
