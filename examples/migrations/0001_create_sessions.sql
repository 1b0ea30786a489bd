-- The fetch-session sessions table for D1: the same statements as
-- KyselyStore.createSchema() on SQLite (test/runtime/worker.test.ts checks they match).
-- Apply with: npx wrangler d1 migrations apply DB --local -c examples/wrangler.jsonc
create table if not exists "sessions" (id text primary key not null, data text not null, expires_at integer not null) without rowid;
create index if not exists "sessions_expires_at_idx" on "sessions" (expires_at);
