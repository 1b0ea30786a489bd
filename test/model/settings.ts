/**
 * Settings shared by the model-based tests: how many session calls per store
 * (MODEL_OPS, at least 20,000 in CI; MODEL_OPS=200000 for a long run) and the
 * seed (MODEL_SEED).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { basename } from "node:path";
import { expect } from "vitest";
import { ROOT } from "../helpers/servers.ts";
import type { AnySessionStore } from "../../src/store.ts";
import { type ModelOptions, type ModelResult, runModel, SERVER_STORE } from "./model.ts";

/** Session calls per store. */
export const OPS = Number(process.env["MODEL_OPS"] ?? 20_000);
if (!Number.isInteger(OPS) || OPS < 1) throw new RangeError(`MODEL_OPS must be a positive integer: received ${process.env["MODEL_OPS"]}`);

/**
 * The seed of this run: fixed by default so that CI replays the same
 * sequences; `MODEL_SEED=random` draws a new one (printed), `MODEL_SEED=<n>` replays one.
 */
export const SEED = process.env["MODEL_SEED"] === "random"
  ? Math.floor(Math.random() * 2 ** 32)
  : Number(process.env["MODEL_SEED"] ?? 20_261_126);
if (!Number.isInteger(SEED) || SEED < 0 || SEED >= 2 ** 32) throw new RangeError(`MODEL_SEED must be "random" or an integer from 0 to 2^32 - 1: received ${process.env["MODEL_SEED"]}`);

/**
 * Seeds on which the model, in a fresh Node 24 process, read session keys
 * renamed by V8's JSON.parse before the stores used parseJson (each failed
 * in two runs without it; test/model/json-key-seeds.test.ts replays them on
 * every run).
 */
export const JSON_KEY_SEEDS: readonly (readonly ["memory" | "cookie", number])[] = [
  ["memory", 16],
  ["memory", 35],
  ["cookie", 3],
  ["cookie", 29],
];

/** Milliseconds a model test may take: about 1 ms per call on the slowest store, with room. */
export const TIMEOUT = Math.max(60_000, OPS * 6);

/** Fails with the mismatch (and how to replay it), or records the run's figures. */
export function expectNoMismatch(result: ModelResult): void {
  const summary = `${result.store}: ${result.ops} calls in ${result.requests} requests, ${result.refused} refused as expected, ` +
    `${result.tooLarge} oversized saves refused, ${result.concurrentGroups} concurrent groups, ${result.cycles} cycleKey, ` +
    `${result.flushes} flush, ${result.expiries} setExpiry, ${result.opened} openSession + save, ${result.ms} ms (seed ${result.seed}; replay with MODEL_SEED=${result.seed})`;
  console.log(summary);
  expect(result.mismatch, `${result.mismatch}\nReplay: MODEL_SEED=${result.seed} MODEL_OPS=${OPS} npx vitest run --project model`).toBeUndefined();
  expect(result.ops).toBeGreaterThanOrEqual(OPS);
}

/** Runs the model on `store` in this process with this run's seed and calls, and fails on a mismatch. */
export async function expectModelMatches(
  label: string,
  store: AnySessionStore,
  settings: Pick<ModelOptions, "concurrent" | "budget" | "bigLength" | "checkOldKeys"> = SERVER_STORE,
): Promise<void> {
  expectNoMismatch(await runModel({ label, store, seed: SEED, ops: OPS, ...settings }));
}

/**
 * Runs a model fixture in a child process (`command ...args` in the
 * repository root, killed 5 s before the test's time is up) and checks the
 * `ModelResult` it prints as its last line.
 */
export async function expectNoMismatchInProcess(command: string, args: string[]): Promise<void> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT - 5_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`${basename(command)} exited with ${code}:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  expectNoMismatch(JSON.parse(line) as ModelResult);
}
