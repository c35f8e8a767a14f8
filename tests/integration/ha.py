"""ha.py: Redis replicas and Redis Sentinel for the failover tests.

    with Node() as m, Node(m) as r, Sentinels(m, 3) as s:
        d = Daemon(m, redis_conf=s.redis_conf(min_replicas_ack=1))

Every process runs on a free port in a temp dir and is stopped by pid,
as in harness.py.
"""

import os
import shutil
import subprocess
import tempfile
import time

from harness import (Redis, RedisError, _kill_process, _register,
                     _unregister, free_port, wait_until)

MASTER_NAME = "shelterd"


class Node(Redis):
    """A redis-server that replicates from master_port when it is set
    (REPLICAOF at start; set it before start() to rejoin as a replica)."""

    def __init__(self, master=None, **kw):
        super().__init__(**kw)
        self.master_port = master.port if master is not None else None
        self.name = "replica" if master is not None else "master"

    def _args(self):
        # As the operator guide advises: a master without a replica
        # refuses writes (NOREPLICAS: nothing changed) instead of making
        # every WAIT time out, and a replica syncs at once.
        return super()._args() + [
            "--min-replicas-to-write", "1",
            "--min-replicas-max-lag", "10",
            "--repl-diskless-sync-delay", "0",
        ] + (["--replicaof", "127.0.0.1", str(self.master_port)]
             if self.master_port else [])

    def in_sync(self):
        info = self.cmd("INFO", "replication")
        return "master_link_status:up" in info


def sentinel_binary():
    return shutil.which("redis-sentinel")


class Sentinels:
    """n redis-sentinel processes watching master (quorum n // 2 + 1),
    with short timeouts: down after 1 s; a failover times out after 10 s
    (at 2 s a promotion slowed by a loaded machine was taken over by a
    second failover, back to the old master)."""

    def __init__(self, master, n=3, down_after_ms=1000):
        self.master = master
        self.n = n
        self.down_after_ms = down_after_ms
        self.dir = tempfile.mkdtemp(prefix="shd-sentinel-")
        self.ports = []
        self.procs = []
        self.name = "sentinels"

    def __enter__(self):
        _register(self)
        try:
            for i in range(self.n):
                self._start_one(i)
            wait_until(self.all_answer, 10, 0.05, "the sentinels")
        except BaseException:
            self._hard_cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self._hard_cleanup()
        return False

    def _start_one(self, i):
        port = free_port()
        conf = os.path.join(self.dir, "sentinel-%d.conf" % i)
        with open(conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\n"
                    "protected-mode no\n"
                    "logfile %s\n"
                    "sentinel monitor %s 127.0.0.1 %d %d\n"
                    "sentinel down-after-milliseconds %s %d\n"
                    "sentinel failover-timeout %s 10000\n"
                    "sentinel parallel-syncs %s 1\n"
                    % (port, self.dir,
                       os.path.join(self.dir, "sentinel-%d.log" % i),
                       MASTER_NAME, self.master.port, self.n // 2 + 1,
                       MASTER_NAME, self.down_after_ms, MASTER_NAME,
                       MASTER_NAME))
        self.ports.append(port)
        self.procs.append(subprocess.Popen(
            [sentinel_binary(), conf], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=self.dir))

    def cmd(self, i, *args, timeout=2.0):
        r = Redis.__new__(Redis)  # only its cmd(): no process of its own
        r.port, r.password = self.ports[i], None
        return Redis.cmd(r, *args, timeout=timeout)

    def all_answer(self):
        return all(self.cmd(i, "PING") == "PONG" for i in range(self.n))

    def master_port(self, i=0):
        """The master's port as sentinel i sees it."""
        a = self.cmd(i, "SENTINEL", "get-master-addr-by-name", MASTER_NAME)
        return int(a[1]) if a else None

    def know_replicas(self, k=1):
        """Every sentinel has seen k replicas and the other sentinels."""
        for i in range(self.n):
            reps = self.cmd(i, "SENTINEL", "replicas", MASTER_NAME)
            sents = self.cmd(i, "SENTINEL", "sentinels", MASTER_NAME)
            if len(reps) < k or len(sents) < self.n - 1:
                return False
        return True

    def seen(self):
        """What each sentinel knows: replicas and other sentinels."""
        return "; ".join(
            "%d: %d replica(s), %d sentinel(s)" % (
                i, len(self.cmd(i, "SENTINEL", "replicas", MASTER_NAME)),
                len(self.cmd(i, "SENTINEL", "sentinels", MASTER_NAME)))
            for i in range(self.n))

    def redis_conf(self, **extra):
        conf = {"sentinels": [{"host": "127.0.0.1", "port": p}
                              for p in self.ports],
                "master_name": MASTER_NAME}
        conf.update(extra)
        return conf

    def log_text(self):
        out = []
        for i in range(self.n):
            try:
                with open(os.path.join(self.dir, "sentinel-%d.log" % i),
                          errors="replace") as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def _hard_cleanup(self):
        for p in self.procs:
            _kill_process(p)
        _unregister(self)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_synced(replica, timeout=15):
    def synced():
        try:
            return replica.in_sync()
        except (OSError, ConnectionError, RedisError):
            return False
    wait_until(synced, timeout, 0.05, "the replica to sync")


def monotonic_ms():
    return int(time.monotonic() * 1000)
