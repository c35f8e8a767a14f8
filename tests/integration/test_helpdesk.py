"""test_helpdesk.py: the helpdesk's day over a real daemon: work by ref,
ref conflicts, dead ends and referrals, the shelters' side (arrivals,
heartbeats, intake reasons), all validation errors at once, and the
worklist and request views of shelterctl as a person reads them."""

import json
import os

import harness as h
from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Env,
                     expect_error, pool, request, shelter)
from test_ctl import WORK, columns, ctl, expect, table


def test_request_get_by_id_or_ref():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        rid = c.call("request.submit",
                     {"request": request("REF-1")})["request"]["id"]
        assert c.call("request.get", {"id": rid})["request"]["ref"] == \
            "REF-1"
        assert c.call("request.get", {"ref": "REF-1"})["request"]["id"] == \
            rid
        # The ref in the id parameter, as every method taking an id.
        assert c.call("request.get", {"id": "REF-1"})["request"]["id"] == \
            rid
        expect_error(lambda: c.call("request.get",
                                    {"id": rid, "ref": "REF-1"}),
                     -32602, "invalid_field", "ref")
        expect_error(lambda: c.call("request.get", {}),
                     -32602, "missing_field", "id")
        e = expect_error(lambda: c.call("request.get", {"ref": "NOPE"}),
                         -32004, "request", "ref")
        assert "NOPE" in e.message
        # {ref} looks up refs only: an id is not a ref.
        expect_error(lambda: c.call("request.get", {"ref": rid}),
                     -32004, "request", "ref")


def test_cancel_and_arrived_take_a_ref():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("REF-A")})
        c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        s = env.client("shelter")
        r = s.call("placement.arrived", {"request_id": "REF-A"})["request"]
        assert r["id"] == sub["request"]["id"] and r["status"] == "arrived"
        c.call("request.submit", {"request": request("REF-B")})
        r = c.call("request.cancel", {"id": "REF-B", "reason": "gone"})
        assert r["request"]["ref"] == "REF-B"
        assert r["request"]["status"] == "cancelled"
        expect_error(lambda: c.call("request.cancel",
                                    {"id": "REF-NONE", "reason": "x"}),
                     -32004, "request", "id")


def test_ref_conflict_and_identical_resubmission():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        first = c.call("request.submit", {"request": request("DUP-1")})
        rid = first["request"]["id"]
        again = c.call("request.submit", {"request": request("DUP-1")})
        assert again["duplicate"] is True
        assert again["request"]["id"] == rid
        # Defaults applied before comparing: urgency days is the default.
        r = request("DUP-1")
        del r["urgency"]
        assert c.call("request.submit", {"request": r})["duplicate"] is True
        # A typo in the age: another person, not a duplicate.
        e = expect_error(lambda: c.call(
            "request.submit", {"request": request("DUP-1", age=31)}),
            -32009, "ref_conflict", "ref")
        assert "DUP-1" in e.message and rid in e.message, e.message
        # Nothing changed.
        got = c.call("request.get", {"id": rid})["request"]
        assert got["person"]["age"] == 30
        n = len(c.call("request.list", {})["requests"])
        assert n == 1


def test_members_of_defaults_only_are_the_same_request():
    # After defaults, an empty safety, one spelling out the defaults and
    # an empty exploitation say what their absence says: a duplicate, not
    # a ref_conflict, either way round.
    defaults = {"min_distance_km": 0, "min_security": "standard",
                "co_victims": "any"}
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        rid = c.call("request.submit",
                     {"request": request("PLAIN-1")})["request"]["id"]
        for extra in [{"safety": {}}, {"safety": defaults},
                      {"exploitation": {}},
                      {"safety": {"co_victims": "any"}, "exploitation": {}}]:
            again = c.call("request.submit",
                           {"request": request("PLAIN-1", **extra)})
            assert again["duplicate"] is True, extra
            assert again["request"]["id"] == rid
        first = c.call("request.submit", {
            "request": request("PLAIN-2", safety=defaults)})["request"]
        assert "safety" not in first
        assert c.call("request.submit", {"request": request("PLAIN-2")})[
            "duplicate"] is True
        # A member that differs from the default is another request.
        expect_error(lambda: c.call("request.submit", {"request": request(
            "PLAIN-1", safety={"min_distance_km": 5})}),
            -32009, "ref_conflict", "ref")
        assert len(c.call("request.list", {})["requests"]) == 2


def test_ctl_by_ref_and_ref_conflict(tmp=None):
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        p = expect(ctl("submit", "--ref", "CTL-R1", "--gender", "f",
                       "--age", "30", "--residence", "reflection",
                       env=env), 0)
        p = expect(ctl("submit", "--ref", "CTL-R1", "--gender", "f",
                       "--age", "31", "--residence", "reflection",
                       env=env), 1)
        assert "ref_conflict" not in p.stderr
        assert "CTL-R1" in p.stderr and "req-1" in p.stderr, p.stderr
        p = expect(ctl("cancel", "CTL-R1", "--reason", "test", env=env), 0)
        assert p.stdout.startswith("req-1 cancelled"), p.stdout


REFERRALS = {"referrals": {"minor": "Refer to youth care (Jeugdzorg).",
                           "default": "Call the regional care coordinator."}}


def two_cosm():
    return [shelter(DEFAULT_SHELTER_ID, total=3),
            shelter(OTHER_SHELTER_ID, total=3, municipality="Zwolle")]


def test_minor_alone_is_a_dead_end_with_the_minor_referral():
    with Env(shelters=two_cosm(), matching=REFERRALS) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("MIN-1", age=15)})
        assert sub["proposal"] is None
        e = sub["explanation"]
        assert e["dead_end"] is True, e
        assert e["referral"] == "Refer to youth care (Jeugdzorg)."
        assert e["message"].startswith("0/2 shelters can take this request")
        assert "Dead end" in e["message"], e["message"]
        # Still stored and listed: the helpdesk sees it.
        got = c.call("request.get", {"ref": "MIN-1"})["request"]
        assert got["status"] == "waiting"
        ids = [r["id"] for r in c.call("request.list",
                                      {"status": ["waiting"]})["requests"]]
        assert got["id"] in ids
        # Preview says the same.
        e = c.call("match.preview", {"request": request("X", age=15)})[
            "explanation"]
        assert e["dead_end"] is True and e["referral"].startswith("Refer")


def test_need_no_shelter_offers_and_gender_no_pool_admits():
    women = [shelter(DEFAULT_SHELTER_ID,
                     pools=[pool("women", genders=["f"], total=2)])]
    with Env(shelters=women, matching=REFERRALS) as env:
        c = env.client("coordinator")
        e = c.call("request.submit", {"request": request(
            "NEED-1", needs=["wheelchair"])})["explanation"]
        assert e["dead_end"] is True
        assert e["referral"] == "Call the regional care coordinator."
        e = c.call("request.submit", {"request": request(
            "MAN-1", gender="m")})["explanation"]
        assert e["dead_end"] is True and e["reasons"] == {"household": 1}


def test_full_is_not_a_dead_end():
    full = [shelter(DEFAULT_SHELTER_ID, total=1)]
    with Env(shelters=full, matching=REFERRALS) as env:
        c = env.client("coordinator")
        c.call("request.submit", {"request": request("FULL-1")})
        e = c.call("request.submit", {"request": request(
            "FULL-2")})["explanation"]
        assert e["reasons"] == {"no_free_place": 1}
        assert e["dead_end"] is False and e["referral"] is None
        assert "Dead end" not in e["message"]


def test_dead_end_without_referrals_configured():
    with Env(shelters=two_cosm()) as env:
        c = env.client("coordinator")
        e = c.call("request.submit", {"request": request(
            "MIN-2", age=16)})["explanation"]
        assert e["dead_end"] is True and e["referral"] is None


def test_ctl_submit_of_a_minor_shows_dead_end_and_referral():
    with Env(shelters=two_cosm(), matching=REFERRALS) as env:
        p = expect(ctl("submit", "--ref", "CTL-MIN", "--gender", "f",
                       "--age", "15", env=env), 3)
        lines = p.stdout.splitlines()
        msg = [l for l in lines if l.startswith("0/2 shelters")]
        assert msg and "Dead end" in msg[0], p.stdout
        assert "refer to: Refer to youth care (Jeugdzorg)." in lines


def test_every_validation_error_at_once():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        bad = request("VAL-1", age=130, urgency="soon",
                      exploitation={"sector": "fishing"})
        bad["person"]["name"] = "x"
        e = expect_error(lambda: c.call("request.submit", {"request": bad}),
                         -32602)
        errs = e.data["errors"]
        fields = [x["field"] for x in errs]
        assert fields == ["person.name", "person.age", "exploitation.sector",
                          "urgency"], errs
        assert errs[0]["field"] == e.field and errs[0]["reason"] == e.reason
        assert errs[0]["reason"] == "unknown_field"
        assert errs[0]["message"] == (
            "person.name: shelterd does not store names (unknown field)")
        assert errs[1] == {"field": "person.age", "reason": "invalid_field",
                           "message": "person.age: must be an integer "
                                      "from 0 to 120"}
        # Preview reports them the same way; one error is a list of one.
        e = expect_error(lambda: c.call("match.preview", {"request": bad}),
                         -32602)
        assert len(e.data["errors"]) == 4
        one = request("VAL-2")
        one["birth_date"] = "2000-01-01"
        e = expect_error(lambda: c.call("request.submit", {"request": one}),
                         -32602, "unknown_field", "birth_date")
        assert "does not store birth dates" in e.message, e.message
        assert [x["field"] for x in e.data["errors"]] == ["birth_date"]
        # Inside children, exploitation and safety each field counts too.
        parts = request("VAL-3", exploitation={"sector": "fishing",
                                               "location": {"lat": 99}},
                        safety={"min_distance_km": -1, "co_victims": "some",
                                "address": "x"})
        parts["children"] = [{"age": 30, "gender": "q"}, 7, {"age": 2}]
        e = expect_error(lambda: c.call("request.submit",
                                        {"request": parts}), -32602)
        got = [(x["field"], x["reason"]) for x in e.data["errors"]]
        assert got == [("children.0.age", "invalid_field"),
                       ("children.0.gender", "invalid_field"),
                       ("children.1", "invalid_field"),
                       ("exploitation.sector", "invalid_field"),
                       (got[4][0], "invalid_field"),
                       ("safety.address", "unknown_field"),
                       ("safety.min_distance_km", "invalid_field"),
                       ("safety.co_victims", "invalid_field")], got
        assert got[4][0].startswith("exploitation.location"), got
        # Nothing stored.
        assert c.call("request.list", {})["requests"] == []


def test_shelter_validation_error_carries_errors():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("admin")
        s = shelter("val-s")
        s["street"] = "x"
        e = expect_error(lambda: c.call("shelter.put", {"shelter": s}),
                         -32602, "unknown_field", "street")
        assert "does not store addresses" in e.message
        assert e.data["errors"] == [{"field": "street",
                                     "reason": "unknown_field",
                                     "message": e.message}]


def test_shelter_validation_lists_every_problem():
    # Each top-level field on its own, in the order of the first problem;
    # inside pools the first problem of that part. Nothing is stored.
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("admin")
        s = shelter("val-many", program="nope")
        s["street"] = "x"
        s["security"] = "fortress"
        s["pools"][0]["total"] = -1
        e = expect_error(lambda: c.call("shelter.put", {"shelter": s}),
                         -32602, "unknown_field", "street")
        got = [(x["field"], x["reason"]) for x in e.data["errors"]]
        assert got == [("street", "unknown_field"),
                       ("program", "invalid_field"),
                       ("security", "invalid_field"),
                       ("pools.0.total", "invalid_field")], got
        assert e.data["errors"][0]["message"] == e.message
        assert all(x["message"].startswith(x["field"] + ": ")
                   for x in e.data["errors"][1:]), e.data["errors"]
        expect_error(lambda: c.call("shelter.get", {"id": "val-many"}),
                     -32004, "shelter")


def test_heartbeat_refreshes_updated_at_only():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        a = env.client("admin")
        before = a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        w = env.client("admin")
        w.call("session.subscribe", {"topics": ["capacity"]})
        s = env.client("shelter")
        env.redis.cmd("HSET", "shelterd:shelter:" + DEFAULT_SHELTER_ID,
                      "updated_at", "1000")
        old = a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        assert old["updated_at"] == "1970-01-01T00:00:01Z"
        for params in ({"id": DEFAULT_SHELTER_ID},
                       {"id": DEFAULT_SHELTER_ID, "pools": {}}):
            got = s.call("shelter.capacity", params)["shelter"]
            assert got["updated_at"] > old["updated_at"]
            assert got["version"] == before["version"]
            assert got["pools"] == before["pools"]
        # Then a real report: that one is the first event.
        s.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                    "pools": {"main": {"occupied": 1}}})
        ev = w.event(timeout=5)
        assert ev["type"] == "capacity.changed", ev
        assert ev["data"]["version"] == before["version"] + 1
        # Not own shelter: refused as any capacity report.
        b = env.client("shelter_b")
        expect_error(lambda: b.call("shelter.capacity",
                                    {"id": DEFAULT_SHELTER_ID}),
                     -32003, "not_own_shelter")
        expect_error(lambda: a.call("shelter.capacity", {"id": "nope"}),
                     -32004, "shelter")


def test_intake_reason_and_since():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        s = env.client("shelter")
        first = s.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        assert first["intake"]["open"] is True
        assert first["intake"]["reason"] is None
        assert isinstance(first["intake"]["since"], str)
        env.redis.cmd("HSET", "shelterd:shelter:" + DEFAULT_SHELTER_ID,
                      "open_since", "1000")
        closed = s.call("shelter.intake", {"id": DEFAULT_SHELTER_ID,
                                           "open": False,
                                           "reason": "outbreak of scabies"})
        i = closed["shelter"]["intake"]
        assert i["open"] is False and i["reason"] == "outbreak of scabies"
        assert i["since"] > "1970-01-01T00:00:01Z"
        since = i["since"]
        # Closed again with another reason: since stays, reason follows.
        env.redis.cmd("HSET", "shelterd:shelter:" + DEFAULT_SHELTER_ID,
                      "open_since", "2000")
        i = s.call("shelter.intake", {"id": DEFAULT_SHELTER_ID, "open": False,
                                      "reason": "staff shortage"})[
            "shelter"]["intake"]
        assert i["since"] == "1970-01-01T00:00:02Z"
        assert i["reason"] == "staff shortage"
        i = s.call("shelter.intake", {"id": DEFAULT_SHELTER_ID,
                                      "open": True})["shelter"]["intake"]
        assert i["open"] is True and i["reason"] is None
        assert i["since"] >= since
        # A shelter read can be put back as it is.
        a = env.client("admin")
        got = a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        put = {k: v for k, v in got.items()
               if k not in ("version", "updated_at", "report_age_s",
                            "freshness", "departures_unconfirmed")}
        for p in put["pools"]:
            for k in ("held", "expected", "free", "overbooked",
                      "departures"):
                p.pop(k, None)
        a.call("shelter.put", {"shelter": put})


def test_placement_list_for_shelters_and_coordinators():
    shelters = [shelter(DEFAULT_SHELTER_ID, total=3,
                        pools=[pool("main", children_max=2, total=3)]),
                shelter(OTHER_SHELTER_ID, total=3, municipality="Zwolle")]
    with Env(shelters=shelters) as env:
        c = env.client("coordinator")

        def place(ref, sid, **kw):
            r = request(ref, **kw)
            r["safety"] = {"case": "NET-1"}
            r["referrer"] = "police"
            r["exploitation"] = {"sector": "labour",
                                 "location": {"municipality": "Utrecht"}}
            pv = c.call("match.preview", {"request": r})
            assert any(x["shelter_id"] == sid for x in pv["candidates"])
            sub = c.call("request.submit", {"request": r})
            p = sub["proposal"]
            while p["shelter_id"] != sid:
                p = c.call("proposal.reject", {"id": p["id"],
                                               "reason": "test"})["next"]
            c.call("proposal.accept", {"id": p["id"]})
            return sub["request"]["id"], p["id"]

        r1, p1 = place("PL-1", DEFAULT_SHELTER_ID,
                       children=[{"age": 4, "gender": "m"}])
        r2, p2 = place("PL-2", OTHER_SHELTER_ID)
        r3, p3 = place("PL-3", DEFAULT_SHELTER_ID, gender="m", age=40)
        s = env.client("shelter")
        s.call("placement.arrived", {"request_id": r3})
        got = s.call("placement.list", {})["placements"]
        # Own only, sorted by since: r1 expected first, r3 arrived last.
        assert [(x["request_id"], x["status"]) for x in got] == [
            (r1, "expected"), (r3, "resident")], got
        x = got[0]
        assert set(x) == {"request_id", "shelter_id", "pool", "status",
                          "proposal_id", "since", "household"}
        assert x["shelter_id"] == DEFAULT_SHELTER_ID and x["pool"] == "main"
        assert x["proposal_id"] == p1
        assert x["household"] == {"gender": "f", "age": 30,
                                  "children": [{"age": 4, "gender": "m"}],
                                  "needs": [], "languages": ["en"]}
        text = json.dumps(got)
        for secret in ("NET-1", "police", "Utrecht", "labour", "PL-"):
            assert secret not in text, secret
        assert [x["request_id"] for x in s.call(
            "placement.list", {"status": ["resident"]})["placements"]] == [r3]
        # The coordinator sees every shelter.
        allp = c.call("placement.list", {"status": ["expected"]})[
            "placements"]
        assert sorted(x["request_id"] for x in allp) == sorted([r1, r2])
        e = expect_error(lambda: c.call("placement.list",
                                        {"status": ["placed"]}),
                         -32602, "invalid_field", "status.0")
        assert "expected, resident" in e.message
        svc = env.client("service")
        expect_error(lambda: svc.call("placement.list", {}), -32003, "role")


def test_ctl_worklist_shows_the_open_work_newest_first():
    shelters = [shelter(DEFAULT_SHELTER_ID, total=2,
                        pools=[pool("main", children_max=2, total=2)])]
    with Env(shelters=shelters, matching={"hold_ttl_s": 1800}) as env:
        c = env.client("coordinator")
        a = c.call("request.submit", {"request": request(
            "W-1", children=[{"age": 4}], safety={"case": "NET-9"})})
        c.call("proposal.accept", {"id": a["proposal"]["id"]})
        b = c.call("request.submit", {"request": request("W-2", age=41)})
        w = c.call("request.submit", {"request": request("W-3", gender="m",
                                                         age=25)})
        x = c.call("request.submit", {"request": request("W-4")})
        c.call("request.cancel", {"id": x["request"]["id"], "reason": "t"})
        p = expect(ctl("requests", env=env, role="coordinator"), 0)
        rows = columns(p.stdout, WORK)
        # Open work only (cancelled W-4 left out), newest first.
        assert [r["REF"] for r in rows] == ["W-3", "W-2", "W-1"], p.stdout
        r3, r2, r1 = rows
        assert r1["STATUS"] == "placed" and r1["CASE"] == "NET-9"
        assert r1["HOUSEHOLD"] == "f 30 +1 child (4)"
        assert r1["SHELTER/POOL"] == DEFAULT_SHELTER_ID + "/main"
        assert r2["STATUS"] == "proposed" and r2["HOUSEHOLD"] == "f 41"
        assert r2["HOLD LEFT"] in ("in 29 min", "in 30 min"), r2
        assert r2["PROPOSAL"] == b["proposal"]["id"]
        assert r3["STATUS"] == "waiting" and r3["HOLD LEFT"] == "-"
        assert r3["SHELTER/POOL"] == "-" and r3["CASE"] == "-"
        assert r3["WAITING FOR"].endswith("s"), r3
        assert "more requests" not in p.stdout
        # Cut: a line says so.
        p = expect(ctl("requests", "--limit", "2", env=env,
                       role="coordinator"), 0)
        assert [r["REF"] for r in columns(p.stdout, WORK)] == ["W-3", "W-2"]
        assert p.stdout.splitlines()[-1].startswith(
            "more requests than shown: use --limit N"), p.stdout
        p = expect(ctl("requests", "--oldest", "--status", "all", env=env,
                       role="coordinator"), 0)
        assert [r["REF"] for r in columns(p.stdout, WORK)] == [
            "W-1", "W-2", "W-3", "W-4"]
        j = json.loads(expect(ctl("requests", "--json", "--limit", "1",
                                  env=env, role="coordinator"), 0).stdout)
        assert [r["ref"] for r in j["requests"]] == ["W-3"]
        expect(ctl("requests", "--limit", "0", env=env, role="coordinator"),
               2)
        p = expect(ctl("requests", "--status", "arrived", env=env,
                       role="coordinator"), 0)
        assert p.stdout.strip() == "no open requests"


def test_request_list_order_and_case():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        for i, case in enumerate(["A-1", "B-1", "A-1"]):
            c.call("request.submit", {"request": request(
                "O-%d" % i, safety={"case": case})})
        refs = lambda res: [r["ref"] for r in res["requests"]]
        assert refs(c.call("request.list", {})) == ["O-0", "O-1", "O-2"]
        assert refs(c.call("request.list", {"order": "newest"})) == [
            "O-2", "O-1", "O-0"]
        assert refs(c.call("request.list", {"case": "A-1", "limit": 1,
                                            "order": "newest"})) == ["O-2"]
        assert refs(c.call("request.list", {"case": "A-1",
                                            "status": ["proposed"]})) == [
            "O-0", "O-2"]
        expect_error(lambda: c.call("request.list", {"order": "up"}),
                     -32602, "invalid_field", "order")
        expect_error(lambda: c.call("request.list", {"case": "a b"}),
                     -32602, "invalid_field", "case")


def test_ctl_request_shows_one_request_whole():
    shelters = [shelter(DEFAULT_SHELTER_ID, total=1),
                shelter(OTHER_SHELTER_ID, total=1, municipality="Zwolle")]
    with Env(shelters=shelters) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request(
            "ONE-1", needs=["trauma"], children=[{"age": 7, "gender": "f"}],
            safety={"case": "NET-5"})})
        # Shelters here take no children: it waits, and says why.
        assert sub["proposal"] is None
        p = expect(ctl("request", "ONE-1", env=env, role="coordinator"), 0)
        head = p.stdout.split("\n\n")[0]
        kv = dict(l.split(None, 1) for l in head.splitlines())
        assert kv["request"] == sub["request"]["id"] + " (ref ONE-1)"
        assert kv["status"] == "waiting"
        assert kv["household"] == "f 30 +1 child (7)", p.stdout
        assert kv["needs"] == "trauma" and kv["case"] == "NET-5"
        assert kv["rejected"] == "-"
        assert "0/2 shelters can take this request: 2 without a place for " \
               "this household" in p.stdout, p.stdout
        assert kv["submitted"].endswith("s)"), kv
        # Rejections are honoured in the explanation of the request.
        r2 = c.call("request.submit", {"request": request("ONE-2")})
        nxt = c.call("proposal.reject", {"id": r2["proposal"]["id"],
                                         "reason": "x"})["next"]
        c.call("proposal.reject", {"id": nxt["id"], "reason": "x"})
        j = json.loads(expect(ctl("request", "--json", "ONE-2", env=env,
                                  role="coordinator"), 0).stdout)
        assert j["request"]["status"] == "waiting"
        assert j["explanation"]["reasons"] == {"rejected": 2}, j
        assert j["explanation"]["dead_end"] is False
        p = expect(ctl("request", "ONE-2", env=env, role="coordinator"), 0)
        assert "2 rejected for this request" in p.stdout
        p = expect(ctl("request", "NOPE", env=env, role="coordinator"), 1)
        assert "NOPE" in p.stderr
        expect(ctl("request", env=env, role="coordinator"), 2)


def test_ctl_arrivals_for_a_shelter():
    shelters = [shelter(DEFAULT_SHELTER_ID,
                        pools=[pool("main", children_max=2, total=3)])]
    with Env(shelters=shelters) as env:
        c = env.client("coordinator")
        a = c.call("request.submit", {"request": request(
            "ARR-1", children=[{"age": 4}], needs=["trauma"])})
        c.call("proposal.accept", {"id": a["proposal"]["id"]})
        b = c.call("request.submit", {"request": request("ARR-2", age=50)})
        c.call("proposal.accept", {"id": b["proposal"]["id"]})
        expect(ctl("arrived", "ARR-2", env=env, role="shelter"), 0)
        heads = ["SINCE", "STATUS", "SHELTER", "POOL", "REQUEST",
                 "HOUSEHOLD", "NEEDS", "LANGUAGES"]
        p = expect(ctl("arrivals", env=env, role="shelter"), 0)
        rows = columns(p.stdout, heads)
        assert [(r["STATUS"], r["REQUEST"], r["HOUSEHOLD"], r["NEEDS"])
                for r in rows] == [
            ("expected", a["request"]["id"], "f 30 +1 child (4)", "trauma"),
            ("resident", b["request"]["id"], "f 50", "-")], p.stdout
        assert "ARR-" not in p.stdout
        p = expect(ctl("arrivals", "--expected", env=env, role="shelter"), 0)
        assert [r["REQUEST"] for r in columns(p.stdout, heads)] == [
            a["request"]["id"]]
        other = expect(ctl("arrivals", env=env, role="shelter_b"), 0)
        assert other.stdout.strip() == "no expected arrivals or residents"
        j = json.loads(expect(ctl("arrivals", "--json", env=env,
                                  role="shelter"), 0).stdout)
        assert len(j["placements"]) == 2
        # Heartbeat from the command line.
        p = expect(ctl("capacity", DEFAULT_SHELTER_ID, env=env,
                       role="shelter"), 0)
        assert p.stdout.startswith(DEFAULT_SHELTER_ID +
                                   ": counts confirmed, nothing changed"), \
            p.stdout


def test_ctl_worklist_says_why_escalated_first_and_intake_reason():
    full = [shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=1,
                                                    occupied=1)]),
            shelter(OTHER_SHELTER_ID, municipality="Zwolle", total=2)]
    with Env(shelters=full, extra={"debug": {"clock": True}}) as env:
        c = env.client("coordinator")
        a = env.client("admin")
        a.call("shelter.intake", {"id": OTHER_SHELTER_ID, "open": False,
                                  "reason": "renovation"})
        old = c.call("request.submit", {"request": request(
            "WHY-1", urgency="immediate")})["request"]
        a.call("debug.advance", {"seconds": 61 * 60})
        h.wait_until(lambda: c.call("request.get", {"id": old["id"]})[
            "request"]["escalated"], what="escalation")
        c.call("request.submit", {"request": request("WHY-2")})
        day = c.call("session.ping")["time"][:10]
        own = env.client("shelter")
        own.call("shelter.departures", {"id": DEFAULT_SHELTER_ID, "pools": {
            "main": [{"date": "%d-12-31" % (int(day[:4]) + 1)}]}})
        p = expect(ctl("requests", env=env, role="coordinator"), 0)
        rows = columns(p.stdout, WORK)
        # The escalated request first, marked, although it is older.
        assert [r["REF"] for r in rows] == ["WHY-1", "WHY-2"], p.stdout
        assert rows[0]["URGENCY"] == "immediate !", rows
        assert rows[1]["URGENCY"] == "days", rows
        assert "! escalated: waiting longer than its urgency allows" \
            in p.stdout
        # Why: the near misses by what they lack, the closed one with
        # its shelter's reason, and the forecast.
        assert rows[1]["WHY"] == (
            "full: %s; closed: %s (renovation); expected at %s from 31 Dec "
            "%d" % (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, DEFAULT_SHELTER_ID,
                    int(day[:4]) + 1)), rows
        # --json is request.list's result, without explanations.
        j = json.loads(expect(ctl("requests", "--json", env=env,
                                  role="coordinator"), 0).stdout)
        assert all("explanation" not in r for r in j["requests"]), j
        # The protocol side: explain gives each waiting one its reasons.
        res = c.call("request.list", {"explain": True})["requests"]
        assert res[0]["explanation"]["reasons"]["intake_closed"] == 1
        # request ID|REF: the forecast and the short why.
        p = expect(ctl("request", "WHY-2", env=env, role="coordinator"), 0)
        kv = dict(l.split(None, 1) for l in p.stdout.split("\n\n")[0]
                  .splitlines())
        assert kv["expected"] == "a fitting place at %s, pool main, from " \
            "31 Dec %d" % (DEFAULT_SHELTER_ID, int(day[:4]) + 1), kv
        p = expect(ctl("request", "WHY-1", env=env, role="coordinator"), 0)
        assert "escalated" in p.stdout.splitlines()[1], p.stdout


def test_ctl_accept_and_reject_take_a_request_or_ref():
    two = [shelter(DEFAULT_SHELTER_ID, total=1),
           shelter(OTHER_SHELTER_ID, municipality="Zwolle", total=1)]
    with Env(shelters=two) as env:
        c = env.client("coordinator")
        r = c.call("request.submit", {"request": request("AR-1")})
        first = r["proposal"]["shelter_id"]
        p = expect(ctl("reject", "AR-1", "--reason", "no", env=env,
                       role="coordinator"), 0)
        assert p.stdout.startswith("%s rejected" % r["proposal"]["id"])
        nxt = c.call("request.get", {"ref": "AR-1"})["request"]["proposal"]
        assert nxt["shelter_id"] != first
        p = expect(ctl("accept", r["request"]["id"], env=env,
                       role="coordinator"), 0)
        assert p.stdout.strip().startswith("%s accepted: %s is placed" % (
            nxt["id"], r["request"]["id"])), p.stdout
        p = expect(ctl("accept", "AR-1", env=env, role="coordinator"), 1)
        assert "has no open proposal: it is placed" in p.stderr, p.stderr
        expect(ctl("reject", "NOPE-9", "--reason", "x", env=env,
                   role="coordinator"), 1)


def test_ctl_long_stays_table():
    seed = [shelter(DEFAULT_SHELTER_ID, total=2)]
    with Env(shelters=seed, extra={"debug": {"clock": True},
                                   "norms": {"cosm": 90}}) as env:
        c = env.client("coordinator")
        a = env.client("admin")
        p = c.call("request.submit", {"request": request("LST-1")})
        c.call("proposal.accept", {"id": p["proposal"]["id"]})
        a.call("placement.arrived", {"request_id": p["request"]["id"]})
        out = expect(ctl("long-stays", env=env, role="coordinator"), 0)
        assert out.stdout.strip() == \
            "no resident is past the norm of their program"
        a.call("debug.advance", {"seconds": 95 * 86400})
        heads = ["REQUEST", "SHELTER", "POOL", "PROGRAM", "DAYS", "NORM",
                 "OVER", "PLANNED DEPARTURE"]
        out = expect(ctl("long-stays", "--program", "cosm", env=env,
                         role="coordinator"), 0)
        rows = columns(out.stdout, heads)
        assert rows == [{"REQUEST": p["request"]["id"],
                         "SHELTER": DEFAULT_SHELTER_ID, "POOL": "main",
                         "PROGRAM": "cosm", "DAYS": "95", "NORM": "90",
                         "OVER": "+5", "PLANNED DEPARTURE": "none reported"}
                        ], out.stdout
        j = json.loads(expect(ctl("long-stays", "--json", env=env,
                                  role="shelter"), 0).stdout)
        assert j["stays"][0]["days"] == 95
        expect(ctl("long-stays", "--program", "any", env=env,
                   role="coordinator"), 1)


def test_ctl_help_submit_lists_every_allowed_value():
    p = expect(ctl("help", "submit"), 0)
    vals = {}
    for line in p.stdout.split("Allowed values:\n")[1].splitlines():
        if line.startswith("  --"):
            flag, rest = line.split(None, 1)
            vals[flag] = rest
        elif line.startswith(" " * 17):
            vals[flag] += " " + line.strip()
    assert "psychiatric," in vals["--needs"] and "addiction" in \
        vals["--needs"], vals
    assert vals["--security"] == "standard, protected, secret", vals
    assert "labour" in vals["--sector"] and "police" in vals["--referrer"]
    assert "reflection" in vals["--residence"], vals
    # Every value listed is accepted by the daemon's validator.
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=5)]) as env:
        for flag in ("--sector", "--referrer", "--residence",
                     "--security"):
            for v in vals[flag].split(", "):
                q = ctl("preview", "--gender", "f", "--age", "30", flag, v,
                        env=env)
                assert q.returncode in (0, 3), (flag, v, q.stderr)


def test_distances_in_preview_and_proposals():
    two = [shelter(DEFAULT_SHELTER_ID, municipality="Rotterdam", total=1),
           shelter(OTHER_SHELTER_ID, municipality="Zwolle", total=1)]
    with Env(shelters=two) as env:
        c = env.client("coordinator")
        req = request("KM-1", exploitation={
            "location": {"municipality": "Groningen"}, "sector": "labour"},
            preferred_location={"municipality": "Rotterdam"})
        cands = c.call("match.preview", {"request": req})["candidates"]
        by = {x["shelter_id"]: x["distance_km"] for x in cands}
        rdam = by[DEFAULT_SHELTER_ID]
        assert rdam["preferred"] == 0.0 and 180 < rdam["exploitation"] < 230
        assert round(rdam["exploitation"], 1) == rdam["exploitation"]
        p = expect(ctl("preview", "--gender", "f", "--age", "30",
                       "--residence", "reflection", "--exploitation",
                       "Groningen", "--preferred", "Rotterdam", env=env), 0)
        rows = {r["SHELTER"]: r for r in table(p.stdout)}
        assert rows[DEFAULT_SHELTER_ID]["KM-PREF"] == "0.0", p.stdout
        assert float(rows[DEFAULT_SHELTER_ID]["KM-EXPL"]) == \
            rdam["exploitation"], p.stdout
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["proposals"]})
        prop = c.call("request.submit", {"request": req})["proposal"]
        assert prop["distance_km"] == by[prop["shelter_id"]], prop
        # Not in events: the distance is about the person.
        ev = w.wait_event(lambda e: e["type"] == "proposal.created")
        assert "distance_km" not in ev["data"]["proposal"], ev
        # Without locations: null; the same through a batch.
        res = c.call("request.submit_batch", {"requests": [
            request("KM-2")]})["results"][0]
        assert res["proposal"]["distance_km"] == {"exploitation": None,
                                                  "preferred": None}
        p = expect(ctl("request", "KM-1", env=env, role="coordinator"), 0)
        assert "km from the exploitation location" in p.stdout, p.stdout
