"""submit_redis.py: where Redis's time for a request.submit goes.

A real redis-server (appendfsync everysec) and a real shelterd with 200
shelters of 9,990 places; loadgen sends N submits over 50 connections,
after 2,000 to warm up. Prints, per submit, the calls and microseconds of
each command from INFO commandstats. FCALL's time holds the commands the
function runs (each also counted on its own line), so FCALL minus their
sum is the function's Lua work and the conversions between Lua and Redis:

    SHELTERD_BUILD=build python3 tests/bench/submit_redis.py [N]

(build/bench/loadgen comes from `make bench`, or `make build/bench/loadgen`.)
"""

import subprocess
import sys

from submit_cpu import warmed_up  # noqa: E402 (it sets the path)


def commandstats(port):
    """{command: (calls, usec)} from INFO commandstats."""
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO",
                          "commandstats"], capture_output=True, text=True,
                         check=True).stdout
    stats = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            kv = dict(f.split("=", 1) for f in rest.strip().split(","))
            stats[name] = (int(kv["calls"]), int(kv["usec"]))
    return stats


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    if n < 1:
        sys.exit("submit_redis: N must be at least 1")
    with warmed_up() as (r, _, base):
        subprocess.run(["redis-cli", "-p", str(r.port), "CONFIG",
                        "RESETSTAT"], check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run(base + ["--conns", "50", "--requests", str(n),
                                     "--method", "submit"],
                             check=True, capture_output=True,
                             text=True).stdout
        stats = commandstats(r.port)
    print(out.strip().splitlines()[-1])
    print("per submit:  %-16s %6s %8s" % ("command", "calls", "usec"))
    inner = 0.0
    for name, (calls, usec) in sorted(stats.items(),
                                      key=lambda kv: -kv[1][1]):
        if calls / n < 0.01:
            continue
        print("             %-16s %6.2f %8.1f" % (name, calls / n, usec / n))
        if name not in ("fcall", "xread", "ping"):
            inner += usec / n
    fcall = stats.get("fcall", (0, 0))[1] / n
    # The daemon's own reads (few: its tail XREAD is left out) count
    # as inside too.
    print("FCALL %.1f us: commands inside %.1f, Lua and conversions %.1f"
          % (fcall, inner, fcall - inner))


if __name__ == "__main__":
    main()
