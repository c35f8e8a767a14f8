"""The shelter table after a restart: loaded in the row form (the packed
static part and the live fields, docs/store.md), or from the JSON of a
shelter stored before the packed form existed, it matches as before."""

import datetime

from harness import Env, pool, request, shelter, wait_until

CLOCK = {"debug": {"clock": True}}
HOUR = 3600
DAY = 86400
P = "shelterd:"


def day(now_iso, plus_days):
    d = datetime.date.fromisoformat(now_iso[:10])
    return (d + datetime.timedelta(days=plus_days)).isoformat()


def register():
    """Shelters that differ in every field matching reads."""
    out = []
    a = shelter("t-load-a", program="cosm", municipality="Rotterdam", pools=[
        pool("women", genders=["f"], children_max=2, boys_max_age=12,
             total=6, occupied=2),
        pool("men", genders=["m"], min_age=21, max_age=60, total=3),
        pool("fam", genders=["f", "m", "x"], children_max=4,
             boys_max_age=8, total=2, occupied=1)])
    a.update(care=["trauma", "pregnancy"], languages=["nl", "en", "ro"],
             security="secret", name="A: 12 \"huis\"\nnieuw",
             organisation="Zorg : een")
    out.append(a)
    b = shelter("t-load-b", program="omm", municipality="Zwolle", pools=[
        pool("main", genders=["f", "x"], total=4, occupied=1)])
    b.update(care=["psychiatric", "addiction"], languages=["en"],
             security="standard", intake={"open": True, "always": False})
    out.append(b)
    c = shelter("t-load-c", municipality="Groningen", total=5)
    c.update(care=[], languages=[], security="protected")
    c["location"] = {"lat": 53.2193835, "lon": 6.5665018}
    out.append(c)
    d = shelter("t-load-d", municipality="Utrecht", pools=[
        pool("a", genders=["f"], total=2, occupied=2),
        pool("b", genders=["m", "x"], children_max=1, total=1)])
    d.update(languages=["ar", "en", "uk"], care=["medical", "wheelchair"])
    out.append(d)
    e = shelter("t-load-e", municipality="Amsterdam", total=3)
    out.append(e)
    f = shelter("t-load-f", program="crisis", municipality="Enschede",
                total=8)
    f.update(care=["trauma", "intellectual_disability"])
    out.append(f)
    return out


def requests():
    return [
        request("TL-1"),
        request("TL-2", gender="m", age=25, person={
            "gender": "m", "age": 25, "languages": ["ro", "ar"]}),
        request("TL-3", children=[{"age": 4, "gender": "m"},
                                  {"age": 10, "gender": "m"}]),
        request("TL-3B", children=[{"age": 13, "gender": "m"}]),
        request("TL-4", needs=["psychiatric"], program="omm"),
        request("TL-5", needs=["pregnancy"], prefers=["trauma"],
                safety={"min_distance_km": 40, "min_security": "secret"},
                exploitation={"sector": "labour",
                              "location": {"municipality": "Utrecht"}}),
        request("TL-6", gender="x", preferred_location={
            "municipality": "Zwolle"}),
        request("TL-7", needs=["wheelchair"], person={
            "gender": "m", "age": 40, "languages": ["uk"]}),
        request("TL-8", gender="m", age=70),
        request("TL-9", gender="m", age=19),
    ]


def previews(c):
    return [c.call("match.preview", {"request": r}) for r in requests()]


def build(env):
    """Put the register, then give it live state of every kind: held and
    expected places, intake closed, planned departures, departures that
    passed unconfirmed, stale and fresh reports."""
    a = env.client("admin")
    for s in register():
        a.call("shelter.put", {"shelter": s})
    today = a.call("session.ping")["time"]
    a.call("shelter.departures", {"id": "t-load-d", "pools": {
        "a": [{"date": day(today, 1)}, {"date": day(today, 4), "count": 2}]}})
    a.call("shelter.departures", {"id": "t-load-a", "pools": {
        "women": [{"date": day(today, 3)}], "men": [{"date": day(today, 6)}]}})
    # Two days and more: every report stale, t-load-d's first date passed
    # unconfirmed; then fresh reports for some, and a heartbeat of
    # t-load-d: fresh by age, stale by its unconfirmed departure.
    a.call("debug.advance", {"seconds": 2 * DAY + 2 * HOUR})
    a.call("shelter.capacity", {"id": "t-load-c",
                                "pools": {"main": {"occupied": 1}}})
    a.call("shelter.capacity", {"id": "t-load-b",
                                "pools": {"main": {"total": 5}}})
    a.call("shelter.capacity", {"id": "t-load-d", "pools": {}})
    a.call("shelter.intake", {"id": "t-load-e", "open": False,
                              "reason": "renovation"})
    co = env.client("coordinator")
    held = co.call("request.submit", {"request": request("TL-HELD")})
    assert held["proposal"] is not None, held
    placed = co.call("request.submit", {"request": request(
        "TL-PLACED", gender="m", age=30)})
    co.call("proposal.accept", {"id": placed["proposal"]["id"]})
    d = a.call("shelter.get", {"id": "t-load-d"})["shelter"]
    assert d["departures_unconfirmed"], d
    assert d["freshness"] == "stale" and d["report_age_s"] < 60, d


def assert_same_after_restart(env, before):
    env.daemon.restart()
    c = env.client("coordinator")
    after = previews(c)
    for b, x, r in zip(before, after, requests()):
        assert x == b, (r["ref"], b, x)
    # request.submit takes what preview ranked first.
    sub = c.call("request.submit", {"request": requests()[0]})
    top = before[0]["candidates"][0]
    assert (sub["proposal"]["shelter_id"], sub["proposal"]["pool"]) == (
        top["shelter_id"], top["pool"]), (sub, top)
    # Only t-load-d offers wheelchair care: stale by its departure that
    # passed unconfirmed, not by its report's age.
    sub = c.call("request.submit", {"request": requests()[7]})
    assert sub["proposal"]["shelter_id"] == "t-load-d", sub
    assert sub["proposal"]["stale"] is True, sub


def test_restart_matches_as_before_with_every_field_matching_reads():
    with Env(extra=CLOCK) as env:
        build(env)
        # Every shelter stored its packed form.
        for s in register():
            tab = env.redis.cmd("HGET", P + "shelter:" + s["id"], "tab")
            assert tab is not None and tab.startswith("s1 " + s["id"] +
                                                      " "), tab
        before = previews(env.client("coordinator"))
        ranked = {x["shelter_id"] for p in before for x in p["candidates"]}
        assert len(ranked) >= 4, before
        assert_same_after_restart(env, before)


def test_shelters_stored_without_the_packed_form_still_load():
    # A store written by a version before the packed form (no tab), or
    # with a tab of another form: those shelters come as JSON, and the
    # daemon writes their packed form once the table is in.
    with Env(extra=CLOCK) as env:
        build(env)
        a = env.client("admin")
        ids = [s["id"] for s in register()]
        tabs = {sid: env.redis.cmd("HGET", P + "shelter:" + sid, "tab")
                for sid in ids}
        versions = {sid: a.call("shelter.get", {"id": sid})["shelter"][
            "version"] for sid in ids}
        for sid in ("t-load-a", "t-load-d"):
            env.redis.cmd("HDEL", P + "shelter:" + sid, "tab")
        env.redis.cmd("HSET", P + "shelter:t-load-b", "tab", "s0 old form")
        before = previews(env.client("coordinator"))
        assert_same_after_restart(env, before)

        def written():
            return all(env.redis.cmd("HGET", P + "shelter:" + sid, "tab") ==
                       tabs[sid] for sid in ids)
        # The same text a put writes; no new version.
        wait_until(written, what="the packed forms written")
        a = env.client("admin")
        for sid in ids:
            assert a.call("shelter.get", {"id": sid})["shelter"][
                "version"] == versions[sid], sid
        # Loaded in the row form now, matching as before.
        before = previews(env.client("coordinator"))
        env.daemon.restart()
        assert previews(env.client("coordinator")) == before
        # A put of an unchanged shelter writes a missing packed form
        # without a change: no new version.
        env.redis.cmd("HDEL", P + "shelter:t-load-e", "tab")
        a = env.client("admin")
        a.call("shelter.put", {"shelter": register()[4]})
        assert env.redis.cmd("HGET", P + "shelter:t-load-e", "tab") == \
            tabs["t-load-e"]
        assert a.call("shelter.get", {"id": "t-load-e"})["shelter"][
            "version"] == versions["t-load-e"]
