/**
 * The package as users install it: `npm pack`, then fresh projects in a
 * temporary folder outside the repository, each built from the README's
 * examples as written (extracted from README.md here, so the docs cannot
 * drift): Bun, Node 20 (ESM and CommonJS), Node 24 with Kysely 0.29, Deno with
 * `nodeModulesDir`, and a Worker with D1 under wrangler.
 *
 * Packages come from the npm registry (`--prefer-offline`, one shared npm
 * cache); `fetch-session` itself always comes from the packed tarball (the
 * name on the public registry is not this package).
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar } from "../helpers/http.ts";
import { freePort } from "../helpers/servers.ts";
import {
  BIN,
  commands,
  counterRun,
  mb,
  NODE_24,
  ok,
  onlyBlock,
  readmeSection,
  ROOT,
  run,
  sh,
  startServer,
  systemNode,
  treeBytes,
  userEnv,
  type RunResult,
} from "./support.ts";

const NPM_FLAGS = "--prefer-offline --no-audit --no-fund";
const INSTALL_MS = 240_000;

let base = "";
let tarball = "";
/** The files in the tarball, without the leading `package/`. */
let packed: string[] = [];

/** A README install line for this project: the packed tarball instead of the registry's `fetch-session`, npm's quiet flags. */
function installLine(line: string): string {
  let out = line;
  if (/^(npm install|bun add)\b/.test(out)) out = out.replace(/(?<=\s)fetch-session(?=\s|$)/, tarball);
  if (out.startsWith("npm install")) out = `${out} ${NPM_FLAGS}`;
  return out;
}

/** npm's warnings in an install's output (npm 11 prints them as `npm warn ...`). */
function npmWarnings(result: RunResult): string[] {
  return `${result.stdout}\n${result.stderr}`.split("\n").filter((line) => /^npm warn/i.test(line));
}

async function project(name: string, packageJson: Record<string, unknown>): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name, version: "1.0.0", private: true, ...packageJson }, null, 2)}\n`);
  return dir;
}

async function installedVersion(dir: string, name: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "fetch-session-consumer-"));
  const prebuilt = process.env.FETCH_SESSION_CONSUMER_TARBALL; // a tarball packed elsewhere, while the tree is mid-change
  if (prebuilt !== undefined && prebuilt !== "") {
    tarball = join(base, "fetch-session.tgz");
    await copyFile(prebuilt, tarball);
  } else {
    const pack = ok(await run("npm", ["pack", "--pack-destination", base, "--silent"], { cwd: ROOT, env: { ...process.env } as Record<string, string>, timeoutMs: 180_000 }), "npm pack");
    const name = (await readdir(base)).find((file) => file.endsWith(".tgz"));
    expect(name, pack.stdout).toBeDefined();
    tarball = join(base, name!);
  }
  const list = ok(await run("tar", ["-tzf", tarball], { cwd: base, env: userEnv() }), "tar -t");
  packed = list.stdout.split("\n").filter((line) => line !== "").map((line) => line.replace(/^package\//, ""));
}, 240_000);

afterAll(async () => {
  if (base !== "") await rm(base, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the compiled library with its types, the docs, the licence and no source maps, tests or sources", () => {
    for (const file of ["package.json", "LICENSE", "README.md", "SECURITY.md", "dist/mod.js", "dist/mod.d.ts", "dist/src/cli.js", "docs/api.md", "docs/stores.md", "docs/runtimes.md", "docs/websockets-streaming.md"]) {
      expect(packed, file).toContain(file);
    }
    expect(packed.filter((file) => file.endsWith(".map")), "source maps").toEqual([]);
    expect(packed.filter((file) => /^(test|bench\/(?!RESULTS\.md|PROFILE\.md|results\.svg)|examples|src)\//.test(file)), "tests, sources, bench code").toEqual([]);
    expect(packed.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")), "TypeScript sources").toEqual([]);
  });

  it("every relative link in the shipped Markdown resolves to a shipped file", async () => {
    const extract = await mkdtemp(join(base, "extract-"));
    ok(await run("tar", ["-xzf", tarball, "-C", extract], { cwd: base, env: userEnv() }), "tar -x");
    const broken: string[] = [];
    for (const file of packed.filter((name) => name.endsWith(".md"))) {
      const text = await readFile(join(extract, "package", file), "utf8");
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split("#")[0]!;
        if (target === "" || /^[a-z]+:/i.test(target)) continue;
        const resolved = posix.normalize(posix.join(posix.dirname(file), target));
        if (!packed.includes(resolved)) broken.push(`${file} -> ${match[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("declares kysely as a peer dependency covering 0.28 and 0.29", async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { peerDependencies?: Record<string, string>; dependencies?: Record<string, string> };
    expect(manifest.dependencies?.kysely).toBeUndefined();
    expect(manifest.peerDependencies?.kysely).toBe("^0.28.0 || ^0.29.0");
  });
});

describe("examples/readme", () => {
  it("holds the README's examples as files, unchanged", async () => {
    const files: [string, string, string][] = [
      ["bun/app.ts", "Bun", "ts"],
      ["deno/main.ts", "Deno", "ts"],
      ["node/server.ts", "Node", "ts"],
      ["worker/src/index.ts", "Cloudflare Workers with D1", "ts"],
      ["worker/wrangler.jsonc", "Cloudflare Workers with D1", "jsonc"],
    ];
    for (const [file, section, language] of files) {
      expect(await readFile(join(ROOT, "examples", "readme", file), "utf8"), file).toBe(onlyBlock(section, language));
    }
  });
});

describe("Bun: the README's Bun example", () => {
  let dir = "";
  it("installs with bun add and type-checks under TypeScript strict", async () => {
    dir = await project("bun-app", { type: "module" });
    const env = userEnv();
    const install = commands(onlyBlock("Install", "sh")).find((line) => line.startsWith("bun add"));
    expect(install).toBeDefined();
    ok(await sh(`${BIN}/${installLine(install!)}`, { cwd: dir, env, timeoutMs: INSTALL_MS }), "bun add");
    ok(await run(join(BIN, "bun"), ["add", "-d", "@types/bun", "typescript"], { cwd: dir, env, timeoutMs: INSTALL_MS }), "bun add -d");
    expect(existsSync(join(dir, "node_modules", "libsql")), "libsql on Bun (bun:sqlite is built in)").toBe(false);
    expect(existsSync(join(dir, "node_modules", "@libsql")), "@libsql packages on Bun").toBe(false);
    console.log(`[consumer] Bun project (bun add fetch-session): node_modules ${mb(await treeBytes(join(dir, "node_modules")))} with @types/bun and typescript, kysely ${await installedVersion(dir, "kysely")}`);
    await writeFile(join(dir, "app.ts"), onlyBlock("Bun", "ts"));
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, target: "ESNext", lib: ["ESNext"], module: "Preserve", moduleResolution: "bundler", noEmit: true, verbatimModuleSyntax: true, skipLibCheck: false, types: ["bun"] },
      include: ["app.ts"],
    }));
    ok(await run(join(BIN, "bun"), ["x", "tsc", "-p", "."], { cwd: dir, env, timeoutMs: 120_000 }), "tsc (Bun project)");
  }, INSTALL_MS);

  it("counts visits under bun with the default store, which keeps them across a restart", async () => {
    const env = userEnv();
    const first = await startServer(join(BIN, "bun"), ["app.ts"], { cwd: dir, env });
    let jar: CookieJar;
    try {
      jar = await counterRun(first.url);
    } finally {
      await first.stop();
    }
    expect(existsSync(join(dir, "sessions.db")), "sessions.db in the working directory").toBe(true);
    const second = await startServer(join(BIN, "bun"), ["app.ts"], { cwd: dir, env, port: first.port });
    try {
      await counterRun(second.url, jar, 4);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe("Node: the README's Node example", () => {
  const node = systemNode();
  const node20 = userEnv(dirname(node.path));
  const node24 = userEnv(dirname(NODE_24));
  let esm = "";

  it(`runs on the system Node (${node.version}): at least Node 20`, () => {
    expect(node.major).toBeGreaterThanOrEqual(20);
  });

  it("installs with the README's commands and no npm warning, and type-checks with NodeNext resolution", async () => {
    esm = await project("node-app", {});
    for (const line of commands(onlyBlock("Node", "sh"))) {
      const result = ok(await sh(installLine(line), { cwd: esm, env: node20, timeoutMs: INSTALL_MS }), line);
      if (line.startsWith("npm install")) expect(npmWarnings(result), line).toEqual([]);
    }
    ok(await sh(`npm install -D tsx typescript @types/node@20 ${NPM_FLAGS}`, { cwd: esm, env: node20, timeoutMs: INSTALL_MS }), "npm install -D tsx typescript @types/node@20");
    await writeFile(join(esm, "server.ts"), onlyBlock("Node", "ts"));
    // TypeScript's Node ESM resolution (the package's "exports" and its .d.ts), strict, libraries checked too.
    await writeFile(join(esm, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", noEmit: true, skipLibCheck: false, types: ["node"] },
      include: ["server.ts"],
    }));
    ok(await sh("npx tsc -p .", { cwd: esm, env: node20, timeoutMs: 120_000 }), "tsc (Node project, NodeNext)");
    console.log(`[consumer] Node project (fetch-session srvx): node_modules ${mb(await treeBytes(join(esm, "node_modules")))}, kysely ${await installedVersion(esm, "kysely")}`);
  }, INSTALL_MS);

  it(`counts visits under \`npx tsx server.ts\` on Node ${node.major}, the default store keeping them across a restart`, async () => {
    expect(onlyBlock("Node", "ts")).toContain("npx tsx server.ts");
    const first = await startServer("npx", ["tsx", "server.ts"], { cwd: esm, env: node20 });
    let jar: CookieJar;
    try {
      jar = await counterRun(first.url);
    } finally {
      await first.stop();
    }
    expect(existsSync(join(esm, "sessions.db"))).toBe(true);
    const second = await startServer("npx", ["tsx", "server.ts"], { cwd: esm, env: node20, port: first.port });
    try {
      await counterRun(second.url, jar, 4);
    } finally {
      await second.stop();
    }
  }, 90_000);

  it(`loads from CommonJS with require() on Node ${node.major}, as the README says`, async () => {
    expect(readmeSection("Install")).toContain('require("fetch-session")');
    const script = `
      const { getSession, withSession, MemoryStore } = require("fetch-session");
      const app = withSession(async (request) => {
        const session = await getSession(request);
        const visits = (session.get("visits") ?? 0) + 1;
        session.set("visits", visits);
        return new Response("Visits: " + visits);
      }, { store: new MemoryStore() });
      (async () => {
        let cookie = "";
        const seen = [];
        for (let i = 0; i < 3; i++) {
          const response = await app(new Request("http://localhost/", { headers: cookie ? { cookie } : {} }));
          cookie = response.headers.getSetCookie()[0]?.split(";")[0] ?? cookie;
          seen.push(await response.text());
        }
        console.log(JSON.stringify(seen));
      })();
    `;
    await writeFile(join(esm, "counter.cjs"), script);
    for (const env of [node20, node24]) {
      const result = ok(await run("node", ["counter.cjs"], { cwd: esm, env }), "node counter.cjs");
      expect(JSON.parse(result.stdout.trim())).toEqual(["Visits: 1", "Visits: 2", "Visits: 3"]);
      expect(result.stderr).toBe("");
    }
  }, 60_000);

  let lean = "";
  it("counts visits under `node server.ts` on Node 24 (type stripping) with Kysely 0.29", async () => {
    const dir = (lean = await project("node24-app", {}));
    const lines = commands(onlyBlock("Node", "sh"));
    expect(lines).toContain("npm install libsql");
    for (const line of lines.filter((command) => command !== "npm install libsql")) ok(await sh(installLine(line), { cwd: dir, env: node24, timeoutMs: INSTALL_MS }), line);
    expect(existsSync(join(dir, "node_modules", "libsql")), "libsql on Node 24 (node:sqlite is built in)").toBe(false);
    ok(await sh(`npm install kysely@^0.29 ${NPM_FLAGS}`, { cwd: dir, env: node24, timeoutMs: INSTALL_MS }), "npm install kysely@^0.29");
    expect(await installedVersion(dir, "kysely")).toMatch(/^0\.29\./);
    expect(onlyBlock("Node", "ts")).toContain("node server.ts (Node 22.18+)");
    await writeFile(join(dir, "server.ts"), onlyBlock("Node", "ts"));
    const server = await startServer("node", ["server.ts"], { cwd: dir, env: node24 });
    try {
      await counterRun(server.url);
    } finally {
      await server.stop();
    }
    expect(server.output()).not.toMatch(/kysely:warning/);
  }, INSTALL_MS);

  it("says what to install when the default store needs libsql (Node 20) or @libsql/client (a remote URL)", async () => {
    const script = `
      import { getSession, withSession } from "fetch-session";
      const app = withSession(async (request) => {
        const session = await getSession(request);
        session.set("visits", 1);
        return new Response("saved");
      });
      try {
        await app(new Request("http://localhost/"));
        console.log("saved");
      } catch (error) {
        const messages = [];
        for (let e = error; e instanceof Error; e = e.cause) messages.push(e.message);
        console.log(messages.join(" | "));
      }
    `;
    expect(lean, "the Node 24 project of the test before").not.toBe("");
    await writeFile(join(lean, "default-store.mjs"), script);
    const engine = ok(await run("node", ["default-store.mjs"], { cwd: lean, env: node20 }), "Node 20 without libsql");
    expect(engine.stdout).toContain("install it with `npm install libsql`");
    const remote = ok(await run("node", ["default-store.mjs"], { cwd: lean, env: { ...node24, SESSION_DATABASE_URL: "libsql://127.0.0.1:9" } }), "a remote URL without @libsql/client");
    expect(remote.stdout).toContain("install it with `npm install @libsql/client`");
  }, 60_000);
});

describe("Deno: the README's Deno example, with nodeModulesDir", () => {
  let dir = "";
  const deno = join(BIN, "deno");

  it("installs and passes deno check", async () => {
    dir = await project("deno-app", { type: "module" });
    const env = userEnv();
    ok(await sh(`npm install ${tarball} ${NPM_FLAGS}`, { cwd: dir, env, timeoutMs: INSTALL_MS }), "npm install");
    expect(existsSync(join(dir, "node_modules", "libsql")), "libsql on Deno (node:sqlite is built in)").toBe(false);
    await writeFile(join(dir, "deno.json"), `${JSON.stringify({ nodeModulesDir: "manual" }, null, 2)}\n`);
    await writeFile(join(dir, "main.ts"), onlyBlock("Deno", "ts"));
    ok(await run(deno, ["check", "main.ts"], { cwd: dir, env, timeoutMs: 120_000 }), "deno check");
  }, INSTALL_MS);

  it("counts visits with the README's permission flags and the default store", async () => {
    const line = commands(onlyBlock("Deno", "sh")).find((command) => command.startsWith("deno run"));
    expect(line).toBeDefined();
    const args = line!.split(/\s+/).slice(1);
    const server = await startServer(deno, args, { cwd: dir, env: userEnv() });
    try {
      await counterRun(server.url);
    } finally {
      await server.stop();
    }
    expect(existsSync(join(dir, "sessions.db"))).toBe(true);
  }, 60_000);

  it("runs clearsessions with the Deno command docs/stores.md gives", async () => {
    const stores = await readFile(join(ROOT, "docs", "stores.md"), "utf8");
    const line = stores.split("\n").find((text) => text.startsWith("deno run") && text.includes("npm:fetch-session clearsessions"));
    expect(line).toBeDefined();
    const result = ok(await run(deno, line!.split(/\s+/).slice(1), { cwd: dir, env: userEnv() }), line!);
    expect(result.stdout).toMatch(/^Deleted \d+ expired sessions?\.$/m);
  }, 60_000);

  it("counts visits with the narrower grants docs/runtimes.md gives", async () => {
    const runtimes = await readFile(join(ROOT, "docs", "runtimes.md"), "utf8");
    const narrow = /Narrower grants work too:\s*`([^`]+)`/.exec(runtimes)?.[1];
    expect(narrow).toBeDefined();
    const server = await startServer(deno, ["run", "--allow-net", ...narrow!.split(/\s+/), "main.ts"], { cwd: dir, env: userEnv() });
    try {
      await counterRun(server.url);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it("answers 500 without the default store's permissions, with an error naming them and the flags that grant them", async () => {
    for (const flags of [["--allow-env=PORT"], ["--allow-env"], ["--allow-env", "--allow-read"]]) {
      const server = await startServer(deno, ["run", "--allow-net", ...flags, "main.ts"], { cwd: dir, env: userEnv() });
      try {
        const response = await fetch(`${server.url}/`);
        expect(response.status).toBe(500);
        await response.text();
        await new Promise((wait) => setTimeout(wait, 200));
      } finally {
        await server.stop();
      }
      const output = server.output();
      expect(output, flags.join(" ")).toMatch(/Deno denied the default store what it needs \(Requires (env|read|write) access/);
      expect(output, flags.join(" ")).toContain("run with --allow-env --allow-read --allow-write");
    }
  }, 60_000);
});

describe("Cloudflare Workers: the README's D1 example under wrangler", () => {
  let dir = "";
  const env = userEnv(dirname(systemNode().path), { WRANGLER_SEND_METRICS: "false", CI: "1" });
  let kysely = "";

  it("installs with the README's commands, without native libSQL binaries, and type-checks", async () => {
    dir = await project("worker-app", {});
    const lines = commands(onlyBlock("Cloudflare Workers with D1", "sh"));
    const [runtimeDeps, ...rest] = lines;
    expect(runtimeDeps).toMatch(/^npm install fetch-session /);
    const install = ok(await sh(installLine(runtimeDeps!), { cwd: dir, env, timeoutMs: INSTALL_MS }), runtimeDeps!);
    expect(npmWarnings(install), runtimeDeps).toEqual([]);
    const bytes = await treeBytes(join(dir, "node_modules"));
    kysely = await installedVersion(dir, "kysely");
    console.log(`[consumer] Worker project (${runtimeDeps}): node_modules ${mb(bytes)}, kysely ${kysely}, kysely-d1 ${await installedVersion(dir, "kysely-d1")}`);
    expect(existsSync(join(dir, "node_modules", "@libsql")), "native libSQL packages in a Worker project").toBe(false);
    expect(existsSync(join(dir, "node_modules", "libsql")), "libsql in a Worker project").toBe(false);
    expect(existsSync(join(dir, "node_modules", "fetch-session", "node_modules", "kysely")), "a second Kysely").toBe(false);

    await writeFile(join(dir, "wrangler.jsonc"), onlyBlock("Cloudflare Workers with D1", "jsonc"));
    await mkdir(join(dir, "src"), { recursive: true });
    await writeFile(join(dir, "src", "index.ts"), onlyBlock("Cloudflare Workers with D1", "ts"));
    for (const line of rest) {
      if (/wrangler d1 create|wrangler dev/.test(line)) continue; // needs a Cloudflare account / started below
      ok(await sh(installLine(line), { cwd: dir, env, timeoutMs: INSTALL_MS }), line);
    }
    const schema = await readFile(join(dir, "migrations", "0001_create_sessions.sql"), "utf8");
    expect(schema).toMatch(/create table/i);
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, target: "ES2022", lib: ["ES2022"], module: "ES2022", moduleResolution: "bundler", noEmit: true, skipLibCheck: false, types: ["@cloudflare/workers-types"] },
      include: ["src"],
    }));
    ok(await sh("npx tsc -p .", { cwd: dir, env, timeoutMs: 120_000 }), "tsc (Worker project)");
  }, INSTALL_MS);

  it("counts visits under wrangler dev with sessions in local D1, and the cron handler runs", async () => {
    expect(commands(onlyBlock("Cloudflare Workers with D1", "sh"))).toContain("npx wrangler dev");
    const port = await freePort();
    const server = await startServer("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", "0"], { cwd: dir, env, port, readyTimeoutMs: 90_000 });
    try {
      await counterRun(server.url);
      const scheduled = await fetch(`${server.url}/cdn-cgi/handler/scheduled`);
      expect(scheduled.status).toBe(200);
      await scheduled.text();
    } finally {
      await server.stop();
    }
    expect(readmeSection("Cloudflare Workers with D1")).toContain("With Kysely 0.28, `kysely-d1` 0.4\nmakes Kysely log one harmless \"outdated driver\" warning; Kysely 0.29 does not.");
    // As the README says: Kysely 0.28 logs kysely-d1 0.4's result shape as an outdated driver, 0.29 does not.
    if (kysely.startsWith("0.28.")) expect(server.output()).toMatch(/kysely:warning: outdated driver/);
    else expect(server.output()).not.toMatch(/kysely:warning/);
  }, 120_000);

  it("bundles with wrangler deploy --dry-run", async () => {
    const result = ok(await sh("npx wrangler deploy --dry-run --outdir dist-worker", { cwd: dir, env, timeoutMs: 120_000 }), "wrangler deploy --dry-run");
    const size = /Total Upload: ([^\n]+)/.exec(result.stdout + result.stderr)?.[1];
    expect(size).toBeDefined();
    console.log(`[consumer] Worker bundle (wrangler deploy --dry-run, kysely ${kysely}): ${size}`);
  }, 120_000);
});
