/**
 * A small libSQL remote server for tests: Hrana 2 over HTTP with JSON
 * (`POST /v2/pipeline`), the protocol `sqld` and Turso speak, backed by a
 * local libSQL file. Each stream (baton) has its own connection, so
 * transactions work as on a real server. Enough for `@libsql/client`'s
 * `http://` URLs: execute, batch with conditions, sequence, stored SQL,
 * autocommit checks, close. Listens on 127.0.0.1 on a free port; optional bearer token.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Database from "libsql";

type Value = { type: "null" } | { type: "integer"; value: string } | { type: "float"; value: number } | { type: "text"; value: string } | { type: "blob"; base64: string };
interface Stmt {
  sql?: string;
  sql_id?: number;
  args?: Value[];
  named_args?: { name: string; value: Value }[];
  want_rows?: boolean;
}
type Condition =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: Condition }
  | { type: "and" | "or"; conds: Condition[] }
  | { type: "is_autocommit" };

/** A running server. */
export interface HranaServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** How many pipeline requests it answered. */
  readonly requests: number;
  close(): Promise<void>;
}

function decode(value: Value): unknown {
  switch (value.type) {
    case "null":
      return null;
    case "integer":
      return BigInt(value.value);
    case "float":
      return value.value;
    case "text":
      return value.value;
    case "blob":
      return Buffer.from(value.base64, "base64");
  }
}

function encode(value: unknown): Value {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: value.toString() };
  if (typeof value === "number") return Number.isInteger(value) ? { type: "integer", value: String(value) } : { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array) return { type: "blob", base64: Buffer.from(value).toString("base64") };
  throw new TypeError(`Cannot encode ${typeof value}`);
}

function execute(db: Database.Database, stmt: Stmt, stored: Map<number, string>) {
  const sql = stmt.sql ?? (stmt.sql_id !== undefined ? stored.get(stmt.sql_id) : undefined);
  if (sql === undefined) throw new Error(`Unknown sql_id ${stmt.sql_id}`);
  const statement = db.prepare(sql);
  statement.safeIntegers(true);
  const args = stmt.named_args?.length
    ? Object.fromEntries(stmt.named_args.map(({ name, value }) => [name.replace(/^[:@$]/, ""), decode(value)]))
    : (stmt.args ?? []).map(decode);
  let reader = true;
  try {
    statement.raw(true);
  } catch {
    reader = false;
  }
  if (reader) {
    const cols = statement.columns().map((c: { name: string; type: string | null }) => ({ name: c.name, decltype: c.type }));
    const rows = (statement.all(args) as unknown[][]).map((row) => row.map(encode));
    return { cols, rows, affected_row_count: 0, last_insert_rowid: null };
  }
  const info = statement.run(args) as { changes: number; lastInsertRowid: number | bigint };
  return { cols: [], rows: [], affected_row_count: info.changes, last_insert_rowid: String(info.lastInsertRowid) };
}

function failure(error: unknown) {
  return { message: (error as Error).message, code: (error as { code?: string }).code ?? "SQLITE_ERROR" };
}

/**
 * Starts a server over the libSQL file `path`.
 *
 * @param path the database file
 * @param token when set, requests need `Authorization: Bearer <token>`
 */
export async function startHranaServer(path: string, token?: string): Promise<HranaServer> {
  const streams = new Map<string, { db: Database.Database; stored: Map<number, string> }>();
  let requests = 0;

  const handlePipeline = (body: { baton: string | null; requests: { type: string; stmt?: Stmt; batch?: { steps: { stmt: Stmt; condition?: Condition | null }[] }; sql?: string; sql_id?: number }[] }) => {
    let stream = body.baton ? streams.get(body.baton) : undefined;
    if (body.baton && !stream) return { status: 400, json: { message: "Unknown baton" } };
    if (body.baton) streams.delete(body.baton);
    stream ??= (() => {
      const opened = new Database(path);
      opened.exec("pragma busy_timeout = 5000");
      return { db: opened, stored: new Map<number, string>() };
    })();
    const { db, stored } = stream;
    let closed = false;
    const results = body.requests.map((request) => {
      try {
        switch (request.type) {
          case "execute":
            return { type: "ok", response: { type: "execute", result: execute(db, request.stmt!, stored) } };
          case "batch": {
            const outcomes: ("ok" | "error" | null)[] = [];
            const test = (cond: Condition): boolean => {
              switch (cond.type) {
                case "ok":
                  return outcomes[cond.step] === "ok";
                case "error":
                  return outcomes[cond.step] === "error";
                case "not":
                  return !test(cond.cond);
                case "and":
                  return cond.conds.every(test);
                case "or":
                  return cond.conds.some(test);
                case "is_autocommit":
                  return !db.inTransaction;
              }
            };
            const step_results: unknown[] = [];
            const step_errors: unknown[] = [];
            for (const step of request.batch!.steps) {
              if (step.condition && !test(step.condition)) {
                outcomes.push(null);
                step_results.push(null);
                step_errors.push(null);
                continue;
              }
              try {
                step_results.push(execute(db, step.stmt, stored));
                step_errors.push(null);
                outcomes.push("ok");
              } catch (error) {
                step_results.push(null);
                step_errors.push(failure(error));
                outcomes.push("error");
              }
            }
            return { type: "ok", response: { type: "batch", result: { step_results, step_errors } } };
          }
          case "sequence":
            db.exec(request.sql ?? "");
            return { type: "ok", response: { type: "sequence" } };
          case "store_sql":
            stored.set(request.sql_id!, request.sql!);
            return { type: "ok", response: { type: "store_sql" } };
          case "close_sql":
            stored.delete(request.sql_id!);
            return { type: "ok", response: { type: "close_sql" } };
          case "get_autocommit":
            return { type: "ok", response: { type: "get_autocommit", is_autocommit: !db.inTransaction } };
          case "close":
            closed = true;
            return { type: "ok", response: { type: "close" } };
          default:
            return { type: "error", error: { message: `Unsupported request ${request.type}`, code: "UNSUPPORTED" } };
        }
      } catch (error) {
        return { type: "error", error: failure(error) };
      }
    });
    let baton: string | null = null;
    if (closed) db.close();
    else {
      baton = randomUUID();
      streams.set(baton, stream);
    }
    return { status: 200, json: { baton, base_url: null, results } };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) return send(401, { message: "Unauthorized" });
    if (req.method === "GET" && req.url === "/v2") return send(200, {});
    if (req.method !== "POST" || req.url !== "/v2/pipeline") return send(404, { message: "Not found" });
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      requests++;
      try {
        const { status, json } = handlePipeline(JSON.parse(text));
        send(status, json);
      } catch (error) {
        send(500, failure(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("No address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const { db } of streams.values()) db.close();
      streams.clear();
    },
  };
}
