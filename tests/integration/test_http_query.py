"""What an HTTP request says beyond its path and body (PROTOCOL.md "HTTP",
docs/protocol.md "HTTP"): query parameters and the headers that carry
identity or meaning. Unknown or repeated input is refused with an error
naming it, never ignored or taken first-wins. Plain http.client against a
real shelterd."""

import http.client
import json

from test_http import Http, Sse, assert_common_headers, bearer, gauge, web_env


def rpc_error_400(s, reason, field):
    """The JSON-RPC error body of a subscribe's 400: its error object."""
    assert s.r.status == 400, s.r.status
    assert s.r.getheader("Content-Type") == "application/json"
    assert_common_headers(s.r)
    msg = json.loads(s.r.read())
    assert msg["id"] == 1, msg
    err = msg["error"]
    assert err["code"] == -32602, msg
    assert (err["data"]["reason"], err["data"]["field"]) == (reason, field), \
        msg
    assert sorted(err["data"]) == ["errors", "field", "reason"], msg
    assert err["message"].startswith(field + ": "), msg
    return err


def test_sse_refuses_an_unknown_query_parameter():
    # ?sinse= (a typo of since) had given a live stream without the replay.
    with web_env() as env:
        port = env.http_port
        h = Http(port)
        try:
            hdr = bearer(env, "admin")
            s = Sse(port, "/events?topics=capacity&sinse=5-0", hdr)
            err = rpc_error_400(s, "unknown_field", "sinse")
            assert err["message"] == \
                "sinse: unknown parameter (topics, since)", err
            s.close()
            # In any place, before a parameter given twice, and before the
            # identity: a wrong token is not counted as a failed login.
            failed = gauge(h, "shelterd_auth_failures_total")
            for query, name in (("Topics=capacity", "Topics"),
                                ("x=1&topics=capacity&topics=capacity",
                                 "x"),
                                ("topics=capacity&since=0-0&limit=5",
                                 "limit")):
                s = Sse(port, "/events?" + query,
                        {"Authorization": "Bearer wrong"})
                rpc_error_400(s, "unknown_field", name)
                s.close()
            assert gauge(h, "shelterd_auth_failures_total") == failed
            assert gauge(h, "shelterd_subscribers") == 0
            # The routes of data take none: the HTTP-level body.
            for method, path in (("GET", "/healthz?verbose=1"),
                                 ("GET", "/metrics?name[]=x"),
                                 ("GET", "/session?x="),
                                 ("POST", "/rpc?token=t")):
                body = {"jsonrpc": "2.0", "id": 7, "method": "session.ping"}
                r, data = h.req(method, path,
                                body if method == "POST" else None)
                assert r.status == 400, (path, r.status, data)
                assert_common_headers(r)
                name = path.split("?")[1].split("=")[0]
                assert json.loads(data) == {
                    "error": "unknown_field",
                    "message": name + ": unknown parameter "
                    "(none is taken here)"}, (path, data)
            # Pages are left alone (a bookmark may carry anything).
            r, _ = h.req("GET", "/?utm_source=x")
            assert r.status == 200, r.status
            # Known parameters, once each, still stream.
            s = Sse(port, "/events?since=0-0&topics=capacity", hdr)
            assert s.r.status == 200 and s.frame().get("retry") == "2000"
            s.close()
        finally:
            h.close()


def test_sse_refuses_a_query_that_does_not_parse():
    # As every other 400 of /events: the JSON-RPC error body, naming the
    # parameter (or "query" when its name is the fault). It had been
    # {"error", "message"}; a bad percent-escape had been taken as sent,
    # and %00 had cut the value (since=0-0%00junk was since=0-0).
    with web_env() as env:
        port = env.http_port
        hdr = bearer(env, "admin")
        for query, field in (("topics", "topics"),
                             ("topics=capacity&since", "since"),
                             ("topics=cap%zzacity", "topics"),
                             ("topics=capacity%", "topics"),
                             ("topics=capacity&since=0-0%00junk", "since"),
                             ("topics=capacity%2", "topics"),
                             ("&topics=capacity", "query"),
                             ("topics=capacity&&since=0-0", "query"),
                             ("=capacity", "query"),
                             ("%zz=1&topics=capacity", "query")):
            for method in ("GET", "HEAD"):
                h = Http(port)
                try:
                    r, data = h.req(method, "/events?" + query, headers=hdr)
                    assert r.status == 400, (query, method, r.status)
                    assert r.getheader("Content-Type") == "application/json"
                    assert_common_headers(r)
                    if method == "HEAD":
                        assert data == b"" and int(
                            r.getheader("Content-Length")) > 0
                        continue
                    msg = json.loads(data)
                    assert msg["id"] == 1, (query, msg)
                    err = msg["error"]
                    assert err["code"] == -32602, (query, msg)
                    assert err["data"]["reason"] == "invalid_field", msg
                    assert err["data"]["field"] == field, (query, msg)
                    assert err["message"].startswith(field + ": "), msg
                finally:
                    h.close()
        h = Http(port)
        try:
            # The routes of data name it the same way, in their body.
            r, data = h.req("GET", "/healthz?verbose")
            assert r.status == 400
            assert json.loads(data) == {
                "error": "invalid_field",
                "message": "verbose: has no value (NAME=VALUE)"}, data
        finally:
            h.close()
        # A good escape, and a final '&', still stream.
        for query in ("topics=capacity%2Cproposals&since=0%2D0",
                      "topics=capacity&"):
            s = Sse(port, "/events?" + query, hdr)
            assert s.r.status == 200, (query, s.r.status)
            assert s.frame().get("retry") == "2000"
            s.close()


def send(port, method, path, headers, body=None):
    """One request with headers as [(name, value)], repeats kept."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            c.putheader(k, v)
        if body is not None:
            body = json.dumps(body).encode()
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r, r.read()
    finally:
        c.close()


def test_a_repeated_header_is_refused_not_first_wins():
    # Two Authorization (or Content-Type, X-CSRF-Token, Last-Event-ID) had
    # been read first-wins: the first token authenticated, the second went
    # unseen. Now 400 naming the header, before the identity.
    with web_env() as env:
        port = env.http_port
        good = "Bearer " + env.daemon.tokens["admin"]
        ping = {"jsonrpc": "2.0", "id": 3, "method": "session.ping"}
        json_ct = ("Content-Type", "application/json")
        h = Http(port)
        try:
            h.login(env.daemon.tokens["coordinator"])
            failed = gauge(h, "shelterd_auth_failures_total")
            cookie = ("Cookie", h.cookie)
            csrf = ("X-CSRF-Token", h.csrf)
            for path, headers, name in (
                    ("/rpc", [json_ct, ("Authorization", good),
                              ("Authorization", "Bearer wrong")],
                     "Authorization"),
                    ("/rpc", [json_ct, ("authorization", "Bearer wrong"),
                              ("Authorization", good)], "Authorization"),
                    ("/rpc", [json_ct, ("Content-Type", "text/plain"),
                              ("Authorization", good)], "Content-Type"),
                    ("/rpc", [json_ct, cookie, csrf,
                              ("X-CSRF-Token", "0" * 64)], "X-CSRF-Token"),
                    ("/logout", [json_ct, cookie, csrf, csrf],
                     "X-CSRF-Token"),
                    ("/login", [json_ct, json_ct], "Content-Type")):
                r, data = send(port, "POST", path, headers, ping)
                assert r.status == 400, (path, name, r.status, data)
                assert r.getheader("Content-Type") == "application/json"
                assert_common_headers(r)
                assert json.loads(data) == {
                    "error": "duplicate_key",
                    "message": name + ": given more than once in the "
                    "headers"}, (path, data)
            assert gauge(h, "shelterd_auth_failures_total") == failed
            # The session was not ended by the refused /logout.
            r, msg = h.rpc("session.ping")
            assert r.status == 200 and "result" in msg, msg
            # /events: the JSON-RPC error body of its other 400s.
            for headers, name in (
                    ([("Authorization", good),
                      ("Authorization", "Bearer wrong")], "Authorization"),
                    ([("Authorization", good), ("Last-Event-ID", "0-0"),
                      ("last-event-id", "9-0")], "Last-Event-ID")):
                for method in ("GET", "HEAD"):
                    r, data = send(port, method, "/events?topics=capacity",
                                   headers)
                    assert r.status == 400, (name, method, r.status)
                    assert_common_headers(r)
                    if method == "HEAD":
                        assert data == b""
                        continue
                    msg = json.loads(data)
                    err = msg["error"]
                    assert (msg["id"], err["code"]) == (1, -32602), msg
                    assert err["data"]["reason"] == "duplicate_key", msg
                    assert err["data"]["field"] == name, msg
                    assert err["message"] == \
                        name + ": given more than once in the headers", msg
            assert gauge(h, "shelterd_subscribers") == 0
            # One of each still works.
            r, data = send(port, "POST", "/rpc",
                           [json_ct, ("Authorization", good)], ping)
            assert r.status == 200 and json.loads(data)["id"] == 3, data
            r, _ = send(port, "HEAD", "/events?topics=capacity",
                        [("Authorization", good), ("Last-Event-ID", "0-0")])
            assert r.status == 200, r.status
        finally:
            h.close()
