/**
 * Clients for the WebSocket and streaming tests: a WebSocket client (the `ws`
 * package: Node 20 has no global WebSocket) that keeps the upgrade response's
 * status and headers, and a stream reader that says when each chunk arrived.
 *
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

/** An open WebSocket connection with its upgrade response and a message queue. */
export interface TestSocket {
  /** The upgrade response's status (101). */
  readonly status: number;
  /** The upgrade response's headers, as the client received them. */
  readonly headers: IncomingHttpHeaders;
  /** The next text message (waits for it). */
  next(): Promise<string>;
  /** Sends a text message. */
  send(message: string): void;
  /** Closes the connection and waits until it is closed. */
  close(): Promise<void>;
}

/**
 * Connects to a WebSocket URL with a `Cookie` header.
 *
 * @param url `ws://127.0.0.1:<port>/path`
 * @param cookie the `Cookie` header, or `null` for none
 * @param timeoutMs how long to wait for the connection and for each message
 * @returns the open socket
 * @throws {Error} when the server answers with anything but a 101 (the message has the status and body) or times out
 */
export async function connectSocket(url: string, cookie: string | null, timeoutMs = 10_000): Promise<TestSocket> {
  const headers: Record<string, string> = {};
  if (cookie !== null) headers.cookie = cookie;
  const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
  const queue: string[] = [];
  const waiters: { resolve(message: string): void; reject(error: Error): void }[] = [];
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiter of waiters.splice(0)) waiter.reject(failure);
  };
  ws.on("message", (data, isBinary) => {
    const message = isBinary ? `<binary ${String(data)}>` : String(data);
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(message);
    else queue.push(message);
  });
  ws.on("close", () => fail(new Error(`The WebSocket ${url} closed`)));
  const upgrade = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    let response: { status: number; headers: IncomingHttpHeaders } | undefined;
    ws.once("upgrade", (res) => (response = { status: res.statusCode ?? 0, headers: res.headers }));
    ws.once("open", () => resolve(response ?? { status: 0, headers: {} }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => reject(new Error(`${url} answered ${res.statusCode} instead of upgrading: ${body}`)));
      res.on("error", reject);
    });
    ws.once("error", reject);
  });
  ws.on("error", fail);
  return {
    ...upgrade,
    next() {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (failure) return Promise.reject(failure);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`No message from ${url} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          resolve: (message) => (clearTimeout(timer), resolve(message)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
      });
    },
    send(message) {
      ws.send(message);
    },
    close() {
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.close();
        setTimeout(() => (ws.terminate(), resolve()), 2000).unref();
      });
    },
  };
}

/** `http://host/path` as `ws://host/path`. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, "ws");
}

/** One chunk of a streamed body and when it arrived (`performance.now()`). */
export interface TimedChunk {
  text: string;
  at: number;
}

/** Reads a body chunk by chunk, remembering when each arrived. */
export class TimedReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  /** Every chunk read so far. */
  readonly chunks: TimedChunk[] = [];

  constructor(body: ReadableStream<Uint8Array> | null) {
    if (body === null) throw new Error("The response has no body");
    this.#reader = body.getReader();
  }

  /** Everything read so far. */
  text(): string {
    return this.chunks.map((chunk) => chunk.text).join("");
  }

  /**
   * Reads until the text read so far ends with `suffix`.
   *
   * @returns when the last needed chunk arrived
   * @throws {Error} when the body ends first
   */
  async readUntil(suffix: string): Promise<number> {
    while (!this.text().endsWith(suffix)) {
      if (await this.#readOne()) throw new Error(`The body ended before ${JSON.stringify(suffix)}; it was ${JSON.stringify(this.text())}`);
    }
    return this.chunks.at(-1)!.at;
  }

  /** Reads to the end; returns when the body ended. */
  async readToEnd(): Promise<number> {
    while (!(await this.#readOne()));
    return performance.now();
  }

  /** Reads one chunk; true at the end of the body. */
  async #readOne(): Promise<boolean> {
    const { done, value } = await this.#reader.read();
    if (done) return true;
    this.chunks.push({ text: this.#decoder.decode(value, { stream: true }), at: performance.now() });
    return false;
  }

  /** Cancels the rest of the body. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
