/**
 * The embedded SQLite engines and which one each runtime gets (internal).
 *
 * Three engines read and write the same SQLite file format, so processes on
 * different engines can share one database file (WAL mode included):
 * - `bun:sqlite`, built into Bun;
 * - `node:sqlite`, built into Node 22.16+ (with `DatabaseSync#isTransaction`
 *   and `StatementSync#columns()`) and Deno 2;
 * - `libsql`, the native engine `@libsql/client` wraps, for every other
 *   Node, Bun or Deno.
 *
 * `"auto"` takes the runtime's own engine when it has one: on this project's
 * benchmark machine a prepared one-row select costs 2.2 µs on `bun:sqlite`
 * against 3.6-4.1 µs on `libsql` (Bun 1.4), 2.5 against 4.3-4.6 µs on
 * Node 24, 2.7 against 4.4 µs on Deno 2.9, and an update inside a
 * transaction 3.0 against 4.7-5.6 µs (bench/micro/engines.mjs).
 *
 * @module
 */

/** An embedded engine by name. */
export type EmbeddedEngine = "libsql" | "bun:sqlite" | "node:sqlite";

/** What a write statement reports. */
export interface RunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

/** A statement prepared once; parameters are positional (`?`, `?NNN`). */
export interface EngineStatement {
  /** Whether the statement returns rows. */
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  /** The first row, or `undefined`/`null` when there is none. */
  get(parameters: readonly unknown[]): unknown;
  run(parameters: readonly unknown[]): RunResult;
}

/** One open connection to a database file (or `:memory:`). */
export interface Engine {
  readonly name: EmbeddedEngine;
  prepare(sql: string): EngineStatement;
  /** Runs SQL without parameters (several statements allowed). */
  exec(sql: string): void;
  /** Whether a transaction is open on this connection. */
  inTransaction(): boolean;
  close(): void;
}

/** How long a statement waits for another process's lock on the file, in milliseconds. */
export const BUSY_TIMEOUT_MS = 5000;

interface Runtime {
  Bun?: unknown;
  Deno?: unknown;
  process?: { versions?: { node?: string } };
}

/**
 * The engine `"auto"` means in this runtime: `bun:sqlite` on Bun,
 * `node:sqlite` on Deno and on Node 22.16+, `libsql` elsewhere. (Node's own
 * engine is confirmed when it opens: one without `isTransaction` falls back
 * to `libsql`.)
 *
 * @returns the engine's name
 */
export function runtimeEngine(): EmbeddedEngine {
  const g = globalThis as Runtime;
  if (g.Bun !== undefined) return "bun:sqlite";
  if (g.Deno !== undefined) return "node:sqlite";
  const [major = 0, minor = 0] = (g.process?.versions?.node ?? "0.0").split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 16) ? "node:sqlite" : "libsql";
}

/**
 * Opens `path` on an engine, with the busy timeout set before any other
 * statement touches the file.
 *
 * @param engine an engine, or `"auto"` for {@link runtimeEngine}
 * @param path a file path or `:memory:`
 * @returns the open engine
 * @throws {TypeError} when the engine does not exist in this runtime
 * @throws the engine's error when the file cannot be opened
 */
export async function openEngine(engine: EmbeddedEngine | "auto", path: string): Promise<Engine> {
  if (engine === "auto") {
    const name = runtimeEngine();
    if (name === "node:sqlite") {
      const opened = await openNodeSqlite(path, false);
      if (opened !== null) return opened;
      return await openLibsql(path);
    }
    return name === "bun:sqlite" ? await openBunSqlite(path) : await openLibsql(path);
  }
  switch (engine) {
    case "libsql":
      return await openLibsql(path);
    case "bun:sqlite":
      return await openBunSqlite(path);
    case "node:sqlite":
      return (await openNodeSqlite(path, true))!;
    default:
      throw new TypeError(`Unknown embedded engine "${String(engine)}": use "auto", "libsql", "bun:sqlite" or "node:sqlite"`);
  }
}

/** SQLite has no booleans: bind them as 1 and 0, as `@libsql/client` does (`node:sqlite` refuses them). */
export function bindable(parameters: readonly unknown[]): readonly unknown[] {
  for (let i = 0; i < parameters.length; i++) {
    if (typeof parameters[i] === "boolean") return parameters.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
  }
  return parameters;
}

async function load<T>(engine: EmbeddedEngine): Promise<T> {
  // Literal specifiers, so that JSR can map "libsql" to its npm package (a computed one makes
  // `deno publish` warn), each inside the try, so that bundlers leave one they cannot resolve alone.
  try {
    if (engine === "bun:sqlite") {
      // @ts-ignore: typed only under Bun's type definitions
      return (await import("bun:sqlite")) as T;
    }
    if (engine === "node:sqlite") {
      // @ts-ignore: typed only by @types/node 22+ and Deno
      return (await import("node:sqlite")) as T;
    }
    // @ts-ignore: an optional peer dependency, typed or not
    return (await import("libsql")) as T;
  } catch (error) {
    const install = engine === "libsql" ? ": install it with `npm install libsql` (Bun, Deno and Node 22.16+ need it only to choose it)" : "";
    throw new TypeError(`The embedded engine "${engine}" is not available in this runtime (${engine} did not load)${install}`, { cause: error });
  }
}

interface LibsqlStatement {
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  get(parameters: readonly unknown[]): unknown;
  run(parameters: readonly unknown[]): RunResult;
}
interface LibsqlDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  close(): void;
}

async function openLibsql(path: string): Promise<Engine> {
  const module = await load<{ default: new (path: string, options: { timeout: number }) => LibsqlDatabase }>("libsql");
  // The busy timeout from the first statement on, so that opening a file another process is writing waits.
  const db = new module.default(path, { timeout: BUSY_TIMEOUT_MS });
  return {
    name: "libsql",
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        reader: statement.reader,
        all: (parameters) => statement.all(parameters),
        // Not statement.get(): a get() right after the rollback of a transaction that had inserted the row
        // was seen to return that row (libsql 0.5.29); all() reads the current state.
        get: (parameters) => statement.all(parameters)[0],
        run: (parameters) => statement.run(parameters),
      };
    },
    exec: (sql) => db.exec(sql),
    inTransaction: () => db.inTransaction,
    close: () => db.close(),
  };
}

interface BunStatement {
  readonly columnNames: string[];
  all(parameters: readonly unknown[]): unknown[];
  get(parameters: readonly unknown[]): unknown;
  run(parameters: readonly unknown[]): RunResult;
}
interface BunDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): BunStatement;
  exec(sql: string): void;
  close(): void;
}

async function openBunSqlite(path: string): Promise<Engine> {
  const module = await load<{ Database: new (path: string) => BunDatabase }>("bun:sqlite");
  const db = new module.Database(path);
  db.exec(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return {
    name: "bun:sqlite",
    prepare(sql) {
      const statement = db.prepare(sql);
      // bun:sqlite binds an array argument positionally.
      return {
        reader: statement.columnNames.length > 0,
        all: (parameters) => statement.all(parameters),
        get: (parameters) => statement.get(parameters),
        run: (parameters) => statement.run(parameters),
      };
    },
    exec: (sql) => db.exec(sql),
    inTransaction: () => db.inTransaction,
    close: () => db.close(),
  };
}

interface NodeStatement {
  columns?(): unknown[];
  all(...parameters: unknown[]): unknown[];
  get(...parameters: unknown[]): unknown;
  run(...parameters: unknown[]): RunResult;
}
interface NodeDatabase {
  readonly isTransaction?: boolean;
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}

/** `node:sqlite`; `null` (when not `required`) if this runtime's version lacks what the driver needs. */
async function openNodeSqlite(path: string, required: boolean): Promise<Engine | null> {
  let module: { DatabaseSync: new (path: string) => NodeDatabase };
  try {
    module = await load("node:sqlite");
  } catch (error) {
    if (required) throw error;
    return null;
  }
  const db = new module.DatabaseSync(path);
  const probe = db.prepare("select 1");
  if (typeof db.isTransaction !== "boolean" || typeof probe.columns !== "function") {
    db.close();
    if (required) throw new TypeError('The embedded engine "node:sqlite" needs Node 22.16+ (DatabaseSync#isTransaction, StatementSync#columns)');
    return null;
  }
  db.exec(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return {
    name: "node:sqlite",
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        reader: statement.columns!().length > 0,
        all: (parameters) => statement.all(...parameters),
        get: (parameters) => statement.get(...parameters),
        run: (parameters) => statement.run(...parameters),
      };
    },
    exec: (sql) => db.exec(sql),
    inTransaction: () => db.isTransaction === true,
    close: () => db.close(),
  };
}
