"""request.submit_batch: a raid submitted at once is validated whole,
assigned jointly (most people placed, then the best total score) and held
atomically; request.list by case and order."""

import threading

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Env, expect_error,
                     pool, pool_of, request, shelter)


def batch(c, reqs):
    return c.call("request.submit_batch", {"requests": reqs})["results"]


def listed(c, **params):
    return c.call("request.list", params)["requests"]


def two_shelters():
    # A takes women and men and speaks the person's language; B takes only
    # women and does not: one at a time, the woman takes A and the man
    # waits.
    a = shelter(DEFAULT_SHELTER_ID, languages=["nl", "en"],
                pools=[pool("main", genders=("f", "m"), total=1)])
    b = shelter(OTHER_SHELTER_ID, languages=["nl"],
                pools=[pool("women", genders=("f",), total=1)])
    return [a, b]


def test_single_submits_leave_the_man_waiting():
    # The baseline the batch improves on.
    with Env(shelters=two_shelters()) as env:
        c = env.client("coordinator")
        w = c.call("request.submit", {"request": request("ONE-F")})
        m = c.call("request.submit",
                   {"request": request("ONE-M", gender="m")})
        assert w["proposal"]["shelter_id"] == DEFAULT_SHELTER_ID
        assert m["proposal"] is None


def test_batch_places_everyone_jointly_in_input_order():
    with Env(shelters=two_shelters()) as env:
        c = env.client("coordinator")
        res = batch(c, [request("B-F"), request("B-M", gender="m")])
        assert [r["request"]["ref"] for r in res] == ["B-F", "B-M"]
        assert [r["duplicate"] for r in res] == [False, False]
        f, m = res
        assert f["proposal"]["shelter_id"] == OTHER_SHELTER_ID, f
        assert f["proposal"]["pool"] == "women"
        assert m["proposal"]["shelter_id"] == DEFAULT_SHELTER_ID, m
        assert f["explanation"] is None and m["explanation"] is None
        assert f["request"]["status"] == "proposed"
        # The holds are in the store and in the table at once.
        st = c.call("stats.get")
        assert st["places"]["held"] == 2 and st["places"]["free"] == 0, st
        prev = c.call("match.preview", {"request": request("B-NEXT")})
        assert prev["candidates"] == [], prev
        # Accepting works as for a single proposal.
        acc = c.call("proposal.accept", {"id": m["proposal"]["id"]})
        assert acc["request"]["status"] == "placed"


def test_batch_waiting_request_is_explained():
    s = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=2)])
    with Env(shelters=[s]) as env:
        c = env.client("coordinator")
        res = batch(c, [request("W-1", urgency="immediate"), request("W-2"),
                        request("W-3")])
        placed = [r for r in res if r["proposal"] is not None]
        waiting = [r for r in res if r["proposal"] is None]
        assert len(placed) == 2 and len(waiting) == 1, res
        w = waiting[0]
        assert w["request"]["status"] == "waiting"
        assert w["explanation"]["reasons"] == {"no_free_place": 1}, w
        assert w["explanation"]["eligible"] == 0
        # It is on the waitlist: a freed place goes to it.
        c.call("proposal.reject", {"id": placed[0]["proposal"]["id"],
                                   "reason": "no"})
        env.client("admin").call("shelter.put", {"shelter": shelter(
            OTHER_SHELTER_ID, total=1)})
        got = c.call("request.get", {"id": w["request"]["id"]})["request"]
        for _ in range(200):
            if got["status"] == "proposed":
                break
            got = c.call("request.get",
                         {"id": w["request"]["id"]})["request"]
        assert got["status"] == "proposed", got


def test_batch_bad_sizes_store_nothing():
    with Env() as env:
        c = env.client("coordinator")
        e = expect_error(lambda: batch(c, []), -32602, "invalid_field",
                         "requests")
        assert "1 to 50" in e.message, e.message
        reqs = [request("BIG-%d" % i) for i in range(51)]
        expect_error(lambda: batch(c, reqs), -32602, "invalid_field",
                     "requests")
        expect_error(lambda: c.call("request.submit_batch", {}), -32602,
                     "missing_field", "requests")
        expect_error(lambda: c.call("request.submit_batch",
                                    {"requests": {"a": 1}}), -32602)
        assert listed(c) == []
        # 50 is the limit, and it is accepted.
        res = batch(c, [request("OK-%d" % i) for i in range(50)])
        assert len(res) == 50
        assert len(listed(c, limit=500)) == 50


def test_batch_one_invalid_request_stores_nothing():
    with Env() as env:
        c = env.client("coordinator")
        reqs = [request("INV-%d" % i) for i in range(5)]
        reqs[3]["person"]["age"] = 300
        e = expect_error(lambda: batch(c, reqs), -32602, None,
                         "requests.3.person.age")
        assert e.message.startswith("requests.3.person.age: "), e.message
        reqs[3] = "not an object"
        e = expect_error(lambda: batch(c, reqs), -32602, "invalid_field",
                         "requests.3")
        assert e.message == "requests.3: must be an object", e.message
        reqs[3] = request("INV-3", name="Jane")
        e = expect_error(lambda: batch(c, reqs), -32602, "unknown_field")
        assert e.field.startswith("requests.3."), e.field
        assert listed(c) == []
        assert c.call("stats.get")["places"]["held"] == 0


def test_batch_lists_the_problems_of_every_request():
    """A raid of 30 where each person's age was typed wrong: data.errors
    names all 30 (requests.0.person.age .. requests.29.person.age), so
    the raid form marks every row at once. It had stopped at 16 for the
    whole batch, and the last 14 rows came back only on the next try."""
    with Env() as env:
        c = env.client("coordinator")
        reqs = [request("ALL-%d" % i) for i in range(30)]
        for r in reqs:
            r["person"]["age"] = 300
        reqs[7]["person"]["gender"] = "q"
        reqs[29]["ref"] = "ALL-3"
        e = expect_error(lambda: batch(c, reqs), -32602, None,
                         "requests.0.person.age")
        fields = [x["field"] for x in e.data["errors"]]
        want = ["requests.%d.person.age" % i for i in range(30)]
        want.insert(7, "requests.7.person.gender")
        assert sorted(fields) == sorted(want), fields
        assert fields[:8] == want[:8], fields
        # A repeated ref is named once its request is valid.
        reqs = [request("ALL-%d" % i) for i in range(30)]
        reqs[29]["ref"] = "ALL-3"
        e = expect_error(lambda: batch(c, reqs), -32602, "invalid_field",
                         "requests.29.ref")
        assert len(e.data["errors"]) == 1, e.data
        assert listed(c) == []


def test_batch_duplicate_refs_inside_the_batch():
    with Env() as env:
        c = env.client("coordinator")
        reqs = [request("DUP-A"), request("DUP-B"), request("DUP-A")]
        e = expect_error(lambda: batch(c, reqs), -32602, "invalid_field",
                         "requests.2.ref")
        assert "requests.0" in e.message, e.message
        assert listed(c) == []


def test_batch_again_is_duplicate_and_takes_no_place():
    s = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=3)])
    with Env(shelters=[s]) as env:
        c = env.client("coordinator")
        first = batch(c, [request("AG-1"), request("AG-2")])
        again = batch(c, [request("AG-1"), request("AG-2"), request("AG-3")])
        assert [r["duplicate"] for r in again] == [True, True, False]
        for a, b in zip(first, again[:2]):
            assert a["request"]["id"] == b["request"]["id"]
            assert a["proposal"]["id"] == b["proposal"]["id"]
            assert b["explanation"] is None
        assert again[2]["proposal"] is not None, again[2]
        st = c.call("stats.get")
        assert st["places"]["held"] == 3, st
        assert st["requests"]["proposed"] == 3, st
        # The pool is full now: AG-4 waits, explained; again, as a
        # duplicate that still waits, it is explained the same way.
        wait = batch(c, [request("AG-4")])
        assert wait[0]["proposal"] is None and wait[0]["explanation"]
        again = batch(c, [request("AG-4"), request("AG-1")])
        assert [r["duplicate"] for r in again] == [True, True]
        assert again[0]["explanation"] == wait[0]["explanation"], again
        assert again[1]["explanation"] is None


def test_batch_existing_ref_frees_its_place_for_the_others():
    # The daemon's first assignment gives the stored ref a place too; the
    # store finds it is a duplicate and the batch is assigned again, so the
    # last place goes to a new request.
    s = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=2)])
    with Env(shelters=[s]) as env:
        c = env.client("coordinator")
        c.call("request.submit", {"request": request("EX-OLD")})
        res = batch(c, [request("EX-OLD"), request("EX-NEW")])
        assert res[0]["duplicate"] is True
        assert res[1]["duplicate"] is False
        assert res[1]["proposal"] is not None, res[1]
        assert c.call("stats.get")["places"]["held"] == 2


def test_batch_retries_when_the_table_is_behind_the_store():
    # A hold the daemon has not seen (written behind its back): the first
    # assignment wants two places, the store has one, nothing is written,
    # and the second assignment against the store's counts holds one.
    s = shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=3)])
    with Env(shelters=[s]) as env:
        c = env.client("coordinator")
        env.redis.cmd("HINCRBY", "shelterd:shelter:" + DEFAULT_SHELTER_ID,
                      "h:main", 2)
        res = batch(c, [request("RT-1"), request("RT-2")])
        got = [r["proposal"] is not None for r in res]
        assert got == [True, False], res
        assert res[1]["explanation"]["reasons"] == {"no_free_place": 1}
        log = env.daemon.log_text()
        assert "assigning again" in log, log[-2000:]


def apart(ref, case, gender="f"):
    return request(ref, gender=gender,
                   safety={"case": case, "co_victims": "apart"})


def test_batch_apart_inside_the_batch():
    seed = [shelter("t-ap-%d" % i, total=5) for i in range(2)]
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        res = batch(c, [apart("AP-1", "C1"), apart("AP-2", "C1"),
                        apart("AP-3", "C1"), request("AP-4")])
        shelters = [r["proposal"]["shelter_id"] for r in res[:3]
                    if r["proposal"] is not None]
        assert len(shelters) == 2 and len(set(shelters)) == 2, res
        assert res[3]["proposal"] is not None
        w = [r for r in res[:3] if r["proposal"] is None][0]
        assert w["explanation"] is not None
        # Counted after the batch's own holds, as request.submit would:
        # both shelters hold a co-victim now.
        ex = w["explanation"]
        assert ex["eligible"] == 0, ex
        assert ex["reasons"].get("case_conflict") == 2, ex
        pv = c.call("match.preview", {"request": apart("AP-5", "C1")})
        assert pv["explanation"]["reasons"] == ex["reasons"], (pv, ex)


def test_batch_apart_against_those_already_placed():
    seed = [shelter("t-ap-%d" % i, total=5) for i in range(2)]
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        one = c.call("request.submit", {"request": apart("AO-1", "C2")})
        taken = one["proposal"]["shelter_id"]
        res = batch(c, [apart("AO-2", "C2"), apart("AO-3", "C2")])
        got = [r["proposal"] and r["proposal"]["shelter_id"] for r in res]
        assert taken not in got, (taken, got)
        assert sorted(map(str, got)) == sorted(
            [str(None), [s["id"] for s in seed if s["id"] != taken][0]])


def test_batch_together_stays_together():
    seed = [shelter("t-tg-%d" % i, total=3) for i in range(3)]
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        tog = [request("TG-%d" % i,
                       safety={"case": "C3", "co_victims": "together"})
               for i in range(3)]
        res = batch(c, tog)
        got = {r["proposal"]["shelter_id"] for r in res}
        assert len(got) == 1, res


def test_batch_together_pays_more_than_each_best_alone():
    # Alone, T1 (Romanian) fits only A, and T2 scores best at B, near the
    # Zwolle she prefers. Together at A they score more in all (each with
    # together 100), as single submits would have put them: the batch
    # keeps them together and says so in their scores.
    seed = [shelter(DEFAULT_SHELTER_ID, municipality="Utrecht",
                    languages=["ro", "en"], total=3),
            shelter(OTHER_SHELTER_ID, municipality="Zwolle",
                    languages=["en"], total=3)]
    kt = {"case": "KT", "co_victims": "together"}
    t1 = request("KT-1", safety=kt,
                 person={"gender": "f", "age": 30, "languages": ["ro"]})
    t2 = request("KT-2", safety=kt,
                 preferred_location={"municipality": "Zwolle"})
    with Env(shelters=seed) as env:
        c = env.client("coordinator")
        alone = c.call("match.preview", {"request": t2})["candidates"]
        assert alone[0]["shelter_id"] == OTHER_SHELTER_ID, alone
        res = batch(c, [t1, t2])
        props = [r["proposal"] for r in res]
        assert [p["shelter_id"] for p in props] == [DEFAULT_SHELTER_ID] * 2
        assert all(p["scores"]["together"] == 100 for p in props), props
        assert props[1]["score"] > alone[0]["score"], (props, alone)
        # Alone at A it scored less: the together score is in the score.
        at_a = [x for x in alone if x["shelter_id"] == DEFAULT_SHELTER_ID]
        assert at_a[0]["score"] < props[1]["score"], (at_a, props[1])
        assert at_a[0]["scores"]["together"] == 0


def test_batch_races_single_submits_for_the_last_places():
    seed = [shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=2)]),
            shelter(OTHER_SHELTER_ID, pools=[pool("main", total=2)])]
    with Env(shelters=seed) as env:
        clients = [env.client("coordinator") for _ in range(5)]
        start = threading.Barrier(len(clients))
        out, errors = [], []

        def run(i, c):
            try:
                start.wait()
                if i == 0:
                    out.extend(batch(c, [request("RB-%d" % k)
                                         for k in range(4)]))
                else:
                    out.append(c.call("request.submit", {
                        "request": request("RS-%d" % i)}))
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(i, c))
                   for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == [], errors
        assert len(out) == 8
        props = [r["proposal"] for r in out if r["proposal"] is not None]
        assert len(props) == 4, out
        per_shelter = {}
        for p in props:
            per_shelter[p["shelter_id"]] = per_shelter.get(
                p["shelter_id"], 0) + 1
        assert per_shelter == {DEFAULT_SHELTER_ID: 2, OTHER_SHELTER_ID: 2}
        c = clients[0]
        for sid in (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID):
            p = pool_of(c.call("shelter.get", {"id": sid})["shelter"])
            assert p["held"] == 2 and p["free"] == 0, p
            assert not p["overbooked"]
        st = c.call("stats.get")["requests"]
        assert st["proposed"] == 4 and st["waiting"] == 4, st


def test_batch_roles():
    with Env(shelters=[shelter()]) as env:
        for role in ("shelter", "service"):
            c = env.client(role)
            expect_error(lambda: batch(c, [request("RO-1")]), -32003)
        assert batch(env.client("admin"), [request("RO-2")])[0][
            "proposal"] is not None


def test_request_list_case_and_order():
    with Env(shelters=[shelter(total=10)]) as env:
        c = env.client("coordinator")
        batch(c, [request("L-1", safety={"case": "K1"}), request("L-2"),
                  request("L-3", safety={"case": "K1"}),
                  request("L-4", safety={"case": "K2"})])
        refs = [r["ref"] for r in listed(c)]
        assert refs == ["L-1", "L-2", "L-3", "L-4"]
        assert [r["ref"] for r in listed(c, order="newest")] == [
            "L-4", "L-3", "L-2", "L-1"]
        assert [r["ref"] for r in listed(c, case="K1")] == ["L-1", "L-3"]
        assert [r["ref"] for r in listed(c, case="K1", order="newest",
                                         limit=1)] == ["L-3"]
        assert [r["ref"] for r in listed(c, case="K1",
                                         status=["waiting"])] == []
        assert [r["ref"] for r in listed(c, case="K1",
                                         status=["proposed"])] == [
            "L-1", "L-3"]
        assert listed(c, case="NONE") == []
        assert [r["ref"] for r in listed(c, order="newest", limit=2,
                                         status=["proposed"])] == [
            "L-4", "L-3"]
        expect_error(lambda: listed(c, order="random"), -32602,
                     "invalid_field", "order")
        expect_error(lambda: listed(c, case="bad case!"), -32602,
                     "invalid_field", "case")
        expect_error(lambda: listed(c, case=5), -32602, None, "case")
