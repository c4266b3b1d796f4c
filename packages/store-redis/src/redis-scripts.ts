/**
 * The Lua scripts that make each lease and commit step of `RedisSessionStore` atomic on the server.
 * Keys per session: `<prefix>{<id>}:lease` (hash), `:head` (hash), `:commits` (list of commit JSON).
 */

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
 * KEYS lease, head, commits; ARGV token, now, expectedVersion, body, sizes, pyBackend, pyEngine.
 * Returns {v} (the new version), {-1} (lease not current) or {-2, actualVersion}.
 */
export const COMMIT = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return {-1} end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0') <= tonumber(ARGV[2]) then return {-1} end
local v = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
if v ~= tonumber(ARGV[3]) then return {-2, v} end
if v == 0 then redis.call('DEL', KEYS[3]) else redis.call('LTRIM', KEYS[3], 0, v - 1) end
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[2], 'version', v + 1, 'sizes', ARGV[5], 'pyBackend', ARGV[6], 'pyEngine', ARGV[7])
return {v + 1}`

/** KEYS lease, head, commits; ARGV token, now. Returns 1, or -1 when the lease is not current. */
export const DELETE = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return -1 end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0') <= tonumber(ARGV[2]) then return -1 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`
