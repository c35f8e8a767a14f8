"""The test clock: with debug.clock, debug.advance moves every time-based
rule of the daemon and of the store's functions together; without it the
debug methods do not exist."""

import subprocess

from harness import (DEFAULT_SHELTER_ID, Daemon, Env, expect_error, pool,
                     request, shelter, shelterd_path, wait_until)

CLOCK = {"debug": {"clock": True}}
SEED = [shelter(DEFAULT_SHELTER_ID, pools=[pool("main", total=1)])]


def test_debug_methods_do_not_exist_without_the_clock():
    with Env(shelters=SEED) as env:
        a = env.client("admin")
        e = expect_error(lambda: a.call("debug.advance", {"seconds": 60}),
                         -32601, "unknown_method")
        assert e.id is not None
        # Also before auth, as for any unknown method.
        anon = env.client("anon")
        expect_error(lambda: anon.call("debug.advance", {"seconds": 1}),
                     -32601, "unknown_method")


def test_advance_moves_the_daemon_and_the_store_together():
    with Env(shelters=SEED, extra=CLOCK) as env:
        a = env.client("admin")
        before = a.call("session.ping")["time"]
        now = a.call("debug.advance", {"seconds": 3 * 86400})["now"]
        assert now[:10] > before[:10], (before, now)
        # The daemon's own clock (session.ping) ...
        assert a.call("session.ping")["time"] >= now
        # ... and the store's (a request's created_at) moved alike.
        c = env.client("coordinator")
        r = c.call("request.submit", {"request": request("CLK-1")})
        assert r["request"]["created_at"][:13] == now[:13], (r, now)


def test_advance_expires_a_hold_at_once():
    with Env(shelters=SEED, extra=CLOCK) as env:
        w = env.client("coordinator")
        w.call("session.subscribe", {"topics": ["proposals", "requests"]})
        c = env.client("coordinator")
        prop = c.call("request.submit",
                      {"request": request("CLK-EXP")})["proposal"]
        assert prop is not None
        a = env.client("admin")
        a.call("debug.advance", {"seconds": 1801})
        ev = w.wait_event(lambda e: e["type"] == "proposal.expired")
        assert ev["data"]["proposal"]["id"] == prop["id"]
        # Matched again from its place in the queue: a new hold.
        ev = w.wait_event(lambda e: e["type"] == "proposal.created")
        assert ev["data"]["proposal"]["id"] != prop["id"]


def test_advance_short_of_the_hold_keeps_it():
    with Env(shelters=SEED, extra=CLOCK) as env:
        c = env.client("coordinator")
        prop = c.call("request.submit",
                      {"request": request("CLK-KEEP")})["proposal"]
        env.client("admin").call("debug.advance", {"seconds": 1700})
        got = c.call("proposal.accept", {"id": prop["id"]})
        assert got["proposal"]["status"] == "accepted"


def test_advance_checks():
    with Env(shelters=SEED, extra=CLOCK) as env:
        a = env.client("admin")
        for bad in (0, -5, 10 * 366 * 86400 + 1):
            expect_error(lambda: a.call("debug.advance", {"seconds": bad}),
                         -32602, "invalid_field", "seconds")
        expect_error(lambda: a.call("debug.advance", {"seconds": "60"}),
                     -32602, "invalid_field", "seconds")
        expect_error(lambda: a.call("debug.advance", {}),
                     -32602, "missing_field", "seconds")
        expect_error(lambda: a.call("debug.advance", {"seconds": 1,
                                                      "x": 1}),
                     -32602, "unknown_field", "x")
        for role in ("coordinator", "shelter", "service"):
            cl = env.client(role)
            expect_error(lambda: cl.call("debug.advance", {"seconds": 1}),
                         -32003, "role")


def test_a_second_daemon_follows_the_clock():
    with Env(shelters=SEED, extra=CLOCK) as env:
        with Daemon(env.redis, shelters=SEED, name="shelterd-2",
                    extra=CLOCK) as d2:
            b = d2.client("admin")
            now = env.client("admin").call("debug.advance",
                                           {"seconds": 86400})["now"]

            def follows():
                return b.call("session.ping")["time"] >= now
            wait_until(follows, what="the second daemon's clock")
            b.close()
        # A daemon started later reads the offset when the store comes up.
        with Daemon(env.redis, shelters=SEED, name="shelterd-3",
                    extra=CLOCK) as d3:
            c3 = d3.client("admin")
            assert c3.call("session.ping")["time"] >= now
            c3.close()


def check_config(extra):
    d = Daemon(None, shelters=SEED, extra=extra, start=False)
    with d:
        return subprocess.run([shelterd_path(), "-t", "-c", d.config_path],
                              capture_output=True, text=True, timeout=30)


def test_check_config_warns_when_the_clock_is_on():
    p = check_config(CLOCK)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "configuration OK\n"
    assert "debug.clock is on" in p.stderr
    assert "production" in p.stderr
    p = check_config({"debug": {"clock": False}})
    assert p.returncode == 0 and "debug" not in p.stderr, p.stderr
    p = check_config({"debug": {"clock": "sometimes"}})
    assert p.returncode == 1 and "debug.clock" in p.stderr, p.stderr
