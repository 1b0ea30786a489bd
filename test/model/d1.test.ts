/**
 * The session model on D1, run where D1 runs: inside workerd (Miniflare),
 * the model and the library bundled into the Worker, the store on the
 * Worker's own D1 binding.
 */
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, it } from "vitest";
import { startFixtureWorker } from "../helpers/servers.ts";
import type { ModelResult } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

let mf: Miniflare;

beforeAll(async () => {
  mf = await startFixtureWorker("test/fixtures/model-worker.ts", { d1Databases: ["DB"] });
});

afterAll(async () => {
  await mf?.dispose();
});

it(`KyselyStore on D1 inside workerd matches the session model over ${OPS} random calls`, async () => {
  const response = await mf.dispatchFetch(`http://model/?seed=${SEED}&ops=${OPS}`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`The Worker answered ${response.status}: ${text.slice(0, 2000)}`);
  expectNoMismatch(JSON.parse(text) as ModelResult);
}, TIMEOUT);
