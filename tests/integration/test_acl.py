"""Least privilege in Redis: shelterd runs as the ACL user of
systemd/redis-shelterd.acl, which may touch nothing outside its prefix."""

import hashlib
import os
import socket

from harness import (DEFAULT_SHELTER_ID, ROOT, Daemon, Redis, RedisError,
                     _resp_encode, _resp_read, request, shelter)

ACL_FILE = os.path.join(ROOT, "systemd", "redis-shelterd.acl")
PASSWORD = "acl-test-password"


def acl_rules():
    """The rules of the shipped ACL line, with the test's password."""
    with open(ACL_FILE) as f:
        line = next(ln for ln in f if ln.startswith("user shelterd "))
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    return line.split()[2:], digest


def as_user(r, *args):
    """One command as the shelterd ACL user."""
    s = socket.create_connection(("127.0.0.1", r.port), timeout=5)
    try:
        f = s.makefile("rb")
        s.sendall(_resp_encode(["AUTH", "shelterd", PASSWORD]))
        _resp_read(f)
        s.sendall(_resp_encode(list(args)))
        try:
            return _resp_read(f)
        except RedisError as e:
            return e
    finally:
        s.close()


def test_shelterd_works_as_the_acl_user_and_nothing_more():
    with Redis() as r:
        rules, digest = acl_rules()
        rules = [("#" + digest) if x == "#PASSWORD_SHA256" else x
                 for x in rules]
        assert r.cmd("ACL", "SETUSER", "shelterd", *rules) == "OK"
        r.cmd("SET", "other:secret", "x")
        with Daemon(r, shelters=[shelter(DEFAULT_SHELTER_ID, total=2)],
                    redis_conf={"user": "shelterd",
                                "password": PASSWORD}) as d:
            c = d.client("coordinator")
            a = c.call("request.submit", {"request": request(
                "ACL-1", safety={"case": "acl-case", "co_victims": "apart"})})
            assert a["proposal"] is not None
            c.call("proposal.accept", {"id": a["proposal"]["id"]})
            b = c.call("request.submit", {"request": request("ACL-2")})
            c.call("proposal.reject", {"id": b["proposal"]["id"],
                                       "reason": "r"})
            c.call("request.cancel", {"id": b["request"]["id"],
                                      "reason": "r"})
            u = d.client("unix")
            u.call("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                        "pools": {"main": {"total": 3}}})
            assert c.call("stats.get")["requests"]["placed"] == 1
            # Nothing it needed was refused.
            assert r.cmd("ACL", "LOG") == []
        # The same user can neither read nor write outside its prefix,
        # nor run anything else.
        for cmd in (["GET", "other:secret"], ["SET", "other:x", "1"],
                    ["KEYS", "*"], ["FLUSHALL"], ["CONFIG", "SET",
                                                  "appendonly", "no"],
                    ["EVAL", "return 1", "0"], ["ACL", "LIST"]):
            got = as_user(r, *cmd)
            assert isinstance(got, RedisError) and "NOPERM" in str(got), \
                (cmd, got)
        # An FCALL cannot reach other keys either: the ACL holds inside
        # the functions.
        got = as_user(r, "FCALL", "shd_request_get", "0", "other:", "x", "")
        assert isinstance(got, RedisError) and \
            "can't access" in str(got), got


def test_an_acl_from_before_function_list_still_works():
    # An operator's ACL from an older release has no +function|list: the
    # connect's FUNCTION LIST is refused, and the library is loaded as it
    # was then; calls work.
    with Redis() as r:
        rules, digest = acl_rules()
        rules = [("#" + digest) if x == "#PASSWORD_SHA256" else x
                 for x in rules if x != "+function|list"]
        assert r.cmd("ACL", "SETUSER", "shelterd", *rules) == "OK"
        with Daemon(r, shelters=[shelter(DEFAULT_SHELTER_ID, total=2)],
                    redis_conf={"user": "shelterd",
                                "password": PASSWORD}) as d:
            c = d.client("coordinator")
            a = c.call("request.submit", {"request": request("OLD-ACL")})
            assert a["proposal"] is not None
