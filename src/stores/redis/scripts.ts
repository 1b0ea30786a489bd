/**
 * The Lua scripts of `RedisStore` (internal). Layout of one session, a Redis
 * hash at `<prefix><id>`:
 *
 * - field `@e`: the expiry in milliseconds since the epoch (the marker: it
 *   keeps an empty session in existence, since Redis deletes a hash with no
 *   fields, and gives `load` the exact expiry);
 * - one field per session key, named by the key as a JSON string (so it starts
 *   with `"` and never collides with the marker), holding the value as JSON.
 *
 * The data's size, serialised as the store keeps it, is therefore exactly the
 * size of `JSON.stringify(data)`: `{` `}`, each `field:value`, and the commas.
 *
 * The key's own TTL (`PEXPIREAT`) makes Redis drop it; the scripts also
 * compare the marker with the application's clock (`now`), as every store
 * does, so a session the application considers expired is never updated.
 * Only commands available in Redis 6.2 are used (HSET with several pairs
 * needs 4.0; nothing here needs 7.x).
 *
 * @module
 */

/** The marker field. */
export const MARKER = "@e";

/**
 * create: KEYS[1] = session key; ARGV = now, expiresAt (exact), expiresAt
 * (integer ms for PEXPIREAT), then field/value pairs. Returns 1, or 0 when a
 * live session holds the key. The first write is the HSET (refused whole
 * under `maxmemory` with `noeviction`); the DEL before it only drops a
 * session that has expired.
 */
export const CREATE = `
local e = redis.call('HGET', KEYS[1], '${MARKER}')
if e and tonumber(e) > tonumber(ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], '${MARKER}', ARGV[2])
for i = 4, #ARGV, 200 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
`;

/**
 * update: KEYS[1] = session key; ARGV = now, expiresAt (exact), expiresAt
 * (integer), maxBytes ('' for none), number of set pairs N, N field/value
 * pairs, then the fields to remove. Returns 1, 0 when the session is gone or
 * expired (it is never re-created), or {-1, size} when the data would grow
 * past maxBytes (nothing written). The size check and the write are one
 * script, so concurrent writers cannot both pass it.
 */
export const UPDATE = `
local key = KEYS[1]
local e = redis.call('HGET', key, '${MARKER}')
if not e or tonumber(e) <= tonumber(ARGV[1]) then return 0 end
local nset = tonumber(ARGV[5])
local first_unset = 6 + 2 * nset
if ARGV[4] ~= '' then
  local limit = tonumber(ARGV[4])
  local all = redis.call('HGETALL', key)
  local data = {}
  for i = 1, #all, 2 do
    if string.byte(all[i], 1) == 34 then data[all[i]] = all[i + 1] end
  end
  local function size()
    local n, s = 0, 2
    for k, v in pairs(data) do
      n = n + 1
      s = s + #k + 1 + #v
    end
    if n > 1 then s = s + n - 1 end
    return s
  end
  local before = size()
  for i = 6, first_unset - 1, 2 do data[ARGV[i]] = ARGV[i + 1] end
  for i = first_unset, #ARGV do data[ARGV[i]] = nil end
  local after = size()
  if after > limit and after > before then return {-1, after} end
end
redis.call('HSET', key, '${MARKER}', ARGV[2])
for i = 6, first_unset - 1, 200 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 199, first_unset - 1)))
end
for i = first_unset, #ARGV, 200 do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 199, #ARGV)))
end
redis.call('PEXPIREAT', key, ARGV[3])
return 1
`;

/**
 * deleteWhere, one SCAN batch: KEYS = the batch's keys; ARGV = now, the field
 * (as a JSON string), the value (as JSON), the key to spare ('' for none).
 * Deletes each live session whose field holds exactly that JSON (so 1, "1"
 * and true differ) and returns how many. Keys that are not hashes are skipped.
 */
export const DELETE_WHERE = `
local now = tonumber(ARGV[1])
local n = 0
for _, key in ipairs(KEYS) do
  if key ~= ARGV[4] then
    local r = redis.pcall('HMGET', key, '${MARKER}', ARGV[2])
    if type(r) == 'table' and not r.err and r[1] and tonumber(r[1]) > now and r[2] == ARGV[3] then
      n = n + redis.call('DEL', key)
    end
  end
end
return n
`;

/** A script with its SHA-1, which `EVALSHA` names it by. */
export interface Script {
  readonly source: string;
  readonly sha: Promise<string>;
}

async function sha1Hex(source: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(source));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

let compiled: { create: Script; update: Script; deleteWhere: Script } | null = null;

/** The three scripts, their SHA-1 computed once per process. */
export function scripts(): { create: Script; update: Script; deleteWhere: Script } {
  compiled ??= {
    create: { source: CREATE, sha: sha1Hex(CREATE) },
    update: { source: UPDATE, sha: sha1Hex(UPDATE) },
    deleteWhere: { source: DELETE_WHERE, sha: sha1Hex(DELETE_WHERE) },
  };
  return compiled;
}
