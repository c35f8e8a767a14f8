"""Canaries in every free-text field and personal attribute of a request,
then a search of Redis (key names, values, the AOF, SLOWLOG, MONITOR),
the daemon's log and the events for each one where docs/protocol.md says
it must not be."""

import glob
import os
import socket
import time

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Env, _resp_encode,
                     expect_error, request, shelter)

ALL_TOPICS = ["capacity", "proposals", "requests", "placements"]

REJECT = "CanaryRejectReason"
CANCEL = "CanaryCancelReason"
CASE = "CanaryCase-77"
EXPL = "Canaryexploitville"
PREF = "Canaryprefertown"
NATION = "QZ"
EXPL_LAT, EXPL_LON = 52.123457, 5.987653  # far from Rotterdam, canary digits

# Where each may never appear (docs/protocol.md): reasons are neither
# stored nor logged; the case is never a key name, never logged and
# never in an event; locations, nationality and referrer are never in an
# event or the log.
NEVER_STORED = [REJECT, CANCEL]
NEVER_A_KEY = [CASE, REJECT, CANCEL, EXPL, PREF]
NEVER_LOGGED = [REJECT, CANCEL, CASE, EXPL, PREF, '"%s"' % NATION,
                "%.6f" % EXPL_LAT, "%.6f" % EXPL_LON]
NEVER_IN_EVENTS = NEVER_LOGGED + ["fairwork", "nationality",
                                  "exploitation", "referrer"]


def canary_request(ref):
    return request(
        ref,
        person={"gender": "f", "age": 31, "languages": ["en"],
                "nationality": NATION},
        exploitation={"sector": "labour",
                      "location": {"municipality": EXPL, "lat": EXPL_LAT,
                                   "lon": EXPL_LON}},
        preferred_location={"municipality": PREF, "lat": 51.92,
                            "lon": 4.48},
        safety={"case": CASE, "co_victims": "apart"},
        referrer="fairwork")


def monitor(redis):
    s = socket.create_connection(("127.0.0.1", redis.port), timeout=5)
    s.sendall(_resp_encode(["MONITOR"]))
    assert s.recv(64).startswith(b"+OK")
    return s


def drain(s, quiet=0.5):
    s.settimeout(quiet)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    s.close()
    return out.decode("utf-8", "replace")


def redis_dump(r):
    """Every key name and every value under any key, as text."""
    keys = r.cmd("KEYS", "*")
    vals = []
    for k in keys:
        t = r.cmd("TYPE", k)
        if t == "string":
            vals.append(r.cmd("GET", k))
        elif t == "hash":
            vals.extend(r.cmd("HGETALL", k))
        elif t == "zset":
            vals.extend(r.cmd("ZRANGE", k, 0, -1, "WITHSCORES"))
        elif t == "set":
            vals.extend(r.cmd("SMEMBERS", k))
        elif t == "list":
            vals.extend(r.cmd("LRANGE", k, 0, -1))
        elif t == "stream":
            vals.append(repr(r.cmd("XRANGE", k, "-", "+")))
    return keys, "\n".join(str(v) for v in vals)


def test_canaries_stay_where_the_protocol_allows():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3),
                       shelter(OTHER_SHELTER_ID, total=3)]) as env:
        r = env.redis
        r.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
        r.cmd("CONFIG", "SET", "slowlog-max-len", "10000")
        mon = monitor(r)
        w = env.client("admin")
        w.call("session.subscribe", {"topics": ALL_TOPICS})
        c = env.client("coordinator")
        a = c.call("request.submit", {"request": canary_request("PRIV-1")})
        b = c.call("request.submit", {"request": canary_request("PRIV-2")})
        assert a["proposal"] and b["proposal"]
        c.call("proposal.reject", {"id": a["proposal"]["id"],
                                   "reason": REJECT})
        c.call("proposal.accept", {"id": b["proposal"]["id"]})
        c.call("request.cancel", {"id": b["request"]["id"],
                                  "reason": CANCEL})
        c.call("request.cancel", {"id": a["request"]["id"],
                                  "reason": CANCEL})
        # The request itself keeps what request.get must return.
        got = c.call("request.get", {"id": a["request"]["id"]})["request"]
        assert got["safety"]["case"] == CASE
        events = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            events.extend(w.events(timeout=0.3))
            if any(e.get("type") == "request.cancelled" and
                   e["data"].get("request_id") == a["request"]["id"]
                   for e in events):
                break
        assert events, "no events received"
        monitored = drain(mon)
        assert "shd_reject" in monitored and "shd_cancel" in monitored
        slowlog = repr(r.cmd("SLOWLOG", "GET", "10000"))
        keys, values = redis_dump(r)
        r.cmd("BGREWRITEAOF")  # not needed: appendfsync always; read as is
        aof = ""
        for path in glob.glob(os.path.join(r.dir, "**", "*.aof*"),
                              recursive=True):
            with open(path, "rb") as f:
                aof += f.read().decode("utf-8", "replace")
        assert aof, "no AOF found"
        log = env.daemon.log_text()
        problems = []
        for canary in NEVER_STORED:
            for where, text in [("Redis values", values), ("AOF", aof),
                                ("SLOWLOG", slowlog),
                                ("MONITOR", monitored)]:
                if canary in text:
                    problems.append("%s in %s" % (canary, where))
        for canary in NEVER_A_KEY:
            if any(canary in k for k in keys):
                problems.append("%s in a key name" % canary)
            if ("case:" + canary) in aof:
                problems.append("%s in a key name in the AOF" % canary)
        for canary in NEVER_LOGGED:
            if canary in log:
                problems.append("%s in the daemon log" % canary)
        text = repr(events)
        for canary in NEVER_IN_EVENTS:
            if canary in text:
                problems.append("%s in an event" % canary)
        assert not problems, problems


def test_locations_stay_at_municipality_level():
    """PROTOCOL.md: a location is municipality level only, never a street
    address. Coordinates are kept to 0.01 degree (about 1 km) wherever
    they come from, and a label with a digit (a house number, a postcode)
    is refused with its field; nothing is stored then."""
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=3)]) as env:
        c = env.client("coordinator")
        a = env.client("admin")
        house = {"municipality": "Utrecht", "lat": 52.0908123,
                 "lon": 5.1214567}
        res = c.call("request.submit", {"request": request(
            "LOC-1", exploitation={"sector": "labour", "location": house},
            preferred_location={"municipality": "Zwolle"})})
        got = c.call("request.get", {"id": res["request"]["id"]})["request"]
        assert got["exploitation"]["location"] == {
            "municipality": "Utrecht", "lat": 52.09, "lon": 5.12}, got
        # The gazetteer's point the same way: the output form read back
        # is the same request (a duplicate, not a conflict).
        pref = got["preferred_location"]
        assert pref["lat"] == round(pref["lat"], 2), pref
        again = c.call("request.submit", {"request": request(
            "LOC-1", exploitation={"sector": "labour",
                                   "location": got["exploitation"][
                                       "location"]},
            preferred_location=pref)})
        assert again["duplicate"] is True, again
        for label in ("Kerkstraat 12 Utrecht", "3511 AB Utrecht"):
            e = expect_error(lambda: c.call("request.submit", {
                "request": request("LOC-2", exploitation={
                    "sector": "labour", "location": dict(
                        house, municipality=label)})}),
                -32602, "invalid_field", "exploitation.location.municipality")
            assert "never an address" in e.message, e.message
        expect_error(lambda: c.call("request.get", {"ref": "LOC-2"}),
                     -32004)
        # A shelter's location too (a safe house has no public address).
        s = shelter("loc-s", total=1)
        s["location"] = {"municipality": "Zwolle", "lat": 52.5124567,
                         "lon": 6.0912345}
        a.call("shelter.put", {"shelter": s})
        loc = a.call("shelter.get", {"id": "loc-s"})["shelter"]["location"]
        assert loc == {"municipality": "Zwolle", "lat": 52.51,
                       "lon": 6.09}, loc
        s["location"]["municipality"] = "Zwolle 8011"
        expect_error(lambda: a.call("shelter.put", {"shelter": s}),
                     -32602, "invalid_field", "location.municipality")
