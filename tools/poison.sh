#!/bin/sh
# poison.sh DIR: fill DIR with headers named like libevent's and hiredis's
# that stop the compiler. lib/ is compiled with -IDIR ahead of the system
# folders, so an #include of either library in lib/ fails the build
# instead of quietly finding the real header in /usr/include.
set -e
out=$1
[ -n "$out" ] || { echo "usage: poison.sh DIR" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"

poison() { # poison NAME: DIR/NAME becomes an #error
	mkdir -p "$out/$(dirname "$1")"
	printf '#error "lib/ is the pure core: no libevent or hiredis (<%s>)"\n' \
		"$1" >"$out/$1"
}

# The names even when the libraries are not installed yet.
for h in event.h evhttp.h evdns.h evrpc.h evutil.h event2/event.h \
	event2/buffer.h event2/bufferevent.h event2/bufferevent_ssl.h \
	event2/listener.h event2/util.h event2/http.h event2/dns.h \
	hiredis/hiredis.h hiredis/async.h hiredis/read.h hiredis/sds.h \
	hiredis/adapters/libevent.h hiredis.h async.h adapters/libevent.h; do
	poison "$h"
done
# Every header the installed libraries have, under event2/ and hiredis/,
# and the global names Debian's hiredis -I folder adds (async.h, sds.h).
for base in /usr/include /usr/local/include \
	$(pkg-config --variable=includedir libevent hiredis 2>/dev/null); do
	for sub in event2 hiredis; do
		[ -d "$base/$sub" ] || continue
		(cd "$base" && find "$sub" -name '*.h') | while read -r h; do
			poison "$h"
		done
	done
done
for dir in $(pkg-config --cflags-only-I libevent hiredis 2>/dev/null); do
	dir=${dir#-I}
	[ -d "$dir" ] || continue
	(cd "$dir" && find . -name '*.h') | while read -r h; do
		poison "${h#./}"
	done
done
