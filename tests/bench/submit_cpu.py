"""submit_cpu.py: shelterd's CPU per request.submit under load.

A real redis-server (appendfsync everysec: the daemon's CPU, not the
disk, is what this measures) and a real shelterd with 200 shelters of
9,990 places; loadgen sends N submits over 50 connections (each waits for
its answer), after 2,000 to warm up. Prints calls/s and shelterd's CPU
(user + system, from /proc) per submit, syscalls included. Compare builds
in one run, alternating:

    SHELTERD_BUILD=build python3 tests/bench/submit_cpu.py [N]

(build/bench/loadgen comes from `make bench`, or `make build/bench/loadgen`.)
"""

import contextlib
import os
import subprocess
import sys

from capacity_cpu import cpu_s  # noqa: E402 (it sets the path)
from harness import Daemon, Redis, build_dir  # noqa: E402


@contextlib.contextmanager
def warmed_up():
    """Redis and shelterd with 200 shelters of 9,990 places, after 2,000
    submits: (redis, daemon, the loadgen command up to its options)."""
    lg = os.path.join(build_dir(), "bench", "loadgen")
    if not os.access(lg, os.X_OK):
        sys.exit("%s not built (make bench)" % lg)
    with Redis(durable=False) as r, Daemon(
            r, limits={"rate_per_s": 1000000, "max_clients": 4096},
            extra={"log": {"level": "warn"},
                   "redis": {"require_durable": False}}) as d:
        base = [lg, "--connect", "127.0.0.1:%d" % d.tcp_port,
                "--token", d.tokens["admin"]]
        subprocess.run(base + ["--conns", "10", "--requests", "200",
                               "--method", "put", "--places", "9990"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(base + ["--conns", "50", "--requests", "2000",
                               "--method", "submit"],
                       check=True, stdout=subprocess.DEVNULL)
        yield r, d, base


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    with warmed_up() as (_, d, base):
        c0 = cpu_s(d.proc.pid)
        out = subprocess.run(base + ["--conns", "50", "--requests", str(n),
                                     "--method", "submit"],
                             check=True, capture_output=True,
                             text=True).stdout
        c1 = cpu_s(d.proc.pid)
        rate = out.split("calls/s")[0].split()[-1]
        print("request.submit: %d calls, %s/s, shelterd CPU %.1f us/call"
              % (n, rate, 1e6 * (c1 - c0) / n))

if __name__ == "__main__":
    main()
