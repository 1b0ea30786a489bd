// Measures RedisStore.deleteWhere over many sessions (run by bench/run-redis.mjs
// under Bun): SESSIONS sessions under one prefix written through the store, 10
// of them with user "victim"; deleteWhere("user", "victim") timed three times
// (the victims written again between runs). Prints one JSON line.
import { createClient } from "redis";
import { RedisStore } from "../../src/stores/redis/index.ts";

const sessions = Number(process.env.SESSIONS ?? 100_000);
const scanCount = Number(process.env.SCAN_COUNT ?? 1000);
const client = createClient({ url: process.env.REDIS_URL });
client.on("error", () => {});
await client.connect();
let scanCalls = 0;
const counting = {
  isOpen: true,
  sendCommand(args, options) {
    if (args[0] === "SCAN") scanCalls++;
    return client.sendCommand(args, options);
  },
};
const prefix = "dw:";
const store = new RedisStore({ client: counting, prefix, scanCount, timeout: 10_000 });
const expiresAt = Date.now() + 3_600_000;
const id = (i) => i.toString(16).padStart(64, "0");
const before = Number(/used_memory:(\d+)/.exec(await client.sendCommand(["INFO", "memory"]))[1]);
for (let i = 0; i < sessions; i += 1000) {
  await Promise.all(
    Array.from({ length: Math.min(1000, sessions - i) }, (_, j) => store.create(id(i + j), { data: { user: `user${i + j}`, n: 1 }, expiresAt })),
  );
}
const victims = Array.from({ length: 10 }, (_, k) => id(k * Math.floor(sessions / 10)));
const times = [];
// Every command into the slow log, to read how long each step's script held Redis.
await client.sendCommand(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
await client.sendCommand(["CONFIG", "SET", "slowlog-max-len", "100000"]);
const scriptMicros = [];
for (let run = 0; run < 3; run++) {
  await Promise.all(victims.map((v) => store.update(v, { set: { user: "victim" }, unset: [], expiresAt })));
  scanCalls = 0;
  await client.sendCommand(["SLOWLOG", "RESET"]);
  const start = performance.now();
  const deleted = await store.deleteWhere("user", "victim");
  times.push(performance.now() - start);
  for (const entry of await client.sendCommand(["SLOWLOG", "GET", "100000"])) {
    if (/^EVAL/.test(String(entry[3][0]))) scriptMicros.push(Number(entry[2]));
  }
  if (deleted !== victims.length) throw new Error(`deleteWhere deleted ${deleted}, expected ${victims.length}`);
  await Promise.all(victims.map((v) => store.create(v, { data: { user: "again", n: 1 }, expiresAt })));
}
await client.sendCommand(["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
scriptMicros.sort((a, b) => a - b);
const after = Number(/used_memory:(\d+)/.exec(await client.sendCommand(["INFO", "memory"]))[1]);
times.sort((a, b) => a - b);
client.destroy();
console.log(JSON.stringify({ sessions, matching: victims.length, scanCount, runs: times.length, timesMs: times.map((t) => Math.round(t)), medianMs: times[1], scanCalls, scriptMicrosMedian: scriptMicros[scriptMicros.length >> 1], scriptMicrosMax: scriptMicros.at(-1), usedMemoryBytes: after - before }));
