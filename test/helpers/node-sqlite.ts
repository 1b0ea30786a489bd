/**
 * `node:sqlite` (Node 22.5+, Deno) as the database Kysely's SqliteDialect
 * takes, for the fixtures that run KyselyStore over it in a child process.
 *
 * @module
 */
import type { SqliteDatabase } from "kysely";

/** Opens the file at `path` with `node:sqlite`'s DatabaseSync, wrapped in better-sqlite3's statement shape (`reader`, array arguments), which SqliteDialect expects. */
export async function openNodeSqlite(path: string): Promise<SqliteDatabase> {
  const { DatabaseSync } = await import("node:sqlite" as string);
  const sqlite = new DatabaseSync(path);
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const statement = sqlite.prepare(sql);
      return {
        reader: statement.columns().length > 0,
        all: (parameters: readonly unknown[]) => statement.all(...parameters),
        run: (parameters: readonly unknown[]) => statement.run(...parameters),
        iterate: (parameters: readonly unknown[]) => statement.iterate(...parameters),
      };
    },
  };
}
