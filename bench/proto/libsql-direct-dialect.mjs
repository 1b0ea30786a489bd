// PROTOTYPE (not part of the library): a Kysely dialect over the `libsql`
// package (the native, better-sqlite3-style API that @libsql/client wraps)
// for embedded files, with prepared statements cached per SQL text.
//
// Why: profiles of KyselyStore on @libsql/client show 60-80% of the CPU in
// the client's execute path: it prepares the statement on every call
// (js_prepare_sync: 21% of a read, 30% of a write), asks for the columns
// twice (js_columns: 19% of a read), iterates rows in batches of 100 through
// an Array(100) and rebuilds every row with Object.defineProperty. Cached
// statements and `all()`/`run()` skip all of that.
//
// Used by bench/servers/fs.mjs with STORE=libsql-direct to measure the gain.
import Database from "libsql";
import { SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from "kysely";

const MAX_CACHED = 128;

export class DirectLibsqlDialect {
  #path;
  constructor(path) {
    this.#path = path;
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver() {
    return new DirectDriver(this.#path);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db) {
    return new SqliteIntrospector(db);
  }
}

class DirectDriver {
  #path;
  #connection;
  // A lock that costs no promise when it is free (the common case: every
  // statement runs synchronously, so it is released before anyone else asks).
  #locked = false;
  #waiters = [];
  constructor(path) {
    this.#path = path;
  }
  async init() {
    this.#connection = new DirectConnection(new Database(this.#path));
  }
  acquireConnection() {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(this.#connection);
    }
    return new Promise((resolve) => this.#waiters.push(resolve)).then(() => this.#connection);
  }
  async beginTransaction(connection) {
    connection.exec("begin immediate");
  }
  async commitTransaction(connection) {
    connection.exec("commit");
  }
  async rollbackTransaction(connection) {
    connection.exec("rollback");
  }
  async releaseConnection() {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
  async destroy() {
    this.#connection?.close();
  }
}

class DirectConnection {
  #db;
  #statements = new Map();
  constructor(db) {
    this.#db = db;
  }
  exec(sql) {
    this.#db.exec(sql);
  }
  close() {
    this.#db.close();
  }
  #prepare(sql) {
    let entry = this.#statements.get(sql);
    if (entry === undefined) {
      const statement = this.#db.prepare(sql);
      entry = { statement, reader: statement.reader };
      if (this.#statements.size >= MAX_CACHED) this.#statements.clear();
      this.#statements.set(sql, entry);
    }
    return entry;
  }
  async executeQuery(query) {
    const { statement, reader } = this.#prepare(query.sql);
    const parameters = query.parameters;
    if (reader) return { rows: statement.all(parameters) };
    const info = statement.run(parameters);
    return { rows: [], numAffectedRows: BigInt(info.changes), insertId: BigInt(info.lastInsertRowid) };
  }
  async *streamQuery(query) {
    yield await this.executeQuery(query);
  }
}
