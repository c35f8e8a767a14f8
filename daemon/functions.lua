#!lua name=shelterd
--
-- functions.lua: the shelterd Redis function library (docs/store.md).
--
-- Every function takes the key prefix as ARGV[1] and returns one JSON text.
-- A mutation validates first and writes nothing when it refuses; then it
-- writes the state change and appends its events to the stream in the same
-- call, so Redis's atomic function execution is the only lock there is.
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
	state = {CODE.conflict, 'state'},
	version = {CODE.conflict, 'version'},
}

-- Request statuses, in the order shd_stats counts them.
local STATUS = {
	waiting = 'waiting',
	proposed = 'proposed',
	placed = 'placed',
	arrived = 'arrived',
	cancelled = 'cancelled',
}
local STATUS_ORDER = {STATUS.waiting, STATUS.proposed, STATUS.placed,
    STATUS.arrived, STATUS.cancelled}

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
}

local EVENT = {
	capacity_changed = 'capacity.changed',
	shelter_intake = 'shelter.intake',
	shelter_put = 'shelter.put',
	shelter_removed = 'shelter.removed',
	request_waiting = 'request.waiting',
	request_placed = 'request.placed',
	request_arrived = 'request.arrived',
	request_cancelled = 'request.cancelled',
	proposal_created = 'proposal.created',
	proposal_accepted = 'proposal.accepted',
	proposal_rejected = 'proposal.rejected',
	proposal_expired = 'proposal.expired',
	placement_expected = 'placement.expected',
	placement_arrived = 'placement.arrived',
	placement_cancelled = 'placement.cancelled',
}

local P = ''   -- key prefix of the current call
local NOW = nil -- milliseconds of the current call, from TIME

local function key(s)
	return P .. s
end

local function now_ms()
	if NOW == nil then
		local t = redis.call('TIME')
		NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	end
	return NOW
end

local function int(n)
	return string.format('%d', n)
end

-- Milliseconds since the epoch as RFC 3339 UTC, seconds precision
-- (days-to-civil conversion; Redis Lua has no os.date).
local function iso(ms)
	local s = math.floor(ms / 1000)
	local days = math.floor(s / 86400)
	local rem = s - days * 86400
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
	return string.format('%04d-%02d-%02dT%02d:%02d:%02dZ', y, m, d,
	    math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60)
end

local function q(s)
	return cjson.encode(s)
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

-- Append members (a text "k":v,...) to a JSON object text.
local function extend(obj, members)
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

-- Append an event to the stream; returns its id.
local function emit(topic, type, shelter, data)
	return redis.call('XADD', key('events'), 'MAXLEN', '~', MAXLEN, '*',
	    'topic', topic, 'type', type, 'shelter', shelter or '',
	    'at', iso(now_ms()), 'data', data)
end

---------------------------------------------------------------------------
-- Shelters

local function skey(id)
	return key('shelter:' .. id)
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

-- The live shelter document, or nil when there is no such shelter.
local function shelter_json(id)
	local sk = skey(id)
	local h = redis.call('HMGET', sk, 'doc', 'open', 'always', 'version',
	    'updated_at', 'pools')
	if h[1] == false then
		return nil
	end
	local pools = {}
	for i, name in ipairs(words(h[6])) do
		local c = pool_counts(sk, name)
		local pd = hget(sk, 'pd:' .. name) or '{}'
		pools[i] = extend(pd, counts_json(c) .. ',"overbooked":' ..
		    bool(pool_free(c) < 0))
	end
	return extend(h[1], '"intake":{"open":' .. bool(h[2] == '1') ..
	    ',"always":' .. bool(h[3] == '1') .. '},"pools":' ..
	    json_array(pools) .. ',"version":' .. int(tonumber(h[4]) or 0) ..
	    ',"updated_at":' .. q(iso(tonumber(h[5]) or 0)))
end

local function emit_capacity(id)
	local sk = skey(id)
	local pools = {}
	for i, name in ipairs(words(hget(sk, 'pools'))) do
		pools[i] = '{"name":' .. q(name) .. ',' ..
		    counts_json(pool_counts(sk, name)) .. '}'
	end
	emit(TOPIC.capacity, EVENT.capacity_changed, id, '{"shelter_id":' .. q(id) ..
	    ',"version":' .. int(hnum(sk, 'version')) .. ',"pools":' ..
	    json_array(pools) .. '}')
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
	local id, doc, always, open_if_new = a[2], a[3], a[4], a[5]
	local sk = skey(id)
	local names, spec = {}, {}
	for i = 6, #a - 3, 4 do
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
		return '{"shelter":' .. shelter_json(id) ..
		    ',"created":false,"changed":false}'
	end

	redis.call('HSET', sk, 'doc', doc, 'always', always01,
	    'pools', pools_s)
	if exists then
		redis.call('HINCRBY', sk, 'version', 1)
	else
		local open = (open_if_new == '1' or open_if_new == 'true')
		redis.call('HSET', sk, 'open', open and '1' or '0',
		    'reason', '', 'version', 1, 'updated_at', int(now_ms()))
		redis.call('ZADD', key('shelters'), 0, id)
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
	emit(TOPIC.shelter, EVENT.shelter_put, id, '{"shelter_id":' .. q(id) .. '}')
	if #added > 0 or #removed > 0 then
		emit_capacity(id)
	end
	return '{"shelter":' .. shelter_json(id) .. ',"created":' ..
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
	redis.call('DEL', sk)
	redis.call('ZREM', key('shelters'), id)
	emit(TOPIC.shelter, EVENT.shelter_removed, id, '{"shelter_id":' .. q(id) ..
	    '}')
	return '{"id":' .. q(id) .. '}'
end

local function shelter_get(a)
	local s = shelter_json(a[2])
	if s == nil then
		return shelter_not_found(a[2])
	end
	return '{"shelter":' .. s .. '}'
end

local function shelter_list(a)
	local out = {}
	for i, id in ipairs(redis.call('ZRANGE', key('shelters'), 0, -1)) do
		out[i] = shelter_json(id)
	end
	return '{"shelters":' .. json_array(out) .. '}'
end

local function capacity(a)
	local id, if_version = a[2], a[3]
	local sk = skey(id)
	if redis.call('EXISTS', sk) == 0 then
		return shelter_not_found(id)
	end
	local version = hnum(sk, 'version')
	if if_version ~= '' and tonumber(if_version) ~= version then
		return fail(E.version, 'if_version', 'shelter ' .. id ..
		    ' is at version ' .. int(version) .. ', not ' .. if_version)
	end
	local sets = {}
	for i = 4, #a - 2, 3 do
		local name = a[i]
		local c = pool_counts(sk, name)
		if c == nil then
			return fail(E.invalid_field, 'pools.' .. name,
			    'shelter ' .. id .. ' has no pool ' .. name)
		end
		local t = a[i + 1] ~= '' and tonumber(a[i + 1]) or c[1]
		local o = a[i + 2] ~= '' and tonumber(a[i + 2]) or c[2]
		if o > t then
			return fail(E.invalid_field,
			    'pools.' .. name .. '.occupied', 'must not exceed ' ..
			    'the total of ' .. int(t))
		end
		sets[#sets + 1] = {name, t, o}
	end
	for _, s in ipairs(sets) do
		redis.call('HSET', sk, 't:' .. s[1], int(s[2]), 'o:' .. s[1],
		    int(s[3]))
	end
	redis.call('HINCRBY', sk, 'version', 1)
	redis.call('HSET', sk, 'updated_at', int(now_ms()))
	emit_capacity(id)
	return '{"shelter":' .. shelter_json(id) .. '}'
end

local function intake(a)
	local id, open, reason = a[2], a[3] == '1' or a[3] == 'true', a[4] or ''
	local sk = skey(id)
	if redis.call('EXISTS', sk) == 0 then
		return shelter_not_found(id)
	end
	redis.call('HSET', sk, 'open', open and '1' or '0', 'reason', reason)
	redis.call('HINCRBY', sk, 'version', 1)
	emit(TOPIC.capacity, EVENT.shelter_intake, id, '{"shelter_id":' .. q(id) ..
	    ',"open":' .. bool(open) .. ',"reason":' ..
	    (reason ~= '' and q(reason) or 'null') .. '}')
	return '{"shelter":' .. shelter_json(id) .. '}'
end

---------------------------------------------------------------------------
-- Cases: P case:CASE counts, per shelter, the requests of that case it
-- holds (proposed) or expects (placed).

local function case_add(case, shelter, n)
	if case == nil or case == '' then
		return
	end
	local ck = key('case:' .. case)
	if redis.call('HINCRBY', ck, shelter, n) <= 0 then
		redis.call('HDEL', ck, shelter)
	end
end

local function case_shelters(case)
	local out = {}
	if case == nil or case == '' then
		return out
	end
	local h = redis.call('HGETALL', key('case:' .. case))
	for i = 1, #h, 2 do
		if tonumber(h[i + 1]) > 0 then
			out[#out + 1] = h[i]
		end
	end
	table.sort(out)
	return out
end

local function shd_case_shelters(a)
	return '{"shelters":' .. quoted_array(case_shelters(a[2])) .. '}'
end

---------------------------------------------------------------------------
-- Requests and proposals

local function rkey(id)
	return key('req:' .. id)
end

local function pkey(id)
	return key('proposal:' .. id)
end

local function proposal_json(id)
	local h = redis.call('HMGET', pkey(id), 'request_id', 'shelter_id',
	    'pool', 'score', 'scores', 'status', 'expires_at', 'alternatives')
	if h[1] == false then
		return nil
	end
	return '{"id":' .. q(id) .. ',"request_id":' .. q(h[1]) ..
	    ',"shelter_id":' .. q(h[2]) .. ',"pool":' .. q(h[3]) ..
	    ',"score":' .. h[4] .. ',"scores":' .. h[5] .. ',"status":' ..
	    q(h[6]) .. ',"expires_at":' .. q(iso(tonumber(h[7]))) ..
	    ',"alternatives":' .. h[8] .. '}'
end

local function request_json(id)
	local h = redis.call('HMGET', rkey(id), 'doc', 'status', 'created_at',
	    'updated_at', 'proposal', 'pl_shelter', 'pl_pool', 'pl_proposal',
	    'rejected')
	if h[1] == false then
		return nil
	end
	local prop = 'null'
	if h[5] and h[5] ~= '' then
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
	    quoted_array(words(h[9])))
end

local function open_proposal_json(rid)
	local pid = hget(rkey(rid), 'proposal')
	if pid == nil or pid == '' then
		return 'null'
	end
	return proposal_json(pid) or 'null'
end

-- Move a request to a status, keeping the status sets in step.
local function set_status(rid, status)
	local rk = rkey(rid)
	local old = hget(rk, 'status')
	local seq = hget(rk, 'seq')
	if old then
		redis.call('ZREM', key('status:' .. old), rid)
	end
	redis.call('ZADD', key('status:' .. status), seq, rid)
	redis.call('HSET', rk, 'status', status, 'updated_at', int(now_ms()))
end

-- Back on the waitlist in its original place: urgency first, then age.
local function enqueue(rid)
	local rk = rkey(rid)
	local score = hnum(rk, 'urgency') * 1e13 + hnum(rk, 'seq')
	redis.call('ZADD', key('waitlist'), string.format('%.0f', score), rid)
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
	    proposal_json(pid) .. ',"request_id":' .. q(h[1]) .. '}')
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

-- Try the candidates in order and hold the first free place. Returns the
-- new proposal id, or nil when no candidate has a place now.
local function propose(rid, ttl_s, nalt, cands)
	local rk = rkey(rid)
	local r = redis.call('HMGET', rk, 'case', 'co', 'rejected')
	local case, co, rejected = r[1] or '', r[2] or 'any', words(r[3])
	local apart = co == 'apart' and case ~= ''
	for i, c in ipairs(cands) do
		local sid = c.shelter_id
		local sk = type(sid) == 'string' and skey(sid)
		local ok = sk and hget(sk, 'open') == '1' and
		    not in_list(rejected, sid) and
		    not (apart and hnum(key('case:' .. case), sid) > 0) and
		    type(c.pools) == 'table'
		local pool = nil
		if ok then
			for _, name in ipairs(c.pools) do
				local counts = pool_counts(sk, name)
				if counts and pool_free(counts) >= 1 then
					pool = name
					break
				end
			end
		end
		if pool then
			local pid = 'prop-' .. int(redis.call('HINCRBY',
			    key('seq'), 'proposal', 1))
			local alts = {}
			for j = i + 1, math.min(#cands, i + nalt) do
				local ac = cands[j]
				local ap = type(ac.pools) == 'table' and ac.pools[1]
				alts[#alts + 1] = '{"shelter_id":' ..
				    q(ac.shelter_id) .. ',"pool":' ..
				    (ap and q(ap) or 'null') .. ',"score":' ..
				    cjson.encode(ac.score or 0) .. '}'
			end
			local expires = now_ms() + ttl_s * 1000
			redis.call('HINCRBY', sk, 'h:' .. pool, 1)
			redis.call('HSET', pkey(pid), 'request_id', rid,
			    'shelter_id', sid, 'pool', pool,
			    'score', cjson.encode(c.score or 0),
			    'scores', type(c.scores) == 'table' and
			    next(c.scores) ~= nil and cjson.encode(c.scores) or '{}',
			    'status', PROPOSAL_STATUS.open, 'expires_at', int(expires),
			    'alternatives', json_array(alts),
			    'created_at', int(now_ms()))
			redis.call('ZADD', key('holds'), int(expires), pid)
			redis.call('HSET', rk, 'proposal', pid)
			redis.call('ZREM', key('waitlist'), rid)
			set_status(rid, STATUS.proposed)
			case_add(case, sid, 1)
			emit_proposal(pid, EVENT.proposal_created)
			emit_capacity(sid)
			return pid
		end
	end
	return nil
end

local URGENCY = {immediate = 0, days = 1, planned = 2}

local function submit(a)
	local ref, doc, urgency, case, co, hh = a[2], a[3], a[4], a[5], a[6],
	    a[7]
	local ttl_s, nalt = tonumber(a[8]) or 1800, tonumber(a[9]) or 0
	local rid = redis.call('GET', key('ref:' .. ref))
	if rid then
		return '{"duplicate":true,"request":' .. request_json(rid) ..
		    ',"proposal":' .. open_proposal_json(rid) .. '}'
	end
	local cands = cjson.decode(a[10] ~= '' and a[10] or '[]')
	local u = URGENCY[urgency] or tonumber(urgency) or 1

	rid = 'req-' .. int(redis.call('HINCRBY', key('seq'), 'request', 1))
	local seq = string.sub(rid, 5)
	local now = int(now_ms())
	redis.call('HSET', rkey(rid), 'doc', doc, 'ref', ref,
	    'created_at', now, 'updated_at', now, 'seq', seq,
	    'urgency', int(u), 'case', case, 'co', co ~= '' and co or 'any',
	    'hh', hh, 'proposal', '', 'pl_shelter', '', 'pl_pool', '',
	    'pl_proposal', '', 'rejected', '')
	redis.call('SET', key('ref:' .. ref), rid)
	redis.call('ZADD', key('requests'), seq, rid)
	set_status(rid, STATUS.waiting)
	local pid = propose(rid, ttl_s, nalt, cands)
	if pid == nil then
		enqueue(rid)
		emit_request(rid, EVENT.request_waiting, '')
	end
	return '{"duplicate":false,"request":' .. request_json(rid) ..
	    ',"proposal":' .. (pid and proposal_json(pid) or 'null') .. '}'
end

local function request_not_found(id, field)
	return fail(E.request, field or 'id', 'request ' .. id ..
	    ' not found')
end

local function shd_propose(a)
	local rid = a[2]
	local status = hget(rkey(rid), 'status')
	if status == nil then
		return request_not_found(rid)
	end
	if status == STATUS.waiting then
		local cands = cjson.decode(a[5] ~= '' and a[5] or '[]')
		propose(rid, tonumber(a[3]) or 1800, tonumber(a[4]) or 0,
		    cands)
	end
	return '{"request":' .. request_json(rid) .. ',"proposal":' ..
	    open_proposal_json(rid) .. '}'
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
	case_add(hget(rkey(rid), 'case'), sid, -1)
	return rid, sid
end

-- An open proposal past its deadline: expired, the request waits again.
local function expire(pid)
	local rid, sid = release(pid, PROPOSAL_STATUS.expired)
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
	    'pl_pool', pool, 'pl_proposal', pid)
	set_status(rid, STATUS.placed)
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
	set_status(rid, STATUS.waiting)
	enqueue(rid)
	emit_proposal(pid, EVENT.proposal_rejected)
	emit_request(rid, EVENT.request_waiting, '')
	emit_capacity(sid)
	return '{"proposal":' .. proposal_json(pid) .. ',"request":' ..
	    request_json(rid) .. '}'
end

local function cancel(a)
	local rid = a[2]
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
	local sid = nil
	if status == STATUS.waiting then
		redis.call('ZREM', key('waitlist'), rid)
	elseif status == STATUS.proposed then
		local pid = hget(rk, 'proposal') or ''
		if pid ~= '' then
			local _
			_, sid = release(pid, PROPOSAL_STATUS.cancelled)
		end
	else
		local h = redis.call('HMGET', rk, 'pl_shelter', 'pl_pool',
		    'case')
		sid = h[1]
		local sk = skey(sid)
		if pool_counts(sk, h[2]) then
			redis.call('HINCRBY', sk, 'e:' .. h[2], -1)
		end
		case_add(h[3], sid, -1)
	end
	set_status(rid, STATUS.cancelled)
	emit_request(rid, EVENT.request_cancelled, sid or '')
	if status == STATUS.placed then
		emit_placement(rid, EVENT.placement_cancelled)
	end
	if sid and redis.call('EXISTS', skey(sid)) == 1 then
		emit_capacity(sid)
	end
	return '{"request":' .. request_json(rid) .. '}'
end

local function arrived(a)
	local rid, own = a[2], a[3] or ''
	local rk = rkey(rid)
	local h = redis.call('HMGET', rk, 'status', 'pl_shelter', 'pl_pool',
	    'case')
	if h[1] == false then
		return request_not_found(rid, 'request_id')
	end
	local sid, pool = h[2] or '', h[3] or ''
	if h[1] ~= STATUS.placed then
		return fail(E.state, 'request_id', 'request ' .. rid ..
		    ' is ' .. h[1] .. ', not placed')
	end
	if own ~= '' and sid ~= own then
		return fail(E.not_own_shelter, 'request_id', 'request ' ..
		    rid .. ' is placed in another shelter')
	end
	local sk = skey(sid)
	if pool_counts(sk, pool) then
		redis.call('HINCRBY', sk, 'e:' .. pool, -1)
		redis.call('HINCRBY', sk, 'o:' .. pool, 1)
	end
	case_add(h[4], sid, -1)
	set_status(rid, STATUS.arrived)
	emit_request(rid, EVENT.request_arrived, sid)
	emit_placement(rid, EVENT.placement_arrived)
	if redis.call('EXISTS', sk) == 1 then
		emit_capacity(sid)
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
	local r = request_json(a[2])
	if r == nil then
		return request_not_found(a[2])
	end
	return '{"request":' .. r .. '}'
end

local function request_list(a)
	local limit = tonumber(a[3]) or 100
	if limit < 1 then
		limit = 100
	end
	local ids = {}
	if (a[2] or '') == '' then
		ids = redis.call('ZRANGE', key('requests'), 0, limit - 1)
	else
		local all = {}
		for s in string.gmatch(a[2], '[^,%s]+') do
			local r = redis.call('ZRANGE', key('status:' .. s), 0,
			    limit - 1, 'WITHSCORES')
			for i = 1, #r, 2 do
				all[#all + 1] = {r[i], tonumber(r[i + 1])}
			end
		end
		table.sort(all, function(x, y) return x[2] < y[2] end)
		for i = 1, math.min(limit, #all) do
			ids[i] = all[i][1]
		end
	end
	local out = {}
	for i, id in ipairs(ids) do
		out[i] = request_json(id)
	end
	return '{"requests":' .. json_array(out) .. '}'
end

local function waiting(a)
	local limit = tonumber(a[2]) or 100
	if limit < 1 then
		limit = 100
	end
	local out = {}
	for i, rid in ipairs(redis.call('ZRANGE', key('waitlist'), 0,
	    limit - 1)) do
		local h = redis.call('HMGET', rkey(rid), 'doc', 'rejected',
		    'case')
		out[i] = '{"id":' .. q(rid) .. ',"doc":' .. h[1] ..
		    ',"rejected":' .. quoted_array(words(h[2])) ..
		    ',"case_shelters":' .. quoted_array(case_shelters(h[3])) ..
		    '}'
	end
	return '{"requests":' .. json_array(out) .. '}'
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
	-- The status set is ordered by seq: its first member is the oldest.
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
	    '},"oldest_waiting_ms":' .. int(oldest) .. '}'
end

local function version(a)
	return '{"version":' .. int(LIBRARY_VERSION) .. '}'
end

---------------------------------------------------------------------------

-- Every function with its argument count after the prefix (argc) and the
-- size of a repeated tail (group, absent: none). The daemon names the same
-- functions and counts in daemon/store_fn.h; tests/unit/test_store_fn.c
-- holds the two against each other.
local FUNCTIONS = {
	{name = 'shd_version', argc = 0, fn = version, readonly = true},
	{name = 'shd_shelter_put', argc = 4, group = 4, fn = shelter_put},
	{name = 'shd_shelter_remove', argc = 1, fn = shelter_remove},
	{name = 'shd_shelter_get', argc = 1, fn = shelter_get, readonly = true},
	{name = 'shd_shelter_list', argc = 0, fn = shelter_list,
	    readonly = true},
	{name = 'shd_capacity', argc = 2, group = 3, fn = capacity},
	{name = 'shd_intake', argc = 3, fn = intake},
	{name = 'shd_case_shelters', argc = 1, fn = shd_case_shelters,
	    readonly = true},
	{name = 'shd_submit', argc = 9, fn = submit},
	{name = 'shd_propose', argc = 4, fn = shd_propose},
	{name = 'shd_accept', argc = 1, fn = accept},
	{name = 'shd_reject', argc = 1, fn = reject},
	{name = 'shd_cancel', argc = 1, fn = cancel},
	{name = 'shd_arrived', argc = 2, fn = arrived},
	{name = 'shd_sweep', argc = 0, fn = sweep},
	{name = 'shd_request_get', argc = 1, fn = request_get, readonly = true},
	{name = 'shd_request_list', argc = 2, fn = request_list,
	    readonly = true},
	{name = 'shd_waiting', argc = 1, fn = waiting, readonly = true},
	{name = 'shd_stats', argc = 0, fn = stats, readonly = true},
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
			NOW = nil
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
			return f.fn(args)
		end,
		flags = f.readonly and {'no-writes'} or {},
	}
end

-- A library runs its top level with few globals (no ipairs): count.
for i = 1, #FUNCTIONS do
	register(FUNCTIONS[i])
end
