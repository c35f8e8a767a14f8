"""Requests that fit nowhere wait, with an explanation, and are matched again
(urgency first, then age) when a place frees up."""

import time

from harness import (DEFAULT_SHELTER_ID, Env, pool, pool_of, request,
                     shelter, wait_until)


def status(c, rid):
    return c.call("request.get", {"id": rid})["request"]["status"]


def test_full_shelter_explanation():
    full = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=2,
                                                   occupied=2)])
    with Env(shelters=[full]) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("WAIT-1")})
        assert sub["proposal"] is None
        assert sub["request"]["status"] == "waiting"
        ex = sub["explanation"]
        assert ex["total"] == 1 and ex["eligible"] == 0, ex
        assert ex["reasons"] == {"no_free_place": 1}, ex
        assert ex["near_misses"] == [{"shelter_id": DEFAULT_SHELTER_ID,
                                      "failed": ["no_free_place"]}], ex
        assert ex["message"].startswith(
            "0/1 shelters can take this request"), ex["message"]
        assert "no free place" in ex["message"], ex["message"]
        assert ex["message"].endswith("."), ex["message"]


def test_explanation_counts_every_failing_filter():
    seed = [
        # Only no free place.
        shelter("t-w-full", municipality="Zwolle", care=["trauma", "medical"],
                pools=[pool("main", total=1, occupied=1)]),
        # Only too close to the exploitation location.
        shelter("t-w-close", municipality="Rotterdam", care=["medical"],
                total=2),
        # Only lacks the required care.
        shelter("t-w-care", municipality="Zwolle", care=["trauma"], total=2),
        # Only closed for intake.
        shelter("t-w-shut", municipality="Zwolle", care=["medical"], total=2,
                intake={"open": False, "always": False}),
        # Too close and lacking care: not a near miss.
        shelter("t-w-two", municipality="Rotterdam", care=["trauma"],
                total=2),
    ]
    req = request("WAIT-EX", needs=["medical"],
                  exploitation={"sector": "labour",
                                "location": {"municipality": "Rotterdam"}},
                  safety={"min_distance_km": 50})
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        for ex in (c.call("match.preview", {"request": req})["explanation"],
                   c.call("request.submit", {"request": req})["explanation"]):
            assert ex["total"] == 5 and ex["eligible"] == 0, ex
            assert ex["reasons"] == {"no_free_place": 1, "too_close": 2,
                                     "care": 2, "intake_closed": 1}, ex
            misses = {m["shelter_id"]: m["failed"] for m in ex["near_misses"]}
            assert misses == {"t-w-full": ["no_free_place"],
                              "t-w-close": ["too_close"],
                              "t-w-care": ["care"],
                              "t-w-shut": ["intake_closed"]}, misses
            msg = ex["message"]
            assert msg.startswith("0/5 shelters can take this request"), msg
            assert "1 no free place" in msg, msg
            assert "2 within 50 km of the exploitation location" in msg, msg
            assert "2 lack required care (medical)" in msg, msg
            assert "1 closed for intake" in msg, msg


def test_waitlist_order_urgency_then_age():
    full = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=4,
                                                   occupied=4)])
    with Env(shelters=[full]) as env:
        c = env.client("coordinator")
        ids = {}
        for ref, urgency in [("Q-days-old", "days"), ("Q-planned", "planned"),
                             ("Q-immediate", "immediate"),
                             ("Q-days-new", "days")]:
            sub = c.call("request.submit", {"request": request(
                ref, urgency=urgency)})
            assert sub["request"]["status"] == "waiting"
            ids[ref] = sub["request"]["id"]
        expected_order = ["Q-immediate", "Q-days-old", "Q-days-new",
                          "Q-planned"]
        admin = env.client("admin")
        served = []
        for step, ref in enumerate(expected_order, start=1):
            # One more free place.
            admin.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                            "pools": {"main": {
                                                "occupied": 4 - step}}})
            wait_until(lambda: status(c, ids[ref]) == "proposed", 5,
                       what="%s proposed" % ref)
            served.append(ref)
            for other in expected_order[step:]:
                assert status(c, ids[other]) == "waiting", (
                    "%s proposed before %s" % (other, ref))
            p = pool_of(c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
                "shelter"], "main")
            assert p["free"] == 0 and p["held"] == step, p
        assert served == expected_order


def test_freed_place_goes_to_waiting_request_on_cancel_and_reject():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)]) as env:
        c = env.client("coordinator")
        a = c.call("request.submit", {"request": request("FREE-A")})
        b = c.call("request.submit", {"request": request("FREE-B")})
        d = c.call("request.submit", {"request": request("FREE-C")})
        assert a["proposal"] and not b["proposal"] and not d["proposal"]
        # Cancelling A frees its hold: B (older) gets it.
        c.call("request.cancel", {"id": a["request"]["id"], "reason": "x"})
        wait_until(lambda: status(c, b["request"]["id"]) == "proposed", 5,
                   what="B proposed after A cancelled")
        assert status(c, d["request"]["id"]) == "waiting"
        # B rejects it: the place goes to C, B waits (it rejected the only
        # shelter).
        prop = c.call("request.get", {"id": b["request"]["id"]})["request"][
            "proposal"]
        rej = c.call("proposal.reject", {"id": prop["id"], "reason": "x"})
        assert rej["next"] is None
        wait_until(lambda: status(c, d["request"]["id"]) == "proposed", 5,
                   what="C proposed after B rejected")
        assert status(c, b["request"]["id"]) == "waiting"


def test_new_shelter_wakes_the_waitlist():
    with Env() as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("NEW-1")})
        ex = sub["explanation"]
        assert ex["total"] == 0 and ex["eligible"] == 0
        assert ex["message"].startswith("0/0 shelters can take this request")
        admin = env.client("admin")
        admin.call("shelter.put", {"shelter": shelter("t-new", total=1)})
        wait_until(lambda: status(c, sub["request"]["id"]) == "proposed", 5,
                   what="proposal after a shelter was added")


def explain(c, req):
    return c.call("match.preview", {"request": req})["explanation"]


def test_each_filter_is_named():
    seed = [shelter("t-f-cosm", program="cosm", total=2, care=["trauma"],
                    pools=[pool("main", genders=["f", "m", "x"],
                                children_max=1, boys_max_age=12, total=2)]),
            shelter("t-f-omm", program="omm", total=2,
                    care=["psychiatric", "trauma"], municipality="Zwolle")]
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        # A minor never goes to COSM or OMM.
        ex = explain(c, request("F-MINOR", age=16))
        assert ex["eligible"] == 0 and ex["reasons"].get("eligibility") == 2, \
            ex
        # OMM needs psychiatric, addiction or intellectual disability.
        ex = explain(c, request("F-OMM", program="omm"))
        assert ex["reasons"].get("program") == 1, ex  # the COSM shelter
        assert ex["reasons"].get("eligibility") == 1, ex
        # Security below the minimum.
        ex = explain(c, request("F-SEC", safety={"min_security": "secret"}))
        assert ex["reasons"].get("security") == 2, ex
        # A boy older than boys_max_age; two children for one child place.
        ex = explain(c, request("F-BOY", program="cosm",
                                children=[{"age": 14, "gender": "m"}]))
        assert {"shelter_id": "t-f-cosm", "failed": ["household"]} in \
            ex["near_misses"], ex
        ex = explain(c, request("F-TWO", program="cosm",
                                children=[{"age": 3}, {"age": 5}]))
        assert {"shelter_id": "t-f-cosm", "failed": ["household"]} in \
            ex["near_misses"], ex
        ex = explain(c, request("F-GIRL", program="cosm",
                                children=[{"age": 3, "gender": "f"}]))
        assert ex["eligible"] == 1, ex
        # Residence outside COSM's rules.
        ex = explain(c, request("F-RES", program="cosm", residence="nl"))
        assert {"shelter_id": "t-f-cosm", "failed": ["eligibility"]} in \
            ex["near_misses"], ex
        # Everything fine: both eligible for an OMM-eligible adult.
        ex = explain(c, request("F-OK", needs=["psychiatric"]))
        assert ex["eligible"] == 1 and ex["reasons"].get("care") == 1, ex


def test_co_victims_apart_are_kept_apart():
    seed = [shelter("t-apart-1", total=3),
            shelter("t-apart-2", municipality="Zwolle",
                    pools=[pool("main", total=1, occupied=1)])]
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        a = c.call("request.submit", {"request": request(
            "APART-A", safety={"case": "CASE-7", "co_victims": "apart"})})
        assert a["proposal"]["shelter_id"] == "t-apart-1"
        b = c.call("request.submit", {"request": request(
            "APART-B", safety={"case": "CASE-7", "co_victims": "apart"})})
        assert b["proposal"] is None, "co-victims placed together"
        assert b["explanation"]["reasons"] == {"case_conflict": 1,
                                               "no_free_place": 1}, \
            b["explanation"]
        # A place frees in the other shelter: B goes there, not to the
        # shelter that holds A although it has room.
        env.client("admin").call("shelter.capacity", {
            "id": "t-apart-2", "pools": {"main": {"occupied": 0}}})
        wait_until(lambda: status(c, b["request"]["id"]) == "proposed", 5,
                   what="B proposed in the other shelter")
        r = c.call("request.get", {"id": b["request"]["id"]})["request"]
        assert r["proposal"]["shelter_id"] == "t-apart-2"
        # Without a shared case, nothing is in the way.
        d = c.call("request.submit", {"request": request(
            "APART-C", safety={"case": "CASE-8", "co_victims": "apart"})})
        assert d["proposal"]["shelter_id"] == "t-apart-1"


def test_single_adult_does_not_take_a_family_place():
    s = shelter(DEFAULT_SHELTER_ID, pools=[
        pool("family", genders=["f"], children_max=2, total=1),
        pool("single", genders=["f"], total=1)])
    with Env(shelters=[s]) as env:
        c = env.client("coordinator")
        alone = c.call("request.submit", {"request": request("POOL-1")})
        assert alone["proposal"]["pool"] == "single"
        mother = c.call("request.submit", {"request": request(
            "POOL-2", children=[{"age": 2, "gender": "f"}])})
        assert mother["proposal"]["pool"] == "family"


def test_expired_request_keeps_its_place_in_the_queue():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)],
             matching={"hold_ttl_s": 1}) as env:
        c = env.client("coordinator")
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["proposals"]})
        a = c.call("request.submit", {"request": request("KEEP-A")})
        b = c.call("request.submit", {"request": request("KEEP-B")})
        assert a["proposal"] and b["proposal"] is None
        ev = w.wait_event(lambda e: e["type"] == "proposal.expired", 5)
        assert ev["data"]["request_id"] == a["request"]["id"]
        nxt = w.wait_event(lambda e: e["type"] == "proposal.created", 5)
        assert nxt["data"]["request_id"] == a["request"]["id"], \
            "the older request lost its place in the queue to a newer one"
        assert status(c, b["request"]["id"]) == "waiting"


def submit_many(c, reqs):
    """Submit every request pipelined; the results in order."""
    ids = [c.request({"jsonrpc": "2.0", "id": 10000 + i,
                      "method": "request.submit", "params": {"request": r}})
           for i, r in enumerate(reqs)]
    out = []
    for i in ids:
        resp = c.response(i, timeout=30)
        assert "result" in resp, resp
        out.append(resp["result"])
    return out


def test_burst_of_expiries_is_proposed_again():
    # 50 holds expiring at once: the pass they wake must match against a
    # table that already has the released places, every time.
    places, extra = 50, 5
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=places)],
             matching={"hold_ttl_s": 2}) as env:
        c = env.client("coordinator")
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["proposals"]})
        submit_many(c, [request("BURST-%d" % i, urgency="immediate")
                        for i in range(places + extra)])

        def counts():
            return c.call("stats.get")["requests"]

        wait_until(lambda: counts()["proposed"] == places, 5,
                   what="first proposals")
        for cycle in range(3):
            expired = 0
            while expired < places:
                ev = w.wait_event(lambda e: e["type"] == "proposal.expired",
                                  10)
                expired += 1
            wait_until(lambda: counts()["proposed"] == places, 5,
                       what="proposals again after expiry %d: %r" % (
                           cycle, counts()))
            assert counts()["waiting"] == extra, counts()


def test_waitlist_pass_reads_past_the_first_page():
    # More requests nothing can take than one page, ahead of some that fit.
    unfit, fit = 520, 20
    full = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=fit,
                                                   occupied=fit)])
    with Env(shelters=[full]) as env:
        c = env.client("coordinator")
        submit_many(c, [request("NOFIT-%d" % i, urgency="immediate",
                                needs=["psychiatric"]) for i in range(unfit)])
        ok = submit_many(c, [request("FIT-%d" % i) for i in range(fit)])
        env.client("admin").call("shelter.capacity", {
            "id": DEFAULT_SHELTER_ID, "pools": {"main": {"occupied": 0}}})
        wait_until(lambda: c.call("stats.get")["requests"]["proposed"] == fit,
                   10, what="the fitting requests behind the first page "
                   "proposed")
        assert all(status(c, r["request"]["id"]) == "proposed" for r in ok)


def test_unchanged_waitlist_is_matched_again_from_what_was_read():
    # Two waiting requests, each fitting one full shelter. A pass that
    # places nobody leaves the waitlist as it was: the next passes run on
    # what it read. A place freed at one shelter goes to the request that
    # fits there (and not to the other), then one at the other shelter to
    # the other one; a rejection sends the first back to wait and the
    # shelter it rejected is left out when that shelter has room again.
    seed = [shelter("t-memo-w", pools=[pool("w", genders=["f"], total=1,
                                            occupied=1)]),
            shelter("t-memo-m", pools=[pool("m", genders=["m"], total=1,
                                            occupied=1)])]
    with Env(shelters=seed) as env:
        c = env.client("admin")
        a = c.call("request.submit", {"request": request("MEMO-F")})
        b = c.call("request.submit",
                   {"request": request("MEMO-M", gender="m")})
        ra, rb = a["request"]["id"], b["request"]["id"]
        assert a["proposal"] is None and b["proposal"] is None
        # A pass that places nobody (an unrelated shelter that fits no
        # one: closed for intake).
        c.call("shelter.put", {"shelter": shelter(
            "t-memo-x", total=3, intake={"open": False, "always": False})})
        c.call("shelter.capacity", {"id": "t-memo-x",
                                    "pools": {"main": {"occupied": 1}}})
        assert status(c, ra) == "waiting" and status(c, rb) == "waiting"
        c.call("shelter.capacity", {"id": "t-memo-m",
                                    "pools": {"m": {"occupied": 0}}})
        wait_until(lambda: status(c, rb) == "proposed", 5, 0.05,
                   "the man's proposal")
        assert status(c, ra) == "waiting"
        c.call("shelter.capacity", {"id": "t-memo-w",
                                    "pools": {"w": {"occupied": 0}}})
        wait_until(lambda: status(c, ra) == "proposed", 5, 0.05,
                   "the woman's proposal")
        got = c.call("request.get", {"id": ra})["request"]
        assert got["proposal"]["shelter_id"] == "t-memo-w", got
        c.call("proposal.reject", {"id": got["proposal"]["id"],
                                   "reason": "no_match"})
        assert status(c, ra) == "waiting"
        # Room again at the rejected shelter: she stays waiting.
        c.call("shelter.capacity", {"id": "t-memo-w",
                                    "pools": {"w": {"total": 2}}})
        c.call("shelter.capacity", {"id": "t-memo-x",
                                    "pools": {"main": {"occupied": 2}}})
        assert status(c, ra) == "waiting"
        assert pool_of(c.call("shelter.get", {"id": "t-memo-w"})[
            "shelter"], "w")["held"] == 0


def calls(r, fn):
    """The FCALLs of fn since the slowlog was reset, their arguments."""
    return [e[3] for e in r.cmd("SLOWLOG", "GET", "10000")
            if len(e[3]) > 1 and str(e[3][0]).lower() == "fcall" and
            e[3][1] == fn]


def waitlist_reads(r):
    """The shd_waiting calls (waitlist passes) since the slowlog was reset."""
    return len(calls(r, "shd_waiting"))


def log_every_call(r):
    r.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
    r.cmd("CONFIG", "SET", "slowlog-max-len", "10000")
    r.cmd("SLOWLOG", "RESET")


def settled(r):
    """Wait for the pass that runs once the waitlist settled (and any it
    queued), then reset the slowlog."""
    wait_until(lambda: waitlist_reads(r) >= 1, 10, 0.05,
               "a pass once the waitlist settled")
    n = -1
    while n != waitlist_reads(r):
        n = waitlist_reads(r)
        time.sleep(0.5)
    r.cmd("SLOWLOG", "RESET")


def test_places_taken_start_no_pass_a_place_freed_does():
    # Holds, acceptances and arrivals only take places: nobody can fit
    # after them who did not before, so they start no waitlist pass (under
    # a stream of submits every hold would, and the pass a freed place
    # needs would queue behind them). A place that frees up does.
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        sh = env.client("shelter")
        subs = [c.call("request.submit", {"request": request("TAKE-%d" % i)})
                for i in range(3)]
        w = c.call("request.submit", {"request": request("TAKE-W")})
        assert all(s["proposal"] for s in subs) and not w["proposal"]
        wid = w["request"]["id"]
        r = env.redis
        log_every_call(r)
        settled(r)
        for s in subs[:2]:
            c.call("proposal.accept", {"id": s["proposal"]["id"]})
        sh.call("placement.arrived", {"request_id": subs[0]["request"]["id"]})
        time.sleep(0.5)
        assert waitlist_reads(r) == 0
        assert status(c, wid) == "waiting"
        # The third one's hold is rejected: W gets the place.
        c.call("proposal.reject", {"id": subs[2]["proposal"]["id"],
                                   "reason": "x"})
        wait_until(lambda: status(c, wid) == "proposed", 5,
                   what="W proposed after a hold was released")
        assert waitlist_reads(r) >= 1


def test_first_hold_at_a_shelter_starts_no_pass():
    # A shelter loaded at start and two put while the daemon runs: the
    # pass their loading starts saw their places, so the first hold at
    # each (the table had no event of them yet) starts no pass either.
    with Env(shelters=[shelter("t-first-a", total=1)]) as env:
        c = env.client("coordinator")
        admin = env.client("admin")
        r = env.redis
        log_every_call(r)
        for sid in ("t-first-b", "t-first-c"):
            admin.call("shelter.put", {"shelter": shelter(sid, total=1)})
        settled(r)
        subs = [c.call("request.submit", {"request": request("FIRST-%d" % i)})
                for i in range(3)]
        assert sorted(s["proposal"]["shelter_id"] for s in subs) == \
            ["t-first-a", "t-first-b", "t-first-c"], subs
        time.sleep(0.5)
        assert waitlist_reads(r) == 0
        # A place that frees up still wakes one.
        w = c.call("request.submit", {"request": request("FIRST-W")})
        assert not w["proposal"]
        settled(r)
        c.call("proposal.reject", {"id": subs[1]["proposal"]["id"],
                                   "reason": "x"})
        wait_until(lambda: status(c, w["request"]["id"]) == "proposed", 5,
                   what="W proposed after a hold was released")


def waiting_at_a_full_shelter(env, n, ref):
    """n requests waiting for the full default shelter, the pass
    their settling starts done, every Redis call logged from then on."""
    c = env.client("coordinator")
    r = env.redis
    log_every_call(r)
    subs = submit_many(c, [request("%s-%02d" % (ref, i)) for i in range(n)])
    assert not any(s["proposal"] for s in subs)
    settled(r)
    return c, r, subs


def report_occupied(env, occupied):
    env.client("admin").call("shelter.capacity", {
        "id": DEFAULT_SHELTER_ID, "pools": {"main": {"occupied": occupied}}})


def test_one_freed_place_is_proposed_once():
    # Sixty waiting requests (more than a pass's first read) fit one full
    # shelter. A place frees up: the pass proposes it to the first in the
    # queue and sends no proposal the table says cannot be met (it used to
    # send sixty, 59 failing). It reads on, so the next pass starts from
    # what it read less the one it placed; the report's event says the
    # waitlist is still at that version, so it does not even ask.
    full = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=2,
                                                   occupied=2)])
    with Env(shelters=[full]) as env:
        c, r, subs = waiting_at_a_full_shelter(env, 60, "ONE")
        report_occupied(env, 1)
        first = subs[0]["request"]["id"]
        wait_until(lambda: status(c, first) == "proposed", 5,
                   what="the first in the queue proposed")
        time.sleep(0.3)
        assert len(calls(r, "shd_propose")) == 1, calls(r, "shd_propose")
        assert c.call("stats.get")["requests"]["proposed"] == 1
        # The second place frees up: the next in the queue, one call, from
        # the memo (asking whether the waitlist changed would take two).
        r.cmd("SLOWLOG", "RESET")
        report_occupied(env, 0)
        wait_until(lambda: c.call("stats.get")["requests"]["proposed"] == 2,
                   5, what="a second proposal")
        time.sleep(0.3)
        assert [status(c, s["request"]["id"]) for s in subs[:3]] == \
            ["proposed", "proposed", "waiting"]
        assert len(calls(r, "shd_propose")) == 1, calls(r, "shd_propose")
        assert calls(r, "shd_waiting") == []


def test_settled_waitlist_is_read_before_a_place_frees():
    # Thirty requests join the waitlist at once: a pass runs once they
    # have settled (it reads the waitlist and keeps what it read). A place
    # that frees up later is matched from that. A shelter opening its
    # intake does not say the waitlist's version, so the store is asked
    # with the version the pass read (and answers "unchanged").
    closed = shelter(DEFAULT_SHELTER_ID, intake={"open": False},
                     pools=[pool("main", total=1)])
    with Env(shelters=[closed]) as env:
        c, r, subs = waiting_at_a_full_shelter(env, 30, "SET")
        env.client("admin").call("shelter.intake", {
            "id": DEFAULT_SHELTER_ID, "open": True})
        wait_until(lambda: status(c, subs[0]["request"]["id"]) == "proposed",
                   5, what="the first in the queue proposed")
        got = calls(r, "shd_waiting")
        assert len(got) == 1 and got[0][-1] != "", got  # with the version


def test_a_report_after_a_new_request_reads_the_waitlist():
    # The report's event says the waitlist's version, but a request joined
    # after the last pass read it: the memo is behind, so the pass asks the
    # store, reads the waitlist again and proposes to the first in it, the
    # urgent newcomer (not to the first in the memo).
    full = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=1,
                                                   occupied=1)])
    with Env(shelters=[full]) as env:
        c, r, subs = waiting_at_a_full_shelter(env, 5, "NEW")
        urgent = c.call("request.submit", {
            "request": request("NEW-URGENT", urgency="immediate")})
        assert urgent["proposal"] is None
        report_occupied(env, 0)
        wait_until(lambda: c.call("stats.get")["requests"]["proposed"] == 1,
                   5, what="a proposal")
        assert status(c, urgent["request"]["id"]) == "proposed"
        assert calls(r, "shd_waiting") != []


def test_a_report_the_table_never_takes_is_asked_for_after_a_while():
    # An event says the waitlist is at the memo's version, for a change of
    # the shelter the table never sees (numbered far beyond the store's).
    # The pass waits for the table to take it only for a short while, then
    # asks the store after all, and the place the store has free is
    # proposed. (The place freed in the store alone, without an event.)
    full = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=1,
                                                   occupied=1)])
    with Env(shelters=[full]) as env:
        c, r, subs = waiting_at_a_full_shelter(env, 3, "LATE")
        sk = "shelterd:shelter:" + DEFAULT_SHELTER_ID
        r.cmd("HSET", sk, "o:main", "0")
        r.cmd("HINCRBY", sk, "cseq", "1")
        data = ('{"shelter_id":"%s","version":1,"pools":[{"name":"main",'
                '"total":1,"occupied":0,"held":0,"expected":0,"free":1}]}'
                % DEFAULT_SHELTER_ID)
        r.cmd("XADD", "shelterd:events", "*", "topic", "capacity", "type",
              "capacity.changed", "shelter", DEFAULT_SHELTER_ID, "at",
              "2026-01-01T00:00:00.000Z", "data", data, "cseq", "1000000",
              "counts", "0", "wver",
              r.cmd("GET", "shelterd:waitlist_ver") or "0")
        wait_until(lambda: status(c, subs[0]["request"]["id"]) == "proposed",
                   5, what="the first in the queue proposed")
        assert calls(r, "shd_waiting") != []
        assert "has not taken change 1000000 of shelter=%s" % \
            DEFAULT_SHELTER_ID in env.daemon.log_text()
