#!/bin/sh
# run.sh: the benchmarks (`make bench` sets BUILD).
#   1. bench_match: the matching core, 10,000 synthetic shelters x 1,000
#      requests: latency p50/p99, shelters/s, allocations per request (and
#      once more with the candidates and explanation JSON built).
#   2. When $BUILD/shelterd exists, two passes, each with a private
#      redis-server (temp dir, free port, AOF on) and shelterd:
#        fsync always    appendfsync always, require_durable: true (the
#                        production setting: one fsync per write)
#        fsync everysec  appendfsync everysec, require_durable: false (not
#                        for production: shows where the time goes without
#                        the fsync)
#      Each seeds SHELTERS shelters with room for every submit (so each one
#      gets a proposal), then loadgen with CONNS connections runs CALLS
#      session.ping, request.submit and shelter.capacity calls. shelterd is
#      then stopped and redis-benchmark calls the same functions (FCALL
#      shd_submit with the arguments shelterd sent for a submit, a fresh
#      ref per call; FCALL shd_capacity) with CONNS connections, so the
#      ratio daemon/redis says what the daemon adds to Redis.
#      For each daemon run it also prints what Redis did per client call:
#      commands (FCALL and what the functions ran) and Redis CPU time (INFO
#      commandstats; the fsync is not in it), and shelterd's CPU time per
#      call (/proc, user + system).
# Environment: BUILD (build), SHELTERS (200), CONNS (50), CALLS (5000),
# PASSES ("always everysec"), PLACES (pool size; default room for every
# submit; a small one such as 2 leaves most submits waiting, so the
# capacity run then measures the waitlist passes each change wakes),
# SHELTERD_WRAP (a command to run shelterd under, e.g. `perf record -g
# -o FILE --`; its CPU time per call is then not shown).
BUILD=${BUILD:-build}
SHELTERS=${SHELTERS:-200}
CONNS=${CONNS:-50}
CALLS=${CALLS:-5000}
PASSES=${PASSES:-always everysec}

"$BUILD"/bench/bench_match || exit 1
"$BUILD"/bench/bench_match -j || exit 1

if [ ! -x "$BUILD/shelterd" ] || [ ! -x "$BUILD/bench/loadgen" ]; then
	echo "daemon bench: skipped ($BUILD/shelterd or loadgen not built)"
	exit 0
fi
for t in redis-server redis-cli redis-benchmark python3; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "daemon bench: skipped (no $t)"
		exit 0
	fi
done

tmp=$(mktemp -d)
rpid=
dpid=
stop_daemon() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	dpid=
}
stop_redis() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	rpid=
}
cleanup() {
	stop_daemon
	stop_redis
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

skip() {
	echo "daemon bench: skipped ($1)"
	[ -f "$tmp/shelterd.log" ] && tail -5 "$tmp/shelterd.log" | sed 's/^/  shelterd: /'
	exit 0
}

# A free port: bind 0 and give it back (a small race, fine for a bench).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One loadgen line -> "calls/s p50 p99" (ms).
lg_fig() {
	sed -n 's/.* \([0-9][0-9]*\) calls\/s, p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2 \3/p'
}

# One redis-benchmark --csv run of the command in "$@" -> "rps p50 p99".
rb_fig() {
	redis-benchmark -p "$rport" -c "$CONNS" -n "$CALLS" -r 1000000000 \
		--csv "$@" 2>/dev/null | tail -1 | tr -d '"' |
		awk -F, '{ printf "%d %s %s\n", $(NF-6), $(NF-3), $(NF-1) }'
}

# Redis's own work since the last reset, per client call, as
# "commands/call FCALLs/call usec/call", then reset.
rstat() { # calls
	redis-cli -p "$rport" INFO commandstats 2>/dev/null | tr -d '\r' |
		awk -F'[:,=]' -v n="$1" '/^cmdstat_/ { c += $3; u += $5
			if ($1 == "cmdstat_fcall") f += $3 }
		END { printf "%.2f %.2f %.0f\n", c / n, f / n, u / n }'
	redis-cli -p "$rport" CONFIG RESETSTAT >/dev/null 2>&1
}
rrow() { # label "cmds fcalls usec" [shelterd usec]
	echo "$2 ${3:--1}" | awk -v l="$1" '{ printf "  %-34s redis per call: %5.1f commands (%.2f FCALL + what they ran), %4d us CPU", l, $1, $2, $3
		if ($4 >= 0) printf "; shelterd %4d us CPU", $4
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

# Print a figure line and, with a second one, the ratio daemon/redis.
row() { # label "rps p50 p99"
	echo "$2" | awk -v l="$1" '{ printf "  %-34s %7d calls/s  p50 %7.2f ms  p99 %7.2f ms\n", l, $1, $2, $3 }'
}
ratio() { # what "daemon fig" "redis fig"
	echo "$2 $3" | awk -v l="$1" '$4 > 0 && $2 > 0 {
		printf "  %-34s throughput %.2f, p50 %.2fx\n", "ratio daemon/redis " l ":", $1 / $4, $2 / $5 }'
}

# pass FSYNC DURABLE
pass() {
	fsync=$1
	durable=$2
	rm -rf "$tmp/p" && mkdir -p "$tmp/p"
	rport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp/p" \
		--appendonly yes --appendfsync "$fsync" --save "" \
		--logfile "$tmp/p/redis.log" >/dev/null 2>&1 &
	rpid=$!
	i=0
	until redis-cli -p "$rport" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && skip "redis-server did not start on port $rport"
		sleep 0.05
	done

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
	$SHELTERD_WRAP "$BUILD/shelterd" -c "$tmp/p/shelterd.yaml" >"$tmp/shelterd.log" 2>&1 &
	dpid=$!
	i=0
	until [ -s "$tmp/p/port" ]; do
		i=$((i + 1))
		kill -0 "$dpid" 2>/dev/null || { dpid=; skip "shelterd exited at start"; }
		[ $i -gt 200 ] && skip "shelterd wrote no port file"
		sleep 0.05
	done
	port=$(tr -d '\n' <"$tmp/p/port")
	lg="$BUILD/bench/loadgen --connect 127.0.0.1:$port --token $token"

	echo
	echo "== daemon, redis appendfsync $fsync$([ "$fsync" = always ] &&
		echo ' (production)' || echo ' (NOT durable: where the time goes without fsync)')"
	echo "   $SHELTERS shelters, $CONNS connections, $CALLS calls per run"
	# Room in every shelter for every submit: redis-benchmark repeats one
	# candidate list, so its first candidate must never fill up, or each
	# call would walk further down the list than the daemon's do.
	places=${PLACES:-$((CALLS + 10))}
	[ "$places" -gt 10000 ] && places=10000
	$lg --conns 10 --requests "$SHELTERS" --method put --places "$places" \
		>/dev/null || skip "seeding $SHELTERS shelters with shelter.put failed"
	alive put

	# What shelterd sends for a submit: watch one with MONITOR.
	redis-cli -p "$rport" monitor >"$tmp/p/monitor" 2>/dev/null &
	mpid=$!
	sleep 0.2
	$lg --conns 1 --requests 1 --method submit >/dev/null
	sleep 0.2
	kill "$mpid" 2>/dev/null
	wait "$mpid" 2>/dev/null

	ping=$($lg --conns "$CONNS" --requests "$CALLS" --method ping | lg_fig)
	alive ping
	rstat "$CALLS" >/dev/null
	c0=$(dcpu)
	sub=$($lg --conns "$CONNS" --requests "$CALLS" --method submit | lg_fig)
	alive submit
	sleep 0.3 # the refreshes and waitlist passes the submits caused
	c1=$(dcpu)
	subst=$(rstat "$CALLS")
	cap=$($lg --conns "$CONNS" --requests "$CALLS" --method capacity \
		--shelter bench-00001 --pool women | lg_fig)
	alive capacity
	sleep 0.3
	c2=$(dcpu)
	capst=$(rstat "$CALLS")
	stop_daemon
	[ -n "$BENCH_KEEP" ] && cp "$tmp/p/monitor" "$BENCH_KEEP"

	# The same functions straight from redis-benchmark; first check that
	# the calls succeed (redis-benchmark does not say).
	chk=$(redis-cli -p "$rport" FCALL shd_capacity 0 shelterd: bench-00001 "" women "" 1 2>&1)
	case "$chk" in
	*'"error"'* | ERR*) echo "  redis-benchmark: the direct shd_capacity fails: $(echo "$chk" | cut -c1-160)" ;;
	esac
	rstat 1 >/dev/null
	rcap=$(rb_fig FCALL shd_capacity 0 shelterd: bench-00001 "" women "" 1)
	rcapst=$(rstat "$CALLS")
	# shd_submit as shelterd called it, with ref RB-__rand_int__.
	rsub=$(python3 - "$tmp/p/monitor" "$rport" "$CONNS" "$CALLS" <<'EOF'
import ast, re, subprocess, sys
mon, port, conns, calls = sys.argv[1:5]
args = None
for line in open(mon, errors="replace"):
    if '"shd_submit"' in line:
        toks = re.findall(r'"((?:[^"\\]|\\.)*)"', line.split("]", 1)[1])
        args = [ast.literal_eval('b"' + t + '"').decode() for t in toks]
        break
if args is None or args[0].upper() != "FCALL":
    sys.exit("no shd_submit seen")
args[4] = "RB-__rand_int__"  # FCALL shd_submit 0 PREFIX REF ...
chk = subprocess.run(["redis-cli", "-p", port] + [a.replace("__rand_int__", "check") for a in args],
                     capture_output=True, text=True).stdout
if '"error"' in chk or chk.startswith("ERR"):
    sys.exit("the direct shd_submit fails: " + chk[:160])
out = subprocess.run(["redis-benchmark", "-p", port, "-c", conns, "-n", calls,
                      "-r", "1000000000", "--csv"] + args,
                     capture_output=True, text=True).stdout.strip().splitlines()
f = out[-1].replace('"', "").split(",")[-7:]  # the name holds commas
print("%d %s %s %d" % (float(f[0]), f[3], f[5], len(args[-1])))
EOF
)
	rsubst=$(rstat "$CALLS")
	ncand=$(echo "$rsub" | awk '{ print $4 }')
	row "shelterd session.ping" "$ping"
	row "shelterd request.submit" "$sub"
	row "redis FCALL shd_submit" "$rsub"
	ratio "submit" "$sub" "$rsub"
	rrow "shelterd request.submit" "$subst" "$(per_call "$c0" "$c1" "$CALLS")"
	rrow "redis FCALL shd_submit" "$rsubst"
	row "shelterd shelter.capacity" "$cap"
	row "redis FCALL shd_capacity" "$rcap"
	ratio "capacity" "$cap" "$rcap"
	rrow "shelterd shelter.capacity" "$capst" "$(per_call "$c1" "$c2" "$CALLS")"
	rrow "redis FCALL shd_capacity" "$rcapst"
	[ -n "$ncand" ] && echo "  (shd_submit candidates argument: $ncand bytes)"
	stop_redis
}

# Stop at the first run after which the daemon is gone.
alive() {
	kill -0 "$dpid" 2>/dev/null && return 0
	dpid=
	echo "daemon bench: shelterd exited during the $1 run; its last lines:"
	tail -5 "$tmp/shelterd.log" | sed 's/^/  shelterd: /'
	exit 1
}

for p in $PASSES; do
	case $p in
	always) pass always true ;;
	everysec) pass everysec false ;;
	*) echo "daemon bench: unknown pass $p" >&2 && exit 2 ;;
	esac
done
exit 0
