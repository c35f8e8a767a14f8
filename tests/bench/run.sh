#!/bin/sh
# run.sh: the benchmarks (`make bench` sets BUILD). Every figure of the
# daemon is the median of RUNS runs, printed with its spread ((max - min) /
# median) and the load average at that moment: on a shared machine only
# ratios within one run mean something.
#   1. bench_match: the matching core, 10,000 synthetic shelters x 1,000
#      requests: latency p50/p99 (wall and CPU), shelters/s, allocations
#      per request (and once more with the candidates and explanation JSON),
#      for match_run, match_run_indexed (the whole ranking: match.preview,
#      the waitlist pass) and match_run_top of 8 (a submit's window); the
#      goals read the last two.
#   2. Per pass (PASSES), a private redis-server (temp dir, free port, AOF
#      on) and shelterd:
#        always    appendfsync always, require_durable: true (production)
#        tmpfs     appendfsync always with the AOF on /dev/shm (not for
#                  production: the same calls and fsyncs without the disk,
#                  so a tail the always pass has and this one lacks is the
#                  disk's; its goal lines are printed, never counted)
#        everysec  appendfsync everysec (not for production: where the time
#                  goes without the fsync)
#      The always and tmpfs passes first time 2,000 fdatasyncs where the
#      AOF is (a stall there is in every tail below). Redis's automatic AOF
#      rewrite is off: these passes write in a minute what shelterd's
#      register writes in years (about 3 KB a submit), so at the default
#      (at 64 MB, then whenever the file doubles) it forked a rewrite
#      every few seconds, and the child took a core of the two for a
#      second: the open loop's tail was those rewrites. The open loop is
#      run once more at 0.5 x with one rewrite in it, so its cost shows.
#      SHELTERS shelters with room for every submit; loadgen with CONNS
#      connections: session.ping, request.submit closed loop (one call
#      outstanding per connection), then (always) open loop: a fixed
#      arrival rate, latency from the intended send time, unanswered calls
#      infinitely slow, at rising fractions of the closed-loop rate, until
#      p99 passes 50 ms, each run from a fresh store and daemon seeded as
#      the closed loop's were (the runs before it would otherwise have grown
#      the store it runs on); shelter.capacity; then (always) capacity change ->
#      proposal.created at a subscriber while submits run at BG_RATE/s.
#      shelterd is then stopped and redis-benchmark calls the same
#      functions (FCALL shd_submit with the arguments shelterd sent, a
#      fresh ref per call; FCALL shd_capacity) with CONNS connections: the
#      ratio daemon/redis says what the daemon adds to Redis. Redis work
#      per call (commands and the time in functions from INFO
#      commandstats, Redis's whole CPU time from /proc) and shelterd's CPU
#      per call (/proc) are printed beside it.
#   3. The register's size: submit at 100, 1,000 and 10,000 shelters and
#      the Redis time of a shd_alerts pass at each (SLOWLOG); at
#      10,000: start-up time (exec to READY=1) and RSS after it, then
#      10,000 waiting requests re-matched after one capacity change (the
#      one that fits is last in the waitlist: the time to its proposal),
#      once with the waitlist settled (a pass read it 200 ms after the
#      last join: the goal) and once with a request joined just before
#      (read in full).
#      Without BENCH_QUICK also 100,000 shelters (start-up, no watchdog).
#   4. The goals, each as met or missed.
# Environment: BUILD (build), SHELTERS (200), CONNS (50), CALLS (5000),
# RUNS (3), PASSES ("always tmpfs everysec"), BG_RATE (1000), PLACES (pool size;
# default room for every submit), BENCH_QUICK=1 (1 run each, fewer rates,
# smaller counts, no 100,000), SHELTERD_WRAP (a command to run shelterd
# under, e.g. `perf record -g -o FILE --`; its CPU time is then not shown).
# A bad parameter or a failed step is an error (exit 1 or 2), never a skip.
BUILD=${BUILD:-build}
if [ -n "$BENCH_QUICK" ]; then
	RUNS=${RUNS:-1}
	CALLS=${CALLS:-2000}
	RATES=${RATES:-"0.5 0.7 0.8 0.9 1.0 1.2"}
	WAITING=${WAITING:-10000}
	BIG=${BIG:-0}
else
	RUNS=${RUNS:-3}
	CALLS=${CALLS:-5000}
	RATES=${RATES:-"0.5 0.6 0.7 0.8 0.9 1.0 1.1 1.2"}
	WAITING=${WAITING:-10000}
	BIG=${BIG:-100000}
fi
SHELTERS=${SHELTERS:-200}
CONNS=${CONNS:-50}
PASSES=${PASSES:-always tmpfs everysec}
BG_RATE=${BG_RATE:-1000}
SIZES=${SIZES:-"100 1000 10000"}

die() {
	echo "bench: $*" >&2
	exit 1
}
# A whole number in [lo, hi], or exit 2.
check_int() { # name value lo hi
	case $2 in
	'' | *[!0-9]*) echo "bench: $1=$2: not a whole number" >&2 && exit 2 ;;
	esac
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
		{ echo "bench: $1=$2: must be $3 to $4" >&2 && exit 2; }
}
check_int SHELTERS "$SHELTERS" 1 100000
check_int CONNS "$CONNS" 1 4000
check_int CALLS "$CALLS" 1 1000000
check_int RUNS "$RUNS" 1 15
check_int BG_RATE "$BG_RATE" 1 100000
check_int WAITING "$WAITING" 1 100000
check_int BIG "$BIG" 0 1000000
[ -n "$PLACES" ] && check_int PLACES "$PLACES" 1 9990
for n in $SIZES; do check_int SIZES "$n" 1 100000; done
for p in $PASSES; do
	case $p in always | tmpfs | everysec) ;; *) echo "bench: unknown pass $p" >&2 && exit 2 ;; esac
done

"$BUILD"/bench/bench_match >"${TMPDIR:-/tmp}/bench_match.$$" || exit 1
cat "${TMPDIR:-/tmp}/bench_match.$$"
# The goal reads two of the daemon's paths: the whole ranking through the
# index (match.preview, the waitlist pass) and a submit's window (top 8).
match_cpu_p99=$(sed -n 's/^match indexed: .*cpu p50 [0-9]* us, p99 \([0-9]*\) us.*/\1/p' "${TMPDIR:-/tmp}/bench_match.$$")
match_top_p99=$(sed -n 's/^match top 8: .*cpu p50 [0-9]* us, p99 \([0-9]*\) us.*/\1/p' "${TMPDIR:-/tmp}/bench_match.$$")
rm -f "${TMPDIR:-/tmp}/bench_match.$$"
"$BUILD"/bench/bench_match -j || exit 1

[ -x "$BUILD/shelterd" ] && [ -x "$BUILD/bench/loadgen" ] ||
	die "$BUILD/shelterd or $BUILD/bench/loadgen not built"
for t in redis-server redis-cli redis-benchmark python3; do
	command -v $t >/dev/null 2>&1 || die "no $t"
done

tmp=$(mktemp -d)
shm=
rpid=
dpid=
stop_daemon() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	# One started through the READY=1 helper is not this shell's child.
	while [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; do sleep 0.05; done
	dpid=
}
stop_redis() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	rpid=
}
cleanup() {
	stop_daemon
	stop_redis
	rm -rf "$tmp" "$shm"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "bench: $1" >&2
	[ -f "$tmp/shelterd.log" ] && tail -5 "$tmp/shelterd.log" | sed 's/^/  shelterd: /' >&2
	exit 1
}

# A free port: bind 0 and give it back (a small race, fine for a bench).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# One loadgen line -> "calls/s p50 p99" (ms; "inf" for unanswered).
lg_fig() {
	sed -n 's/.* \([0-9][0-9]*\) calls\/s, p50 \([0-9.inf]*\) ms, p99 \([0-9.inf]*\) ms.*/\1 \2 \3/p'
}

# "median spread" of numbers ("inf" sorts last); spread (max - min) / median.
med() {
	echo "$@" | tr ' ' '\n' | sed '/^$/d' | sed 's/^inf$/1e300/' | sort -g |
		awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)]
			sp = m > 0 && m < 1e299 && v[NR] < 1e299 ? (v[NR] - v[1]) / m : 0
			if (m >= 1e299) printf "inf %.2f\n", sp; else printf "%s %.2f\n", m, sp }'
}

# Run "$@" (a command printing one loadgen line) RUNS times: prints
# "rps p50 p99 spread", the medians and the spread of the rps.
repeat() {
	: >"$tmp/runs"
	r=0
	while [ $r -lt "$RUNS" ]; do
		"$@" | lg_fig >>"$tmp/runs"
		r=$((r + 1))
	done
	runs_fig
}
# The figure of the runs in $tmp/runs, as repeat prints it.
runs_fig() {
	[ -s "$tmp/runs" ] || return 1
	m1=$(med $(cut -d' ' -f1 "$tmp/runs"))
	m2=$(med $(cut -d' ' -f2 "$tmp/runs"))
	m3=$(med $(cut -d' ' -f3 "$tmp/runs"))
	echo "${m1% *} ${m2% *} ${m3% *} ${m1#* }"
}

# One redis-benchmark --csv run of the command in "$@", as loadgen prints.
rb_fig() {
	redis-benchmark -p "$rport" -c "$CONNS" -n "$CALLS" -r 1000000000 \
		--csv "$@" 2>/dev/null | tail -1 | tr -d '"' |
		awk -F, '{ printf "x %d calls/s, p50 %s ms, p99 %s ms\n", $(NF-6), $(NF-3), $(NF-1) }'
}
# The same for FCALL shd_submit with the arguments in $tmp/p/rbargs. Each
# run first gives the candidates' pools their held places back: the
# daemon's runs and the last raw run filled them, and a raw call would
# walk down the list further than a daemon's submit ever does (it ranks
# the free places).
rb_submit() {
	python3 - "$tmp/p/rbargs" "$rport" "$CONNS" "$CALLS" <<'EOF'
import subprocess, sys
a = open(sys.argv[1]).read().split("\0")
# FCALL shd_submit 0 PREFIX ...: the candidates are the last argument,
# a line each: "ID POOL[,POOL...] SCORE ...".
for line in a[-1].splitlines():
    f = line.split(" ")
    if len(f) >= 2:
        for pool in f[1].split(","):
            subprocess.run(["redis-cli", "-p", sys.argv[2], "HSET",
                            a[3] + "shelter:" + f[0], "h:" + pool, "0"],
                           capture_output=True, check=True)
out = subprocess.run(["redis-benchmark", "-p", sys.argv[2], "-c", sys.argv[3], "-n", sys.argv[4],
                      "-r", "1000000000", "--csv"] + a, capture_output=True, text=True).stdout.strip().splitlines()
f = out[-1].replace('"', "").split(",")[-7:]  # the name holds commas
print("x %d calls/s, p50 %s ms, p99 %s ms" % (float(f[0]), f[3], f[5]))
EOF
}

# Redis's own work since the last reset, per client call, as
# "commands/call FCALLs/call function-usec/call process-usec/call", then
# reset. The functions' time (FCALL's usec in INFO commandstats) already
# holds the commands they run, which commandstats counts once more on
# their own: those are not added again. The process time (/proc, user +
# system of every thread) is all Redis did meanwhile: the sockets, the
# AOF write and its fsync, the daemon's other reads.
rstat() { # calls
	cpu=$(rcpu)
	redis-cli -p "$rport" INFO commandstats 2>/dev/null | tr -d '\r' |
		awk -F'[:,=]' -v n="$1" -v cpu="$cpu" \
			-v cpu0="$(cat "$tmp/p/rcpu0" 2>/dev/null || echo -1)" '
		/^cmdstat_/ { c += $3; if ($1 == "cmdstat_fcall") { f += $3; u += $5 } }
		END { printf "%.2f %.2f %.0f %.0f\n", c / n, f / n, u / n,
			(cpu0 < 0 || cpu < 0) ? -1 : (cpu - cpu0) / n }'
	echo "$cpu" >"$tmp/p/rcpu0"
	redis-cli -p "$rport" CONFIG RESETSTAT >/dev/null 2>&1
}
# redis-server's CPU time so far in microseconds, or -1.
rcpu() {
	[ -r "/proc/$rpid/stat" ] || { echo -1; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e6 / hz }' "/proc/$rpid/stat"
}
rrow() { # label "cmds fcalls fusec pusec" [shelterd usec]
	echo "$2 ${3:--1}" | awk -v l="$1" '{ printf "  %-34s redis per call: %5.1f commands (%.2f FCALL), %4d us in functions, %4d us CPU", l, $1, $2, $3, $4
		if ($5 >= 0) printf "; shelterd %4d us CPU", $5
		printf "\n" }'
}
# shelterd's CPU time so far in microseconds (user + system), or -1.
dcpu() {
	[ -z "$SHELTERD_WRAP" ] && [ -r "/proc/$dpid/stat" ] || { echo -1; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e6 / hz }' "/proc/$dpid/stat"
}
per_call() { # before after calls
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { print (a < 0 || b < 0) ? -1 : int((b - a) / n) }'
}

# A figure line from "rps p50 p99 spread".
row() { # label fig
	echo "$2" | awk -v l="$1" -v la="$(loadavg)" -v n="$RUNS" '{ printf "  %-34s %7d calls/s  p50 %7s ms  p99 %7s ms  (median of %d, spread %s; load %s)\n", l, $1, $2, $3, n, $4, la }'
}
ratio() { # what "daemon fig" "redis fig"
	echo "$2 $3" | awk -v l="$1" '$5 > 0 && $2 > 0 {
		printf "  %-34s throughput %.2f, p50 %.2fx\n", "ratio daemon/redis " l ":", $1 / $5, $2 / $6 }'
}

# A goal: "text|measured|1 or 0", printed at the end.
# A goal line: counted, except in the tmpfs pass (printed as "info").
goal() {
	if [ "$mode" = tmpfs ]; then
		echo "  info $1 (AOF on tmpfs)  $2"
	else
		echo "$1|$2|$3" >>"$tmp/goals"
	fi
}

start_redis() { # fsync [aof_dir]
	rm -rf "$tmp/p" && mkdir -p "$tmp/p"
	rdir=${2:-$tmp/p}
	rport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$rdir" \
		--appendonly yes --appendfsync "$1" --save "" \
		--latency-monitor-threshold 20 --auto-aof-rewrite-percentage 0 \
		--logfile "$tmp/p/redis.log" >/dev/null 2>&1 &
	rpid=$!
	i=0
	until redis-cli -p "$rport" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "redis-server did not start on port $rport"
		sleep 0.05
	done
	durable=$([ "$1" = always ] && echo true || echo false)
}

write_config() {
	# A fresh token; the config holds only its sha256.
	token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	sha=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
	cat >"$tmp/p/shelterd.yaml" <<EOF
listen:
  tcp: 127.0.0.1:0
  port_file: $tmp/p/port
redis:
  host: 127.0.0.1
  port: $rport
  prefix: "shelterd:"
  require_durable: $durable
auth:
  tokens:
    - {name: bench, role: admin, sha256: "$sha"}
matching:
  hold_ttl_s: 1800
  alternatives: 3
  weights: {language: 3, safety_distance: 2, proximity: 1, care_fit: 2, occupancy: 1, freshness: 1, together: 2}
  programs:
    cosm: {min_age: 18, residence: [reflection, b8_permit, unknown]}
    omm: {min_age: 18, needs_any: [psychiatric, addiction, intellectual_disability]}
limits:
  max_line_bytes: 65536
  max_clients: 4096
  rate_per_s: 1000000
  output_buffer_bytes: 8388608
log: {level: warn}
EOF
}

# Start shelterd. "start_daemon ready" sets su to "seconds rss_kb": from
# exec to READY=1 (sd_notify), and the RSS just after it.
start_daemon() {
	rm -f "$tmp/p/port"
	if [ -n "$1" ]; then
		su=$(python3 - "$BUILD/shelterd" "$tmp/p/shelterd.yaml" "$tmp/shelterd.log" "$tmp/p/dpid" <<'EOF'
import os, socket, subprocess, sys, time
exe, cfg, log, pidf = sys.argv[1:5]
path = os.path.dirname(pidf) + "/notify.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(120)
env = dict(os.environ, NOTIFY_SOCKET=path)
t0 = time.monotonic()
p = subprocess.Popen([exe, "-c", cfg], env=env, stdout=open(log, "w"),
                     stderr=subprocess.STDOUT)
open(pidf, "w").write("%d\n" % p.pid)
while True:
    try:
        m = s.recv(4096)
    except socket.timeout:
        sys.exit("no READY=1")
    if b"READY=1" in m:
        break
t = time.monotonic() - t0
time.sleep(0.05)
rss = [l.split()[1] for l in open("/proc/%d/status" % p.pid) if l.startswith("VmRSS:")][0]
print("%.3f %s" % (t, rss))
EOF
) || fail "shelterd did not report READY=1"
		dpid=$(cat "$tmp/p/dpid")
		rm -f "$tmp/p/notify.sock"
	else
		$SHELTERD_WRAP "$BUILD/shelterd" -c "$tmp/p/shelterd.yaml" >"$tmp/shelterd.log" 2>&1 &
		dpid=$!
	fi
	i=0
	until [ -s "$tmp/p/port" ]; do
		i=$((i + 1))
		kill -0 "$dpid" 2>/dev/null || { dpid=; fail "shelterd exited at start"; }
		[ $i -gt 400 ] && fail "shelterd wrote no port file"
		sleep 0.05
	done
	port=$(tr -d '\n' <"$tmp/p/port")
	lg="$BUILD/bench/loadgen --connect 127.0.0.1:$port --token $token"
}

# Stop at the first run after which the daemon is gone.
alive() {
	kill -0 "$dpid" 2>/dev/null && return 0
	dpid=
	fail "shelterd exited during the $1 run"
}

# The port file comes before the table is loaded, and calls until then
# are refused (store_unavailable, safe to retry); a put of the same
# shelters again changes nothing, so seeding retries for up to 10 s.
seed() { # shelters places
	i=0
	until $lg --conns 10 --requests "$1" --method put --places "$2" >/dev/null 2>"$tmp/seed.err"; do
		i=$((i + 1))
		alive put
		[ $i -ge 100 ] && fail "seeding $1 shelters with shelter.put failed: $(head -c 300 "$tmp/seed.err")"
		sleep 0.1
	done
	alive put
}

# A fresh store and daemon with the pass's shelters, as at its start.
# Each store grows by every submit (3 keys, 2 sorted-set entries, 3 stream
# entries); on one that grew by the runs before, submits are slower (about
# 8% at 200,000 keys), and the sweep's last rates ran on the largest.
fresh() {
	stop_daemon
	stop_redis
	if [ -n "$shm" ]; then
		rm -rf "$shm"
		shm=$(mktemp -d /dev/shm/shelterd-bench.XXXXXX)
	fi
	start_redis "$fsync" "$shm"
	write_config
	start_daemon
	seed "$SHELTERS" "$places"
}

# RUNS open-loop runs at rate $1, $2 calls each, each from a fresh store
# (not in a subshell: fresh sets the pids and ports): repeat's figure.
ol_repeat() { # rate calls
	: >"$tmp/runs"
	r=0
	while [ $r -lt "$RUNS" ]; do
		fresh
		$lg --conns "$CONNS" --requests "$2" --method submit --rate "$1" --timeout 2 | lg_fig >>"$tmp/runs"
		alive "open loop $1/s"
		r=$((r + 1))
	done
	runs_fig
}

# The open-loop sweep: rates as fractions of the closed-loop rate $1 until
# the median p99 passes 50 ms.
sweep() { # closed_rps
	first=
	for f in $RATES; do
		rate=$(awk -v c="$1" -v f="$f" 'BEGIN { printf "%d", c * f }')
		[ "$rate" -ge 1 ] || continue
		n=$((rate * 2)) # 2 s
		ol_repeat "$rate" "$n" >"$tmp/olfig" || fail "open loop $rate/s: no run answered"
		fig=$(cat "$tmp/olfig")
		row "open loop $f x closed ($rate/s)" "$fig"
		p99=$(echo "$fig" | cut -d' ' -f3)
		if awk -v p="$p99" 'BEGIN { exit !(p == "inf" || p + 0 > 50) }'; then
			first=$f
			break
		fi
	done
	if [ -n "$first" ]; then
		prev=$(echo "$RATES" | tr ' ' '\n' | awk -v f="$first" '$1 + 0 < f + 0 { p = $1 } END { print p + 0 }')
		echo "  open loop: p99 passes 50 ms first at $first x the closed-loop rate; under it up to $prev x"
	else
		prev=$(echo "$RATES" | tr ' ' '\n' | tail -1)
		echo "  open loop: p99 stays under 50 ms up to $prev x the closed-loop rate"
	fi
	goal "open-loop p99 < 50 ms up to >= 0.9 x closed-loop rate" "up to $prev x" \
		"$(awk -v p="$prev" 'BEGIN { print (p + 0 >= 0.9) }')"
	# What an AOF rewrite does to the same load (automatic rewrites are
	# off in these passes: see the top of this file).
	rate=$(awk -v c="$1" 'BEGIN { printf "%d", c * 0.5 }')
	fresh
	(sleep 0.5 && redis-cli -p "$rport" bgrewriteaof >/dev/null) &
	rw=$!
	fig=$($lg --conns "$CONNS" --requests $((rate * 2)) --method submit --rate "$rate" --timeout 2 | lg_fig)
	wait "$rw"
	alive "open loop with a rewrite"
	echo "$fig" | awk -v l="open loop 0.5 x, one AOF rewrite" -v la="$(loadavg)" \
		'{ printf "  %-34s %7.0f calls/s  p50 %7s ms  p99 %7s ms  (one run; load %s)\n", l, $1, $2, $3, la }'
}

# Capacity change -> proposal.created at a subscriber, with submits at
# BG_RATE/s running meanwhile.
watch_under_load() {
	# Enough changes that p99 is not the maximum: 100 a run, 200 at least.
	n=$((RUNS * 100 > 200 ? RUNS * 100 : 200))
	$lg --method putx >/dev/null || fail "putx failed"
	$lg --conns 1 --requests "$n" --method submit --kind fit --urgency immediate >/dev/null
	$lg --conns "$CONNS" --requests $((BG_RATE * 30)) --method submit \
		--rate "$BG_RATE" --timeout 2 >"$tmp/bg" 2>&1 &
	bgpid=$!
	sleep 0.5
	w=$($lg --method watch --requests "$n" --timeout 5 | lg_fig)
	kill "$bgpid" 2>/dev/null
	wait "$bgpid" 2>/dev/null
	alive watch
	echo "$w" | awk -v l="capacity change -> proposal pushed" -v b="$BG_RATE" -v la="$(loadavg)" -v n="$n" \
		'{ printf "  %-34s p50 %7s ms  p99 %7s ms  (%d changes, submits at %d/s running; load %s)\n", l, $2, $3, n, b, la }'
	p99=$(echo "$w" | cut -d' ' -f3)
	goal "capacity change -> proposal pushed: p99 < 5 ms at $BG_RATE submits/s" "p99 ${p99:-none} ms" \
		"$(awk -v p="$p99" 'BEGIN { print (p != "" && p != "inf" && p + 0 < 5) }')"
}

# pass FSYNC
# The disk under Redis's AOF: 2,000 appends of 300 bytes, each followed by
# fdatasync, as appendfsync always does. A stall here stalls every call
# in flight: the open-loop and capacity -> proposal tails include it.
disk_probe() {
	python3 - "$rdir/fsync.probe" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
lat = []
for _ in range(2000):
    os.write(fd, b"x" * 300)
    t = time.perf_counter()
    os.fdatasync(fd)
    lat.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(sys.argv[1])
lat.sort()
print("  disk: fdatasync p50 %.2f ms, p99 %.2f ms, max %.2f ms "
      "(2000 of them, where the AOF is)" % (lat[1000], lat[1980], lat[-1]))
EOF
}

pass() {
	mode=$1
	fsync=$1
	if [ "$mode" = tmpfs ]; then
		fsync=always
		[ -d /dev/shm ] || fail "tmpfs pass: no /dev/shm"
		rm -rf "$shm"
		shm=$(mktemp -d /dev/shm/shelterd-bench.XXXXXX)
	fi
	start_redis "$fsync" "$shm"
	write_config
	start_daemon

	echo
	case $mode in
	always) echo "== daemon, redis appendfsync always (production)" ;;
	tmpfs) echo "== daemon, redis appendfsync always, AOF on tmpfs (NOT durable: the same fsyncs without the disk)" ;;
	*) echo "== daemon, redis appendfsync $fsync (NOT durable: where the time goes without fsync)" ;;
	esac
	echo "   $SHELTERS shelters, $CONNS connections, $CALLS calls per run, load $(loadavg)"
	[ "$fsync" = always ] && disk_probe
	# Room in every shelter for every submit: redis-benchmark repeats one
	# candidate list, so its first candidate must never fill up, or each
	# call would walk further down the list than the daemon's do. A pool
	# holds at most 10,000 (the put adds up to 8).
	places=${PLACES:-$((CALLS + 10))}
	[ "$places" -gt 9990 ] && places=9990
	seed "$SHELTERS" "$places"

	# What shelterd sends for a submit: watch one with MONITOR.
	redis-cli -p "$rport" monitor >"$tmp/monitor" 2>/dev/null &
	mpid=$!
	sleep 0.2
	$lg --conns 1 --requests 1 --method submit >/dev/null
	sleep 0.2
	kill "$mpid" 2>/dev/null
	wait "$mpid" 2>/dev/null

	ping=$(repeat $lg --conns "$CONNS" --requests "$CALLS" --method ping)
	alive ping
	rstat "$CALLS" >/dev/null
	c0=$(dcpu)
	sub=$(repeat $lg --conns "$CONNS" --requests "$CALLS" --method submit)
	alive submit
	sleep 0.3 # the refreshes and waitlist passes the submits caused
	c1=$(dcpu)
	subst=$(rstat $((CALLS * RUNS)))
	subcpu=$(per_call "$c0" "$c1" $((CALLS * RUNS)))
	row "shelterd session.ping" "$ping"
	row "shelterd request.submit (closed)" "$sub"
	[ "$fsync" = always ] && sweep "$(echo "$sub" | cut -d' ' -f1)"
	rstat 1 >/dev/null
	c1=$(dcpu)
	cap=$(repeat $lg --conns "$CONNS" --requests "$CALLS" --method capacity \
		--shelter bench-00001 --pool women)
	alive capacity
	sleep 0.3
	c2=$(dcpu)
	capst=$(rstat $((CALLS * RUNS)))
	capcpu=$(per_call "$c1" "$c2" $((CALLS * RUNS)))
	[ "$fsync" = always ] && watch_under_load
	stop_daemon
	[ -n "$BENCH_KEEP" ] && cp "$tmp/monitor" "$BENCH_KEEP"

	# The same functions straight from redis-benchmark; first check that
	# the calls succeed (redis-benchmark does not say).
	# Its audit arguments (who method ids defer) as shelterd sends them:
	# the function writes the call's audit entry.
	capau='token=bench shelter.capacity bench-00001'
	chk=$(redis-cli -p "$rport" FCALL shd_capacity 0 shelterd: $capau "" bench-00001 "" women "" 1 2>&1)
	case "$chk" in
	*'"error"'* | ERR*) fail "the direct shd_capacity fails: $(echo "$chk" | cut -c1-160)" ;;
	esac
	rstat 1 >/dev/null
	rcap=$(repeat rb_fig FCALL shd_capacity 0 shelterd: $capau "" bench-00001 "" women "" 1)
	rcapst=$(rstat $((CALLS * RUNS)))
	# shd_submit as shelterd called it, with ref RB-__rand_int__.
	python3 - "$tmp/monitor" "$rport" "$tmp/p/rbargs" <<'EOF' || fail "no usable shd_submit seen"
import ast, re, subprocess, sys
mon, port, out = sys.argv[1:4]
args = None
for line in open(mon, errors="replace"):
    if '"shd_submit"' in line:
        toks = re.findall(r'"((?:[^"\\]|\\.)*)"', line.split("]", 1)[1])
        args = [ast.literal_eval('b"' + t + '"').decode() for t in toks]
        break
if args is None or args[0].upper() != "FCALL":
    sys.exit("no shd_submit seen")
# FCALL shd_submit 0 PREFIX WHO METHOD IDS DEFER REF ...
args[8] = "RB-__rand_int__"
chk = subprocess.run(["redis-cli", "-p", port] + [a.replace("__rand_int__", "check") for a in args],
                     capture_output=True, text=True).stdout
if '"error"' in chk or chk.startswith("ERR"):
    sys.exit("the direct shd_submit fails: " + chk[:160])
open(out, "w").write("\0".join(args))
EOF
	nargs=$(python3 -c 'import sys; a = open(sys.argv[1]).read().split("\0"); print(sum(len(x) for x in a[9:]))' "$tmp/p/rbargs")
	rsub=$(repeat rb_submit)
	rsubst=$(rstat $((CALLS * RUNS)))
	row "redis FCALL shd_submit" "$rsub"
	ratio "submit" "$sub" "$rsub"
	rrow "shelterd request.submit" "$subst" "$subcpu"
	rrow "redis FCALL shd_submit" "$rsubst"
	row "shelterd shelter.capacity" "$cap"
	row "redis FCALL shd_capacity" "$rcap"
	ratio "capacity" "$cap" "$rcap"
	rrow "shelterd shelter.capacity" "$capst" "$capcpu"
	rrow "redis FCALL shd_capacity" "$rcapst"
	echo "  (shd_submit arguments after the ref: $nargs bytes)"
	# Redis's own stalls of 20 ms or more in this pass, by kind (an
	# aof-fsync-always or aof-write one is the disk): what the tails hold.
	redis-cli -p "$rport" latency latest 2>/dev/null | paste -d' ' - - - - |
		awk 'NF == 4 { printf "  redis stalls >= 20 ms: %-20s latest %s ms, max %s ms\n", $1, $3, $4 }'
	if [ "$fsync" = always ]; then
		goal "submit through shelterd >= 0.9 x raw FCALL shd_submit" \
			"$(echo "$sub $rsub" | awk '{ printf "%.2f", ($5 > 0 ? $1 / $5 : 0) }')" \
			"$(echo "$sub $rsub" | awk '{ print ($5 > 0 && $1 / $5 >= 0.9) }')"
	fi
	stop_redis
	if [ -n "$shm" ]; then rm -rf "$shm" && shm=; fi
}

# WAITING waiting requests, the one that fits (bench-x) last in the
# waitlist; then one capacity change: the time to its proposal is the time
# the pass took to re-match them all.
rematch() {
	$lg --method putx >/dev/null || fail "putx failed"
	$lg --conns "$CONNS" --requests $((WAITING - 1)) --method submit --kind nofit --urgency immediate >/dev/null
	$lg --conns 1 --requests 1 --method submit --kind fit --urgency planned >/dev/null
	alive "$WAITING waiting submits"
	sleep 1 # the passes those submits woke
	w=$($lg --method watch --requests 1 --timeout 30 | lg_fig)
	alive rematch
	p=$(echo "$w" | cut -d' ' -f2)
	echo "  $(printf '%-34s' "$WAITING waiting re-matched") ${p:-none} ms from the capacity change to the last one's proposal (load $(loadavg))"
	goal "$WAITING waiting re-matched after one capacity change < 200 ms" "${p:-none} ms" \
		"$(awk -v p="$p" 'BEGIN { print (p != "" && p != "inf" && p + 0 < 200) }')"
	# The same when a request joined just before (no pass since: the
	# waitlist is read in full, not from what the last pass read).
	$lg --conns 1 --requests 1 --method submit --kind fit --urgency planned >/dev/null
	w=$($lg --method watch --requests 1 --timeout 30 | lg_fig)
	alive rematch
	p=$(echo "$w" | cut -d' ' -f2)
	echo "  $(printf '%-34s' "$WAITING waiting, one just joined") ${p:-none} ms from the capacity change to its proposal (the waitlist read in full; load $(loadavg))"
}

# The Redis time of the daemon's once-a-second shd_alerts passes (stale
# reports, passed departures, escalations) over 2.5 s of an idle daemon,
# from SLOWLOG: it should not grow with the register. A new shelter is
# due at once and a pass checks at most 500, so the window starts when
# every seeded shelter had its first check (at most 40 s).
alerts_cost() { # shelters
	i=0
	while [ "$(redis-cli -p "$rport" zcount shelterd:alert_at -inf "$(($(date +%s) * 1000))")" != 0 ]; do
		i=$((i + 1))
		[ $i -ge 400 ] && fail "the first alert checks of $1 shelters took over 40 s"
		sleep 0.1
	done
	sleep 1.1
	redis-cli -p "$rport" config set slowlog-max-len 1024 >/dev/null
	redis-cli -p "$rport" config set slowlog-log-slower-than 0 >/dev/null
	redis-cli -p "$rport" slowlog reset >/dev/null
	sleep 2.5
	redis-cli -p "$rport" slowlog get 1024 | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
us = sorted(int(lines[i - 2]) for i, l in enumerate(lines) if l == "shd_alerts")
n = sys.argv[1]
if us:
    print("  %-34s p50 %6d us  max %6d us  (%d passes)" % (
        "shd_alerts pass at %s shelters" % n, us[len(us) // 2], us[-1], len(us)))
else:
    print("  shd_alerts pass at %s shelters: no pass seen" % n)' "$1"
	redis-cli -p "$rport" config set slowlog-log-slower-than 10000 >/dev/null
}

# Submit at each register size; at 10,000 the start-up and the re-match.
sizes() {
	mode=always
	echo
	echo "== the register's size (appendfsync always; $CONNS connections, $CALLS submits per run)"
	: >"$tmp/sizes"
	for n in $SIZES; do
		start_redis always
		write_config
		start_daemon
		seed "$n" 9990
		fig=$(repeat $lg --conns "$CONNS" --requests "$CALLS" --method submit)
		alive "submit at $n shelters"
		row "request.submit at $n shelters" "$fig"
		echo "$n $fig" >>"$tmp/sizes"
		alerts_cost "$n"
		if [ "$n" = 10000 ]; then
			stop_daemon
			start_daemon ready
			echo "$su" | awk -v la="$(loadavg)" '{ printf "  %-34s %.0f ms to READY=1, RSS %.1f MB after it (load %s)\n", "start-up with 10000 shelters", $1 * 1000, $2 / 1024, la }'
			goal "start-up with 10,000 shelters < 200 ms" "$(echo "$su" | awk '{ printf "%.0f ms", $1 * 1000 }')" "$(echo "$su" | awk '{ print ($1 < 0.2) }')"
			goal "RSS after start-up with 10,000 shelters < 40 MB" "$(echo "$su" | awk '{ printf "%.1f MB", $2 / 1024 }')" "$(echo "$su" | awk '{ print ($2 < 40 * 1024) }')"
			rematch
		fi
		stop_daemon
		stop_redis
	done
	first=$(awk 'NR == 1 { print $1 }' "$tmp/sizes")
	last=$(awk 'END { print $1 }' "$tmp/sizes")
	r=$(awk 'NR == 1 { lo = $2 } END { printf "%.2f", (lo > 0 ? $2 / lo : 0) }' "$tmp/sizes")
	echo "  ratio submit at $last / at $first shelters: $r"
	goal "submit at $last shelters >= 0.8 x submit at $first" "$r" "$(awk -v r="$r" 'BEGIN { print (r >= 0.8) }')"
}

# BIG shelters: loaded at start-up without a store watchdog timeout.
big() {
	mode=always
	echo
	if [ "$BIG" -eq 0 ]; then
		echo "== large register: not run (BIG=0, the BENCH_QUICK default)"
		return
	fi
	echo "== $BIG shelters (appendfsync everysec)"
	start_redis everysec
	write_config
	start_daemon
	seed "$BIG" 2
	stop_daemon
	start_daemon ready
	to=0
	grep -qi "timed out\|timeout" "$tmp/shelterd.log" && to=1
	echo "$su" | awk -v n="$BIG" -v la="$(loadavg)" '{ printf "  %-34s %.0f ms to READY=1, RSS %.1f MB after it (load %s)\n", "start-up with " n " shelters", $1 * 1000, $2 / 1024, la }'
	goal "$BIG shelters load without a store watchdog timeout" "$([ $to = 0 ] && echo loaded || echo 'timed out')" "$((1 - to))"
	stop_daemon
	stop_redis
}

: >"$tmp/goals"
goal "match 1 request, 10,000 shelters, whole ranking: p99 < 1 ms CPU" "p99 ${match_cpu_p99:-?} us" \
	"$(awk -v p="$match_cpu_p99" 'BEGIN { print (p != "" && p + 0 < 1000) }')"
goal "match 1 request, 10,000 shelters, a submit's top 8: p99 < 1 ms CPU" "p99 ${match_top_p99:-?} us" \
	"$(awk -v p="$match_top_p99" 'BEGIN { print (p != "" && p + 0 < 1000) }')"
for p in $PASSES; do
	pass "$p"
done
sizes
big
echo
echo "== goals (ratios within this run; load $(loadavg))"
awk -F'|' '{ printf "  %-4s %-66s %s\n", $3 == 1 ? "met" : "MISS", $1, $2 }' "$tmp/goals"
exit 0
