#!/bin/sh
# run.sh: the benchmarks (`make bench` sets BUILD).
#   1. bench_match: the matching core, 10,000 synthetic shelters x 1,000
#      requests: latency p50/p99, shelters/s, allocations per request.
#   2. When $BUILD/shelterd exists: a private redis-server (AOF, fsync
#      always, temp dir, free port) and shelterd with a temp config; seeds
#      SHELTERS shelters with shelter.put, then loadgen with CONNS
#      connections for submit, capacity and ping (CALLS calls each), and
#      redis-benchmark calling the shd_capacity function directly, with the
#      ratio of the two.
# Environment: BUILD (build), SHELTERS (200), CONNS (50), CALLS (5000).
BUILD=${BUILD:-build}
SHELTERS=${SHELTERS:-200}
CONNS=${CONNS:-50}
CALLS=${CALLS:-5000}

"$BUILD"/bench/bench_match || exit 1

if [ ! -x "$BUILD/shelterd" ] || [ ! -x "$BUILD/bench/loadgen" ]; then
	echo "daemon bench: skipped ($BUILD/shelterd or loadgen not built)"
	exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
	echo "daemon bench: skipped (no redis-server)"
	exit 0
fi

tmp=$(mktemp -d)
rpid=
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
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
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000))
}

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" \
	--appendonly yes --appendfsync always --save "" \
	--logfile "$tmp/redis.log" >/dev/null 2>&1 &
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
cat >"$tmp/shelterd.yaml" <<EOF
listen:
  tcp: 127.0.0.1:0
  port_file: $tmp/port
redis:
  host: 127.0.0.1
  port: $rport
  prefix: "shelterd:"
  require_durable: false
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

"$BUILD/shelterd" -c "$tmp/shelterd.yaml" >"$tmp/shelterd.log" 2>&1 &
dpid=$!
i=0
until [ -s "$tmp/port" ]; do
	i=$((i + 1))
	kill -0 "$dpid" 2>/dev/null || { dpid=; skip "shelterd exited at start"; }
	[ $i -gt 100 ] && skip "shelterd wrote no port file"
	sleep 0.05
done
port=$(tr -d '\n' <"$tmp/port")
lg="$BUILD/bench/loadgen --connect 127.0.0.1:$port --token $token"

echo "daemon bench: shelterd on port $port, redis on port $rport (AOF, fsync always)"
$lg --conns 10 --requests "$SHELTERS" --method put ||
	skip "seeding $SHELTERS shelters with shelter.put failed"
# Stop at the first run after which the daemon is gone.
alive() {
	kill -0 "$dpid" 2>/dev/null && return 0
	dpid=
	echo "daemon bench: shelterd exited during the $1 run; its last lines:"
	tail -5 "$tmp/shelterd.log" | sed 's/^/  shelterd: /'
	exit 1
}
alive put
$lg --conns "$CONNS" --requests "$CALLS" --method ping
alive ping
$lg --conns "$CONNS" --requests "$CALLS" --method submit
alive submit
out=$($lg --conns "$CONNS" --requests "$CALLS" --method capacity \
	--shelter bench-00001 --pool women)
echo "$out"
alive capacity
drps=$(echo "$out" | sed -n 's/.* \([0-9][0-9]*\) calls\/s.*/\1/p')

# The same function straight from redis-benchmark, for comparison; first
# check that the call itself succeeds (redis-benchmark does not say).
chk=$(redis-cli -p "$rport" FCALL shd_capacity 0 shelterd: bench-00001 "" women "" 1 2>&1)
case "$chk" in
*'"error"'* | ERR*) echo "redis-benchmark: the direct call fails: $(echo "$chk" | cut -c1-160)" ;;
esac
rout=$(redis-benchmark -p "$rport" -c "$CONNS" -n "$CALLS" -q \
	FCALL shd_capacity 0 shelterd: bench-00001 "" women "" 1 2>&1 |
	tr '\r' '\n' | grep 'requests per second' | tail -1)
echo "redis-benchmark FCALL shd_capacity: $rout"
rrps=$(echo "$rout" | sed -n 's/.*: *\([0-9.]*\) requests per second.*/\1/p')
if [ -n "$drps" ] && [ -n "$rrps" ]; then
	awk -v d="$drps" -v r="$rrps" 'BEGIN { if (d > 0)
		printf "capacity: shelterd %d calls/s, redis alone %d calls/s: redis is %.1fx shelterd\n", d, r, r / d }'
fi
exit 0
