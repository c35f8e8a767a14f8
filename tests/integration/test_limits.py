"""limits.*: max_line_bytes, max_clients, rate_per_s, output_buffer_bytes."""

import json
import os
import threading
import time

from harness import (Skip, DEFAULT_SHELTER_ID, Client, ConnectionClosed, Env,
                     expect_error, pool, request, shelter, wait_until)


def ping_with_id_of_length(n):
    """A session.ping line of exactly n bytes (without the newline)."""
    base = '{"jsonrpc":"2.0","id":"","method":"session.ping"}'
    pad = n - len(base)
    assert pad > 0
    line = '{"jsonrpc":"2.0","id":"%s","method":"session.ping"}' % ("i" * pad)
    assert len(line) == n
    return line.encode(), "i" * pad


def test_line_too_long_gets_one_error_then_close():
    with Env(limits={"max_line_bytes": 1024}) as env:
        # Exactly the limit is fine.
        c = env.client("anon")
        line, idv = ping_with_id_of_length(1024)
        c.send_raw(line + b"\n")
        assert c.recv()["id"] == idv
        # One byte more: one error, then the connection is closed, and the
        # call pipelined behind it is not answered.
        line, _ = ping_with_id_of_length(1025)
        c.send_raw(line + b"\n" + b'{"jsonrpc":"2.0","id":2,'
                   b'"method":"session.ping"}\n')
        msg = c.recv()
        assert msg["id"] is None
        assert msg["error"]["code"] == -32600
        assert msg["error"]["data"]["reason"] == "line_too_long"
        assert c.is_closed(3), "connection not closed after line_too_long"
        # A long line that never ends is cut off as well.
        c2 = env.client("anon")
        c2.send_raw(b'{"jsonrpc":"2.0","id":"' + b"x" * 5000)
        msg = c2.recv(timeout=3)
        assert msg["error"]["data"]["reason"] == "line_too_long", msg
        assert c2.is_closed(3)
        # Others are unaffected.
        assert "time" in env.client("anon").call("session.ping")


def test_max_clients_refuses_extra_connection_politely():
    with Env(limits={"max_clients": 3}) as env:
        port = env.daemon.tcp_port
        held = []

        def connect_one():
            c = Client(port, timeout=2)
            try:
                c.call("session.ping")
            except Exception:
                c.close()
                raise
            held.append(c)
            return True

        for _ in range(3):
            wait_until(connect_one, 5, 0.1, "a connection under max_clients")
        extra = Client(port, timeout=3)
        lines = []
        try:
            extra.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"session.ping"}'
                           b"\n")
            while True:
                lines.append(extra.recv_line(3))
        except ConnectionClosed:
            pass
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert len(lines) <= 1, lines
        for line in lines:
            # Politely: one error saying the daemon is unavailable (retry
            # later), not a bare reset.
            msg = json.loads(line)
            assert msg["id"] is None, msg
            assert msg["error"]["code"] == -32010, msg
        assert not any(json.loads(l).get("id") == 1 and "result" in
                       json.loads(l) for l in lines)
        extra.close()
        # The daemon is fine and counts the refusal.
        assert "time" in held[0].call("session.ping")
        held.pop().close()
        wait_until(connect_one, 5, 0.1, "a connection after one closed")
        for c in held:
            c.close()


def test_rate_limit_refuses_and_does_not_execute():
    seed = [shelter(DEFAULT_SHELTER_ID, total=100)]
    with Env(shelters=seed, limits={"rate_per_s": 5}) as env:
        c = env.client("coordinator")
        time.sleep(1.2)  # the bucket is full again (burst 5)
        n = 20
        lines = []
        for i in range(n):
            lines.append(json.dumps({
                "jsonrpc": "2.0", "id": i, "method": "request.submit",
                "params": {"request": request("RATE-%02d" % i)}}))
        c.send_raw(("\n".join(lines) + "\n").encode())
        responses = [c.recv(10) for _ in range(n)]
        assert [r["id"] for r in responses] == list(range(n)), \
            "responses out of order or ids not echoed"
        ok = [r["id"] for r in responses if "result" in r]
        limited = [r for r in responses if "error" in r]
        assert len(ok) >= 5, "the burst of rate_per_s was not honoured"
        assert len(limited) >= 1, "nothing was rate limited"
        for r in limited:
            assert r["error"]["code"] == -32029, r
            assert r["error"]["data"]["reason"] == "rate_limited", r
        # Refused lines were not executed.
        time.sleep(1.2)
        admin = env.client("unix")
        refs = sorted(r["ref"] for r in admin.call("request.list", {
            "limit": 500})["requests"])
        assert refs == sorted("RATE-%02d" % i for i in ok), refs
        # Notifications and malformed lines count too.
        time.sleep(1.2)
        c.send_raw(b'{"jsonrpc":"2.0","method":"session.ping"}\n' * 3
                   + b"garbage\n" * 3
                   + b'{"jsonrpc":"2.0","id":"last","method":"session.ping"}'
                   b"\n")
        msgs = []
        while True:
            m = c.recv(5)
            msgs.append(m)
            if m.get("id") == "last":
                break
        assert msgs[-1].get("error", {}).get("code") == -32029, msgs[-1]
        # And the bucket refills.
        time.sleep(1.2)
        assert "time" in c.call("session.ping")


def test_slow_subscriber_is_dropped_and_resumes_with_since():
    pools = [pool("pool-%02d-with-a-rather-long-name" % i, total=50)
             for i in range(16)]
    seed = [shelter(DEFAULT_SHELTER_ID, pools=pools)]
    with Env(shelters=seed, limits={"output_buffer_bytes": 65536}) as env:
        slow_client = Client(env.daemon.unix_path, rcvbuf=4096)
        first = slow_client.call("session.subscribe",
                                 {"topics": ["capacity"]})
        assert "last_id" in first
        # Lots of capacity events while the subscriber does not read.
        w = env.client("admin")
        name = pools[0]["name"]
        updates = 1500
        batch = 50
        for start in range(0, updates, batch):
            lines = []
            for i in range(start, start + batch):
                lines.append(json.dumps({
                    "jsonrpc": "2.0", "id": i, "method": "shelter.capacity",
                    "params": {"id": DEFAULT_SHELTER_ID,
                               "pools": {name: {"occupied": i % 50}}}}))
            w.send_raw(("\n".join(lines) + "\n").encode())
            for i in range(start, start + batch):
                assert "result" in w.recv(10)
        final_version = w.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["version"]
        # The daemon stayed responsive and dropped the slow subscriber: it
        # reads what was flushed, then the end of the connection.
        got = []
        closed = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                got.append(slow_client.event(3))
            except ConnectionClosed:
                closed = True
                break
        assert closed, \
            "slow subscriber was not disconnected (%d events read)" % len(got)
        assert len(got) < updates, "nothing was dropped"
        slow_client.close()
        # It resumes with since and loses nothing. The replay may itself
        # overflow the small buffer: then resume again from the last event
        # received, as a client would, as long as each attempt makes
        # progress.
        since = got[-1]["id"] if got else first["last_id"]
        rest = []
        attempts = 0
        deadline = time.monotonic() + 30
        while not rest or rest[-1]["data"]["version"] < final_version:
            attempts += 1
            assert time.monotonic() < deadline, \
                "resume does not catch up (%d attempts)" % attempts
            again = Client(env.daemon.unix_path)
            try:
                again.call("session.subscribe", {"topics": ["capacity"],
                                                 "since": since})
                n_before = len(rest)
                while True:
                    ev = again.event(5)
                    rest.append(ev)
                    if ev["data"]["version"] >= final_version:
                        break
            except ConnectionClosed:
                assert len(rest) > n_before, "a resume made no progress"
            finally:
                again.close()
            since = rest[-1]["id"] if rest else since
        versions = [e["data"]["version"] for e in got + rest
                    if e["type"] == "capacity.changed"]
        assert versions == list(range(versions[0], final_version + 1)), \
            "events lost or repeated across the drop"
        assert versions[-1] == final_version


def flood_capacity(client, shelter_id, pool_name, n, batch=50):
    """n shelter.capacity calls, pipelined in batches."""
    for start in range(0, n, batch):
        lines = []
        for i in range(start, min(n, start + batch)):
            lines.append(json.dumps({
                "jsonrpc": "2.0", "id": i, "method": "shelter.capacity",
                "params": {"id": shelter_id,
                           "pools": {pool_name: {"occupied": i % 50}}}}))
        client.send_raw(("\n".join(lines) + "\n").encode())
        for _ in lines:
            assert "result" in client.recv(10)


def test_replay_larger_than_output_buffer_reaches_a_prompt_reader():
    """A subscriber that reads promptly is not dropped while its `since`
    backlog is replayed, even when the backlog is larger than
    output_buffer_bytes."""
    pools = [pool("pool-%02d-with-a-rather-long-name" % i, total=50)
             for i in range(16)]
    seed = [shelter(DEFAULT_SHELTER_ID, pools=pools)]
    with Env(shelters=seed, limits={"output_buffer_bytes": 65536}) as env:
        admin = env.client("admin")
        mark = admin.call("session.subscribe", {"topics": ["capacity"]})[
            "last_id"]
        admin.call("session.unsubscribe", {"topics": ["capacity"]})
        flood_capacity(admin, DEFAULT_SHELTER_ID, pools[0]["name"], 300)
        final_version = admin.call("shelter.get", {
            "id": DEFAULT_SHELTER_ID})["shelter"]["version"]
        reader = env.client("unix")
        reader.call("session.subscribe", {"topics": ["capacity"],
                                          "since": mark})
        versions = []
        try:
            while not versions or versions[-1] < final_version:
                versions.append(reader.event(5)["data"]["version"])
        except ConnectionClosed:
            raise AssertionError(
                "prompt reader dropped during the replay after %d of 300 "
                "events" % len(versions))
        assert versions == list(range(versions[0], final_version + 1))


def test_refused_lines_cost_no_token():
    with Env(limits={"rate_per_s": 5}) as env:
        c = env.client("anon")
        # Empty the bucket and keep hammering: every extra line is refused.
        c.send_raw(b'{"jsonrpc":"2.0","method":"session.ping"}\n' * 5
                   + b'{"jsonrpc":"2.0","id":"x","method":"session.ping"}\n'
                   * 100)
        limited = 0
        for _ in range(100):
            m = c.recv(5)
            if "error" in m:
                assert m["error"]["code"] == -32029, m
                limited += 1
        assert limited >= 90, limited
        # 1.2 s later at 5/s there are tokens for 4 calls, however many
        # lines were refused before.
        time.sleep(1.2)
        for _ in range(4):
            assert "time" in c.call("session.ping")


def test_rate_below_one_a_second_still_lets_lines_through():
    # rate_per_s 0.5: one line at once, the next after 2 s (the burst is
    # at least one token), not every line refused for ever.
    with Env(limits={"rate_per_s": 0.5}) as env:
        c = env.client("anon")
        assert "time" in c.call("session.ping")
        expect_error(lambda: c.call("session.ping"), -32029, "rate_limited")
        time.sleep(2.2)
        assert "time" in c.call("session.ping")


def test_reader_that_pauses_gets_every_response_in_order():
    """Backpressure: a client that sends a lot and reads late is paused,
    not dropped, and then gets every response in order."""
    with Env(limits={"output_buffer_bytes": 65536}) as env:
        c = Client(env.daemon.tcp_port, timeout=10, rcvbuf=4096)
        n = 20000
        data = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"session.ping"}\n'
                        % i for i in range(n))
        # Send from a thread: the daemon stops reading us while we do not
        # read, so a blocking send would otherwise wait forever.
        sender = threading.Thread(target=c.send_raw, args=(data,))
        sender.start()
        time.sleep(1.0)
        ids = [c.recv(10)["id"] for _ in range(n)]
        sender.join(10)
        assert ids == list(range(n))
        assert "time" in c.call("session.ping")
        c.close()


def test_line_of_exactly_the_limit_with_crlf_split_across_writes():
    with Env(limits={"max_line_bytes": 1024}) as env:
        c = env.client("anon")
        line, idv = ping_with_id_of_length(1024)
        c.send_raw(line + b"\r")
        time.sleep(0.2)
        c.send_raw(b"\n")
        assert c.recv()["id"] == idv
        line, idv = ping_with_id_of_length(1023)
        c.send_raw(line)
        time.sleep(0.2)
        c.send_raw(b"\r\n")
        assert c.recv()["id"] == idv


def test_limits_apply_on_the_unix_socket_too():
    with Env(limits={"max_line_bytes": 1024, "rate_per_s": 5}) as env:
        u = env.client("unix")
        time.sleep(1.2)
        u.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"stats.get"}\n' * 12)
        codes = [u.recv(5).get("error", {}).get("code") for _ in range(12)]
        assert codes.count(None) >= 5 and -32029 in codes, codes
        line, _ = ping_with_id_of_length(1500)
        u2 = env.client("unix")
        u2.send_raw(line + b"\n")
        msg = u2.recv(3)
        assert msg["error"]["data"]["reason"] == "line_too_long", msg
        assert u2.is_closed(3)


def test_a_refused_notification_gets_no_response():
    """JSON-RPC 2.0: the server must not reply to a notification, and
    PROTOCOL.md: a notification gets no response. That holds when it is
    rate limited too."""
    with Env(limits={"rate_per_s": 5}) as env:
        c = env.client("anon")
        time.sleep(1.2)
        c.send_raw(b"".join(ping_line_with_id(i) for i in range(5))
                   + b'{"jsonrpc":"2.0","method":"session.ping"}\n' * 5
                   + b'{"jsonrpc":"2.0","method":"session.ping",'
                     b'"method":"session.ping"}\n' * 2)
        got = [c.recv(5) for _ in range(5)]
        assert [m.get("id") for m in got] == list(range(5)), got
        time.sleep(1.2)
        m = c.call_raw("session.ping", id="after")
        assert m["id"] == "after", "an answer to a notification: %r" % (m,)


def ping_line_with_id(i):
    return b'{"jsonrpc":"2.0","id":%d,"method":"session.ping"}\n' % i


def closed_with(c, reason, timeout):
    """The connection gets one error line with this reason, then EOF."""
    msg = json.loads(c.recv_line(timeout))
    assert msg["id"] is None and msg["error"]["data"]["reason"] == reason, msg
    assert c.is_closed(3), "still open after %s" % reason
    return msg


def test_idle_tcp_connections_cannot_lock_out_the_unix_socket():
    # TCP clients that send nothing use up max_clients; the operators' Unix
    # socket has a budget of its own.
    with Env(limits={"max_clients": 20, "max_unix_clients": 4}) as env:
        idle = [Client(env.daemon.tcp_port, timeout=3) for _ in range(30)]
        try:
            wait_until(lambda: env.client("unix").call("stats.get")[
                "connections"] >= 21, 5, 0.1, "idle TCP connections counted")
            admin = env.client("unix")
            assert admin.call("stats.get")["shelters"] >= 0
            # Unix connections are capped by their own budget.
            more = [env.client("unix") for _ in range(3)]
            extra = Client(env.daemon.unix_path, timeout=3)
            msg = json.loads(extra.recv_line(3))
            assert msg["error"]["data"]["reason"] == "too_many_clients", msg
            for c in more + [extra, admin]:
                c.close()
        finally:
            for c in idle:
                c.close()


def test_auth_timeout_closes_a_silent_connection():
    with Env(limits={"auth_timeout_s": 1}) as env:
        silent = Client(env.daemon.tcp_port, timeout=5)
        msg = closed_with(silent, "auth_timeout", 5)
        assert msg["error"]["code"] == -32001, msg
        # Talking without authenticating does not extend it.
        chatty = Client(env.daemon.tcp_port, timeout=5)
        for _ in range(3):
            assert "time" in chatty.call("session.ping")
            time.sleep(0.4)
        closed_with(chatty, "auth_timeout", 5)
        # The Unix peer mapping authenticates: no auth timeout.
        unix = env.client("unix")
        time.sleep(1.5)
        assert "time" in unix.call("session.ping")


def test_a_revoked_token_gets_auth_required_then_a_fresh_auth_timeout():
    with Env(limits={"auth_timeout_s": 2}) as env:
        d = env.daemon
        gone = env.client("coordinator")
        time.sleep(2.5)  # older than auth_timeout_s, authenticated
        assert "time" in gone.call("session.ping")
        d.config["auth"]["tokens"] = [t for t in d.config["auth"]["tokens"]
                                      if t["name"] != "t-coordinator"]
        d.reload()
        # Still open: its next call is refused, not the connection.
        expect_error(lambda: gone.call("request.list"), -32001,
                     "auth_required")
        # auth_timeout_s counts from the revocation.
        closed_with(gone, "auth_timeout", 5)


def test_idle_timeout_spares_subscribers():
    with Env(limits={"idle_timeout_s": 1, "auth_timeout_s": 1}) as env:
        idle = env.client("coordinator")
        sub = env.client("coordinator")
        sub.call("session.subscribe", {"topics": ["capacity"]})
        closed_with(idle, "idle_timeout", 5)
        time.sleep(1.5)
        assert "time" in sub.call("session.ping")
        # Unsubscribed, it is idle like any other.
        sub.call("session.unsubscribe", {"topics": ["capacity"]})
        closed_with(sub, "idle_timeout", 5)


def no_wrapper():
    """Descriptor limits mean nothing under valgrind, which keeps
    descriptors of its own below the hard limit."""
    if os.environ.get("SHELTERD_WRAPPER"):
        raise Skip("descriptor limits are not testable under a wrapper")


def test_open_files_limit_is_raised_or_refused():
    no_wrapper()
    with Env(start=False, limits={"max_clients": 1024}) as env:
        d = env.daemon
        # A hard limit below the budgets: refuse, clearly.
        d.nofile = (256, 256)
        d.spawn()
        assert d.wait_exit(10) == 1
        assert "need 1152 open files, but the hard limit is 256" in \
            d.log_text(), d.log_text()
        # A low soft limit under a high enough hard one: raised.
        d.nofile = (256, 4096)
        d.start()
        assert "open-files limit raised from 256 to 1152" in d.log_text()
        assert "time" in d.client("unix").call("session.ping")


def test_out_of_descriptors_pauses_accepting_instead_of_spinning():
    no_wrapper()
    # The descriptors fit the budgets exactly; refused connections still
    # take one each while they are answered, so a flood runs out.
    limits = {"max_clients": 4, "max_unix_clients": 2}
    with Env(start=False, limits=limits, nofile=(70, 70)) as env:
        d = env.daemon
        d.start()
        flood = []
        try:
            for _ in range(150):
                try:
                    flood.append(Client(d.tcp_port, timeout=3))
                except OSError:
                    break
            wait_until(lambda: "not accepting for" in d.log_text(), 5, 0.1,
                       "the pause logged")
            time.sleep(1)
            text = d.log_text()
            assert text.count("not accepting for") == 1, text[-2000:]
            assert "Too many open files" not in text.replace(
                "accept: Too many open files; not accepting", ""), \
                text[-2000:]
        finally:
            for c in flood:
                c.close()
        wait_until(lambda: "time" in d.client("unix").call("session.ping"),
                   10, 0.2, "accepting again once descriptors are free")
