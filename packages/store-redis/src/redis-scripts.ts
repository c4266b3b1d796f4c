/**
 * The Lua scripts that make each lease and commit step of `RedisSessionStore` atomic on the server.
 * Keys per session (layout 2): `<prefix>{<id>}:lease` (hash), `:rec` (hash: version, counts, Python
 * backend, engine and snapshot, sandbox, updatedAt), `:msgs` (list of message JSON), `:pyd` (list
 * of Python delta JSON since the snapshot), `:files` (hash path -> contents), `:ext` (hash name -> JSON).
 */

/** The layout the keys follow; a `:head` key is layout 1 (a commit list), refused. */
export const LAYOUT = 2

/** KEYS lease; ARGV owner, token, ttlMs, now. Returns {1} or {0, owner, expiresAt}. */
export const ACQUIRE = `
local e = tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0')
if e > tonumber(ARGV[4]) then return {0, redis.call('HGET', KEYS[1], 'owner'), tostring(e)} end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', ARGV[2], 'ttl', ARGV[3], 'expiresAt', tostring(tonumber(ARGV[4]) + tonumber(ARGV[3])))
return {1}`

/** KEYS lease; ARGV token, now, ttlMs or ''. Returns the new expiresAt, or -1 when not current. */
export const RENEW = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return -1 end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0') <= tonumber(ARGV[2]) then return -1 end
local ttl = ARGV[3] ~= '' and tonumber(ARGV[3]) or tonumber(redis.call('HGET', KEYS[1], 'ttl'))
local e = tonumber(ARGV[2]) + ttl
redis.call('HSET', KEYS[1], 'expiresAt', tostring(e))
return e`

/** KEYS lease; ARGV token. */
export const RELEASE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`

/**
 * KEYS lease, rec, msgs, pyd, files, ext.
 * ARGV 1 token, 2 now, 3 expectedVersion, 4 wsBytes, 5 updatedAt,
 * 6 python op ('' | 'snapshot' | 'delta'), 7 backend, 8 engine, 9 snapshot bytes or delta JSON,
 * 10 sandbox op ('' | 'set' | 'clear'), 11 provider, 12 sandbox id, 13 workspace op ('' | 'snapshot' | 'delta'),
 * 14 message count, 15 removed path count, 16 written file count, 17 extensions set count,
 * 18 extensions removed count, then the messages, the removed paths, path/contents pairs,
 * name/JSON pairs and the removed extension names.
 * Compare-and-set: returns {v} (the new version), {-1} (lease not current) or {-2, actualVersion}.
 */
export const COMMIT = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return {-1} end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0') <= tonumber(ARGV[2]) then return {-1} end
local v = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
if v ~= tonumber(ARGV[3]) then return {-2, v} end
if v == 0 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]) end
local i = 19
for _ = 1, tonumber(ARGV[14]) do redis.call('RPUSH', KEYS[3], ARGV[i]); i = i + 1 end
if ARGV[6] == 'snapshot' then
  redis.call('DEL', KEYS[4])
  redis.call('HSET', KEYS[2], 'pyBackend', ARGV[7], 'pyEngine', ARGV[8], 'pySnapshot', ARGV[9])
elseif ARGV[6] == 'delta' then
  redis.call('RPUSH', KEYS[4], ARGV[9])
end
if ARGV[13] == 'snapshot' then redis.call('DEL', KEYS[5]) end
for _ = 1, tonumber(ARGV[15]) do redis.call('HDEL', KEYS[5], ARGV[i]); i = i + 1 end
for _ = 1, tonumber(ARGV[16]) do redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]); i = i + 2 end
for _ = 1, tonumber(ARGV[17]) do redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]); i = i + 2 end
for _ = 1, tonumber(ARGV[18]) do redis.call('HDEL', KEYS[6], ARGV[i]); i = i + 1 end
if ARGV[10] == 'set' then
  redis.call('HSET', KEYS[2], 'sbProvider', ARGV[11], 'sbId', ARGV[12])
elseif ARGV[10] == 'clear' then
  redis.call('HDEL', KEYS[2], 'sbProvider', 'sbId')
end
redis.call('HSET', KEYS[2], 'layout', '${LAYOUT}', 'version', v + 1, 'wsBytes', ARGV[4], 'updatedAt', ARGV[5])
return {v + 1}`

/** KEYS lease, rec, msgs, pyd, files, ext; ARGV token, now. Returns 1, or -1 when the lease is not current. */
export const DELETE = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return -1 end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0') <= tonumber(ARGV[2]) then return -1 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1`
