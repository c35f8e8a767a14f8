"""shelter.put / get / list / remove / capacity / intake and the seed file."""

import copy

from harness import (DEFAULT_SHELTER_ID, Env, expect_error, pool, pool_of,
                     request, shelter, wait_until)


def test_put_get_round_trip_adds_live_fields():
    with Env() as env:
        c = env.client("admin")
        s = shelter("t-round", pools=[
            pool("women", genders=["f"], children_max=2, total=10,
                 occupied=8),
            pool("men", genders=["m"], total=3, occupied=0)])
        s["location"] = {"municipality": "Rotterdam"}
        out = c.call("shelter.put", {"shelter": s})["shelter"]
        got = c.call("shelter.get", {"id": "t-round"})["shelter"]
        for doc in (out, got):
            assert doc["id"] == "t-round"
            assert doc["program"] == "cosm"
            since = doc["intake"].pop("since")
            assert since == doc["updated_at"], doc
            assert doc["intake"] == {"open": True, "always": True,
                                     "reason": None}
            loc = doc["location"]
            assert loc["municipality"] == "Rotterdam"
            assert abs(loc["lat"] - 51.92) < 0.1 and abs(loc["lon"] - 4.48) \
                < 0.1, loc
            assert isinstance(doc["version"], int)
            assert isinstance(doc["updated_at"], str)
            women = pool_of(doc, "women")
            assert (women["total"], women["occupied"], women["held"],
                    women["expected"], women["free"], women["overbooked"]) \
                == (10, 8, 0, 0, 2, False), women
            assert [p["name"] for p in doc["pools"]] == ["women", "men"]
        # A shelter without intake is open and not 24/7.
        s2 = shelter("t-no-intake", total=1)
        del s2["intake"]
        doc = c.call("shelter.put", {"shelter": s2})["shelter"]
        assert doc["intake"]["reason"] is None and doc["intake"]["since"]
        assert (doc["intake"]["open"], doc["intake"]["always"]) == (
            True, False), doc["intake"]
        # Explicit lat/lon are kept as given.
        s3 = shelter("t-coords", total=1)
        s3["location"] = {"lat": 52.5, "lon": 6.1}
        doc = c.call("shelter.put", {"shelter": s3})["shelter"]
        assert doc["location"]["lat"] == 52.5 and \
            doc["location"]["lon"] == 6.1
        assert "municipality" not in doc["location"] or \
            doc["location"]["municipality"] is None


def test_put_validation_names_the_field():
    cases = [
        (lambda s: s.update(address="Main street 1"), "unknown_field",
         "address"),
        (lambda s: s["location"].update(street="x"), "unknown_field",
         "location.street"),
        (lambda s: s.pop("id"), "missing_field", "id"),
        (lambda s: s.update(id="Bad_Id"), "invalid_field", "id"),
        (lambda s: s.update(program="hotel"), "invalid_field", "program"),
        (lambda s: s.update(security="fort"), "invalid_field", "security"),
        (lambda s: s.update(care=["trauma", "massage"]), "invalid_field",
         "care.1"),
        (lambda s: s.update(languages=["nl", "EN"]), "invalid_field",
         "languages.1"),
        (lambda s: s["pools"][0].update(total=-1), "invalid_field",
         "pools.0.total"),
        (lambda s: s["pools"][0].update(colour="red"), "unknown_field",
         "pools.0.colour"),
        (lambda s: s["pools"][0].update(genders=["f", "q"]), "invalid_field",
         "pools.0.genders.1"),
        (lambda s: s.update(location={"municipality": "Atlantis"}),
         "invalid_field", "location.municipality"),
    ]
    with Env() as env:
        c = env.client("admin")
        for mutate, reason, field in cases:
            s = shelter("t-valid", total=2)
            mutate(s)
            e = expect_error(lambda: c.call("shelter.put", {"shelter": s}),
                             -32602, reason, field)
            assert field in e.message, e.message
        expect_error(lambda: c.call("shelter.put", {}), -32602,
                     "missing_field", "shelter")
        expect_error(lambda: c.call("shelter.put", {"shelter": "x"}), -32602,
                     "invalid_field", "shelter")
        # None of them was stored.
        assert c.call("shelter.list")["shelters"] == []


def test_put_existing_keeps_live_counts_and_intake():
    with Env() as env:
        c = env.client("admin")
        s = shelter("t-keep", pools=[pool("main", total=5, occupied=1)])
        v1 = c.call("shelter.put", {"shelter": s})["shelter"]["version"]
        c.call("shelter.capacity", {"id": "t-keep",
                                    "pools": {"main": {"occupied": 3}}})
        c.call("shelter.intake", {"id": "t-keep", "open": False,
                                  "reason": "staff shortage"})
        s2 = copy.deepcopy(s)
        s2["name"] = "Renamed shelter"
        s2["intake"] = {"open": True, "always": False}
        s2["pools"] = [pool("main", total=99, occupied=0),
                       pool("family", children_max=3, total=2, occupied=1)]
        doc = c.call("shelter.put", {"shelter": s2})["shelter"]
        assert doc["name"] == "Renamed shelter"
        main, fam = pool_of(doc, "main"), pool_of(doc, "family")
        assert (main["total"], main["occupied"]) == (5, 3), main
        assert (fam["total"], fam["occupied"], fam["free"]) == (2, 1, 1), fam
        assert doc["intake"]["open"] is False, "put reopened a closed shelter"
        assert doc["intake"]["always"] is False
        assert doc["version"] > v1
        # A pool left out is removed.
        s3 = copy.deepcopy(s2)
        s3["pools"] = [pool("main")]
        doc = c.call("shelter.put", {"shelter": s3})["shelter"]
        assert [p["name"] for p in doc["pools"]] == ["main"]


def test_pool_or_shelter_that_holds_someone_cannot_go():
    with Env() as env:
        c = env.client("admin")
        s = shelter("t-hold", pools=[pool("main", total=1),
                                     pool("spare", total=0)])
        c.call("shelter.put", {"shelter": s})
        sub = c.call("request.submit", {"request": request("HOLD-1")})
        assert sub["proposal"]["pool"] == "main"
        s2 = copy.deepcopy(s)
        s2["pools"] = [pool("spare", total=0)]
        expect_error(lambda: c.call("shelter.put", {"shelter": s2}), -32009,
                     "state")
        expect_error(lambda: c.call("shelter.remove", {"id": "t-hold"}),
                     -32009, "state")
        doc = c.call("shelter.get", {"id": "t-hold"})["shelter"]
        assert pool_of(doc, "main")["held"] == 1
        # Accepted: the expected arrival still blocks removal.
        c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        expect_error(lambda: c.call("shelter.remove", {"id": "t-hold"}),
                     -32009, "state")
        c.call("request.cancel", {"id": sub["request"]["id"],
                                  "reason": "test"})
        assert c.call("shelter.remove", {"id": "t-hold"}) == {"id": "t-hold"}
        expect_error(lambda: c.call("shelter.get", {"id": "t-hold"}), -32004,
                     "shelter")
        expect_error(lambda: c.call("shelter.remove", {"id": "t-hold"}),
                     -32004, "shelter")


def test_capacity_partial_version_and_errors():
    with Env() as env:
        c = env.client("admin")
        c.call("shelter.put", {"shelter": shelter("t-cap", pools=[
            pool("a", total=4, occupied=1), pool("b", total=6, occupied=2)])})
        v = c.call("shelter.get", {"id": "t-cap"})["shelter"]["version"]
        doc = c.call("shelter.capacity", {"id": "t-cap", "pools": {
            "a": {"occupied": 3}}})["shelter"]
        assert (pool_of(doc, "a")["total"], pool_of(doc, "a")["occupied"]) \
            == (4, 3)
        assert (pool_of(doc, "b")["total"], pool_of(doc, "b")["occupied"]) \
            == (6, 2), "a pool not named changed"
        assert doc["version"] == v + 1
        doc = c.call("shelter.capacity", {"id": "t-cap", "if_version": v + 1,
                                          "pools": {"b": {"total": 8}}})[
            "shelter"]
        assert pool_of(doc, "b")["free"] == 6
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-cap", "if_version": v, "pools": {"a": {"occupied": 0}}}),
            -32009, "version")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-cap", "pools": {"zzz": {"occupied": 0}}}),
            -32602, "invalid_field", "pools.zzz")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-cap", "pools": {"a": {"occupied": 9}}}),
            -32602, "invalid_field", "pools.a.occupied")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-cap", "pools": {"a": {"occupied": -1}}}),
            -32602, "invalid_field", "pools.a.occupied")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-cap", "pools": {"a": {"beds": 1}}}),
            -32602, "unknown_field", "pools.a.beds")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-nope", "pools": {"a": {"occupied": 0}}}),
            -32004, "shelter")
        # Without pools: a heartbeat (test_helpdesk.py), no new version.
        c.call("shelter.capacity", {"id": "t-cap"})
        # Refused updates changed nothing.
        doc = c.call("shelter.get", {"id": "t-cap"})["shelter"]
        assert doc["version"] == v + 2
        assert pool_of(doc, "a")["occupied"] == 3


def test_capacity_below_holds_is_overbooked_never_negative():
    with Env() as env:
        c = env.client("admin")
        c.call("shelter.put", {"shelter": shelter("t-over", total=2)})
        c.call("request.submit", {"request": request("OVER-1")})
        c.call("request.submit", {"request": request("OVER-2")})
        doc = c.call("shelter.capacity", {"id": "t-over", "pools": {
            "main": {"total": 1}}})["shelter"]
        p = pool_of(doc, "main")
        assert p["held"] == 2 and p["free"] == 0 and p["overbooked"] is True, p
        # No further proposal into an overbooked pool.
        sub = c.call("request.submit", {"request": request("OVER-3")})
        assert sub["proposal"] is None
        assert sub["request"]["status"] == "waiting"


def test_intake_closed_and_available_only():
    with Env() as env:
        c = env.client("admin")
        for sid, total, prog in [("t-l-c", 2, "omm"), ("t-l-a", 2, "cosm"),
                                 ("t-l-b", 0, "cosm")]:
            c.call("shelter.put", {"shelter": shelter(sid, total=total,
                                                      program=prog)})
        ids = [s["id"] for s in c.call("shelter.list")["shelters"]]
        assert ids == ["t-l-a", "t-l-b", "t-l-c"], ids
        ids = [s["id"] for s in c.call("shelter.list", {"program": "cosm"})[
            "shelters"]]
        assert ids == ["t-l-a", "t-l-b"], ids
        ids = [s["id"] for s in c.call("shelter.list", {
            "available_only": True})["shelters"]]
        assert ids == ["t-l-a", "t-l-c"], ids
        v = c.call("shelter.get", {"id": "t-l-a"})["shelter"]["version"]
        doc = c.call("shelter.intake", {"id": "t-l-a", "open": False,
                                        "reason": "renovation"})["shelter"]
        assert doc["intake"]["open"] is False and doc["version"] == v + 1
        ids = [s["id"] for s in c.call("shelter.list", {
            "available_only": True})["shelters"]]
        assert ids == ["t-l-c"], ids
        # A closed shelter gets no proposal.
        sub = c.call("request.submit", {"request": request(
            "INTAKE-1", program="cosm")})
        assert sub["proposal"] is None
        assert sub["explanation"]["reasons"].get("intake_closed") == 1, \
            sub["explanation"]
        expect_error(lambda: c.call("shelter.intake", {"id": "t-l-a"}),
                     -32602, "missing_field", "open")
        expect_error(lambda: c.call("shelter.intake", {"id": "t-l-a",
                                                       "open": "no"}),
                     -32602, "invalid_field", "open")
        expect_error(lambda: c.call("shelter.intake", {"id": "t-nope",
                                                       "open": True}),
                     -32004, "shelter")
        # Reopening proposes to the waiting request.
        c.call("shelter.intake", {"id": "t-l-a", "open": True})
        wait_until(lambda: c.call("request.get", {
            "id": sub["request"]["id"]})["request"]["status"] == "proposed",
            5, what="waiting request proposed after reopening")


def test_list_param_errors():
    with Env() as env:
        c = env.client("coordinator")
        expect_error(lambda: c.call("shelter.list", {"program": "spa"}),
                     -32602, "invalid_field", "program")
        expect_error(lambda: c.call("shelter.list", {"available_only": 1}),
                     -32602, "invalid_field", "available_only")
        expect_error(lambda: c.call("shelter.list", {"sort": "id"}), -32602,
                     "unknown_field", "sort")
        expect_error(lambda: c.call("shelter.get", {}), -32602,
                     "missing_field", "id")
        expect_error(lambda: c.call("shelter.get", {"id": "t-none"}), -32004,
                     "shelter")


def test_seed_file_applied_and_restart_keeps_live_state():
    seed = [shelter("t-seed-a", total=3), shelter("t-seed-b", total=2,
                                                  municipality="Zwolle")]
    with Env(shelters=seed) as env:
        c = env.client("admin")
        ids = [s["id"] for s in c.call("shelter.list")["shelters"]]
        assert ids == ["t-seed-a", "t-seed-b"]
        c.call("shelter.capacity", {"id": "t-seed-a",
                                    "pools": {"main": {"occupied": 2}}})
        c.call("shelter.intake", {"id": "t-seed-b", "open": False})
        env.daemon.restart()
        c = env.client("admin")
        a = c.call("shelter.get", {"id": "t-seed-a"})["shelter"]
        b = c.call("shelter.get", {"id": "t-seed-b"})["shelter"]
        assert pool_of(a, "main")["occupied"] == 2, "seed clobbered counts"
        assert b["intake"]["open"] is False, "restart reopened a shelter"


def test_more_shelter_validation():
    with Env() as env:
        c = env.client("admin")
        s = shelter("t-utf8", total=1)
        s["name"] = "Opvang Zuid \u2014 \u00c6r\u00f8 \u00e9t\u00e9"
        doc = c.call("shelter.put", {"shelter": s})["shelter"]
        assert doc["name"] == s["name"]
        s = shelter("t-long", total=1)
        s["name"] = "x" * 129
        expect_error(lambda: c.call("shelter.put", {"shelter": s}), -32602,
                     "invalid_field", "name")
        s = shelter("t-twice", pools=[pool("main"), pool("main")])
        expect_error(lambda: c.call("shelter.put", {"shelter": s}), -32602,
                     "invalid_field", "pools.1.name")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-utf8", "if_version": "1",
            "pools": {"main": {"occupied": 0}}}), -32602, "invalid_field",
            "if_version")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": "t-utf8", "pools": {"main": {"occupied": 0.5}}}), -32602,
            "invalid_field", "pools.main.occupied")


def test_put_with_a_new_pool_emits_capacity_with_all_pools():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=2)]) as env:
        w = env.client("service")
        w.call("session.subscribe", {"topics": ["capacity"]})
        c = env.client("admin")
        s = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=2),
                                               pool("annex", total=3)])
        c.call("shelter.put", {"shelter": s})
        ev = w.wait_event(lambda e: e["type"] == "capacity.changed", 3)
        assert [p["name"] for p in ev["data"]["pools"]] == ["main", "annex"]
        annex = ev["data"]["pools"][1]
        assert (annex["total"], annex["free"]) == (3, 3), annex
        # An unchanged put changes nothing: no event, same version.
        v = c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"][
            "version"]
        c.call("shelter.put", {"shelter": s})
        assert w.events(0.7) == []
        assert c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"][
            "version"] == v


def test_restart_loads_every_shelter_of_a_register_of_many_pages():
    # 1,203 shelters: the table loads them in pages of 500, several in
    # flight at once. Those at the pages' ends are the only ones that
    # offer pregnancy care; after a restart the table has them all.
    # (Put by calls, not a seed file: a restart would put those again.)
    ends = {0, 499, 500, 999, 1000, 1001, 1202}
    with Env() as env:
        c = env.client("admin")
        for i in range(1203):
            s = shelter("t-pages-%04d" % i, total=2)
            if i in ends:
                s["care"] = ["trauma", "pregnancy"]
            c.call("shelter.put", {"shelter": s})
        env.daemon.restart()
        c = env.client("coordinator")
        prev = c.call("match.preview",
                      {"request": request("T-PAGES", needs=["pregnancy"])})
        assert prev["explanation"]["total"] == 1203, \
            prev["explanation"]["message"]
        got = sorted(x["shelter_id"] for x in prev["candidates"])
        assert got == ["t-pages-%04d" % i for i in sorted(ends)], got


def test_removing_a_shelter_tells_capacity_subscribers_its_pools_are_gone():
    with Env(shelters=[shelter("t-keep", total=2),
                       shelter("t-gone", total=3)]) as env:
        a = env.client("admin")
        sub = env.client("coordinator")
        own = env.client("shelter")  # the seeded shelter token's own
        sub.call("session.subscribe", {"topics": ["capacity"]})
        own.call("session.subscribe", {"topics": ["capacity"]})
        v = a.call("shelter.get", {"id": "t-gone"})["shelter"]["version"]
        assert a.call("shelter.remove", {"id": "t-gone"}) == {"id": "t-gone"}
        evs = sub.events(1.0)
        assert [(e["type"], e["data"]) for e in evs] == [
            ("capacity.changed",
             {"shelter_id": "t-gone", "version": v + 1, "pools": []})], evs
        # A shelter token sees only its own shelter's events.
        assert own.events(0.3) == []
        # The daemon's table dropped it: it is matched nowhere.
        assert [s["id"] for s in a.call("shelter.list", {})["shelters"]] \
            == ["t-keep"]
        out = env.client("coordinator").call("match.preview",
                                              {"request": request("RM-1")})
        assert [c["shelter_id"] for c in out["candidates"]] == ["t-keep"]


def test_capacity_reply_is_the_shelter_that_get_shows():
    # shelter.capacity's reply goes out as the store wrote it, with its
    # freshness spliced in: member by member and in order the shelter
    # shelter.get shows, for a heartbeat and a report, stale or fresh.
    import datetime
    two = shelter("t-reply", pools=[pool("women", genders=("f",), total=4),
                                    pool("men", genders=("m",), total=3)])
    with Env(shelters=[two], extra={"debug": {"clock": True}}) as env:
        a = env.client("admin")
        c = env.client("coordinator")
        today = datetime.date.fromisoformat(
            a.call("session.ping")["time"][:10])
        a.call("shelter.departures", {"id": "t-reply", "pools": {
            "women": [{"date": (today + datetime.timedelta(1)).isoformat()}]}})
        a.call("debug.advance", {"seconds": 2 * 86400})
        c.call("request.submit", {"request": request("CR-1")})

        def same(reply):
            got = a.call("shelter.get", {"id": "t-reply"})["shelter"]
            assert list(reply) == ["shelter"], reply
            assert reply["shelter"] == got, (reply["shelter"], got)
            assert list(reply["shelter"]) == list(got)
            return got

        s = same(a.call("shelter.capacity", {"id": "t-reply"}))
        assert s["freshness"] == "stale" and s["departures_unconfirmed"], s
        assert s["pools"][0]["held"] == 1, s
        s = same(a.call("shelter.capacity", {"id": "t-reply", "pools": {
            "men": {"occupied": 3}}}))
        assert s["freshness"] == "fresh" and s["pools"][1]["occupied"] == 3
        assert s["departures_unconfirmed"] == [], s
        # The table took the report at once: the men's pool is full.
        m = c.call("request.submit", {"request": request("CR-2", gender="m")})
        assert m["proposal"] is None and m["explanation"], m
        s = same(a.call("shelter.capacity", {"id": "t-reply", "pools": {
            "women": {"total": 5}}}))
        assert s["pools"][0]["total"] == 5 and s["pools"][0]["held"] == 1
        # A shelter stored before the packed form: the reply is decoded
        # and written again, the same object all the same.
        c.call("request.cancel", {"id": m["request"]["id"],
                                  "reason": "other_solution"})
        env.redis.cmd("HDEL", "shelterd:shelter:t-reply", "tab")
        s = same(a.call("shelter.capacity", {"id": "t-reply", "pools": {
            "men": {"occupied": 2}}}))
        assert s["pools"][1]["free"] == 1, s
        m = c.call("request.submit", {"request": request("CR-3", gender="m")})
        assert m["proposal"]["pool"] == "men", m
