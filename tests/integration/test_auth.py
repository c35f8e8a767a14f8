"""Sessions and roles: session.auth, the role table, own-shelter rules and
Unix peer credentials."""

import json
import os

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, Client, Env,
                     RpcError, expect_error, request, sha256_hex,
                     shelter, wait_until)

SEED = [shelter(DEFAULT_SHELTER_ID, total=4),
        shelter(OTHER_SHELTER_ID, total=4, municipality="Zwolle")]

# method -> (roles allowed, params that pass the param check for "t-shelter-a")
ROLE_TABLE = {
    "shelter.put": ({"admin"}, {"shelter": shelter(DEFAULT_SHELTER_ID,
                                                   total=4)}),
    "shelter.remove": ({"admin"}, {"id": "t-nonexistent"}),
    "shelter.get": ({"admin", "coordinator", "shelter", "service"},
                    {"id": DEFAULT_SHELTER_ID}),
    "shelter.list": ({"admin", "coordinator", "shelter", "service"}, {}),
    "shelter.capacity": ({"admin", "shelter"},
                         {"id": DEFAULT_SHELTER_ID,
                          "pools": {"main": {"occupied": 0}}}),
    "shelter.intake": ({"admin", "shelter"},
                       {"id": DEFAULT_SHELTER_ID, "open": True}),
    "request.submit": ({"admin", "coordinator"},
                       {"request": request("AUTH-1")}),
    "request.cancel": ({"admin", "coordinator"},
                       {"id": "req-999999", "reason": "test"}),
    "request.get": ({"admin", "coordinator"}, {"id": "req-999999"}),
    "request.list": ({"admin", "coordinator"}, {}),
    "match.preview": ({"admin", "coordinator", "service"},
                      {"request": request("AUTH-2")}),
    "proposal.accept": ({"admin", "coordinator"}, {"id": "prop-999999"}),
    "proposal.reject": ({"admin", "coordinator"},
                        {"id": "prop-999999", "reason": "test"}),
    "placement.arrived": ({"admin", "shelter"},
                          {"request_id": "req-999999"}),
    "stats.get": ({"admin", "coordinator", "service"}, {}),
    "session.ping": ({"admin", "coordinator", "shelter", "service"}, {}),
    "session.unsubscribe": ({"admin", "coordinator", "shelter", "service"},
                            {"topics": ["capacity"]}),
}


def test_tcp_requires_auth_except_ping_and_auth():
    with Env(shelters=SEED) as env:
        c = env.client("anon")
        assert "time" in c.call("session.ping")
        for method, (_, params) in ROLE_TABLE.items():
            if method == "session.ping":
                continue
            e = expect_error(lambda: c.call(method, params, id="x"), -32001,
                             "auth_required")
            assert e.id == "x"
        expect_error(lambda: c.call("session.subscribe",
                                    {"topics": ["capacity"]}),
                     -32001, "auth_required")


def test_auth_errors():
    with Env() as env:
        c = env.client("anon")
        expect_error(lambda: c.call("session.auth"), -32602, "missing_field",
                     "token")
        expect_error(lambda: c.call("session.auth", {}), -32602,
                     "missing_field", "token")
        expect_error(lambda: c.call("session.auth", {"token": 12}), -32602,
                     "invalid_field", "token")
        expect_error(lambda: c.call("session.auth", {"token": "x",
                                                     "user": "y"}),
                     -32602, "unknown_field", "user")
        # The configured hash is not a token.
        expect_error(lambda: c.call("session.auth", {
            "token": sha256_hex(env.daemon.tokens["admin"])}), -32001,
            "bad_token")
        expect_error(lambda: c.call("session.auth", {
            "token": env.daemon.tokens["admin"] + "\n"}), -32001,
            "bad_token")
        expect_error(lambda: c.call("session.auth", {"token": ""}), -32001,
                     "bad_token")
        bad = "wrong-token-0123456789abcdef"
        expect_error(lambda: c.call("session.auth", {"token": bad}), -32001,
                     "bad_token")
        # Still not authenticated, still usable.
        expect_error(lambda: c.call("stats.get"), -32001, "auth_required")
        # The attempt is logged, never the token.
        log = env.daemon.log_text()
        assert bad not in log, "the bad token appears in the log"
        for tok in env.daemon.tokens.values():
            assert tok not in log, "a token appears in the log"


def test_auth_result_names_identity():
    with Env() as env:
        c = env.client("anon")
        r = c.call("session.auth", {"token": env.daemon.tokens["coordinator"]})
        assert r["name"] == "t-coordinator" and r["role"] == "coordinator"
        assert r.get("shelter") is None
        c = env.client("anon")
        r = c.call("session.auth", {"token": env.daemon.tokens["shelter"]})
        assert r == {"name": "t-shelter", "role": "shelter",
                     "shelter": DEFAULT_SHELTER_ID}, r
        # A wrong token after a good one does not keep... nor upgrade.
        expect_error(lambda: c.call("session.auth", {"token": "nope"}),
                     -32001, "bad_token")
        expect_error(lambda: c.call("shelter.put",
                                    {"shelter": shelter("t-x")}),
                     -32003, "role")


def test_role_table():
    with Env(shelters=SEED) as env:
        for role in ("admin", "coordinator", "shelter", "service"):
            c = env.client(role)
            for method, (allowed, params) in ROLE_TABLE.items():
                try:
                    c.call(method, params)
                    outcome = None
                except RpcError as e:
                    outcome = e
                if role in allowed:
                    assert outcome is None or outcome.code not in (
                        -32001, -32003, -32601, -32602), (
                        "%s must be allowed for %s: %s"
                        % (method, role, outcome))
                else:
                    assert outcome is not None and outcome.code == -32003 \
                        and outcome.reason == "role", (
                            "%s must be refused for %s with -32003 role: %s"
                            % (method, role, outcome))
            c.close()


def test_shelter_role_is_limited_to_its_own_shelter():
    with Env(shelters=SEED) as env:
        c = env.client("shelter")
        assert c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["id"] == DEFAULT_SHELTER_ID
        expect_error(lambda: c.call("shelter.get", {"id": OTHER_SHELTER_ID}),
                     -32003, "not_own_shelter")
        expect_error(lambda: c.call("shelter.capacity", {
            "id": OTHER_SHELTER_ID, "pools": {"main": {"occupied": 1}}}),
            -32003, "not_own_shelter")
        expect_error(lambda: c.call("shelter.intake", {
            "id": OTHER_SHELTER_ID, "open": False}), -32003,
            "not_own_shelter")
        # Ownership is checked before existence: no probing of other ids.
        expect_error(lambda: c.call("shelter.get", {"id": "t-unknown"}),
                     -32003, "not_own_shelter")
        ids = [s["id"] for s in c.call("shelter.list")["shelters"]]
        assert ids == [DEFAULT_SHELTER_ID], ids
        # The other shelter is untouched.
        admin = env.client("admin")
        other = admin.call("shelter.get", {"id": OTHER_SHELTER_ID})["shelter"]
        assert other["intake"]["open"] is True
        assert other["pools"][0]["occupied"] == 0


def test_arrived_only_by_the_shelter_of_the_placement():
    only_b = [shelter(OTHER_SHELTER_ID, total=2, municipality="Zwolle"),
              shelter(DEFAULT_SHELTER_ID, total=0)]
    with Env(shelters=only_b) as env:
        coord = env.client("coordinator")
        sub = coord.call("request.submit", {"request": request("ARR-1")})
        prop = sub["proposal"]
        assert prop["shelter_id"] == OTHER_SHELTER_ID
        coord.call("proposal.accept", {"id": prop["id"]})
        rid = sub["request"]["id"]
        a = env.client("shelter")
        expect_error(lambda: a.call("placement.arrived", {"request_id": rid}),
                     -32003, "not_own_shelter")
        assert coord.call("request.get", {"id": rid})["request"]["status"] == \
            "placed"
        b = env.client("shelter_b")
        r = b.call("placement.arrived", {"request_id": rid})["request"]
        assert r["status"] == "arrived"
        expect_error(lambda: b.call("placement.arrived",
                                    {"request_id": "req-424242"}),
                     -32004, "request")


def test_unix_peer_is_admin_and_may_take_a_token_identity():
    with Env(shelters=SEED) as env:
        u = env.client("unix")
        u.call("shelter.put", {"shelter": shelter("t-unix-made", total=1)})
        r = u.call("session.auth", {"token": env.daemon.tokens["service"]})
        assert r["role"] == "service"
        expect_error(lambda: u.call("shelter.put",
                                    {"shelter": shelter("t-unix-2")}),
                     -32003, "role")
        assert u.call("stats.get")["shelters"] == 3


def test_unix_peer_without_mapping_gets_no_role():
    # No peer entry for our uid: the Unix socket behaves like TCP.
    with Env(shelters=SEED,
             auth={"peers": [{"uid": 4242, "role": "admin"}]}) as env:
        u = Client(env.daemon.unix_path)
        try:
            assert "time" in u.call("session.ping")
            expect_error(lambda: u.call("stats.get"), -32001,
                         "auth_required")
            u.call("session.auth", {"token": env.daemon.tokens["admin"]})
            assert u.call("stats.get")["shelters"] == 2
        finally:
            u.close()


def test_topics_by_role():
    with Env(shelters=SEED) as env:
        svc = env.client("service")
        expect_error(lambda: svc.call("session.subscribe",
                                      {"topics": ["proposals"]}),
                     -32003, "role")
        expect_error(lambda: svc.call("session.subscribe",
                                      {"topics": ["capacity", "requests"]}),
                     -32003, "role")
        assert svc.call("session.subscribe", {"topics": ["capacity"]})[
            "topics"] == ["capacity"]
        sh = env.client("shelter")
        expect_error(lambda: sh.call("session.subscribe",
                                     {"topics": ["requests"]}), -32003, "role")
        r = sh.call("session.subscribe", {"topics": ["capacity",
                                                    "placements"]})
        assert sorted(r["topics"]) == ["capacity", "placements"]
        co = env.client("coordinator")
        r = co.call("session.subscribe", {"topics": [
            "proposals", "requests", "capacity", "placements"]})
        assert sorted(r["topics"]) == ["capacity", "placements", "proposals",
                                       "requests"]
        expect_error(lambda: co.call("session.subscribe",
                                     {"topics": ["gossip"]}),
                     -32602, "invalid_field", "topics.0")
        expect_error(lambda: co.call("session.subscribe", {}), -32602,
                     "missing_field", "topics")


def test_arrived_for_a_request_that_is_not_placed_is_state():
    # PROTOCOL: "an unknown request is -32004 request, one that is not
    # placed -32009 state, one placed in another shelter -32003
    # not_own_shelter". A proposed request is placed nowhere yet.
    seed = [shelter(DEFAULT_SHELTER_ID, total=1),
            shelter(OTHER_SHELTER_ID, total=0, municipality="Zwolle")]
    with Env(shelters=seed) as env:
        coord = env.client("coordinator")
        at_a = coord.call("request.submit", {"request": request("NP-A")})
        assert at_a["proposal"]["shelter_id"] == DEFAULT_SHELTER_ID
        admin = env.client("admin")
        admin.call("shelter.capacity", {"id": OTHER_SHELTER_ID,
                                        "pools": {"main": {"total": 1}}})
        at_b = coord.call("request.submit", {"request": request("NP-B")})
        assert at_b["proposal"]["shelter_id"] == OTHER_SHELTER_ID
        waiting = coord.call("request.submit", {"request": request("NP-W")})
        assert waiting["proposal"] is None
        sh = env.client("shelter")
        for sub in (at_a, waiting, at_b):
            expect_error(lambda: sh.call("placement.arrived", {
                "request_id": sub["request"]["id"]}), -32009, "state")
        expect_error(lambda: sh.call("placement.arrived", {}), -32602,
                     "missing_field", "request_id")


def test_unix_peer_mapped_to_a_shelter_role():
    peers = [{"uid": os.getuid(), "role": "shelter",
              "shelter": DEFAULT_SHELTER_ID}]
    with Env(shelters=SEED, auth={"peers": peers}) as env:
        u = wait_until(lambda: Client(env.daemon.unix_path), 5, 0.1,
                       "the Unix socket")
        try:
            doc = wait_until(lambda: u.call("shelter.get", {
                "id": DEFAULT_SHELTER_ID}), 5, 0.1, "the seed")
            assert doc["shelter"]["id"] == DEFAULT_SHELTER_ID
            expect_error(lambda: u.call("shelter.get", {
                "id": OTHER_SHELTER_ID}), -32003, "not_own_shelter")
            expect_error(lambda: u.call("request.list"), -32003, "role")
        finally:
            u.close()


def test_reload_revokes_the_sessions_of_a_removed_token():
    with Env(shelters=SEED) as env:
        d = env.daemon
        kept = env.client("admin")
        gone = env.client("coordinator")
        sub = env.client("coordinator")
        sub.call("session.subscribe", {"topics": ["capacity"]})
        demoted = env.client("shelter")
        d.config["auth"]["tokens"] = [
            {"name": t["name"], "role": "service", "sha256": t["sha256"]}
            if t["name"] == "t-shelter" else t
            for t in d.config["auth"]["tokens"]
            if t["name"] != "t-coordinator"]
        d.reload()
        expect_error(lambda: gone.call("request.submit",
                                       {"request": request("REVOKED-1")}),
                     -32001, "auth_required")
        # Its subscription sees nothing any more.
        kept.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                       "pools": {"main": {"occupied": 1}}})
        assert sub.events(1.0) == []
        # A token whose role changed has the new role on open connections.
        expect_error(lambda: demoted.call("shelter.capacity", {
            "id": DEFAULT_SHELTER_ID, "pools": {"main": {"occupied": 2}}}),
            -32003, "role")
        assert kept.call("stats.get")["shelters"] == 2


def test_reload_ends_the_web_sessions_of_a_removed_or_changed_token():
    # A cookie session holds what its token gave at login. A reload that
    # removes the token, or changes its role, ends the session: the page
    # finds no session (GET /session {}), a call is -32001. Another
    # token's session goes on.
    from test_http import Http, web_env
    with web_env() as env:
        d = env.daemon
        people = {}
        for role in ("coordinator", "shelter", "admin"):
            people[role] = Http(env.http_port)
            r, _ = people[role].login(d.tokens[role])
            assert r.status == 200
        try:
            d.config["auth"]["tokens"] = [
                dict(t, role="service") if t["name"] == "t-shelter" else t
                for t in d.config["auth"]["tokens"]
                if t["name"] != "t-coordinator"]
            d.config["auth"]["tokens"] = [
                {k: v for k, v in t.items()
                 if not (t["name"] == "t-shelter" and k == "shelter")}
                for t in d.config["auth"]["tokens"]]
            d.reload()
            for role in ("coordinator", "shelter"):
                h = people[role]
                r, data = h.req("GET", "/session")
                assert r.status == 200 and json.loads(data) == {}, data
                r, msg = h.rpc("request.list")
                assert msg["error"]["code"] == -32001, (role, msg)
            r, msg = people["admin"].rpc("stats.get")
            assert "result" in msg, msg
            assert "session of token=t-coordinator ended" in d.log_text()
        finally:
            for h in people.values():
                h.close()
