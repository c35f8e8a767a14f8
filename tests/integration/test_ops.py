"""Running shelterd for real: the systemd notify protocol, SIGHUP reloads,
SIGTERM under load, the HTTP health and metrics endpoints, the config
check's corners, the systemd unit and `make install`."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from harness import (DEFAULT_SHELTER_ID, OTHER_SHELTER_ID, ROOT, Client,
                     ConnectionClosed, Daemon, Env, Redis, RpcError,
                     build_dir, expect_error, free_port, pool, request,
                     sha256_hex, shelter, shelterd_path, to_yaml, unique_ref,
                     wait_until)


# ---------------------------------------------------------------------------
# Local helpers


class NotifySocket:
    """A fake systemd notify socket: an AF_UNIX datagram socket in a temp
    dir. .messages() gives every datagram received so far, each as a dict
    of its KEY=VALUE lines (in arrival order)."""

    def __init__(self, abstract=False):
        """abstract: bind in the abstract namespace; .path is then the
        "@name" form systemd puts in NOTIFY_SOCKET."""
        self.dir = tempfile.mkdtemp(prefix="shd-notify-")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "shd-notify-%d-%s" % (os.getpid(), unique_ref())
            self.sock.bind("\0" + name)
            self.path = "@" + name
        else:
            self.path = os.path.join(self.dir, "notify.sock")
            self.sock.bind(self.path)
        self.got = []  # (monotonic time, {key: value})

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _drain(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except (socket.timeout, BlockingIOError):
            return False
        msg = {}
        for line in data.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                msg[k] = v
        self.got.append((time.monotonic(), msg))
        return True

    def messages(self):
        while self._drain(0.001):
            pass
        return [m for _, m in self.got]

    def wait_for(self, pred, timeout=10.0, what="a notify message",
                 since=0):
        """Wait until a message (the since-th received or a later one)
        satisfies pred; it is returned."""
        self.messages()
        start = since
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.got):
                if pred(self.got[i][1]):
                    return self.got[i][1]
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %s within %.1fs; got %r"
                                   % (what, timeout,
                                      [m for _, m in self.got[start:]]))
            self._drain(min(left, 0.1))

    def count(self, key):
        return sum(1 for m in self.messages() if key in m)


def read_to_eof(s):
    """Everything s receives until the peer closes it (or an error such as
    a reset or the timeout ends the reading)."""
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def http_get(port, path, method="GET", body=None, timeout=5):
    """(status, body text) of one HTTP request to 127.0.0.1:port."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, data=body)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def health(port):
    st, text = http_get(port, "/healthz")
    return st, json.loads(text)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_prometheus(text):
    """Prometheus text format 0.0.4 -> ({family: type}, [(name, {label:
    value}, float)]). Fails on a line that is not a comment, a blank or a
    sample, on a sample of an undeclared family and on a family declared
    twice."""
    types = {}
    samples = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                assert parts[2] not in types, "TYPE twice: %s" % line
                assert parts[3] in ("counter", "gauge", "histogram",
                                    "summary", "untyped"), line
                types[parts[2]] = parts[3]
            continue
        m = _SAMPLE.match(line)
        assert m, "line %d is not a sample: %r" % (n, line)
        name, lbl, val = m.group(1), m.group(2) or "", m.group(3)
        labels = {}
        pos = 0
        while pos < len(lbl):
            lm = _LABEL.match(lbl, pos)
            assert lm and lm.end() > pos, "bad labels in %r" % line
            assert lm.group(1) not in labels, line
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        v = float(val)  # also +Inf, NaN
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and types.get(name[:-len(suf)]) == \
                    "histogram":
                fam = name[:-len(suf)]
        assert fam in types, "sample before/without # TYPE: %r" % line
        samples.append((name, labels, v))
    return types, samples


def sample(samples, name, **labels):
    """The value of the one sample with this name and these labels."""
    got = [v for n, l, v in samples if n == name and all(
        l.get(k) == str(x) for k, x in labels.items())]
    assert len(got) == 1, "%s%r: %d samples" % (name, labels, len(got))
    return got[0]


def metrics(port):
    st, text = http_get(port, "/metrics")
    assert st == 200, (st, text[:500])
    return parse_prometheus(text)


def log_has(d, pattern, timeout=5.0):
    rx = re.compile(pattern, re.M)
    return wait_until(lambda: rx.search(d.log_text()), timeout, 0.05,
                      "log line /%s/" % pattern)


def auth_ok(d, token):
    c = Client(d.tcp_port, timeout=5)
    try:
        c.call("session.auth", {"token": token})
        return True
    except RpcError as e:
        if e.code == -32001:
            return False
        raise
    finally:
        c.close()


def skip(why):
    print("    # SKIP %s" % why)


# ---------------------------------------------------------------------------
# 1. systemd notify


def test_notify_ready_reload_stopping():
    with Redis() as r, NotifySocket() as ns:
        d = Daemon(r, environ={"NOTIFY_SOCKET": ns.path},
                      shelters=[shelter(DEFAULT_SHELTER_ID, total=2)],
                      start=False)
        with d:
            d.spawn()
            ready = ns.wait_for(lambda m: m.get("READY") == "1", 10,
                                "READY=1")
            # Ready means serving: the port is published and calls that
            # need the store are answered from it.
            with open(d.port_file) as f:
                d.tcp_port = int(f.read())
            c = d.client("admin")
            st = c.call("stats.get")
            assert st["shelters"] in (0, 1), st
            assert "STATUS" in ready and ready["STATUS"], ready
            msgs = ns.messages()
            assert sum(1 for m in msgs if m.get("READY") == "1") == 1, msgs
            assert not any("WATCHDOG" in m for m in msgs), \
                "WATCHDOG=1 sent without WATCHDOG_USEC: %r" % msgs

            # SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1.
            n = len(ns.messages())
            d.signal(signal.SIGHUP)
            ns.wait_for(lambda m: m.get("READY") == "1", 5,
                        "READY=1 after the reload", since=n)
            after = ns.messages()[n:]
            kinds = [("RELOADING" if "RELOADING" in m else
                      "READY" if "READY" in m else None) for m in after]
            kinds = [k for k in kinds if k]
            assert kinds == ["RELOADING", "READY"], after
            rel = [m for m in after if "RELOADING" in m][0]
            assert rel["RELOADING"] == "1"
            assert int(rel.get("MONOTONIC_USEC", "0")) > 0, rel

            # An invalid config on SIGHUP still ends the reload with READY.
            good = open(d.config_path).read()
            d.write_config(good + "bogus_key: 1\n")
            n = len(ns.messages())
            d.signal(signal.SIGHUP)
            ns.wait_for(lambda m: m.get("READY") == "1", 5,
                        "READY=1 after a failed reload", since=n)
            assert any("RELOADING" in m for m in ns.messages()[n:])
            assert c.call("session.ping")

            # SIGTERM: STOPPING=1, exit 0.
            n = len(ns.messages())
            d.signal(signal.SIGTERM)
            assert d.wait_exit(10) == 0
            time.sleep(0.1)
            after = ns.messages()[n:]
            assert any(m.get("STOPPING") == "1" for m in after), after
            assert not any(m.get("READY") == "1" for m in after), after
            c.close()


def test_notify_watchdog_pings():
    with Redis() as r, NotifySocket() as ns:
        d = Daemon(r, environ={"NOTIFY_SOCKET": ns.path,
                                  "WATCHDOG_USEC": "400000"}, start=False)
        with d:
            d.spawn()
            ns.wait_for(lambda m: m.get("READY") == "1", 10, "READY=1")
            n0 = ns.count("WATCHDOG")
            time.sleep(2.0)
            n1 = ns.count("WATCHDOG")
            # Every 200 ms (half of WATCHDOG_USEC): about 10 in 2 s. At
            # least 4 leaves room for a slow machine; 1 would not be enough
            # to keep a 400 ms watchdog happy.
            assert n1 - n0 >= 4, "only %d WATCHDOG=1 in 2s" % (n1 - n0)
            assert all(m.get("WATCHDOG") == "1" for m in ns.messages()
                       if "WATCHDOG" in m)
            assert d.stop() == 0
        # WATCHDOG_PID naming another process: not ours to ping.
        d2 = Daemon(r, environ={"NOTIFY_SOCKET": ns.path,
                                   "WATCHDOG_USEC": "400000",
                                   "WATCHDOG_PID": "1"}, start=False)
        with d2:
            n = len(ns.messages())
            d2.spawn()
            ns.wait_for(lambda m: m.get("READY") == "1", 10, "READY=1",
                        since=n)
            time.sleep(1.0)
            assert not any("WATCHDOG" in m for m in ns.messages()[n:])


def test_notify_not_ready_until_redis_is_up():
    with Redis() as r, NotifySocket() as ns:
        r.stop()  # same port and dir when started again
        d = Daemon(r, environ={"NOTIFY_SOCKET": ns.path},
                      wait_store=False, start=False)
        with d:
            d.spawn()
            # It listens (clients get -32010 meanwhile) but is not ready.
            wait_until(lambda: os.path.exists(d.port_file) and
                       open(d.port_file).read().endswith("\n"), 10, 0.05,
                       "the port file")
            with open(d.port_file) as f:
                d.tcp_port = int(f.read())
            u = wait_until(lambda: d.client("unix"), 5, 0.05, "the socket")
            expect_error(lambda: u.call("stats.get"), -32010,
                         "store_unavailable")
            time.sleep(1.5)
            msgs = ns.messages()
            assert not any("READY" in m for m in msgs), msgs
            assert any("STATUS" in m for m in msgs), \
                "no STATUS= while waiting for the store: %r" % msgs
            # A reload meanwhile does not announce readiness either.
            d.signal(signal.SIGHUP)
            log_has(d, r"configuration reloaded")
            time.sleep(0.3)
            msgs = ns.messages()
            assert not any(m.get("READY") == "1" for m in msgs), \
                "READY=1 after a SIGHUP while the store was never up: %r" \
                % msgs
            r.start()
            ns.wait_for(lambda m: m.get("READY") == "1", 15,
                        "READY=1 once Redis is up")
            assert u.call("stats.get")["shelters"] == 0
            # Losing Redis later is reported in STATUS=, and so is its
            # return.
            n = len(ns.messages())
            r.stop()
            down = ns.wait_for(lambda m: "STATUS" in m, 10,
                               "STATUS= after Redis went away", since=n)
            assert "unavailable" in down["STATUS"] or \
                "reconnect" in down["STATUS"], down
            n = len(ns.messages())
            r.start()
            up = ns.wait_for(lambda m: "STATUS" in m, 15,
                             "STATUS= after Redis came back", since=n)
            assert "unavailable" not in up["STATUS"], up
            u.close()


def test_nothing_is_matched_before_the_seed_is_loaded():
    # Started while Redis is away, the daemon has no shelter table yet: a
    # preview must not answer "0/0 shelters" as if none existed, it answers
    # -32010 (safe to retry) until the table and the seed are in.
    seed = [shelter("t-seeded", program="cosm", municipality="Zwolle")]
    with Redis() as r:
        r.stop()
        d = Daemon(r, shelters=seed, wait_store=False, start=False)
        with d:
            d.spawn()
            wait_until(lambda: os.path.exists(d.port_file) and
                       open(d.port_file).read().endswith("\n"), 10, 0.05,
                       "the port file")
            u = wait_until(lambda: d.client("unix"), 5, 0.05, "the socket")
            req = request("EARLY-1", program="cosm")
            expect_error(lambda: u.call("match.preview", {"request": req}),
                         -32010, "store_unavailable")
            assert u.call("session.ping")["time"]
            r.start()

            def previewed():
                try:
                    return u.call("match.preview", {"request": req})
                except RpcError as e:
                    assert e.code == -32010, e
                    return None
            res = wait_until(previewed, 15, 0.1, "a preview once Redis is up")
            assert [c["shelter_id"] for c in res["candidates"]] == \
                ["t-seeded"], res
            u.close()


def test_notify_socket_in_the_abstract_namespace():
    with Redis() as r, NotifySocket(abstract=True) as ns:
        d = Daemon(r, environ={"NOTIFY_SOCKET": ns.path}, start=False)
        with d:
            d.spawn()
            ns.wait_for(lambda m: m.get("READY") == "1", 10,
                        "READY=1 on @%s" % ns.path[1:])
            n = len(ns.messages())
            assert d.stop() == 0
            time.sleep(0.1)
            assert any(m.get("STOPPING") == "1"
                       for m in ns.messages()[n:]), ns.messages()


def test_journal_format_only_when_stderr_is_the_journal_stream():
    """JOURNAL_STREAM counts only when its DEV:INODE is stderr's, as
    systemd.exec(5) says: a JOURNAL_STREAM inherited by a shelterd whose
    stderr goes to a file (a script under a unit, a shell in a service)
    keeps the timestamps; stderr that is that stream gets <N> prefixes."""
    with Redis() as r:
        for match in (False, True):
            d = Daemon(r, start=False)
            open(d.log_path, "ab").close()
            st = os.stat(d.log_path)
            stream = "%d:%d" % (st.st_dev, st.st_ino if match else
                                st.st_ino + 1)
            d.environ = {"JOURNAL_STREAM": stream}
            with d:
                d.start()
                assert d.stop() == 0
                lines = [l for l in d.log_text().splitlines()
                         if l and not l.startswith("==")]  # valgrind
                assert lines, "no log lines"
                stamped = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z (info|warn"
                                     r"|err|debug) ")
                for l in lines:
                    if match:
                        assert re.match(r"^<[3467]>(info|warn|err|debug) ",
                                        l), (stream, l)
                    else:
                        assert stamped.match(l), (stream, l)


# ---------------------------------------------------------------------------
# 2. Reload


def test_reload_tokens_weights_and_limits():
    seed = [shelter(DEFAULT_SHELTER_ID, municipality="Rotterdam", total=3),
            shelter(OTHER_SHELTER_ID, municipality="Groningen", total=3)]
    only = {"language": 0, "safety_distance": 0, "proximity": 0,
            "care_fit": 0, "occupancy": 0, "freshness": 0, "together": 0,
            "scarcity": 0}
    with Env(shelters=seed,
             matching={"weights": dict(only, proximity=1)}) as env:
        d = env.daemon
        req = request("RL-1", preferred_location={"municipality": "Zwolle"},
                      person={"gender": "f", "age": 30,
                              "languages": ["en"]})
        svc = env.client("service")

        def preview():
            return {c["shelter_id"]: c for c in svc.call(
                "match.preview", {"request": req})["candidates"]}
        before = preview()
        for c in before.values():
            assert abs(c["score"] - c["scores"]["proximity"]) < 1, c
        # Groningen is nearer to Zwolle than Rotterdam is.
        assert before[OTHER_SHELTER_ID]["score"] > \
            before[DEFAULT_SHELTER_ID]["score"], before

        # Before: a burst of 30 pings is not limited (rate_per_s 10000).
        def burst(n):
            c = env.client("anon")
            c.send_raw(b"".join(b'{"jsonrpc":"2.0","id":%d,"method":'
                                b'"session.ping"}\n' % i for i in range(n)))
            limited = 0
            for _ in range(n):
                m = c.recv(5)
                if "error" in m:
                    assert m["error"]["code"] == -32029, m
                    limited += 1
            return limited
        assert burst(30) == 0

        # The new config: one token gone, one new, language-only weights,
        # rate_per_s 5.
        new_token = "ops-reload-token-" + unique_ref()
        cfg = d.config
        cfg["auth"]["tokens"] = [t for t in cfg["auth"]["tokens"]
                                 if t["name"] != "t-service"] + [
            {"name": "t-new", "role": "coordinator",
             "sha256": sha256_hex(new_token)}]
        cfg["matching"]["weights"] = dict(only, language=1)
        cfg["limits"]["rate_per_s"] = 5
        d.write_config()
        assert not auth_ok(d, new_token)
        d.signal(signal.SIGHUP)
        log_has(d, r"configuration reloaded")
        assert auth_ok(d, new_token)
        assert not auth_ok(d, d.tokens["service"]), \
            "a token removed from the config still works after SIGHUP"
        assert auth_ok(d, d.tokens["coordinator"])

        co = env.client("coordinator")
        after = {c["shelter_id"]: c for c in co.call(
            "match.preview", {"request": req})["candidates"]}
        for c in after.values():
            assert abs(c["score"] - c["scores"]["language"]) < 1, c
        # Both speak English: equal now, where proximity told them apart.
        assert after[OTHER_SHELTER_ID]["score"] == \
            after[DEFAULT_SHELTER_ID]["score"], after
        assert after[OTHER_SHELTER_ID]["score"] != \
            before[OTHER_SHELTER_ID]["score"] or \
            after[DEFAULT_SHELTER_ID]["score"] != \
            before[DEFAULT_SHELTER_ID]["score"], (before, after)

        # After: the same burst on a new connection is mostly refused.
        assert burst(30) >= 20


def test_reload_applies_the_log_level():
    with Env(log={"level": "debug"}) as env:
        d = env.daemon
        env.client("anon").close()
        log_has(d, r" debug connect tcp ")
        d.config["log"] = {"level": "info"}
        d.write_config()
        d.signal(signal.SIGHUP)
        log_has(d, r"configuration reloaded")
        n = len(d.log_text())
        for _ in range(3):
            env.client("anon").call("session.ping")
        assert auth_ok(d, d.tokens["admin"])
        log_has(d, r"session.auth: peer=.* token=t-admin role=admin")
        assert " debug " not in d.log_text()[n:], d.log_text()[n:]


def test_reload_invalid_config_is_logged_with_location_and_old_kept():
    with Env() as env:
        d = env.daemon
        good = to_yaml(d.config) + "\n"
        new_token = "ops-never-" + unique_ref()
        cfg = dict(d.config)
        cfg["auth"] = dict(d.config["auth"])
        cfg["auth"]["tokens"] = list(d.config["auth"]["tokens"]) + [
            {"name": "t-never", "role": "admin",
             "sha256": sha256_hex(new_token)}]
        text = to_yaml(cfg) + "\n"
        lines = text.splitlines()
        # An unknown key under limits, on a line we know.
        at = lines.index("limits:") + 1
        lines.insert(at, "  max_cats: 3")
        d.write_config("\n".join(lines) + "\n")
        d.signal(signal.SIGHUP)
        m = log_has(d, r"%s:(\d+):(\d+): .*max_cats.*$"
                    % re.escape(d.config_path))
        assert int(m.group(1)) == at + 1, (m.group(0), at + 1)
        assert int(m.group(2)) == 3, m.group(0)
        log_has(d, r"keeping the running configuration")
        assert d.running()
        assert not auth_ok(d, new_token), "a half-applied config"
        assert auth_ok(d, d.tokens["coordinator"])
        # Fixing the file and reloading again applies it.
        d.write_config(good)
        d.signal(signal.SIGHUP)
        log_has(d, r"configuration reloaded")
        assert auth_ok(d, d.tokens["admin"])


def test_reload_names_settings_that_need_a_restart():
    hport = free_port()
    with Env(extra={"http": "127.0.0.1:%d" % hport}) as env:
        d = env.daemon
        other = free_port()
        d.config["http"] = "127.0.0.1:%d" % free_port()
        d.config["listen"]["tcp"] = "127.0.0.1:%d" % other
        d.config["redis"]["port"] = env.redis.port + 1 \
            if env.redis.port < 65535 else env.redis.port - 1
        d.write_config()
        d.signal(signal.SIGHUP)
        log_has(d, r"reload: listen settings changed; .*restart")
        log_has(d, r"reload: redis settings changed; .*restart")
        log_has(d, r"reload: http changed; .*restart")
        # Still on the old ports and the old Redis.
        c = env.client("coordinator")
        assert c.call("stats.get")["shelters"] == 0
        assert health(hport) == (200, {"status": "ok", "redis": "up"})
        try:
            Client(other, timeout=1).close()
            raise AssertionError("listening on the new port without a "
                                 "restart")
        except OSError:
            pass
        # An unchanged reload names nothing.
        n = d.log_text().count("after a restart")
        d.signal(signal.SIGHUP)
        wait_until(lambda: d.log_text().count("configuration reloaded") >= 2,
                   5, 0.05, "the second reload")
        assert d.log_text().count("after a restart") == n, \
            "the unchanged addresses were named again"


# ---------------------------------------------------------------------------
# 3. SIGTERM under load


def test_sigterm_under_load_keeps_every_acknowledged_request():
    seed = [shelter(DEFAULT_SHELTER_ID, total=15),
            shelter(OTHER_SHELTER_ID, total=10, municipality="Zwolle")]
    with Env(shelters=seed) as env:
        d = env.daemon
        acked = {}  # rid -> (ref, status in the acknowledgement)
        accepted = set()  # request ids whose accept was acknowledged
        lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def submitter(k):
            try:
                c = d.client("coordinator", timeout=10)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                return
            i = 0
            try:
                while not stop.is_set():
                    ref = "LOAD-%d-%04d" % (k, i)
                    i += 1
                    try:
                        res = c.call("request.submit",
                                     {"request": request(ref)})
                    except RpcError as e:
                        assert e.code == -32010, e
                        continue
                    rid = res["request"]["id"]
                    with lock:
                        acked[rid] = (ref, res["request"]["status"])
                    if res["proposal"] and i % 2 == 0:
                        try:
                            c.call("proposal.accept",
                                   {"id": res["proposal"]["id"]})
                            with lock:
                                accepted.add(rid)
                        except RpcError as e:
                            assert e.code in (-32010, -32009), e
            except (ConnectionClosed, OSError, TimeoutError):
                pass
            except AssertionError as e:
                errors.append(e)
            finally:
                c.close()

        def pinger():
            try:
                c = d.client("anon", timeout=10)
                while not stop.is_set():
                    c.call("session.ping")
            except (ConnectionClosed, OSError, TimeoutError):
                pass

        threads = [threading.Thread(target=submitter, args=(k,))
                   for k in range(4)] + [
            threading.Thread(target=pinger) for _ in range(2)]
        for t in threads:
            t.start()
        t_start = time.monotonic()
        wait_until(lambda: len(acked) >= 40 and
                   time.monotonic() - t_start > 0.5, 15, 0.02, "40 submits")
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        try:
            rc = d.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = "still running after 5 s"
        took = time.monotonic() - t0
        stop.set()
        for t in threads:
            t.join(15)
        assert not errors, errors
        assert rc == 0, rc
        assert took < 5, took
        assert not any(t.is_alive() for t in threads)

        d.start()
        c = env.client("admin")
        # Allowed moves: an accept whose answer was lost to the stop may
        # have happened; a waiting request may have been proposed since.
        later = {"proposed": {"proposed", "placed"},
                 "waiting": {"waiting", "proposed"}}
        for rid, (ref, status) in acked.items():
            got = c.call("request.get", {"id": rid})["request"]
            assert got["ref"] == ref, (rid, got["ref"], ref)
            if rid in accepted:
                assert got["status"] == "placed", got
            else:
                assert got["status"] in later[status], (status, got)
        # No half-written state: the counts agree with the requests.
        st = c.call("stats.get")
        rq = st["requests"]
        assert sum(rq.values()) >= len(acked)
        assert st["places"]["held"] == rq["proposed"], st
        assert st["places"]["expected"] == rq["placed"], st
        total_free = 0
        for s in c.call("shelter.list")["shelters"]:
            for p in s["pools"]:
                assert p["overbooked"] is False, p
                assert p["free"] == p["total"] - p["occupied"] - \
                    p["held"] - p["expected"] >= 0, p
                total_free += p["free"]
        assert total_free == st["places"]["free"]
        assert st["places"]["total"] == 25
        # Placed or proposed requests never outnumber the places.
        assert rq["proposed"] + rq["placed"] <= 25
        # Nobody is left waiting while a place is free (once the restarted
        # daemon has matched the queue again).
        wait_until(lambda: (lambda s_: s_["requests"]["waiting"] == 0 or
                            s_["places"]["free"] == 0)(c.call("stats.get")),
                   5, 0.1, "no waiting request while a place is free")
        for r_ in c.call("request.list", {"status": ["proposed"],
                                          "limit": 500})["requests"]:
            assert r_["proposal"] and r_["proposal"]["status"] == "open", r_


# ---------------------------------------------------------------------------
# 4. HTTP


METRIC_FAMILIES = {
    "shelterd_connections": "gauge",
    "shelterd_calls_total": "counter",
    "shelterd_call_duration_seconds": "histogram",
    "shelterd_match_duration_seconds": "histogram",
    "shelterd_redis_up": "gauge",
    "shelterd_redis_rtt_seconds": "gauge",
    "shelterd_holds_open": "gauge",
    "shelterd_requests": "gauge",
    "shelterd_waiting_oldest_age_seconds": "gauge",
    "shelterd_free_places": "gauge",
    "shelterd_shelter_free_places": "gauge",
    "shelterd_auth_failures_total": "counter",
    "shelterd_rate_limited_total": "counter",
    "shelterd_events_pushed_total": "counter",
}


def test_healthz_follows_redis():
    port = free_port()
    with Env(extra={"http": "127.0.0.1:%d" % port}) as env:
        assert health(port) == (200, {"status": "ok", "redis": "up"})
        env.redis.stop()
        st, body = wait_until(lambda: (lambda h: h if h[0] == 503 else None)(
            health(port)), 10, 0.1, "healthz 503 with Redis stopped")
        assert body["redis"] == "down", body
        assert body["status"] != "ok", body
        types, samples = metrics(port)
        assert sample(samples, "shelterd_redis_up") == 0
        env.redis.start()
        wait_until(lambda: health(port) == (200, {"status": "ok",
                                                  "redis": "up"}),
                   15, 0.1, "healthz 200 after Redis restarted")
        types, samples = metrics(port)
        assert sample(samples, "shelterd_redis_up") == 1


def test_metrics_agree_with_stats_after_a_scenario():
    port = free_port()
    seed = [shelter(DEFAULT_SHELTER_ID, total=2),
            shelter(OTHER_SHELTER_ID, program="crisis", municipality="Zwolle",
                    pools=[pool(total=3, occupied=1)])]
    with Env(shelters=seed, extra={"http": "127.0.0.1:%d" % port},
             limits={"rate_per_s": 20}) as env:
        _, s0 = metrics(port)
        fails0 = sample(s0, "shelterd_auth_failures_total")
        limited0 = sample(s0, "shelterd_rate_limited_total")
        assert sample(s0, "shelterd_waiting_oldest_age_seconds") == 0

        watcher = env.client("coordinator")
        watcher.call("session.subscribe", {"topics": ["requests"]})
        c = env.client("coordinator")
        subs = [c.call("request.submit", {"request": request("M-%d" % i)})
                for i in range(6)]
        t_waiting = time.monotonic()
        proposed = [s for s in subs if s["proposal"]]
        waiting = [s for s in subs if not s["proposal"]]
        assert (len(proposed), len(waiting)) == (4, 2)
        c.call("proposal.accept", {"id": proposed[0]["proposal"]["id"]})
        c.call("request.cancel", {"id": waiting[1]["request"]["id"],
                                  "reason": "x"})

        # One bad token.
        a = env.client("anon")
        expect_error(lambda: a.call("session.auth", {"token": "nope"}),
                     -32001, "bad_token")
        # A burst over rate_per_s: each refused line is answered -32029.
        b = env.client("anon")
        b.send_raw(b"".join(b'{"jsonrpc":"2.0","id":%d,"method":'
                            b'"session.ping"}\n' % i for i in range(60)))
        refused = 0
        for _ in range(60):
            m = b.recv(5)
            if "error" in m:
                assert m["error"]["code"] == -32029, m
                refused += 1
        assert refused >= 20, refused

        events = watcher.events(0.7)
        time.sleep(max(0, 1.2 - (time.monotonic() - t_waiting)))
        st = c.call("stats.get")
        types, samples = metrics(port)

        for fam, kind in METRIC_FAMILIES.items():
            assert types.get(fam) == kind, "%s: %r" % (fam, types.get(fam))
            assert any(n == fam or n.startswith(fam + "_")
                       for n, _, _ in samples), "no samples of %s" % fam

        assert st["places"] == {"total": 5, "occupied": 1, "held": 3,
                                "expected": 1, "free": 0}, st
        assert st["requests"] == {"waiting": 1, "proposed": 3, "placed": 1,
                                  "arrived": 0, "departed": 0,
                                  "cancelled": 1}, st
        for k, v in st["requests"].items():
            assert sample(samples, "shelterd_requests", status=k) == v, k
        for k, v in st["places"].items():
            assert sample(samples, "shelterd_places", state=k) == v, k
        assert sample(samples, "shelterd_shelters") == st["shelters"] == 2
        assert sample(samples, "shelterd_holds_open") == st["places"]["held"]
        frees = {l["program"]: v for n, l, v in samples
                 if n == "shelterd_free_places"}
        assert sum(frees.values()) == st["places"]["free"], frees
        assert frees.get("cosm") == 0 and frees.get("crisis") == 0, frees
        per = {l["shelter"]: v for n, l, v in samples
               if n == "shelterd_shelter_free_places"}
        assert set(per) == {DEFAULT_SHELTER_ID, OTHER_SHELTER_ID}, per
        assert sample(samples, "shelterd_connections") == st["connections"]
        assert sample(samples, "shelterd_auth_failures_total") - fails0 == 1
        assert sample(samples, "shelterd_rate_limited_total") - limited0 == \
            refused
        assert sample(samples, "shelterd_events_pushed_total") == \
            len(events) > 0, events
        assert sample(samples, "shelterd_redis_up") == 1
        assert sample(samples, "shelterd_redis_rtt_seconds") >= 0
        assert sample(samples, "shelterd_calls_total",
                      method="request.submit", outcome="ok") == 6
        assert sample(samples, "shelterd_calls_total",
                      method="session.auth", outcome="denied") >= 1
        # Histograms: cumulative buckets, +Inf == count.
        for fam, lab in (("shelterd_call_duration_seconds",
                          {"method": "request.submit"}),
                         ("shelterd_match_duration_seconds", {})):
            bk = [(l["le"], v) for n, l, v in samples
                  if n == fam + "_bucket" and all(
                      l.get(k) == x for k, x in lab.items())]
            vals = [v for _, v in bk]
            assert vals == sorted(vals) and bk[-1][0] == "+Inf", bk
            cnt = [v for n, l, v in samples if n == fam + "_count" and all(
                l.get(k) == x for k, x in lab.items())]
            assert cnt == [bk[-1][1]], (cnt, bk)
            assert cnt[0] >= 6, cnt
        # The oldest waiting request (M-4) has waited about 1.2 s.
        age = sample(samples, "shelterd_waiting_oldest_age_seconds")
        assert 1.0 <= age < 60, age

        # Nothing waits: back to 0.
        c.call("request.cancel", {"id": waiting[0]["request"]["id"],
                                  "reason": "x"})
        _, samples = metrics(port)
        assert sample(samples, "shelterd_waiting_oldest_age_seconds") == 0
        assert sample(samples, "shelterd_requests", status="waiting") == 0


def test_http_refuses_other_methods_paths_and_oversized_requests():
    port = free_port()
    with Env(extra={"http": "127.0.0.1:%d" % port}) as env:
        for method in ("POST", "PUT", "DELETE"):
            for path in ("/healthz", "/metrics"):
                st, _ = http_get(port, path, method=method, body=b"")
                assert st == 405, (method, path, st)
        for path in ("/", "/health", "/metrics/x", "/healthz/../x"):
            st, _ = http_get(port, path)
            assert st == 404, (path, st)

        def raw(data):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                try:
                    s.sendall(data)
                except OSError:
                    pass  # closed on us mid-way: read what it said
                return read_to_eof(s)
            finally:
                s.close()
        # 64 KiB of headers: refused or cut off, never a 200.
        refused = re.compile(rb"^HTTP/1\.[01] 4\d\d ")
        big = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                  b"a" * 65536 + b"\r\nConnection: close\r\n\r\n")
        assert big == b"" or refused.match(big), big[:200]
        long_path = raw(b"GET /" + b"a" * 20000 + b" HTTP/1.0\r\n\r\n")
        assert long_path == b"" or refused.match(long_path), long_path[:200]
        # A POST with a body over the (zero) body limit.
        body = raw(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
                   b"100000\r\nConnection: close\r\n\r\n" + b"b" * 100000)
        assert body == b"" or refused.match(body), body[:200]
        # Garbage.
        raw(b"\x00\xff NOT HTTP\r\n\r\n")
        assert env.daemon.running()
        assert health(port) == (200, {"status": "ok", "redis": "up"})
        assert "time" in env.client("anon").call("session.ping")


def test_sigterm_while_a_metrics_scrape_waits_for_redis():
    port = free_port()
    with Env(extra={"http": "127.0.0.1:%d" % port}) as env:
        assert metrics(port)[0]  # one normal scrape first
        got = []

        def scrape():
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            try:
                s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                got.append(read_to_eof(s))
            finally:
                s.close()
        # Redis hangs: the scrape's FCALL is outstanding when SIGTERM comes.
        os.kill(env.redis.proc.pid, signal.SIGSTOP)
        try:
            t = threading.Thread(target=scrape)
            t.start()
            time.sleep(0.3)
            assert t.is_alive(), got
            env.daemon.signal(signal.SIGTERM)
            rc = env.daemon.wait_exit(10)
            t.join(10)
        finally:
            os.kill(env.redis.proc.pid, signal.SIGCONT)
        assert rc == 0, "exit %s with a scrape in flight:\n%s" % (
            rc, env.daemon.log_text()[-1500:])
        assert "Assertion" not in env.daemon.log_text()


def test_http_port_taken_is_a_clear_start_failure():
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        with Redis() as r:
            d = Daemon(r, start=False, extra={"http": "127.0.0.1:%d" % port})
            try:
                d.spawn()
                rc = d.wait_exit(15)
                assert rc not in (0, None) and rc > 0, rc
                assert re.search(r"http: cannot listen on 127\.0\.0\.1:%d"
                                 % port, d.log_text()), d.log_text()[-1500:]
            finally:
                d._hard_cleanup()
    finally:
        blocker.close()


# ---------------------------------------------------------------------------
# 5. shelterd -t corners and usage errors


def test_usage_errors_exit_2_and_missing_shelters_file_is_named():
    for args in ([], ["-c"], ["--frobnicate", "-c", "x.yaml"],
                 ["-c", "a.yaml", "extra"]):
        p = subprocess.run([shelterd_path()] + args, capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert "usage" in p.stderr, (args, p.stderr)
        assert p.stdout == "", (args, p.stdout)
    p = subprocess.run([shelterd_path(), "-h"], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 0 and "usage" in p.stdout, p

    with Redis() as r:
        d = Daemon(r, start=False, shelters=[shelter("t-x", total=1)])
        try:
            os.unlink(d.shelters_path)
            p = subprocess.run([shelterd_path(), "-t", "-c", d.config_path],
                               capture_output=True, text=True, timeout=20)
            assert p.returncode == 1, p
            assert "configuration OK" not in p.stdout
            assert d.shelters_path in p.stderr, p.stderr
            # -t checks the files, not Redis: it passes with Redis down.
            with open(d.shelters_path, "w") as f:
                json.dump([shelter("t-x", total=1)], f)
            r.stop()
            p = subprocess.run([shelterd_path(), "-t", "-c", d.config_path],
                               capture_output=True, text=True, timeout=20)
            assert p.returncode == 0 and p.stdout == "configuration OK\n", p
            # A relative shelters path is resolved against the config's
            # folder, not the working directory.
            d.config["shelters"] = "shelters.yaml"
            d.write_config()
            p = subprocess.run([shelterd_path(), "-t", "-c", d.config_path],
                               capture_output=True, text=True, timeout=20,
                               cwd="/")
            assert p.returncode == 0, p
            # A gazetteer that is not there is named.
            d.config["gazetteer"] = os.path.join(d.dir, "nowhere.tsv")
            d.write_config()
            p = subprocess.run([shelterd_path(), "-t", "-c", d.config_path],
                               capture_output=True, text=True, timeout=20)
            assert p.returncode == 1 and "nowhere.tsv" in p.stderr, p
        finally:
            d._hard_cleanup()


# ---------------------------------------------------------------------------
# 6. The systemd unit

UNIT = os.path.join(ROOT, "systemd", "shelterd.service")


def test_unit_security_exposure():
    if shutil.which("systemd-analyze") is None:
        return skip("systemd-analyze is not installed")
    p = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        "--threshold=15", UNIT], capture_output=True,
                       text=True, timeout=60)
    if "Unknown option" in p.stderr or "unrecognized option" in p.stderr:
        return skip("this systemd-analyze has no --offline: %s"
                    % p.stderr.strip())
    assert "Overall exposure level" in p.stdout, (p.stdout, p.stderr)
    assert p.returncode == 0, p.stdout[-1500:] + p.stderr


def test_unit_has_no_unknown_directives():
    if shutil.which("systemd-analyze") is None:
        return skip("systemd-analyze is not installed")
    p = subprocess.run(["systemd-analyze", "verify", UNIT],
                       capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    if "Failed to initialize manager" in out or \
            "Failed to setup" in out or "Operation not permitted" in out:
        return skip("systemd-analyze verify cannot run here: %s"
                    % out.strip()[:300])
    bad = [l for l in out.splitlines() if re.search(
        r"Unknown (key|section|lvalue)|Failed to parse|Invalid|"
        r"unknown|Missing '='|ignoring", l, re.I)
        and "is not executable" not in l and "man " not in l]
    assert not bad, "\n".join(bad)
    unit = open(UNIT).read()
    assert re.search(r"^Type=notify$", unit, re.M)
    assert re.search(r"^WatchdogSec=", unit, re.M)
    assert re.search(r"^ExecReload=.*-HUP", unit, re.M)


# ---------------------------------------------------------------------------
# 7. make install


def make_install(dest, prefix, silent=True):
    """make install of the build under test (silent: make -s). When that
    build is out of date (a source changed after it was built), it is
    installed as it is: relinking it here would change the binary under
    the other tests' feet, or mix sanitizer and plain objects."""
    b = build_dir()
    outputs = [os.path.join(b, x) for x in ("shelterd", "shelterctl",
                                             "libshelter.a")]
    q = subprocess.run(["make", "-q", "-C", ROOT, "BUILD=" + b] + outputs,
                       capture_output=True, timeout=120)
    keep = ["-o", "all"] if q.returncode != 0 else []
    return subprocess.run(["make"] + (["-s"] if silent else []) +
                          ["-C", ROOT, "BUILD=" + b] + keep +
                          ["install", "DESTDIR=" + dest,
                           "PREFIX=" + prefix], capture_output=True,
                          text=True, timeout=600)


def test_make_install_into_destdir():
    dest = tempfile.mkdtemp(prefix="shd-install-")
    try:
        p = make_install(dest, "/usr/local", silent=False)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        # A first install reports no error: no "Error 1 (ignored)" for a
        # shelterd group that does not exist yet.
        assert "Error" not in p.stdout + p.stderr, p.stdout + p.stderr
        assert p.stderr == "", p.stderr
        pre = dest + "/usr/local"
        for path, mode in (("sbin/shelterd", 0o755),
                           ("bin/shelterctl", 0o755),
                           ("lib/libshelter.a", 0o644),
                           ("share/shelterd/municipalities.tsv", 0o644),
                           ("share/man/man8/shelterd.8", 0o644),
                           ("share/man/man1/shelterctl.1", 0o644),
                           ("lib/systemd/system/shelterd.service", 0o644)):
            full = os.path.join(pre, path)
            assert os.path.isfile(full), path
            assert os.stat(full).st_mode & 0o777 == mode, (
                path, oct(os.stat(full).st_mode))
        assert os.listdir(os.path.join(pre, "include", "shelter"))
        # The installed binaries are the ones under test.
        for name, sub in (("shelterd", "sbin"), ("shelterctl", "bin")):
            with open(os.path.join(build_dir(), name), "rb") as a, \
                    open(os.path.join(pre, sub, name), "rb") as b:
                assert a.read() == b.read(), name
        v = subprocess.run([pre + "/sbin/shelterd", "--version"],
                           capture_output=True, text=True, timeout=10)
        assert v.returncode == 0 and v.stdout.startswith("shelterd "), v

        unit = open(pre + "/lib/systemd/system/shelterd.service").read()
        assert re.search(r"^ExecStart=/usr/local/sbin/shelterd -c "
                         r"/etc/shelterd/shelterd.yaml$", unit, re.M), unit
        for line in unit.splitlines():
            if line.startswith("Exec") and "shelterd" in line:
                assert "/usr/local/sbin/shelterd" in line, line

        conf = dest + "/etc/shelterd/shelterd.yaml"
        assert os.stat(conf).st_mode & 0o777 == 0o640
        # Its file references resolve inside the installed tree: the
        # gazetteer defaults to PREFIX/share/shelterd, a relative
        # shelters/gazetteer path to /etc/shelterd.
        text = open(conf).read()
        for key in ("shelters", "gazetteer"):
            m = re.search(r"^%s:\s*(\S+)" % key, text, re.M)
            if m:
                ref = m.group(1).strip("\"'")
                target = dest + ref if ref.startswith("/") else \
                    os.path.join(dest, "etc/shelterd", ref)
                assert os.path.exists(target), (key, ref)
        env = dict(os.environ, SHELTER_GAZETTEER=os.path.join(
            pre, "share/shelterd/municipalities.tsv"))
        t = subprocess.run([pre + "/sbin/shelterd", "-t", "-c", conf],
                           capture_output=True, text=True, timeout=20,
                           env=env)
        assert t.returncode == 0 and "configuration OK" in t.stdout, t

        rconf = open(dest + "/etc/redis/shelterd.conf").read()
        assert re.search(r"^appendonly yes$", rconf, re.M), rconf
        assert re.search(r"^appendfsync always$", rconf, re.M), rconf

        # A second install keeps an edited config.
        with open(conf, "a") as f:
            f.write("# edited by the operator\n")
        p = make_install(dest, "/usr/local")
        assert p.returncode == 0, p.stderr[-2000:]
        assert open(conf).read().endswith("# edited by the operator\n")

        # Another prefix: the unit follows it.
        dest2 = os.path.join(dest, "opt")
        p = make_install(dest2, "/opt/shelterd")
        assert p.returncode == 0, p.stderr[-2000:]
        unit2 = open(dest2 + "/opt/shelterd/lib/systemd/system/"
                     "shelterd.service").read()
        assert "ExecStart=/opt/shelterd/sbin/shelterd " in unit2, unit2
        assert "/usr/local" not in unit2
    finally:
        shutil.rmtree(dest, ignore_errors=True)
