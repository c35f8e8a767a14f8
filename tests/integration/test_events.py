"""Event notifications: shapes, topics by role, since-resume, and what
events must never carry."""

import json
import re
import threading
import time

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Env, expect_error,
                     pool, request, shelter)

ALL_TOPICS = ["proposals", "requests", "capacity", "placements"]
TOPIC_OF = {
    "proposal.created": "proposals", "proposal.accepted": "proposals",
    "proposal.rejected": "proposals", "proposal.expired": "proposals",
    "request.waiting": "requests", "request.placed": "requests",
    "request.arrived": "requests", "request.cancelled": "requests",
    "capacity.changed": "capacity", "shelter.intake": "capacity",
    "placement.expected": "placements", "placement.arrived": "placements",
    "placement.cancelled": "placements",
}
ID_RE = re.compile(r"^(\d+)-(\d+)$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def id_key(eid):
    m = ID_RE.match(eid)
    assert m, "bad event id %r" % eid
    return int(m.group(1)), int(m.group(2))


def check_event(ev):
    assert set(ev) >= {"id", "topic", "type", "at", "data"}, ev
    id_key(ev["id"])
    assert TOPIC_OF.get(ev["type"]) == ev["topic"], ev
    assert TIME_RE.match(ev["at"]), ev["at"]
    d = ev["data"]
    t = ev["type"]
    if t.startswith("proposal."):
        assert set(d) == {"proposal", "request_id"}, d
        assert d["proposal"]["request_id"] == d["request_id"]
    elif t.startswith("request."):
        assert set(d) == {"request_id", "ref", "status"}, d
    elif t == "capacity.changed":
        assert set(d) == {"shelter_id", "version", "pools"}, d
        for p in d["pools"]:
            assert set(p) >= {"name", "total", "occupied", "held",
                              "expected", "free"}, p
            raw = p["total"] - p["occupied"] - p["held"] - p["expected"]
            assert p["free"] == max(raw, 0), p
            assert min(p["total"], p["occupied"], p["held"], p["expected"],
                       p["free"]) >= 0, p
    elif t == "shelter.intake":
        assert set(d) == {"shelter_id", "open", "reason"}, d
    elif t.startswith("placement."):
        assert set(d) == {"request_id", "shelter_id", "pool", "household"}, d
        assert set(d["household"]) <= {"gender", "age", "children", "needs",
                                       "languages"}, d["household"]


def assert_increasing(events):
    keys = [id_key(e["id"]) for e in events]
    assert keys == sorted(keys) and len(set(keys)) == len(keys), keys


def types(events):
    return [e["type"] for e in events]


def test_lifecycle_events_in_order():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=2)]) as env:
        w = env.client("coordinator")
        r = w.call("session.subscribe", {"topics": ALL_TOPICS})
        assert sorted(r["topics"]) == sorted(ALL_TOPICS)
        assert ID_RE.match(r["last_id"]), r
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("EV-1")})
        c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        env.client("shelter").call("placement.arrived",
                                   {"request_id": sub["request"]["id"]})
        evs = w.events(1.0)
        for ev in evs:
            check_event(ev)
        assert_increasing(evs)
        assert id_key(evs[0]["id"]) > id_key(r["last_id"])
        ts = types(evs)
        for t in ["proposal.created", "proposal.accepted", "request.placed",
                  "placement.expected", "request.arrived",
                  "placement.arrived"]:
            assert ts.count(t) == 1, ts
        assert ts.count("capacity.changed") == 3, ts
        assert ts.index("proposal.created") < ts.index("proposal.accepted") \
            < ts.index("placement.arrived"), ts
        created = evs[ts.index("proposal.created")]["data"]
        assert created["proposal"]["id"] == sub["proposal"]["id"]
        assert created["request_id"] == sub["request"]["id"]
        placed = evs[ts.index("placement.expected")]["data"]
        assert placed["shelter_id"] == DEFAULT_SHELTER_ID
        assert placed["household"]["gender"] == "f"
        assert placed["household"]["age"] == 30
        last_cap = [e for e in evs if e["type"] == "capacity.changed"][-1]
        p = last_cap["data"]["pools"][0]
        assert (p["occupied"], p["held"], p["expected"], p["free"]) == \
            (1, 0, 0, 1), p
        # A waiting request and a cancel.
        w2 = c.call("request.submit", {"request": request("EV-2")})
        w3 = c.call("request.submit", {"request": request("EV-3")})
        assert w3["request"]["status"] == "waiting"
        c.call("request.cancel", {"id": w3["request"]["id"], "reason": "x"})
        c.call("request.cancel", {"id": w2["request"]["id"], "reason": "x"})
        evs = w.events(1.0)
        ts = types(evs)
        assert "request.waiting" in ts, ts
        assert ts.count("request.cancelled") == 2, ts
        waiting = evs[ts.index("request.waiting")]["data"]
        assert waiting == {"request_id": w3["request"]["id"], "ref": "EV-3",
                           "status": "waiting"}


def test_capacity_events_list_all_pools_and_version():
    s = shelter(DEFAULT_SHELTER_ID, pools=[pool("a", total=2),
                                           pool("b", total=3)])
    with Env(shelters=[s]) as env:
        w = env.client("service")
        w.call("session.subscribe", {"topics": ["capacity"]})
        admin = env.client("admin")
        doc = admin.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                              "pools": {"b": {
                                                  "occupied": 1}}})["shelter"]
        ev = w.event(3)
        check_event(ev)
        assert ev["type"] == "capacity.changed"
        assert ev["data"]["shelter_id"] == DEFAULT_SHELTER_ID
        assert ev["data"]["version"] == doc["version"]
        assert [p["name"] for p in ev["data"]["pools"]] == ["a", "b"]
        admin.call("shelter.intake", {"id": DEFAULT_SHELTER_ID, "open": False,
                                      "reason": "flooding"})
        ev = w.wait_event(lambda e: e["type"] == "shelter.intake", 3)
        assert ev["data"] == {"shelter_id": DEFAULT_SHELTER_ID, "open": False,
                              "reason": "flooding"}
        # Service sees capacity only: a submit shows no proposal events.
        admin.call("shelter.intake", {"id": DEFAULT_SHELTER_ID, "open": True})
        admin.call("request.submit", {"request": request("EV-CAP")})
        evs = w.events(1.0)
        assert {e["topic"] for e in evs} == {"capacity"}, types(evs)


def test_events_never_carry_sensitive_fields():
    sensitive = request(
        "EV-SECRET-REF-1",
        person={"gender": "m", "age": 41, "languages": ["pl"],
                "nationality": "PL"},
        exploitation={"sector": "labour",
                      "location": {"municipality": "Westland"}},
        safety={"case": "CASE-XYZZY-42", "co_victims": "apart"},
        referrer="nla")
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1),
                       shelter(OTHER_SHELTER_ID, total=1,
                               municipality="Zwolle")]) as env:
        w = env.client("admin")
        w.call("session.subscribe", {"topics": ALL_TOPICS})
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": sensitive})
        rej = c.call("proposal.reject", {"id": sub["proposal"]["id"],
                                         "reason": "x"})
        c.call("proposal.accept", {"id": rej["next"]["id"]})
        sub2 = c.call("request.submit", {"request": dict(
            sensitive, ref="EV-SECRET-REF-2")})
        c.call("request.cancel", {"id": sub2["request"]["id"],
                                  "reason": "x"})
        c.call("request.cancel", {"id": sub["request"]["id"], "reason": "x"})
        evs = w.events(1.0)
        assert len(evs) >= 8, types(evs)

        def keys(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    yield k
                    yield from keys(x)
            elif isinstance(v, list):
                for x in v:
                    yield from keys(x)

        for ev in evs:
            check_event(ev)
            ks = set(keys(ev["data"]))
            for bad in ("case", "nationality", "referrer", "exploitation",
                        "safety", "sector"):
                assert bad not in ks, (bad, ev)
            text = json.dumps(ev)
            for bad in ("CASE-XYZZY-42", "Westland", '"PL"', "nla"):
                assert bad not in text, (bad, ev)


def test_subscribe_since_resumes_without_loss_or_repeats():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=10)]) as env:
        control = env.client("coordinator")
        control.call("session.subscribe", {"topics": ALL_TOPICS})
        c = env.client("coordinator")
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ALL_TOPICS})
        for i in range(3):
            c.call("request.submit", {"request": request("RES-A%d" % i)})
        seen = [w.event(3) for _ in range(2)]
        last = seen[-1]["id"]
        w.close()
        # While disconnected.
        for i in range(3):
            c.call("request.submit", {"request": request("RES-B%d" % i)})
        w = env.client("coordinator")
        r = w.call("session.subscribe", {"topics": ALL_TOPICS,
                                         "since": last})
        # Live events after the resubscribe.
        c.call("request.submit", {"request": request("RES-C0")})
        resumed = w.events(1.0)
        everything = control.events(1.0)
        ids_all = [e["id"] for e in everything]
        assert last in ids_all
        expected = ids_all[ids_all.index(last) + 1:]
        got = [e["id"] for e in resumed]
        assert got == expected, (got, expected)
        assert id_key(r["last_id"]) >= id_key(last)
        # The same events, byte for byte in content.
        assert resumed == everything[ids_all.index(last) + 1:]


def test_subscribe_without_since_starts_after_subscribe():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=5)]) as env:
        control = env.client("admin")
        control.call("session.subscribe", {"topics": ALL_TOPICS})
        c = env.client("coordinator")
        c.call("request.submit", {"request": request("NS-1")})
        before = control.events(1.0)
        w = env.client("coordinator")
        r = w.call("session.subscribe", {"topics": ALL_TOPICS})
        assert r["last_id"] == before[-1]["id"], (r, before[-1])
        try:
            stray = w.event(0.7)
        except TimeoutError:
            stray = None
        assert stray is None, "old event delivered: %r" % (stray,)
        c.call("request.submit", {"request": request("NS-2")})
        evs = w.events(1.0)
        assert evs and all(id_key(e["id"]) > id_key(r["last_id"])
                           for e in evs)
        expect_error(lambda: w.call("session.subscribe", {
            "topics": ["capacity"], "since": "yesterday"}), -32602,
            "invalid_field", "since")


def test_shelter_sees_only_its_own_events():
    seed = [shelter(DEFAULT_SHELTER_ID, total=1),
            shelter(OTHER_SHELTER_ID, total=1, municipality="Zwolle")]
    with Env(shelters=seed) as env:
        a = env.client("shelter")
        a.call("session.subscribe", {"topics": ["capacity", "placements"],
                                     "since": "0-0"})
        a.events(1.0)  # whatever the seed produced
        c = env.client("coordinator")
        for ref in ("OWN-1", "OWN-2"):
            sub = c.call("request.submit", {"request": request(ref)})
            c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        admin = env.client("admin")
        admin.call("shelter.intake", {"id": OTHER_SHELTER_ID, "open": False})
        admin.call("shelter.intake", {"id": DEFAULT_SHELTER_ID,
                                      "open": False})
        evs = a.events(1.0)
        assert evs, "the shelter saw none of its own events"
        for ev in evs:
            check_event(ev)
            assert ev["data"]["shelter_id"] == DEFAULT_SHELTER_ID, ev
        ts = types(evs)
        assert "placement.expected" in ts and "shelter.intake" in ts, ts
        # Replays are filtered too.
        b = env.client("shelter")
        b.call("session.subscribe", {"topics": ["capacity", "placements"],
                                     "since": "0-0"})
        for ev in b.events(1.0):
            assert ev["data"]["shelter_id"] == DEFAULT_SHELTER_ID, ev


def test_unsubscribe():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["capacity", "proposals"]})
        r = w.call("session.unsubscribe", {"topics": ["capacity"]})
        assert r == {"topics": ["proposals"]}, r
        env.client("coordinator").call("request.submit",
                                       {"request": request("UNS-1")})
        evs = w.events(1.0)
        assert types(evs) == ["proposal.created"], types(evs)
        r = w.call("session.unsubscribe", {"topics": ["proposals"]})
        assert r == {"topics": []}
        env.client("coordinator").call("request.submit",
                                       {"request": request("UNS-2")})
        assert w.events(0.7) == []


def test_subscribe_again_adds_topics():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["capacity"]})
        r = w.call("session.subscribe", {"topics": ["proposals"]})
        assert sorted(r["topics"]) == ["capacity", "proposals"], r
        env.client("coordinator").call("request.submit",
                                       {"request": request("ADD-1")})
        ts = sorted(types(w.events(1.0)))
        assert ts == ["capacity.changed", "proposal.created"], ts


def test_since_replay_hands_over_to_live_without_gap_or_repeat():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=500)]) as env:
        control = env.client("admin")
        start = control.call("session.subscribe", {"topics": ALL_TOPICS})
        c = env.client("coordinator")
        for i in range(30):
            c.call("request.submit", {"request": request("HAND-A%02d" % i)})
        stop = threading.Event()
        errors = []

        def produce():
            p = env.daemon.client("coordinator")
            try:
                i = 0
                while not stop.is_set() and i < 400:
                    p.call("request.submit", {"request": request(
                        "HAND-B%03d" % i)})
                    i += 1
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
            finally:
                p.close()

        t = threading.Thread(target=produce)
        t.start()
        try:
            time.sleep(0.2)
            # Subscribe with since while events keep coming.
            late = env.client("admin")
            late.call("session.subscribe", {"topics": ALL_TOPICS,
                                            "since": start["last_id"]})
            time.sleep(0.5)
        finally:
            stop.set()
            t.join(30)
        assert not errors, errors
        all_ctrl = control.events(1.5)
        all_late = late.events(1.5)
        ids_c = [e["id"] for e in all_ctrl]
        ids_l = [e["id"] for e in all_late]
        assert len(ids_l) == len(set(ids_l)), "repeated events"
        assert ids_l == ids_c, "gap or difference: %d vs %d events" % (
            len(ids_l), len(ids_c))


def test_reauth_to_a_narrower_role_narrows_the_subscription():
    seed = [shelter(DEFAULT_SHELTER_ID, total=2),
            shelter(OTHER_SHELTER_ID, total=2, municipality="Zwolle")]
    with Env(shelters=seed) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ALL_TOPICS})
        # The same connection takes a service identity.
        w.call("session.auth", {"token": env.daemon.tokens["service"]})
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("NARROW-1")})
        c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        evs = w.events(1.0)
        leaked = [e for e in evs if e["topic"] != "capacity"]
        assert not leaked, "a service identity got %s" % types(leaked)
        # A shelter identity sees only its own shelter afterwards.
        s = env.client("shelter")
        s.call("session.subscribe", {"topics": ["capacity", "placements"]})
        s.call("session.auth", {"token": env.daemon.tokens["shelter_b"]})
        for ref in ("NARROW-2", "NARROW-3"):
            r = c.call("request.submit", {"request": request(ref)})
            if r["proposal"]:
                c.call("proposal.accept", {"id": r["proposal"]["id"]})
        for ev in s.events(1.0):
            assert ev["data"]["shelter_id"] == OTHER_SHELTER_ID, ev


def test_log_never_carries_personal_attributes():
    person = request(
        "LOG-REF-1",
        person={"gender": "m", "age": 41, "languages": ["pl"],
                "nationality": "PL"},
        exploitation={"sector": "labour",
                      "location": {"municipality": "Westland"}},
        safety={"case": "CASE-LOGCHECK-9", "co_victims": "apart"},
        referrer="fairwork")
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)]) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": person})
        c.call("match.preview", {"request": person})
        c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        bad = dict(person, ref="LOG-REF-2",
                   person=dict(person["person"], name="Jan Fictief"))
        expect_error(lambda: c.call("request.submit", {"request": bad}),
                     -32602, "unknown_field", "person.name")
        # Even a malformed line that carries personal data.
        c.send_raw(b'{"person":{"name":"Jan Fictief","nationality":"PL"'
                   b'}, oops\n')
        c.recv()
        log = env.daemon.log_text()
        for secret in ("CASE-LOGCHECK-9", "Westland", "fairwork",
                       "Jan Fictief", '"PL"', "nationality"):
            assert secret not in log, "%r in the log" % secret
