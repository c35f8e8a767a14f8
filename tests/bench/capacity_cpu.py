"""capacity_cpu.py: shelterd's CPU per shelter.capacity call.

One client sends N reports in a row (each waits for its answer) to one
shelter of two pools, against a real redis-server (appendfsync always)
and a real shelterd; prints calls/s and shelterd's CPU (user + system,
from /proc) per call, syscalls included. Compare builds in one run:

    SHELTERD_BUILD=build python3 tests/bench/capacity_cpu.py [N]
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from harness import Daemon, Redis, pool, shelter  # noqa: E402


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with Redis() as r, Daemon(r) as d:
        c = d.client("admin")
        c.call("shelter.put", {"shelter": shelter(
            "b-cap", pools=[pool("a", total=40), pool("b", total=40)])})
        time.sleep(0.2)
        c0, t0 = cpu_s(d.proc.pid), time.monotonic()
        for i in range(n):
            c.call("shelter.capacity", {"id": "b-cap", "pools": {
                "a": {"occupied": i % 41}}})
        c1, t1 = cpu_s(d.proc.pid), time.monotonic()
        print("shelter.capacity: %d calls, %.0f/s, shelterd CPU %.1f us/call"
              % (n, n / (t1 - t0), 1e6 * (c1 - c0) / n))


if __name__ == "__main__":
    main()
