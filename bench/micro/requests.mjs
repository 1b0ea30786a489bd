// In-process throughput of the session layer and the stores, without HTTP: Requests through the
// wrapped handler, 32 in flight (as wrk -c32 keeps 32 requests open), for read / write / new.
//   bun bench/micro/requests.mjs [rounds]      (also runs on Node 24 and Deno)
// Prints µs per request (wall time / requests) per store and scenario, median of interleaved rounds.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSession, withSession, MemoryStore } from "../../mod.ts";
import { createLibsqlStore } from "../../src/stores/libsql/index.ts";
import { median, sessionHandler } from "./in-process.mjs";

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "fs-requests-"));
const stores = {
  memory: new MemoryStore(),
  "default (auto engine, group commit)": await createLibsqlStore({ url: `file:${join(dir, "a.db")}` }),
  "auto engine, autocommit": await createLibsqlStore({ url: `file:${join(dir, "b.db")}`, groupCommit: false }),
  "libsql engine, group commit": await createLibsqlStore({ url: `file:${join(dir, "c.db")}`, engine: "libsql" }),
};
const setups = {};
// On Bun, two handlers without the library for scale: a bare one, and the ceiling's read (cookie slice,
// bun:sqlite select by id, JSON.parse; bench/servers/ceiling.mjs) on a table of 1,000 rows (reads only).
if (typeof Bun !== "undefined") {
  const { Database } = await import("bun:sqlite");
  const db = new Database(join(dir, "ceiling.db"));
  db.exec("pragma journal_mode = wal; pragma synchronous = normal");
  db.exec("create table s (id text primary key, data text not null, expires integer not null)");
  const insert = db.prepare("insert into s values (?, ?, ?)");
  const select = db.prepare("select data, expires from s where id = ? and expires > ?");
  const cookies = [];
  for (let i = 0; i < 1000; i++) {
    const id = crypto.randomUUID().replaceAll("-", "");
    insert.run(id, JSON.stringify({ n: i }), Date.now() + 1e9);
    cookies.push(`sessionid=${id}`);
  }
  const ceiling = async (request) => {
    const cookie = request.headers.get("cookie") ?? "";
    const at = cookie.indexOf("sessionid=");
    const row = at === -1 ? null : select.get(cookie.slice(at + 10, at + 42), Date.now());
    return new Response(String(row ? JSON.parse(row.data).n ?? 0 : 0));
  };
  setups["bare handler (no library)"] = { handler: async () => new Response("0"), cookies, only: "/read" };
  setups["ceiling (no library, bun:sqlite)"] = { handler: ceiling, cookies, only: "/read" };
}
for (const [name, store] of Object.entries(stores)) {
  const handler = sessionHandler({ getSession, withSession }, store);
  const cookies = [];
  for (let i = 0; i < 1000; i++) cookies.push((await handler(new Request("http://x/write"))).headers.getSetCookie()[0].split(";")[0]);
  setups[name] = { handler, cookies };
}
async function measure(name, path, total = 6400, inFlight = 32) {
  const { handler, cookies } = setups[name];
  let next = 0;
  const start = performance.now();
  async function worker() {
    while (next < total) {
      const i = next++;
      const response = await handler(new Request(`http://x${path}`, { headers: path === "/new" ? {} : { cookie: cookies[i % 1000] } }));
      await response.text();
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ((performance.now() - start) * 1000) / total;
}
const runtime = typeof Bun !== "undefined" ? `Bun ${Bun.version}` : typeof Deno !== "undefined" ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;
console.log(`${runtime}: µs per request in-process, 32 in flight, median of ${rounds} rounds`);
for (const path of ["/read", "/write", "/new"]) {
  const names = Object.keys(setups).filter((name) => (setups[name].only ?? path) === path);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) await measure(name, path, 2000);
  for (let r = 0; r < rounds; r++) for (const name of names) samples[name].push(await measure(name, path));
  for (const name of names) console.log(`${path.padEnd(7)} ${name.padEnd(38)} ${median(samples[name]).toFixed(2).padStart(7)} µs`);
}
process.exit(0);
