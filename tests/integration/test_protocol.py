"""Framing, envelope and error codes of PROTOCOL.md, over TCP and the Unix
socket."""

import datetime
import json
import os
import random
import ssl
import stat
import tempfile
import time

from harness import (Client, ConnectionClosed, Daemon, Env, Redis,
                     expect_error, make_cert, request, shelter)

PING = b'{"jsonrpc":"2.0","id":%d,"method":"session.ping"}'
# The same framing and envelope rules on both listeners: an unauthenticated
# TCP connection and a Unix socket connection (peer credentials).
TRANSPORTS = ("anon", "unix")


def ping_line(i, end=b"\n"):
    return PING % i + end


def error_of(msg):
    assert "error" in msg, "expected an error response, got %r" % (msg,)
    err = msg["error"]
    return err["code"], (err.get("data") or {}).get("reason"), \
        (err.get("data") or {}).get("field")


def assert_usable(c):
    """The connection still answers a call after an error."""
    assert "time" in c.call("session.ping")


def test_lf_crlf_and_empty_lines():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            # Blanks only (spaces, tabs) count as empty.
            c.send_raw(ping_line(1) + b"\n" + b"\r\n" + ping_line(2, b"\r\n")
                       + b"\n\n   \n\t \r\n" + ping_line(3))
            ids = [c.recv()["id"] for _ in range(3)]
            assert ids == [1, 2, 3], ids
            # Nothing else: the empty lines got no response.
            try:
                extra = c.recv(timeout=0.5)
            except TimeoutError:
                extra = None
            assert extra is None, "empty line answered: %r" % (extra,)


def test_responses_in_request_order():
    with Env(shelters=[shelter("t-order", total=2)]) as env:
        c = env.client("coordinator")
        lines = []
        methods = ["shelter.list", "session.ping", "stats.get", "shelter.get",
                   "request.list", "session.ping", "no.such.method",
                   "shelter.get", "session.ping"]
        for i, m in enumerate(methods, start=100):
            params = {"id": "t-order"} if m == "shelter.get" else {}
            lines.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": m,
                                     "params": params}))
        c.send_raw(("\n".join(lines) + "\n").encode())
        got = [c.recv() for _ in methods]
        assert [m["id"] for m in got] == list(range(100, 100 + len(methods)))
        assert "shelters" in got[0]["result"]
        assert got[6]["error"]["code"] == -32601
        assert got[7]["result"]["shelter"]["id"] == "t-order"


def test_ping_answers_rfc3339_utc_time():
    with Env() as env:
        c = env.client("anon")
        t = c.call("session.ping")["time"]
        assert t.endswith("Z"), t
        parsed = datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        assert abs((parsed - now).total_seconds()) < 5, (t, now)


def test_invalid_json_is_32700_with_null_id_and_connection_stays():
    bad_lines = [
        b'{"jsonrpc":"2.0","id":1,"method":"session.ping"',  # truncated
        b'{"jsonrpc":"2.0","id":2,"method":"session.ping"} x',  # trailing
        b'{"jsonrpc":"2.0","id":3,"method":"session.ping"}{"a":1}',
        b'{"jsonrpc":"2.0","id":"a\\u0000b","method":"session.ping"}',
        b'{"jsonrpc":"2.0","id":5,"method":"session.ping",'
        b'"params":{"x":"\\u0000"}}',
        b"{'jsonrpc':'2.0'}",
        b'{"jsonrpc":"2.0","id":6,"method":"session.\xff\xfe"}',  # not UTF-8
        b"nonsense",
    ]
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            for line in bad_lines:
                c.send_raw(line + b"\n")
                msg = c.recv()
                code, reason, _ = error_of(msg)
                assert code == -32700, (line, msg)
                assert reason == "invalid_json", (line, msg)
                assert msg["id"] is None, (line, msg)
                assert msg["jsonrpc"] == "2.0"
                assert isinstance(msg["error"]["message"], str) \
                    and msg["error"]["message"]
            assert_usable(c)


def nested(depth):
    """A message whose nesting depth is exactly depth (envelope = 1)."""
    inner = "{}"
    for _ in range(depth - 2):
        inner = '{"a":%s}' % inner
    return ('{"jsonrpc":"2.0","id":9,"method":"session.ping","params":%s}'
            % inner).encode()


def test_nesting_32_is_parsed_33_is_too_deep():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            # Depth 32: parsed; ping takes no params, so the unknown "a" is
            # named.
            c.send_raw(nested(32) + b"\n")
            msg = c.recv()
            code, reason, field = error_of(msg)
            assert (code, reason, field) == (-32602, "unknown_field", "a"), \
                msg
            assert msg["id"] == 9
            # Depth 33: a parse error, id null.
            c.send_raw(nested(33) + b"\n")
            msg = c.recv()
            assert error_of(msg)[:2] == (-32700, "too_deep"), msg
            assert msg["id"] is None
            # Arrays count as nesting too.
            arr = b"[" * 40 + b"]" * 40
            c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"session.ping",'
                       b'"params":{"a":' + arr + b"}}\n")
            msg = c.recv()
            assert error_of(msg)[:2] == (-32700, "too_deep"), msg
            assert_usable(c)


def test_batches_are_unsupported():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            for line in [b"[]", b"[" + PING % 1 + b"]", b"[" + PING % 1 + b","
                         + PING % 2 + b"]"]:
                c.send_raw(line + b"\n")
                msg = c.recv()
                assert error_of(msg)[:2] == (-32600, "batch_unsupported"), msg
                assert msg["id"] is None
            # Not executed either: the next response is the next call's.
            assert_usable(c)


def test_non_objects_are_invalid_requests():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            for line in [b'"hello"', b"42", b"null", b"true", b"1.5"]:
                c.send_raw(line + b"\n")
                msg = c.recv()
                assert error_of(msg)[:2] == (-32600, "not_an_object"), \
                    (line, msg)
                assert msg["id"] is None
            assert_usable(c)


def test_bad_envelopes():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            # An id of the wrong type: bad_envelope with id null.
            for idtext in [b"1.5", b"1e3", b"true", b"{}", b"[1]", b"null"]:
                c.send_raw(b'{"jsonrpc":"2.0","id":' + idtext
                           + b',"method":"session.ping"}\n')
                msg = c.recv()
                assert error_of(msg)[:2] == (-32600, "bad_envelope"), \
                    (idtext, msg)
                assert msg["id"] is None, (idtext, msg)
            # A readable id is echoed.
            for env_obj in [
                {"id": 7, "method": "session.ping"},  # no jsonrpc
                {"jsonrpc": "1.0", "id": 7, "method": "session.ping"},
                {"jsonrpc": "2.0", "id": 7},  # no method
                {"jsonrpc": "2.0", "id": 7, "method": 5},
            ]:
                c.request(env_obj)
                msg = c.recv()
                assert error_of(msg)[:2] == (-32600, "bad_envelope"), (env_obj,
                                                                       msg)
                assert msg["id"] == 7, (env_obj, msg)
            # String ids are echoed as strings, big integers exactly.
            assert c.call_raw("session.ping", id="abc-1")["id"] == "abc-1"
            assert c.call_raw("session.ping", id=2**53 + 1)["id"] == 2**53 + 1
            assert c.call_raw("session.ping", id=0)["id"] == 0
            assert c.call_raw("session.ping", id=-3)["id"] == -3
            assert_usable(c)


def test_params_must_be_an_object():
    with Env() as env:
        c = env.client("coordinator")
        for params in [None, [], ["x"], "x", 3]:
            c.request({"jsonrpc": "2.0", "id": 11, "method": "stats.get",
                       "params": params})
            msg = c.recv()
            assert error_of(msg) == (-32602, "invalid_field", "params"), (
                params, msg)
            assert msg["id"] == 11
        # Absent params means {}.
        c.request({"jsonrpc": "2.0", "id": 12, "method": "stats.get"})
        assert "result" in c.recv()


def test_unknown_method_before_and_after_auth():
    with Env() as env:
        c = env.client("anon")
        e = expect_error(lambda: c.call("shelter.fly", id="m1"), -32601,
                         "unknown_method")
        assert e.id == "m1"
        assert e.message == 'unknown method "shelter.fly"', e.message
        # -32601 comes before auth: an unknown method is not auth_required.
        c.call("session.auth", {"token": env.daemon.tokens["admin"]})
        expect_error(lambda: c.call("shelter.fly"), -32601, "unknown_method")
        expect_error(lambda: c.call(""), -32601, "unknown_method")
        # The name as sent, readable; a long one cut on a character.
        e = expect_error(lambda: c.call("sessi\u00f6n.ping"), -32601,
                         "unknown_method")
        assert e.message == 'unknown method "sessi\u00f6n.ping"', e.message
        e = expect_error(lambda: c.call("x" * 63 + "\u00f6" * 10), -32601,
                         "unknown_method")
        assert e.message == 'unknown method "%s..."' % ("x" * 63), e.message


def test_duplicate_keys_are_refused_with_their_path():
    with Env(shelters=[shelter("t-dup", total=3)]) as env:
        c = env.client("coordinator")
        # In the envelope.
        c.send_raw(b'{"jsonrpc":"2.0","id":1,"id":2,"method":"session.ping"}'
                   b"\n")
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "id"), msg
        # A plain param.
        c.send_raw(b'{"jsonrpc":"2.0","id":3,"method":"shelter.get",'
                   b'"params":{"id":"t-dup","id":"t-dup"}}\n')
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "id"), msg
        assert msg["id"] == 3
        # Deep inside the request object: relative to the request.
        c.send_raw(b'{"jsonrpc":"2.0","id":4,"method":"request.submit",'
                   b'"params":{"request":{"ref":"DUP-1","person":{"gender":'
                   b'"f","age":30,"age":31},"residence":"reflection"}}}\n')
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "person.age"), msg
        assert msg["id"] == 4
        # Every invalid params error lists its problem(s) in data.errors.
        assert msg["error"]["data"]["errors"] == [{
            "field": "person.age", "reason": "duplicate_key",
            "message": msg["error"]["message"]}], msg
        c.send_raw(b'{"jsonrpc":"2.0","id":5,"method":"match.preview",'
                   b'"params":{"request":{"ref":"DUP-2","person":{"gender":'
                   b'"f","age":30},"children":[{"age":3},{"age":4,"age":5}]}}}'
                   b"\n")
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "children.1.age"), \
            msg
        # The same key spelled with an escape is the same key.
        c.send_raw(b'{"jsonrpc":"2.0","id":6,"method":"request.submit",'
                   b'"params":{"request":{"ref":"DUP-3","person":{"gender":'
                   b'"f","age":30,"\\u0061ge":31},"residence":"reflection"}}}'
                   b"\n")
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "person.age"), msg
        assert msg["id"] == 6
        # Nothing was stored by the refused submit.
        assert c.call("request.list")["requests"] == []


def test_numbers_out_of_range_are_named_with_their_path():
    # Valid JSON that Jansson cannot hold (beyond 64 bits, beyond double):
    # invalid params naming the field, the id echoed, nothing stored.
    with Env(shelters=[shelter("t-big", total=3)]) as env:
        c = env.client("coordinator")
        for n, (age, child) in enumerate((
                (b"99999999999999999999", b"3"), (b"30", b"-1e400"),
                (b"1E999", b"3"))):
            c.send_raw(b'{"jsonrpc":"2.0","id":%d,"method":"request.submit",'
                       b'"params":{"request":{"ref":"BIG-%d","person":{'
                       b'"gender":"f","age":%s},"children":[{"age":2},'
                       b'{"age":%s}],"residence":"reflection"}}}\n'
                       % (n + 1, n, age, child))
            msg = c.recv()
            field = "children.1.age" if child != b"3" else "person.age"
            assert error_of(msg) == (-32602, "invalid_field", field), msg
            assert msg["id"] == n + 1, msg
            assert msg["error"]["message"] == field + \
                ": number out of range", msg
        # An id beyond 64 bits is no id.
        c.send_raw(b'{"jsonrpc":"2.0","id":18446744073709551616,'
                   b'"method":"session.ping"}\n')
        msg = c.recv()
        assert error_of(msg)[:2] == (-32600, "bad_envelope"), msg
        assert msg["id"] is None, msg
        # The params check keeps its place: auth first.
        a = env.client("anon")
        a.send_raw(b'{"jsonrpc":"2.0","id":"x","method":"shelter.get",'
                   b'"params":{"id":1e400}}\n')
        msg = a.recv()
        assert error_of(msg)[:2] == (-32001, "auth_required"), msg
        assert_usable(c)
        assert c.call("request.list")["requests"] == []


def test_notifications_get_no_response_but_run():
    with Env(shelters=[shelter("t-note", total=3)]) as env:
        c = env.client("admin")
        c.notify("session.ping")
        c.notify("no.such.method")
        c.notify("shelter.intake", {"id": "t-note", "open": False,
                                    "reason": "renovation"})
        # A duplicate key makes a notification's params invalid, in the
        # envelope as inside params: still no response.
        c.send_raw(b'{"jsonrpc":"2.0","method":"session.ping",'
                   b'"method":"session.ping"}\n')
        c.send_raw(b'{"jsonrpc":"2.0","method":"session.ping",'
                   b'"params":{"a":1,"a":2}}\n')
        # The next line on the wire is the response to this call.
        msg = c.call_raw("shelter.get", {"id": "t-note"}, id="after")
        assert msg["id"] == "after", msg
        assert msg["result"]["shelter"]["intake"]["open"] is False


def test_checks_run_in_documented_order():
    with Env() as env:
        c = env.client("anon")
        # Unknown method before auth: -32601, not -32001.
        expect_error(lambda: c.call("nope"), -32601)
        # Auth before role and params: a bad call is still auth_required.
        expect_error(lambda: c.call("shelter.put", {"bogus": 1}), -32001,
                     "auth_required")
        c2 = env.client("service")
        # Role before params.
        expect_error(lambda: c2.call("shelter.put", {"bogus": 1}), -32003,
                     "role")
        # Params before state: an unknown request with a bad param.
        c3 = env.client("coordinator")
        e = expect_error(lambda: c3.call("request.get", {"id": 5}), -32602,
                         "invalid_field", "id")
        assert e.data["errors"] == [{"field": "id",
                                     "reason": "invalid_field",
                                     "message": e.message}], e.data
        expect_error(lambda: c3.call("request.get", {"id": "req-999"}),
                     -32004, "request")


def test_error_message_names_the_field():
    with Env(shelters=[shelter("t-msg", total=3)]) as env:
        c = env.client("coordinator")
        e = expect_error(lambda: c.call("request.submit", {
            "request": request("MSG-1", age=121)}), -32602, "invalid_field",
            "person.age")
        assert "person.age" in e.message, e.message
        assert "\n" not in e.message


def test_same_protocol_on_the_unix_socket():
    with Env(shelters=[shelter("t-unix", total=3)]) as env:
        c = env.client("unix")
        # Peer credentials: admin without session.auth.
        assert c.call("shelter.get", {"id": "t-unix"})["shelter"]["id"] == \
            "t-unix"
        c.send_raw(b"{oops\n[]\n\r\n" + ping_line(4, b"\r\n"))
        m1, m2, m3 = c.recv(), c.recv(), c.recv()
        assert error_of(m1)[:2] == (-32700, "invalid_json")
        assert error_of(m2)[:2] == (-32600, "batch_unsupported")
        assert m3["id"] == 4 and "time" in m3["result"]
        expect_error(lambda: c.call("shelter.fly"), -32601, "unknown_method")
        stats = c.call("stats.get")
        assert stats["shelters"] == 1


def test_unix_socket_mode_follows_config():
    with Env() as env:
        mode = stat.S_IMODE(os.stat(env.daemon.unix_path).st_mode)
        assert mode == 0o600, oct(mode)


def test_lines_split_across_writes():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            data = ping_line(1) + ping_line(2, b"\r\n")
            for i in range(0, len(data), 7):
                c.send_raw(data[i:i + 7])
                time.sleep(0.01)
            assert [c.recv()["id"], c.recv()["id"]] == [1, 2]
            # A \r\n split between two writes.
            c.send_raw(ping_line(3, b"\r"))
            time.sleep(0.05)
            c.send_raw(b"\n")
            assert c.recv()["id"] == 3


def test_duplicate_key_inside_an_array_element():
    with Env() as env:
        c = env.client("admin")
        s = json.dumps({"shelter": shelter("t-dupe", total=1)})
        # Repeat the first pool's "name" key.
        s = s.replace('"name": "main"', '"name": "main", "name": "other"', 1)
        c.send_raw(('{"jsonrpc":"2.0","id":1,"method":"shelter.put",'
                    '"params":%s}\n' % s).encode())
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "pools.0.name"), \
            msg
        expect_error(lambda: c.call("shelter.get", {"id": "t-dupe"}),
                     -32004, "shelter")


def test_half_closed_client_still_gets_its_responses():
    with Env() as env:
        c = env.client("anon")
        c.send_raw(ping_line(1) + ping_line(2))
        c.sock.shutdown(2 - 1)  # SHUT_WR: we are done writing
        assert [c.recv()["id"], c.recv()["id"]] == [1, 2]
        assert c.is_closed(3)


def test_many_pipelined_lines_come_back_complete_and_in_order():
    with Env() as env:
        c = env.client("admin")
        n = 2000
        c.send_raw(b"".join(ping_line(i) for i in range(n)))
        ids = [c.recv(10)["id"] for _ in range(n)]
        assert ids == list(range(n))


def test_garbage_does_not_hurt_the_daemon():
    rnd = random.Random(1234)
    with Env() as env:
        c = env.client("anon")
        lines = []
        for _ in range(300):
            n = rnd.randrange(1, 200)
            line = bytes(rnd.randrange(0, 256) for _ in range(n))
            lines.append(line.replace(b"\n", b" ").replace(b"\r", b" ")
                         .strip() or b"x")
        c.send_raw(b"\n".join(lines) + b"\n")
        for _ in lines:
            msg = c.recv(10)
            assert msg["id"] is None and "error" in msg, msg
        assert_usable(c)
        assert env.daemon.running()


def test_clients_vanishing_mid_call_do_not_hurt():
    with Env(shelters=[shelter("t-vanish", total=5)]) as env:
        for i in range(30):
            c = env.client("coordinator")
            c.request({"jsonrpc": "2.0", "id": 1, "method": "request.submit",
                       "params": {"request": request("GONE-%02d" % i)}})
            c.close()
        admin = env.client("admin")
        time.sleep(0.5)
        assert env.daemon.running()
        reqs = admin.call("request.list", {"limit": 500})["requests"]
        doc = admin.call("shelter.get", {"id": "t-vanish"})["shelter"]
        p = doc["pools"][0]
        proposed = sum(1 for r in reqs if r["status"] == "proposed")
        assert p["held"] == proposed <= 5, (p, proposed)
        # A retried submit is answered consistently.
        r = admin.call("request.submit", {"request": request("GONE-00")})
        assert r["duplicate"] is (any(x["ref"] == "GONE-00" for x in reqs))


def test_nul_byte_in_a_line_is_a_parse_error_and_hurts_nobody():
    with Env() as env:
        for transport in TRANSPORTS:
            c = env.client(transport)
            c.send_raw(b"abc\x00def\n")
            other = env.client("anon")
            # Another client is still served...
            assert "time" in other.call("session.ping", timeout=3)
            # ...and the sender gets -32700 and keeps its connection.
            msg = c.recv(3)
            assert error_of(msg)[:2] == (-32700, "invalid_json"), msg
            assert msg["id"] is None
            c.send_raw(ping_line(7)[:-2] + b"}\x00\n")
            msg = c.recv(3)
            assert error_of(msg)[0] == -32700, msg
            assert_usable(c)


def test_hostile_values_are_refused_not_crashed_on():
    with Env(shelters=[shelter("t-hostile", total=2)]) as env:
        c = env.client("admin")
        cases = [
            ("shelter.put", {"shelter": shelter("t-h1", pools=[
                {"name": "p%02d" % i, "genders": ["f"], "total": 1}
                for i in range(17)])}),
            ("shelter.put", {"shelter": shelter(
                "t-h2", total=1, languages=["a%s" % chr(97 + i)
                                            for i in range(20)])}),
            ("shelter.put", {"shelter": shelter(
                "t-h3", total=1, location={"municipality": "x" * 5000})}),
            ("shelter.put", {"shelter": shelter("x" * 64, total=1)}),
            ("request.submit", {"request": request(
                "H-1", person={"gender": "f", "age": 2**40})}),
            ("request.submit", {"request": request(
                "H-2", children=[{"age": 1}] * 50)}),
            ("request.submit", {"request": request("H" * 65)}),
            ("request.submit", {"request": request(
                "H-3", safety={"min_distance_km": -5})}),
            ("request.submit", {"request": request(
                "H-4", safety={"case": "x" * 200})}),
            ("shelter.capacity", {"id": "t-hostile",
                                  "pools": {"main": {"total": 10**12}}}),
        ]
        for method, params in cases:
            e = expect_error(lambda: c.call(method, params), -32602)
            assert e.field, e
        # An integer beyond 64 bits: refused as a parse error (the JSON
        # parser's limit) or as an invalid field, never taken.
        c.send_raw(json.dumps({"jsonrpc": "2.0", "id": 99,
                               "method": "request.submit", "params": {
                                   "request": request("H-9", age=10**20)}})
                   .encode() + b"\n")
        msg = c.recv()
        assert error_of(msg)[0] in (-32700, -32602), msg
        # A lone surrogate is not valid JSON text.
        c.send_raw(b'{"jsonrpc":"2.0","id":"\\ud800","method":"session.ping"}'
                   b"\n")
        msg = c.recv()
        assert error_of(msg)[0] == -32700, msg
        assert c.call("request.list")["requests"] == []
        assert [s["id"] for s in c.call("shelter.list")["shelters"]] == [
            "t-hostile"]
        assert env.daemon.running()


def test_tls_on_tcp_with_and_without_client_certificates():
    with tempfile.TemporaryDirectory(prefix="shd-tls-") as tmp:
        cert, key = make_cert(tmp, "server")
        ccert, ckey = make_cert(tmp, "client")
        ctx = ssl.create_default_context(cafile=cert)
        with Redis() as r:
            with Daemon(r, listen={"tls": {"cert": cert, "key": key}},
                        tls=ctx) as d:
                c = d.client("coordinator")
                assert "time" in c.call("session.ping")
                assert c.call("stats.get")["shelters"] == 0
                c.close()
                # Plain text on the TLS port gets no JSON-RPC answer.
                plain = Client(d.tcp_port, timeout=2)
                plain.send_raw(ping_line(1))
                try:
                    line = plain.recv_line(2)
                except (ConnectionClosed, TimeoutError, OSError):
                    line = None
                assert line is None or not line.startswith(b"{"), line
                plain.close()
            # Client certificates required.
            mtls = {"cert": cert, "key": key, "client_ca": ccert}
            with_cert = ssl.create_default_context(cafile=cert)
            with_cert.load_cert_chain(ccert, ckey)
            with Daemon(r, listen={"tls": mtls}, tls=with_cert) as d:
                c = d.client("coordinator")
                assert "time" in c.call("session.ping")
                c.close()
                try:
                    nocert = Client(d.tcp_port, timeout=3, tls=ctx)
                    nocert.call("session.ping", timeout=3)
                    outcome = "served"
                    nocert.close()
                except TimeoutError:
                    outcome = "left hanging"
                except (OSError, ConnectionClosed):
                    outcome = "refused"
                assert outcome == "refused", \
                    "a TLS client without a certificate was " + outcome


def test_empty_key_in_params_names_its_object():
    with Env() as env:
        c = env.client("coordinator")
        for params in ({"": 1}, {"topics": ["capacity"], "": 1}):
            c.request({"jsonrpc": "2.0", "id": 3,
                       "method": "session.subscribe", "params": params})
            msg = c.recv()
            assert error_of(msg) == (-32602, "unknown_field", "params."), msg
            assert "empty key" in msg["error"]["message"], msg
        # The empty key twice: a duplicate, named the same way.
        c.send_raw(b'{"jsonrpc":"2.0","id":4,"method":"session.ping",'
                   b'"params":{"":1,"":2}}\n')
        msg = c.recv()
        assert error_of(msg) == (-32602, "duplicate_key", "params."), msg
        assert msg["error"]["message"] == "params.: duplicate key", msg


def test_tls_refuses_cbc_sha1_and_stalled_handshakes():
    with tempfile.TemporaryDirectory(prefix="shd-tls-") as tmp:
        cert, key = make_cert(tmp, "server")
        ctx = ssl.create_default_context(cafile=cert)
        with Redis() as r:
            with Daemon(r, listen={"tls": {"cert": cert, "key": key}},
                        limits={"handshake_timeout_s": 1}, tls=ctx) as d:
                old = ssl.create_default_context(cafile=cert)
                old.maximum_version = ssl.TLSVersion.TLSv1_2
                old.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
                                "AES128-SHA:@SECLEVEL=0")
                try:
                    Client(d.tcp_port, timeout=3, tls=old).close()
                    accepted = True
                except (ssl.SSLError, OSError):
                    accepted = False
                assert not accepted, "a CBC/SHA-1 suite was accepted"
                # TLS 1.2 with an AEAD suite still works.
                good = ssl.create_default_context(cafile=cert)
                good.maximum_version = ssl.TLSVersion.TLSv1_2
                c = Client(d.tcp_port, timeout=3, tls=good)
                assert "time" in c.call("session.ping")
                c.close()
                # A peer that never starts the handshake is closed.
                stalled = Client(d.tcp_port, timeout=5)
                assert stalled.is_closed(4), "stalled handshake kept open"
                assert "reason=handshake_timeout" in d.log_text()
