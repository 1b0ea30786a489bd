// Microbenchmark: the per-request cost of withSession when the handler never
// opens the session (the `untouched` scenario), in-process, no HTTP.
//   bun bench/micro/untouched.mjs [path/to/mod.ts]
// An optional argument points at another copy of the library (a prototype).
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const modPath = process.argv[2] ? resolve(process.argv[2]) : new URL("../../mod.ts", import.meta.url).pathname;
const { withSession, MemoryStore } = await import(pathToFileURL(modPath).href);

const cookie = "sessionid=abcdefghijklmnopqrstuvwxyz012345";
const requests = Array.from({ length: 1024 }, (_, i) => new Request(`http://127.0.0.1/untouched?${i}`, { headers: { cookie } }));
// The handler answers asynchronously, or (SYNC=1) synchronously, as the benchmark servers' /untouched does.
const sync = process.env.SYNC === "1";
const bare = sync ? () => new Response("ok") : async () => new Response("ok");
const wrapped = withSession(sync ? () => new Response("ok") : async () => new Response("ok"), { store: new MemoryStore() });

async function once(fn, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    // A fresh Request each time, as a server creates one per request.
    const response = await fn(new Request("http://127.0.0.1/untouched", { headers: { cookie } }));
    if (response.status !== 200) throw new Error("bad status");
  }
  return ((performance.now() - start) * 1000) / n;
}

void requests;
// Interleaved: bare, wrapped, bare, wrapped ...; the minimum of each is the least disturbed run.
const bareTimes = [];
const wrappedTimes = [];
for (let round = 0; round < 12; round++) {
  bareTimes.push(await once(bare, 100_000));
  wrappedTimes.push(await once(wrapped, 100_000));
}
const min = (values) => Math.min(...values);
const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.versions.node}`;
console.log(
  `${runtime} ${process.argv[2] ?? "mod.ts"}${sync ? " (synchronous handler)" : ""}: bare ${min(bareTimes).toFixed(3)} µs, withSession untouched ${min(wrappedTimes).toFixed(3)} µs, ` +
    `overhead ${(min(wrappedTimes) - min(bareTimes)).toFixed(3)} µs/request`,
);
