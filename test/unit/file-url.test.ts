import { describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../src/util/file-url.ts";

describe("parseDatabaseUrl()", () => {
  it("URL-decodes file: paths, relative and absolute, and drops the query string", () => {
    expect(parseDatabaseUrl("file:my%20db.db")).toEqual({ kind: "file", path: "my db.db" });
    expect(parseDatabaseUrl("file:/var/lib/app/s%C3%A9ssions.db?mode=rwc")).toEqual({ kind: "file", path: "/var/lib/app/séssions.db" });
    expect(parseDatabaseUrl("file:///tmp/a%20b.db")).toEqual({ kind: "file", path: "/tmp/a b.db" });
    expect(parseDatabaseUrl("file://localhost/tmp/x.db")).toEqual({ kind: "file", path: "/tmp/x.db" });
    expect(parseDatabaseUrl("file:///C:/data/s.db")).toEqual({ kind: "file", path: "C:/data/s.db" });
    expect(parseDatabaseUrl("file:a.db#frag")).toEqual({ kind: "file", path: "a.db" });
  });

  it("takes a string without a scheme as a path, as written", () => {
    expect(parseDatabaseUrl("sessions.db")).toEqual({ kind: "file", path: "sessions.db" });
    expect(parseDatabaseUrl("./data/my%20db.db")).toEqual({ kind: "file", path: "./data/my%20db.db" });
    expect(parseDatabaseUrl("C:\\data\\s.db")).toEqual({ kind: "file", path: "C:\\data\\s.db" });
  });

  it("recognises in-memory and remote databases", () => {
    expect(parseDatabaseUrl(":memory:")).toEqual({ kind: "memory" });
    expect(parseDatabaseUrl("file::memory:?cache=shared")).toEqual({ kind: "memory" });
    for (const url of ["libsql://db.example.turso.io", "http://127.0.0.1:8080", "https://x", "ws://x", "wss://x"]) {
      expect(parseDatabaseUrl(url)).toEqual({ kind: "remote", url });
    }
  });

  it("refuses what names no local file: another host, a malformed escape, an empty URL", () => {
    expect(() => parseDatabaseUrl("file://server/share/s.db")).toThrow(/another host \("server"\)/);
    expect(() => parseDatabaseUrl("file:100%.db")).toThrow(/malformed % escape/);
    expect(() => parseDatabaseUrl("")).toThrow(TypeError);
    expect(() => parseDatabaseUrl("file:")).toThrow(/names no file/);
    expect(() => parseDatabaseUrl(42 as unknown as string)).toThrow(TypeError);
  });
});
