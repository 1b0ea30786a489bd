// In-process end-to-end cost per request of two copies of the library (no HTTP): a Request through
// the wrapped handler, awaited one at a time, for read / write / new on the default SQL store
// (createLibsqlStore on a file: key hashing) and on CookieStore (HMAC). Used by bench/crypto.mjs.
//   bun bench/micro/crypto-inprocess.mjs <a/mod.ts> <b/mod.ts> [rounds]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, sessionHandler } from "./in-process.mjs";

const [pathA, pathB, roundsText = "5"] = process.argv.slice(2);
const rounds = Number(roundsText);
const dir = mkdtempSync(join(tmpdir(), "fs-crypto-"));
const SECRET = "bench-secret-bench-secret-bench-secret-0123456789";

async function build(modPath, label) {
  const lib = await import(modPath);
  const { createLibsqlStore } = await import(new URL("./src/stores/libsql/index.ts", `file://${modPath}`).href);
  const apps = {};
  for (const kind of ["libsql", "cookie"]) {
    const store = kind === "libsql" ? await createLibsqlStore({ url: `file:${join(dir, `${label}.db`)}` }) : new lib.CookieStore({ secret: SECRET });
    const app = sessionHandler(lib, store);
    const cookies = [];
    for (let i = 0; i < 500; i++) {
      const response = await app(new Request("http://x/write"));
      cookies.push(response.headers.getSetCookie().at(-1).split(";")[0]);
    }
    apps[kind] = { app, cookies };
  }
  return apps;
}

const variants = { a: await build(pathA, "a"), b: await build(pathB, "b") };
async function time(v, kind, path, n = 4000) {
  const { app, cookies } = variants[v][kind];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const headers = path === "/new" ? {} : { cookie: cookies[i % cookies.length] };
    const response = await app(new Request(`http://x${path}`, { headers }));
    if (response.status !== 200) throw new Error(`status ${response.status}`);
  }
  return ((performance.now() - start) * 1000) / n;
}
console.log(`in-process, µs per request, median of ${rounds} interleaved rounds (a: ${pathA}, b: ${pathB})`);
for (const kind of ["libsql", "cookie"]) {
  for (const path of ["/read", "/write", "/new"]) {
    const a = [], b = [];
    await time("a", kind, path, 1000);
    await time("b", kind, path, 1000);
    for (let r = 0; r < rounds; r++) {
      a.push(await time("a", kind, path));
      b.push(await time("b", kind, path));
    }
    console.log(`${kind.padEnd(7)} ${path.padEnd(7)} a ${median(a).toFixed(2).padStart(7)}  b ${median(b).toFixed(2).padStart(7)}  b/a ${(median(b) / median(a)).toFixed(3)}`);
  }
}
