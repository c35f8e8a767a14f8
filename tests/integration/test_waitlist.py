"""Requests that fit nowhere wait, with an explanation, and are matched again
(urgency first, then age) when a place frees up."""

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
        assert ex["message"].startswith("0/1 shelters can take this request"), \
            ex["message"]
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
