-- redis_publish.lua — herd's dedup-then-publish on Redis Streams, as one atomic step.
--
-- The recipe herd's store model (src/store.c, herd_store_publish) claims to match; the
-- differential test tests/real/test_redis_diff.c runs this very file. In one script
-- (Redis runs it atomically): if the client message id was seen within the TTL, return
-- the stream id it got then; otherwise XADD with an exact MAXLEN, record the largest id
-- the MAXLEN trim removed as the stream's max-deleted-entry-id (Redis 7.0 does not do it
-- on trims, and readers need it to tell trimmed history from history that never
-- existed), and store the dedup key with its TTL.
--
-- KEYS[1]  the stream (one per room)
-- KEYS[2]  the dedup key, one per client message id (omit it: a plain append, no dedup)
-- ARGV[1]  the client message id (stored in the entry's field "m")
-- ARGV[2]  dedup TTL in ms (the dedup window)
-- ARGV[3]  the entry id: "*" in production; herd's tests pass "<ms>-*" or "<ms>-<seq>"
-- ARGV[4]  MAXLEN (exact)
-- Returns {1, id} when appended, {2, id} for a duplicate (the id of the earlier entry),
-- or XADD's own error, word for word.

local function id_less(a, b) -- "ms-seq" strings, compared exactly (64-bit parts)
    local am, as = string.match(a, '^(%d+)-(%d+)$')
    local bm, bs = string.match(b, '^(%d+)-(%d+)$')
    local function lt(x, y)
        if #x ~= #y then return #x < #y end
        return x < y
    end
    if am ~= bm then return lt(am, bm) end
    return lt(as, bs)
end

local function note_deleted(key, cut) -- raise max-deleted-entry-id to cut
    local info = redis.call('XINFO', 'STREAM', key)
    local f = {}
    for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
    if id_less(f['max-deleted-entry-id'], cut) then
        redis.call('XSETID', key, f['last-generated-id'], 'ENTRIESADDED', f['entries-added'],
                   'MAXDELETEDID', cut)
    end
end

local key, msg, ttl, id, maxlen = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if KEYS[2] then
    local seen = redis.call('GET', KEYS[2])
    if seen then return {2, seen} end
end
-- XADD trims after appending: find now the newest entry it will remove.
local cut = nil
local len = redis.call('XLEN', key)
if len >= maxlen then
    local old = redis.call('XRANGE', key, '-', '+', 'COUNT', len - maxlen + 1)
    cut = old[#old][1]
end
local added = redis.pcall('XADD', key, 'MAXLEN', '=', maxlen, id, 'm', msg)
if type(added) == 'table' and added.err then return redis.error_reply(added.err) end
if cut then note_deleted(key, cut) end
if KEYS[2] then redis.call('SET', KEYS[2], added, 'PX', ttl) end
return {1, added}
