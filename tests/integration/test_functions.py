"""test_functions.py: the Redis function library (daemon/functions.lua)
driven directly through a real redis-server, without the daemon.

Each test loads the library with FUNCTION LOAD REPLACE into a private
redis-server and calls the functions as the daemon does (FCALL fn 0 PREFIX
ARGS...), then checks the replies, the stored counts and the events stream.
"""

import datetime
import json
import os
import re
import time

from harness import Redis

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "..", "..", "daemon", "functions.lua")
P = "shd-test:"

# What a request may say that events must never repeat.
SECRETS = ["NET-77", "Utrecht", "nationality", "\"RO\"", "police",
           "referrer", "exploitation"]

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# The audit arguments (who method ids defer) of a function that audits:
# who '' writes no entry.
NO_AUDIT = ("", "", "", "")


def load(r):
    with open(LUA) as f:
        assert r.cmd("FUNCTION", "LOAD", "REPLACE", f.read()) == "shelterd"


def fcall(r, fn, *args):
    """The reply as the daemon reads it. A reply in fields [kind, audited,
    field..., json] (docs/store.md) is its JSON, with "audited": true when
    the audited field says so, and the fields under "_fields"."""
    reply = r.cmd("FCALL", fn, 0, P, *args)
    if not isinstance(reply, list):
        return json.loads(reply)
    assert len(reply) >= 3 and reply[1] in ("0", "1"), reply
    res = json.loads(reply[-1])
    assert "audited" not in res and "_fields" not in res, res
    if reply[1] == "1":
        res["audited"] = True
    res["_fields"] = reply[:-1]
    return res


def error_of(reply):
    assert "error" in reply, "expected a refusal, got %r" % (reply,)
    return reply["error"]


def pool_static(name, genders=("f",), children_max=2):
    return json.dumps({"name": name, "genders": list(genders),
                       "min_age": 18, "max_age": 120,
                       "children_max": children_max, "boys_max_age": 12})


def shelter_doc(sid, name=None):
    return json.dumps({
        "id": sid, "name": name or sid.upper(), "organisation": "Org",
        "program": "cosm",
        "location": {"municipality": "Zwolle", "lat": 52.5, "lon": 6.1},
        "care": ["trauma"], "languages": ["nl", "en"],
        "security": "protected"})


def put(r, sid, pools, name=None, always=0, open_if_new=1, tab=""):
    """pools: [(name, total, occupied)]; tab: the packed form ("": none)."""
    args = [sid, shelter_doc(sid, name), always, open_if_new, tab]
    for pname, total, occupied in pools:
        args += [pname, pool_static(pname), total, occupied]
    return fcall(r, "shd_shelter_put", *NO_AUDIT, *args)


def pool(shelter, name):
    for p in shelter["pools"]:
        if p["name"] == name:
            return p
    raise AssertionError("no pool %s in %r" % (name, shelter))


def get_pool(r, sid, name):
    return pool(fcall(r, "shd_shelter_get", sid)["shelter"], name)


def cand(sid, pools, score=80.0, scores=None):
    return {"shelter_id": sid, "pools": list(pools), "score": score,
            "scores": scores if scores is not None else {"language": 100}}


def request_doc(ref):
    return json.dumps({
        "ref": ref, "program": "any",
        "person": {"gender": "f", "age": 24, "languages": ["ro", "en"],
                   "nationality": "RO"},
        "children": [], "needs": [], "prefers": ["trauma"],
        "exploitation": {"sector": "sexual",
                         "location": {"municipality": "Utrecht",
                                      "lat": 52.09, "lon": 5.12}},
        "safety": {"min_distance_km": 50, "case": "NET-77",
                   "co_victims": "apart"},
        "urgency": "days", "referrer": "police",
        "residence": "reflection"})


HOUSEHOLD = json.dumps({"gender": "f", "age": 24, "children": [],
                        "needs": [], "languages": ["ro", "en"]})


def submit(r, ref, cands, urgency="days", case="", co="any", ttl=1800,
           nalt=2, audit=NO_AUDIT):
    return fcall(r, "shd_submit", *audit, ref, request_doc(ref), urgency,
                 case, co, HOUSEHOLD, ttl, nalt, json.dumps(cands))


def capacity(r, *args, audit=NO_AUDIT):
    """shd_capacity id if_version [pool total occupied]..."""
    return fcall(r, "shd_capacity", *audit, *args)


def audit_entries(r):
    """The audit stream, oldest first: [{at, who, method, ids, outcome}]."""
    return [dict(zip(f[0::2], f[1::2]))
            for _, f in r.cmd("XRANGE", P + "audit", "-", "+")]


def events(r, after="0-0"):
    """Events after an id: [{id, topic, type, shelter, at, data}]."""
    out = []
    for eid, fields in r.cmd("XRANGE", P + "events", "(" + after, "+"):
        ev = dict(zip(fields[0::2], fields[1::2]))
        ev["id"] = eid
        ev["raw"] = ev["data"]
        ev["data"] = json.loads(ev["data"])
        out.append(ev)
    return out


def last_id(r):
    last = r.cmd("XREVRANGE", P + "events", "+", "-", "COUNT", "1")
    return last[0][0] if last else "0-0"


def types(evs):
    return [e["type"] for e in evs]


def assert_no_secrets(r):
    for ev in events(r):
        for s in SECRETS:
            assert s not in ev["raw"], "event %s carries %s: %s" % (
                ev["type"], s, ev["raw"])


# ---------------------------------------------------------------------------


def test_version_and_unknown_prefix_isolation():
    with Redis() as r:
        load(r)
        assert fcall(r, "shd_version")["version"] >= 1
        put(r, "s-a", [("women", 3, 1)])
        # Another prefix sees nothing of it.
        other = json.loads(r.cmd("FCALL", "shd_shelter_list", 0, "other:"))
        assert other == {"shelters": []}


def test_shelter_put_get_list_remove():
    with Redis() as r:
        load(r)
        res = put(r, "s-b", [("women", 10, 8), ("mothers", 4, 0)],
                  always=1)
        assert res["created"] is True and res["changed"] is True
        s = res["shelter"]
        assert s["id"] == "s-b" and s["program"] == "cosm"
        assert RFC3339.match(s["intake"].pop("since"))
        assert s["intake"] == {"open": True, "always": True, "reason": None}
        assert s["version"] == 1 and RFC3339.match(s["updated_at"])
        assert [p["name"] for p in s["pools"]] == ["women", "mothers"]
        women = pool(s, "women")
        assert (women["total"], women["occupied"], women["held"],
                women["expected"], women["free"], women["overbooked"]) == \
            (10, 8, 0, 0, 2, False)
        assert women["children_max"] == 2 and women["genders"] == ["f"]
        put(r, "s-a", [("women", 1, 0)])
        ids = [x["id"] for x in fcall(r, "shd_shelter_list")["shelters"]]
        assert ids == ["s-a", "s-b"]

        # The same put again: nothing written, no event.
        mark = last_id(r)
        again = put(r, "s-b", [("women", 10, 8), ("mothers", 4, 0)],
                    always=1)
        assert again["created"] is False and again["changed"] is False
        assert again["shelter"]["version"] == 1
        assert events(r, mark) == []

        # A hold, then a put with other counts: live counts survive.
        sub = submit(r, "R-1", [cand("s-b", ["women"])])
        assert sub["proposal"]["shelter_id"] == "s-b"
        mark = last_id(r)
        res = put(r, "s-b", [("women", 99, 0), ("mothers", 4, 0)],
                  name="Renamed", always=1)
        assert res["changed"] is True and res["shelter"]["version"] == 2
        assert res["shelter"]["name"] == "Renamed"
        w = pool(res["shelter"], "women")
        assert (w["total"], w["occupied"], w["held"], w["free"]) == \
            (10, 8, 1, 1)
        # Static change only: the internal event, no capacity.changed.
        evs = events(r, mark)
        assert [(e["topic"], e["type"]) for e in evs] == \
            [("_shelter", "shelter.put")]

        # A new pool takes the counts sent; capacity.changed lists all.
        mark = last_id(r)
        res = put(r, "s-b", [("women", 1, 1), ("mothers", 4, 0),
                             ("men", 5, 2)], always=1)
        assert pool(res["shelter"], "men")["free"] == 3
        evs = events(r, mark)
        assert types(evs) == ["shelter.put", "capacity.changed"]
        assert [p["name"] for p in evs[1]["data"]["pools"]] == \
            ["women", "mothers", "men"]

        # Leaving out a pool that holds someone is refused, nothing changes.
        mark = last_id(r)
        e = error_of(put(r, "s-b", [("mothers", 4, 0)]))
        assert (e["code"], e["reason"], e["field"]) == (-32009, "state",
                                                        "pools")
        assert "women" in e["message"] and e["message"].startswith("pools: ")
        assert events(r, mark) == []
        assert len(fcall(r, "shd_shelter_get", "s-b")["shelter"]["pools"]) \
            == 3

        # Removing the shelter while it holds someone is refused.
        e = error_of(fcall(r, "shd_shelter_remove", *NO_AUDIT, "s-b"))
        assert (e["code"], e["reason"], e["field"]) == (-32009, "state", "id")
        fcall(r, "shd_cancel", *NO_AUDIT, sub["request"]["id"])
        # An empty pool can go now.
        res = put(r, "s-b", [("mothers", 4, 0)])
        assert [p["name"] for p in res["shelter"]["pools"]] == ["mothers"]

        version = fcall(r, "shd_shelter_get", "s-b")["shelter"]["version"]
        mark = last_id(r)
        assert fcall(r, "shd_shelter_remove", *NO_AUDIT,
                     "s-b") == {"id": "s-b"}
        # The tables drop it first; subscribers see its pools go.
        evs = events(r, mark)
        assert [(e["topic"], e["type"]) for e in evs] == [
            ("_shelter", "shelter.removed"),
            ("capacity", "capacity.changed")], evs
        assert evs[1]["data"] == {"shelter_id": "s-b",
                                  "version": version + 1, "pools": []}
        e = error_of(fcall(r, "shd_shelter_get", "s-b"))
        assert (e["code"], e["reason"], e["field"]) == (-32004, "shelter",
                                                        "id")
        e = error_of(fcall(r, "shd_shelter_remove", *NO_AUDIT, "s-b"))
        assert e["code"] == -32004
        ids = [x["id"] for x in fcall(r, "shd_shelter_list")["shelters"]]
        assert ids == ["s-a"]
        assert r.cmd("EXISTS", P + "shelter:s-b") == 0


def test_put_never_reopens_a_closed_shelter():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 3, 0)], open_if_new=0)
        assert fcall(r, "shd_shelter_get", "s-a")["shelter"]["intake"][
            "open"] is False
        fcall(r, "shd_intake", *NO_AUDIT, "s-a", 1, "")
        fcall(r, "shd_intake", *NO_AUDIT, "s-a", 0, "renovation")
        s = put(r, "s-a", [("women", 3, 0)], name="New name",
                open_if_new=1)["shelter"]
        assert s["intake"]["open"] is False


def test_capacity_version_and_pools():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 10, 8), ("mothers", 4, 1)])
        mark = last_id(r)
        # Wrong if_version: refused, nothing changes.
        e = error_of(capacity(r, "s-a", 7, "women", 12, 3))
        assert (e["code"], e["reason"], e["field"]) == (-32009, "version",
                                                        "if_version")
        assert "version 1" in e["message"]
        assert get_pool(r, "s-a", "women")["total"] == 10
        # Unknown pool.
        e = error_of(capacity(r, "s-a", "", "women", 12, 3,
                           "nope", 1, 0))
        assert (e["code"], e["reason"], e["field"]) == (
            -32602, "invalid_field", "pools.nope")
        assert get_pool(r, "s-a", "women")["total"] == 10
        # Occupied above total (against the kept total).
        e = error_of(capacity(r, "s-a", "", "mothers", "", 9))
        assert (e["code"], e["reason"], e["field"]) == (
            -32602, "invalid_field", "pools.mothers.occupied")
        e = error_of(capacity(r, "nope", "", "women", 1, 0))
        assert (e["code"], e["reason"]) == (-32004, "shelter")
        assert events(r, mark) == []

        # Right version, partial update: occupied only.
        before = fcall(r, "shd_shelter_get", "s-a")["shelter"]
        s = capacity(r, "s-a", 1, "women", "", 2)["shelter"]
        assert s["version"] == 2
        assert (pool(s, "women")["total"], pool(s, "women")["occupied"],
                pool(s, "women")["free"]) == (10, 2, 8)
        assert pool(s, "mothers") == pool(before, "mothers")
        evs = events(r, mark)
        assert types(evs) == ["capacity.changed"]
        d = evs[0]["data"]
        assert d["shelter_id"] == "s-a" and d["version"] == 2
        assert d["pools"][0] == {"name": "women", "total": 10,
                                 "occupied": 2, "held": 0, "expected": 0,
                                 "free": 8}
        assert len(d["pools"]) == 2 and evs[0]["shelter"] == "s-a"
        # The old version is now stale.
        e = error_of(capacity(r, "s-a", 1, "women", 3, 0))
        assert e["reason"] == "version"


def test_a_function_that_audits_writes_its_entry_with_its_change():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 3, 0)])
        who = ("token=t-1", "shelter.capacity", "s-a", "")
        s = capacity(r, "s-a", 1, "women", "", 1, audit=who)
        assert s["audited"] is True and s["shelter"]["version"] == 2
        # Refused: no change, and the entry says why.
        e = error_of(capacity(r, "s-a", 1, "women", "", 2, audit=who))
        assert e["reason"] == "version"
        assert get_pool(r, "s-a", "women")["occupied"] == 1
        # No who: no entry.
        capacity(r, "s-a", "", "women", "", 0)
        ent = audit_entries(r)
        assert [(x["who"], x["method"], x["ids"], x["outcome"])
                for x in ent] == [
            ("token=t-1", "shelter.capacity", "s-a", "ok"),
            ("token=t-1", "shelter.capacity", "s-a", "version")], ent
        assert all(RFC3339.match(x["at"]) for x in ent)

        # A submit names the request and proposal it made.
        sub = ("uid=7", "request.submit", "", "")
        res = submit(r, "REF-1", [cand("s-a", ["women"])], audit=sub)
        rid, pid = res["request"]["id"], res["proposal"]["id"]
        assert audit_entries(r)[-1]["ids"] == rid + " " + pid
        # Deferred and no place: the daemon goes on and records it.
        n = len(audit_entries(r))
        res = submit(r, "REF-2", [cand("s-a", ["mothers"])],
                     audit=sub[:3] + ("1",))
        assert res["proposal"] is None and "audited" not in res
        assert len(audit_entries(r)) == n
        # Deferred, but a duplicate: nothing follows, the entry is made.
        res = submit(r, "REF-1", [cand("s-a", ["women"])],
                     audit=sub[:3] + ("1",))
        assert res["duplicate"] is True and res["audited"] is True
        assert audit_entries(r)[-1]["ids"] == rid + " " + pid


def test_intake_event_and_closed_shelter_skipped():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 5, 0)])
        put(r, "s-b", [("women", 5, 0)])
        mark = last_id(r)
        s = fcall(r, "shd_intake", *NO_AUDIT, "s-a", 0, "outbreak")["shelter"]
        assert s["intake"]["open"] is False and s["version"] == 2
        ev = events(r, mark)
        assert [(e["topic"], e["type"]) for e in ev] == [
            ("capacity", "shelter.intake")]
        assert ev[0]["data"] == {"shelter_id": "s-a", "open": False,
                                 "reason": "outbreak"}
        e = error_of(fcall(r, "shd_intake", *NO_AUDIT, "nope", 1, ""))
        assert e["code"] == -32004

        sub = submit(r, "R-1", [cand("s-a", ["women"]),
                                cand("s-b", ["women"])])
        assert sub["proposal"]["shelter_id"] == "s-b"
        assert get_pool(r, "s-a", "women")["held"] == 0

        mark = last_id(r)
        fcall(r, "shd_intake", *NO_AUDIT, "s-a", 1, "")
        assert events(r, mark)[0]["data"]["reason"] is None


def test_submit_holds_a_place_and_emits_events():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 2, 1), ("mothers", 3, 0)])
        put(r, "s-b", [("women", 4, 0)])
        put(r, "s-c", [("mixed", 4, 0)])
        mark = last_id(r)
        t0 = int(r.cmd("TIME")[0])
        cands = [cand("s-a", ["mothers", "women"], 91.5,
                      {"language": 100, "proximity": 40}),
                 cand("s-b", ["women"], 77),
                 cand("s-c", ["mixed"], 60.25),
                 cand("s-d", ["x"], 10)]
        res = submit(r, "CM-1", cands, ttl=600, nalt=2, case="NET-77",
                     co="apart")
        assert res["duplicate"] is False
        req, prop = res["request"], res["proposal"]
        assert req["id"] == "req-1" and req["status"] == "proposed"
        assert req["ref"] == "CM-1" and req["person"]["age"] == 24
        assert req["placement"] is None and req["rejected"] == []
        assert req["proposal"] == prop
        assert RFC3339.match(req["created_at"])
        assert prop["id"] == "prop-1" and prop["status"] == "open"
        assert prop["request_id"] == "req-1"
        # The first pool of the candidate with a free place.
        assert (prop["shelter_id"], prop["pool"]) == ("s-a", "mothers")
        assert prop["score"] == 91.5
        assert prop["scores"] == {"language": 100, "proximity": 40}
        assert prop["alternatives"] == [
            {"shelter_id": "s-b", "pool": "women", "score": 77},
            {"shelter_id": "s-c", "pool": "mixed", "score": 60.25}]
        exp = datetime.datetime.strptime(prop["expires_at"],
                                         "%Y-%m-%dT%H:%M:%SZ")
        exp = exp.replace(tzinfo=datetime.timezone.utc).timestamp()
        assert t0 + 600 <= exp <= t0 + 602

        p = get_pool(r, "s-a", "mothers")
        assert (p["held"], p["free"]) == (1, 2)
        assert get_pool(r, "s-a", "women")["held"] == 0

        evs = events(r, mark)
        assert [(e["topic"], e["type"], e["shelter"]) for e in evs] == [
            ("proposals", "proposal.created", "s-a"),
            ("capacity", "capacity.changed", "s-a")]
        # The event's proposal is the reply's, without distance_km.
        bare = {k: v for k, v in prop.items() if k != "distance_km"}
        assert evs[0]["data"] == {"proposal": bare, "request_id": "req-1"}
        assert all(RFC3339.match(e["at"]) for e in evs)
        mothers = [x for x in evs[1]["data"]["pools"]
                   if x["name"] == "mothers"][0]
        assert mothers["held"] == 1 and mothers["free"] == 2

        assert fcall(r, "shd_case_shelters", "NET-77") == {
            "shelters": ["s-a"], "apart": ["s-a"]}
        got = fcall(r, "shd_request_get", "req-1", "")["request"]
        assert [e["what"] for e in got.pop("history")] == ["submitted",
                                                           "proposed"]
        assert got == req
        assert_no_secrets(r)


def test_submit_without_a_place_waits_and_empty_arrays_stay_arrays():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 1)])
        mark = last_id(r)
        res = submit(r, "CM-2", [cand("s-a", ["women"])])
        assert res["proposal"] is None
        assert res["request"]["status"] == "waiting"
        assert res["request"]["rejected"] == []  # not {}
        evs = events(r, mark)
        assert [(e["topic"], e["type"]) for e in evs] == [
            ("requests", "request.waiting")]
        assert evs[0]["data"] == {"request_id": "req-1", "ref": "CM-2",
                                  "status": "waiting"}
        # A submit with no candidates at all waits too.
        res = submit(r, "CM-3", [])
        assert res["proposal"] is None
        s = fcall(r, "shd_shelter_get", "s-a")["shelter"]
        assert pool(s, "women")["held"] == 0
        put(r, "s-empty", [])
        assert fcall(r, "shd_shelter_get", "s-empty")["shelter"][
            "pools"] == []


def test_submit_replies_in_fields_on_its_hot_path():
    """A proposal or a duplicate comes as [kind, audited, request_id,
    proposal_id, shelter_id, pool, cseq, json] (docs/store.md), json being
    request.submit's result; a waiting request as JSON text."""
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 0)])
        doc = json.dumps({"ref": "F-1", "program": "any",
                          "location": {"lat": 52.09, "lon": 5.12}},
                         separators=(",", ":"))
        args = ["FCALL", "shd_submit", 0, P, "uid=7", "request.submit", "",
                "", "F-1", doc, "days", "", "any", HOUSEHOLD, 1800, 2,
                json.dumps([cand("s-a", ["women"])])]
        rep = r.cmd(*args)
        assert isinstance(rep, list) and len(rep) == 8, rep
        res = json.loads(rep[7])
        assert rep[:6] == ["proposal", "1", res["request"]["id"],
                           res["proposal"]["id"], "s-a", "women"], rep
        # The hold's change of the shelter, as its table reads it.
        assert rep[6] == r.cmd("HGET", P + "shelter:s-a", "cseq"), rep
        assert list(res) == ["request", "proposal", "explanation",
                             "duplicate"], res
        assert res["explanation"] is None and res["duplicate"] is False
        assert res["request"]["proposal"] == res["proposal"]
        # The document goes out as the daemon wrote it.
        assert rep[7].startswith('{"request":' + doc[:-1] + ',"id":'), rep[7]
        rep = r.cmd(*args)
        dup = json.loads(rep[7])
        assert rep[:7] == ["duplicate", "1", res["request"]["id"],
                           res["proposal"]["id"], "", "", ""], rep
        assert dup["duplicate"] is True and dup["proposal"] == res["proposal"]
        # No place: JSON text, as before.
        args[8] = "F-2"
        args[9] = doc.replace("F-1", "F-2")
        rep = r.cmd(*args)
        assert isinstance(rep, str), rep
        assert json.loads(rep)["proposal"] is None
        # A refusal: JSON text.
        args[9] = doc.replace("F-1", "F-2").replace("any", "cosm")
        assert error_of(json.loads(r.cmd(*args)))["reason"] == "ref_conflict"


def test_duplicate_of_a_document_stored_with_long_reals():
    """A request stored before documents were written with 15-digit reals
    is the same request when only the reals' text differs: a duplicate
    (as JSON text, which the daemon decodes), not ref_conflict."""
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 5, 0)])
        old = ('{"ref":"L-1","program":"any","location":'
               '{"lat":52.090000000000003,"lon":5.1200000000000001}}')
        new = '{"ref":"L-1","program":"any","location":{"lat":52.09,"lon":5.12}}'
        moved = new.replace("52.09", "52.1")

        def sub(doc):
            return r.cmd("FCALL", "shd_submit", 0, P, "", "", "", "", "L-1",
                         doc, "days", "", "any", HOUSEHOLD, 1800, 2,
                         json.dumps([cand("s-a", ["women"])]))
        first = sub(old)
        assert isinstance(first, list) and first[0] == "proposal"
        mark = last_id(r)
        again = sub(new)
        assert isinstance(again, str), again
        again = json.loads(again)
        assert again["duplicate"] is True
        assert again["request"]["id"] == first[2]
        assert again["proposal"]["id"] == first[3]
        assert events(r, mark) == []
        assert error_of(json.loads(sub(moved)))["reason"] == "ref_conflict"
        # The same in a batch.
        rep = json.loads(r.cmd("FCALL", "shd_submit_batch", 0, P, 1800, 2,
                               "0", "L-1", new, "days", "", "any",
                               HOUSEHOLD, ""))
        assert rep["results"][0]["duplicate"] is True, rep
        rep = json.loads(r.cmd("FCALL", "shd_submit_batch", 0, P, 1800, 2,
                               "0", "L-1", moved, "days", "", "any",
                               HOUSEHOLD, ""))
        assert error_of(rep)["reason"] == "ref_conflict"


def test_duplicate_of_a_document_stored_with_default_members():
    """A request stored before a safety of the defaults and an empty
    exploitation were left out is the same request as the document
    without them: a duplicate, not ref_conflict."""
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 5, 0)])
        old = ('{"ref":"D-1","program":"any","exploitation":{},"safety":'
               '{"min_distance_km":0,"min_security":"standard",'
               '"co_victims":"any"}}')
        new = '{"ref":"D-1","program":"any"}'
        apart = new[:-1] + ',"safety":{"min_distance_km":0,' \
            '"min_security":"standard","co_victims":"apart"}}'

        def sub(doc):
            return r.cmd("FCALL", "shd_submit", 0, P, "", "", "", "", "D-1",
                         doc, "days", "", "any", HOUSEHOLD, 1800, 2,
                         json.dumps([cand("s-a", ["women"])]))
        first = sub(old)
        assert isinstance(first, list) and first[0] == "proposal"
        again = json.loads(sub(new))
        assert again["duplicate"] is True
        assert again["request"]["id"] == first[2]
        assert error_of(json.loads(sub(apart)))["reason"] == "ref_conflict"


def test_duplicate_ref_changes_nothing():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 5, 0)])
        first = submit(r, "CM-9", [cand("s-a", ["women"])])
        mark = last_id(r)
        again = submit(r, "CM-9", [cand("s-a", ["women"])])
        assert again["duplicate"] is True
        assert again["request"] == first["request"]
        assert again["proposal"] == first["proposal"]
        assert events(r, mark) == []
        assert get_pool(r, "s-a", "women")["held"] == 1
        assert r.cmd("ZCARD", P + "requests") == 1


def test_no_hold_without_a_free_place():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 2, 0)])
        a = submit(r, "R-a", [cand("s-a", ["women"])])
        b = submit(r, "R-b", [cand("s-a", ["women"])])
        assert a["proposal"] and b["proposal"]
        # Stale candidates name s-a again: free is 0, no third hold.
        c = submit(r, "R-c", [cand("s-a", ["women"])])
        assert c["proposal"] is None
        assert c["request"]["status"] == "waiting"
        p = get_pool(r, "s-a", "women")
        assert (p["held"], p["free"], p["overbooked"]) == (2, 0, False)
        # The shelter reports fewer beds than held: overbooked, never a
        # new hold, free never below 0.
        capacity(r, "s-a", "", "women", 2, 1)
        p = get_pool(r, "s-a", "women")
        assert (p["free"], p["overbooked"]) == (0, True)
        res = fcall(r, "shd_propose", "req-3", 60, 2,
                    json.dumps([cand("s-a", ["women"]),
                                cand("gone", ["women"])]))
        assert res["proposal"] is None
        assert res["request"]["status"] == "waiting"
        assert get_pool(r, "s-a", "women")["held"] == 2
        assert fcall(r, "shd_stats")["places"]["free"] == 0


def test_propose_only_for_a_waiting_request():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 1)])
        put(r, "s-b", [("women", 1, 0)])
        w = submit(r, "R-1", [cand("s-a", ["women"])])
        assert w["proposal"] is None
        rid = w["request"]["id"]
        e = error_of(fcall(r, "shd_propose", "req-99", 60, 0, "[]"))
        assert (e["code"], e["reason"]) == (-32004, "request")

        mark = last_id(r)
        res = fcall(r, "shd_propose", rid, 60, 0,
                    json.dumps([cand("s-b", ["women"])]))
        prop = res["proposal"]
        assert prop["shelter_id"] == "s-b" and prop["alternatives"] == []
        assert res["request"]["status"] == "proposed"
        assert types(events(r, mark)) == ["proposal.created",
                                          "capacity.changed"]
        # Not waiting any more: a second propose changes nothing.
        capacity(r, "s-a", "", "women", 5, 0)
        mark = last_id(r)
        res = fcall(r, "shd_propose", rid, 60, 0,
                    json.dumps([cand("s-a", ["women"])]))
        assert res["proposal"] == prop
        assert events(r, mark) == []
        assert get_pool(r, "s-a", "women")["held"] == 0
        assert r.cmd("ZCARD", P + "holds") == 1


def test_accept_then_arrival():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 3, 1)])
        sub = submit(r, "R-1", [cand("s-a", ["women"])], case="NET-77",
                     co="apart")
        rid, pid = sub["request"]["id"], sub["proposal"]["id"]
        e = error_of(fcall(r, "shd_accept", *NO_AUDIT, "prop-404"))
        assert (e["code"], e["reason"], e["field"]) == (-32004, "proposal",
                                                        "id")
        mark = last_id(r)
        res = fcall(r, "shd_accept", *NO_AUDIT, pid)
        assert res["proposal"]["status"] == "accepted"
        req = res["request"]
        assert req["status"] == "placed" and req["proposal"] is None
        assert req["placement"] == {"shelter_id": "s-a", "pool": "women",
                                    "proposal_id": pid}
        p = get_pool(r, "s-a", "women")
        assert (p["held"], p["expected"], p["free"]) == (0, 1, 1)
        evs = events(r, mark)
        assert [(e["topic"], e["type"]) for e in evs] == [
            ("proposals", "proposal.accepted"),
            ("requests", "request.placed"),
            ("placements", "placement.expected"),
            ("capacity", "capacity.changed")]
        assert evs[2]["shelter"] == "s-a"
        assert evs[2]["data"] == {"request_id": rid, "shelter_id": "s-a",
                                  "pool": "women",
                                  "household": json.loads(HOUSEHOLD)}
        # Accept keeps the case count.
        assert fcall(r, "shd_case_shelters", "NET-77")["shelters"] == ["s-a"]

        e = error_of(fcall(r, "shd_accept", *NO_AUDIT, pid))
        assert (e["code"], e["reason"], e["field"]) == (-32009, "state",
                                                        "id")
        assert e["message"] == "id: proposal %s is accepted, not open" % pid
        e = error_of(fcall(r, "shd_reject", pid))
        assert e["reason"] == "state"

        # Arrival: unknown, other shelter, then the right one.
        e = error_of(fcall(r, "shd_arrived", *NO_AUDIT, "req-404", ""))
        assert (e["code"], e["reason"], e["field"]) == (-32004, "request",
                                                        "request_id")
        e = error_of(fcall(r, "shd_arrived", *NO_AUDIT, rid, "s-b"))
        assert (e["code"], e["reason"], e["field"]) == (
            -32003, "not_own_shelter", "request_id")
        mark = last_id(r)
        req = fcall(r, "shd_arrived", *NO_AUDIT, rid, "s-a")["request"]
        assert req["status"] == "arrived"
        p = get_pool(r, "s-a", "women")
        assert (p["occupied"], p["expected"], p["free"]) == (2, 0, 1)
        assert types(events(r, mark)) == ["request.arrived",
                                          "placement.arrived",
                                          "capacity.changed"]
        # A resident still counts for its case.
        assert fcall(r, "shd_case_shelters", "NET-77")["shelters"] == ["s-a"]
        e = error_of(fcall(r, "shd_arrived", *NO_AUDIT, rid, ""))
        assert (e["code"], e["reason"]) == (-32009, "state")
        e = error_of(fcall(r, "shd_cancel", *NO_AUDIT, rid))
        assert (e["code"], e["reason"], e["field"]) == (-32009, "state",
                                                        "id")

        # Departure: unknown, other shelter, then the right one.
        e = error_of(fcall(r, "shd_departed", *NO_AUDIT, "req-404", ""))
        assert (e["code"], e["reason"], e["field"]) == (-32004, "request",
                                                        "request_id")
        e = error_of(fcall(r, "shd_departed", *NO_AUDIT, rid, "s-b"))
        assert (e["code"], e["reason"], e["field"]) == (
            -32003, "not_own_shelter", "request_id")
        mark = last_id(r)
        req = fcall(r, "shd_departed", *NO_AUDIT, rid, "s-a")["request"]
        assert req["status"] == "departed"
        assert req["placement"]["shelter_id"] == "s-a"
        p = get_pool(r, "s-a", "women")
        assert (p["occupied"], p["expected"], p["free"]) == (1, 0, 2)
        evs = events(r, mark)
        assert types(evs) == ["request.departed", "placement.departed",
                              "capacity.changed"]
        assert evs[0]["topic"] == "requests"
        assert evs[1]["topic"] == "placements"
        assert evs[1]["data"]["household"] == json.loads(HOUSEHOLD)
        assert fcall(r, "shd_case_shelters", "NET-77") == {
            "shelters": [], "apart": []}
        e = error_of(fcall(r, "shd_departed", *NO_AUDIT, rid, ""))
        assert (e["code"], e["reason"], e["field"]) == (-32009, "state",
                                                        "request_id")
        assert e["message"] == \
            "request_id: request %s is departed, not arrived" % rid
        assert fcall(r, "shd_stats")["requests"]["departed"] == 1
        assert_no_secrets(r)


def test_arrival_refused_before_placement():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 3, 0)])
        sub = submit(r, "R-1", [cand("s-a", ["women"])])
        rid = sub["request"]["id"]
        e = error_of(fcall(r, "shd_arrived", *NO_AUDIT, rid, ""))
        assert (e["code"], e["reason"]) == (-32009, "state")
        # A shelter asking about a request that is not placed: state too.
        e = error_of(fcall(r, "shd_arrived", *NO_AUDIT, rid, "s-b"))
        assert (e["code"], e["reason"]) == (-32009, "state")
        assert get_pool(r, "s-a", "women")["occupied"] == 0


def test_reject_releases_and_next_proposal_skips_rejected():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 0)])
        put(r, "s-b", [("women", 1, 0)])
        cands = [cand("s-a", ["women"], 90), cand("s-b", ["women"], 80)]
        sub = submit(r, "R-1", cands, case="NET-77", co="apart")
        rid, pid = sub["request"]["id"], sub["proposal"]["id"]
        mark = last_id(r)
        res = fcall(r, "shd_reject", pid)
        assert res["proposal"]["status"] == "rejected"
        assert res["request"]["status"] == "waiting"
        assert res["request"]["rejected"] == ["s-a"]
        assert res["request"]["proposal"] is None
        assert get_pool(r, "s-a", "women")["held"] == 0
        assert fcall(r, "shd_case_shelters", "NET-77")["shelters"] == []
        evs = events(r, mark)
        assert types(evs) == ["proposal.rejected", "request.waiting",
                              "capacity.changed"]
        assert "school" not in json.dumps([e["raw"] for e in evs])
        # The same (stale) candidate list: s-a was rejected, s-b is next.
        nxt = fcall(r, "shd_propose", rid, 60, 2, json.dumps(cands))
        assert nxt["proposal"]["shelter_id"] == "s-b"
        assert nxt["proposal"]["id"] != pid
        e = error_of(fcall(r, "shd_reject", "prop-404"))
        assert (e["code"], e["reason"]) == (-32004, "proposal")


def test_cancel_in_every_state():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 2, 0)])
        waiting = submit(r, "R-w", [])["request"]["id"]
        proposed = submit(r, "R-p", [cand("s-a", ["women"])], case="C-1",
                          co="apart")
        placed = submit(r, "R-x", [cand("s-a", ["women"])], case="C-2")
        fcall(r, "shd_accept", *NO_AUDIT, placed["proposal"]["id"])
        assert fcall(r, "shd_case_shelters", "C-2")["shelters"] == ["s-a"]

        mark = last_id(r)
        req = fcall(r, "shd_cancel", *NO_AUDIT, waiting)["request"]
        assert req["status"] == "cancelled"
        assert r.cmd("ZSCORE", P + "waitlist", waiting) is None
        assert types(events(r, mark)) == ["request.cancelled"]

        mark = last_id(r)
        req = fcall(r, "shd_cancel", *NO_AUDIT,
                    proposed["request"]["id"])["request"]
        assert req["status"] == "cancelled" and req["proposal"] is None
        assert get_pool(r, "s-a", "women")["held"] == 0
        assert r.cmd("HGET", P + "proposal:" + proposed["proposal"]["id"],
                     "status") == "cancelled"
        assert fcall(r, "shd_case_shelters", "C-1")["shelters"] == []
        assert types(events(r, mark)) == ["request.cancelled",
                                          "capacity.changed"]
        e = error_of(fcall(r, "shd_accept", *NO_AUDIT,
                           proposed["proposal"]["id"]))
        assert e["reason"] == "state"

        mark = last_id(r)
        req = fcall(r, "shd_cancel", *NO_AUDIT,
                    placed["request"]["id"])["request"]
        assert req["status"] == "cancelled"
        p = get_pool(r, "s-a", "women")
        assert (p["expected"], p["free"]) == (0, 2)
        evs = events(r, mark)
        assert types(evs) == ["request.cancelled", "placement.cancelled",
                              "capacity.changed"]
        assert evs[1]["data"]["shelter_id"] == "s-a"
        assert fcall(r, "shd_case_shelters", "C-2")["shelters"] == []

        e = error_of(fcall(r, "shd_cancel", *NO_AUDIT, waiting))
        assert (e["code"], e["reason"]) == (-32009, "state")
        e = error_of(fcall(r, "shd_cancel", *NO_AUDIT, "req-404"))
        assert (e["code"], e["reason"], e["field"]) == (-32004, "request",
                                                        "id")
        st = fcall(r, "shd_stats")
        assert st["requests"] == {"waiting": 0, "proposed": 0, "placed": 0,
                                  "arrived": 0, "departed": 0,
                                  "cancelled": 3}


def test_co_victims_apart_kept_apart():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 5, 0)])
        put(r, "s-b", [("women", 5, 0)])
        cands = [cand("s-a", ["women"]), cand("s-b", ["women"])]
        first = submit(r, "V-1", cands, case="NET-77", co="apart")
        assert first["proposal"]["shelter_id"] == "s-a"
        second = submit(r, "V-2", cands, case="NET-77", co="apart")
        assert second["proposal"]["shelter_id"] == "s-b"
        third = submit(r, "V-3", cands, case="NET-77", co="apart")
        assert third["proposal"] is None
        # Symmetric: a co-victim who does not say apart is kept away
        # from the apart ones too.
        anyco = submit(r, "V-4", cands, case="NET-77", co="any")
        assert anyco["proposal"] is None
        # Another case is not kept apart.
        other = submit(r, "V-5", cands, case="NET-78", co="apart")
        assert other["proposal"]["shelter_id"] == "s-a"
        assert r.cmd("HGET", P + "case:NET-77", "s-a") == "1"
        assert r.cmd("HGET", P + "case_apart:NET-77", "s-a") == "1"
        w = fcall(r, "shd_waiting", 10, "", "")["requests"]
        assert [x["id"] for x in w] == [third["request"]["id"],
                                        anyco["request"]["id"]]
        assert w[0]["case_shelters"] == ["s-a", "s-b"]
        assert w[0]["case_apart"] == ["s-a", "s-b"]
        assert w[0]["rejected"] == [] and w[0]["doc"]["ref"] == "V-3"

        # An "any" member placed first keeps out a later apart one, but
        # not a later "any" one.
        put(r, "s-c", [("women", 5, 0)])
        c3 = [cand("s-c", ["women"])]
        assert submit(r, "W-1", c3, case="NET-9", co="any")["proposal"]
        assert submit(r, "W-2", c3, case="NET-9", co="apart")[
            "proposal"] is None
        assert submit(r, "W-3", c3, case="NET-9", co="together")[
            "proposal"]["shelter_id"] == "s-c"


def test_sweep_expires_and_requeues_in_original_place():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 1)])
        r1 = submit(r, "Q-1", [])["request"]["id"]                # days
        r2 = submit(r, "Q-2", [])["request"]["id"]                # days
        r3 = submit(r, "Q-3", [], urgency="immediate")["request"]["id"]
        r4 = submit(r, "Q-4", [], urgency="planned")["request"]["id"]

        def order():
            return [x["id"] for x in
                    fcall(r, "shd_waiting", 10, "", "")["requests"]]

        assert order() == [r3, r1, r2, r4]
        capacity(r, "s-a", "", "women", 2, 1)
        res = fcall(r, "shd_propose", r1, 1, 0,
                    json.dumps([cand("s-a", ["women"])]))
        pid = res["proposal"]["id"]
        assert order() == [r3, r2, r4]
        assert fcall(r, "shd_sweep") == {"expired": 0}
        time.sleep(1.2)
        mark = last_id(r)
        assert fcall(r, "shd_sweep") == {"expired": 1}
        assert order() == [r3, r1, r2, r4]
        assert get_pool(r, "s-a", "women")["held"] == 0
        req = fcall(r, "shd_request_get", r1, "")["request"]
        assert req["status"] == "waiting" and req["proposal"] is None
        assert r.cmd("HGET", P + "proposal:" + pid, "status") == "expired"
        evs = events(r, mark)
        assert types(evs) == ["proposal.expired", "request.waiting",
                              "capacity.changed"]
        assert evs[0]["data"]["proposal"]["status"] == "expired"
        assert fcall(r, "shd_sweep") == {"expired": 0}  # idempotent
        e = error_of(fcall(r, "shd_accept", *NO_AUDIT, pid))
        assert e["message"] == "id: proposal %s is expired, not open" % pid
        # The same shelter may be proposed again.
        again = fcall(r, "shd_propose", r1, 60, 0,
                      json.dumps([cand("s-a", ["women"])]))
        assert again["proposal"]["shelter_id"] == "s-a"


def test_accept_after_deadline_is_refused():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 0)])
        sub = submit(r, "R-1", [cand("s-a", ["women"])], ttl=1)
        time.sleep(1.2)  # no sweep ran
        e = error_of(fcall(r, "shd_accept", *NO_AUDIT, sub["proposal"]["id"]))
        assert (e["code"], e["reason"]) == (-32009, "state")
        assert get_pool(r, "s-a", "women")["expected"] == 0
        assert get_pool(r, "s-a", "women")["held"] == 0
        assert fcall(r, "shd_request_get", sub["request"]["id"], "")[
            "request"]["status"] == "waiting"


def test_request_list_and_stats():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 3, 1), ("mothers", 2, 2)])
        put(r, "s-b", [("women", 1, 0)])
        a = submit(r, "L-1", [cand("s-a", ["women"])])
        b = submit(r, "L-2", [])
        c = submit(r, "L-3", [cand("s-b", ["women"])])
        fcall(r, "shd_accept", *NO_AUDIT, c["proposal"]["id"])
        def listed(statuses, limit, order="oldest", case=""):
            return fcall(r, "shd_request_list", statuses, limit, order,
                         case)["requests"]

        ids = [x["id"] for x in listed("", 100)]
        assert ids == ["req-1", "req-2", "req-3"]
        assert [x["id"] for x in listed("", 2)] == ["req-1", "req-2"]
        assert [x["id"] for x in listed("", 2, "newest")] == [
            "req-3", "req-2"]
        got = listed("placed,waiting", 10)
        assert [(x["id"], x["status"]) for x in got] == [
            ("req-2", "waiting"), ("req-3", "placed")]
        assert [x["id"] for x in listed("placed,waiting", 10, "newest")] == [
            "req-3", "req-2"]
        assert listed("arrived", 10) == []
        assert a["request"]["status"] == "proposed"
        assert b["request"]["status"] == "waiting"
        st = fcall(r, "shd_stats")
        # The oldest waiting request is req-2, the only one that waits.
        oldest = st.pop("oldest_waiting_ms")
        assert oldest == int(r.cmd("HGET", P + "req:req-2",
                                   "created_at")), oldest
        # Nothing waited past its urgency's limit.
        assert st.pop("escalated_waiting") == 0
        by = st.pop("requests_by_program")
        assert sum(sum(v.values()) for v in by.values()) == 3, by
        assert st == {"shelters": 2,
                      "places": {"total": 6, "occupied": 3, "held": 1,
                                 "expected": 1, "free": 1},
                      "requests": {"waiting": 1, "proposed": 1, "placed": 1,
                                   "arrived": 0, "departed": 0,
                                   "cancelled": 0}}
        e = error_of(fcall(r, "shd_request_get", "req-404", ""))
        assert (e["code"], e["reason"], e["field"]) == (-32004, "request",
                                                        "id")


def test_times_render_as_rfc3339_across_leap_days():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 9, 0)])
        targets = ["2028-02-29T12:00:00", "2100-03-01T00:00:30",
                   "2027-01-01T00:00:00", "2030-12-31T23:59:59"]
        for i, t in enumerate(targets):
            when = datetime.datetime.fromisoformat(t).replace(
                tzinfo=datetime.timezone.utc).timestamp()
            now = int(r.cmd("TIME")[0])
            res = submit(r, "T-%d" % i, [cand("s-a", ["women"])],
                         ttl=int(when) - now)
            got = res["proposal"]["expires_at"]
            assert RFC3339.match(got), got
            # TIME may tick between our read and the call.
            allowed = {t + "Z"}
            nxt = datetime.datetime.fromtimestamp(
                when + 1, datetime.timezone.utc)
            allowed.add(nxt.strftime("%Y-%m-%dT%H:%M:%SZ"))
            assert got in allowed, (got, t)


def test_shelter_rows_marks_and_ranges_cover_every_shelter_once():
    """The pages of shd_shelter_rows; shelters put without a tab come in
    their JSON form (the table's), which these read."""
    def ids_of(page):
        return [json.loads(x[0])["id"] for x in page[2:]]

    with Redis() as r:
        load(r)
        ids = ["s-p%02d" % i for i in range(11)]
        for sid in ids:
            put(r, sid, [("women", 3, 1)])
        capacity(r, "s-p03", "", "women", "", "2")
        first = rows(r, "", 3, "")
        assert ids_of(first) == ids[:3]
        assert first[0] == "s-p02"
        # Every third id after next: the ends of the pages to ask at once.
        assert first[1] == ["s-p05", "s-p08"], first
        mid = rows(r, "s-p02", 3, "s-p05")
        assert ids_of(mid) == ids[3:6]
        assert mid[0] is None and mid[1] == [], mid
        last = rows(r, "s-p08", 3, "")
        assert ids_of(last) == ids[9:]
        assert last[0] is None and last[1] == [], last
        # Later pages carry no marks; a range holds what was put into it.
        put(r, "s-p04a", [("women", 1, 0)])
        mid = rows(r, "s-p02", 3, "s-p05")
        assert ids_of(mid) == ["s-p03", "s-p04", "s-p04a", "s-p05"]
        # The table's form: the live counts, version and updated_at.
        s = json.loads(mid[2][0])
        assert s["pools"][0]["total"] == 3 and \
            s["pools"][0]["occupied"] == 2, s
        assert s["pools"][0]["held"] == 0 and s["pools"][0]["expected"] == 0
        assert s["version"] == 2 and RFC3339.match(s["updated_at"]), s
        assert s["intake"] == {"open": True, "always": False}, s
        assert s["departures_unconfirmed"] == [], s


def rows(r, after, limit, upto):
    return r.cmd("FCALL", "shd_shelter_rows", 0, P, after, limit, upto)


def test_shelter_rows_pages_and_the_row_form():
    with Redis() as r:
        load(r)
        ids = ["s-r%02d" % i for i in range(9)]
        for i, sid in enumerate(ids):
            pools = [("a", 2, 0), ("b", 1, 1)] if i == 4 else \
                [("women", 3, 1)]
            put(r, sid, pools, tab="" if i == 7 else "s1 packed " + sid)
        capacity(r, "s-r03", "", "women", "", "2")
        # A tab of another form is not sent: that shelter comes as JSON.
        r.cmd("HSET", P + "shelter:s-r08", "tab", "s0 packed")
        first = rows(r, "", 3, "")
        assert first[0] == "s-r02" and first[1] == ["s-r05"], first
        assert [x[0] for x in first[2:]] == [
            "s1 packed " + sid for sid in ids[:3]], first
        row = first[2]
        assert row[1:5] == ["women", "1", "0", "1"], row
        assert int(row[5]) > 0 and row[6] is None, row
        # Its change number (the put, then a capacity.changed of none).
        assert row[7] == r.cmd("HGET", P + "shelter:s-r00", "cseq"), row
        assert row[8:] == ["3", "1", "0", "0", None], row
        # (after, upto]: the counts of each shelter's own pools, whatever
        # the pools of the one before.
        mid = rows(r, "s-r02", 3, "s-r05")
        assert mid[0] is None and mid[1] == [], mid
        assert [x[0] for x in mid[2:]] == [
            "s1 packed " + sid for sid in ids[3:6]], mid
        assert mid[2][4] == "2" and mid[2][8:] == ["3", "2", "0", "0", None]
        assert mid[3][1] == "a b" and mid[3][8:] == [
            "2", "0", "0", "0", None, "1", "1", "0", "0", None], mid[3]
        assert mid[4][8:] == ["3", "1", "0", "0", None], mid[4]
        # The last page, exactly full: no next (no empty page after it).
        last = rows(r, "s-r05", 3, "")
        assert last[0] is None and last[1] == [], last
        assert last[2][0] == "s1 packed s-r06" and len(last[2]) == 13
        for k, sid in ((3, "s-r07"), (4, "s-r08")):
            # The JSON form, with its change number.
            assert len(last[k]) == 2, last[k]
            assert last[k][1] == r.cmd("HGET", P + "shelter:" + sid,
                                       "cseq"), last[k]
            t = json.loads(last[k][0])
            assert t["id"] == sid and t["pools"][0]["total"] == 3, t
        # A put of the same shelter writes a new tab: no new version.
        v = fcall(r, "shd_shelter_get", "s-r08")["shelter"]["version"]
        put(r, "s-r08", [("women", 3, 1)], tab="s1 packed again")
        assert fcall(r, "shd_shelter_get", "s-r08")["shelter"][
            "version"] == v
        assert rows(r, "s-r07", 3, "")[2][0] == "s1 packed again"


def test_shelter_tabs_writes_only_at_the_version_read_and_over_no_s1():
    with Redis() as r:
        load(r)
        put(r, "s-t1", [("women", 3, 1)])
        put(r, "s-t2", [("women", 3, 1)])
        put(r, "s-t3", [("women", 3, 1)], tab="s1 from a put")
        capacity(r, "s-t2", "", "women", "", "2")  # now at version 2
        got = fcall(r, "shd_shelter_tabs", "s-t1", "1", "s1 read t1",
                    "s-t2", "1", "s1 read t2", "s-t3", "1", "s1 read t3",
                    "s-none", "1", "s1 gone")
        assert got == {"set": 1}, got

        def tab(sid):
            return r.cmd("HGET", P + "shelter:" + sid, "tab")
        assert (tab("s-t1"), tab("s-t2"), tab("s-t3")) == (
            "s1 read t1", None, "s1 from a put")
        assert r.cmd("EXISTS", P + "shelter:s-none") == 0
        assert fcall(r, "shd_shelter_get", "s-t1")["shelter"]["version"] == 1


def test_waiting_says_unchanged_until_what_it_returns_changes():
    with Redis() as r:
        load(r)
        put(r, "s-a", [("women", 1, 0)])
        r1 = submit(r, "U-1", [])["request"]["id"]
        page = fcall(r, "shd_waiting", 10, "", "")
        assert [x["id"] for x in page["requests"]] == [r1]
        ver = str(page["ver"])
        same = fcall(r, "shd_waiting", 10, "", ver)
        assert same == {"unchanged": True, "ver": page["ver"]}, same
        # A capacity change is not the waitlist's: still unchanged.
        capacity(r, "s-a", "", "women", 2, 0)
        assert fcall(r, "shd_waiting", 10, "", ver)["unchanged"] is True

        def changed(ver):
            page = fcall(r, "shd_waiting", 10, "", ver)
            assert "unchanged" not in page, page
            return str(page["ver"]), [x["id"] for x in page["requests"]]

        # A new waiting request, a proposal, a rejection, a cancel.
        r2 = submit(r, "U-2", [])["request"]["id"]
        ver, ids = changed(ver)
        assert ids == [r1, r2]
        res = fcall(r, "shd_propose", r1, 60, 0,
                    json.dumps([cand("s-a", ["women"])]))
        ver, ids = changed(ver)
        assert ids == [r2]
        fcall(r, "shd_reject", res["proposal"]["id"])
        ver, ids = changed(ver)
        page = fcall(r, "shd_waiting", 10, "", "")
        assert page["requests"][0]["rejected"] == ["s-a"], page
        fcall(r, "shd_cancel", *NO_AUDIT, r2)
        ver, ids = changed(ver)
        assert ids == [r1]
        # A co-victim held somewhere changes the case's shelters.
        submit(r, "U-3", [], case="NET-5", co="apart")
        ver, _ = changed(ver)
        assert submit(r, "U-4", [cand("s-a", ["women"])],
                      case="NET-5")["proposal"]
        ver, ids = changed(ver)
        page = fcall(r, "shd_waiting", 10, "", "")
        assert page["requests"][-1]["case_shelters"] == ["s-a"], page
        assert fcall(r, "shd_waiting", 10, "", ver)["unchanged"] is True
