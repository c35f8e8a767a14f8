#!/bin/sh
# run.sh: `make run`. Start a private redis-server under ./run/ (AOF on,
# appendfsync always) and shelterd in the foreground with
# config/shelterd.yaml and the demo shelters. Ctrl-C stops both.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
rundir="$top/run"
mkdir -p "$rundir"

if [ ! -x "$BUILD/shelterd" ]; then
	echo "run: $BUILD/shelterd is missing; run make first" >&2
	exit 1
fi

if [ -f "$rundir/redis.pid" ] && kill -0 "$(cat "$rundir/redis.pid")" 2>/dev/null; then
	echo "run: already running (redis-server pid $(cat "$rundir/redis.pid")," \
		"data in run/); stop that one first" >&2
	exit 1
fi

redis-server --port 0 --unixsocket "$rundir/redis.sock" --unixsocketperm 700 \
	--dir "$rundir" --appendonly yes --appendfsync always --save "" \
	--daemonize yes --pidfile "$rundir/redis.pid" \
	--logfile "$rundir/redis.log"
i=0
while [ ! -S "$rundir/redis.sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "run: redis-server did not start; see $rundir/redis.log" >&2
		exit 1
	fi
	sleep 0.05
done

stop_redis() {
	[ -f "$rundir/redis.pid" ] && kill "$(cat "$rundir/redis.pid")" 2>/dev/null || true
	rm -f "$rundir/redis.pid"
}
trap stop_redis EXIT
trap 'exit 0' INT TERM

cat <<EOT
shelterd demo: Redis data in run/, the daemon on run/shelterd.sock and
127.0.0.1:7411, HTTP health and metrics on 127.0.0.1:9411.

Web view: open http://127.0.0.1:9411/ and log in with the token
  demo-coordinator-token      (coordinator: board, worklist, new request)
  demo-cosm-rotterdam-token   (shelter COSM Rotterdam: its own page)

Try, in another terminal (root is admin by its peer uid; anyone else uses
the demo coordinator token of config/shelterd.yaml):
  export SHELTERCTL_TOKEN=demo-coordinator-token
  $BUILD/shelterctl -s run/shelterd.sock shelters
  $BUILD/shelterctl -s run/shelterd.sock submit config/examples/woman-with-child.json
Ctrl-C stops shelterd and its Redis.
EOT
"$BUILD/shelterd" -c config/shelterd.yaml &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
wait $pid || true
wait $pid 2>/dev/null || true
