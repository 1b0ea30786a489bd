/**
 * GroupCommit's failure paths, on a scripted engine (the real engines are
 * covered by embedded-engines.test.ts): errors that end the whole
 * transaction, a failed begin, a failed commit, and a queue of one.
 */
import { describe, expect, it } from "vitest";
import type { Engine, EngineStatement, RunResult } from "../../src/stores/libsql/engine.ts";
import { GroupCommit } from "../../src/stores/libsql/group-commit.ts";

/** An engine that records what runs and commits, with failures chosen by the test. */
function scripted(options: { failBegin?: boolean; failCommit?: boolean } = {}) {
  let open = false;
  let pending: string[] = [];
  const committed: string[] = [];
  const log: string[] = [];
  /** Values whose statement throws; "fatal" ones also end the transaction (as SQLITE_FULL may). */
  const failing = new Map<string, "statement" | "fatal">();
  const statement: EngineStatement = {
    reader: false,
    all: () => [],
    get: () => undefined,
    run(parameters): RunResult {
      const value = String(parameters[0]);
      log.push(`run ${value}`);
      const failure = failing.get(value);
      if (failure !== undefined) {
        if (failure === "fatal") {
          open = false;
          pending = [];
          failing.delete(value);
        }
        throw new Error(`refused ${value}`);
      }
      if (open) pending.push(value);
      else committed.push(value);
      return { changes: 1, lastInsertRowid: 0 };
    },
  };
  const engine: Engine = {
    name: "libsql",
    prepare: () => statement,
    exec(sql) {
      log.push(sql);
      if (sql === "begin immediate") {
        if (options.failBegin) throw new Error("database is locked");
        open = true;
      } else if (sql === "commit") {
        if (options.failCommit) throw new Error("disk I/O error");
        committed.push(...pending);
        pending = [];
        open = false;
      } else if (sql === "rollback") {
        pending = [];
        open = false;
      }
    },
    inTransaction: () => open,
    close() {},
  };
  return { engine, statement, committed, log, failing };
}

describe("GroupCommit", () => {
  it("runs a queue of one as a plain statement, and a larger queue in one transaction, in order", async () => {
    const { engine, statement, committed, log } = scripted();
    const group = new GroupCommit(engine);
    expect(await group.changes(statement, ["a"])).toBe(1);
    expect(log).toEqual(["run a"]);
    log.length = 0;
    const results = await Promise.all(["b", "c", "d"].map((v) => group.run(statement, [v])));
    expect(results.map((r) => r.changes)).toEqual([1, 1, 1]);
    expect(log).toEqual(["begin immediate", "run b", "run c", "run d", "commit"]);
    expect(committed).toEqual(["a", "b", "c", "d"]);
  });

  it("a statement that fails while the transaction stays open rejects only its own caller", async () => {
    const { engine, statement, committed, failing } = scripted();
    failing.set("bad", "statement");
    const group = new GroupCommit(engine);
    const results = await Promise.allSettled(["a", "bad", "c"].map((v) => group.changes(statement, [v])));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(committed).toEqual(["a", "c"]);
  });

  it("an error that ends the transaction rejects its caller and runs the others again in the next turn", async () => {
    const { engine, statement, committed, failing, log } = scripted();
    failing.set("fatal", "fatal");
    const group = new GroupCommit(engine);
    const results = await Promise.allSettled(["a", "b", "fatal", "c"].map((v) => group.changes(statement, [v])));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe("refused fatal");
    // a and b were undone with the transaction, then committed with c in the next one.
    expect(committed).toEqual(["a", "b", "c"]);
    expect(log.filter((line) => line === "begin immediate")).toHaveLength(2);
  });

  it("a failed begin rejects every queued caller; a failed commit rolls back and rejects the statements it carried", async () => {
    const locked = scripted({ failBegin: true });
    const group = new GroupCommit(locked.engine);
    const results = await Promise.allSettled(["a", "b"].map((v) => group.changes(locked.statement, [v])));
    expect(results.map((r) => (r.status === "rejected" ? r.reason.message : "ok"))).toEqual(["database is locked", "database is locked"]);
    expect(locked.committed).toEqual([]);

    const broken = scripted({ failCommit: true });
    const other = new GroupCommit(broken.engine);
    const outcome = await Promise.allSettled(["a", "b"].map((v) => other.changes(broken.statement, [v])));
    expect(outcome.map((r) => (r.status === "rejected" ? r.reason.message : "ok"))).toEqual(["disk I/O error", "disk I/O error"]);
    expect(broken.log.at(-1)).toBe("rollback");
    expect(broken.committed).toEqual([]);
  });

  it("flush() commits the queue at once (before a transaction begins, or when the driver closes)", async () => {
    const { engine, statement, committed } = scripted();
    const group = new GroupCommit(engine);
    const queued = Promise.all(["a", "b"].map((v) => group.changes(statement, [v])));
    expect(group.pending).toBe(true);
    group.flush();
    expect(group.pending).toBe(false);
    expect(committed).toEqual(["a", "b"]);
    expect(await queued).toEqual([1, 1]);
  });
});
