-- redis_trim.lua — XTRIM (exact MAXLEN or MINID) that also records what it removed.
--
-- Redis 7.0's XTRIM leaves max-deleted-entry-id alone (only XDEL raises it), so a reader
-- could not tell trimmed history from history that never existed. herd's store model
-- (herd_store_trim_maxlen, herd_store_trim_minid) keeps the largest trimmed id; this
-- script makes Redis do the same with XSETID ... MAXDELETEDID. Tested by
-- tests/real/test_redis_diff.c.
--
-- KEYS[1]  the stream
-- ARGV[1]  "MAXLEN" or "MINID"
-- ARGV[2]  the count to keep, or the lowest id to keep
-- Returns the number of entries removed, as XTRIM.

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

local key, how, arg = KEYS[1], ARGV[1], ARGV[2]
local cut = nil -- the newest entry the trim removes
if how == 'MAXLEN' then
    local k = redis.call('XLEN', key) - tonumber(arg)
    if k > 0 then
        local old = redis.call('XRANGE', key, '-', '+', 'COUNT', k)
        cut = old[#old][1]
    end
elseif arg ~= '0-0' then -- nothing is below 0-0
    local below = redis.call('XREVRANGE', key, '(' .. arg, '-', 'COUNT', 1)
    if #below > 0 then cut = below[1][1] end
end
local removed = redis.call('XTRIM', key, how, '=', arg)
if removed > 0 and cut then
    local info = redis.call('XINFO', 'STREAM', key)
    local f = {}
    for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
    if id_less(f['max-deleted-entry-id'], cut) then
        redis.call('XSETID', key, f['last-generated-id'], 'ENTRIESADDED', f['entries-added'],
                   'MAXDELETEDID', cut)
    end
end
return removed
