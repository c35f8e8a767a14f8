"""Validation errors as a client sees them: every problem of a batch
listed, personal identifiers named as such wherever they are sent, empty
keys naming their object, messages naming the field once, and params
checked before state."""

from harness import Env, expect_error, request, shelter

REG = {"ref": "CM-V-1", "date": "2026-02-01", "kind": "registration",
       "sector": "labour", "person": {"gender": "m", "age": 24,
                                      "nationality": "RO"},
       "referrer": "nla", "region": "rotterdam"}


def test_batch_lists_every_problem_of_every_request():
    with Env(shelters=[shelter("t-val", total=5)]) as env:
        c = env.client("coordinator")
        bad_age = request("VB-0", age=121)
        personal = request("VB-2")
        personal["email"] = "someone@example.org"
        e = expect_error(lambda: c.call("request.submit_batch", {
            "requests": [bad_age, request("VB-1"), personal]}),
            -32602, "invalid_field", "requests.0.person.age")
        errs = e.data.get("errors")
        assert isinstance(errs, list), e.data
        fields = [x["field"] for x in errs]
        assert fields == ["requests.0.person.age", "requests.2.email"], errs
        assert errs[0]["reason"] == e.reason and \
            errs[0]["message"] == e.message, errs
        assert errs[1]["reason"] == "unknown_field", errs
        assert "does not store email addresses" in errs[1]["message"], errs
        assert errs[1]["message"].startswith("requests.2.email: "), errs
        # Nothing of the batch was stored.
        assert c.call("request.list", {})["requests"] == []


def test_personal_identifiers_are_named_in_params_pools_and_departures():
    with Env(shelters=[shelter("t-val", total=5)]) as env:
        c = env.client("coordinator")
        a = env.client("admin")
        e = expect_error(lambda: c.call("request.submit", {
            "request": request("VP-1"), "email": "x@example.org"}),
            -32602, "unknown_field", "email")
        assert "does not store email addresses" in e.message, e.message
        e = expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-val", "pools": {"main": {"total": 5, "name": "x"}}}),
            -32602, "unknown_field", "pools.main.name")
        assert "does not store names" in e.message, e.message
        e = expect_error(lambda: a.call("shelter.departures", {
            "id": "t-val", "pools": {"main": [
                {"date": "2026-12-24", "dob": "2000-01-01"}]}}),
            -32602, "unknown_field", "pools.main.0.dob")
        assert "does not store birth dates" in e.message, e.message
        # A plain unknown key stays a plain unknown field.
        e = expect_error(lambda: c.call("request.submit", {
            "request": request("VP-2"), "colour": "blue"}),
            -32602, "unknown_field", "colour")
        assert "does not store" not in e.message, e.message


def test_empty_key_at_the_top_names_the_object():
    with Env(shelters=[shelter("t-val", total=5)]) as env:
        c = env.client("coordinator")
        a = env.client("admin")
        r = request("VE-1")
        r[""] = 1
        e = expect_error(lambda: c.call("request.submit", {"request": r}),
                         -32602, "unknown_field", "request.")
        assert e.data["errors"][0]["field"] == "request.", e.data
        assert "empty key" in e.message, e.message
        expect_error(lambda: c.call("match.preview", {"request": r}),
                     -32602, "unknown_field", "request.")
        expect_error(lambda: c.call("request.submit_batch", {
            "requests": [request("VE-2"), r]}),
            -32602, "unknown_field", "requests.1.")
        s = shelter("t-val2", total=3)
        s[""] = "x"
        expect_error(lambda: a.call("shelter.put", {"shelter": s}),
                     -32602, "unknown_field", "shelter.")
        g = dict(REG)
        g[""] = 0
        expect_error(lambda: c.call("registration.create",
                                    {"registration": g}),
                     -32602, "unknown_field", "registration.")
        # Deeper in, the enclosing object is named as before.
        r = request("VE-3", person={"gender": "f", "age": 30, "": 1})
        expect_error(lambda: c.call("request.submit", {"request": r}),
                     -32602, "unknown_field", "person.")
        # So in a map of pools by name, and nothing is changed.
        before = a.call("shelter.get", {"id": "t-val"})["shelter"]
        expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-val", "pools": {"": {"total": 1}}}),
            -32602, "unknown_field", "pools.")
        expect_error(lambda: a.call("shelter.departures", {
            "id": "t-val", "pools": {"": [{"date": "2030-01-01"}]}}),
            -32602, "unknown_field", "pools.")
        after = a.call("shelter.get", {"id": "t-val"})["shelter"]
        assert after["version"] == before["version"], (before, after)


def test_messages_name_the_field_once():
    with Env() as env:
        c = env.client("coordinator")
        a = env.client("admin")
        cases = [
            (c, "registration.list", {"from": "2026-13-01"}, "from"),
            (c, "registration.list", {"from": "2026-02-02",
                                      "to": "2026-02-01"}, "to"),
            (c, "registration.list", {"kind": "nope"}, "kind"),
            (c, "registration.list", {"limit": 0}, "limit"),
            (c, "report.registrations", {"from": "2026-01-01",
                                         "to": "2026-02-01",
                                         "by": ["nope"]}, "by.0"),
            (c, "report.registrations", {"from": "2026-01-01",
                                         "to": "2026-02-01",
                                         "by": ["sector", "sector"]},
             "by.1"),
            (c, "report.registrations", {"to": "2026-02-01",
                                         "by": ["sector"]}, "from"),
            (a, "audit.list", {"from": "yesterday"}, "from"),
            (a, "audit.list", {"limit": 5000}, "limit"),
            (c, "session.subscribe", {"topics": ["capacity"], "": 1},
             "params."),
        ]
        for cl, method, params, field in cases:
            e = expect_error(lambda: cl.call(method, params), -32602,
                             None, field)
            assert e.message.startswith(field + ": "), (method, e.message)
            rest = e.message[len(field) + 2:]
            assert not rest.startswith(field + ":"), (method, e.message)
            assert rest.strip(), (method, e.message)


def test_capacity_checks_params_before_the_version():
    with Env(shelters=[shelter("t-cap", total=5)]) as env:
        a = env.client("admin")
        v = a.call("shelter.get", {"id": "t-cap"})["shelter"]["version"]
        stale = v + 7
        expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-cap", "if_version": stale,
            "pools": {"nope": {"total": 1}}}),
            -32602, "invalid_field", "pools.nope")
        expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-cap", "if_version": stale,
            "pools": {"main": {"total": 2, "occupied": 3}}}),
            -32602, "invalid_field", "pools.main.occupied")
        # With valid params the stale version is what answers, and
        # nothing was written by the refused calls.
        expect_error(lambda: a.call("shelter.capacity", {
            "id": "t-cap", "if_version": stale,
            "pools": {"main": {"total": 4}}}), -32009, "version")
        after = a.call("shelter.get", {"id": "t-cap"})["shelter"]
        assert after["version"] == v, after
        assert after["pools"][0]["total"] == 5, after
