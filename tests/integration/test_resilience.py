"""Redis going away, shelterd being killed, signals, config checking,
--version and the durability check."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from harness import (DEFAULT_SHELTER_ID, ROOT, ConnectionClosed, Daemon, Env,
                     Redis, RpcError, expect_error, make_cert, request,
                     sha256_hex,
                     free_port, shelter, shelterd_path, wait_store_down,
                     wait_until)


def timed_error(c, method, params):
    """Call, expecting -32010 store_unavailable; returns seconds taken."""
    t0 = time.monotonic()
    expect_error(lambda: c.call(method, params, timeout=5), -32010,
                 "store_unavailable")
    return time.monotonic() - t0


def test_redis_down_is_32010_within_2s_and_recovers():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=5)]) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("DOWN-1")})
        rid = sub["request"]["id"]
        env.redis.stop()
        wait_store_down(c)
        calls = [
            ("request.submit", {"request": request("DOWN-2")}),
            ("request.get", {"id": rid}),
            ("request.list", {}),
            ("request.cancel", {"id": rid, "reason": "x"}),
            ("shelter.get", {"id": DEFAULT_SHELTER_ID}),
            ("shelter.list", {}),
            ("proposal.accept", {"id": sub["proposal"]["id"]}),
            ("proposal.reject", {"id": sub["proposal"]["id"],
                                 "reason": "x"}),
            ("stats.get", {}),
            ("session.subscribe", {"topics": ["capacity"]}),
        ]
        for method, params in calls:
            took = timed_error(c, method, params)
            assert took < 2.0, "%s took %.2fs" % (method, took)
        admin = env.client("unix")
        for method, params in [
                ("shelter.put", {"shelter": shelter("t-down", total=1)}),
                ("shelter.capacity", {"id": DEFAULT_SHELTER_ID,
                                      "pools": {"main": {"occupied": 1}}}),
                ("shelter.intake", {"id": DEFAULT_SHELTER_ID,
                                    "open": False}),
                ("shelter.remove", {"id": DEFAULT_SHELTER_ID}),
                ("placement.arrived", {"request_id": rid})]:
            took = timed_error(admin, method, params)
            assert took < 2.0, "%s took %.2fs" % (method, took)
        # The daemon itself still answers.
        assert "time" in c.call("session.ping")
        # A new connection can still authenticate (tokens are in memory).
        env.client("coordinator")
        env.redis.start()

        def back():
            return c.call("request.get", {"id": rid})["request"]
        r = wait_until(back, 15, 0.2, "the daemon to reconnect to Redis")
        assert r["status"] == "proposed"
        # The refused submit changed nothing: it is new now.
        again = c.call("request.submit", {"request": request("DOWN-2")})
        assert again["duplicate"] is False
        acc = c.call("proposal.accept", {"id": sub["proposal"]["id"]})
        assert acc["request"]["status"] == "placed"
        # None of the refused writes happened.
        doc = c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        assert doc["intake"]["open"] is True
        assert doc["pools"][0]["occupied"] == 0
        expect_error(lambda: c.call("shelter.get", {"id": "t-down"}), -32004,
                     "shelter")


def test_hung_redis_is_32010_within_2s():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=5)]) as env:
        c = env.client("coordinator")
        os.kill(env.redis.proc.pid, signal.SIGSTOP)
        try:
            for method, params in [("shelter.get", {"id": DEFAULT_SHELTER_ID}),
                                   ("request.list", {})]:
                took = timed_error(c, method, params)
                assert took < 2.0, "%s took %.2fs" % (method, took)
        finally:
            os.kill(env.redis.proc.pid, signal.SIGCONT)
        wait_until(lambda: c.call("shelter.get", {"id": DEFAULT_SHELTER_ID}),
                   15, 0.2, "recovery after Redis resumed")


def test_kill_9_loses_nothing_acknowledged():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=12)]) as env:
        c = env.client("coordinator")
        acked = {}
        for i in range(20):
            r = c.call("request.submit", {"request": request("K9-%02d" % i)})
            acked[r["request"]["id"]] = r
        placed = [r for r in acked.values() if r["proposal"]][:4]
        for r in placed:
            c.call("proposal.accept", {"id": r["proposal"]["id"]})
        want = {}
        for rid in acked:
            want[rid] = c.call("request.get", {"id": rid})["request"]["status"]
        assert list(want.values()).count("placed") == 4
        env.daemon.kill()
        # Redis dies hard as well: appendfsync always keeps every write.
        env.redis.kill()
        env.redis.start()
        env.daemon.start()
        c = env.client("coordinator")
        for rid, status in want.items():
            got = c.call("request.get", {"id": rid})["request"]
            assert got["status"] == status, (rid, got["status"], status)
        p = c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"][
            "pools"][0]
        assert (p["held"], p["expected"]) == (8, 4), p
        # Submitting a known ref is still a duplicate.
        assert c.call("request.submit", {"request": request("K9-00")})[
            "duplicate"] is True


def test_sigterm_and_sigint_exit_0():
    with Env() as env:
        c = env.client("coordinator")
        c.call("session.subscribe", {"topics": ["capacity"]})
        assert env.daemon.stop() == 0
        env.daemon.start()
        env.daemon.signal(signal.SIGINT)
        assert env.daemon.wait_exit(10) == 0


def run_check(config_path, *extra):
    p = subprocess.run([shelterd_path(), "-t", "-c", config_path] +
                       list(extra), capture_output=True, text=True,
                       timeout=20)
    return p.returncode, p.stdout, p.stderr


def test_config_check_good_and_bad():
    with Redis() as r:
        d = Daemon(r, start=False, shelters=[shelter("t-check", total=1)])
        try:
            rc, out, err = run_check(d.config_path)
            assert rc == 0, (rc, out, err)
            assert "configuration OK" in out, out

            bad = (
                "listen:\n"
                "  tcp: \"127.0.0.1:0\"\n"
                "  colour: blue\n"
                "redis:\n"
                "  host: 127.0.0.1\n"
                "  port: many\n"
                "limits:\n"
                "  max_clients: -4\n"
            )
            d.write_config(bad)
            rc, out, err = run_check(d.config_path)
            assert rc == 1, (rc, out, err)
            assert "configuration OK" not in out
            lines = [l for l in err.splitlines() if l.strip()]
            pat = re.compile(r"^%s:(\d+):(\d+): .+" % re.escape(
                d.config_path))
            located = [pat.match(l) for l in lines]
            found = sorted({int(m.group(1)) for m in located if m})
            assert set(found) >= {3, 6, 8}, "errors not all reported with " \
                "FILE:LINE:COL: %r" % err
            assert any("colour" in l for l in lines), err

            # An error inside the shelters file names that file.
            with open(d.shelters_path, "w") as f:
                f.write("- id: t-check\n"
                        "  program: cosm\n"
                        "  location: {municipality: Rotterdam}\n"
                        "  pools:\n"
                        "    - {name: main, genders: [f], total: -1}\n")
            d.write_config()
            rc, out, err = run_check(d.config_path)
            assert rc == 1, (rc, out, err)
            assert re.search(r"^%s:5:\d+: .*total" % re.escape(
                d.shelters_path), err, re.M), err
        finally:
            d._hard_cleanup()


def key_position(path, key):
    """(line, col) of the value of key ("cert: VALUE" or "key: VALUE") in
    the config file at path, 1-based, the first it finds."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"\b%s: " % re.escape(key), line)
            if m:
                return n, m.end() + 1
    raise AssertionError("%s not in %s" % (key, path))


def test_config_check_names_tls_files_that_do_not_open():
    """-t opens listen.tls's cert, key and client_ca: one that does not
    open is an error at its key, as FILE:LINE:COL (it had said
    'configuration OK', and the start then failed naming no file)."""
    with Redis() as r:
        d = Daemon(r, start=False, listen={"tls": {
            "cert": "/nonexistent/cert.pem", "key": "/nonexistent/key.pem",
            "client_ca": "/nonexistent/ca.pem"}})
        try:
            rc, out, err = run_check(d.config_path)
            assert rc == 1, (rc, out, err)
            assert "configuration OK" not in out
            for key, file in (("cert", "/nonexistent/cert.pem"),
                              ("key", "/nonexistent/key.pem"),
                              ("client_ca", "/nonexistent/ca.pem")):
                line, col = key_position(d.config_path, key)
                want = "%s:%d:%d: listen.tls.%s: cannot open %s: No such " \
                    "file or directory" % (d.config_path, line, col, key,
                                           file)
                assert want in err.splitlines(), (want, err)
            # The daemon refuses to start with the same message.
            d.spawn()
            assert d.wait_exit(15) == 1
            assert "listen.tls.cert: cannot open /nonexistent/cert.pem" in \
                d.log_text(), d.log_text()
        finally:
            d._hard_cleanup()


def test_config_check_names_missing_shelters_and_gazetteer_at_their_key():
    """A shelters or gazetteer file that does not open is an error at its
    key in the config, FILE:LINE:COL, naming the key (it had been
    'PATH: cannot open: ...' and 'PATH: No such file or directory')."""
    with Redis() as r:
        d = Daemon(r, start=False, shelters=[shelter("t-x", total=1)],
                   extra={"shelters": "/nonexistent/shelters.yaml",
                          "gazetteer": "/nonexistent/m.tsv"})
        try:
            rc, out, err = run_check(d.config_path)
            assert rc == 1, (rc, out, err)
            for key, file in (("shelters", "/nonexistent/shelters.yaml"),
                              ("gazetteer", "/nonexistent/m.tsv")):
                line, col = key_position(d.config_path, key)
                want = "%s:%d:%d: %s: cannot open %s: No such file or " \
                    "directory" % (d.config_path, line, col, key, file)
                assert want in err.splitlines(), (want, err)
        finally:
            d._hard_cleanup()


def test_tls_file_that_does_not_load_is_named_at_start():
    """A certificate that opens but is no certificate passes -t (it is
    read at start); the start fails naming the key and the file."""
    with Redis() as r:
        d = Daemon(r, start=False)
        try:
            cert, key = make_cert(d.dir, "srv")
            bogus = os.path.join(d.dir, "bogus.pem")
            with open(bogus, "w") as f:
                f.write("not a certificate\n")
            d.config["listen"]["tls"] = {"cert": bogus, "key": key}
            d.write_config()
            assert run_check(d.config_path)[0] == 0
            d.spawn()
            assert d.wait_exit(15) != 0
            assert "tls: listen.tls.cert %s: " % bogus in d.log_text(), \
                d.log_text()
            d.config["listen"]["tls"] = {"cert": cert, "key": bogus}
            d.write_config()
            d.spawn()
            assert d.wait_exit(15) != 0
            assert "tls: listen.tls.key %s: " % bogus in d.log_text(), \
                d.log_text()
        finally:
            d._hard_cleanup()


def test_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        version = re.search(r"^VERSION\s*:?=\s*(\S+)", f.read(), re.M).group(1)
    p = subprocess.run([shelterd_path(), "--version"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0, p
    assert version in p.stdout, p.stdout


def test_refuses_non_durable_redis_unless_allowed():
    with Redis(durable=False) as r:
        d = Daemon(r, start=False)
        try:
            d.spawn()
            rc = d.wait_exit(15)
            assert rc != 0, "started against a non-durable Redis"
            assert "appendonly" in d.log_text() or \
                "appendfsync" in d.log_text(), d.log_text()[-2000:]
        finally:
            d._hard_cleanup()
        with Daemon(r, require_durable=False,
                    shelters=[shelter("t-demo", total=1)]) as d2:
            c = d2.client("coordinator")
            assert c.call("request.submit", {"request": request("ND-1")})[
                "proposal"] is not None
            c.close()


def test_a_store_no_longer_durable_is_warned_of_once_per_minute():
    # Redis stops being durable: every reconnect finds it so (each 100 ms
    # to 1 s). The warning is logged once; the retries say it again at
    # debug level only. Durable again, the store comes back.
    with Env() as env:
        r, d = env.redis, env.daemon
        c = env.client("coordinator")
        r.cmd("CONFIG", "SET", "appendfsync", "everysec")
        r.cmd("CLIENT", "KILL", "TYPE", "normal")
        wait_until(lambda: d.log_text().count("(again)") >= 2, 10, 0.1,
                   "the retries")
        warned = [ln for ln in d.log_text().splitlines()
                  if " warn " in ln and "no longer durable" in ln]
        assert len(warned) == 1, warned
        r.cmd("CONFIG", "SET", "appendfsync", "always")

        def back():
            try:
                return c.call("stats.get")["shelters"] >= 0
            except RpcError:
                return False
            except ConnectionClosed:
                return False
        wait_until(back, 10, 0.2, "the store durable again")


def test_sighup_reload_keeps_old_config_when_invalid():
    with Env() as env:
        d = env.daemon
        # A valid reload with one more token.
        new_token = "reload-token-0123456789"
        d.config["auth"]["tokens"].append({
            "name": "t-new", "role": "coordinator",
            "sha256": sha256_hex(new_token)})
        d.write_config()
        d.signal(signal.SIGHUP)
        c = env.client("anon")
        wait_until(lambda: c.call("session.auth", {"token": new_token}), 5,
                   0.1, "the new token after SIGHUP")
        # An invalid one is logged, the old one kept.
        d.write_config("listen: [broken\n")
        d.signal(signal.SIGHUP)
        time.sleep(0.5)
        assert d.running()
        c2 = env.client("anon")
        assert c2.call("session.auth", {"token": new_token})["role"] == \
            "coordinator"
        assert d.stop() == 0


def test_subscriber_keeps_receiving_across_a_redis_restart():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=10)]) as env:
        w = env.client("coordinator")
        first = w.call("session.subscribe", {"topics": ["proposals"]})
        c = env.client("coordinator")
        c.call("request.submit", {"request": request("RR-1")})
        before = w.events(0.7)
        assert [e["type"] for e in before] == ["proposal.created"]
        env.redis.stop()
        env.redis.start()
        wait_until(lambda: c.call("request.submit", {
            "request": request("RR-2")}), 15, 0.2, "recovery")
        c.call("request.submit", {"request": request("RR-3")})
        after = w.events(1.5)
        refs = []
        for ev in after:
            rid = ev["data"]["request_id"]
            refs.append(c.call("request.get", {"id": rid})["request"]["ref"])
        assert refs == ["RR-2", "RR-3"], refs
        # The same as a replay from the start: nothing lost, nothing twice.
        r = env.client("coordinator")
        r.call("session.subscribe", {"topics": ["proposals"],
                                     "since": first["last_id"]})
        replay = r.events(1.0)
        assert replay == before + after


def test_holds_expire_after_a_daemon_restart():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=1)],
             matching={"hold_ttl_s": 2}) as env:
        c = env.client("coordinator")
        sub = c.call("request.submit", {"request": request("RESTART-1")})
        c.call("request.submit", {"request": request("RESTART-2")})
        env.daemon.kill()
        time.sleep(2.5)  # the hold expires while no daemon runs
        env.daemon.start()
        c = env.client("coordinator")

        def moved_on():
            r = c.call("request.get", {"id": sub["request"]["id"]})[
                "request"]
            p = r["proposal"]
            return p is None or p["id"] != sub["proposal"]["id"]
        wait_until(moved_on, 8, 0.1, "the old hold to expire")
        doc = c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})["shelter"]
        p = doc["pools"][0]
        assert p["held"] <= 1 and p["free"] >= 0, p


def test_config_check_more_errors():
    with Redis() as r:
        d = Daemon(r, start=False)
        try:
            d.config["matching"]["weights"] = {
                "language": 0, "safety_distance": 0, "proximity": 0,
                "care_fit": 0, "occupancy": 0, "freshness": 0, "together": 0,
                "scarcity": 0}
            d.write_config()
            rc, out, err = run_check(d.config_path)
            assert rc == 1 and "weights" in err, (rc, out, err)
            assert re.search(r"^%s:\d+:\d+: " % re.escape(d.config_path), err,
                             re.M), err
            d.config["matching"]["weights"] = {"language": 1, "charm": 2}
            d.write_config()
            rc, out, err = run_check(d.config_path)
            assert rc == 1 and "charm" in err, (rc, out, err)
            rc, out, err = run_check(os.path.join(d.dir, "missing.yaml"))
            assert rc == 1 and "missing.yaml" in err, (rc, out, err)
        finally:
            d._hard_cleanup()


def test_http_health_and_metrics():
    port = free_port()
    with Env(extra={"http": "127.0.0.1:%d" % port}) as env:
        c = env.client("anon")
        try:
            c.call("session.auth", {"token": "not-a-real-token"})
        except RpcError:
            pass
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port,
                                    timeout=5) as resp:
            assert resp.status == 200
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                    timeout=5) as resp:
            assert resp.status == 200
            text = resp.read().decode()
        assert "# TYPE" in text, text[:500]
        assert "not-a-real-token" not in text


def test_redis_over_its_unix_socket():
    with Redis() as r:
        with Daemon(r, redis_conf={"unix": r.unixsocket},
                    shelters=[shelter("t-unixredis", total=1)]) as d:
            c = d.client("coordinator")
            sub = c.call("request.submit", {"request": request("UR-1")})
            assert sub["proposal"]["shelter_id"] == "t-unixredis"
            c.close()


def test_sigterm_with_calls_in_flight_answers_or_leaves_them_undone():
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=100)]) as env:
        c = env.client("coordinator")
        n = 60
        c.send_raw(b"".join(json.dumps({
            "jsonrpc": "2.0", "id": i, "method": "request.submit",
            "params": {"request": request("TERM-%02d" % i)}}).encode() + b"\n"
            for i in range(n)))
        first = c.recv(10)
        assert "result" in first, first
        env.daemon.signal(signal.SIGTERM)
        answered = [first["id"]]
        try:
            while True:
                m = c.recv(10)
                assert "result" in m or m["error"]["code"] == -32010, m
                if "result" in m:
                    answered.append(m["id"])
        except (ConnectionClosed, ConnectionResetError):
            pass
        assert env.daemon.wait_exit(10) == 0
        assert answered == sorted(answered)
        env.daemon.start()
        u = env.client("unix")
        refs = {r["ref"] for r in u.call("request.list", {"limit": 500})[
            "requests"]}
        for i in answered:
            assert "TERM-%02d" % i in refs, "acknowledged submit lost"


def test_sighup_applies_the_seed_file_without_clobbering_counts():
    seed = [shelter("t-hup-a", total=3)]
    with Env(shelters=seed) as env:
        d = env.daemon
        c = env.client("admin")
        c.call("shelter.capacity", {"id": "t-hup-a",
                                    "pools": {"main": {"occupied": 2}}})
        c.call("shelter.intake", {"id": "t-hup-a", "open": False})
        with open(d.shelters_path, "w") as f:
            json.dump(seed + [shelter("t-hup-b", total=2,
                                      municipality="Zwolle")], f)
        d.signal(signal.SIGHUP)
        wait_until(lambda: any(s["id"] == "t-hup-b" for s in c.call(
            "shelter.list")["shelters"]), 5, 0.1, "the new seed shelter")
        a = c.call("shelter.get", {"id": "t-hup-a"})["shelter"]
        assert a["pools"][0]["occupied"] == 2
        assert a["intake"]["open"] is False
        # A broken seed file on reload: logged, the daemon keeps running.
        with open(d.shelters_path, "w") as f:
            f.write("- {id: BAD ID}\n")
        d.signal(signal.SIGHUP)
        time.sleep(0.5)
        assert d.running()
        assert len(c.call("shelter.list")["shelters"]) == 2


def test_redis_password_is_used_and_never_logged():
    secret = "redis-secret-4242-fictional"
    with Redis(password=secret) as r:
        with Daemon(r, redis_conf={"password": secret},
                    shelters=[shelter("t-pw", total=1)]) as d:
            c = d.client("coordinator")
            assert c.call("request.submit", {"request": request("PW-1")})[
                "proposal"] is not None
            c.close()
            assert secret not in d.log_text()
        # A wrong password at start: the daemon exits saying what to
        # check (not that Redis is not durable: the replies queued behind
        # the refused AUTH say nothing about that), and never logs the
        # password it tried.
        wrong = "wrong-password-1717"
        d = Daemon(r, redis_conf={"password": wrong}, start=False)
        try:
            d.spawn()
            wait_until(lambda: not d.running(), 15, 0.1,
                       "the daemon to exit")
            assert d.proc.returncode != 0
            log = d.log_text()
            assert wrong not in log, "the Redis password was logged"
            assert "refused AUTH" in log and "redis.password" in log, log
            assert "not durable" not in log, log
        finally:
            d._hard_cleanup()


def test_redis_password_unset_is_reported_as_such():
    """Redis wants a password and redis.password is unset: every command
    at connect gets NOAUTH. The daemon exits at start saying so (as for a
    wrong password), not that Redis is not durable, and with
    require_durable off it does not retry forever on 'SET case_salt
    failed'."""
    with Redis(password="redis-secret-5151-fictional") as r:
        for durable in (True, False):
            d = Daemon(r, require_durable=durable, start=False)
            try:
                d.spawn()
                wait_until(lambda: not d.running(), 15, 0.1,
                           "the daemon to exit")
                assert d.proc.returncode == 1, d.proc.returncode
                log = d.log_text()
                assert "requires AUTH" in log and "NOAUTH" in log and \
                    "set redis.password" in log, log
                assert "not durable" not in log, log
                assert "case_salt" not in log, log
            finally:
                d._hard_cleanup()


def store_conns(env):
    """The daemon's connections to Redis (CLIENT LIST, this one left out):
    [(id, last command)]."""
    out = []
    for line in env.redis.cmd("CLIENT", "LIST").splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if not f.get("cmd", "").startswith("client"):
            out.append((f["id"], f.get("cmd", "")))
    return out


def test_losing_one_store_connection_under_load_loses_nothing():
    """Submits and capacity reports go round robin over the command
    connection and three more: one of them cut mid-load makes the daemon
    reconnect all, and every call answered ok is in the store, once."""
    import threading
    with Env(shelters=[shelter(DEFAULT_SHELTER_ID, total=500)]) as env:
        conns = wait_until(lambda: len(store_conns(env)) == 5 and
                           store_conns(env), what="five store connections")
        assert sorted(c for _, c in conns).count("xread") == 1, conns
        results, lock = {}, threading.Lock()

        def load(k):
            c = env.client("coordinator")
            for i in range(40):
                ref = "CUT-%d-%02d" % (k, i)
                try:
                    r = c.call("request.submit",
                               {"request": request(ref)}, timeout=10)
                    got = ("ok", r["request"]["id"])
                except RpcError as e:
                    assert (e.code, e.reason) in (
                        (-32010, "store_unavailable"),
                        (-32010, "outcome_unknown")), e.response
                    got = (e.reason, None)
                with lock:
                    results[ref] = got
        threads = [threading.Thread(target=load, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: len(results) >= 20, what="20 submits answered")
        # One of the calling connections, not the event tail.
        victim = [i for i, c in store_conns(env) if c != "xread"][-1]
        env.redis.cmd("CLIENT", "KILL", "ID", victim)
        for t in threads:
            t.join(30)
        assert len(results) == 160
        # The cut was felt (calls in flight, or sent while reconnecting).
        assert any(w != "ok" for w, _ in results.values()), results
        c = env.client("coordinator")
        # Back: every connection again, and calls go through.
        wait_until(lambda: len(store_conns(env)) == 5, timeout=10,
                   what="the daemon reconnected")
        wait_until(lambda: c.call("request.submit", {"request": request(
            "CUT-after")}), timeout=10, what="a submit after the cut")
        proposed = 0
        for ref, (what, rid) in results.items():
            again = c.call("request.submit", {"request": request(ref)})
            if what == "ok":
                assert again["duplicate"] is True, ref
                assert again["request"]["id"] == rid, ref
            if again["request"]["status"] == "proposed":
                proposed += 1
        # No place held twice: held counts the proposed requests.
        pool = c.call("shelter.get", {"id": DEFAULT_SHELTER_ID})[
            "shelter"]["pools"][0]
        assert pool["held"] == proposed + 1, (pool, proposed)
