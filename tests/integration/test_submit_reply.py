"""request.submit's reply (PROTOCOL.md "request.submit"), which shelterd
sends on its hot path (a proposal made, a duplicate) as the text the
store wrote, spliced into the envelope without decoding it: over the
socket and over HTTP it must be the same object as request.get and the
proposal show, member by member, in the order and with the reals a
Jansson-written reply had; the waiting path (the daemon adds the
explanation) keeps the same shape."""

import http.client
import json
import re
import signal

from ha import Node, wait_synced
from harness import (Daemon, Env, expect_error, free_port, pool, request,
                     shelter, unique_ref, wait_until)

MEMBERS = ["request", "proposal", "explanation", "duplicate"]
# A real written with 16 or more digits after the point: 52.090000000000003
# where the client should read 52.09.
LONG_REAL = re.compile(rb"\d\.\d{15,}")


def located(ref, **kw):
    """A request with both locations (reals from the gazetteer)."""
    return request(ref, exploitation={
        "sector": "sexual", "location": {"municipality": "Groningen"}},
        preferred_location={"municipality": "Zwolle"}, **kw)


def socket_submit(c, req, id):
    """request.submit over the socket: (raw line, parsed response)."""
    c.request({"jsonrpc": "2.0", "id": id, "method": "request.submit",
               "params": {"request": req}})
    line = c.recv_line()
    return line, json.loads(line)


def http_submit(port, token, req, id):
    """request.submit over POST /rpc: (raw body, parsed response)."""
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        h.request("POST", "/rpc", body=json.dumps(
            {"jsonrpc": "2.0", "id": id, "method": "request.submit",
             "params": {"request": req}}),
            headers={"Content-Type": "application/json",
                     "Authorization": "Bearer " + token})
        r = h.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body)
        assert r.getheader("Content-Type").startswith("application/json")
        assert body.endswith(b"}\n") and body.count(b"\n") == 1, body
        return body, json.loads(body)
    finally:
        h.close()


def check_envelope(raw, msg, id):
    """The envelope as Jansson wrote it: compact, jsonrpc, id, result."""
    assert list(msg) == ["jsonrpc", "id", "result"], msg
    assert msg["jsonrpc"] == "2.0" and msg["id"] == id, msg
    assert raw.startswith(b'{"jsonrpc":"2.0","id":'), raw[:40]
    assert b'": ' not in raw and b', "' not in raw, raw[:200]
    assert not LONG_REAL.search(raw), LONG_REAL.search(raw)
    assert list(msg["result"]) == MEMBERS, list(msg["result"])
    return msg["result"]


def check_against_store(c, res, duplicate):
    """Member by member: the request is request.get's (but its history),
    the proposal the request's open proposal; explanation null with a
    proposal."""
    got = c.call("request.get", {"id": res["request"]["id"]})["request"]
    # request.get adds the history; the submit's request has none.
    assert "history" not in res["request"]
    del got["history"]
    assert res["request"] == got, (res["request"], got)
    assert list(res["request"]) == list(got)
    assert res["duplicate"] is duplicate
    if res["proposal"] is not None:
        assert res["explanation"] is None
        assert res["proposal"] == got["proposal"], (res["proposal"],
                                                    got["proposal"])
        assert res["proposal"]["request_id"] == got["id"]
        assert res["proposal"]["status"] == "open"
    # The reals as the gazetteer has them, not 17 digits.
    for loc in (got["exploitation"]["location"], got["preferred_location"]):
        assert len(repr(loc["lat"])) < 12 and len(repr(loc["lon"])) < 12


def test_proposal_and_duplicate_replies_match_the_store():
    port = free_port()
    shelters = [shelter("s-north", municipality="Zwolle",
                        pools=[pool("main", total=10)])]
    with Env(shelters=shelters,
             extra={"http": "127.0.0.1:%d" % port}) as env:
        c = env.client("coordinator")
        token = env.daemon.tokens["coordinator"]
        a, b = located(unique_ref("SA")), located(unique_ref("SB"))

        # A proposal over the socket, with an id a splice could mangle.
        sid = 'a"b/\u00e9\\x'
        raw, msg = socket_submit(c, a, sid)
        res = check_envelope(raw, msg, sid)
        assert res["proposal"] is not None, res
        assert res["proposal"]["shelter_id"] == "s-north"
        assert res["proposal"]["pool"] == "main"
        check_against_store(c, res, False)
        first = res

        # A proposal over HTTP, with a big integer id.
        raw, msg = http_submit(port, token, b, 9007199254740993)
        res = check_envelope(raw, msg, 9007199254740993)
        assert res["proposal"] is not None
        check_against_store(c, res, False)

        # Its hold is in the table at once: the shelter shows both.
        got = c.call("shelter.get", {"id": "s-north"})["shelter"]
        assert got["pools"][0]["held"] == 2, got["pools"]

        # The same ref again, over both: the stored request and its open
        # proposal, nothing changed.
        raw, msg = socket_submit(c, a, 11)
        dup = check_envelope(raw, msg, 11)
        check_against_store(c, dup, True)
        assert dup["request"]["id"] == first["request"]["id"]
        assert dup["proposal"] == first["proposal"]
        raw, msg = http_submit(port, token, a, "h-12")
        assert check_envelope(raw, msg, "h-12") == dup

        # The audit trail names each call's request and proposal once.
        ent = env.client("admin").call(
            "audit.list", {"method": "request.submit"})["entries"]
        assert len(ent) == 4, ent
        assert all(e["outcome"] == "ok" for e in ent)
        ids = [e["ids"] for e in ent]
        assert ids.count([first["request"]["id"],
                          first["proposal"]["id"]]) == 3, ids
        got = c.call("shelter.get", {"id": "s-north"})["shelter"]
        assert got["pools"][0]["held"] == 2, got["pools"]


def test_waiting_reply_keeps_its_shape():
    port = free_port()
    with Env(shelters=[shelter("s-full", pools=[pool("main", total=1,
                                                     occupied=1)])],
             extra={"http": "127.0.0.1:%d" % port}) as env:
        c = env.client("coordinator")
        token = env.daemon.tokens["coordinator"]
        w = located(unique_ref("SW"))
        raw, msg = socket_submit(c, w, 5)
        res = check_envelope(raw, msg, 5)
        assert res["proposal"] is None and res["duplicate"] is False
        assert isinstance(res["explanation"], dict), res
        assert res["explanation"]["reasons"].get("no_free_place") == 1, \
            res["explanation"]
        check_against_store(c, res, False)
        assert res["request"]["status"] == "waiting"

        # Waiting, then submitted again: a duplicate without a proposal,
        # explained as the request still waits (PROTOCOL.md: explanation
        # is set when the request waits), the same as the first time.
        raw, msg = http_submit(port, token, w, 6)
        dup = check_envelope(raw, msg, 6)
        assert dup["duplicate"] is True and dup["proposal"] is None
        assert dup["explanation"] == res["explanation"], dup
        check_against_store(c, dup, True)

        # A place frees: the waitlist proposes; the duplicate now carries
        # the open proposal, as request.get does.
        env.client("admin").call("shelter.capacity", {
            "id": "s-full", "pools": {"main": {"occupied": 0}}})
        wait_until(lambda: c.call("request.get", {"id": res["request"][
            "id"]})["request"]["status"] == "proposed", what="a proposal")
        raw, msg = socket_submit(c, w, 7)
        dup = check_envelope(raw, msg, 7)
        assert dup["proposal"] is not None and dup["explanation"] is None
        check_against_store(c, dup, True)
        # Closed: a duplicate is not explained.
        c.call("request.cancel", {"id": res["request"]["id"], "reason": "x"})
        raw, msg = socket_submit(c, w, 8)
        dup = check_envelope(raw, msg, 8)
        assert dup["request"]["status"] == "cancelled", dup
        assert dup["proposal"] is None and dup["explanation"] is None


def test_a_proposal_short_of_replica_acks_is_outcome_unknown():
    """With redis.min_replicas_ack the spliced reply waits for WAIT like
    any other: a replica that does not answer makes the proposal
    outcome_unknown (it ran), and with the replica back it is acked."""
    with Node() as m, Node(m) as rep:
        wait_synced(rep)
        with Daemon(m, shelters=[shelter("s-ha", pools=[pool("main",
                                                             total=5)])],
                    redis_conf={"min_replicas_ack": 1}) as d:
            c = d.client("coordinator")
            res = c.call("request.submit",
                         {"request": located(unique_ref("SR"))})
            assert res["proposal"] is not None
            assert list(res) == MEMBERS
            check_against_store(c, res, False)
            ref = unique_ref("SU")
            rep.proc.send_signal(signal.SIGSTOP)
            try:
                expect_error(lambda: c.call("request.submit", {
                    "request": located(ref)}), -32010, "outcome_unknown")
            finally:
                rep.proc.send_signal(signal.SIGCONT)
            wait_synced(rep)
            # It ran: the same ref again is its duplicate, with the hold.
            dup = c.call("request.submit", {"request": located(ref)})
            assert dup["duplicate"] is True and dup["proposal"] is not None
            check_against_store(c, dup, True)
            assert "reached 0 of 1 replicas" in d.log_text()
