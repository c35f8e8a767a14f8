"""report.placements under small-cell protection, a request that names its
registration, and data.errors for registrations, over real sockets."""

import subprocess

from harness import (DaemonError, Env, RpcError, Skip, expect_error, request,
                     shelter, shelterctl_path)

FIGURES = ("requests", "placed", "placed_24h", "cancelled", "long_stays",
           "median_wait_h", "p90_wait_h", "median_stay_d")


def clock_env(**extra):
    """An Env with the test clock, or Skip when this build has none."""
    cfg = {"debug": {"clock": True}, "matching": {"hold_ttl_s": 86400},
           "retention": {"requests_closed_days": 30}}
    cfg.update(extra)
    try:
        env = Env(extra=cfg, shelters=[shelter("big", total=40)])
        env.__enter__()
    except DaemonError as e:
        if "debug" in str(e) or "debug" in getattr(e, "log", ""):
            raise Skip("no test clock in this build (debug.clock)")
        raise
    try:
        env.client("admin").call("debug.advance", {"seconds": 1})
    except RpcError as e:
        env.__exit__(None, None, None)
        if e.code == -32601:
            raise Skip("no test clock in this build (debug.advance)")
        raise
    return env


def fill(a):
    """12 police requests placed after 2 h, resident 3 days, departed;
    3 nla requests cancelled. Returns the submission date."""
    day = a.call("session.ping")["time"][:10]
    pids = []
    for i in range(12):
        sub = a.call("request.submit", {"request": request(
            "P-%d" % i, referrer="police")})
        pids.append((sub["request"]["id"], sub["proposal"]["id"]))
    nla = [a.call("request.submit", {"request": request(
        "N-%d" % i, referrer="nla")})["request"]["id"] for i in range(3)]
    for rid in nla:
        a.call("request.cancel", {"id": rid, "reason": "x"})
    a.call("debug.advance", {"seconds": 7200})
    for rid, pid in pids:
        a.call("proposal.accept", {"id": pid})
        a.call("placement.arrived", {"request_id": rid})
    a.call("debug.advance", {"seconds": 3 * 86400})
    for rid, _ in pids:
        a.call("placement.departed", {"request_id": rid})
    return day


def entries(rep):
    out = list(rep["cells"]) + [rep["total"]]
    for m in rep["margins"].values():
        out += m
    return out


def test_report_placements_figures_and_suppression():
    env = clock_env()
    try:
        a = env.client("admin")
        day = fill(a)
        rep = env.client("service").call("report.placements", {
            "from": day, "to": day, "by": ["referrer"]})
        assert rep["by"] == ["referrer"] and rep["min_cell"] == 10
        cells = {c["key"]["referrer"]: c for c in rep["cells"]}
        nla = cells["nla"]
        # A cell of 3 requests publishes none of its figures.
        assert nla["suppressed"] is True, nla
        for f in FIGURES:
            assert nla[f] is None, (f, nla)
        # ... and cannot be derived: the total or the police cell hides.
        pol = cells["police"]
        assert rep["total"]["requests"] is None or pol["requests"] is None
        for e in entries(rep):
            if not e["suppressed"]:
                for f in FIGURES[:5]:
                    assert e[f] is None or e[f] == 0 or e[f] >= 10, (f, e)
        assert cells["kmar"]["requests"] == 0
        if not pol["suppressed"]:
            assert pol["requests"] == 12 and pol["placed"] == 12
            assert pol["placed_24h"] == 12 and pol["cancelled"] == 0
            assert pol["median_wait_h"] == 2.0 and pol["p90_wait_h"] == 2.0
            assert pol["median_stay_d"] == 3.0
        # By urgency every request is "days": 15, figures of the group.
        u = env.client("coordinator").call("report.placements", {
            "from": day, "to": day, "by": ["urgency"]})
        days = [c for c in u["cells"] if c["key"]["urgency"] == "days"][0]
        assert days["requests"] == 15 and days["placed"] == 12, days
        assert days["cancelled"] is None  # 3: below min_cell
        assert days["median_wait_h"] == 2.0 and days["median_stay_d"] == 3.0
        # Retention reduces the closed requests; the figures stay.
        a.call("debug.advance", {"seconds": 31 * 86400})
        assert a.call("retention.sweep")["requests"] == 0  # the advance did
        assert all("ref" not in r for r in a.call("request.list", {
            "status": [], "limit": 500})["requests"])
        assert a.call("report.placements", {
            "from": day, "to": day, "by": ["urgency"]}) == u
        assert a.call("report.placements", {
            "from": day, "to": day, "by": ["referrer"]}) == rep
        # Outside the period: nothing.
        none = a.call("report.placements", {
            "from": "2020-01-01", "to": "2020-12-31", "by": ["program"]})
        assert none["total"]["requests"] == 0
        for args, reason, field in [
                ({"from": day, "to": day, "by": []}, "invalid_field", "by"),
                ({"from": day, "to": day, "by": ["sector"]},
                 "invalid_field", "by.0"),
                ({"from": day, "to": day, "by": ["program", "program"]},
                 "invalid_field", "by.1"),
                ({"from": day, "by": ["program"]}, "missing_field", "to")]:
            expect_error(lambda: a.call("report.placements", args),
                         -32602, reason, field)
        expect_error(lambda: env.client("shelter").call(
            "report.placements", {"from": day, "to": day,
                                  "by": ["program"]}), -32003, "role")

        base = [shelterctl_path(), "-s", env.daemon.unix_path]
        envv = {"SHELTERCTL_TOKEN": env.daemon.tokens["service"],
                "PATH": "/usr/bin:/bin"}
        out = subprocess.run(base + [
            "report", "placements", "--from", day, "--to", day, "--by",
            "urgency,referrer"], capture_output=True, text=True, env=envv,
            timeout=10)
        assert out.returncode == 0, out.stderr
        assert "MEDIAN_WAIT_H" in out.stdout and "<10" in out.stdout
        assert " 3 " not in out.stdout, out.stdout
        csv = subprocess.run(base + [
            "report", "placements", "--from", day, "--to", day, "--by",
            "referrer", "--csv"], capture_output=True, text=True, env=envv,
            timeout=10)
        assert csv.returncode == 0, csv.stderr
        lines = csv.stdout.splitlines()
        assert lines[0] == "referrer," + ",".join(FIGURES) + ",suppressed"
        assert "nla,,,,,,,,,true" in lines, lines
    finally:
        env.__exit__(None, None, None)


def test_report_of_one_request_shows_no_zero_beside_it():
    # One request that day: a zero in every cell but its own would say
    # its program, urgency and referrer. Its zeros are hidden with it.
    with Env(shelters=[shelter("big", total=5)]) as env:
        a = env.client("admin")
        day = a.call("session.ping")["time"][:10]
        a.call("request.submit", {"request": request(
            "SOLO-1", program="cosm", urgency="immediate", referrer="kmar")})
        rep = env.client("service").call("report.placements", {
            "from": day, "to": day, "by": ["program", "urgency", "referrer"]})
        assert rep["total"]["requests"] is None
        shown = [e for e in entries(rep) if not e["suppressed"]]
        assert shown == [], shown
        for e in entries(rep):
            assert all(e[f] is None for f in FIGURES), e


def test_request_names_its_registration():
    with Env() as env:
        c = env.client("coordinator")
        r = c.call("registration.create", {"registration": {
            "ref": "CM-L-1", "date": "2026-02-01",
            "kind": "shelter"}})["registration"]
        sub = c.call("request.submit", {"request": request(
            "L-1", registration=r["id"])})
        assert sub["request"]["registration"] == r["id"]
        got = c.call("request.get", {"id": sub["request"]["id"]})
        assert got["request"]["registration"] == r["id"]
        expect_error(lambda: c.call("request.submit", {"request": request(
            "L-2", registration="reg-999")}), -32004, "registration",
            "registration")
        expect_error(lambda: c.call("request.get", {"id": "L-2"}), -32004)
        expect_error(lambda: c.call("request.submit", {"request": request(
            "L-3", registration="CM-L-1")}), -32602, "invalid_field",
            "registration")
        expect_error(lambda: c.call("request.submit_batch", {"requests": [
            request("L-4"), request("L-5", registration="reg-77")]}),
            -32004, "registration", "requests.1.registration")
        expect_error(lambda: c.call("request.get", {"id": "L-4"}), -32004)


def test_registration_errors_lists_every_problem():
    with Env() as env:
        c = env.client("coordinator")
        e = expect_error(lambda: c.call("registration.create", {
            "registration": {"ref": "CM-E-1", "date": "2026-02-30",
                             "kind": "dossier", "name": "x",
                             "person": {"age": 200, "nationality": "ro"}}}),
            -32602)
        errs = e.data["errors"]
        assert errs[0]["field"] == e.field, (errs, e.field)
        assert {x["field"] for x in errs} == {
            "name", "date", "kind", "person.age", "person.nationality"}, errs
        for x in errs:
            assert set(x) == {"field", "reason", "message"}
        one = expect_error(lambda: c.call("registration.create", {
            "registration": {"ref": "CM-E-2", "kind": "advice"}}),
            -32602, "missing_field", "date")
        assert [x["field"] for x in one.data["errors"]] == ["date"]
