"""Version 2 time rules, driven by the test clock: freshness and stale
reminders, planned departures and the forecast of a waiting request,
escalation, expiring proposals, stays beyond the norm."""

import datetime

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Env, expect_error,
                     pool, request, shelter)

CLOCK = {"debug": {"clock": True}}
HOUR = 3600
DAY = 86400


def full(id=DEFAULT_SHELTER_ID, total=1):
    return shelter(id, pools=[pool("main", total=total, occupied=total)])


def day(now_iso, plus_days):
    d = datetime.date.fromisoformat(now_iso[:10])
    return (d + datetime.timedelta(days=plus_days)).isoformat()


def now_of(c):
    return c.call("session.ping")["time"]


def test_freshness_states_and_stale_event_with_reminder():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=2)],
             extra=CLOCK) as env:
        a = env.client("admin")
        own = env.client("shelter")
        own.call("session.subscribe", {"topics": ["capacity"]})
        s = a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        assert s["freshness"] == "fresh" and s["report_age_s"] < 60, s
        a.call("debug.advance", {"seconds": 13 * HOUR})
        s = a.call("shelter.list")["shelters"][0]
        assert s["freshness"] == "ageing", s
        assert s["report_age_s"] >= 13 * HOUR, s
        a.call("debug.advance", {"seconds": 11 * HOUR})
        ev = own.wait_event(lambda e: e["type"] == "capacity.stale")
        assert ev["data"]["shelter_id"] == DEFAULT_SHELTER_ID
        assert ev["data"]["report_age_s"] >= 24 * HOUR
        assert ev["data"]["updated_at"] == s["updated_at"]
        assert a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["freshness"] == "stale"
        # No second event before remind_h ...
        a.call("debug.advance", {"seconds": 23 * HOUR})
        assert not [e for e in own.events(0.3)
                    if e["type"] == "capacity.stale"]
        # ... then the reminder.
        a.call("debug.advance", {"seconds": 1 * HOUR})
        ev = own.wait_event(lambda e: e["type"] == "capacity.stale")
        assert ev["data"]["report_age_s"] >= 48 * HOUR
        # A report makes it fresh and stops the reminders.
        own.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                      "pools": {"main": {"occupied": 1}}})
        assert a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["freshness"] == "fresh"
        a.call("debug.advance", {"seconds": 12 * HOUR})
        assert not [e for e in own.events(0.3)
                    if e["type"] == "capacity.stale"]


def test_a_proposal_at_a_stale_shelter_says_so():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=2)],
             extra=CLOCK) as env:
        a = env.client("admin")
        a.call("debug.advance", {"seconds": 25 * HOUR})
        c = env.client("coordinator")
        prop = c.call("request.submit",
                      {"request": request("FR-STALE")})["proposal"]
        assert prop["stale"] is True, prop
        c.call("proposal.reject", {"id": prop["id"], "reason": "phoned"})
        own = env.client("shelter")
        own.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                      "pools": {"main": {"occupied": 0}}})
        p2 = c.call("request.submit",
                    {"request": request("FR-FRESH")})["proposal"]
        assert p2["stale"] is False, p2


def test_a_heartbeat_makes_it_fresh_and_it_turns_stale_again_on_time():
    # remind_h above stale_h: after a heartbeat the next capacity.stale
    # comes stale_h later, not at the old reminder.
    cfg = dict(CLOCK, freshness={"ageing_h": 1, "stale_h": 2,
                                 "remind_h": 24})
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=2)],
             extra=cfg) as env:
        a = env.client("admin")
        own = env.client("shelter")
        own.call("session.subscribe", {"topics": ["capacity"]})
        a.call("debug.advance", {"seconds": 2 * HOUR + 60})
        own.wait_event(lambda e: e["type"] == "capacity.stale")
        own.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID})
        assert a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["freshness"] == "fresh"
        a.call("debug.advance", {"seconds": 2 * HOUR + 60})
        ev = own.wait_event(lambda e: e["type"] == "capacity.stale")
        assert ev["data"]["reason"] == "report_age", ev
        assert 2 * HOUR <= ev["data"]["report_age_s"] < 3 * HOUR, ev


def test_a_proposal_after_an_unconfirmed_departure_is_stale():
    # stale_h 72: the report itself stays young enough; only the passed
    # departure makes the shelter stale, with no other event about it.
    cfg = dict(CLOCK, freshness={"ageing_h": 48, "stale_h": 72,
                                 "remind_h": 72})
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)],
             extra=cfg) as env:
        a = env.client("admin")
        today = now_of(a)
        a.call("shelter.departures", {"id": DEFAULT_SHELTER_ID, "pools": {
            "main": [{"date": day(today, 1)}]}})
        c = env.client("coordinator")
        p1 = c.call("request.submit",
                    {"request": request("FU-1")})["proposal"]
        assert p1["stale"] is False, p1
        a.call("debug.advance", {"seconds": 2 * DAY})
        s = a.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        assert s["freshness"] == "stale" and s["departures_unconfirmed"], s
        p2 = c.call("request.submit",
                    {"request": request("FU-2")})["proposal"]
        assert p2["shelter_id"] == DEFAULT_SHELTER_ID
        assert p2["stale"] is True, p2


def test_escalation_of_an_immediate_request():
    with Env(shelters=[full()], extra=CLOCK) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["requests"]})
        c = env.client("coordinator")
        r = c.call("request.submit", {"request": request(
            "ESC-1", urgency="immediate")})["request"]
        d = c.call("request.submit", {"request": request(
            "ESC-2", urgency="days")})["request"]
        assert r["escalated"] is False
        a = env.client("admin")
        a.call("debug.advance", {"seconds": 59 * 60})
        assert not [e for e in w.events(0.3)
                    if e["type"] == "request.escalated"]
        a.call("debug.advance", {"seconds": 61})
        ev = w.wait_event(lambda e: e["type"] == "request.escalated")
        assert ev["data"]["request_id"] == r["id"], ev
        assert ev["data"]["ref"] == "ESC-1"
        assert ev["data"]["urgency"] == "immediate"
        assert ev["data"]["status"] == "waiting"
        assert ev["data"]["waited_s"] >= 3600
        got = c.call("request.get", {"id": r["id"]})["request"]
        assert got["escalated"] is True
        assert c.call("request.get", {"id": d["id"]})["request"][
            "escalated"] is False
        # Repeated every repeat_min while it waits.
        a.call("debug.advance", {"seconds": 3600})
        ev = w.wait_event(lambda e: e["type"] == "request.escalated")
        assert ev["data"]["request_id"] == r["id"]
        assert ev["data"]["waited_s"] >= 7200
        # A cancelled request no longer escalates.
        c.call("request.cancel", {"id": r["id"], "reason": "gone"})
        a.call("debug.advance", {"seconds": 3600})
        assert not [e for e in w.events(0.3)
                    if e["type"] == "request.escalated"
                    and e["data"]["request_id"] == r["id"]]


def test_proposal_expiring_once():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)],
             extra=CLOCK) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["proposals"]})
        c = env.client("coordinator")
        prop = c.call("request.submit",
                      {"request": request("EXPG")})["proposal"]
        a = env.client("admin")
        a.call("debug.advance", {"seconds": 1800 - 11 * 60})
        assert not [e for e in w.events(0.3)
                    if e["type"] == "proposal.expiring"]
        a.call("debug.advance", {"seconds": 2 * 60})
        ev = w.wait_event(lambda e: e["type"] == "proposal.expiring")
        assert ev["data"]["proposal"]["id"] == prop["id"]
        assert ev["data"]["request_id"] == prop["request_id"]
        a.call("debug.advance", {"seconds": 60})
        assert not [e for e in w.events(0.3)
                    if e["type"] == "proposal.expiring"]


def test_departures_forecast_and_passing_unconfirmed():
    seed = [full(DEFAULT_SHELTER_ID), full(OTHER_SHELTER_ID)]
    with Env(shelters=seed, extra=CLOCK) as env:
        own = env.client("shelter")
        a = env.client("admin")
        today = now_of(a)
        s = own.call("shelter.departures", {
            "id": DEFAULT_SHELTER_ID,
            "pools": {"main": [{"date": day(today, 5)},
                               {"date": day(today, 3), "count": 2},
                               {"date": day(today, 5)}]}})["shelter"]
        assert s["pools"][0]["departures"] == [
            {"date": day(today, 3), "count": 2},
            {"date": day(today, 5), "count": 2}], s
        # Neither free nor occupied.
        assert s["pools"][0]["free"] == 0 and s["pools"][0]["occupied"] == 1
        a.call("shelter.departures", {"id": OTHER_SHELTER_ID, "pools": {
            "main": [{"date": day(today, 2)}]}})
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("FC-1")})
        ex = sub["explanation"]
        assert ex["forecast"] == {"shelter_id": OTHER_SHELTER_ID,
                                  "pool": "main",
                                  "date": day(today, 2)}, ex
        assert "expected: a fitting place at %s from" % OTHER_SHELTER_ID \
            in ex["message"], ex["message"]
        assert ex["message"].endswith("."), ex["message"]
        pv = c.call("match.preview", {"request": request("FC-2")})
        assert pv["explanation"]["forecast"]["shelter_id"] == \
            OTHER_SHELTER_ID
        # A request no pool admits gets no forecast.
        kid = c.call("match.preview", {"request": request("FC-3", age=15)})
        assert kid["explanation"]["forecast"] is None
        # The date passes unconfirmed: out of the plan, shelter flagged.
        a.call("debug.advance", {"seconds": 3 * DAY})
        b = a.call("shelter.get", {"id": OTHER_SHELTER_ID})["shelter"]
        assert b["pools"][0]["departures"] == []
        assert b["departures_unconfirmed"] == [
            {"pool": "main", "date": day(today, 2), "count": 1}], b
        assert b["freshness"] == "stale"
        pv = c.call("match.preview", {"request": request("FC-4")})
        assert pv["explanation"]["forecast"] == {
            "shelter_id": DEFAULT_SHELTER_ID, "pool": "main",
            "date": day(today, 3)}
        # A capacity report clears the flag.
        a.call("shelter.capacity", {"id": OTHER_SHELTER_ID,
                                    "pools": {"main": {"occupied": 1}}})
        b = a.call("shelter.get", {"id": OTHER_SHELTER_ID})["shelter"]
        assert b["departures_unconfirmed"] == [] and \
            b["freshness"] == "fresh", b
        # A new report replaces the plan of the pools named.
        s = own.call("shelter.departures", {"id": DEFAULT_SHELTER_ID,
                                            "pools": {"main": []}})
        assert s["shelter"]["pools"][0]["departures"] == []


def test_departures_checks():
    with Env(shelters=[full(DEFAULT_SHELTER_ID), full(OTHER_SHELTER_ID)],
             extra=CLOCK) as env:
        own = env.client("shelter")
        today = now_of(own)

        def dep(pools, id=DEFAULT_SHELTER_ID, cl=own):
            return lambda: cl.call("shelter.departures",
                                   {"id": id, "pools": pools})
        expect_error(dep({"main": [{"date": day(today, -1)}]}), -32602,
                     "invalid_field", "pools.main.0.date")
        expect_error(dep({"main": [{"date": "14-12-2026"}]}), -32602,
                     "invalid_field", "pools.main.0.date")
        expect_error(dep({"main": [{"date": day(today, 1), "count": 0}]}),
                     -32602, "invalid_field", "pools.main.0.count")
        expect_error(dep({"main": [{"count": 1}]}), -32602,
                     "missing_field", "pools.main.0.date")
        e = expect_error(dep({"main": [{"date": day(today, 1),
                                        "name": "x"}]}),
                         -32602, "unknown_field", "pools.main.0.name")
        expect_error(dep({"main": {"date": day(today, 1)}}), -32602,
                     "invalid_field", "pools.main")
        expect_error(dep({"nope": [{"date": day(today, 1)}]}), -32602,
                     "invalid_field", "pools.nope")
        expect_error(dep({"main": [{"date": day(today, i)}
                                   for i in range(17)]}),
                     -32602, "invalid_field", "pools.main")
        expect_error(dep({"main": []}, id=OTHER_SHELTER_ID), -32003,
                     "not_own_shelter")
        a = env.client("admin")
        expect_error(dep({"main": []}, id="t-none", cl=a), -32004,
                     "shelter")
        for role in ("coordinator", "service"):
            expect_error(dep({"main": []}, cl=env.client(role)), -32003,
                         "role")
        assert e.message


def test_long_stays():
    seed = [shelter(DEFAULT_SHELTER_ID, total=3),
            shelter(OTHER_SHELTER_ID, program="omm", total=1,
                    care=["psychiatric"])]
    with Env(shelters=seed, extra=dict(CLOCK, norms={"cosm": 90,
                                                     "omm": 180})) as env:
        c = env.client("coordinator")
        own = env.client("shelter")
        a = env.client("admin")

        def place(ref, **kw):
            p = c.call("request.submit",
                       {"request": request(ref, **kw)})["proposal"]
            c.call("proposal.accept", {"id": p["id"]})
            return p
        p1 = place("LS-1", program="cosm")
        a.call("placement.arrived", {"request_id": p1["request_id"]})
        a.call("debug.advance", {"seconds": 10 * DAY})
        p2 = place("LS-2", program="cosm")
        a.call("placement.arrived", {"request_id": p2["request_id"]})
        p3 = place("LS-3", program="omm", needs=["psychiatric"])
        a.call("placement.arrived", {"request_id": p3["request_id"]})
        p4 = place("LS-4", program="cosm")  # placed, never arrives
        assert c.call("report.long_stays")["stays"] == []
        a.call("debug.advance", {"seconds": 85 * DAY})
        today = now_of(a)
        own.call("shelter.departures", {"id": DEFAULT_SHELTER_ID, "pools": {
            "main": [{"date": day(today, 7)}]}})
        stays = c.call("report.long_stays")["stays"]
        assert stays == [{"request_id": p1["request_id"],
                          "shelter_id": DEFAULT_SHELTER_ID, "pool": "main",
                          "program": "cosm", "days": 95, "norm_days": 90,
                          "planned_departure": day(today, 7)}], stays
        a.call("debug.advance", {"seconds": 100 * DAY})
        stays = c.call("report.long_stays")["stays"]
        assert [s["request_id"] for s in stays] == [
            p1["request_id"], p2["request_id"], p3["request_id"]], stays
        assert stays[2]["norm_days"] == 180 and stays[2]["days"] == 185
        assert [s["request_id"] for s in c.call(
            "report.long_stays", {"program": "omm"})["stays"]] == [
                p3["request_id"]]
        mine = own.call("report.long_stays")["stays"]
        assert {s["shelter_id"] for s in mine} == {DEFAULT_SHELTER_ID}
        assert len(mine) == 2
        assert p4["request_id"] not in [s["request_id"] for s in stays]
        expect_error(lambda: c.call("report.long_stays",
                                    {"program": "any"}),
                     -32602, "invalid_field", "program")
        expect_error(lambda: env.client("service").call(
            "report.long_stays"), -32003, "role")


def stale_events(c, t=0.3):
    return sorted(e["data"]["shelter_id"] for e in c.events(t)
                  if e["type"] == "capacity.stale")


def test_alert_checks_read_only_the_shelters_due():
    """shd_alerts keeps every shelter's next check in P alert_at: a store
    from before it (no schedule) checks every shelter once; a plan of
    departures earlier than the schedule brings the check forward."""
    ids = ["sh-a", "sh-b", "sh-c"]
    with Env(shelters=[shelter(i, total=2) for i in ids],
             extra=dict(CLOCK, freshness={"ageing_h": 12, "stale_h": 240,
                                          "remind_h": 240})) as env:
        a = env.client("admin")
        a.call("session.subscribe", {"topics": ["capacity"]})
        a.call("debug.advance", {"seconds": 1 * DAY})
        assert stale_events(a) == []
        sched = env.redis.cmd("ZRANGE", "shelterd:alert_at", 0, -1,
                              "WITHSCORES")
        assert sorted(sched[0::2]) == ids, sched
        # Each is next due when its report turns stale, 240 h after it.
        for i in ids:
            upd = int(env.redis.cmd("HGET", "shelterd:shelter:" + i,
                                    "updated_at"))
            assert int(env.redis.cmd("ZSCORE", "shelterd:alert_at", i)) == \
                upd + 240 * HOUR * 1000
        # A departure tomorrow, long before that: checked the day after.
        today = now_of(a)
        a.call("shelter.departures", {"id": "sh-b", "pools": {
            "main": [{"date": day(today, 1)}]}})
        a.call("debug.advance", {"seconds": 2 * DAY})
        ev = a.wait_event(lambda e: e["type"] == "capacity.stale")
        assert ev["data"]["shelter_id"] == "sh-b", ev
        assert ev["data"]["reason"] == "departure_not_confirmed", ev
        assert stale_events(a) == []
        # A store without the schedule (an upgrade) checks every shelter:
        # the two whose reports turned stale meanwhile alert (sh-b's
        # reminder is not due yet).
        env.redis.cmd("DEL", "shelterd:alert_at", "shelterd:alert_stale_ms")
        a.call("debug.advance", {"seconds": 8 * DAY})
        seen = set()
        while len(seen) < 2:
            seen.add(a.wait_event(lambda e: e["type"] == "capacity.stale")[
                "data"]["shelter_id"])
        assert seen == {"sh-a", "sh-c"}, seen
        assert stale_events(a) == []


def test_escalation_reads_only_the_requests_due():
    """shd_alerts keeps every waiting request's next escalation check in
    P esc_at: one that waits only after a rejection is checked from then
    on, and a store from before the schedule checks every waiting request
    once."""
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)],
             extra=dict(CLOCK, matching={"hold_ttl_s": 4 * 3600})) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["requests"]})
        c = env.client("coordinator")
        a = env.client("admin")
        r = c.call("request.submit", {"request": request(
            "EA-1", urgency="immediate")})
        assert r["proposal"] is not None
        old = c.call("request.submit", {"request": request(
            "EA-2", urgency="immediate")})["request"]
        a.call("debug.advance", {"seconds": 61 * 60})
        ev = w.wait_event(lambda e: e["type"] == "request.escalated")
        assert ev["data"]["request_id"] == old["id"], ev
        # EA-1 waits from its rejection on (the place goes to EA-2): past
        # its limit already, it escalates at the next pass.
        c.call("proposal.reject", {"id": r["proposal"]["id"],
                                   "reason": "no"})
        ev = w.wait_event(lambda e: e["type"] == "request.escalated")
        assert ev["data"]["request_id"] == r["request"]["id"], ev
        assert c.call("request.get", {"id": old["id"]})["request"][
            "status"] == "proposed"
        # Without the schedule (an upgrade) the waiting one is checked
        # again: an hour on, its reminder; the proposed one stays quiet.
        env.redis.cmd("DEL", "shelterd:esc_at", "shelterd:esc_limits")
        a.call("debug.advance", {"seconds": 3600})
        ev = w.wait_event(lambda e: e["type"] == "request.escalated")
        assert ev["data"]["request_id"] == r["request"]["id"], ev
        assert ev["data"]["waited_s"] >= 2 * 3600
        assert not [e for e in w.events(0.5)
                    if e["type"] == "request.escalated"]
