"""-32010 tells 'not sent, nothing changed' (store_unavailable) from 'sent,
no answer' (outcome_unknown): a write cut off by the watchdog may have
been made, and says so."""

import os
import signal

from harness import (DEFAULT_SHELTER_ID, Env, RpcError, expect_error,
                     request, shelter, wait_store_down, wait_until)


def stopped(env, fn):
    """fn() while Redis is stopped (SIGSTOP); the RpcError it raised."""
    os.kill(env.redis.proc.pid, signal.SIGSTOP)
    try:
        try:
            fn()
        except RpcError as e:
            return e
        raise AssertionError("no error while Redis was stopped")
    finally:
        os.kill(env.redis.proc.pid, signal.SIGCONT)


def test_write_without_answer_is_outcome_unknown():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=5)]) as env:
        c = env.client("coordinator")
        u = env.client("unix")
        a = c.call("request.submit", {"request": request("OU-1")})
        b = c.call("request.submit", {"request": request("OU-2")})
        version = u.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["version"]

        def up():
            return c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})

        calls = [
            (c, "proposal.accept", {"id": a["proposal"]["id"]}),
            (u, "shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                     "pools": {"main": {"occupied": 1}},
                                     "if_version": version}),
        ]
        for who, method, params in calls:
            wait_until(up, 15, 0.1, "the store back")
            e = stopped(env, lambda: who.call(method, params, timeout=5))
            assert (e.code, e.reason) == (-32010, "outcome_unknown"), \
                (method, e)
            assert "nothing was changed" not in e.message, e.message
        # request.cancel reads the request first: cut off there, it is
        # store_unavailable and the request is untouched; cut off at the
        # write, outcome_unknown.
        wait_until(up, 15, 0.1, "the store back")
        e = stopped(env, lambda: c.call("request.cancel", {
            "id": b["request"]["id"], "reason": "x"}, timeout=5))
        assert e.code == -32010, e
        wait_until(up, 15, 0.1, "the store back")
        rb = c.call("request.get", {"id": b["request"]["id"]})["request"]
        if e.reason == "store_unavailable":
            assert rb["status"] != "cancelled", rb
        else:
            assert e.reason == "outcome_unknown", e
        # A read cut off the same way changed nothing: safe to retry.
        wait_until(up, 15, 0.1, "the store back")
        e = stopped(env, lambda: c.call("request.list", {}, timeout=5))
        assert (e.code, e.reason) == (-32010, "store_unavailable"), e
        # What really happened can be read back, and matches a retry.
        wait_until(up, 15, 0.1, "the store back")
        ra = c.call("request.get", {"id": a["request"]["id"]})["request"]
        if ra["status"] == "placed":
            expect_error(lambda: c.call("proposal.accept",
                                        {"id": a["proposal"]["id"]}),
                         -32009, "state")
        else:
            assert c.call("proposal.accept", {"id": a["proposal"]["id"]})[
                "request"]["status"] == "placed"


def test_write_not_sent_is_store_unavailable():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=5)]) as env:
        c = env.client("coordinator")
        a = c.call("request.submit", {"request": request("NS-1")})
        env.redis.stop()
        wait_store_down(c)
        expect_error(lambda: c.call("proposal.accept",
                                    {"id": a["proposal"]["id"]}),
                     -32010, "store_unavailable")
