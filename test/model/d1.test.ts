/**
 * The session model on D1, run where D1 runs: inside workerd (Miniflare),
 * the model and the library bundled into the Worker, the store on the
 * Worker's own D1 binding.
 */
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, it } from "vitest";
import { ROOT } from "../helpers/servers.ts";
import type { ModelResult } from "./model.ts";
import { expectNoMismatch, OPS, SEED, TIMEOUT } from "./settings.ts";

let mf: Miniflare;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [join(ROOT, "test/fixtures/model-worker.ts")],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["node:*"],
    logLevel: "error",
  });
  mf = new Miniflare({
    modules: [{ type: "ESModule", path: join(ROOT, "test/fixtures/model-worker.mjs"), contents: bundle.outputFiles[0]!.text }],
    compatibilityDate: "2026-05-01",
    compatibilityFlags: ["nodejs_compat"],
    d1Databases: ["DB"],
  });
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
