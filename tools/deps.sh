#!/bin/sh
# deps.sh: install the Debian packages shelterd needs to build, test and
# run, if any is missing. Needs root (or sudo) only when something is.
set -e
PKGS="build-essential pkg-config libevent-dev libhiredis-dev libjansson-dev
libyaml-dev libssl-dev libcmocka-dev redis-server redis-sentinel redis-tools python3
valgrind systemd chromium chromium-driver python3-selenium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
