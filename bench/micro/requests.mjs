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
  const samples = Object.fromEntries(Object.keys(setups).map((name) => [name, []]));
  for (const name of Object.keys(setups)) await measure(name, path, 2000);
  for (let r = 0; r < rounds; r++) for (const name of Object.keys(setups)) samples[name].push(await measure(name, path));
  for (const name of Object.keys(setups)) console.log(`${path.padEnd(7)} ${name.padEnd(38)} ${median(samples[name]).toFixed(2).padStart(7)} µs`);
}
process.exit(0);
