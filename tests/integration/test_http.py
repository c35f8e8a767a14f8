"""The protocol over HTTP (PROTOCOL.md "HTTP"): POST /rpc and GET /events
for services with a Bearer token, sessions for people (POST /login, the
cookie, CSRF, the idle timeout, logout), the headers of every response and
the HTTP-level refusals. Plain http.client against a real shelterd."""

import http.client
import json
import re
import socket
import ssl
import tempfile
import time

import subprocess

from harness import (Env, free_port, make_cert, pool, request, shelter,
                     shelterd_path, unique_ref, wait_until)


def web_env(web=None, http=None, **kw):
    port = free_port()
    extra = dict(kw.pop("extra", {}))
    extra["http"] = http if http is not None else "127.0.0.1:%d" % port
    extra["web"] = dict({"enabled": True}, **(web or {}))
    env = Env(extra=extra, shelters=kw.pop("shelters", [shelter()]), **kw)
    env.http_port = port
    return env


class Http:
    """One HTTP/1.1 connection to the daemon's http listener."""

    def __init__(self, port, tls=None):
        if tls is not None:
            self.c = http.client.HTTPSConnection("127.0.0.1", port,
                                                 timeout=5, context=tls)
        else:
            self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.cookie = None
        self.csrf = None

    def close(self):
        self.c.close()

    def req(self, method, path, body=None, headers=None, ctype=None):
        h = dict(headers or {})
        if self.cookie and "Cookie" not in h:
            h["Cookie"] = self.cookie
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is not None:
            h.setdefault("Content-Type", ctype or "application/json")
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        return r, data

    def rpc(self, method, params=None, id=1, headers=None):
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        h = dict(headers or {})
        if self.csrf and "X-CSRF-Token" not in h:
            h["X-CSRF-Token"] = self.csrf
        r, data = self.req("POST", "/rpc", msg, headers=h)
        return r, (json.loads(data) if data else None)

    def login(self, token):
        r, data = self.req("POST", "/login", {"token": token})
        if r.status == 200:
            m = re.match(r"(shelterd_session=[0-9a-f]{64})",
                         r.getheader("Set-Cookie"))
            self.cookie = m.group(1)
            self.csrf = json.loads(data)["csrf"]
        return r, data


def bearer(env, role):
    return {"Authorization": "Bearer " + env.daemon.tokens[role]}


def assert_common_headers(r, page=False):
    assert r.getheader("X-Content-Type-Options") == "nosniff", r.headers
    assert r.getheader("Referrer-Policy") == "no-referrer", r.headers
    assert r.getheader("Cache-Control") == "no-store", r.headers
    csp = r.getheader("Content-Security-Policy") or ""
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_rpc_over_http_same_methods_checks_and_errors():
    with web_env() as env:
        h = Http(env.http_port)
        try:
            r, msg = h.rpc("shelter.list", headers=bearer(env, "coordinator"))
            assert r.status == 200, (r.status, msg)
            assert_common_headers(r)
            assert r.getheader("Content-Type") == "application/json"
            assert [s["id"] for s in msg["result"]["shelters"]] == [
                "t-shelter-a"]
            # The same checks as the socket: auth, role, params.
            r, msg = h.rpc("shelter.list")
            assert r.status == 200 and msg["error"]["code"] == -32001, msg
            r, msg = h.rpc("request.list", headers=bearer(env, "service"))
            assert msg["error"]["code"] == -32003, msg
            r, msg = h.rpc("shelter.get", {"id": "t-shelter-b"},
                           headers=bearer(env, "shelter"))
            assert msg["error"]["data"]["reason"] == "not_own_shelter", msg
            r, msg = h.rpc("request.submit", {"request": {"ref": "x"}},
                           headers=bearer(env, "coordinator"))
            assert msg["error"]["code"] == -32602, msg
            r, msg = h.rpc("no.such", headers=bearer(env, "coordinator"))
            assert msg["error"]["code"] == -32601, msg
            # A submit works end to end and its event reaches a socket.
            sub = env.client("coordinator")
            sub.call("session.subscribe", {"topics": ["proposals"]})
            r, msg = h.rpc("request.submit",
                           {"request": request(unique_ref())},
                           headers=bearer(env, "coordinator"))
            assert msg["result"]["proposal"] is not None, msg
            assert sub.wait_event(lambda e: e["type"] == "proposal.created")
            # A notification: 204, no body.
            r, data = h.req("POST", "/rpc", {"jsonrpc": "2.0",
                                             "method": "session.ping"},
                            headers=bearer(env, "coordinator"))
            assert r.status == 204 and data == b"", (r.status, data)
            assert_common_headers(r)
            # Also with a duplicate key in its envelope.
            r, data = h.req("POST", "/rpc",
                            b'{"jsonrpc":"2.0","method":"session.ping",'
                            b'"method":"session.ping"}',
                            headers=bearer(env, "coordinator"))
            assert r.status == 204 and data == b"", (r.status, data)
            # Parse errors are JSON-RPC errors, not HTTP ones.
            r, data = h.req("POST", "/rpc", b"{nope",
                            headers=bearer(env, "coordinator"))
            assert r.status == 200
            assert json.loads(data)["error"]["code"] == -32700
            # HTTP-level faults.
            r, _ = h.req("GET", "/rpc")
            assert r.status == 405 and r.getheader("Allow") == "POST"
            assert_common_headers(r)
            r, _ = h.req("POST", "/rpc", b"{}", ctype="text/plain")
            assert r.status == 415
            assert_common_headers(r)
            big = json.dumps({"jsonrpc": "2.0", "id": 1,
                              "method": "session.ping",
                              "params": {"x": "a" * 70000}})
            r, _ = h.req("POST", "/rpc", big,
                         headers=bearer(env, "coordinator"))
            assert r.status == 413, r.status
            assert_common_headers(r)
            # As on the socket, a final newline is not counted: a body of
            # exactly limits.max_line_bytes (65536) and "\r\n" is read
            # (here -32602 for the unknown param), one byte more is not.
            head = b'{"jsonrpc":"2.0","id":2,"method":"session.ping",' \
                b'"params":{"x":"'
            exact = head + b"a" * (65536 - len(head) - 3) + b'"}}'
            assert len(exact) == 65536
            for body, status in ((exact + b"\r\n", 200),
                                 (exact + b"\n", 200),
                                 (exact[:-3] + b'a"}}\n', 413)):
                r, data = h.req("POST", "/rpc", body,
                                headers=bearer(env, "coordinator"))
                assert r.status == status, (r.status, data[:200])
                if status == 200:
                    assert json.loads(data)["error"]["code"] == -32602
            # A wrong Bearer token is a JSON-RPC error like the rest
            # (-32001 bad_token, the id echoed), after the envelope and
            # method checks; session.ping too, as the token was wrong.
            for method in ("session.ping", "shelter.list"):
                r, data = h.req("POST", "/rpc", {"jsonrpc": "2.0", "id": 7,
                                                 "method": method},
                                headers={"Authorization": "Bearer wrong"})
                assert r.status == 200, (r.status, data)
                assert_common_headers(r)
                msg = json.loads(data)
                assert msg["id"] == 7, msg
                assert msg["error"]["code"] == -32001, msg
                assert msg["error"]["data"]["reason"] == "bad_token", msg
            r, msg = h.rpc("no.such", headers={"Authorization": "Bearer x"})
            assert msg["error"]["code"] == -32601, msg
        finally:
            h.close()
        assert env.daemon.tokens["coordinator"] not in env.daemon.log_text()


def test_bearer_scheme_in_any_case():
    # RFC 9110 11.1: the scheme is case-insensitive; spaces or tabs
    # before the token.
    with web_env() as env:
        tok = env.daemon.tokens["coordinator"]
        h = Http(env.http_port)
        try:
            for auth in ("bearer " + tok, "BEARER " + tok,
                         "bEaReR  \t " + tok):
                r, msg = h.rpc("shelter.list",
                               headers={"Authorization": auth})
                assert r.status == 200, (auth, r.status, msg)
                assert "result" in msg, (auth, msg)
            # Another scheme, or no space after it, is still no token.
            for auth in ("Bearer" + tok, "Basic " + tok, "Bearers " + tok):
                r, msg = h.rpc("shelter.list",
                               headers={"Authorization": auth})
                assert msg["error"]["data"]["reason"] == "bad_token", msg
        finally:
            h.close()
        s = Sse(env.http_port, "/events?topics=capacity",
                {"Authorization": "bearer " + tok})
        assert s.r.status == 200, (s.r.status, s.r.read())
        assert s.frame().get("retry") == "2000"
        s.close()
        assert tok not in env.daemon.log_text()


def test_head_trace_and_401_are_answered_by_the_daemon():
    with web_env() as env:
        h = Http(env.http_port)
        try:
            r, page = h.req("GET", "/")
            r, data = h.req("HEAD", "/")
            assert r.status == 200 and data == b"", (r.status, data)
            assert int(r.getheader("Content-Length")) == len(page)
            assert_common_headers(r, page=True)
            # Nothing stray is left on the connection for the next one.
            r, data = h.req("GET", "/healthz")
            assert r.status == 200 and json.loads(data)["status"] == "ok"
            r, data = h.req("HEAD", "/healthz")
            assert r.status == 200 and data == b""
            r, data = h.req("GET", "/session")
            assert r.status == 200 and json.loads(data) == {}, data
            # TRACE goes to the routes too: 405 with the headers.
            r, data = h.req("TRACE", "/")
            assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"
            assert_common_headers(r)
            r, data = h.req("POST", "/login", {"token": "wrong"})
            assert r.status == 401
            assert r.getheader("WWW-Authenticate") == 'Bearer realm="shelterd"'
            assert_common_headers(r)
        finally:
            h.close()
        # On a bare socket: the HEAD answer ends with its headers.
        s = socket.create_connection(("127.0.0.1", env.http_port))
        try:
            s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            out = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                out += b
        finally:
            s.close()
        head, _, rest = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and rest == b"", out


def test_the_cookie_of_a_live_session_wins_over_others():
    """A browser may send several shelterd_session cookies (one left by
    another path, or by a daemon that has restarted since). The one that
    names a live session is used, wherever it stands; before, the first
    one was, so a stale cookie in front logged the person out."""
    with web_env() as env:
        h = Http(env.http_port)
        try:
            h.login(env.daemon.tokens["coordinator"])
            live = h.cookie
            stale = "shelterd_session=" + "0" * 64
            for cookie in (stale + "; " + live,
                           "shelterd_session=not-hex; " + live,
                           "other=1; " + stale + "; " + live + "; x=2",
                           live + "; " + stale):
                r, data = h.req("GET", "/session",
                                headers={"Cookie": cookie})
                assert json.loads(data).get("csrf") == h.csrf, (cookie, data)
                r, msg = h.rpc("shelter.list", headers={"Cookie": cookie})
                assert r.status == 200 and "result" in msg, (cookie, msg)
            # None live: no identity.
            r, data = h.req("GET", "/session", headers={
                "Cookie": stale + "; shelterd_session=" + "1" * 64})
            assert json.loads(data) == {}, data
        finally:
            h.close()


def test_login_cookie_csrf_and_logout():
    with web_env() as env:
        h = Http(env.http_port)
        try:
            r, data = h.req("POST", "/login", {"token": "wrong"})
            assert r.status == 401, data
            assert r.getheader("Set-Cookie") is None
            r, data = h.req("POST", "/login", {"token": "x"},
                            ctype="text/plain")
            assert r.status == 415
            r, _ = h.req("GET", "/login")
            assert r.status == 405
            r, data = h.login(env.daemon.tokens["coordinator"])
            assert r.status == 200, data
            assert_common_headers(r)
            body = json.loads(data)
            assert body["name"] == "t-coordinator"
            assert body["role"] == "coordinator"
            assert re.fullmatch(r"[0-9a-f]{64}", body["csrf"])
            cookie = r.getheader("Set-Cookie")
            flags = [f.strip() for f in cookie.split(";")]
            assert "HttpOnly" in flags and "SameSite=Strict" in flags
            assert "Path=/" in flags and "Secure" not in flags, cookie
            # The session's CSRF token is required, and checked.
            r, msg = h.rpc("shelter.list", headers={"X-CSRF-Token": ""})
            assert r.status == 403, msg
            r, msg = h.rpc("shelter.list", headers={"X-CSRF-Token": "0" * 64})
            assert r.status == 403, msg
            r, msg = h.rpc("request.submit",
                           {"request": request(unique_ref())},
                           headers={"X-CSRF-Token": "f" * 64})
            assert r.status == 403, msg
            r, msg = h.rpc("shelter.list")
            assert r.status == 200 and "result" in msg, msg
            # A reloaded page finds its CSRF token.
            r, data = h.req("GET", "/session")
            assert r.status == 200 and json.loads(data)["csrf"] == h.csrf
            # Another session's CSRF token does not fit this one.
            h2 = Http(env.http_port)
            h2.login(env.daemon.tokens["shelter"])
            assert json.loads(h2.req("GET", "/session")[1])["shelter"] == \
                "t-shelter-a"
            r, msg = h.rpc("shelter.list", headers={"X-CSRF-Token": h2.csrf})
            assert r.status == 403
            h2.close()
            # Logout needs the CSRF token too, and ends the session.
            r, _ = h.req("POST", "/logout")
            assert r.status == 403
            r, _ = h.req("POST", "/logout", headers={"X-CSRF-Token": h.csrf})
            assert r.status == 204
            assert "Max-Age=0" in r.getheader("Set-Cookie")
            r, msg = h.rpc("shelter.list")
            assert r.status == 200 and msg["error"]["code"] == -32001, msg
            r, data = h.req("GET", "/session")
            assert r.status == 200 and json.loads(data) == {}
        finally:
            h.close()
        assert env.daemon.tokens["coordinator"] not in env.daemon.log_text()


def test_pages_and_assets_carry_a_strict_policy():
    with web_env() as env:
        h = Http(env.http_port)
        try:
            for path, ctype in (("/", "text/html"), ("/app.js",
                                                     "text/javascript"),
                                ("/app.css", "text/css"),
                                ("/strings.js", "text/javascript")):
                r, data = h.req("GET", path)
                assert r.status == 200, path
                assert r.getheader("Content-Type").startswith(ctype), path
                assert_common_headers(r)
                assert r.getheader("X-Frame-Options") == "DENY"
            r, data = h.req("GET", "/")
            # No inline script, style or handler in the page.
            assert not re.search(rb"<script(?![^>]*\bsrc=)", data)
            assert b"<style" not in data and b"style=" not in data
            assert not re.search(rb"\son[a-z]+=", data)
            for path in ("/nope", "/healthz/x"):
                r, _ = h.req("GET", path)
                assert r.status == 404
                assert_common_headers(r)
            r, _ = h.req("GET", "/healthz")
            assert r.status == 200
            assert_common_headers(r)
        finally:
            h.close()


def test_failed_logins_are_counted_and_rate_limited():
    with web_env(limits={"rate_per_s": 3}) as env:
        h = Http(env.http_port)
        try:
            codes = [h.req("POST", "/login", {"token": "bad%d" % i})[0].status
                     for i in range(8)]
            assert codes[:3] == [401, 401, 401], codes
            assert 429 in codes, codes
            r, data = h.req("GET", "/metrics")
            m = re.search(rb"^shelterd_auth_failures_total (\d+)$", data,
                          re.M)
            assert m and int(m.group(1)) >= 3, data[-400:]
            # Wrong Bearer tokens cost the same bucket.
            time.sleep(1.1)
            codes = [h.rpc("session.ping",
                           headers={"Authorization": "Bearer x"})[1]
                     ["error"]["code"] for i in range(6)]
            assert codes[:3] == [-32001] * 3 and -32029 in codes, codes
            # The per-identity bucket of /rpc is the socket's rate limit.
            time.sleep(1.1)
            errs = [h.rpc("session.ping",
                          headers=bearer(env, "coordinator"))[1]
                    for i in range(6)]
            assert any(e.get("error", {}).get("code") == -32029
                       for e in errs), errs
        finally:
            h.close()
        assert "bad1" not in env.daemon.log_text()


def test_session_idle_timeout():
    # 0.02 min = 1.2 s.
    with web_env(web={"session_idle_min": 0.02}) as env:
        h = Http(env.http_port)
        try:
            h.login(env.daemon.tokens["coordinator"])
            for _ in range(3):  # in use: kept alive
                time.sleep(0.5)
                r, msg = h.rpc("session.ping")
                assert r.status == 200 and "result" in msg
            time.sleep(1.6)
            r, data = h.req("GET", "/session")
            assert r.status == 200 and json.loads(data) == {}
            r, msg = h.rpc("shelter.list")
            assert msg["error"]["code"] == -32001, msg
        finally:
            h.close()


class Sse:
    """A GET /events stream read frame by frame."""

    def __init__(self, port, path, headers, tls=None):
        if tls is not None:
            self.c = http.client.HTTPSConnection("127.0.0.1", port,
                                                 timeout=5, context=tls)
        else:
            self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.c.request("GET", path, headers=headers)
        self.r = self.c.getresponse()

    def frame(self):
        """The next frame as {field: value} (comments under ":")."""
        out = {}
        while True:
            line = self.r.readline()
            if not line:
                raise EOFError("stream closed")
            line = line.decode().rstrip("\n")
            if line == "":
                if out:
                    return out
                continue
            k, _, v = line.partition(":")
            out.setdefault(k, v[1:] if v.startswith(" ") else v)

    def event(self):
        while True:
            f = self.frame()
            if "data" in f:
                d = json.loads(f["data"])
                assert f["id"] == d["id"], f
                return d

    def close(self):
        self.c.close()


def test_sse_events_resume_without_gap_or_repeat():
    with web_env() as env:
        port = env.http_port
        admin = env.client("admin")
        hdr = bearer(env, "service")

        def change(n):
            admin.call("shelter.capacity", {"id": "t-shelter-a", "pools": {
                "main": {"occupied": n % 5}}})

        s = Sse(port, "/events?topics=capacity", hdr)
        assert s.r.status == 200
        assert s.r.getheader("Content-Type").startswith("text/event-stream")
        assert_common_headers(s.r)
        first = s.frame()
        assert first.get("retry") == "2000", first
        for n in range(1, 4):
            change(n)
        seen = [s.event() for _ in range(3)]
        assert [e["data"]["pools"][0]["occupied"] for e in seen] == [1, 2, 3]
        assert all(e["topic"] == "capacity" and e["type"] ==
                   "capacity.changed" for e in seen)
        s.close()
        last = seen[1]["id"]
        for n in range(4, 7):
            change(n)
        # Last-Event-ID: the one after it, then on, nothing twice.
        s = Sse(port, "/events?topics=capacity",
                dict(hdr, **{"Last-Event-ID": last}))
        got = [s.event() for _ in range(4)]
        assert [e["data"]["pools"][0]["occupied"] for e in got] == \
            [3, 4, 0, 1], got
        ids = [e["id"] for e in got]
        assert len(set(ids)) == 4
        change(7)  # live after the replay
        assert s.event()["data"]["pools"][0]["occupied"] == 2
        s.close()
        # ?since= does the same; Last-Event-ID wins over it.
        s = Sse(port, "/events?topics=capacity&since=%s" % ids[2], hdr)
        assert s.event()["id"] == ids[3]
        s.close()
        s = Sse(port, "/events?topics=capacity&since=0-0",
                dict(hdr, **{"Last-Event-ID": ids[2]}))
        assert s.event()["id"] == ids[3]
        s.close()


def test_sse_refusals_and_roles():
    with web_env() as env:
        port = env.http_port
        # Not authenticated, or a wrong token: 401 with the JSON-RPC
        # error of the subscribe as the body.
        for hdr, reason in (({}, "auth_required"),
                            ({"Authorization": "Bearer x"}, "bad_token")):
            s = Sse(port, "/events?topics=capacity", hdr)
            assert s.r.status == 401
            assert_common_headers(s.r)
            err = json.loads(s.r.read())["error"]
            assert (err["code"], err["data"]["reason"]) == (-32001, reason)
            s.close()
        s = Sse(port, "/events?topics=proposals", bearer(env, "shelter"))
        assert s.r.status == 403
        assert json.loads(s.r.read())["error"]["data"]["reason"] == "role"
        s.close()
        s = Sse(port, "/events?topics=nope", bearer(env, "admin"))
        assert s.r.status == 400
        s.close()
        s = Sse(port, "/events?topics=capacity&since=junk",
                bearer(env, "admin"))
        assert s.r.status == 400
        s.close()
        # A shelter sees its own capacity events only.
        s = Sse(port, "/events?topics=capacity", bearer(env, "shelter"))
        assert s.r.status == 200
        admin = env.client("admin")
        admin.call("shelter.put", {"shelter": shelter("t-shelter-b")})
        admin.call("shelter.capacity", {"id": "t-shelter-b", "pools": {
            "main": {"occupied": 1}}})
        admin.call("shelter.capacity", {"id": "t-shelter-a", "pools": {
            "main": {"occupied": 2}}})
        ev = s.event()
        assert ev["data"]["shelter_id"] == "t-shelter-a", ev
        s.close()
        # A session cookie works for the stream; logout ends its access.
        h = Http(port)
        h.login(env.daemon.tokens["coordinator"])
        s = Sse(port, "/events?topics=requests,proposals",
                {"Cookie": h.cookie})
        assert s.r.status == 200
        env.client("coordinator").call(
            "request.submit", {"request": request(unique_ref())})
        assert s.event()["topic"] in ("requests", "proposals")
        s.close()
        h.close()
        wait_until(lambda: env.daemon.running(), what="still running")


def gauge(h, name):
    _, data = h.req("GET", "/metrics")
    m = re.search(rb"^%s (\d+)$" % name.encode(), data, re.M)
    return int(m.group(1))


def test_head_is_answered_wherever_get_is_events_too():
    with web_env() as env:
        port = env.http_port
        h = Http(port)
        try:
            # Every GET route lists HEAD beside it in its 405.
            for path in ("/", "/app.js", "/healthz", "/metrics",
                         "/session", "/events?topics=capacity"):
                r, _ = h.req("DELETE", path, headers=bearer(env, "admin"))
                assert r.status == 405, (path, r.status)
                assert r.getheader("Allow") == "GET, HEAD", (path, r.headers)
            # HEAD /events: the stream's status and headers, no body, no
            # stream left open; the connection goes on.
            s = Sse(port, "/events?topics=capacity", bearer(env, "admin"))
            want = {k.lower(): v for k, v in s.r.getheaders()
                    if k.lower() not in ("date", "transfer-encoding")}
            assert s.r.status == 200 and s.frame().get("retry") == "2000"
            assert gauge(h, "shelterd_subscribers") == 1
            s.close()
            wait_until(lambda: gauge(h, "shelterd_subscribers") == 0,
                       what="GET stream gone")
            for since in ("", "&since=0-0"):
                r, data = h.req("HEAD", "/events?topics=capacity" + since,
                                headers=bearer(env, "admin"))
                assert r.status == 200 and data == b"", (r.status, data)
                got = {k.lower(): v for k, v in r.getheaders()
                       if k.lower() != "date"}
                assert got == want, (got, want)
                assert_common_headers(r)
            r, data = h.req("GET", "/healthz")
            assert r.status == 200 and json.loads(data)["status"] == "ok"
            time.sleep(0.2)
            assert gauge(h, "shelterd_subscribers") == 0
            assert gauge(h, "shelterd_http_event_streams") == 0
            # The subscribe's refusals: GET's status, headers and
            # Content-Length, no body.
            for path, hdr, status in (
                    ("/events?topics=capacity", {}, 401),
                    ("/events?topics=capacity",
                     {"Authorization": "Bearer x"}, 401),
                    ("/events?topics=proposals", bearer(env, "shelter"), 403),
                    ("/events?topics=nope", bearer(env, "admin"), 400),
                    ("/events?topics=capacity&since=junk",
                     bearer(env, "admin"), 400)):
                g, body = h.req("GET", path, headers=hdr)
                r, data = h.req("HEAD", path, headers=hdr)
                assert (g.status, r.status) == (status, status), \
                    (path, g.status, r.status)
                assert data == b"" and body != b"", (path, data)
                assert int(r.getheader("Content-Length")) == len(body)
                assert r.getheader("Content-Type") == "application/json"
                assert r.getheader("WWW-Authenticate") == \
                    g.getheader("WWW-Authenticate")
                assert_common_headers(r)
            r, data = h.req("GET", "/healthz")
            assert r.status == 200 and json.loads(data)["status"] == "ok"
            assert gauge(h, "shelterd_subscribers") == 0
        finally:
            h.close()


def test_sse_refuses_a_repeated_query_parameter():
    # Not first-wins: topics or since twice is a 400 naming it, with the
    # JSON-RPC error body of the other refusals of a subscribe.
    with web_env() as env:
        port = env.http_port
        hdr = bearer(env, "admin")
        for query, name in (("topics=capacity&topics=proposals", "topics"),
                            ("topics=capacity&since=0-0&since=garbage",
                             "since"),
                            ("since=0-0&topics=capacity&since=0-0", "since"),
                            ("topics=capacity&topics=capacity", "topics")):
            s = Sse(port, "/events?" + query, hdr)
            try:
                assert s.r.status == 400, (query, s.r.status)
                assert s.r.getheader("Content-Type") == "application/json"
                assert_common_headers(s.r)
                msg = json.loads(s.r.read())
                err = msg["error"]
                assert err["code"] == -32602, msg
                assert err["data"]["reason"] == "duplicate_key", msg
                assert err["data"]["field"] == name, msg
                assert sorted(err["data"]) == ["errors", "field", "reason"]
                assert err["message"].startswith(name + ": "), msg
                assert msg["id"] == 1, msg
            finally:
                s.close()
        # Also beside Last-Event-ID, which wins over one ?since=.
        s = Sse(port, "/events?topics=capacity&since=0-0&since=0-0",
                dict(hdr, **{"Last-Event-ID": "0-0"}))
        assert s.r.status == 400, s.r.status
        assert json.loads(s.r.read())["error"]["data"]["field"] == "since"
        s.close()
        # The same shape as a subscribe's own 400.
        s = Sse(port, "/events?topics=capacity&since=junk", hdr)
        assert s.r.status == 400
        assert sorted(json.loads(s.r.read())["error"]["data"]) == \
            ["errors", "field", "reason"]
        s.close()
        # One of each still streams.
        s = Sse(port, "/events?topics=capacity,proposals&since=0-0", hdr)
        assert s.r.status == 200 and s.frame().get("retry") == "2000"
        s.close()


def test_http_tls_sets_secure_cookies():
    port = free_port()
    d = tempfile.mkdtemp(prefix="shd-http-tls-")
    cert, key = make_cert(d, "http")
    ctx = ssl.create_default_context(cafile=cert)
    with web_env(http={"listen": "127.0.0.1:%d" % port,
                       "tls": {"cert": cert, "key": key}}) as env:
        h = Http(port, tls=ctx)
        try:
            r, data = h.login(env.daemon.tokens["coordinator"])
            assert r.status == 200, data
            assert "Secure" in [f.strip() for f in
                                r.getheader("Set-Cookie").split(";")]
            assert r.getheader("Strict-Transport-Security")
            r, msg = h.rpc("shelter.list")
            assert "result" in msg
            s = Sse(port, "/events?topics=capacity", {"Cookie": h.cookie},
                    tls=ctx)
            assert s.r.status == 200 and s.frame().get("retry") == "2000"
            s.close()
        finally:
            h.close()
        # Plain HTTP on a TLS listener gets nothing useful.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as so:
            so.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            try:
                data = so.recv(100)
            except OSError:
                data = b""
            assert not data.startswith(b"HTTP/1.0 200")


def test_config_check_of_http_and_web():
    d = tempfile.mkdtemp(prefix="shd-webconf-")
    path = d + "/c.yaml"
    with open(path, "w") as f:
        f.write("http:\n  listen: 127.0.0.1:9\n  tls: {cert: c.pem}\n"
                "  extra: 1\nweb:\n  enabled: maybe\n"
                "  session_idle_min: 0\n")
    r = subprocess.run([shelterd_path(), "-t", "-c", path],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    errs = r.stderr.splitlines()
    want = [
        "%s:3:8: http.tls: missing required key 'key'" % path,
        "%s:4:3: unknown key 'extra' in http" % path,
        "%s:6:12: web.enabled: must be" % path,
        "%s:7:21: web.session_idle_min: must be" % path,
    ]
    for w in want:
        assert any(e.startswith(w) for e in errs), (w, errs)
    with open(path, "w") as f:
        f.write("http:\n  listen: 127.0.0.1:9\n"
                "web: {enabled: true, session_idle_min: 30}\n")
    r = subprocess.run([shelterd_path(), "-t", "-c", path],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr


def test_sigterm_with_an_rpc_call_in_flight_and_a_stream_open():
    import os
    import signal
    import threading
    with web_env() as env:
        port = env.http_port
        s = Sse(port, "/events?topics=capacity", bearer(env, "admin"))
        assert s.r.status == 200, (s.r.status, s.r.read())
        got = []

        def call():
            h = Http(port)
            try:
                got.append(h.rpc("request.list", {},
                                 headers=bearer(env, "coordinator")))
            except (OSError, http.client.HTTPException) as e:
                got.append(e)
            finally:
                h.close()
        os.kill(env.redis.proc.pid, signal.SIGSTOP)
        try:
            t = threading.Thread(target=call)
            t.start()
            time.sleep(0.3)
            assert t.is_alive(), got
            env.daemon.signal(signal.SIGTERM)
            rc = env.daemon.wait_exit(10)
            t.join(10)
        finally:
            os.kill(env.redis.proc.pid, signal.SIGCONT)
            s.close()
        assert rc == 0, "exit %s:\n%s" % (rc, env.daemon.log_text()[-1500:])


def test_sse_over_the_output_cap_is_dropped_and_resumes():
    pools = [pool("pool-%02d-with-a-rather-long-name" % i, total=50)
             for i in range(16)]
    name = pools[0]["name"]
    with web_env(limits={"output_buffer_bytes": 65536},
                 shelters=[shelter(pools=pools)]) as env:
        port = env.http_port
        admin = env.client("admin")
        so = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        so.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        so.connect(("127.0.0.1", port))
        so.sendall(("GET /events?topics=capacity HTTP/1.1\r\nHost: x\r\n"
                    "Authorization: Bearer %s\r\n\r\n"
                    % env.daemon.tokens["admin"]).encode())
        time.sleep(0.2)
        # A reader that does not read: the daemon drops it over the cap.
        n, batch = 0, 50
        while n < 3000 and dropped(port) == 0:
            lines = [json.dumps({
                "jsonrpc": "2.0", "id": i, "method": "shelter.capacity",
                "params": {"id": "t-shelter-a",
                           "pools": {name: {"occupied": i % 50}}}})
                for i in range(n + 1, n + batch + 1)]
            admin.send_raw(("\n".join(lines) + "\n").encode())
            for i in range(batch):
                assert "result" in admin.recv(10)
            n += batch
        assert dropped(port) >= 1, "never dropped after %d events" % n
        # What it got is a prefix; it resumes after the last id it read.
        so.settimeout(5)
        data = b""
        while True:
            try:
                chunk = so.recv(65536)
            except socket.timeout:
                break
            data += chunk
            if not chunk or data.endswith(b"\r\n0\r\n\r\n"):
                break  # closed, or the end of the chunked stream
        so.close()
        assert data.endswith(b"\r\n0\r\n\r\n"), data[-200:]
        ids = re.findall(rb"\nid: (\d+-\d+)\n", data)
        assert ids and len(ids) < n, (len(ids), n)
        occ = [int(x) for x in re.findall(rb'"occupied":(\d+)', data)]
        s = Sse(port, "/events?topics=capacity",
                dict(bearer(env, "admin"), **{"Last-Event-ID":
                                              ids[-1].decode()}))
        first = s.event()
        assert first["id"] != ids[-1].decode()
        last_occ = occ[-16]  # the first pool of the last event read
        assert first["data"]["pools"][0]["occupied"] == (last_occ + 1) % 50
        s.close()


def dropped(port):
    h = Http(port)
    try:
        _, data = h.req("GET", "/metrics")
    finally:
        h.close()
    m = re.search(rb"^shelterd_subscribers_dropped_total (\d+)$", data, re.M)
    return int(m.group(1))
