import { it } from "vitest";
import { CookieStore } from "../../src/stores/cookie-store.ts";
import { COOKIE_STORE } from "./model.ts";
import { expectModelMatches, OPS, TIMEOUT } from "./settings.ts";

for (const encrypt of [false, true]) {
  it(`CookieStore (${encrypt ? "encrypted" : "signed"}) matches the session model over ${OPS} random calls`, async () => {
    await expectModelMatches(`CookieStore (${encrypt ? "encrypted" : "signed"})`, new CookieStore({ secret: "model-test-secret-".repeat(3), encrypt }), COOKIE_STORE);
  }, TIMEOUT);
}
