#!lua name=shelterd
--
-- functions.lua: the shelterd Redis function library (docs/store.md).
--
-- Every function takes the key prefix as ARGV[1] and returns one JSON text.
-- A mutation validates first and writes nothing when it refuses (but the
-- daemon call's audit entry, see audit_reply); then it writes the state
-- change and appends its events to the stream (and the audit entry) in the
-- same call, so Redis's atomic function execution is the only lock there
-- is.
-- Output JSON is spliced from stored JSON texts (cjson would turn an empty
-- array into {}); strings are quoted with cjson.encode.

local LIBRARY_VERSION = 1
local MAXLEN = '100000'

-- The vocabulary this library writes, in one place: the error codes of
-- include/shelter/error.h and the reasons of docs/protocol.md, request and
-- proposal statuses, event topics and types.
local CODE = {
	invalid_params = -32602, -- SH_INVALID_PARAMS
	internal = -32603,       -- SH_INTERNAL
	forbidden = -32003,      -- SH_FORBIDDEN
	not_found = -32004,      -- SH_NOT_FOUND
	conflict = -32009,       -- SH_CONFLICT
}

local E = {
	invalid_field = {CODE.invalid_params, 'invalid_field'},
	internal = {CODE.internal, 'internal'},
	not_own_shelter = {CODE.forbidden, 'not_own_shelter'},
	shelter = {CODE.not_found, 'shelter'},
	request = {CODE.not_found, 'request'},
	proposal = {CODE.not_found, 'proposal'},
	registration = {CODE.not_found, 'registration'},
	state = {CODE.conflict, 'state'},
	version = {CODE.conflict, 'version'},
	ref_conflict = {CODE.conflict, 'ref_conflict'},
}

-- Request statuses, in the order shd_stats counts them.
local STATUS = {
	waiting = 'waiting',
	proposed = 'proposed',
	placed = 'placed',
	arrived = 'arrived',
	departed = 'departed',
	cancelled = 'cancelled',
}
local STATUS_ORDER = {STATUS.waiting, STATUS.proposed, STATUS.placed,
    STATUS.arrived, STATUS.departed, STATUS.cancelled}

local PROPOSAL_STATUS = {
	open = 'open',
	accepted = 'accepted',
	rejected = 'rejected',
	expired = 'expired',
	cancelled = 'cancelled',
}

local TOPIC = {
	capacity = 'capacity',
	shelter = '_shelter', -- internal: refresh the shelter table
	requests = 'requests',
	proposals = 'proposals',
	placements = 'placements',
	registrations = 'registrations',
}

local EVENT = {
	capacity_changed = 'capacity.changed',
	capacity_stale = 'capacity.stale',
	shelter_intake = 'shelter.intake',
	shelter_put = 'shelter.put',
	shelter_removed = 'shelter.removed',
	clock_advanced = 'clock.advanced',
	request_waiting = 'request.waiting',
	request_placed = 'request.placed',
	request_arrived = 'request.arrived',
	request_departed = 'request.departed',
	request_cancelled = 'request.cancelled',
	request_escalated = 'request.escalated',
	proposal_created = 'proposal.created',
	proposal_accepted = 'proposal.accepted',
	proposal_rejected = 'proposal.rejected',
	proposal_expired = 'proposal.expired',
	proposal_expiring = 'proposal.expiring',
	placement_expected = 'placement.expected',
	placement_arrived = 'placement.arrived',
	placement_departed = 'placement.departed',
	placement_cancelled = 'placement.cancelled',
	registration_created = 'registration.created',
	registration_updated = 'registration.updated',
}

local P = ''   -- key prefix of the current call
local NOW = nil -- milliseconds of the current call, from TIME
local OFFSET = nil -- the test clock's offset of the current call, once read

local function key(s)
	return P .. s
end

-- The test clock (debug.advance): milliseconds added to TIME. Absent (0)
-- unless shd_clock_advance ran; the daemon adds the same offset to its
-- own clock (daemon/clock.h).
local function clock_offset()
	if OFFSET == nil then
		OFFSET = tonumber(redis.call('GET', key('clock_offset_ms'))) or 0
	end
	return OFFSET
end

local function now_ms()
	if NOW == nil then
		local t = redis.call('TIME')
		NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) +
		    clock_offset()
	end
	return NOW
end

local NOW_ISO = nil -- iso(now_ms()), once per call (see iso below)

-- The texts of 0 .. INT_MAX - 1, made at the first int() of the library's
-- state: most numbers a call formats are counts, and a lookup costs far
-- less than string.format.
local INT_MAX = 1024
local INT_TEXT = nil

local function int(n)
	if INT_TEXT == nil then
		INT_TEXT = {}
		for i = 0, INT_MAX - 1 do
			INT_TEXT[i] = string.format('%d', i)
		end
	end
	return INT_TEXT[n] or string.format('%d', n)
end

-- Milliseconds since the epoch as RFC 3339 UTC, seconds precision
-- (days-to-civil conversion; Redis Lua has no os.date).
local ISO_DAY, ISO_DATE = nil, nil -- the last day iso() formatted
local TWO = nil -- '00' .. '59', made at the first iso()

-- HH:MM:SSZ of the seconds rem since midnight.
local function iso_time(rem)
	if TWO == nil then
		TWO = {}
		for i = 0, 59 do
			TWO[i] = string.format('%02d', i)
		end
	end
	local h, m, s = math.floor(rem / 3600), math.floor(rem % 3600 / 60),
	    rem % 60
	return (TWO[h] or string.format('%02d', h)) .. ':' ..
	    (TWO[m] or string.format('%02d', m)) .. ':' ..
	    (TWO[s] or string.format('%02d', s)) .. 'Z'
end

local function iso(ms)
	local s = math.floor(ms / 1000)
	local days = math.floor(s / 86400)
	local rem = s - days * 86400
	if days == ISO_DAY then
		return ISO_DATE .. iso_time(rem)
	end
	local z = days + 719468
	local era = math.floor(z / 146097)
	local doe = z - era * 146097
	local yoe = math.floor((doe - math.floor(doe / 1460) +
	    math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
	local doy = doe - (365 * yoe + math.floor(yoe / 4) -
	    math.floor(yoe / 100))
	local mp = math.floor((5 * doy + 2) / 153)
	local d = doy - math.floor((153 * mp + 2) / 5) + 1
	local m = mp < 10 and mp + 3 or mp - 9
	local y = yoe + era * 400
	if m <= 2 then
		y = y + 1
	end
	ISO_DAY, ISO_DATE = days, string.format('%04d-%02d-%02dT', y, m, d)
	return ISO_DATE .. iso_time(rem)
end

local function q(s)
	return cjson.encode(s)
end

-- now_ms() as RFC 3339, computed once per call: every event has it.
local function now_iso()
	if NOW_ISO == nil then
		NOW_ISO = iso(now_ms())
	end
	return NOW_ISO
end

-- now_iso() as a JSON string and now_ms() as text, once per call (the
-- texts a submit writes several times).
local NOW_Q, NOW_S = nil, nil

local function now_json()
	if NOW_Q == nil then
		NOW_Q = '"' .. now_iso() .. '"' -- digits, '-', ':', 'T', 'Z'
	end
	return NOW_Q
end

local function now_text()
	if NOW_S == nil then
		NOW_S = int(now_ms())
	end
	return NOW_S
end

local function bool(b)
	return b and 'true' or 'false'
end

-- Split a space separated list into a table.
local function words(s)
	local t = {}
	for w in string.gmatch(s or '', '%S+') do
		t[#t + 1] = w
	end
	return t
end

local function json_array(t)
	return '[' .. table.concat(t, ',') .. ']'
end

local function quoted_array(t)
	local out = {}
	for i, s in ipairs(t) do
		out[i] = q(s)
	end
	return json_array(out)
end

-- Append members (a text "k":v,...) to a JSON object text. The stored
-- documents are the daemon's compact JSON ({...} with no blank at either
-- end, compact_object): those are extended without scanning them.
local function compact_object(obj)
	local n = #obj
	if n <= 2 or string.byte(obj, 1) ~= 123 or
	    string.byte(obj, n) ~= 125 then
		return false
	end
	local b = string.byte(obj, n - 1)
	-- Not a blank (%s: \t \n \v \f \r, space) or '{' before the end.
	return b ~= 123 and b ~= 32 and (b < 9 or b > 13)
end

local function extend(obj, members)
	if compact_object(obj) then
		return string.sub(obj, 1, #obj - 1) .. ',' .. members .. '}'
	end
	local body = string.match(obj, '^%s*(.-)%s*}%s*$')
	if body == nil or body == '' then
		return '{' .. members .. '}'
	end
	if body == '{' then
		return '{' .. members .. '}'
	end
	return body .. ',' .. members .. '}'
end

-- A refusal: {"error":{code, reason, field, message}} for e, an entry of
-- E; the message names the field when there is one.
local function fail(e, field, message)
	if field ~= '' then
		message = field .. ': ' .. message
	end
	return '{"error":{"code":' .. int(e[1]) .. ',"reason":' .. q(e[2]) ..
	    ',"field":' .. q(field) .. ',"message":' .. q(message) .. '}}'
end

local function hget(k, f)
	local v = redis.call('HGET', k, f)
	if v == false then
		return nil
	end
	return v
end

local function hnum(k, f)
	return tonumber(redis.call('HGET', k, f)) or 0
end

-- Append an event to the stream; returns its id. cseq: the number of
-- the change of the shelter it is about (shelter_changed), with counts
-- true when that change moved only the shelter's counts (nil: the event
-- changed no shelter; a number or its text). Both are fields of their
-- own beside data, for the daemons' tables; subscribers get data only.
-- wver: P waitlist_ver as the change left it (see waitlist_changed), a
-- field of its own too, sent only by shd_capacity: a daemon whose memo of
-- the waitlist is at that version need not ask whether it changed.
local function emit(topic, etype, shelter, data, cseq, counts, wver)
	if cseq == nil then
		return redis.call('XADD', key('events'), 'MAXLEN', '~', MAXLEN,
		    '*', 'topic', topic, 'type', etype, 'shelter', shelter or '',
		    'at', now_iso(), 'data', data)
	end
	cseq = type(cseq) == 'string' and cseq or int(cseq)
	if wver ~= nil then
		return redis.call('XADD', key('events'), 'MAXLEN', '~', MAXLEN,
		    '*', 'topic', topic, 'type', etype, 'shelter', shelter or '',
		    'at', now_iso(), 'data', data, 'cseq', cseq, 'counts',
		    counts and '1' or '0', 'wver', wver)
	end
	return redis.call('XADD', key('events'), 'MAXLEN', '~', MAXLEN, '*',
	    'topic', topic, 'type', etype, 'shelter', shelter or '',
	    'at', now_iso(), 'data', data, 'cseq', cseq, 'counts',
	    counts and '1' or '0')
end

---------------------------------------------------------------------------
-- Shelters

local function skey(id)
	return P .. 'shelter:' .. id -- key('shelter:' .. id) in one concat
end

-- The shelter's alert check is due at the next shd_alerts pass (P
-- alert_at: see alerts_shelters).
local function alert_due_now(id)
	redis.call('ZADD', key('alert_at'), 0, id)
end

-- A change of what the daemons' tables hold of the shelter whose hash is
-- sk (counts, intake, version, updated_at, departures, the document): its
-- cseq counts up, and the new number is returned. The daemon's table keeps
-- each shelter's cseq and takes an event or a reply only when it is newer
-- (docs/store.md). The hash must exist.
local function shelter_changed(sk)
	return redis.call('HINCRBY', sk, 'cseq', 1)
end

-- {total, occupied, held, expected} of one pool, or nil when it is gone.
local function pool_counts(sk, pool)
	local v = redis.call('HMGET', sk, 't:' .. pool, 'o:' .. pool,
	    'h:' .. pool, 'e:' .. pool)
	if v[1] == false then
		return nil
	end
	return {tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0,
	    tonumber(v[4]) or 0}
end

local function pool_free(c)
	return c[1] - c[2] - c[3] - c[4]
end

local function counts_json(c)
	local f = pool_free(c)
	return '"total":' .. int(c[1]) .. ',"occupied":' .. int(c[2]) ..
	    ',"held":' .. int(c[3]) .. ',"expected":' .. int(c[4]) ..
	    ',"free":' .. int(f < 0 and 0 or f)
end

-- Every field of the shelter id's hash in one HGETALL (a call per field
-- cost most of a page), or nil when there is no such shelter.
local function shelter_hash(id)
	local flat = redis.call('HGETALL', skey(id))
	local h = {}
	for i = 1, #flat, 2 do
		h[flat[i]] = flat[i + 1]
	end
	if h.doc == nil then
		return nil
	end
	return h
end

-- counts_json's text of pool name in shelter_hash's h and whether the
-- pool is overbooked.
local function pool_counts_json(h, name)
	local c = {tonumber(h['t:' .. name]) or 0,
	    tonumber(h['o:' .. name]) or 0,
	    tonumber(h['h:' .. name]) or 0,
	    tonumber(h['e:' .. name]) or 0}
	return counts_json(c), pool_free(c) < 0
end

-- The live shelter document and its cseq (text) of shelter_hash's h;
-- cj: pool name -> {pool_counts_json's two values} when the caller has
-- them.
local function shelter_json_of(h, cj)
	local pools = {}
	for i, name in ipairs(words(h.pools)) do
		local counts, over
		if cj and cj[name] then
			counts, over = cj[name][1], cj[name][2]
		else
			counts, over = pool_counts_json(h, name)
		end
		pools[i] = extend(h['pd:' .. name] or '{}', counts ..
		    ',"overbooked":' .. bool(over) ..
		    ',"departures":' .. (h['dp:' .. name] or '[]'))
	end
	local updated = tonumber(h.updated_at) or 0
	local age = math.floor((now_ms() - updated) / 1000)
	local open = h.open == '1'
	local since = tonumber(h.open_since) or updated
	return extend(h.doc, '"intake":{"open":' .. bool(open) ..
	    ',"always":' .. bool(h.always == '1') .. ',"reason":' ..
	    ((not open and h.reason and h.reason ~= '') and q(h.reason) or
	    'null') .. ',"since":' .. q(iso(since)) .. '},"pools":' ..
	    json_array(pools) .. ',"version":' ..
	    int(tonumber(h.version) or 0) .. ',"updated_at":' ..
	    q(iso(updated)) .. ',"report_age_s":' ..
	    int(age < 0 and 0 or age) .. ',"departures_unconfirmed":' ..
	    (h.du or '[]')), h.cseq or '0'
end

-- The live shelter document and its cseq (text), or nil when there is no
-- such shelter.
local function shelter_json(id)
	local h = shelter_hash(id)
	if h == nil then
		return nil
	end
	return shelter_json_of(h)
end

-- {"shelter": S, "cseq": N} of an existing shelter: what the daemon puts
-- into its table, S also for its caller.
local function shelter_reply(id)
	local s, cseq = shelter_json(id)
	return '{"shelter":' .. s .. ',"cseq":' .. cseq .. '}'
end

-- capacity.changed of shelter id at version (text) with change number
-- cseq: v holds total, occupied, held, expected of each pool of names in
-- turn (texts, false: 0), as the caller read or computed them after the
-- change. full: see emit_capacity.
local function emit_capacity_counts(id, version, names, v, cseq, full)
	-- One text of the pieces (counts_json's members, each pool's).
	local t = {'{"shelter_id":', q(id), ',"version":',
	    int(tonumber(version) or 0), ',"pools":['}
	for i, name in ipairs(names) do
		local k = i * 4 - 4
		local c1, c2 = tonumber(v[k + 1]) or 0, tonumber(v[k + 2]) or 0
		local c3, c4 = tonumber(v[k + 3]) or 0, tonumber(v[k + 4]) or 0
		local f = c1 - c2 - c3 - c4
		local j = #t
		t[j + 1] = i == 1 and '{"name":' or ',{"name":'
		t[j + 2] = q(name)
		t[j + 3] = ',"total":' .. int(c1) .. ',"occupied":' .. int(c2) ..
		    ',"held":' .. int(c3) .. ',"expected":' .. int(c4) ..
		    ',"free":' .. int(f < 0 and 0 or f) .. '}'
	end
	t[#t + 1] = ']}'
	emit(TOPIC.capacity, EVENT.capacity_changed, id, table.concat(t), cseq,
	    not full)
end

-- The same with counts_json's text of each pool of names in cj (in
-- turn) instead of v, and the waitlist's version wver (emit).
local function emit_capacity_json(id, version, names, cj, cseq, full, wver)
	-- One text of the pieces.
	local t = {'{"shelter_id":', q(id), ',"version":',
	    int(tonumber(version) or 0), ',"pools":['}
	for i, name in ipairs(names) do
		local j = #t
		t[j + 1] = i == 1 and '{"name":' or ',{"name":'
		t[j + 2] = q(name)
		t[j + 3] = ','
		t[j + 4] = cj[i]
		t[j + 5] = '}'
	end
	t[#t + 1] = ']}'
	emit(TOPIC.capacity, EVENT.capacity_changed, id, table.concat(t), cseq,
	    not full, wver)
end

-- capacity.changed of a shelter: its pools' counts in one read, as a
-- change of its own (shelter_changed). full: more than the counts
-- changed with it (pools, version, updated_at, departures), so tables
-- reload the shelter; else they may take the counts from the event.
-- Returns the change's cseq.
local function emit_capacity(id, full)
	local sk = skey(id)
	local cseq = shelter_changed(sk)
	local h = redis.call('HMGET', sk, 'pools', 'version')
	local names, f = words(h[1]), {}
	for _, name in ipairs(names) do
		f[#f + 1] = 't:' .. name
		f[#f + 1] = 'o:' .. name
		f[#f + 1] = 'h:' .. name
		f[#f + 1] = 'e:' .. name
	end
	local v = #f > 0 and redis.call('HMGET', sk, unpack(f)) or {}
	emit_capacity_counts(id, h[2], names, v, cseq, full)
	return cseq
end

-- Does any pool of the shelter hold or expect someone?
local function shelter_busy(sk, names)
	for _, name in ipairs(names) do
		if hnum(sk, 'h:' .. name) > 0 or hnum(sk, 'e:' .. name) > 0 then
			return name
		end
	end
	return nil
end

local function shelter_put(a)
	local id, doc, always, open_if_new, tab = a[2], a[3], a[4], a[5], a[6]
	local sk = skey(id)
	local names, spec = {}, {}
	for i = 7, #a - 3, 4 do
		names[#names + 1] = a[i]
		spec[a[i]] = {json = a[i + 1], total = tonumber(a[i + 2]) or 0,
		    occupied = tonumber(a[i + 3]) or 0}
	end
	local exists = redis.call('EXISTS', sk) == 1
	local old = exists and words(hget(sk, 'pools')) or {}
	local removed, added = {}, {}
	for _, name in ipairs(old) do
		if spec[name] == nil then
			removed[#removed + 1] = name
		end
	end
	local busy = shelter_busy(sk, removed)
	if busy then
		return fail(E.state, 'pools', 'pool ' .. busy ..
		    ' of shelter ' .. id .. ' holds or expects someone and ' ..
		    'cannot be removed')
	end
	local always01 = (always == '1' or always == 'true') and '1' or '0'
	local pools_s = table.concat(names, ' ')
	local changed = not exists or hget(sk, 'doc') ~= doc or
	    hget(sk, 'always') ~= always01 or hget(sk, 'pools') ~= pools_s
	for _, name in ipairs(names) do
		if hget(sk, 't:' .. name) == nil then
			added[#added + 1] = name
		end
		if hget(sk, 'pd:' .. name) ~= spec[name].json then
			changed = true
		end
	end
	if not changed then
		-- The packed form of a shelter stored before it existed (or
		-- of another form): no change of the shelter, no event.
		if tab ~= '' and hget(sk, 'tab') ~= tab then
			redis.call('HSET', sk, 'tab', tab)
		end
		return string.sub(shelter_reply(id), 1, -2) ..
		    ',"created":false,"changed":false}'
	end

	redis.call('HSET', sk, 'doc', doc, 'always', always01,
	    'pools', pools_s)
	if tab ~= '' then
		redis.call('HSET', sk, 'tab', tab)
	else
		redis.call('HDEL', sk, 'tab')
	end
	if exists then
		redis.call('HINCRBY', sk, 'version', 1)
	else
		local open = (open_if_new == '1' or open_if_new == 'true')
		-- A shelter created again numbers its changes on from where
		-- the removed one stopped: a table's entry of that one is
		-- never newer.
		local gone = hget(key('cseq_gone'), id)
		redis.call('HSET', sk, 'open', open and '1' or '0',
		    'reason', '', 'version', 1, 'updated_at', int(now_ms()),
		    'open_since', int(now_ms()), 'cseq', gone or '0')
		if gone then
			redis.call('HDEL', key('cseq_gone'), id)
		end
		redis.call('ZADD', key('shelters'), 0, id)
		alert_due_now(id)
	end
	for _, name in ipairs(removed) do
		redis.call('HDEL', sk, 'pd:' .. name, 't:' .. name,
		    'o:' .. name, 'h:' .. name, 'e:' .. name)
	end
	for _, name in ipairs(names) do
		redis.call('HSET', sk, 'pd:' .. name, spec[name].json)
	end
	for _, name in ipairs(added) do
		redis.call('HSET', sk, 't:' .. name, int(spec[name].total),
		    'o:' .. name, int(spec[name].occupied), 'h:' .. name, 0,
		    'e:' .. name, 0)
	end
	emit(TOPIC.shelter, EVENT.shelter_put, id, '{"shelter_id":' .. q(id) ..
	    '}', shelter_changed(sk))
	if #added > 0 or #removed > 0 then
		emit_capacity(id, true)
	end
	return string.sub(shelter_reply(id), 1, -2) .. ',"created":' ..
	    bool(not exists) .. ',"changed":true}'
end

local function shelter_not_found(id, field)
	return fail(E.shelter, field or 'id', 'shelter ' .. id ..
	    ' not found')
end

local function shelter_remove(a)
	local id = a[2]
	local sk = skey(id)
	if redis.call('EXISTS', sk) == 0 then
		return shelter_not_found(id)
	end
	if shelter_busy(sk, words(hget(sk, 'pools'))) then
		return fail(E.state, 'id', 'shelter ' .. id ..
		    ' holds or expects someone and cannot be removed')
	end
	local version = hnum(sk, 'version')
	redis.call('HSET', key('cseq_gone'), id, hget(sk, 'cseq') or '0')
	redis.call('DEL', sk)
	redis.call('ZREM', key('shelters'), id)
	redis.call('ZREM', key('alert_at'), id)
	emit(TOPIC.shelter, EVENT.shelter_removed, id, '{"shelter_id":' .. q(id) ..
	    '}')
	-- Its pools are gone: subscribers see capacity.changed with none
	-- (the tables have dropped it; a reload of it finds nothing).
	emit(TOPIC.capacity, EVENT.capacity_changed, id, '{"shelter_id":' ..
	    q(id) .. ',"version":' .. int(version + 1) .. ',"pools":[]}')
	return '{"id":' .. q(id) .. '}'
end

local function shelter_get(a)
	local s, cseq = shelter_json(a[2])
	if s == nil then
		return shelter_not_found(a[2])
	end
	return '{"shelter":' .. s .. ',"cseq":' .. cseq .. '}'
end

local function shelter_list(a)
	local out = {}
	for i, id in ipairs(redis.call('ZRANGE', key('shelters'), 0, -1)) do
		out[i] = shelter_json(id)
	end
	return '{"shelters":' .. json_array(out) .. '}'
end

-- A JSON object text without its closing brace, ready for members: "{"
-- or "{...,". The daemon's compact documents are cut without scanning
-- them.
local function open_object(obj)
	local len = #obj
	local c = string.byte(obj, len - 1)
	if len > 2 and string.byte(obj, len) == 125 and c ~= 123 and
	    c ~= 32 and c ~= 9 and c ~= 10 and c ~= 13 then
		return string.sub(obj, 1, len - 1) .. ','
	end
	return string.sub(extend(obj, '"_":0'), 1, -7)
end

-- A shelter as the daemon's table reads it (one text, one concatenation
-- each): the live document without what the table derives or ignores
-- (report_age_s, the intake's reason and since, a pool's free and
-- overbooked). The counts are the stored integers as they are (written
-- by int and HINCRBY). isos caches iso() by second within a page. Its
-- cseq (text) second. nil when there is no such shelter.
local function shelter_table_json(id, isos)
	local h = shelter_hash(id)
	if h == nil then
		return nil
	end
	local pools = {}
	for i, name in ipairs(words(h.pools)) do
		pools[i] = open_object(h['pd:' .. name] or '{}') .. '"total":' ..
		    (h['t:' .. name] or '0') .. ',"occupied":' ..
		    (h['o:' .. name] or '0') .. ',"held":' ..
		    (h['h:' .. name] or '0') .. ',"expected":' ..
		    (h['e:' .. name] or '0') .. ',"departures":' ..
		    (h['dp:' .. name] or '[]') .. '}'
	end
	local s = math.floor((tonumber(h.updated_at) or 0) / 1000)
	local at = isos[s]
	if at == nil then
		at = iso(s * 1000)
		isos[s] = at
	end
	return open_object(h.doc) .. (h.open == '1' and
	    '"intake":{"open":true,"always":' or
	    '"intake":{"open":false,"always":') ..
	    (h.always == '1' and 'true},"pools":[' or 'false},"pools":[') ..
	    table.concat(pools, ',') .. '],"version":' .. (h.version or '0') ..
	    ',"updated_at":"' .. at .. '","departures_unconfirmed":' ..
	    (h.du or '[]') .. '}', h.cseq or '0'
end


-- The form of a packed shelter the daemon reads (MODEL_PACK_FORM in
-- include/shelter/model.h): a stored tab of another form is not sent.
local TAB_FORM = 's1 '

-- The fields of a row before the pools' (enum model_row_field).
local ROW_FIELDS = {'tab', 'pools', 'open', 'always', 'version',
    'updated_at', 'du', 'cseq'}

-- The count fields of the pools named in the text pools, in order.
local function row_count_fields(pools)
	local f, m = {}, 0
	for name in string.gmatch(pools or '', '%S+') do
		f[m + 1] = 't:' .. name
		f[m + 2] = 'o:' .. name
		f[m + 3] = 'h:' .. name
		f[m + 4] = 'e:' .. name
		f[m + 5] = 'dp:' .. name
		m = m + 5
	end
	return f
end

-- One page of the shelter list in the table's row form, by id. upto
-- empty: at most limit shelters after id after ('': from the first); the
-- first page (after empty) also has marks, every limit-th id after next,
-- so the daemon can ask for the pages (next, marks[1]], (marks[1],
-- marks[2]], ... at once; upto an id: every shelter in (after, upto]. As
-- one array: next (nil when no
-- shelter follows), marks (an array, empty but on the first page), then
-- one array per shelter: its ROW_FIELDS, then per pool of its tab total,
-- occupied, held, expected, departures; or, for a shelter without a tab
-- of TAB_FORM (stored by an older version), {T, cseq} (its
-- shelter_table_json).
-- The daemon reads no JSON but that fallback's. One HMGET a shelter asks
-- for the counts of the pools the one before had (shelters in a row often
-- have the same pools); a shelter with other pools takes a second.
local function shelter_rows(a)
	local after, limit, upto = a[2], tonumber(a[3]) or 500, a[4]
	if limit < 1 then
		limit = 500
	end
	local sk = key('shelters')
	local from = after == '' and '-' or '(' .. after
	local ids
	if upto ~= '' then
		ids = redis.call('ZRANGE', sk, from, '[' .. upto, 'BYLEX')
	else
		-- One more than a page: is there a next one?
		ids = redis.call('ZRANGE', sk, from, '+', 'BYLEX', 'LIMIT', 0,
		    limit + 1)
	end
	local more = upto == '' and #ids > limit
	if more then
		ids[#ids] = nil
	end
	local marks = {}
	local out = {more and ids[#ids] or false, marks}
	local n, isos = 2, {}
	local fields, guess = ROW_FIELDS, nil
	local nrow = #ROW_FIELDS
	for _, id in ipairs(ids) do
		local k = skey(id)
		local v = redis.call('HMGET', k, unpack(fields))
		if v[1] and string.sub(v[1], 1, 3) == TAB_FORM then
			if v[2] ~= guess then
				for i = #v, nrow + 1, -1 do
					v[i] = nil
				end
				local f = row_count_fields(v[2])
				if #f > 0 then
					local c = redis.call('HMGET', k, unpack(f))
					for i = 1, #f do
						v[nrow + i] = c[i]
					end
				end
				guess = v[2]
				fields = {unpack(ROW_FIELDS)}
				for i = 1, #f do
					fields[nrow + i] = f[i]
				end
			end
			n = n + 1
			out[n] = v
		else
			local t, cseq = shelter_table_json(id, isos)
			if t ~= nil then
				n = n + 1
				out[n] = {t, cseq}
			end
		end
	end
	if more and after == '' then
		-- The first page starts at rank 0: its last is at limit - 1.
		local total = redis.call('ZCARD', sk)
		local k = limit - 1 + limit
		while k < total - 1 do
			marks[#marks + 1] = redis.call('ZRANGE', sk, k, k)[1]
			k = k + limit
		end
	end
	return out
end

-- The packed form of shelters the daemon read as JSON (stored before the
-- form existed): [id version tab], each written only while the shelter is
-- at that version and has no tab of TAB_FORM (a put in between wrote its
-- own). No event, no new version.
local function shelter_tabs(a)
	local n = 0
	for i = 2, #a - 2, 3 do
		local sk = skey(a[i])
		local v = redis.call('HMGET', sk, 'version', 'tab')
		if v[1] == a[i + 1] and string.sub(a[i + 2], 1, 3) == TAB_FORM and
		    not (v[2] and string.sub(v[2], 1, 3) == TAB_FORM) then
			redis.call('HSET', sk, 'tab', a[i + 2])
			n = n + 1
		end
	end
	return '{"set":' .. int(n) .. '}'
end

-- shd_capacity's reply for the shelter h (read and written) and its live
-- JSON: in fields {'shelter', ROW_FIELDS..., the pools' counts, json},
-- its row as shd_shelter_rows gives it, so the daemon puts it into its
-- table and sends the JSON on without decoding it; for a shelter without
-- a tab of TAB_FORM (stored by an older version) {"shelter": S, "cseq"}.
local function capacity_reply(h, json)
	if not (h.tab and string.sub(h.tab, 1, 3) == TAB_FORM) then
		return '{"shelter":' .. json .. ',"cseq":' .. h.cseq .. '}'
	end
	local out, n = {'shelter'}, #ROW_FIELDS
	for i = 1, n do
		out[i + 1] = h[ROW_FIELDS[i]] or ''
	end
	local f = row_count_fields(h.pools)
	for i = 1, #f do
		out[n + 1 + i] = h[f[i]] or ''
	end
	out[#out + 1] = json
	return out
end

-- shd_capacity: the shelter is read once (HGETALL), its new state
-- written in one HSET, and the event and the reply made of what was read
-- and written.
local function capacity(a)
	local id, if_version = a[2], a[3]
	local sk = skey(id)
	local flat = redis.call('HGETALL', sk)
	if #flat == 0 then
		return shelter_not_found(id)
	end
	local h = {}
	for i = 1, #flat, 2 do
		h[flat[i]] = flat[i + 1]
	end
	local sets = {}
	for i = 4, #a - 2, 3 do
		local name = a[i]
		if h['t:' .. name] == nil then
			return fail(E.invalid_field, 'pools.' .. name,
			    'shelter ' .. id .. ' has no pool ' .. name)
		end
		local t = a[i + 1] ~= '' and tonumber(a[i + 1]) or
		    tonumber(h['t:' .. name]) or 0
		local o = a[i + 2] ~= '' and tonumber(a[i + 2]) or
		    tonumber(h['o:' .. name]) or 0
		if o > t then
			return fail(E.invalid_field,
			    'pools.' .. name .. '.occupied', 'must not exceed ' ..
			    'the total of ' .. int(t))
		end
		sets[#sets + 1] = {name, t, o}
	end
	-- The params first (an unknown pool, occupied above total), then
	-- the state: PROTOCOL.md's check order.
	local version = tonumber(h.version) or 0
	if if_version ~= '' and tonumber(if_version) ~= version then
		return fail(E.version, 'if_version', 'shelter ' .. id ..
		    ' is at version ' .. int(version) .. ', not ' .. if_version)
	end
	local cseq = int((tonumber(h.cseq) or 0) + 1)
	h.cseq, h.updated_at = cseq, now_text()
	if #sets == 0 then
		-- A heartbeat: "our numbers are still right". Only the
		-- daemons' tables hear of it (their freshness), no subscriber.
		-- Fresh again: the next capacity.stale is stale_h from now, not
		-- at the last reminder (unless a departure is unconfirmed).
		redis.call('HSET', sk, 'updated_at', h.updated_at, 'cseq', cseq)
		if h.stale_next and (h.du == nil or h.du == '[]') then
			redis.call('HDEL', sk, 'stale_next')
			h.stale_next = nil
			alert_due_now(id)
		end
		emit(TOPIC.shelter, EVENT.shelter_put, id, '{"shelter_id":' ..
		    q(id) .. '}', cseq)
		return capacity_reply(h, (shelter_json_of(h))), {id}
	end
	local w = {}
	for _, set in ipairs(sets) do
		local tk, ok = 't:' .. set[1], 'o:' .. set[1]
		h[tk], h[ok] = int(set[2]), int(set[3])
		w[#w + 1] = tk
		w[#w + 1] = h[tk]
		w[#w + 1] = ok
		w[#w + 1] = h[ok]
	end
	h.version = int(version + 1)
	redis.call('HSET', sk, 'version', h.version, 'updated_at',
	    h.updated_at, 'cseq', cseq, unpack(w))
	-- A report: the reminder stops, passed departures are accounted for.
	if h.stale_next or h.du then
		redis.call('HDEL', sk, 'stale_next', 'du')
		h.stale_next, h.du = nil, nil
		alert_due_now(id) -- its next check follows the new report
	end
	-- The event and the reply show the same counts: formatted once.
	local names, cj, byname = words(h.pools), {}, {}
	for i, name in ipairs(names) do
		local counts, over = pool_counts_json(h, name)
		cj[i], byname[name] = counts, {counts, over}
	end
	emit_capacity_json(id, h.version, names, cj, cseq, true,
	    redis.call('GET', key('waitlist_ver')) or '0')
	return capacity_reply(h, (shelter_json_of(h, byname))), {id}
end

local function intake(a)
	local id, open, reason = a[2], a[3] == '1' or a[3] == 'true', a[4] or ''
	local sk = skey(id)
	if redis.call('EXISTS', sk) == 0 then
		return shelter_not_found(id)
	end
	if hget(sk, 'open') ~= (open and '1' or '0') then
		redis.call('HSET', sk, 'open_since', int(now_ms()))
	end
	redis.call('HSET', sk, 'open', open and '1' or '0', 'reason', reason)
	redis.call('HINCRBY', sk, 'version', 1)
	emit(TOPIC.capacity, EVENT.shelter_intake, id, '{"shelter_id":' .. q(id) ..
	    ',"open":' .. bool(open) .. ',"reason":' ..
	    (reason ~= '' and q(reason) or 'null') .. '}', shelter_changed(sk))
	return shelter_reply(id)
end

-- Today as days since the epoch (UTC), and a day as YYYY-MM-DD.
local function today()
	return math.floor(now_ms() / 86400000)
end

local function day_iso(d)
	return string.sub(iso(d * 86400000), 1, 10)
end

-- shelter.departures: a[3] is {POOL: [[day, count], ...]} as JSON, the
-- days validated, sorted and merged by the daemon. Replaces the planned
-- departures of the pools named; their passed, unconfirmed ones go.
local function departures(a)
	local id = a[2]
	local sk = skey(id)
	if redis.call('EXISTS', sk) == 0 then
		return shelter_not_found(id)
	end
	local spec = cjson.decode(a[3])
	local names = {}
	for name, _ in pairs(spec) do
		if pool_counts(sk, name) == nil then
			return fail(E.invalid_field, 'pools.' .. name,
			    'shelter ' .. id .. ' has no pool ' .. name)
		end
		names[#names + 1] = name
	end
	table.sort(names)
	local t = today()
	for _, name in ipairs(names) do
		local out = {}
		for _, d in ipairs(spec[name]) do
			if d[1] < t then
				return fail(E.invalid_field, 'pools.' .. name,
				    'date ' .. day_iso(d[1]) .. ' is in the past')
			end
			out[#out + 1] = '{"date":' .. q(day_iso(d[1])) ..
			    ',"count":' .. int(d[2]) .. '}'
		end
		if #out == 0 then
			redis.call('HDEL', sk, 'dp:' .. name)
		else
			redis.call('HSET', sk, 'dp:' .. name, json_array(out))
		end
	end
	local du = cjson.decode(hget(sk, 'du') or '[]')
	local keep = {}
	for _, u in ipairs(du) do
		if spec[u.pool] == nil then
			keep[#keep + 1] = '{"pool":' .. q(u.pool) .. ',"date":' ..
			    q(u.date) .. ',"count":' .. int(u.count) .. '}'
		end
	end
	if #keep == 0 then
		redis.call('HDEL', sk, 'du')
	else
		redis.call('HSET', sk, 'du', json_array(keep))
	end
	alert_due_now(id)
	emit(TOPIC.shelter, EVENT.shelter_put, id, '{"shelter_id":' .. q(id) ..
	    '}', shelter_changed(sk))
	return shelter_reply(id)
end

-- Planned departures whose date has passed without being confirmed
-- leave the plan and are listed as unconfirmed. True when any did: a
-- change (shelter_changed) with no event of its own, so the tables
-- reload the shelter at its next event, as they did before. Then the
-- earliest date still planned ("YYYY-MM-DD"), or nil.
local function departures_pass(id)
	local sk = skey(id)
	local t = day_iso(today())
	local passed, first = {}, nil
	for _, name in ipairs(words(hget(sk, 'pools'))) do
		local dp = hget(sk, 'dp:' .. name)
		if dp then
			local keep, before = {}, #passed
			for _, d in ipairs(cjson.decode(dp)) do
				local iso_d = d.date
				if iso_d < t then
					passed[#passed + 1] = '{"pool":' .. q(name) ..
					    ',"date":' .. q(iso_d) .. ',"count":' ..
					    int(d.count) .. '}'
				else
					keep[#keep + 1] = '{"date":' .. q(iso_d) ..
					    ',"count":' .. int(d.count) .. '}'
					if first == nil or iso_d < first then
						first = iso_d
					end
				end
			end
			-- Rewritten only when a date passed: a pass writes
			-- nothing (no AOF entry) for a plan still ahead.
			if #passed > before then
				if #keep == 0 then
					redis.call('HDEL', sk, 'dp:' .. name)
				else
					redis.call('HSET', sk, 'dp:' .. name,
					    json_array(keep))
				end
			end
		end
	end
	if #passed == 0 then
		return false, first
	end
	local du = hget(sk, 'du')
	if du and du ~= '[]' then
		du = string.sub(du, 1, -2) .. ',' .. table.concat(passed, ',') ..
		    ']'
	else
		du = json_array(passed)
	end
	redis.call('HSET', sk, 'du', du)
	shelter_changed(sk)
	return true, first
end

---------------------------------------------------------------------------
-- Cases: P case:CASE counts, per shelter, the requests of that case it
-- holds (proposed), expects (placed) or houses (arrived, not departed);
-- P case_apart:CASE counts the same for the members that say apart. A
-- request is kept out of a shelter whose case_apart count is above 0, and,
-- when it says apart itself, out of every shelter of case:CASE.

-- P waitlist_ver counts the changes of what a waitlist read returns: an
-- entry added or removed, a rejected list or a case's shelters changed.
-- shd_waiting answers "unchanged" to a reader that has seen this version.
local function waitlist_changed()
	redis.call('INCRBY', key('waitlist_ver'), 1)
end

local function case_count(ck, shelter, n)
	waitlist_changed()
	if redis.call('HINCRBY', ck, shelter, n) <= 0 then
		redis.call('HDEL', ck, shelter)
	end
end

-- Count request rid's case in (n = 1) or out of (n = -1) shelter.
local function case_add(rid, shelter, n)
	local h = redis.call('HMGET', key('req:' .. rid), 'case', 'co')
	local case = h[1]
	if case == false or case == nil or case == '' then
		return
	end
	case_count(key('case:' .. case), shelter, n)
	if h[2] == 'apart' then
		case_count(key('case_apart:' .. case), shelter, n)
	end
end

-- The shelters of hash ck with a count above 0, sorted.
local function case_members(ck)
	local out = {}
	local h = redis.call('HGETALL', ck)
	for i = 1, #h, 2 do
		if tonumber(h[i + 1]) > 0 then
			out[#out + 1] = h[i]
		end
	end
	table.sort(out)
	return out
end

local function case_shelters(case)
	if case == nil or case == '' then
		return {}
	end
	return case_members(key('case:' .. case))
end

local function case_apart(case)
	if case == nil or case == '' then
		return {}
	end
	return case_members(key('case_apart:' .. case))
end

-- May a request of case (co its co_victims) go to shelter sid?
local function case_allows(case, co, sid)
	if case == nil or case == '' then
		return true
	end
	if hnum(key('case_apart:' .. case), sid) > 0 then
		return false
	end
	return co ~= 'apart' or hnum(key('case:' .. case), sid) == 0
end

local function shd_case_shelters(a)
	return '{"shelters":' .. quoted_array(case_shelters(a[2])) ..
	    ',"apart":' .. quoted_array(case_apart(a[2])) .. '}'
end

---------------------------------------------------------------------------
-- Requests and proposals

local function rkey(id)
	return P .. 'req:' .. id
end

local function pkey(id)
	return P .. 'proposal:' .. id
end

-- bare: without distance_km, for events (the distance to the
-- exploitation location is about the person; events reach every
-- subscriber of the topic).
local function proposal_json(id, bare)
	local h = redis.call('HMGET', pkey(id), 'request_id', 'shelter_id',
	    'pool', 'score', 'scores', 'status', 'expires_at', 'alternatives',
	    'stale', 'dist')
	if h[1] == false then
		return nil
	end
	return '{"id":' .. q(id) .. ',"request_id":' .. q(h[1]) ..
	    ',"shelter_id":' .. q(h[2]) .. ',"pool":' .. q(h[3]) ..
	    ',"score":' .. h[4] .. ',"scores":' .. h[5] .. ',"status":' ..
	    q(h[6]) .. ',"expires_at":' .. q(iso(tonumber(h[7]))) ..
	    ',"alternatives":' .. h[8] .. ',"stale":' .. bool(h[9] == '1') ..
	    (bare and '' or (',"distance_km":' ..
	    ((h[10] and h[10] ~= '') and h[10] or
	    '{"exploitation":null,"preferred":null}'))) .. '}'
end

-- The request document (nil: no such request) and the JSON of its open
-- proposal ('null': none): pj when the caller has it, else read.
local function request_doc_json(id, pj)
	local h = redis.call('HMGET', rkey(id), 'doc', 'status', 'created_at',
	    'updated_at', 'proposal', 'pl_shelter', 'pl_pool', 'pl_proposal',
	    'rejected', 'escalated')
	if h[1] == false then
		return nil
	end
	local prop = pj or 'null'
	if pj == nil and h[5] and h[5] ~= '' then
		prop = proposal_json(h[5]) or 'null'
	end
	local placement = 'null'
	if h[6] and h[6] ~= '' then
		placement = '{"shelter_id":' .. q(h[6]) .. ',"pool":' ..
		    q(h[7]) .. ',"proposal_id":' .. q(h[8]) .. '}'
	end
	return extend(h[1], '"id":' .. q(id) .. ',"status":' .. q(h[2]) ..
	    ',"created_at":' .. q(iso(tonumber(h[3]))) .. ',"updated_at":' ..
	    q(iso(tonumber(h[4]))) .. ',"proposal":' .. prop ..
	    ',"placement":' .. placement .. ',"rejected":' ..
	    quoted_array(words(h[9])) .. ',"escalated":' .. bool(h[10] == '1')),
	    prop
end

local function request_json(id)
	return (request_doc_json(id))
end

local function open_proposal_json(rid)
	local pid = hget(rkey(rid), 'proposal')
	if pid == nil or pid == '' then
		return 'null'
	end
	return proposal_json(pid) or 'null'
end

-- A request's history (docs/store.md "hist"): one JSON object a line,
-- {at, what, proposal_id, shelter_id} (ids or null), oldest first, the
-- last HISTORY_MAX kept. Ids and times only: no reason is ever stored.
local HISTORY_MAX = 50

local function hist_entry(what, pid, sid)
	return '{"at":' .. now_json() .. ',"what":' .. q(what) ..
	    ',"proposal_id":' .. ((pid and pid ~= '') and q(pid) or 'null') ..
	    ',"shelter_id":' .. ((sid and sid ~= '') and q(sid) or 'null') ..
	    '}'
end

-- Append entry to the history text h, dropping the oldest past the bound.
local function hist_append(h, entry)
	if h == nil or h == '' then
		return entry
	end
	h = h .. '\n' .. entry
	local _, n = string.gsub(h, '\n', '')
	if n >= HISTORY_MAX then
		h = string.sub(h, string.find(h, '\n', 1, true) + 1)
	end
	return h
end

local function hist_add(rid, what, pid, sid)
	local rk = rkey(rid)
	redis.call('HSET', rk, 'hist', hist_append(hget(rk, 'hist'),
	    hist_entry(what, pid, sid)))
end

-- The history as a JSON array.
local function hist_json(h)
	if h == nil or h == '' then
		return '[]'
	end
	return '[' .. string.gsub(h, '\n', ',') .. ']'
end

-- A request starts waiting: P esc_at holds it from created plus the
-- shortest limit the last alerts pass had (P esc_min_ms; 0 before any),
-- when it may first escalate (see alerts_escalate).
local function escalation_watch(rid, created)
	local min = tonumber(redis.call('GET', key('esc_min_ms'))) or 0
	redis.call('ZADD', key('esc_at'), int((tonumber(created) or 0) + min),
	    rid)
end

-- Move a request to a status, keeping the status sets in step; old and
-- seq are read unless the caller has them. The history gets an entry
-- what (default: the status) naming proposal pid and shelter sid.
local function set_status(rid, status, old, seq, what, pid, sid)
	local rk = rkey(rid)
	if seq == nil then
		old, seq = hget(rk, 'status'), hget(rk, 'seq')
	end
	if old then
		redis.call('ZREM', key('status:' .. old), rid)
	end
	redis.call('ZADD', key('status:' .. status), seq, rid)
	if status == STATUS.waiting then
		escalation_watch(rid, hget(rk, 'created_at'))
	end
	redis.call('HSET', rk, 'status', status, 'updated_at', int(now_ms()),
	    'hist', hist_append(hget(rk, 'hist'),
	    hist_entry(what or status, pid, sid)))
end

-- Back on the waitlist in its original place: urgency first, then age.
local function enqueue(rid)
	local rk = rkey(rid)
	local score = hnum(rk, 'urgency') * 1e13 + hnum(rk, 'seq')
	redis.call('ZADD', key('waitlist'), string.format('%.0f', score), rid)
	waitlist_changed()
end

-- type: the EVENT.request_* of the status the request was just set to.
local function emit_request(rid, type, shelter)
	local h = redis.call('HMGET', rkey(rid), 'ref', 'status')
	emit(TOPIC.requests, type, shelter, '{"request_id":' ..
	    q(rid) .. ',"ref":' .. q(h[1]) .. ',"status":' .. q(h[2]) .. '}')
end

local function emit_proposal(pid, type)
	local h = redis.call('HMGET', pkey(pid), 'request_id', 'shelter_id')
	emit(TOPIC.proposals, type, h[2], '{"proposal":' ..
	    proposal_json(pid, true) .. ',"request_id":' .. q(h[1]) .. '}')
end

local function emit_placement(rid, type)
	local h = redis.call('HMGET', rkey(rid), 'pl_shelter', 'pl_pool', 'hh')
	local hh = (h[3] and h[3] ~= '') and h[3] or 'null'
	emit(TOPIC.placements, type, h[1], '{"request_id":' ..
	    q(rid) .. ',"shelter_id":' .. q(h[1]) .. ',"pool":' .. q(h[2]) ..
	    ',"household":' .. hh .. '}')
end

local function in_list(list, s)
	for _, v in ipairs(list) do
		if v == s then
			return true
		end
	end
	return false
end

-- The candidates argument of shd_submit and shd_propose (docs/store.md):
-- the daemon's text, one line per candidate in rank order,
--   SHELTER_ID POOL[,POOL...] SCORE STALE SCORES DIST
-- (one space between fields; SCORE a JSON number, STALE 1 or 0, SCORES a
-- JSON object, DIST compact JSON or '-'), read with string.find up to the candidate that is taken
-- and the alternatives after it, never decoded. A JSON array of
-- {shelter_id, pools, score, scores, stale} (tools, tests) is turned into
-- that text first.
local function cands_text(arg)
	if string.byte(arg, 1) ~= 91 then -- not '['
		return arg
	end
	local lines = {}
	for i, c in ipairs(cjson.decode(arg)) do
		lines[i] = table.concat({
		    type(c.shelter_id) == 'string' and c.shelter_id or '',
		    type(c.pools) == 'table' and table.concat(c.pools, ',') or '',
		    cjson.encode(c.score or 0), c.stale == true and '1' or '0',
		    type(c.scores) == 'table' and next(c.scores) ~= nil and
		    cjson.encode(c.scores) or '{}',
		    type(c.distance_km) == 'table' and
		    cjson.encode(c.distance_km) or '-'}, ' ')
	end
	return table.concat(lines, '\n')
end

-- The candidate line of s at p: shelter id, pools (comma separated), the
-- position of its score and the end of the line (exclusive).
local function cand_at(s, p)
	local a = string.find(s, ' ', p, true)
	local b = string.find(s, ' ', a + 1, true)
	local e = string.find(s, '\n', b + 1, true) or #s + 1
	return string.sub(s, p, a - 1), string.sub(s, a + 1, b - 1), b + 1, e
end

-- The alternatives: the nalt candidates of s from p, each as
-- {shelter_id, pool (the first of its pools), score}, a JSON array.
local function alternatives(s, p, nalt)
	local t, k, n = {'['}, 0, #s
	while k < nalt and p <= n do
		-- Shelter, the first of the pools, score: one match a line.
		local sid, pool, score = string.match(s,
		    '^([^ ]*) ([^ ,]*)[^ ]* ([^ ]*)', p)
		local e = string.find(s, '\n', p, true) or n + 1
		if sid == nil then
			local pools, sp
			sid, pools, sp, e = cand_at(s, p)
			local c = string.find(pools, ',', 1, true)
			pool = c and string.sub(pools, 1, c - 1) or pools
			score = string.sub(s, sp, string.find(s, ' ', sp, true) - 1)
		end
		local j = #t
		t[j + 1] = k == 0 and '{"shelter_id":' or ',{"shelter_id":'
		t[j + 2] = q(sid)
		t[j + 3] = ',"pool":'
		t[j + 4] = pool ~= '' and q(pool) or 'null'
		t[j + 5] = ',"score":'
		t[j + 6] = score
		t[j + 7] = '}'
		k = k + 1
		p = e + 1
	end
	t[#t + 1] = ']'
	return table.concat(t)
end

-- The first of pools (comma separated) of shelter sid with a free place,
-- or nil, also when request r ({case, co, rejected}) may not go there
-- (gone, closed, rejected, kept apart from its case). The first pool's
-- counts come with the open flag in one read, and with what a hold there
-- needs for its capacity.changed (hold): the second value is {pools,
-- version, cseq, c = {[pool] = {t, o, h, e}}} of the pools read (pools,
-- version and cseq as HMGET gives them, the counts as numbers).
local function free_pool(r, sid, pools)
	local sk = skey(sid)
	local p, st = 1, nil
	while true do
		local c = string.find(pools, ',', p, true)
		local name = string.sub(pools, p, (c or 0) - 1)
		local v
		if p == 1 then
			v = redis.call('HMGET', sk, 't:' .. name, 'o:' .. name,
			    'h:' .. name, 'e:' .. name, 'open', 'pools', 'version',
			    'cseq')
			if v[5] ~= '1' or in_list(r.rejected, sid) or
			    not case_allows(r.case, r.co, sid) then
				return nil
			end
			st = {pools = v[6], version = v[7], cseq = v[8], c = {}}
		else
			v = redis.call('HMGET', sk, 't:' .. name, 'o:' .. name,
			    'h:' .. name, 'e:' .. name)
		end
		if v[1] then
			local c = {tonumber(v[1]) or 0, tonumber(v[2]) or 0,
			    tonumber(v[3]) or 0, tonumber(v[4]) or 0}
			st.c[name] = c
			if pool_free(c) >= 1 then
				return name, st
			end
		end
		if c == nil then
			return nil
		end
		p = c + 1
	end
end

-- The place to hold for request r among the candidates text s: the first
-- candidate with a free pool, as {sid, pool, st, score, scores, stale,
-- alts} (st: free_pool's; the rest texts as stored), or nil.
local function place_of(r, nalt, s)
	local p, n = 1, #s
	while p <= n do
		local sid, pools, sp, e = cand_at(s, p)
		local pool, st = free_pool(r, sid, pools)
		if pool then
			local sc = string.find(s, ' ', sp, true)
			-- Scores, then the distances ('-': none).
			local ds = string.find(s, ' ', sc + 3, true)
			if ds and ds > e then
				ds = nil
			end
			local dist = ds and string.sub(s, ds + 1, e - 1) or ''
			return {sid = sid, pool = pool, st = st,
			    score = string.sub(s, sp, sc - 1),
			    stale = string.byte(s, sc + 1) == 49,
			    scores = string.sub(s, sc + 3, (ds or e) - 1),
			    dist = dist ~= '-' and dist or '',
			    alts = alternatives(s, e + 1, nalt)}
		end
		p = e + 1
	end
	return nil
end

-- The place of a shd_submit_batch choice {shelter_id, pool, score,
-- scores, stale, alternatives}, as place_of gives it.
local function choice_place(c, nalt)
	local alt = {}
	for j, ac in ipairs(c.alternatives or {}) do
		if j > nalt then
			break
		end
		local ap = type(ac.pools) == 'table' and ac.pools[1]
		alt[j] = '{"shelter_id":' .. q(ac.shelter_id) .. ',"pool":' ..
		    (ap and q(ap) or 'null') .. ',"score":' ..
		    cjson.encode(ac.score or 0) .. '}'
	end
	return {sid = c.shelter_id, pool = c.pool,
	    score = cjson.encode(c.score or 0),
	    scores = type(c.scores) == 'table' and next(c.scores) ~= nil and
	    cjson.encode(c.scores) or '{}',
	    stale = c.stale == true, alts = json_array(alt),
	    dist = type(c.distance_km) == 'table' and
	    cjson.encode(c.distance_km) or ''}
end

local function new_proposal_id()
	return 'prop-' .. int(redis.call('HINCRBY', key('seq'), 'proposal', 1))
end

-- The hold of a place free_pool found (its st): held + 1 and the
-- shelter's change number in one write, then capacity.changed from the
-- counts read with it (the pools it did not read in one more read), so
-- the shelter is not read again. Returns the counts of every pool (in
-- the order of names, numbers or texts), names and the change's cseq
-- (text).
local function hold_count(sid, pool, st)
	local sk = skey(sid)
	local names, f = words(st.pools), {}
	for _, name in ipairs(names) do
		if st.c[name] == nil then
			f[#f + 1] = 't:' .. name
			f[#f + 1] = 'o:' .. name
			f[#f + 1] = 'h:' .. name
			f[#f + 1] = 'e:' .. name
		end
	end
	local m = #f > 0 and redis.call('HMGET', sk, unpack(f)) or {}
	local held = st.c[pool][3] + 1
	local cseq = int((tonumber(st.cseq) or 0) + 1)
	redis.call('HSET', sk, 'h:' .. pool, int(held), 'cseq', cseq)
	st.c[pool][3] = held
	local v, j = {}, 0
	for _, name in ipairs(names) do
		local c = st.c[name]
		for k = 1, 4 do
			if c then
				v[#v + 1] = c[k]
			else
				j = j + 1
				v[#v + 1] = m[j]
			end
		end
	end
	return v, names, cseq
end

-- Hold place (place_of) for request r ({rid, case, co}) as proposal pid:
-- the count, the proposal, the hold, the case counts and their events.
-- The caller has checked the place is free and moves the request to
-- proposed. Returns the proposal's JSON (proposal_json's text) and the
-- cseq of the hold's change of the shelter.
local function hold(r, pid, ttl_s, place)
	local sid, pool, st = place.sid, place.pool, place.st
	local expires = now_ms() + ttl_s * 1000
	local expires_s = int(expires)
	local v, names, cseq
	if st then
		v, names, cseq = hold_count(sid, pool, st)
	else
		redis.call('HINCRBY', skey(sid), 'h:' .. pool, 1)
	end
	redis.call('HSET', pkey(pid), 'request_id', r.rid, 'shelter_id', sid,
	    'pool', pool, 'score', place.score, 'scores', place.scores,
	    'status', PROPOSAL_STATUS.open, 'expires_at', expires_s,
	    'alternatives', place.alts, 'stale', place.stale and '1' or '0',
	    'dist', place.dist or '', 'created_at', now_text())
	redis.call('ZADD', key('holds'), expires_s, pid)
	if r.case ~= '' then
		case_count(key('case:' .. r.case), sid, 1)
		if r.co == 'apart' then
			case_count(key('case_apart:' .. r.case), sid, 1)
		end
	end
	-- The event's data and the proposal's JSON share all but their ends:
	-- the event has no distance_km (see proposal_json).
	-- pid is this call's prop-N: nothing to escape.
	local qrid = q(r.rid)
	local t = {'{"proposal":', '{"id":"', pid, '","request_id":', qrid,
	    ',"shelter_id":', q(sid), ',"pool":', q(pool), ',"score":',
	    place.score, ',"scores":', place.scores, ',"status":"',
	    PROPOSAL_STATUS.open, '","expires_at":', q(iso(expires)),
	    ',"alternatives":', place.alts, ',"stale":', bool(place.stale),
	    '},"request_id":', qrid, '}'}
	emit(TOPIC.proposals, EVENT.proposal_created, sid, table.concat(t))
	if st then
		emit_capacity_counts(sid, st.version, names, v, cseq)
	else
		cseq = emit_capacity(sid)
	end
	local n = #t
	t[n - 2] = ',"distance_km":'
	t[n - 1] = (place.dist or '') ~= '' and place.dist or
	    '{"exploitation":null,"preferred":null}'
	return table.concat(t, '', 2), cseq
end

-- ',"cseq":N' of a hold's change (hold's second value), '' for none:
-- the daemon that took the hold puts it into its table (table_add_held).
local function cseq_member(cseq)
	return cseq and ',"cseq":' .. int(cseq) or ''
end

-- A stored request r ({rid, seq, status}) that gets proposal pid: off the
-- waitlist, status proposed.
local function to_proposed(r, pid, sid)
	redis.call('ZREM', key('waitlist'), r.rid)
	waitlist_changed()
	redis.call('HSET', rkey(r.rid), 'proposal', pid)
	set_status(r.rid, STATUS.proposed, r.status, r.seq, nil, pid, sid)
end

local URGENCY = {immediate = 0, days = 1, planned = 2}

-- A ref that is stored with a different request: refused, naming both.
local function ref_conflict(ref, rid, field)
	return fail(E.ref_conflict, field, 'ref ' .. ref ..
	    ' is held by request ' .. rid .. ', which differs ' ..
	    'from this one; give this person a new ref, or ' ..
	    'look at ' .. rid .. ' first')
end

-- The answer for a ref that is already stored.
local function duplicate_json(rid)
	return '{"duplicate":true,"request":' .. request_json(rid) ..
	    ',"proposal":' .. open_proposal_json(rid) .. '}'
end

-- Are two decoded JSON values the same (objects in any member order)?
local function json_same(x, y)
	if type(x) ~= type(y) then
		return false
	end
	if type(x) ~= 'table' then
		return x == y
	end
	for k, v in pairs(x) do
		if not json_same(v, y[k]) then
			return false
		end
	end
	for k in pairs(y) do
		if x[k] == nil then
			return false
		end
	end
	return true
end

-- A decoded request document without the members that say nothing: an
-- empty exploitation, a safety of the defaults only (documents stored
-- before they were left out have them).
local function doc_plain(d)
	local s = type(d) == 'table' and d.safety
	if type(s) == 'table' and s.min_distance_km == 0 and
	    s.min_security == 'standard' and s.co_victims == 'any' and
	    s.case == nil then
		d.safety = nil
	end
	if type(d) == 'table' and type(d.exploitation) == 'table' and
	    next(d.exploitation) == nil then
		d.exploitation = nil
	end
	return d
end

-- Is the stored request document the same request as doc? doc is
-- the request after defaults, serialised the same way every time, so
-- equal texts are the same request ('text'). A document stored before
-- reals were written with 15 digits (52.090000000000003, now 52.09), or
-- before default members were left out (doc_plain), differs in text
-- only: decoded, the values are the same ('values'). Else false.
local function same_doc(stored, doc)
	if stored == doc then
		return 'text'
	end
	local ok1, a = pcall(cjson.decode, stored or '')
	local ok2, b = pcall(cjson.decode, doc)
	return ok1 and ok2 and json_same(doc_plain(a), doc_plain(b)) and
	    'values' or false
end

-- The reply of shd_submit when it made a proposal or found a duplicate,
-- in fields (the register wrapper adds audited second): {kind,
-- request_id, proposal_id, shelter_id, pool, cseq, result}; cseq is the
-- hold's change of the shelter ('' for a duplicate). result is
-- request.submit's result as the daemon sends it to the client:
-- {request, proposal, explanation: null, duplicate}. A new field goes
-- before result, which stays last (docs/store.md).
-- t holds '{"request":' and the request's JSON in pieces (so it is
-- copied once, into result).
local function submit_fields(kind, rid, pid, sid, pool, t, pj, cseq)
	local n = #t
	t[n + 1] = ',"proposal":'
	t[n + 2] = pj
	t[n + 3] = kind == 'duplicate' and
	    ',"explanation":null,"duplicate":true}' or
	    ',"explanation":null,"duplicate":false}'
	return {kind, rid, pid or '', sid or '', pool or '',
	    type(cseq) == 'string' and cseq or cseq and int(cseq) or '',
	    table.concat(t)}
end

-- shd_submit's answer for a ref already stored as rid: in fields when the
-- stored document is the same text (written as the daemon writes it
-- now), else the JSON duplicate_json gives. With the ids for the audit
-- entry.
local function submit_duplicate(rid, same)
	local pid = hget(rkey(rid), 'proposal')
	local pj = pid and pid ~= '' and proposal_json(pid) or nil
	if same ~= 'text' then
		return duplicate_json(rid), {rid, pj and pid or false}, false
	end
	return submit_fields('duplicate', rid, pj and pid, nil, nil,
	    {'{"request":', request_json(rid)}, pj or 'null'),
	    {rid, pj and pid or false}, false
end

-- A refusal when doc names a registration that does not exist, else nil.
-- doc is the daemon's compact JSON of a request: the key can only be the
-- top-level member (no other object has it, and a quote inside a string
-- is escaped), so a match finds it without decoding.
local function missing_registration(doc, field)
	-- A plain find first: most requests name none.
	if not string.find(doc, '"registration":"reg-', 1, true) then
		return nil
	end
	local reg = string.match(doc, '"registration":"(reg%-%d+)"')
	if reg and redis.call('EXISTS', key('reg:' .. reg)) == 0 then
		return fail(E.registration, field, 'no registration ' .. reg)
	end
	return nil
end

-- Store a new request for r ({case, co}) from ref doc urgency household,
-- with status proposed when it gets proposal pid (at shelter sid), else
-- waiting (then on the waitlist, request.waiting emitted). Sets r.rid,
-- r.seq, r.status.
local function create_request(r, ref, doc, urgency, hh, pid, sid)
	local us = int(URGENCY[urgency] or tonumber(urgency) or 1)
	local seq = int(redis.call('HINCRBY', key('seq'), 'request', 1))
	local rid = 'req-' .. seq
	local status = pid and STATUS.proposed or STATUS.waiting
	local now = now_text()
	local hist = '{"at":' .. now_json() .. ',"what":"submitted",' ..
	    '"proposal_id":null,"shelter_id":null}\n' ..
	    hist_entry(status, pid, sid)
	redis.call('HSET', rkey(rid), 'doc', doc, 'ref', ref, 'hist', hist,
	    'created_at', now, 'updated_at', now, 'seq', seq,
	    'urgency', us, 'case', r.case, 'co', r.co,
	    'hh', hh, 'proposal', pid or '', 'pl_shelter', '', 'pl_pool', '',
	    'pl_proposal', '', 'rejected', '', 'status', status)
	redis.call('SET', key('ref:' .. ref), rid)
	redis.call('ZADD', key('requests'), seq, rid)
	if r.case ~= '' then
		redis.call('ZADD', key('case_requests:' .. r.case), seq, rid)
	end
	redis.call('ZADD', key('status:' .. status), seq, rid)
	r.rid, r.seq, r.status = rid, seq, status
	if pid == nil then
		escalation_watch(rid, now)
		redis.call('ZADD', key('waitlist'), string.format('%.0f',
		    tonumber(us) * 1e13 + tonumber(seq)), rid)
		waitlist_changed()
		emit(TOPIC.requests, EVENT.request_waiting, '', '{"request_id":' ..
		    q(rid) .. ',"ref":' .. q(ref) .. ',"status":' ..
		    q(status) .. '}')
	end
end

-- The document of a request create_request just stored (request_json's
-- text, without reading it back), with its proposal pj ('null': none).
local function new_request_json(r, doc, pj)
	local now = now_json()
	return extend(doc, table.concat({'"id":', q(r.rid), ',"status":',
	    q(r.status), ',"created_at":', now, ',"updated_at":', now,
	    ',"proposal":', pj, ',"placement":null,"rejected":[]',
	    ',"escalated":false'}))
end

-- new_request_json's text as pieces appended to t: a compact doc is
-- copied once, into the text t is joined into.
local function new_request_parts(t, r, doc, pj)
	if not compact_object(doc) then
		t[#t + 1] = new_request_json(r, doc, pj)
		return t
	end
	local now = now_json()
	local n = #t
	t[n + 1] = string.sub(doc, 1, #doc - 1)
	t[n + 2] = ',"id":'
	t[n + 3] = q(r.rid)
	t[n + 4] = ',"status":'
	t[n + 5] = q(r.status)
	t[n + 6] = ',"created_at":'
	t[n + 7] = now
	t[n + 8] = ',"updated_at":'
	t[n + 9] = now
	t[n + 10] = ',"proposal":'
	t[n + 11] = pj
	t[n + 12] = ',"placement":null,"rejected":[],"escalated":false}'
	return t
end

local function submit(a)
	local ref, doc, urgency, case, co, hh = a[2], a[3], a[4], a[5], a[6],
	    a[7]
	local ttl_s, nalt = tonumber(a[8]) or 1800, tonumber(a[9]) or 0
	-- (One MGET with the test clock's offset would save a command, but
	-- the shipped ACL, systemd/redis-shelterd.acl, allows no MGET.)
	local rid = redis.call('GET', key('ref:' .. ref))
	if rid then
		local same = same_doc(hget(rkey(rid), 'doc'), doc)
		if not same then
			return ref_conflict(ref, rid, 'ref')
		end
		return submit_duplicate(rid, same)
	end
	local bad = missing_registration(doc, 'registration')
	if bad then
		return bad
	end

	-- The new request is in no case count yet and has rejected nobody:
	-- find its place first, then store it with its final status.
	local r = {case = case, co = co ~= '' and co or 'any', rejected = {}}
	local place = place_of(r, nalt, cands_text(a[10]))
	local pid = place and new_proposal_id()
	create_request(r, ref, doc, urgency, hh, pid, place and place.sid)
	if not pid then
		return '{"duplicate":false,"request":' ..
		    new_request_json(r, doc, 'null') .. ',"proposal":null}',
		    {r.rid}, true
	end
	local pj, cseq = hold(r, pid, ttl_s, place)
	return submit_fields('proposal', r.rid, pid, place.sid, place.pool,
	    new_request_parts({'{"request":'}, r, doc, pj), pj, cseq),
	    {r.rid, pid}, false
end

-- shd_submit_batch ttl nalt partial [ref doc urgency case co_victims
-- household choice]...: store a batch whose places the daemon assigned
-- jointly. choice is '' (no place) or {shelter_id, pool, score, scores,
-- alternatives: [candidates]}. A ref already stored is a duplicate, as in
-- shd_submit. Unless partial is '1', every choice must still have its
-- place (open shelter, a free place for each choice in its pool, no
-- request of an apart case there) and no chosen request may be a
-- duplicate, else nothing is written and the answer is {"retry": true,
-- "shelters": [the chosen shelters now], "duplicates": [1-based input
-- positions]} for the daemon to assign again. With partial '1' the
-- choices that still fit are held in input order and the others wait.
-- Otherwise {"results": [{duplicate, request, proposal}]} in input order.
local function submit_batch(a)
	local ttl_s, nalt, partial = tonumber(a[2]) or 1800,
	    tonumber(a[3]) or 0, a[4] == '1'
	local items, dups, need, bad, sids = {}, {}, {}, false, {}
	for i = 5, #a - 6, 7 do
		local it = {ref = a[i], doc = a[i + 1], urgency = a[i + 2],
		    case = a[i + 3], co = a[i + 4], hh = a[i + 5]}
		it.rid = redis.call('GET', key('ref:' .. it.ref))
		if it.rid and not same_doc(hget(rkey(it.rid), 'doc'), it.doc) then
			return ref_conflict(it.ref, it.rid, 'requests.' ..
			    int((i - 5) / 7) .. '.ref')
		end
		if not it.rid then
			local missing = missing_registration(it.doc, 'requests.' ..
			    int((i - 5) / 7) .. '.registration')
			if missing then
				return missing
			end
		end
		if a[i + 6] ~= '' then
			it.choice = cjson.decode(a[i + 6])
		end
		items[#items + 1] = it
		local c = it.choice
		if it.rid and c then
			dups[#dups + 1] = int(#items)
			bad = true
		elseif c then
			local sid = c.shelter_id
			local sk = skey(sid)
			local counts = pool_counts(sk, c.pool)
			local k = sid .. '\0' .. c.pool
			need[k] = (need[k] or 0) + 1
			if sids[sid] == nil then
				sids[sid] = true
				sids[#sids + 1] = sid
			end
			if counts == nil or hget(sk, 'open') ~= '1' or
			    pool_free(counts) < need[k] or
			    (it.case ~= '' and
			    not case_allows(it.case, it.co, sid)) then
				bad = true
				it.misfit = true
			end
		end
	end
	if bad and not partial then
		local docs, seqs = {}, {}
		for _, sid in ipairs(sids) do
			local doc, cseq = shelter_json(sid)
			if doc then
				docs[#docs + 1] = doc
				seqs[#seqs + 1] = cseq
			end
		end
		return '{"retry":true,"shelters":' .. json_array(docs) ..
		    ',"cseqs":[' .. table.concat(seqs, ',') ..
		    '],"duplicates":[' .. table.concat(dups, ',') .. ']}'
	end
	local out = {}
	for i, it in ipairs(items) do
		if it.rid then
			out[i] = duplicate_json(it.rid)
		else
			local c, place, pid = it.choice, nil, nil
			-- A place another request took since the check: wait.
			if c and not it.misfit and pool_free(pool_counts(
			    skey(c.shelter_id), c.pool)) >= 1 then
				place = choice_place(c, nalt)
				pid = new_proposal_id()
			end
			local r = {case = it.case,
			    co = it.co ~= '' and it.co or 'any'}
			create_request(r, it.ref, it.doc, it.urgency, it.hh, pid,
			    place and place.sid)
			local pj, cseq = 'null', nil
			if pid then
				pj, cseq = hold(r, pid, ttl_s, place)
			end
			out[i] = '{"duplicate":false,"request":' ..
			    new_request_json(r, it.doc, pj) .. ',"proposal":' ..
			    pj .. cseq_member(cseq) .. '}'
		end
	end
	return '{"results":' .. json_array(out) .. '}'
end

local function request_not_found(id, field)
	return fail(E.request, field or 'id', 'request ' .. id ..
	    ' not found')
end

-- The request id a parameter names: the id itself when there is such a
-- request, else the request that holds it as its ref (by_ref: only a
-- ref), else the text unchanged ('' by_ref: then not found).
local function resolve(idref, by_ref)
	if not by_ref and redis.call('EXISTS', rkey(idref)) == 1 then
		return idref
	end
	local rid = redis.call('GET', key('ref:' .. idref))
	if rid then
		return rid
	end
	return by_ref and '' or idref
end

local function shd_propose(a)
	local rid = a[2]
	local h = redis.call('HMGET', rkey(rid), 'status', 'case', 'co',
	    'rejected', 'seq')
	if h[1] == false then
		return request_not_found(rid)
	end
	local pj, cseq = nil, nil
	if h[1] == STATUS.waiting then
		local r = {rid = rid, status = h[1], case = h[2] or '',
		    co = h[3] or 'any', rejected = words(h[4]), seq = h[5]}
		local place = place_of(r, tonumber(a[4]) or 0,
		    cands_text(a[5]))
		if place then
			pj = new_proposal_id()
			to_proposed(r, pj, place.sid)
			pj, cseq = hold(r, pj, tonumber(a[3]) or 1800, place)
		end
	end
	local req, prop = request_doc_json(rid, pj)
	return '{"request":' .. req .. ',"proposal":' .. prop ..
	    cseq_member(cseq) .. '}'
end

-- Close an open proposal whose hold is given back (rejected, expired,
-- cancelled): release the place and the case count, detach it from its
-- request. The caller moves the request on.
local function release(pid, status)
	local pk = pkey(pid)
	local h = redis.call('HMGET', pk, 'request_id', 'shelter_id', 'pool')
	local rid, sid, pool = h[1], h[2], h[3]
	local sk = skey(sid)
	if redis.call('EXISTS', sk) == 1 and pool_counts(sk, pool) then
		redis.call('HINCRBY', sk, 'h:' .. pool, -1)
	end
	redis.call('HSET', pk, 'status', status)
	redis.call('ZREM', key('holds'), pid)
	redis.call('HSET', rkey(rid), 'proposal', '')
	case_add(rid, sid, -1)
	return rid, sid
end

-- An open proposal past its deadline: expired, the request waits again.
local function expire(pid)
	local rid, sid = release(pid, PROPOSAL_STATUS.expired)
	hist_add(rid, 'expired', pid, sid)
	set_status(rid, STATUS.waiting)
	enqueue(rid)
	emit_proposal(pid, EVENT.proposal_expired)
	emit_request(rid, EVENT.request_waiting, '')
	if redis.call('EXISTS', skey(sid)) == 1 then
		emit_capacity(sid)
	end
end

-- The proposal pid if it can be decided now, else a refusal. An open
-- proposal whose deadline has passed is expired on the spot (as the sweep
-- would within a second) and refused.
local function open_proposal(pid)
	local h = redis.call('HMGET', pkey(pid), 'status', 'expires_at')
	if h[1] == false then
		return fail(E.proposal, 'id', 'proposal ' .. pid ..
		    ' not found')
	end
	if h[1] == PROPOSAL_STATUS.open and tonumber(h[2]) <= now_ms() then
		expire(pid)
		h[1] = PROPOSAL_STATUS.expired
	end
	if h[1] ~= PROPOSAL_STATUS.open then
		return fail(E.state, 'id', 'proposal ' .. pid ..
		    ' is ' .. h[1] .. ', not open')
	end
	return nil
end

local function accept(a)
	local pid = a[2]
	local refusal = open_proposal(pid)
	if refusal then
		return refusal
	end
	local pk = pkey(pid)
	local h = redis.call('HMGET', pk, 'request_id', 'shelter_id', 'pool')
	local rid, sid, pool = h[1], h[2], h[3]
	local sk = skey(sid)
	redis.call('HINCRBY', sk, 'h:' .. pool, -1)
	redis.call('HINCRBY', sk, 'e:' .. pool, 1)
	redis.call('HSET', pk, 'status', PROPOSAL_STATUS.accepted)
	redis.call('ZREM', key('holds'), pid)
	redis.call('HSET', rkey(rid), 'proposal', '', 'pl_shelter', sid,
	    'pl_pool', pool, 'pl_proposal', pid, 'pl_since', int(now_ms()),
	    'accepted_at', int(now_ms()))
	set_status(rid, STATUS.placed, nil, nil, 'accepted', pid, sid)
	emit_proposal(pid, EVENT.proposal_accepted)
	emit_request(rid, EVENT.request_placed, sid)
	emit_placement(rid, EVENT.placement_expected)
	emit_capacity(sid)
	return '{"proposal":' .. proposal_json(pid) .. ',"request":' ..
	    request_json(rid) .. '}'
end

local function reject(a)
	local pid = a[2]
	local refusal = open_proposal(pid)
	if refusal then
		return refusal
	end
	local rid, sid = release(pid, PROPOSAL_STATUS.rejected)
	local rk = rkey(rid)
	local rejected = words(hget(rk, 'rejected'))
	if not in_list(rejected, sid) then
		rejected[#rejected + 1] = sid
		redis.call('HSET', rk, 'rejected', table.concat(rejected, ' '))
	end
	hist_add(rid, 'rejected', pid, sid)
	set_status(rid, STATUS.waiting)
	enqueue(rid)
	emit_proposal(pid, EVENT.proposal_rejected)
	emit_request(rid, EVENT.request_waiting, '')
	emit_capacity(sid)
	return '{"proposal":' .. proposal_json(pid) .. ',"request":' ..
	    request_json(rid) .. '}'
end

local function cancel(a)
	local rid = resolve(a[2])
	local rk = rkey(rid)
	local status = hget(rk, 'status')
	if status == nil then
		return request_not_found(rid)
	end
	if status ~= STATUS.waiting and status ~= STATUS.proposed and
	    status ~= STATUS.placed then
		return fail(E.state, 'id', 'request ' .. rid .. ' is ' ..
		    status .. ', not waiting, proposed or placed')
	end
	local sid, pid = nil, nil
	if status == STATUS.waiting then
		redis.call('ZREM', key('waitlist'), rid)
		waitlist_changed()
	elseif status == STATUS.proposed then
		pid = hget(rk, 'proposal') or ''
		if pid ~= '' then
			local _
			_, sid = release(pid, PROPOSAL_STATUS.cancelled)
		end
	else
		local h = redis.call('HMGET', rk, 'pl_shelter', 'pl_pool',
		    'pl_proposal')
		sid, pid = h[1], h[3]
		local sk = skey(sid)
		if pool_counts(sk, h[2]) then
			redis.call('HINCRBY', sk, 'e:' .. h[2], -1)
		end
		case_add(rid, sid, -1)
	end
	set_status(rid, STATUS.cancelled, nil, nil, nil, pid, sid)
	emit_request(rid, EVENT.request_cancelled, sid or '')
	if status == STATUS.placed then
		emit_placement(rid, EVENT.placement_cancelled)
	end
	if sid and redis.call('EXISTS', skey(sid)) == 1 then
		emit_capacity(sid)
	end
	return '{"request":' .. request_json(rid) .. '}'
end

-- The placement of request rid for placement.arrived / .departed: its
-- shelter, pool and proposal when its status is want and, with own, it is
-- placed at own; else nils and the error reply.
local function placement_of(rid, own, want)
	local h = redis.call('HMGET', rkey(rid), 'status', 'pl_shelter',
	    'pl_pool', 'pl_proposal')
	if h[1] == false then
		return nil, nil, nil, request_not_found(rid, 'request_id')
	end
	local sid, pool = h[2] or '', h[3] or ''
	if h[1] ~= want then
		return nil, nil, nil, fail(E.state, 'request_id', 'request ' ..
		    rid .. ' is ' .. h[1] .. ', not ' .. want)
	end
	if own ~= '' and sid ~= own then
		return nil, nil, nil, fail(E.not_own_shelter, 'request_id',
		    'request ' .. rid .. ' is placed in another shelter')
	end
	return sid, pool, h[4], nil
end

local function arrived(a)
	local rid, own = resolve(a[2]), a[3] or ''
	local rk = rkey(rid)
	local sid, pool, pid, err = placement_of(rid, own, STATUS.placed)
	if err then
		return err
	end
	local sk = skey(sid)
	if pool_counts(sk, pool) then
		redis.call('HINCRBY', sk, 'e:' .. pool, -1)
		redis.call('HINCRBY', sk, 'o:' .. pool, 1)
	end
	-- A resident still counts for its case until it departs.
	redis.call('HSET', rk, 'pl_since', int(now_ms()))
	set_status(rid, STATUS.arrived, nil, nil, nil, pid, sid)
	redis.call('HSET', rk, 'arrived_at', int(now_ms()))
	emit_request(rid, EVENT.request_arrived, sid)
	emit_placement(rid, EVENT.placement_arrived)
	if redis.call('EXISTS', sk) == 1 then
		emit_capacity(sid)
	end
	return '{"request":' .. request_json(rid) .. '}'
end

-- A resident left: its place is free again (occupied - 1, never below 0)
-- and its case no longer counts in the shelter.
-- A resident left: that confirms one planned departure of its pool, the
-- earliest one that has passed unconfirmed, else the earliest planned.
-- True when it changed a departure (more than counts changed).
local function departure_confirm(sk, pool)
	local du = cjson.decode(hget(sk, 'du') or '[]')
	local keep, done = {}, false
	for _, u in ipairs(du) do
		local c = tonumber(u.count) or 1
		if not done and u.pool == pool then
			done = true
			c = c - 1
		end
		if c > 0 then
			keep[#keep + 1] = '{"pool":' .. q(u.pool) .. ',"date":' ..
			    q(u.date) .. ',"count":' .. int(c) .. '}'
		end
	end
	if done then
		if #keep == 0 then
			redis.call('HDEL', sk, 'du')
		else
			redis.call('HSET', sk, 'du', json_array(keep))
		end
		return true
	end
	local dp = hget(sk, 'dp:' .. pool)
	if dp == nil then
		return false
	end
	keep = {}
	for i, d in ipairs(cjson.decode(dp)) do
		local c = tonumber(d.count) or 1
		if i == 1 then
			c = c - 1
		end
		if c > 0 then
			keep[#keep + 1] = '{"date":' .. q(d.date) .. ',"count":' ..
			    int(c) .. '}'
		end
	end
	if #keep == 0 then
		redis.call('HDEL', sk, 'dp:' .. pool)
	else
		redis.call('HSET', sk, 'dp:' .. pool, json_array(keep))
	end
	return true
end

local function departed(a)
	local rid, own = resolve(a[2]), a[3] or ''
	local rk = rkey(rid)
	local sid, pool, pid, err = placement_of(rid, own, STATUS.arrived)
	if err then
		return err
	end
	local sk = skey(sid)
	if pool_counts(sk, pool) and hnum(sk, 'o:' .. pool) > 0 then
		redis.call('HINCRBY', sk, 'o:' .. pool, -1)
	end
	local confirmed = false
	if pool_counts(sk, pool) then
		confirmed = departure_confirm(sk, pool)
	end
	case_add(rid, sid, -1)
	set_status(rid, STATUS.departed, nil, nil, nil, pid, sid)
	redis.call('HSET', rk, 'departed_at', int(now_ms()))
	emit_request(rid, EVENT.request_departed, sid)
	emit_placement(rid, EVENT.placement_departed)
	if redis.call('EXISTS', sk) == 1 then
		emit_capacity(sid, confirmed)
	end
	return '{"request":' .. request_json(rid) .. '}'
end

local function sweep(a)
	local due = redis.call('ZRANGEBYSCORE', key('holds'), '-inf',
	    int(now_ms()), 'LIMIT', 0, 1000)
	local n = 0
	for _, pid in ipairs(due) do
		if hget(pkey(pid), 'status') == PROPOSAL_STATUS.open then
			expire(pid)
			n = n + 1
		else
			redis.call('ZREM', key('holds'), pid)
		end
	end
	return '{"expired":' .. int(n) .. '}'
end

local function request_get(a)
	local by_ref = a[3] == 'ref'
	local rid = resolve(a[2], by_ref)
	local r = request_json(rid)
	if r == nil then
		return request_not_found(a[2], by_ref and 'ref' or 'id')
	end
	return '{"request":' .. extend(r, '"history":' ..
	    hist_json(hget(rkey(rid), 'hist'))) .. '}'
end

-- shd_request_list statuses limit order case: statuses comma separated
-- ('' all), order 'newest' or oldest first, case '' for any.
local function request_list(a)
	local limit = tonumber(a[3]) or 100
	if limit < 1 then
		limit = 100
	end
	local newest, case = a[4] == 'newest', a[5] or ''
	local keep = nil
	if (a[2] or '') ~= '' then
		keep = {}
		for s in string.gmatch(a[2], '[^,%s]+') do
			keep[s] = true
		end
	end
	-- Walk one ordered set (every request, that case's, or one status's
	-- when a single status is asked without a case) and filter.
	local set = key('requests')
	if case ~= '' then
		set = key('case_requests:' .. case)
	elseif keep ~= nil and not string.find(a[2], ',') then
		set = key('status:' .. a[2])
		keep = nil
	end
	local ids, from, step = {}, 0, 200
	while #ids < limit do
		local r
		if newest then
			r = redis.call('ZREVRANGE', set, from, from + step - 1)
		else
			r = redis.call('ZRANGE', set, from, from + step - 1)
		end
		for _, id in ipairs(r) do
			if keep == nil or keep[hget(rkey(id), 'status') or ''] then
				ids[#ids + 1] = id
				if #ids == limit then
					break
				end
			end
		end
		if #r < step then
			break
		end
		from = from + step
	end
	local out = {}
	for i, id in ipairs(ids) do
		out[i] = request_json(id)
	end
	return '{"requests":' .. json_array(out) .. '}'
end

-- The placements of the shelters' side: expected (placed, not arrived)
-- and resident (arrived), with the household, never case, origin or
-- referrer; statuses a comma separated list ('' both), own a shelter id
-- ('' every shelter); sorted by since, then request id.
local PLACEMENT = {expected = STATUS.placed, resident = STATUS.arrived}

local function placement_list(a)
	local own = a[3] or ''
	local want = {}
	for s in string.gmatch(a[2] or '', '[^,%s]+') do
		want[s] = true
	end
	if next(want) == nil then
		want = {expected = true, resident = true}
	end
	local rows = {}
	for _, name in ipairs({'expected', 'resident'}) do
		if want[name] then
			for _, rid in ipairs(redis.call('ZRANGE',
			    key('status:' .. PLACEMENT[name]), 0, -1)) do
				local h = redis.call('HMGET', rkey(rid), 'pl_shelter',
				    'pl_pool', 'pl_proposal', 'pl_since', 'hh',
				    'updated_at')
				if own == '' or h[1] == own then
					local since = tonumber(h[4]) or
					    tonumber(h[6]) or 0
					rows[#rows + 1] = {since, tonumber(string.sub(
					    rid, 5)) or 0, '{"request_id":' .. q(rid) ..
					    ',"shelter_id":' .. q(h[1]) .. ',"pool":' ..
					    q(h[2]) .. ',"status":' .. q(name) ..
					    ',"proposal_id":' .. q(h[3] or '') ..
					    ',"since":' .. q(iso(since)) ..
					    ',"household":' .. ((h[5] and h[5] ~= '')
					    and h[5] or 'null') .. '}'}
				end
			end
		end
	end
	table.sort(rows, function(x, y)
		if x[1] ~= y[1] then
			return x[1] < y[1]
		end
		return x[2] < y[2]
	end)
	local out = {}
	for i, r in ipairs(rows) do
		out[i] = r[3]
	end
	return '{"placements":' .. json_array(out) .. '}'
end

-- A page of the waitlist: the first limit requests after the score `after`
-- (empty: from the head). Scores are unique (urgency, then seq), so the
-- last score of a page is an exact cursor that survives requests leaving
-- the waitlist between pages; `next` is that cursor, or null at the end.
-- `ver` is P waitlist_ver (see waitlist_changed); when the caller's `ver`
-- is the current one, nothing it read has changed since: the reply is
-- {"unchanged": true, "ver"} without requests.
local function waiting(a)
	local limit = tonumber(a[2]) or 100
	if limit < 1 then
		limit = 100
	end
	local ver = redis.call('GET', key('waitlist_ver')) or '0'
	if a[4] ~= '' and a[4] == ver then
		return '{"unchanged":true,"ver":' .. ver .. '}'
	end
	local from = '-inf'
	if a[3] ~= nil and a[3] ~= '' then
		from = '(' .. a[3]
	end
	local page = redis.call('ZRANGE', key('waitlist'), from, '+inf',
	    'BYSCORE', 'LIMIT', 0, limit, 'WITHSCORES')
	local out, nxt = {}, 'null'
	for i = 1, #page, 2 do
		local rid = page[i]
		local h = redis.call('HMGET', rkey(rid), 'doc', 'rejected',
		    'case')
		local case = h[3]
		local rej = (h[2] and h[2] ~= '') and
		    quoted_array(words(h[2])) or '[]'
		if case and case ~= '' then
			out[#out + 1] = '{"id":' .. q(rid) .. ',"doc":' .. h[1] ..
			    ',"rejected":' .. rej .. ',"case_shelters":' ..
			    quoted_array(case_shelters(case)) ..
			    ',"case_apart":' .. quoted_array(case_apart(case)) ..
			    '}'
		else
			out[#out + 1] = '{"id":' .. q(rid) .. ',"doc":' .. h[1] ..
			    ',"rejected":' .. rej ..
			    ',"case_shelters":[],"case_apart":[]}'
		end
	end
	if #page == 2 * limit then
		nxt = q(string.format('%.0f', tonumber(page[#page])))
	end
	return '{"requests":' .. json_array(out) .. ',"next":' .. nxt ..
	    ',"ver":' .. ver .. '}'
end

local function stats(a)
	local ids = redis.call('ZRANGE', key('shelters'), 0, -1)
	local t, o, h, e, f = 0, 0, 0, 0, 0
	for _, id in ipairs(ids) do
		local sk = skey(id)
		for _, name in ipairs(words(hget(sk, 'pools'))) do
			local c = pool_counts(sk, name)
			if c then
				t, o, h, e = t + c[1], o + c[2], h + c[3], e + c[4]
				local free = pool_free(c)
				f = f + (free > 0 and free or 0)
			end
		end
	end
	local req = {}
	for i, s in ipairs(STATUS_ORDER) do
		req[i] = q(s) .. ':' .. int(redis.call('ZCARD',
		    key('status:' .. s)))
	end
	-- The open requests by the program they ask for (cosm, omm, others):
	-- the program is the top-level member of the compact doc, matched
	-- without decoding (see missing_registration).
	local escalated, progs, by = 0, {'cosm', 'omm', 'others'}, {}
	for _, p in ipairs(progs) do
		by[p] = {}
	end
	for _, st in ipairs({STATUS.waiting, STATUS.proposed, STATUS.placed}) do
		for _, p in ipairs(progs) do
			by[p][st] = 0
		end
		for _, rid in ipairs(redis.call('ZRANGE', key('status:' .. st),
		    0, -1)) do
			local h = redis.call('HMGET', rkey(rid), 'doc', 'escalated')
			local p = string.match(h[1] or '', '"program":"(%a+)"')
			p = by[p] and p or 'others'
			by[p][st] = by[p][st] + 1
			if st == STATUS.waiting and h[2] == '1' then
				escalated = escalated + 1
			end
		end
	end
	local bp = {}
	for i, p in ipairs(progs) do
		bp[i] = q(p) .. ':{"waiting":' .. int(by[p].waiting) ..
		    ',"proposed":' .. int(by[p].proposed) .. ',"placed":' ..
		    int(by[p].placed) .. '}'
	end
	local oldest = 0
	local first = redis.call('ZRANGE', key('status:' .. STATUS.waiting), 0,
	    0)[1]
	if first then
		oldest = tonumber(hget(rkey(first), 'created_at')) or 0
	end
	return '{"shelters":' .. int(#ids) .. ',"places":{"total":' .. int(t) ..
	    ',"occupied":' .. int(o) .. ',"held":' .. int(h) ..
	    ',"expected":' .. int(e) .. ',"free":' .. int(f) ..
	    '},"requests":{' .. table.concat(req, ',') ..
	    '},"requests_by_program":{' .. table.concat(bp, ',') ..
	    '},"oldest_waiting_ms":' .. int(oldest) ..
	    ',"escalated_waiting":' .. int(escalated) .. '}'
end

---------------------------------------------------------------------------
-- Time checks, once a second (and after debug.advance): stale shelters
-- and their reminders, passed departures, escalations, expiring
-- proposals. Idempotent: what was emitted is recorded, so several
-- daemons may run them.

local URGENCY_NAME = {[0] = 'immediate', [1] = 'days', [2] = 'planned'}

-- The day number of "YYYY-MM-DD" (days since 1970-01-01; the civil
-- calendar counted in 400-year eras of 146,097 days, years from March).
local function iso_day(s)
	local y, m, d = tonumber(string.sub(s, 1, 4)),
	    tonumber(string.sub(s, 6, 7)), tonumber(string.sub(s, 9, 10))
	if m <= 2 then
		y = y - 1
	end
	local era = math.floor(y / 400)
	local yoe = y - era * 400
	local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
	return era * 146097 + yoe * 365 + math.floor(yoe / 4) -
	    math.floor(yoe / 100) + doy - 719468
end

-- One shelter's alert check: its passed departures, then capacity.stale
-- when its report is stale_ms old or a departure went unconfirmed (again
-- every remind_ms). Returns whether it alerted and when it next may have
-- something to do (ms): the earlier of the day after its first planned
-- departure and its reminder, or the moment its report turns stale.
local function alert_shelter(id, now, stale_ms, remind_ms)
	local sk = skey(id)
	local _, first = departures_pass(id)
	local h = redis.call('HMGET', sk, 'updated_at', 'stale_next', 'du')
	local upd = tonumber(h[1]) or 0
	local unconfirmed = h[3] and h[3] ~= '[]'
	local due = tonumber(h[2])
	local alerted, nxt = false, nil
	if now - upd >= stale_ms or unconfirmed then
		if due == nil or now >= due then
			due = now + remind_ms
			redis.call('HSET', sk, 'stale_next', int(due))
			emit(TOPIC.capacity, EVENT.capacity_stale, id,
			    '{"shelter_id":' .. q(id) .. ',"updated_at":' ..
			    q(iso(upd)) .. ',"report_age_s":' ..
			    int(math.floor((now - upd) / 1000)) ..
			    ',"reason":' .. q(now - upd >= stale_ms and
			    'report_age' or 'departure_not_confirmed') .. '}')
			alerted = true
		end
		nxt = due
	else
		nxt = upd + stale_ms
	end
	if first ~= nil then
		nxt = math.min(nxt, (iso_day(first) + 1) * 86400000)
	end
	return alerted, nxt
end

-- P alert_at (zset): every shelter, scored by when alert_shelter next
-- may have something to do, so a pass reads only the shelters due, not
-- the register. A score too early costs a check, never an alert: only
-- what can bring it forward (a new shelter, new planned departures) sets
-- it to 0 (due at the next pass); a report only pushes it back. The
-- scores follow stale_ms: a pass with another one (or the first pass
-- after an upgrade, none recorded) makes every shelter due.
-- At most this many shelters and requests a pass each (a pass of 500 new
-- shelters, all due, takes Redis about 6-10 ms; the rest wait a second).
local ALERT_PASS_MAX = 500

local function alerts_shelters(stale_ms, remind_ms)
	local now, n = now_ms(), 0
	local ak = key('alert_at')
	if redis.call('GET', key('alert_stale_ms')) ~= int(stale_ms) then
		for _, id in ipairs(redis.call('ZRANGE', key('shelters'), 0, -1)) do
			redis.call('ZADD', ak, 0, id)
		end
		redis.call('SET', key('alert_stale_ms'), int(stale_ms))
	end
	for _, id in ipairs(redis.call('ZRANGEBYSCORE', ak, '-inf', int(now),
	    'LIMIT', 0, ALERT_PASS_MAX)) do
		if redis.call('EXISTS', skey(id)) == 0 then
			redis.call('ZREM', ak, id)
		else
			local alerted, nxt = alert_shelter(id, now, stale_ms,
			    remind_ms)
			redis.call('ZADD', ak, int(nxt), id)
			if alerted then
				n = n + 1
			end
		end
	end
	return n
end

-- P esc_at (zset): every waiting request, scored by when alerts_escalate
-- next may have something to do for it: created_at + its urgency's limit,
-- then its esc_next. A request that starts waiting goes in at
-- created_at plus the shortest limit (escalation_watch); one that no
-- longer waits leaves when it comes due. The scores follow
-- the limits: a pass with others (or the first after an upgrade, none
-- recorded) makes every waiting request due.
local function alerts_escalate(limits, repeat_ms)
	local now, n = now_ms(), 0
	local ek = key('esc_at')
	local lim = int(limits[0]) .. ' ' .. int(limits[1]) .. ' ' ..
	    int(limits[2])
	if redis.call('GET', key('esc_limits')) ~= lim then
		for _, rid in ipairs(redis.call('ZRANGE', key('status:' ..
		    STATUS.waiting), 0, -1)) do
			redis.call('ZADD', ek, 0, rid)
		end
		redis.call('SET', key('esc_limits'), lim)
		redis.call('SET', key('esc_min_ms'), int(math.min(limits[0],
		    limits[1], limits[2])))
	end
	local due = {}
	for _, rid in ipairs(redis.call('ZRANGEBYSCORE', ek, '-inf', int(now),
	    'LIMIT', 0, ALERT_PASS_MAX)) do
		local h = redis.call('HMGET', rkey(rid), 'status', 'created_at',
		    'urgency', 'esc_next', 'ref', 'seq')
		if h[1] ~= STATUS.waiting then
			redis.call('ZREM', ek, rid)
		else
			due[#due + 1] = {rid = rid, h = h,
			    seq = tonumber(h[6]) or 0}
		end
	end
	-- Oldest first, as the waitlist's events always came.
	table.sort(due, function(x, y) return x.seq < y.seq end)
	for _, d in ipairs(due) do
		local h = d.h
		local created = tonumber(h[2]) or now
		local waited = now - created
		local u = tonumber(h[3]) or 1
		local limit = limits[u] or limits[1]
		local nxt = tonumber(h[4])
		if waited < limit then
			nxt = created + limit
		elseif nxt == nil or now >= nxt then
			nxt = now + repeat_ms
			redis.call('HSET', rkey(d.rid), 'escalated', '1',
			    'esc_next', int(nxt))
			emit(TOPIC.requests, EVENT.request_escalated, '',
			    '{"request_id":' .. q(d.rid) .. ',"ref":' ..
			    q(h[5]) .. ',"status":' .. q(STATUS.waiting) ..
			    ',"urgency":' .. q(URGENCY_NAME[u] or 'days') ..
			    ',"waited_s":' .. int(math.floor(waited / 1000)) ..
			    '}')
			n = n + 1
		end
		redis.call('ZADD', ek, int(nxt), d.rid)
	end
	return n
end

local function alerts_expiring(expiring_ms)
	local now, n = now_ms(), 0
	if expiring_ms <= 0 then
		return 0
	end
	for _, pid in ipairs(redis.call('ZRANGEBYSCORE', key('holds'),
	    int(now + 1), int(now + expiring_ms), 'LIMIT', 0, 1000)) do
		local h = redis.call('HMGET', pkey(pid), 'status', 'expiring',
		    'created_at', 'expires_at')
		-- A hold shorter than the window was never far from expiry.
		local short = (tonumber(h[4]) or 0) - (tonumber(h[3]) or 0) <=
		    expiring_ms
		if h[1] == PROPOSAL_STATUS.open and h[2] ~= '1' and
		    not short then
			redis.call('HSET', pkey(pid), 'expiring', '1')
			emit_proposal(pid, EVENT.proposal_expiring)
			n = n + 1
		end
	end
	return n
end

-- a: stale_ms remind_ms immediate_ms days_ms planned_ms repeat_ms
-- expiring_ms
local function alerts(a)
	local v = {}
	for i = 2, 8 do
		v[i - 1] = tonumber(a[i]) or 0
	end
	local stale = alerts_shelters(v[1], v[2])
	local esc = alerts_escalate({[0] = v[3], [1] = v[4], [2] = v[5]}, v[6])
	local exp = alerts_expiring(v[7])
	return '{"stale":' .. int(stale) .. ',"escalated":' .. int(esc) ..
	    ',"expiring":' .. int(exp) .. '}'
end

-- report.long_stays: a[2] program ('' any), a[3] own shelter ('' any),
-- a[4] {PROGRAM: DAYS} norms as JSON. Residents past their program's
-- norm, longest first. A pool's planned departures are not tied to a
-- person: its residents, longest stay first, are paired with its
-- planned dates, earliest first.
local function long_stays(a)
	local program, own = a[2], a[3]
	local norms = cjson.decode(a[4])
	local now = now_ms()
	local pools, prog = {}, {}
	for _, rid in ipairs(redis.call('ZRANGE', key('status:' ..
	    STATUS.arrived), 0, -1)) do
		local h = redis.call('HMGET', rkey(rid), 'pl_shelter', 'pl_pool',
		    'arrived_at', 'updated_at')
		local sid, pool = h[1], h[2]
		if sid and (own == '' or own == sid) then
			if prog[sid] == nil then
				local doc = hget(skey(sid), 'doc')
				prog[sid] = doc and cjson.decode(doc).program or ''
			end
			local at = tonumber(h[3]) or tonumber(h[4]) or now
			local k = sid .. ' ' .. pool
			pools[k] = pools[k] or {sid = sid, pool = pool, r = {}}
			table.insert(pools[k].r, {rid, at})
		end
	end
	local out = {}
	for _, p in pairs(pools) do
		table.sort(p.r, function(x, y)
			return x[2] < y[2] or (x[2] == y[2] and x[1] < y[1])
		end)
		local dates = {}
		for _, d in ipairs(cjson.decode(hget(skey(p.sid), 'dp:' ..
		    p.pool) or '[]')) do
			for _ = 1, d.count do
				dates[#dates + 1] = d.date
			end
		end
		local pg = prog[p.sid]
		local norm = tonumber(norms[pg]) or 0
		for i, r in ipairs(p.r) do
			local days = math.floor((now - r[2]) / 86400000)
			if norm > 0 and days > norm and
			    (program == '' or program == pg) then
				out[#out + 1] = {days = days, rid = r[1], json =
				    '{"request_id":' .. q(r[1]) .. ',"shelter_id":' ..
				    q(p.sid) .. ',"pool":' .. q(p.pool) ..
				    ',"program":' .. q(pg) .. ',"days":' ..
				    int(days) .. ',"norm_days":' .. int(norm) ..
				    ',"planned_departure":' ..
				    (dates[i] and q(dates[i]) or 'null') .. '}'}
			end
		end
	end
	table.sort(out, function(x, y)
		return x.days > y.days or (x.days == y.days and x.rid < y.rid)
	end)
	local j = {}
	for i, o in ipairs(out) do
		j[i] = o.json
	end
	return '{"stays":' .. json_array(j) .. '}'
end

-- The first rank in the requests set whose created_at is at least ms.
-- Ids are given in time order by the one clock, so created_at rises with
-- the rank: a binary search instead of reading every request.
local function first_created(ms)
	local lo, hi = 0, redis.call('ZCARD', key('requests'))
	while lo < hi do
		local mid = math.floor((lo + hi) / 2)
		local id = redis.call('ZRANGE', key('requests'), mid, mid)[1]
		if (tonumber(hget(rkey(id), 'created_at')) or 0) < ms then
			lo = mid + 1
		else
			hi = mid
		end
	end
	return lo
end

-- shd_placement_report from_ms to_ms: every request submitted in [from,
-- to) as {program, urgency, referrer, status, created_at, accepted_at,
-- arrived_at, departed_at, shelter_program} (times in ms or null), for
-- report.placements; reduced requests keep all of it. Requests placed
-- before accepted_at was recorded give pl_since while placed (the accept
-- time), departed ones their last change as the departure.
local function placement_report(a)
	local from, to = tonumber(a[2]) or 0, tonumber(a[3]) or 0
	local out, progs = {}, {}
	local rank = first_created(from)
	while true do
		local id = redis.call('ZRANGE', key('requests'), rank, rank)[1]
		if id == nil then
			break
		end
		rank = rank + 1
		local h = redis.call('HMGET', rkey(id), 'doc', 'status',
		    'created_at', 'accepted_at', 'arrived_at', 'departed_at',
		    'pl_since', 'updated_at', 'pl_shelter')
		local created = tonumber(h[3]) or 0
		if created >= to then
			break
		end
		local d = cjson.decode(h[1])
		local st = h[2]
		local acc, dep = h[4], h[6]
		if not acc and st == STATUS.placed then
			acc = h[7]
		end
		if not dep and st == STATUS.departed then
			dep = h[8]
		end
		local sid = h[9] or ''
		if sid ~= '' and progs[sid] == nil then
			local sdoc = hget(skey(sid), 'doc')
			progs[sid] = sdoc and cjson.decode(sdoc).program or ''
		end
		out[#out + 1] = '{"program":' .. q(d.program or 'any') ..
		    ',"urgency":' .. q(d.urgency or 'days') .. ',"referrer":' ..
		    q(d.referrer or '') .. ',"status":' .. q(st) ..
		    ',"created_at":' .. int(created) .. ',"accepted_at":' ..
		    (acc or 'null') .. ',"arrived_at":' .. (h[5] or 'null') ..
		    ',"departed_at":' .. (dep or 'null') ..
		    ',"shelter_program":' .. q(progs[sid] or '') .. '}'
	end
	return '{"requests":' .. json_array(out) .. ',"now":' ..
	    int(now_ms()) .. '}'
end

---------------------------------------------------------------------------
-- The test clock

local function clock(a)
	return '{"offset_ms":' .. int(clock_offset()) .. ',"now_ms":' ..
	    int(now_ms()) .. '}'
end

-- Move the clock forward by a[2] seconds (> 0) and tell every daemon
-- sharing the store (internal event clock.advanced).
local function clock_advance(a)
	local s = tonumber(a[2])
	if s == nil or s <= 0 or s ~= math.floor(s) then
		return fail(E.invalid_field, 'seconds',
		    'must be an integer above 0')
	end
	local off = redis.call('INCRBY', key('clock_offset_ms'), int(s * 1000))
	NOW, NOW_ISO, OFFSET, NOW_Q, NOW_S = nil, nil, off, nil, nil
	emit(TOPIC.shelter, EVENT.clock_advanced, '', '{"offset_ms":' ..
	    int(off) .. '}')
	return '{"offset_ms":' .. int(off) .. ',"now_ms":' .. int(now_ms()) ..
	    '}'
end

---------------------------------------------------------------------------
-- Registrations (every reported victim), the audit trail, retention

local function regkey(id)
	return key('reg:' .. id)
end

-- A YYYY-MM-DD date as a number that sorts like it: 20260228.
local function date_num(d)
	return tonumber((string.gsub(d or '', '-', ''))) or 0
end

local function registration_json(id)
	local h = redis.call('HMGET', regkey(id), 'doc', 'version',
	    'created_at', 'updated_at')
	if h[1] == false then
		return nil
	end
	return extend(h[1], '"id":' .. q(id) .. ',"version":' .. h[2] ..
	    ',"created_at":' .. q(iso(tonumber(h[3]))) .. ',"updated_at":' ..
	    q(iso(tonumber(h[4]))))
end

local function registration_not_found(id)
	return fail(E.registration, 'id', 'no registration ' .. id)
end

local function emit_registration(id, type, kind)
	emit(TOPIC.registrations, type, '', '{"registration_id":' .. q(id) ..
	    ',"kind":' .. q(kind) .. '}')
end

-- A named request must exist.
local function check_request_id(rid)
	if rid ~= '' and redis.call('EXISTS', rkey(rid)) == 0 then
		return fail(E.request, 'request_id', 'no request ' .. rid)
	end
	return nil
end

-- shd_reg_create ref doc date kind request_id
local function reg_create(a)
	local ref, doc, date, kind, rid = a[2], a[3], a[4], a[5], a[6]
	if redis.call('EXISTS', key('reg_ref:' .. ref)) == 1 then
		return fail(E.invalid_field, 'ref', 'registration ' ..
		    redis.call('GET', key('reg_ref:' .. ref)) ..
		    ' already has ref ' .. ref)
	end
	local bad = check_request_id(rid)
	if bad then
		return bad
	end
	local n = redis.call('HINCRBY', key('seq'), 'registration', 1)
	local id = 'reg-' .. int(n)
	local now = now_ms()
	redis.call('HSET', regkey(id), 'doc', doc, 'ref', ref, 'date', date,
	    'kind', kind, 'version', 1, 'created_at', int(now), 'updated_at',
	    int(now), 'seq', int(n))
	redis.call('SET', key('reg_ref:' .. ref), id)
	redis.call('ZADD', key('registrations'), date_num(date) * 1e6 + n, id)
	emit_registration(id, EVENT.registration_created, kind)
	return '{"registration":' .. registration_json(id) .. '}'
end

-- shd_reg_update id ref doc date kind request_id if_version
local function reg_update(a)
	local id, ref, doc, date, kind, rid, ifv = a[2], a[3], a[4], a[5],
	    a[6], a[7], a[8]
	local k = regkey(id)
	if redis.call('EXISTS', k) == 0 then
		return registration_not_found(id)
	end
	local h = redis.call('HMGET', k, 'ref', 'version', 'seq')
	if h[1] ~= ref then
		return fail(E.invalid_field, 'ref', 'the ref of registration ' ..
		    id .. ' cannot change')
	end
	if ifv ~= '' and tonumber(ifv) ~= tonumber(h[2]) then
		return fail(E.version, 'if_version', 'registration ' .. id ..
		    ' is at version ' .. h[2] .. ', not ' .. ifv)
	end
	local bad = check_request_id(rid)
	if bad then
		return bad
	end
	redis.call('HSET', k, 'doc', doc, 'date', date, 'kind', kind,
	    'updated_at', int(now_ms()))
	redis.call('HINCRBY', k, 'version', 1)
	redis.call('ZADD', key('registrations'),
	    date_num(date) * 1e6 + tonumber(h[3]), id)
	emit_registration(id, EVENT.registration_updated, kind)
	return '{"registration":' .. registration_json(id) .. '}'
end

local function reg_get(a)
	local r = registration_json(a[2])
	if r == nil then
		return registration_not_found(a[2])
	end
	return '{"registration":' .. r .. '}'
end

-- The ids dated from .. to (YYYYMMDD numbers, '' open), oldest first.
local function reg_ids(from, to)
	local lo = from ~= '' and tonumber(from) * 1e6 or '-inf'
	local hi = to ~= '' and tonumber(to) * 1e6 + 999999 or '+inf'
	return redis.call('ZRANGEBYSCORE', key('registrations'), lo, hi)
end

-- shd_reg_list from to kind limit
local function reg_list(a)
	local limit = tonumber(a[5]) or 100
	if limit < 1 then
		limit = 100
	end
	local out = {}
	for _, id in ipairs(reg_ids(a[2], a[3])) do
		if #out >= limit then
			break
		end
		if a[4] == '' or redis.call('HGET', regkey(id), 'kind') == a[4] then
			out[#out + 1] = registration_json(id)
		end
	end
	return '{"registrations":' .. json_array(out) .. '}'
end

-- shd_reg_docs from to: the stored documents, for reports.
local function reg_docs(a)
	local out = {}
	for i, id in ipairs(reg_ids(a[2], a[3])) do
		out[i] = redis.call('HGET', regkey(id), 'doc')
	end
	return '{"docs":' .. json_array(out) .. '}'
end

-- One entry of the audit stream: who, method, ids (space-separated),
-- outcome (ok or the error reason). Returns its id.
local function audit_write(who, method, ids, outcome)
	-- Ids follow this library's clock, so retention (MINID) and
	-- audit.list's from/to agree with at; '*' if the stream is ahead.
	local f = {'at', now_iso(), 'who', who, 'method', method,
	    'ids', ids, 'outcome', outcome}
	local id = redis.pcall('XADD', key('audit'), now_text() .. '-*',
	    unpack(f))
	if type(id) ~= 'string' then
		id = redis.call('XADD', key('audit'), '*', unpack(f))
	end
	return id
end

-- shd_audit_add who method ids outcome: one entry of the audit stream
-- (a call that reached no function of this library that audits).
local function audit_add(a)
	return '{"id":' .. q(audit_write(a[2], a[3], a[4], a[5])) .. '}'
end

-- The members of a reply whose "id" the audit entry names, in order (the
-- daemon's audit_record read the same ones from the result).
local AUDIT_OBJECTS = {'request', 'proposal', 'registration', 'shelter',
    'next'}

-- ids with " ID" appended for an id-shaped s not already in it.
local function audit_add_id(ids, s)
	if type(s) ~= 'string' or s == '' or #s > 63 or
	    string.find(s, '[^a-z0-9%-]') or
	    string.find(' ' .. ids .. ' ', ' ' .. s .. ' ', 1, true) then
		return ids
	end
	return ids == '' and s or ids .. ' ' .. s
end

-- The audit entry of a function that audits (FUNCTIONS' audit = true),
-- in the same call as the change: who, method and the ids of the
-- daemon's call (args[2..4]; who '' : the daemon records none), the ids
-- of the reply's objects, its outcome. A function may return with its
-- reply those ids (oids, in the order of AUDIT_OBJECTS) and whether the
-- daemon's call stays open (no proposal and no duplicate); else the
-- reply is decoded for them. With defer (args[5] '1') an open reply
-- writes none: the daemon may go on (a proposal with every candidate) and
-- records the call when it ends. A reply in fields (a table, see
-- fields_reply) must come with its oids. Returns the reply and whether
-- the entry was written.
local function audit_reply(args, reply, oids, open)
	if args[2] == '' then
		return reply, false
	end
	local outcome = 'ok'
	if oids == nil then
		local ok, r = pcall(cjson.decode, reply)
		if not ok or type(r) ~= 'table' then
			return reply, false
		end
		oids = {}
		if type(r.error) == 'table' then
			outcome = r.error.reason
		else
			for i = 1, #AUDIT_OBJECTS do
				local o = r[AUDIT_OBJECTS[i]]
				oids[#oids + 1] = type(o) == 'table' and o.id or
				    false
			end
			open = r.duplicate ~= true and
			    type(r.proposal) ~= 'table'
		end
	end
	if args[5] == '1' and outcome == 'ok' and open then
		return reply, false
	end
	local ids = args[4]
	for i = 1, #oids do
		ids = audit_add_id(ids, oids[i])
	end
	audit_write(args[2], args[3], ids, outcome)
	return reply, true
end

-- The reply of a function that audits, as Redis returns it (the others'
-- go as they are: shd_shelter_rows's arrays are not fields). A JSON text gets
-- "audited":true when the audit entry was written. A reply in fields (a
-- table {kind, field..., json}: values the daemon reads without decoding
-- JSON, then a JSON text it passes on as it is) becomes the array
-- {kind, audited ('1' or '0'), field..., json} (docs/store.md).
local function fields_reply(reply, audited)
	if type(reply) == 'table' then
		table.insert(reply, 2, audited and '1' or '0')
		return reply
	end
	if audited then
		return '{"audited":true,' .. string.sub(reply, 2)
	end
	return reply
end

-- shd_audit_list from_ms to_ms who method limit: newest first.
local function audit_list(a)
	local hi = a[3] ~= '' and a[3] or '+'
	local lo = a[2] ~= '' and a[2] or '-'
	local limit = tonumber(a[6]) or 100
	if limit < 1 then
		limit = 100
	end
	local out = {}
	local cursor = hi
	while #out < limit do
		local batch = redis.call('XREVRANGE', key('audit'), cursor, lo,
		    'COUNT', 500)
		if #batch == 0 then
			break
		end
		for _, e in ipairs(batch) do
			local f = {}
			for i = 1, #e[2], 2 do
				f[e[2][i]] = e[2][i + 1]
			end
			if #out < limit and (a[4] == '' or f.who == a[4]) and
			    (a[5] == '' or f.method == a[5]) then
				out[#out + 1] = '{"at":' .. q(f.at) .. ',"who":' ..
				    q(f.who) .. ',"method":' .. q(f.method) ..
				    ',"ids":' .. quoted_array(words(f.ids)) ..
				    ',"outcome":' .. q(f.outcome) .. '}'
			end
		end
		if #batch < 500 then
			break
		end
		cursor = '(' .. batch[#batch][1]
	end
	return '{"entries":' .. json_array(out) .. '}'
end

-- The fields of a closed request that reports need (docs/protocol.md
-- "Retention"): no ref, case, locations, languages or children.
local function reduce_request_doc(doc)
	local d = cjson.decode(doc)
	local p = d.person or {}
	local band = 'unknown'
	if type(p.age) == 'number' then
		band = p.age < 18 and 'minor' or (p.age <= 22 and '18-22' or '23+')
	end
	local out = {program = d.program, urgency = d.urgency,
	    referrer = d.referrer, person = {age_band = band}}
	if d.exploitation and d.exploitation.sector then
		out.sector = d.exploitation.sector
	end
	return cjson.encode(out)
end

-- shd_retention requests_cutoff_ms registrations_cutoff_date
-- audit_cutoff_ms (each '' : keep): reduce closed requests last changed
-- before the first and delete the events before it, reduce registrations
-- dated before the second, delete audit entries before the third.
-- Idempotent: reduced records are marked.
local function retention(a)
	local nreq, nreg, naud = 0, 0, 0
	if a[2] ~= '' then
		local cut = tonumber(a[2])
		for _, st in ipairs({STATUS.cancelled, STATUS.departed}) do
			for _, rid in ipairs(redis.call('ZRANGE',
			    key('status:' .. st), 0, -1)) do
				local h = redis.call('HMGET', rkey(rid), 'updated_at',
				    'reduced', 'doc', 'ref', 'case')
				if h[2] ~= '1' and (tonumber(h[1]) or 0) < cut then
					redis.call('HSET', rkey(rid), 'doc',
					    reduce_request_doc(h[3]), 'case', '',
					    'hh', '{}', 'reduced', '1')
					-- Nothing ties it to its case any more.
					if h[5] and h[5] ~= '' then
						redis.call('ZREM', key('case_requests:' ..
						    h[5]), rid)
					end
					if h[4] then
						redis.call('DEL', key('ref:' .. h[4]))
						redis.call('HDEL', rkey(rid), 'ref')
					end
					nreq = nreq + 1
				end
			end
		end
	end
	if a[3] ~= '' then
		for _, id in ipairs(redis.call('ZRANGEBYSCORE',
		    key('registrations'), '-inf',
		    '(' .. int(tonumber(a[3]) * 1e6))) do
			local h = redis.call('HMGET', regkey(id), 'reduced', 'doc',
			    'ref')
			if h[1] ~= '1' then
				local d = cjson.decode(h[2])
				d.ref = nil
				d.request_id = nil
				if d.person then
					d.person.age = nil
				end
				redis.call('HSET', regkey(id), 'doc', cjson.encode(d),
				    'reduced', '1', 'ref', '')
				redis.call('DEL', key('reg_ref:' .. (h[3] or '')))
				nreg = nreg + 1
			end
		end
	end
	if a[2] ~= '' then
		-- The events of that time go too (they name refs and
		-- households): stream ids are ms, as the cutoff.
		redis.call('XTRIM', key('events'), 'MINID', a[2])
	end
	if a[4] ~= '' then
		naud = redis.call('XTRIM', key('audit'), 'MINID', a[4])
	end
	return '{"requests":' .. int(nreq) .. ',"registrations":' ..
	    int(nreg) .. ',"audit":' .. int(naud) .. '}'
end

local function version(a)
	return '{"version":' .. int(LIBRARY_VERSION) .. '}'
end

---------------------------------------------------------------------------

-- Every function with its argument count after the prefix (argc) and the
-- size of a repeated tail (group, absent: none); audit: it takes who method
-- ids defer first and writes the daemon call's audit entry (audit_reply). The daemon names the same
-- functions and counts in daemon/store_fn.h; tests/unit/test_store_fn.c
-- holds the two against each other.
local FUNCTIONS = {
	{name = 'shd_version', argc = 0, fn = version, readonly = true},
	{name = 'shd_shelter_put', argc = 9, group = 4, fn = shelter_put,
	    audit = true},
	{name = 'shd_shelter_remove', argc = 5, fn = shelter_remove,
	    audit = true},
	{name = 'shd_shelter_get', argc = 1, fn = shelter_get, readonly = true},
	{name = 'shd_shelter_list', argc = 0, fn = shelter_list,
	    readonly = true},
	{name = 'shd_shelter_rows', argc = 3, fn = shelter_rows,
	    readonly = true},
	{name = 'shd_shelter_tabs', argc = 0, group = 3, fn = shelter_tabs},
	{name = 'shd_capacity', argc = 6, group = 3, fn = capacity,
	    audit = true},
	{name = 'shd_intake', argc = 7, fn = intake, audit = true},
	{name = 'shd_departures', argc = 6, fn = departures,
	    audit = true},
	{name = 'shd_case_shelters', argc = 1, fn = shd_case_shelters,
	    readonly = true},
	{name = 'shd_submit', argc = 13, fn = submit, audit = true},
	{name = 'shd_submit_batch', argc = 3, group = 7, fn = submit_batch},
	{name = 'shd_propose', argc = 4, fn = shd_propose},
	{name = 'shd_accept', argc = 5, fn = accept, audit = true},
	{name = 'shd_reject', argc = 1, fn = reject},
	{name = 'shd_cancel', argc = 5, fn = cancel, audit = true},
	{name = 'shd_arrived', argc = 6, fn = arrived, audit = true},
	{name = 'shd_departed', argc = 6, fn = departed,
	    audit = true},
	{name = 'shd_sweep', argc = 0, fn = sweep},
	{name = 'shd_alerts', argc = 7, fn = alerts},
	{name = 'shd_long_stays', argc = 3, fn = long_stays, readonly = true},
	{name = 'shd_placement_report', argc = 2, fn = placement_report,
	    readonly = true},
	{name = 'shd_clock', argc = 0, fn = clock, readonly = true},
	{name = 'shd_clock_advance', argc = 1, fn = clock_advance},
	{name = 'shd_request_get', argc = 2, fn = request_get, readonly = true},
	{name = 'shd_request_list', argc = 4, fn = request_list,
	    readonly = true},
	{name = 'shd_placement_list', argc = 2, fn = placement_list,
	    readonly = true},
	{name = 'shd_waiting', argc = 3, fn = waiting, readonly = true},
	{name = 'shd_stats', argc = 0, fn = stats, readonly = true},
	{name = 'shd_reg_create', argc = 9, fn = reg_create,
	    audit = true},
	{name = 'shd_reg_update', argc = 11, fn = reg_update,
	    audit = true},
	{name = 'shd_reg_get', argc = 1, fn = reg_get, readonly = true},
	{name = 'shd_reg_list', argc = 4, fn = reg_list, readonly = true},
	{name = 'shd_reg_docs', argc = 2, fn = reg_docs, readonly = true},
	{name = 'shd_audit_add', argc = 4, fn = audit_add},
	{name = 'shd_audit_list', argc = 5, fn = audit_list, readonly = true},
	{name = 'shd_retention', argc = 7, fn = retention, audit = true},
}

-- Does a call with n arguments after the prefix fit f?
local function argc_ok(f, n)
	local group = f.group or 0
	if n == f.argc then
		return true
	end
	return group > 0 and n > f.argc and (n - f.argc) % group == 0
end

local function register(f)
	redis.register_function{
		function_name = f.name,
		callback = function(keys, args)
			P = args[1] or ''
			NOW, NOW_ISO, OFFSET, NOW_Q, NOW_S = nil, nil, nil, nil, nil
			if #args == 0 then
				return fail(E.internal, '', f.name ..
				    ' takes the key prefix first')
			end
			if not argc_ok(f, #args - 1) then
				return fail(E.internal, '', f.name .. ' takes ' ..
				    int(f.argc) .. ' arguments after the prefix' ..
				    ((f.group or 0) > 0 and ' and groups of ' ..
				    int(f.group) or '') .. ', not ' ..
				    int(#args - 1))
			end
			if not f.audit then
				return f.fn(args)
			end
			-- who method ids defer come first; the function reads
			-- the rest.
			local a = {args[1], unpack(args, 6)}
			local reply, oids, open = f.fn(a)
			return fields_reply(audit_reply(args, reply, oids, open))
		end,
		flags = f.readonly and {'no-writes'} or {},
	}
end

-- A library runs its top level with few globals (no ipairs): count.
for i = 1, #FUNCTIONS do
	register(FUNCTIONS[i])
end
