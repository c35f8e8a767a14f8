"""Registrations, report.registrations under small-cell protection, the
audit trail and retention, over real sockets."""

import json
import subprocess

from harness import (DaemonError, Env, RpcError, Skip, expect_error, pool,
                     request, shelter, shelterctl_path)

REG = {"ref": "CM-R-1", "date": "2026-02-01", "kind": "registration",
       "sector": "labour", "person": {"gender": "m", "age": 24,
                                      "nationality": "RO"},
       "referrer": "nla", "region": "rotterdam"}


def reg(ref, **over):
    r = json.loads(json.dumps(REG))
    r["ref"] = ref
    r.update(over)
    return r


def test_create_get_update_list_and_events():
    with Env() as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["registrations"]})
        c = env.client("coordinator")
        out = c.call("registration.create", {"registration": reg("CM-R-1")})
        r = out["registration"]
        assert r["id"].startswith("reg-") and r["version"] == 1
        assert r["person"]["age_band"] == "23+"
        assert set(r) >= {"created_at", "updated_at", "ref", "date", "kind"}
        assert c.call("registration.get", {"id": r["id"]}) == out
        up = c.call("registration.update", {
            "id": r["id"], "if_version": 1,
            "registration": reg("CM-R-1", kind="shelter")})["registration"]
        assert up["version"] == 2 and up["kind"] == "shelter"
        expect_error(lambda: c.call("registration.update", {
            "id": r["id"], "if_version": 1,
            "registration": reg("CM-R-1")}), -32009, "version")
        expect_error(lambda: c.call("registration.update", {
            "id": r["id"], "registration": reg("CM-R-2")}),
            -32602, "invalid_field", "ref")
        expect_error(lambda: c.call("registration.create", {
            "registration": reg("CM-R-1")}), -32602, "invalid_field", "ref")
        c.call("registration.create",
               {"registration": reg("CM-R-0", date="2026-01-15",
                                    kind="advice")})
        lst = c.call("registration.list", {})["registrations"]
        assert [x["ref"] for x in lst] == ["CM-R-0", "CM-R-1"]
        lst = c.call("registration.list",
                     {"from": "2026-02-01", "kind": "shelter"})
        assert [x["ref"] for x in lst["registrations"]] == ["CM-R-1"]
        evs = w.events(1.0)
        assert [e["type"] for e in evs] == [
            "registration.created", "registration.updated",
            "registration.created"], evs
        for e in evs:
            assert e["topic"] == "registrations"
            assert set(e["data"]) == {"registration_id", "kind"}, e
        expect_error(lambda: env.client("shelter").call(
            "session.subscribe", {"topics": ["registrations"]}),
            -32003, "role")


def test_validation_and_roles():
    with Env() as env:
        c = env.client("coordinator")
        bad = [
            (reg("A", person={"gender": "f", "name": "x"}), "unknown_field",
             "person.name"),
            (reg("A", birth_date="2000-01-01"), "unknown_field",
             "birth_date"),
            (reg("A", date="2026-02-30"), "invalid_field", "date"),
            (reg("A", kind="dossier"), "invalid_field", "kind"),
            (reg("A", region="utrecht"), "invalid_field", "region"),
            (reg("A", person={"age": 30, "age_band": "23+"}),
             "invalid_field", "person.age_band"),
            (reg("A", person={"nationality": "ro"}), "invalid_field",
             "person.nationality"),
        ]
        for obj, reason, field in bad:
            expect_error(lambda: c.call("registration.create",
                                        {"registration": obj}),
                         -32602, reason, field)
        no_date = reg("A")
        del no_date["date"]
        expect_error(lambda: c.call("registration.create",
                                    {"registration": no_date}),
                     -32602, "missing_field", "date")
        expect_error(lambda: c.call("registration.create", {
            "registration": reg("A", request_id="req-999")}),
            -32004, "request", "request_id")
        expect_error(lambda: c.call("registration.get", {"id": "reg-9"}),
                     -32004, "registration")
        expect_error(lambda: c.call("registration.list", {"from": "x"}),
                     -32602, "invalid_field", "from")
        expect_error(lambda: c.call("registration.list",
                                    {"from": "2026-02-02",
                                     "to": "2026-02-01"}),
                     -32602, "invalid_field", "to")
        expect_error(lambda: c.call("registration.list", {"kind": "x"}),
                     -32602, "invalid_field", "kind")
        for role in ("shelter", "service"):
            expect_error(lambda: env.client(role).call(
                "registration.create", {"registration": reg("B")}),
                -32003, "role")
        sub = c.call("request.submit", {"request": request("CM-RQ-1")})
        r = c.call("registration.create", {"registration": reg(
            "CM-R-9", request_id=sub["request"]["id"])})["registration"]
        assert r["request_id"] == sub["request"]["id"]


def fill_year(c):
    """45 registrations: labour 30 (RO 22, NL 8), sexual 12, criminal 3."""
    n = 0
    for sector, nat, count in [("labour", "RO", 22), ("labour", "NL", 8),
                               ("sexual", "RO", 12), ("criminal", "NL", 3)]:
        for _ in range(count):
            n += 1
            c.call("registration.create", {"registration": reg(
                "Y-%d" % n, sector=sector,
                person={"gender": "f", "age": 30, "nationality": nat})})


def published(report):
    entries = list(report["cells"])
    for m in report["margins"].values():
        entries += m
    return entries


def test_report_suppresses_small_cells():
    with Env() as env:
        c = env.client("coordinator")
        fill_year(c)
        rep = env.client("service").call("report.registrations", {
            "from": "2026-01-01", "to": "2026-12-31",
            "by": ["sector", "nationality"]})
        assert rep["min_cell"] == 10 and rep["by"] == ["sector",
                                                       "nationality"]
        assert rep["total"] == 45
        for e in published(rep):
            assert e["suppressed"] == (e["count"] is None), e
            if not e["suppressed"]:
                assert e["count"] == 0 or e["count"] >= 10, e
        cells = {(x["key"]["sector"], x["key"]["nationality"]): x
                 for x in rep["cells"]}
        assert cells[("labour", "RO")]["count"] == 22 or \
            cells[("labour", "RO")]["suppressed"]
        assert cells[("labour", "NL")]["suppressed"]     # 8
        assert cells[("criminal", "NL")]["suppressed"]   # 3
        assert cells[("other", "NL")]["count"] == 0      # zero published
        sec = {m["value"]: m for m in rep["margins"]["sector"]}
        assert sec["criminal"]["suppressed"]
        # Not derivable: NL = labour-NL + criminal-NL, both hidden, and
        # criminal = criminal-NL alone: that margin is hidden too.
        assert sec["criminal"]["count"] is None
        one = c.call("report.registrations", {
            "from": "2026-01-01", "to": "2026-12-31", "by": ["kind"]})
        assert one["total"] == 45
        empty = c.call("report.registrations", {
            "from": "2025-01-01", "to": "2025-12-31", "by": ["region"]})
        assert empty["total"] == 0
        for args, reason, field in [
                ({"from": "2026-01-01", "to": "2026-12-31", "by": []},
                 "invalid_field", "by"),
                ({"from": "2026-01-01", "to": "2026-12-31",
                  "by": ["name"]}, "invalid_field", "by.0"),
                ({"from": "2026-01-01", "to": "2026-12-31",
                  "by": ["kind", "kind"]}, "invalid_field", "by.1"),
                ({"to": "2026-12-31", "by": ["kind"]}, "missing_field",
                 "from")]:
            expect_error(lambda: c.call("report.registrations", args),
                         -32602, reason, field)
        expect_error(lambda: env.client("shelter").call(
            "report.registrations", {"from": "2026-01-01",
                                     "to": "2026-12-31", "by": ["kind"]}),
            -32003, "role")


def test_report_of_a_few_shows_no_zero_beside_them():
    # One registration that day, and a month of 40 RO and one XK: a zero
    # beside a hidden count would say what the few have in common (every
    # cell of the day 0 but one: that one is the person). The zeros of a
    # group of fewer than min_cell are hidden with it.
    with Env() as env:
        c = env.client("coordinator")
        c.call("registration.create", {"registration": reg(
            "ONE-1", date="2025-03-10", kind="shelter", sector="sexual",
            person={"gender": "f", "age": 16, "nationality": "NG"},
            referrer="police", region="amsterdam")})
        s = env.client("service")
        for by in [["gender", "age_band", "nationality"],
                   ["sector", "referrer", "region"], ["kind", "minor_dutch"]]:
            rep = s.call("report.registrations", {
                "from": "2025-03-10", "to": "2025-03-10", "by": by})
            assert rep["total"] is None
            shown = [e for e in published(rep) if not e["suppressed"]]
            assert shown == [], (by, shown)
        for n, nat, sex, age in [(40, "RO", "m", 30), (1, "XK", "f", 16)]:
            for i in range(n):
                c.call("registration.create", {"registration": reg(
                    "M-%s-%d" % (nat, i), date="2025-02-10", person={
                        "gender": sex, "age": age, "nationality": nat})})
        rep = s.call("report.registrations", {
            "from": "2025-02-01", "to": "2025-02-28",
            "by": ["nationality", "gender", "age_band"]})
        xk = [e for e in rep["cells"] if e["key"]["nationality"] == "XK"]
        assert xk and all(e["suppressed"] for e in xk), xk
        ro = {(e["key"]["gender"], e["key"]["age_band"]): e["count"]
              for e in rep["cells"] if e["key"]["nationality"] == "RO"}
        # A zero of groups of 40 and 41 stays; one beside the one woman or
        # the one minor does not.
        assert ro[("m", "18-22")] == 0
        assert ro[("f", "23+")] is None and ro[("m", "minor")] is None


def test_shelterctl_report_table_and_csv():
    with Env() as env:
        c = env.client("coordinator")
        fill_year(c)
        base = [shelterctl_path(), "-s", env.daemon.unix_path]
        envv = {"SHELTERCTL_TOKEN": env.daemon.tokens["service"],
                "PATH": "/usr/bin:/bin"}
        out = subprocess.run(base + [
            "report", "registrations", "--from", "2026-01-01", "--to",
            "2026-12-31", "--by", "sector,nationality"],
            capture_output=True, text=True, env=envv, timeout=10)
        assert out.returncode == 0, out.stderr
        assert "<10" in out.stdout and "suppressed" in out.stdout, out.stdout
        assert " 3 " not in out.stdout and " 8 " not in out.stdout
        csv = subprocess.run(base + [
            "report", "registrations", "--from", "2026-01-01", "--to",
            "2026-12-31", "--by", "sector", "--csv"],
            capture_output=True, text=True, env=envv, timeout=10)
        assert csv.returncode == 0, csv.stderr
        lines = csv.stdout.splitlines()
        assert lines[0] == "sector,count,suppressed", lines
        assert "criminal,,true" in lines, lines
        assert "total,45,false" in lines, lines


def test_audit_trail_has_every_change_and_no_personal_data():
    with Env() as env:
        c = env.client("coordinator")
        r = c.call("registration.create",
                   {"registration": reg("CM-A-1")})["registration"]
        sub = c.call("request.submit", {"request": request("CM-A-2")})
        c.call("request.cancel", {"id": sub["request"]["id"],
                                  "reason": "moved abroad with her sister"})
        expect_error(lambda: c.call("registration.update", {
            "id": r["id"], "if_version": 7,
            "registration": reg("CM-A-1")}), -32009, "version")
        a = env.client("admin")
        ent = a.call("audit.list", {})["entries"]
        methods = [e["method"] for e in ent]
        assert methods[:4] == ["registration.update", "request.cancel",
                               "request.submit", "registration.create"], ent
        assert ent[0]["outcome"] == "version" and ent[1]["outcome"] == "ok"
        assert ent[0]["who"] == "token=t-coordinator"
        assert r["id"] in ent[3]["ids"]
        assert sub["request"]["id"] in ent[1]["ids"]
        text = json.dumps(ent)
        for secret in ("sister", "CM-A-1", "CM-A-2", "RO", "rotterdam"):
            assert secret not in text, text
        only = a.call("audit.list", {"method": "request.submit"})["entries"]
        assert [e["method"] for e in only] == ["request.submit"]
        assert a.call("audit.list", {"who": "uid=12345"})["entries"] == []
        assert a.call("audit.list", {"limit": 1})["entries"] == ent[:1]
        expect_error(lambda: c.call("audit.list", {}), -32003, "role")
        expect_error(lambda: a.call("audit.list", {"from": "yesterday"}),
                     -32602, "invalid_field", "from")


def test_audit_has_one_entry_per_call_whoever_writes_it():
    # A change and a refusal by the store, a refusal before the store, an
    # intake and a placement's steps: each call once, newest first.
    with Env() as env:
        a = env.client("admin")
        a.call("shelter.put", {"shelter": shelter("t-aud", pools=[
            pool("women", total=3)])})
        v = a.call("shelter.capacity", {"id": "t-aud", "pools": {
            "women": {"occupied": 1}}})["shelter"]["version"]
        expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-aud", "if_version": v - 1,
            "pools": {"women": {"occupied": 0}}}), -32009, "version")
        expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-aud", "pools": {"women": {"occupied": -1}}}),
            -32602, "invalid_field", "pools.women.occupied")
        a.call("shelter.intake", {"id": "t-aud", "open": True})
        sub = a.call("request.submit", {"request": request("CM-AU-1")})
        rid, pid = sub["request"]["id"], sub["proposal"]["id"]
        a.call("proposal.accept", {"id": pid})
        a.call("placement.arrived", {"request_id": rid})
        expect_error(lambda: a.call("placement.arrived",
                                    {"request_id": rid}), -32009, "state")
        a.call("placement.departed", {"request_id": rid})
        a.call("retention.sweep")
        expect_error(lambda: a.call("shelter.remove", {"id": "t-none"}),
                     -32004, "shelter")
        a.call("shelter.remove", {"id": "t-aud"})
        ent = a.call("audit.list", {})["entries"]
        got = [(e["method"], e["ids"], e["outcome"]) for e in ent]
        assert got == [
            ("shelter.remove", ["t-aud"], "ok"),
            ("shelter.remove", ["t-none"], "shelter"),
            ("retention.sweep", [], "ok"),
            ("placement.departed", [rid], "ok"),
            ("placement.arrived", [rid], "state"),
            ("placement.arrived", [rid], "ok"),
            ("proposal.accept", [pid, rid], "ok"),
            ("request.submit", [rid, pid], "ok"),
            ("shelter.intake", ["t-aud"], "ok"),
            ("shelter.capacity", ["t-aud"], "invalid_field"),
            ("shelter.capacity", ["t-aud"], "version"),
            ("shelter.capacity", ["t-aud"], "ok"),
            ("shelter.put", ["t-aud"], "ok")], got
        assert {e["who"] for e in ent} == {"token=t-admin"}, ent


def clock_env():
    """An Env with the test clock, or Skip when this build has none."""
    try:
        env = Env(extra={"debug": {"clock": True},
                         "retention": {"requests_closed_days": 30,
                                       "registrations_years": 1,
                                       "audit_days": 400}})
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
            raise Skip("debug.advance answers -32601: no test clock")
        raise
    return env


def test_retention_with_test_clock():
    env = clock_env()
    try:
        a = env.client("admin")
        today = a.call("session.ping")["time"][:10]
        r = a.call("registration.create", {"registration": reg(
            "CM-T-1", date=today)})["registration"]
        sub = a.call("request.submit", {"request": request(
            "CM-T-2", person={"gender": "f", "age": 30,
                              "languages": ["ro"]},
            safety={"case": "NET-1"})})
        rid = sub["request"]["id"]
        a.call("request.cancel", {"id": rid, "reason": "x"})
        assert a.call("retention.sweep")["requests"] == 0

        def events_naming(text):
            raw = env.redis.cmd("XRANGE", "shelterd:events", "-", "+")
            return [e for e in raw if text in repr(e)]
        assert events_naming("CM-T-2"), "the submit's events name its ref"
        in_case = a.call("request.list", {"case": "NET-1", "status": []})
        assert [x["id"] for x in in_case["requests"]] == [rid], in_case
        # debug.advance runs the retention sweep at the new time, as the
        # hourly timer would (PROTOCOL.md "Test clock": retention).
        a.call("debug.advance", {"seconds": 31 * 86400})
        assert "ref" not in a.call("request.get", {"id": rid})["request"]
        # Its events went with it: neither the stream nor a replay from
        # the start names the ref any more.
        assert events_naming("CM-T-2") == []
        w = env.client("admin")
        w.call("session.subscribe", {"topics": ["requests", "proposals"],
                                     "since": "0-0"})
        assert all("CM-T-2" not in repr(e) for e in w.events(0.5))
        assert a.call("retention.sweep")["requests"] == 0
        # Reduced: nothing ties it to its case any more.
        in_case = a.call("request.list", {"case": "NET-1", "status": []})
        assert in_case["requests"] == [], in_case
        got = a.call("request.get", {"id": rid})["request"]
        assert "ref" not in got and "safety" not in got, got
        assert got["person"] == {"age_band": "23+"}, got
        assert got["status"] == "cancelled"
        before = a.call("report.registrations", {
            "from": today, "to": today, "by": ["kind"]})
        entries = a.call("audit.list", {"limit": 1000})["entries"]
        a.call("debug.advance", {"seconds": 370 * 86400})
        swept = a.call("retention.sweep")
        assert swept == {"requests": 0, "registrations": 0, "audit": 0}, swept
        # The old entries went with the advance; the advance's own stays.
        left = a.call("audit.list", {"limit": 1000})["entries"]
        assert len(left) < len(entries), (len(left), len(entries))
        g = a.call("registration.get", {"id": r["id"]})["registration"]
        assert "ref" not in g and "age" not in g["person"], g
        assert g["person"]["age_band"] == "23+"
        assert a.call("report.registrations", {
            "from": today, "to": today, "by": ["kind"]}) == before
    finally:
        env.__exit__(None, None, None)


def test_audit_names_ids_never_refs_and_every_id_a_batch_made():
    with Env(shelters=[shelter("t-aub", total=40)]) as env:
        a = env.client("admin")
        one = a.call("request.submit", {"request": request("cm-au-ref-2")})
        rid = one["request"]["id"]
        # A ref in the id param: the entry names the request's id only.
        a.call("request.cancel", {"id": "cm-au-ref-2", "reason": "x"})
        # An unknown id-shaped text is not an id the store made.
        expect_error(lambda: a.call("request.get", {"id": "cm-nobody-9"}),
                     -32004, "request")
        out = a.call("request.submit_batch", {"requests": [
            request("CM-AUB-%d" % i) for i in range(12)]})
        made = []
        for r in out["results"]:
            made += [r["request"]["id"], r["proposal"]["id"]]
        ent = a.call("audit.list", {})["entries"]
        by_method = {}
        for e in ent:
            by_method.setdefault(e["method"], []).append(e["ids"])
        assert by_method["request.cancel"] == [[rid]], by_method
        assert sorted(by_method["request.submit_batch"][0]) == sorted(made)
        for e in ent:
            for i in e["ids"]:
                assert "cm-" not in i, e


def test_calls_refused_before_they_begin_are_audited_for_known_callers():
    with Env(shelters=[shelter("t-ref", total=2)]) as env:
        c = env.client("coordinator")
        a = env.client("admin")
        expect_error(lambda: c.call("shelter.remove", {"id": "t-ref"}),
                     -32003, "role")
        expect_error(lambda: c.call("request.submit", {
            "request": request("CM-RF-1"), "colour": "x"}),
            -32602, "unknown_field", "colour")
        # Not authenticated: logged and counted, never audited.
        anon = env.client("anon")
        expect_error(lambda: anon.call("shelter.remove", {"id": "t-ref"}),
                     -32001, "auth_required")
        got = [(e["method"], e["who"], e["ids"], e["outcome"])
               for e in a.call("audit.list", {})["entries"]]
        assert got == [
            ("request.submit", "token=t-coordinator", [], "unknown_field"),
            ("shelter.remove", "token=t-coordinator", ["t-ref"], "role"),
        ], got
