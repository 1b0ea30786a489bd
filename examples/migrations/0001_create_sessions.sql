-- fetch-session: the sessions table "sessions" and its expiry index (SQLite, libSQL, D1, bun:sqlite, node:sqlite).
-- The same statements as KyselyStore.createSchema(); idempotent. Made by: fetch-session schema
create table if not exists "sessions" (id text primary key not null, data text not null, expires_at integer not null, expires_key integer) without rowid;
create index if not exists "sessions_expires_at_idx" on "sessions" (coalesce(expires_key, expires_at));
