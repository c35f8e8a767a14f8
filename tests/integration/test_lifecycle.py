"""A request's life: submit, proposal, accept, arrived, reject, cancel,
duplicates, hold expiry, and the validation of request objects."""

import datetime
import time

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Env, RpcError,
                     expect_error, pool, pool_of, request, shelter,
                     wait_until)


def parse_time(s):
    assert s.endswith("Z"), s
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def main_pool(c, sid=DEFAULT_SHELTER_ID):
    return pool_of(c.call("shelter.get", {"id": sid})["shelter"], "main")


def test_submit_accept_arrive():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)],
             matching={"hold_ttl_s": 600}) as env:
        c = env.client("coordinator")
        t0 = time.time()
        sub = c.call("request.submit", {"request": request("LIFE-1")})
        assert sub["duplicate"] is False
        assert sub["explanation"] is None
        req, prop = sub["request"], sub["proposal"]
        assert req["id"].startswith("req-") and req["ref"] == "LIFE-1"
        assert req["status"] == "proposed"
        assert req["placement"] is None and req["rejected"] == []
        assert req["proposal"]["id"] == prop["id"]
        assert isinstance(req["created_at"], str)
        assert isinstance(req["updated_at"], str)
        assert prop["status"] == "open"
        assert prop["request_id"] == req["id"]
        assert prop["shelter_id"] == DEFAULT_SHELTER_ID
        assert prop["pool"] == "main"
        assert 0 <= prop["score"] <= 100
        assert all(0 <= v <= 100 for v in prop["scores"].values())
        assert isinstance(prop["alternatives"], list)
        exp = parse_time(prop["expires_at"])
        assert t0 + 600 - 5 <= exp <= time.time() + 600 + 5, \
            prop["expires_at"]
        p = main_pool(c)
        assert (p["held"], p["expected"], p["free"]) == (1, 0, 2), p

        acc = c.call("proposal.accept", {"id": prop["id"]})
        assert acc["proposal"]["status"] == "accepted"
        assert acc["proposal"]["expires_at"] == prop["expires_at"]
        r = acc["request"]
        assert r["status"] == "placed" and r["proposal"] is None
        assert r["placement"] == {"shelter_id": DEFAULT_SHELTER_ID,
                                  "pool": "main", "proposal_id": prop["id"]}
        p = main_pool(c)
        assert (p["held"], p["expected"], p["occupied"], p["free"]) == \
            (0, 1, 0, 2), p
        expect_error(lambda: c.call("proposal.accept", {"id": prop["id"]}),
                     -32009, "state")
        expect_error(lambda: c.call("proposal.reject", {"id": prop["id"],
                                                        "reason": "x"}),
                     -32009, "state")

        sh = env.client("shelter")
        r = sh.call("placement.arrived", {"request_id": req["id"]})["request"]
        assert r["status"] == "arrived"
        p = main_pool(c)
        assert (p["held"], p["expected"], p["occupied"], p["free"]) == \
            (0, 0, 1, 2), p
        expect_error(lambda: sh.call("placement.arrived",
                                     {"request_id": req["id"]}),
                     -32009, "state")
        expect_error(lambda: c.call("request.cancel", {"id": req["id"],
                                                       "reason": "x"}),
                     -32009, "state")
        got = c.call("request.get", {"id": req["id"]})["request"]
        assert got["status"] == "arrived"
        assert got["placement"]["proposal_id"] == prop["id"]


def test_reject_proposes_the_next_shelter_then_waits():
    seed = [shelter(DEFAULT_SHELTER_ID, total=1),
            shelter(OTHER_SHELTER_ID, total=1, municipality="Zwolle")]
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("REJ-1")})
        first = sub["proposal"]
        rid = sub["request"]["id"]
        rej = c.call("proposal.reject", {"id": first["id"],
                                         "reason": "no wheelchair access"})
        assert rej["proposal"]["status"] == "rejected"
        nxt = rej["next"]
        assert nxt is not None and nxt["status"] == "open"
        assert nxt["shelter_id"] != first["shelter_id"]
        assert nxt["id"] != first["id"]
        # The first hold is released.
        assert main_pool(c, first["shelter_id"])["held"] == 0
        assert main_pool(c, nxt["shelter_id"])["held"] == 1
        r = c.call("request.get", {"id": rid})["request"]
        assert r["status"] == "proposed"
        assert r["rejected"] == [first["shelter_id"]]
        assert r["proposal"]["id"] == nxt["id"]
        # Rejecting the last candidate: waiting, nothing held.
        rej = c.call("proposal.reject", {"id": nxt["id"], "reason": "far"})
        assert rej["next"] is None
        assert rej["request"]["status"] == "waiting"
        r = c.call("request.get", {"id": rid})["request"]
        assert r["status"] == "waiting" and r["proposal"] is None
        assert r["rejected"] == [first["shelter_id"], nxt["shelter_id"]]
        assert main_pool(c, DEFAULT_SHELTER_ID)["held"] == 0
        assert main_pool(c, OTHER_SHELTER_ID)["held"] == 0
        # Submitted again, it waits: explained with both shelters as
        # rejected (they have free places, but not for this request).
        dup = c.call("request.submit", {"request": request("REJ-1")})
        assert dup["duplicate"] is True and dup["proposal"] is None
        assert dup["explanation"]["reasons"] == {"rejected": 2}, dup
        assert dup["explanation"]["eligible"] == 0, dup
        expect_error(lambda: c.call("proposal.reject", {"id": nxt["id"]}),
                     -32602, "missing_field", "reason")


def test_cancel_in_each_state_releases_what_it_holds():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=2)]) as env:
        c = env.client("coordinator")
        proposed = c.call("request.submit", {"request": request("CAN-P")})
        placed = c.call("request.submit", {"request": request("CAN-A")})
        c.call("proposal.accept", {"id": placed["proposal"]["id"]})
        waiting = c.call("request.submit", {"request": request("CAN-W")})
        assert waiting["request"]["status"] == "waiting"
        p = main_pool(c)
        assert (p["held"], p["expected"], p["free"]) == (1, 1, 0), p

        r = c.call("request.cancel", {"id": waiting["request"]["id"],
                                      "reason": "found family"})["request"]
        assert r["status"] == "cancelled"
        p = main_pool(c)
        assert (p["held"], p["expected"]) == (1, 1), p

        r = c.call("request.cancel", {"id": proposed["request"]["id"],
                                      "reason": "moved"})["request"]
        assert r["status"] == "cancelled" and r["proposal"] is None
        p = main_pool(c)
        assert (p["held"], p["expected"], p["free"]) == (0, 1, 1), p
        expect_error(lambda: c.call("proposal.accept", {
            "id": proposed["proposal"]["id"]}), -32009, "state")

        r = c.call("request.cancel", {"id": placed["request"]["id"],
                                      "reason": "declined"})["request"]
        assert r["status"] == "cancelled"
        p = main_pool(c)
        assert (p["held"], p["expected"], p["free"]) == (0, 0, 2), p

        expect_error(lambda: c.call("request.cancel", {
            "id": placed["request"]["id"], "reason": "again"}), -32009,
            "state")
        expect_error(lambda: c.call("request.cancel", {
            "id": "req-987654", "reason": "x"}), -32004, "request")
        expect_error(lambda: c.call("request.cancel", {
            "id": placed["request"]["id"]}), -32602, "missing_field",
            "reason")
        statuses = sorted(r["status"] for r in c.call("request.list")[
            "requests"])
        assert statuses == ["cancelled"] * 3


def test_duplicate_ref_changes_nothing():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        first = c.call("request.submit", {"request": request("DUPREF-1")})
        before = main_pool(c)
        again = c.call("request.submit", {"request": request("DUPREF-1")})
        assert again["duplicate"] is True
        assert again["request"]["id"] == first["request"]["id"]
        assert again["request"]["person"]["age"] == 30
        # Other content under the same ref is a conflict, not a duplicate.
        expect_error(lambda: c.call("request.submit", {"request": request(
            "DUPREF-1", age=50, urgency="immediate")}),
            -32009, "ref_conflict", "ref")
        assert again["proposal"]["id"] == first["proposal"]["id"]
        assert main_pool(c) == before
        assert len(c.call("request.list")["requests"]) == 1
        # After accepting, a duplicate returns no open proposal.
        c.call("proposal.accept", {"id": first["proposal"]["id"]})
        again = c.call("request.submit", {"request": request("DUPREF-1")})
        assert again["duplicate"] is True and again["proposal"] is None
        assert again["request"]["status"] == "placed"


def test_hold_expiry_reproposes():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)],
             matching={"hold_ttl_s": 1}) as env:
        c = env.client("coordinator")
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["proposals", "requests"]})
        sub = c.call("request.submit", {"request": request("EXP-1")})
        first = sub["proposal"]
        rid = sub["request"]["id"]

        def reproposed():
            r = c.call("request.get", {"id": rid})["request"]
            p = r["proposal"]
            return p if p and p["id"] != first["id"] else None

        nxt = wait_until(reproposed, 8, 0.1, "a new proposal after expiry")
        ev = w.wait_event(lambda e: e["type"] == "proposal.expired", 3)
        assert ev["data"]["proposal"]["id"] == first["id"]
        assert ev["data"]["proposal"]["status"] == "expired"
        assert ev["data"]["proposal"]["expires_at"] == first["expires_at"]
        assert nxt["shelter_id"] == DEFAULT_SHELTER_ID
        expect_error(lambda: c.call("proposal.accept", {"id": first["id"]}),
                     -32009, "state")
        p = main_pool(c)
        assert p["held"] <= 1 and p["free"] >= 0, p
        # Accept the current proposal in time (it may expire too before we
        # get to it: then take the next one, bounded).
        def accept_current():
            cur = c.call("request.get", {"id": rid})["request"]["proposal"]
            if cur is None:
                return None
            try:
                return c.call("proposal.accept", {"id": cur["id"]})
            except RpcError as e:
                assert e.code == -32009, e
                return None
        acc = wait_until(accept_current, 8, 0.05, "accepting a proposal")
        assert acc["request"]["status"] == "placed"
        time.sleep(1.5)
        # A placed request does not expire.
        p = main_pool(c)
        assert (p["held"], p["expected"]) == (0, 1), p


def test_get_list_and_not_found():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)]) as env:
        c = env.client("coordinator")
        ids = [c.call("request.submit", {"request": request("LIST-%d" % i)})[
            "request"]["id"] for i in range(4)]
        got = [r["id"] for r in c.call("request.list")["requests"]]
        assert got == ids, "not oldest first"
        got = [r["id"] for r in c.call("request.list", {"limit": 2})[
            "requests"]]
        assert got == ids[:2]
        waiting = c.call("request.list", {"status": ["waiting"]})["requests"]
        assert [r["id"] for r in waiting] == ids[1:]
        both = c.call("request.list", {"status": ["proposed", "waiting"]})
        assert len(both["requests"]) == 4
        for bad in (0, 501, "5"):
            expect_error(lambda: c.call("request.list", {"limit": bad}),
                         -32602, "invalid_field", "limit")
        expect_error(lambda: c.call("request.list", {"status": ["lost"]}),
                     -32602, "invalid_field", "status.0")
        expect_error(lambda: c.call("request.get", {"id": "req-555555"}),
                     -32004, "request")
        expect_error(lambda: c.call("proposal.accept", {"id": "prop-555555"}),
                     -32004, "proposal")
        expect_error(lambda: c.call("proposal.reject", {
            "id": "prop-555555", "reason": "x"}), -32004, "proposal")
        expect_error(lambda: c.call("request.get", {}), -32602,
                     "missing_field", "id")


def test_request_validation_paths():
    def with_person(**p):
        person = {"gender": "f", "age": 30}
        person.update(p)
        return person

    cases = [
        (request("V-1", person=with_person(age=121)), "invalid_field",
         "person.age"),
        (request("V-2", person=with_person(age="30")), "invalid_field",
         "person.age"),
        (request("V-3", children=[{"age": 4}, {"age": 18}]), "invalid_field",
         "children.1.age"),
        (request("V-4", needs=["trauma", "yoga"]), "invalid_field",
         "needs.1"),
        (request("V-5", name="Jane Doe"), "unknown_field", "name"),
        (request("V-6", person=with_person(birth_date="1990-01-01")),
         "unknown_field", "person.birth_date"),
        (request("V-7", person={"age": 30}), "missing_field",
         "person.gender"),
        ({"person": {"gender": "f", "age": 30}}, "missing_field", "ref"),
        (request("bad ref!"), "invalid_field", "ref"),
        (request("V-8", person=with_person(nationality="ro")),
         "invalid_field", "person.nationality"),
        (request("V-9", person=with_person(languages=["en", "ENG"])),
         "invalid_field", "person.languages.1"),
        (request("V-10", exploitation={"sector": "sexual", "location": {
            "municipality": "Atlantis"}}), "invalid_field",
         "exploitation.location.municipality"),
        (request("V-11", exploitation={"location": {"street": "x"}}),
         "unknown_field", "exploitation.location.street"),
        (request("V-12", urgency="now"), "invalid_field", "urgency"),
        (request("V-13", program="hotel"), "invalid_field", "program"),
        (request("V-14", safety={"co_victims": "never"}), "invalid_field",
         "safety.co_victims"),
        (request("V-15", person=with_person(gender="q")), "invalid_field",
         "person.gender"),
    ]
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        for req, reason, field in cases:
            for method in ("request.submit", "match.preview"):
                e = expect_error(lambda: c.call(method, {"request": req}),
                                 -32602, reason, field)
                assert field in e.message, e.message
        expect_error(lambda: c.call("request.submit", {}), -32602,
                     "missing_field", "request")
        expect_error(lambda: c.call("request.submit", {
            "request": request("V-20"), "priority": 1}), -32602,
            "unknown_field", "priority")
        assert c.call("request.list")["requests"] == []
        assert main_pool(c)["held"] == 0


def test_full_request_is_accepted_and_normalised():
    full = {
        "ref": "CM-2026-000123",
        "program": "any",
        "person": {"gender": "f", "age": 24, "languages": ["ro", "en"],
                   "nationality": "RO"},
        "children": [{"age": 4, "gender": "m"}],
        "needs": ["trauma"],
        "prefers": ["medical"],
        "exploitation": {"sector": "sexual",
                         "location": {"municipality": "Groningen"}},
        "safety": {"min_distance_km": 50, "min_security": "protected",
                   "case": "NET-77", "co_victims": "apart"},
        "preferred_location": {"municipality": "Zwolle"},
        "urgency": "immediate",
        "referrer": "police",
        "residence": "reflection",
    }
    fam = shelter(DEFAULT_SHELTER_ID, pools=[pool(
        "family", genders=["f"], children_max=2, total=2)])
    with Env(shelters=[fam]) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": full})
        r = sub["request"]
        assert sub["proposal"] is not None, sub["explanation"]
        assert sub["proposal"]["pool"] == "family"
        assert r["preferred_location"]["municipality"] == "Zwolle"
        assert "lat" in r["preferred_location"] and \
            "lon" in r["preferred_location"]
        assert "lat" in r["exploitation"]["location"]
        assert r["children"][0]["age"] == 4


def test_preview_has_no_side_effects():
    seed = [shelter(DEFAULT_SHELTER_ID, total=2),
            shelter(OTHER_SHELTER_ID, total=1, municipality="Zwolle"),
            shelter("t-closed", total=3, intake={"open": False,
                                                 "always": False})]
    with Env(shelters=seed) as env:
        c = env.client("service")
        before = c.call("stats.get")
        pv = c.call("match.preview", {"request": request("PV-1")})
        cands = pv["candidates"]
        assert sorted(x["shelter_id"] for x in cands) == sorted(
            [DEFAULT_SHELTER_ID, OTHER_SHELTER_ID]), cands
        scores = [x["score"] for x in cands]
        assert scores == sorted(scores, reverse=True)
        for x in cands:
            assert set(x) >= {"shelter_id", "pool", "score", "scores", "free"}
        ex = pv["explanation"]
        assert isinstance(ex, dict)
        assert ex["total"] == 3 and ex["eligible"] == 2, ex
        assert ex["reasons"].get("intake_closed") == 1, ex
        after = c.call("stats.get")
        assert after["places"] == before["places"]
        assert after["requests"] == before["requests"]
        co = env.client("coordinator")
        assert co.call("request.list")["requests"] == []


def test_stats_shape():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, pools=[
            pool("main", total=4, occupied=1)])]) as env:
        c = env.client("coordinator")
        c.call("request.submit", {"request": request("ST-1")})
        s = c.call("stats.get")
        assert s["shelters"] == 1
        assert s["places"] == {"total": 4, "occupied": 1, "held": 1,
                               "expected": 0, "free": 2}, s["places"]
        assert s["requests"] == {"waiting": 0, "proposed": 1, "placed": 0,
                                 "arrived": 0, "departed": 0,
                                 "cancelled": 0}, s["requests"]
        assert s["connections"] >= 1
        assert isinstance(s["uptime_s"], int) and s["uptime_s"] >= 0


def test_alternatives_and_deterministic_ranking():
    seed = [shelter("t-rank-%d" % i, total=2, municipality="Zwolle")
            for i in (3, 1, 4, 2)]
    with Env(shelters=seed, matching={"alternatives": 2}) as env:
        c = env.client("coordinator")
        pv1 = c.call("match.preview", {"request": request("RANK-1")})
        pv2 = c.call("match.preview", {"request": request("RANK-1")})
        assert pv1 == pv2, "the same state gave different previews"
        # Identical shelters: equal scores and free places, so by id.
        ids = [x["shelter_id"] for x in pv1["candidates"]]
        assert ids == ["t-rank-1", "t-rank-2", "t-rank-3", "t-rank-4"], ids
        sub = c.call("request.submit", {"request": request("RANK-1")})
        prop = sub["proposal"]
        assert prop["shelter_id"] == "t-rank-1"
        alts = prop["alternatives"]
        assert [a["shelter_id"] for a in alts] == ["t-rank-2", "t-rank-3"], \
            alts
        for a in alts:
            assert set(a) == {"shelter_id", "pool", "score"}, a
        # One place fewer at t-rank-1: it now ranks after the others. The
        # preview answers from the daemon's table, which follows the store's
        # events: wait (bounded) until it shows the held place.
        def preview_sees_hold():
            pv = c.call("match.preview", {"request": request("RANK-2")})
            free = {x["shelter_id"]: x["free"] for x in pv["candidates"]}
            return pv if free["t-rank-1"] == 1 else None
        pv = wait_until(preview_sees_hold, 3, 0.05, "the table to follow")
        ids = [x["shelter_id"] for x in pv["candidates"]]
        assert ids[-1] == "t-rank-1", ids
