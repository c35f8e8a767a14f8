"""harness.py: real redis-server + real shelterd for the integration tests.

Every test builds its own world:

    with Env() as env:                      # Redis + Daemon, cleaned up
        c = env.client("coordinator")       # TCP client, session.auth done
        c.call("shelter.list")

or the parts by hand:

    with Redis() as r, Daemon(r, limits={"rate_per_s": 5}) as d:
        c = Client(d.tcp_port)

Processes are started on free ports in a private temp dir and are always
stopped (context exit, interpreter exit, or cleanup_all() from run.py on
Ctrl-C). All waits are bounded. Only 127.0.0.1 and Unix sockets are used.

The build directory comes from the environment variable SHELTERD_BUILD
(default: "build" under the repository root); run.py sets it from --build.
Python 3 standard library only.
"""

import atexit
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GAZETTEER = os.path.join(ROOT, "config", "municipalities.tsv")

DEFAULT_SHELTER_ID = "t-shelter-a"
OTHER_SHELTER_ID = "t-shelter-b"


def build_dir():
    d = os.environ.get("SHELTERD_BUILD", "build")
    if not os.path.isabs(d):
        d = os.path.join(ROOT, d)
    return d


def shelterd_path():
    return os.path.join(build_dir(), "shelterd")


def shelterctl_path():
    return os.path.join(build_dir(), "shelterctl")


# ---------------------------------------------------------------------------
# Bookkeeping: every process we start is registered so it can be killed on
# any exit path, and the daemons started by the current test are remembered
# (per thread) so run.py can print their logs when the test fails.

_lock = threading.Lock()
_live = set()  # objects with a _hard_cleanup() method
_local = threading.local()


def _register(obj):
    with _lock:
        _live.add(obj)
    if not hasattr(_local, "daemons"):
        _local.daemons = []
    if isinstance(obj, Daemon) and obj not in _local.daemons:
        _local.daemons.append(obj)


def _unregister(obj):
    with _lock:
        _live.discard(obj)


def begin_test():
    """run.py: a test starts on this thread; forget earlier daemons."""
    _local.daemons = []


def test_logs(lines=30):
    """run.py: the tail of each daemon log of the current test."""
    out = []
    for d in getattr(_local, "daemons", []):
        text = d.log_text()
        tail = text.splitlines()[-lines:]
        out.append((d.name, "\n".join(tail)))
    return out


def cleanup_all():
    """Kill every process still running and remove temp dirs (Ctrl-C)."""
    with _lock:
        objs = list(_live)
    for o in objs:
        try:
            o._hard_cleanup()
        except Exception:
            pass


atexit.register(cleanup_all)


def wait_until(pred, timeout=5.0, interval=0.02, what="condition"):
    """Poll pred() until it returns a true value (returned), bounded."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise TimeoutError(msg)
        time.sleep(interval)


_ports_given = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago, below the
    kernel's ephemeral range, so no client connection of a test running
    meanwhile takes it as its own port before the server binds it (a
    port from bind(0) could be, and a daemon then failed to listen), and
    never the same one twice in this run."""
    lo = min(_ephemeral_low(), 65536)
    for _ in range(1000):
        port = secrets.randbelow(max(lo - 20000, 1)) + 20000
        with _lock:
            if port in _ports_given:
                continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        with _lock:
            _ports_given.add(port)
        return port
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def _stop_process(proc, sig=signal.SIGTERM, timeout=10.0):
    """Signal proc and wait (bounded); SIGKILL if it does not go."""
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        return None


def _kill_process(proc):
    """SIGKILL proc if it runs and wait for it (5 s at most, quietly)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


# ---------------------------------------------------------------------------
# Redis


class RedisError(Exception):
    """An error reply (-ERR ...) from Redis."""


def _resp_encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bytes):
            b = a
        else:
            b = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _resp_read(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode("utf-8", "replace")
    if kind == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [_resp_read(f) for _ in range(n)]
    raise ConnectionError("bad RESP line %r" % line)


# Where the test Redis servers keep their AOF: in memory (/dev/shm) when
# there is one, so appendfsync always still runs on every write but a
# stall of the machine's disk (fdatasync has taken over a second here)
# cannot pass the daemon's 1.5 s store watchdog in the middle of a test.
# The bench measures the disk. SHELTERD_TEST_AOF_DIR overrides it.
AOF_DIR = os.environ.get("SHELTERD_TEST_AOF_DIR") or (
    "/dev/shm" if os.path.isdir("/dev/shm") and
    os.access("/dev/shm", os.W_OK) else None)


class Redis:
    """A private redis-server on a free TCP port and a Unix socket.

    Durable by default (appendonly yes, appendfsync always, save "");
    durable=False runs it without AOF (for the require_durable test).
    Its directory is under AOF_DIR.
    """

    def __init__(self, durable=True, timeout=10.0, password=None):
        self.durable = durable
        self.password = password
        self.timeout = timeout
        self.dir = tempfile.mkdtemp(prefix="shd-redis-", dir=AOF_DIR)
        self.port = None
        self.unixsocket = os.path.join(self.dir, "redis.sock")
        self.proc = None
        self.name = "redis"

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self._hard_cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self._hard_cleanup()
        return False

    def _args(self):
        return [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--unixsocket", self.unixsocket,
            "--unixsocketperm", "700",
            "--dir", self.dir,
            "--appendonly", "yes" if self.durable else "no",
            "--appendfsync", "always" if self.durable else "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", os.path.join(self.dir, "redis.log"),
            "--protected-mode", "no",
        ] + (["--requirepass", self.password] if self.password else [])

    def start(self):
        """Start (or start again, on the same port and dir: AOF keeps data)."""
        _register(self)
        again = self.port is not None
        for attempt in range(5):
            if not again:
                self.port = free_port()  # a fresh port per attempt
            self.proc = subprocess.Popen(
                self._args(), stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd=self.dir)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if self.cmd("PING", timeout=1) == "PONG":
                        return self
                except (OSError, ConnectionError, RedisError):
                    pass
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
                break
            time.sleep(0.2)  # exited: port taken? try again
        raise RuntimeError("redis-server did not start: %s"
                           % self.log_text()[-2000:])

    def log_text(self):
        try:
            path = os.path.join(self.dir, "redis.log")
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cmd(self, *args, timeout=5.0):
        """Run one command on a fresh connection; RESP2 reply as str/int/
        list/None; RedisError on an error reply."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            f = s.makefile("rb")
            try:
                if self.password:
                    s.sendall(_resp_encode(["AUTH", self.password]))
                    _resp_read(f)
                s.sendall(_resp_encode(args))
                return _resp_read(f)
            finally:
                f.close()
        finally:
            s.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Graceful stop: SHUTDOWN (fsyncs the AOF), else SIGTERM."""
        if not self.running():
            return
        try:
            self.cmd("SHUTDOWN")
        except (ConnectionError, OSError, RedisError):
            pass
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _stop_process(self.proc)

    def kill(self):
        """SIGKILL, no goodbye."""
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=5)

    def _hard_cleanup(self):
        _kill_process(self.proc)
        _unregister(self)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# YAML writing (a tiny block-style emitter; scalars are JSON, which YAML
# reads as the same values).


def _yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return json.dumps(str(v))


def to_yaml(value, indent=0):
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict) and v:
                lines.append("%s%s:" % (pad, k))
                lines.append(to_yaml(v, indent + 1))
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                lines.append("%s%s:" % (pad, k))
                for item in v:
                    lines.append("%s  - %s" % (pad, json.dumps(item)))
            elif isinstance(v, (dict, list)):
                lines.append("%s%s: %s" % (pad, k, json.dumps(v)))
            else:
                lines.append("%s%s: %s" % (pad, k, _yaml_scalar(v)))
        return "\n".join(lines)
    return pad + json.dumps(value)


def _merge(base, over):
    out = dict(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------
# shelterd


class Skip(Exception):
    """Raised by a test that cannot run here; run.py reports it as
    "ok - ... # SKIP why"."""


class DaemonError(Exception):
    pass


PROBE_SKIP = object()  # no admin identity to probe readiness with


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "WARNING: ThreadSanitizer")


# valgrind -q prints nothing but its reports, each line "==PID== ...".
VALGRIND_MARK = re.compile(r"^==\d+== ", re.M)


def sanitizer_report(log):
    """The part of a log from the first sanitizer (or valgrind) report on,
    or None."""
    at = [log.find(m) for m in SANITIZER_MARKS if m in log]
    m = VALGRIND_MARK.search(log)
    if m:
        at.append(m.start())
    if not at:
        return None
    start = log.rfind("\n", 0, min(at)) + 1
    return log[start:start + 4000]


class Daemon:
    """build/shelterd with a generated config, on a free TCP port (port 0 +
    listen.port_file) and a Unix socket in a temp dir.

    Keyword arguments override parts of the config:
      matching={...}, limits={...}, redis={...}, listen={...}, auth={...},
      log={...}, shelters=[shelter objects] (written as the seed file),
      prefix="shelterd:", require_durable=True, shelter_id="t-shelter-a",
      extra={top-level keys}, start=True (False: call .start() yourself),
      tls=ssl.SSLContext for the TCP clients when listen.tls is configured,
      wait_store=True (wait until the store answers, not just session.ping,
      and the seed shelters are in; checked over TCP with the admin token),
      environ={VAR: value} (shelterd then gets the runner's environment
      without systemd's NOTIFY_SOCKET and WATCHDOG_*, plus these; default:
      the runner's environment as it is).
    """

    ROLES = ("admin", "coordinator", "shelter", "service")

    def __init__(self, redis, matching=None, limits=None, shelters=None,
                 prefix="shelterd:", require_durable=True,
                 shelter_id=DEFAULT_SHELTER_ID, listen=None, auth=None,
                 log=None, extra=None, redis_conf=None, start=True,
                 wait_store=True, name="shelterd", timeout=10.0, tls=None,
                 environ=None, nofile=None):
        self.redis = redis
        self.nofile = nofile  # (soft, hard) RLIMIT_NOFILE for the daemon
        self.environ = dict(environ) if environ is not None else None
        self.tls = tls  # ssl.SSLContext for TCP clients (listen.tls set)
        self.name = name
        self.timeout = timeout
        self.wait_store = wait_store
        self.dir = tempfile.mkdtemp(prefix="shd-d-")
        self.config_path = os.path.join(self.dir, "shelterd.yaml")
        self.port_file = os.path.join(self.dir, "port")
        self.unix_path = os.path.join(self.dir, "shelterd.sock")
        self.log_path = os.path.join(self.dir, "shelterd.log")
        self.shelters_path = os.path.join(self.dir, "shelters.yaml")
        self.tcp_port = None
        self.proc = None
        self._final_log = ""
        self._autostart = start
        self.shelter_id = shelter_id

        # Random plain tokens per role; the config holds their sha256.
        self.tokens = {r: secrets.token_hex(16) for r in self.ROLES}
        self.tokens["shelter_b"] = secrets.token_hex(16)
        token_conf = [
            {"name": "t-admin", "role": "admin",
             "sha256": sha256_hex(self.tokens["admin"])},
            {"name": "t-coordinator", "role": "coordinator",
             "sha256": sha256_hex(self.tokens["coordinator"])},
            {"name": "t-shelter", "role": "shelter", "shelter": shelter_id,
             "sha256": sha256_hex(self.tokens["shelter"])},
            {"name": "t-shelter-b", "role": "shelter",
             "shelter": OTHER_SHELTER_ID,
             "sha256": sha256_hex(self.tokens["shelter_b"])},
            {"name": "t-service", "role": "service",
             "sha256": sha256_hex(self.tokens["service"])},
        ]
        self.config = {
            "listen": _merge({
                "unix": self.unix_path,
                "unix_mode": "0600",
                "tcp": "127.0.0.1:0",
                "port_file": self.port_file,
            }, listen),
            "redis": _merge({
                "host": "127.0.0.1",
                "port": redis.port if redis is not None else 1,
                "prefix": prefix,
                "require_durable": require_durable,
            } if "unix" not in (redis_conf or {}) else {
                # redis_conf={"unix": PATH}: over Redis's Unix socket.
                "prefix": prefix,
                "require_durable": require_durable,
            }, redis_conf),
            "auth": _merge({
                "peers": [{"uid": os.getuid(), "role": "admin"}],
                "tokens": token_conf,
            }, auth),
            "matching": _merge({"hold_ttl_s": 1800, "alternatives": 3},
                               matching),
            "limits": _merge({
                "max_line_bytes": 65536,
                "max_clients": 1024,
                "rate_per_s": 10000,
                "output_buffer_bytes": 8388608,
            }, limits),
            "gazetteer": GAZETTEER,
            "log": _merge({"level": "debug"}, log),
        }
        self.seed_ids = {s["id"] for s in shelters or []
                         if isinstance(s, dict) and "id" in s}
        if shelters is not None:
            with open(self.shelters_path, "w") as f:
                json.dump(shelters, f, indent=1)
            self.config["shelters"] = self.shelters_path
        self.config = _merge(self.config, extra)
        self.write_config()

    def write_config(self, text=None):
        with open(self.config_path, "w") as f:
            f.write(text if text is not None else to_yaml(self.config) + "\n")

    def __enter__(self):
        _register(self)
        if self._autostart:
            try:
                self.start()
            except BaseException:
                self._hard_cleanup()
                raise
        return self

    def __exit__(self, exc_type, exc, tb):
        # A clean exit: stop gracefully so sanitizers can report, and fail
        # the test when the daemon's log shows a sanitizer report.
        report = None
        if exc_type is None and self.running():
            self.stop()
        if exc_type is None:
            report = sanitizer_report(self.log_text())
        self._hard_cleanup()
        if report:
            raise AssertionError("sanitizer report in the %s log:\n%s"
                                 % (self.name, report))
        return False

    # -- process control --------------------------------------------------

    def spawn(self, args=None):
        """Start shelterd with args (default: -c CONFIG); no waiting."""
        _register(self)
        try:
            os.unlink(self.port_file)
        except FileNotFoundError:
            pass
        if args is None:
            args = ["-c", self.config_path]
        env = None  # the runner's
        if self.environ is not None:
            env = dict(os.environ)
            for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
                env.pop(k, None)
            env.update(self.environ)
        self._log = open(self.log_path, "ab")
        # SHELTERD_WRAPPER runs the daemon under a tool, e.g. valgrind
        # (make valgrind); its reports land in the daemon's log.
        wrapper = os.environ.get("SHELTERD_WRAPPER", "").split()
        limit = None
        if self.nofile is not None:
            def limit(nofile=self.nofile):
                import resource
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)
        self.proc = subprocess.Popen(
            wrapper + [shelterd_path()] + args, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=self._log, cwd=self.dir, env=env,
            preexec_fn=limit)
        return self.proc

    def start(self):
        """Start and wait (bounded) until it serves: port file written,
        session.ping answers, and (wait_store) the store is reachable."""
        if not os.path.exists(shelterd_path()):
            raise DaemonError("no daemon binary at %s" % shelterd_path())
        self.spawn()
        deadline = time.monotonic() + self.timeout

        def port_ready():
            if self.proc.poll() is not None:
                raise DaemonError("shelterd exited with %s during start:\n%s"
                                  % (self.proc.returncode,
                                     self.log_text()[-3000:]))
            with open(self.port_file) as f:
                text = f.read()
            if not text.endswith("\n"):
                return None
            return int(text.strip())

        self.tcp_port = self._wait(port_ready, deadline, "listen.port_file")

        def pings():
            c = Client(self.tcp_port, timeout=2, tls=self.tls)
            try:
                return "time" in c.call("session.ping")
            finally:
                c.close()

        self._wait(pings, deadline, "session.ping")
        if self.wait_store:
            self._wait(lambda: self._probe("stats.get") is not None,
                       deadline, "the store (stats.get)")
        if self.wait_store and self.seed_ids:
            # The seed is applied once the store is up; wait until the
            # daemon's table has it, so tests start from the seeded state.
            def seeded():
                r = self._probe("shelter.list")
                if r is PROBE_SKIP:
                    return True
                return r is not None and self.seed_ids <= {
                    s["id"] for s in r["shelters"]}
            self._wait(seeded, deadline, "the seed shelters")
        return self

    def _probe(self, method):
        """Call method as admin for the readiness checks: over TCP with the
        admin token, else over the Unix socket (a test may have replaced
        the tokens or the peers). The result; None while the store is
        unavailable; PROBE_SKIP when no admin identity is configured."""
        for how in ("tcp", "unix"):
            try:
                c = self.client("admin" if how == "tcp" else "unix",
                                timeout=2)
            except RpcError:
                continue  # no admin token
            try:
                return c.call(method)
            except RpcError as e:
                if e.code == -32010:
                    return None
            finally:
                c.close()
        return PROBE_SKIP

    def _wait(self, pred, deadline, what):
        last = None
        while True:
            try:
                v = pred()
                if v is not None and v is not False:
                    return v
            except DaemonError:
                raise
            except Exception as e:  # noqa: BLE001
                last = e
            if self.proc.poll() is not None:
                raise DaemonError("shelterd exited with %s during start:\n%s"
                                  % (self.proc.returncode,
                                     self.log_text()[-3000:]))
            if time.monotonic() > deadline:
                raise DaemonError("shelterd not ready (%s) after %.0fs: %r\n%s"
                                  % (what, self.timeout, last,
                                     self.log_text()[-3000:]))
            time.sleep(0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout=10.0):
        """Wait for the process to exit by itself; its exit code."""
        return self.proc.wait(timeout=timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, timeout=5.0):
        """Write self.config, SIGHUP, and wait until the daemon says it
        reloaded."""
        self.write_config()
        n = len(self.log_text())
        self.signal(signal.SIGHUP)
        wait_until(lambda: "configuration reloaded" in self.log_text()[n:],
                   timeout, what="the reload")

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit code (None if it had to be
        killed)."""
        rc = _stop_process(self.proc, signal.SIGTERM, timeout)
        self._close_log()
        return rc

    def kill(self):
        """SIGKILL."""
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._close_log()

    def restart(self):
        self.stop()
        return self.start()

    def _close_log(self):
        f = getattr(self, "_log", None)
        if f is not None:
            f.close()
            self._log = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return self._final_log

    def _hard_cleanup(self):
        _kill_process(self.proc)
        self._close_log()
        self._final_log = self.log_text()
        _unregister(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients ------------------------------------------------------------

    def client(self, role="admin", timeout=5.0):
        """An authenticated client: "admin", "coordinator", "shelter",
        "shelter_b", "service" over TCP with the role's token; "unix" over
        the Unix socket (peer credentials: admin); "anon" over TCP, not
        authenticated."""
        if role == "unix":
            return Client(self.unix_path, timeout=timeout)
        c = Client(self.tcp_port, timeout=timeout, tls=self.tls)
        if role != "anon":
            c.call("session.auth", {"token": self.tokens[role]})
        return c


# ---------------------------------------------------------------------------
# JSON-RPC client


class RpcError(Exception):
    """An error response: .code .reason .field .message .id .data ."""

    def __init__(self, msg):
        err = msg.get("error") or {}
        data = err.get("data") or {}
        self.response = msg
        self.code = err.get("code")
        self.message = err.get("message")
        self.data = data
        self.reason = data.get("reason") if isinstance(data, dict) else None
        self.field = data.get("field") if isinstance(data, dict) else None
        self.id = msg.get("id")
        super().__init__("%s %s field=%s: %s" % (self.code, self.reason,
                                                 self.field, self.message))


class ConnectionClosed(Exception):
    pass


class Client:
    """A line-oriented JSON-RPC client over TCP (int port, or (host, port))
    or a Unix socket (str path)."""

    def __init__(self, target, timeout=5.0, rcvbuf=None, tls=None):
        """rcvbuf: a small SO_RCVBUF makes a slow reader (limits tests).
        tls: an ssl.SSLContext to speak TLS over TCP."""
        self.timeout = timeout
        if isinstance(target, int):
            target = ("127.0.0.1", target)
        family = socket.AF_INET if isinstance(target, tuple) \
            else socket.AF_UNIX
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(target)
            if tls is not None:
                self.sock = tls.wrap_socket(self.sock,
                                            server_hostname="localhost")
        except OSError:
            self.sock.close()
            raise
        self.buf = b""
        self.notifications = deque()
        self.next_id = 1
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- raw ------------------------------------------------------------------

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def request(self, obj):
        """Send obj (dict, or any JSON value) as one line. Returns its id."""
        self.send_raw(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
        return obj.get("id") if isinstance(obj, dict) else None

    def recv_line(self, timeout=None):
        """The next line (bytes, without terminator). ConnectionClosed at
        EOF, socket.timeout (TimeoutError) when nothing arrives in time."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                raise ConnectionClosed("connection closed by the daemon")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no line within %.1fs" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no line within %.1fs" % timeout)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                continue
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def recv(self, timeout=None):
        """The next message from the socket (response or notification)."""
        line = self.recv_line(timeout)
        return json.loads(line)

    def is_closed(self, timeout=2.0):
        """True when the daemon closes the connection within timeout
        (any lines still in flight are discarded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.recv_line(deadline - time.monotonic())
            except ConnectionClosed:
                return True
            except (TimeoutError, OSError):
                return False
        return False

    # -- calls -------------------------------------------------------------

    def _new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def response(self, id, timeout=None):
        """Read until the response with this id; notifications are queued."""
        while True:
            msg = self.recv(timeout)
            if "id" not in msg and msg.get("method"):
                self.notifications.append(msg)
                continue
            if msg.get("id") != id:
                raise AssertionError("response for id %r while waiting for "
                                     "%r: %r" % (msg.get("id"), id, msg))
            return msg

    def call_raw(self, method, params=None, id=None, timeout=None):
        """Send a call and return the whole response message."""
        if id is None:
            id = self._new_id()
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.request(msg)
        return self.response(id, timeout)

    def call(self, method, params=None, id=None, timeout=None):
        """Returns the result, or raises RpcError."""
        resp = self.call_raw(method, params, id, timeout)
        if "error" in resp:
            raise RpcError(resp)
        return resp["result"]

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.request(msg)

    def notification(self, timeout=None):
        """The next notification message ({"method": "event", ...})."""
        if self.notifications:
            return self.notifications.popleft()
        while True:
            msg = self.recv(timeout)
            if "id" not in msg and msg.get("method"):
                return msg
            raise AssertionError("unexpected response %r" % (msg,))

    def event(self, timeout=None):
        """The params of the next event notification."""
        msg = self.notification(timeout)
        assert msg.get("method") == "event", msg
        return msg["params"]

    def events(self, timeout=1.0):
        """Every event that arrives until none came for timeout seconds."""
        out = []
        while True:
            try:
                out.append(self.event(timeout))
            except TimeoutError:
                return out

    def wait_event(self, pred, timeout=5.0):
        """Skip events until pred(event) holds; returns it (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching event within %.1fs" % timeout)
            ev = self.event(left)
            if pred(ev):
                return ev


def wait_store_down(c, timeout=10.0):
    """After Redis went away: wait until the daemon behind client c has
    read the end of its store connection, shown by a read refused with
    store_unavailable. Until then a write may still be sent into the dead
    connection, and is rightly answered outcome_unknown."""
    def down():
        try:
            c.call("request.list", {}, timeout=5)
        except RpcError as e:
            return (e.code, e.reason) == (-32010, "store_unavailable")
        return False
    wait_until(down, timeout, 0.05, "a read refused with Redis away")


def expect_error(fn, code, reason=None, field=None):
    """Run fn(); assert it raises RpcError with this code/reason/field.
    Returns the error."""
    try:
        r = fn()
    except RpcError as e:
        assert e.code == code, "expected code %s, got %s" % (code, e)
        if reason is not None:
            assert e.reason == reason, "expected reason %s, got %s" % (
                reason, e)
        if field is not None:
            assert e.field == field, "expected field %r, got %s" % (field, e)
        return e
    raise AssertionError("expected error %s %s, got result %r"
                         % (code, reason, r))


# ---------------------------------------------------------------------------
# Env: Redis + Daemon


class Env:
    """A private Redis and one shelterd on it. Keyword arguments go to
    Daemon. env.client(role) gives clients that are closed at exit."""

    def __init__(self, **daemon_opts):
        self.daemon_opts = daemon_opts
        self.redis = None
        self.daemon = None
        self._clients = []
        self._extra = []

    def __enter__(self):
        self.redis = Redis().__enter__()
        try:
            self.daemon = Daemon(self.redis, **self.daemon_opts).__enter__()
        except BaseException:
            self.redis.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for c in self._clients:
            c.close()
        try:
            for d in self._extra:
                d.__exit__(*exc)
            if self.daemon is not None:
                self.daemon.__exit__(*exc)
        finally:
            self.redis.__exit__(*exc)
        return False

    def client(self, role="admin", daemon=None, timeout=5.0):
        c = (daemon or self.daemon).client(role, timeout=timeout)
        self._clients.append(c)
        return c

    def second_daemon(self, **opts):
        """Another shelterd on the same Redis (same prefix unless given)."""
        d = Daemon(self.redis, **opts)
        self._extra.append(d)
        d.__enter__()
        return d


def make_cert(dir, name):
    """A self-signed certificate for localhost / 127.0.0.1 (openssl CLI).
    Returns (cert_path, key_path)."""
    cert = os.path.join(dir, name + ".crt")
    key = os.path.join(dir, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
         cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return cert, key


# ---------------------------------------------------------------------------
# Fictional fixtures


def pool(name="main", genders=("f", "m", "x"), min_age=18, max_age=120,
         children_max=0, boys_max_age=12, total=5, occupied=0):
    return {"name": name, "genders": list(genders), "min_age": min_age,
            "max_age": max_age, "children_max": children_max,
            "boys_max_age": boys_max_age, "total": total,
            "occupied": occupied}


def shelter(id=DEFAULT_SHELTER_ID, program="cosm", municipality="Rotterdam",
            pools=None, total=None, **extra):
    """A valid shelter. total=N is a shortcut for one pool "main" with N
    places."""
    if pools is None:
        pools = [pool(total=5 if total is None else total)]
    s = {
        "id": id,
        "name": "Test shelter " + id,
        "organisation": "Example Care",
        "program": program,
        "location": {"municipality": municipality},
        "care": ["trauma"],
        "languages": ["nl", "en"],
        "security": "protected",
        "intake": {"open": True, "always": True},
        "pools": pools,
    }
    s.update(extra)
    return s


def request(ref, gender="f", age=30, **fields):
    """A valid request for an adult in the reflection period. Keyword
    arguments replace top-level fields (person=... replaces the person)."""
    r = {
        "ref": ref,
        "person": {"gender": gender, "age": age, "languages": ["en"]},
        "residence": "reflection",
        "urgency": "days",
    }
    r.update(fields)
    return r


def unique_ref(prefix="T"):
    return "%s-%s" % (prefix, secrets.token_hex(4))


def free_of(shelter_obj, pool_name=None):
    """Sum of free places (or of one pool) of a shelter object."""
    return sum(p["free"] for p in shelter_obj["pools"]
               if pool_name is None or p["name"] == pool_name)


def pool_of(shelter_obj, name="main"):
    for p in shelter_obj["pools"]:
        if p["name"] == name:
            return p
    raise KeyError(name)
