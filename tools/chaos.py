#!/usr/bin/env python3
"""chaos.py: kill -9 of shelterd and of Redis under mixed load, N rounds,
then every invariant checked and every acknowledged call accounted for.

Usage: chaos.py [--build DIR] [--rounds N] [--seed S]

Two load threads each drive their own requests through submit, accept,
reject, cancel and arrival, recording every call that was answered (and
how). The main thread kills shelterd or Redis with SIGKILL at a random
moment each round and starts it again. At the end, with the load
stopped:
  - every acknowledged submit exists, with its ref;
  - every request whose last call was acknowledged is in the status that
    answer gave (a later call without an answer, or outcome_unknown, only
    makes it "unsettled": its status must then be one that call or the
    acknowledged one could leave);
  - no double booking, read from Redis in one atomic script: for every
    pool, held equals its open proposals and the requests proposed there,
    expected the placed ones, and held + expected + occupied never exceeds
    total; every request is in the status set of its status.
Prints the figures and exits 1 on any violation.
"""

import argparse
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Daemon,  # noqa
                     Redis, RpcError, request, shelter)

# Statuses each call leaves a request in when it succeeds.
AFTER = {
    "submit": {"proposed", "waiting"},
    "accept": {"placed"},
    "reject": {"proposed", "waiting"},
    "cancel": {"cancelled"},
    "arrived": {"arrived"},
}


class Load(threading.Thread):
    """One connection, its own requests, calls until told to stop."""

    def __init__(self, name, daemon, rng, stats):
        super().__init__(daemon=True)
        self.name = name
        self.d = daemon
        self.rng = rng
        self.stats = stats
        self.stop = threading.Event()
        self.c = None
        self.reqs = {}  # rid -> {ref, status, proposal, shelter, unsettled}
        self.acked_refs = {}  # ref -> rid
        self.n = 0

    def client(self):
        if self.c is None:
            self.c = self.d.client("admin", timeout=5)
        return self.c

    def drop(self):
        if self.c is not None:
            try:
                self.c.close()
            except Exception:
                pass
        self.c = None

    def call(self, method, params):
        """The result, or None (counted by reason). Raises nothing."""
        try:
            c = self.client()
        except Exception:
            time.sleep(0.1)  # the daemon is restarting: nothing sent
            return None, RpcError({"error": {"code": -32010, "data": {
                "reason": "not_connected"}}})
        self.stats["sent"] += 1
        try:
            r = c.call(method, params, timeout=5)
            self.stats["acked"] += 1
            return r, None
        except RpcError as e:
            key = "%s %s" % (e.code, e.reason)
            self.stats["errors"][key] = self.stats["errors"].get(key, 0) + 1
            return None, e
        except Exception:
            self.stats["no_answer"] += 1
            self.drop()
            time.sleep(0.05)
            return None, None

    def pick(self, statuses):
        ids = [rid for rid, q in self.reqs.items()
               if q["status"] in statuses and not q["unsettled"]]
        return self.rng.choice(ids) if ids else None

    def step(self):
        r = self.rng.random()
        if r < 0.45 or not self.reqs:
            self.n += 1
            ref = "CH-%s-%05d" % (self.name, self.n)
            res, err = self.call("request.submit",
                                 {"request": request(ref)})
            if res is not None:
                rid = res["request"]["id"]
                self.acked_refs[ref] = rid
                self.reqs[rid] = self.state(res["request"], "submit")
            return
        if r < 0.65:
            rid, method, op = self.pick({"proposed"}), "proposal.accept", \
                "accept"
        elif r < 0.75:
            rid, method, op = self.pick({"proposed"}), "proposal.reject", \
                "reject"
        elif r < 0.9:
            rid, method, op = self.pick({"waiting", "proposed", "placed"}), \
                "request.cancel", "cancel"
        else:
            rid, method, op = self.pick({"placed"}), "placement.arrived", \
                "arrived"
        if rid is None:
            return
        q = self.reqs[rid]
        if op in ("accept", "reject"):
            params = {"id": q["proposal"]}
            if op == "reject":
                params["reason"] = "chaos"
        elif op == "cancel":
            params = {"id": rid, "reason": "chaos"}
        else:
            params = {"request_id": rid}
        res, err = self.call(method, params)
        if res is not None:
            self.reqs[rid] = dict(self.state(res["request"], op),
                                  unsettled=False)
        elif err is None or err.reason == "outcome_unknown":
            q["unsettled"] = True
            q["maybe"] = AFTER[op]
        elif err.code == -32009:
            q["unsettled"] = True  # e.g. the hold expired meanwhile
            q["maybe"] = set(AFTER["submit"]) | {"cancelled"}
        # store_unavailable: nothing happened, q stays as it is

    @staticmethod
    def state(doc, op):
        prop = doc.get("proposal") or {}
        place = doc.get("placement") or {}
        return {"ref": doc["ref"], "status": doc["status"],
                "proposal": prop.get("id"), "op": op,
                "shelter": prop.get("shelter_id") or place.get("shelter_id"),
                "unsettled": False, "maybe": set()}

    def run(self):
        while not self.stop.is_set():
            self.step()
            time.sleep(self.rng.uniform(0.0, 0.01))
        self.drop()


def wait_up(d, timeout=20):
    harness.wait_until(lambda: d.client("admin").call("stats.get"),
                       timeout, 0.1, "the store back")


def check(d, r, loads):
    """The violations, as sentences."""
    bad = []
    c = d.client("admin", timeout=10)
    for ld in loads:
        for ref, rid in ld.acked_refs.items():
            try:
                got = c.call("request.get", {"id": rid})["request"]
            except RpcError as e:
                bad.append("acknowledged submit %s (%s) lost: %s"
                           % (ref, rid, e))
                continue
            q = ld.reqs[rid]
            if got["ref"] != ref:
                bad.append("%s has ref %s, not %s" % (rid, got["ref"], ref))
            ok = {q["status"]} | (q["maybe"] if q["unsettled"] else set())
            # The waitlist moves on its own: a freed place proposes a
            # waiting request, an expired hold makes it wait again.
            if ok & {"waiting", "proposed"}:
                ok |= {"waiting", "proposed"}
            if got["status"] not in ok:
                bad.append("%s is %s, but the last answer said %s%s"
                           % (rid, got["status"], q["status"],
                              " (or %s)" % sorted(q["maybe"])
                              if q["unsettled"] else ""))
    c.close()
    bad += store_audit(r)
    return bad


# The stored truth in one atomic read (the daemon's calls are several
# snapshots, between which the waitlist may move): per pool of every
# shelter its counts, the open proposals there and the requests proposed
# and placed there; and every request whose status hash and status set
# disagree, or that is proposed without an open proposal.
AUDIT = """
local P = ARGV[1]
local at, out = {}, {}
local function bump(k, i)
	at[k] = at[k] or {0, 0, 0}
	at[k][i] = at[k][i] + 1
end
for _, pid in ipairs(redis.call('ZRANGE', P .. 'holds', 0, -1)) do
	local h = redis.call('HMGET', P .. 'proposal:' .. pid, 'shelter_id',
	    'pool', 'status')
	if h[3] == 'open' then
		bump(h[1] .. '/' .. h[2], 1)
	end
end
for _, rid in ipairs(redis.call('ZRANGE', P .. 'requests', 0, -1)) do
	local st = redis.call('HGET', P .. 'req:' .. rid, 'status')
	if not st or not redis.call('ZSCORE', P .. 'status:' .. st, rid) then
		out[#out + 1] = rid .. ' is ' .. tostring(st) ..
		    ' but not in that status set'
	end
end
for _, st in ipairs({'proposed', 'placed'}) do
	for _, rid in ipairs(redis.call('ZRANGE', P .. 'status:' .. st, 0, -1)) do
		local h = redis.call('HMGET', P .. 'req:' .. rid, 'status',
		    'proposal', 'pl_shelter', 'pl_pool')
		if h[1] ~= st then
			out[#out + 1] = rid .. ' is in the ' .. st .. ' set but ' ..
			    tostring(h[1])
		elseif st == 'proposed' then
			local p = redis.call('HMGET', P .. 'proposal:' .. (h[2] or ''),
			    'shelter_id', 'pool', 'status')
			if p[3] ~= 'open' then
				out[#out + 1] = rid .. ' is proposed, its proposal ' ..
				    tostring(h[2]) .. ' is ' .. tostring(p[3])
			else
				bump(p[1] .. '/' .. p[2], 2)
			end
		else
			bump(h[3] .. '/' .. h[4], 3)
		end
	end
end
for _, sid in ipairs(redis.call('ZRANGE', P .. 'shelters', 0, -1)) do
	local sk = P .. 'shelter:' .. sid
	for name in string.gmatch(redis.call('HGET', sk, 'pools') or '', '%S+') do
		local v = redis.call('HMGET', sk, 't:' .. name, 'o:' .. name,
		    'h:' .. name, 'e:' .. name)
		local c = at[sid .. '/' .. name] or {0, 0, 0}
		out[#out + 1] = table.concat({'pool', sid .. '/' .. name, v[1], v[2],
		    v[3], v[4], c[1], c[2], c[3]}, ' ')
	end
end
return out
"""


def store_audit(r):
    """The violations the stored state shows, as sentences."""
    bad = []
    for line in r.cmd("EVAL", AUDIT, "0", "shelterd:", timeout=10):
        w = line.split()
        if w[0] != "pool":
            bad.append(line)
            continue
        where = w[1]
        total, occ, held, exp, holds, proposed, placed = map(int, w[2:])
        if held != holds or held != proposed:
            bad.append("%s holds %d, with %d open proposals and %d "
                       "requests proposed there"
                       % (where, held, holds, proposed))
        if exp != placed:
            bad.append("%s expects %d, %d requests placed there"
                       % (where, exp, placed))
        if held + exp + occ > total:
            bad.append("%s double booked: total %d, occupied %d, held %d, "
                       "expected %d" % (where, total, occ, held, exp))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    os.environ["SHELTERD_BUILD"] = a.build
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    stats = {"sent": 0, "acked": 0, "no_answer": 0, "errors": {}}
    kills = {"shelterd": 0, "redis": 0}
    seeds = [shelter(DEFAULT_SHELTER_ID, total=60),
             shelter(OTHER_SHELTER_ID, municipality="Zwolle", total=60)]
    t0 = time.monotonic()
    with Redis() as r, Daemon(r, shelters=seeds,
                              matching={"hold_ttl_s": 600}) as d:
        loads = [Load(n, d, random.Random(rng.random()), stats)
                 for n in ("a", "b")]
        for ld in loads:
            ld.start()
        try:
            for rnd in range(a.rounds):
                time.sleep(rng.uniform(0.5, 2.0))
                if rng.random() < 0.5:
                    kills["shelterd"] += 1
                    d.kill()
                    d.start()
                else:
                    kills["redis"] += 1
                    r.kill()
                    time.sleep(rng.uniform(0.0, 0.5))
                    r.start()
                    wait_up(d)
            time.sleep(1.0)
        finally:
            for ld in loads:
                ld.stop.set()
            for ld in loads:
                ld.join(timeout=15)
        wait_up(d)
        bad = check(d, r, loads)
        # What the daemon and Redis said, for the diagnosis of a violation.
        said = ["shelterd: " + ln for ln in d.log_text().splitlines()
                if " err " in ln or " warn " in ln][-30:]
        said += ["redis: " + ln for ln in r.log_text().splitlines()[-15:]]
    acked_submits = sum(len(ld.acked_refs) for ld in loads)
    requests = sum(len(ld.reqs) for ld in loads)
    unsettled = sum(1 for ld in loads for q in ld.reqs.values()
                    if q["unsettled"])
    print("chaos: seed %d, %d rounds in %.0f s: %d kill -9 of shelterd, "
          "%d of Redis" % (seed, a.rounds, time.monotonic() - t0,
                           kills["shelterd"], kills["redis"]))
    print("chaos: %d calls sent, %d acknowledged, %d without an answer "
          "(connection lost)" % (stats["sent"], stats["acked"],
                                 stats["no_answer"]))
    for k in sorted(stats["errors"]):
        print("chaos: error %s: %d" % (k, stats["errors"][k]))
    print("chaos: %d acknowledged submits, %d requests checked (%d "
          "unsettled by a call without an answer)"
          % (acked_submits, requests, unsettled))
    print("chaos: %d violations (lost acknowledged writes, wrong status, "
          "double bookings)" % len(bad))
    for b in bad[:50]:
        print("chaos: VIOLATION " + b)
    for ln in said if bad else []:
        print("chaos: " + ln)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
