#!/bin/sh
# run.sh: run the unit tests (cmocka) and the integration tests (real
# redis-server + shelterd), then print one line "N passed, N failed".
# BUILD=dir picks the build, ONLY=unit|integration one half, VALGRIND=1 runs
# the unit binaries and the daemon under valgrind.
BUILD=${BUILD:-build}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM

if [ "${ONLY:-unit}" = unit ]; then
	# The layering: no call cycle between modules, no C file over 800
	# lines (tools/modgraph.py, from the objects of this build).
	if python3 tools/modgraph.py --build "$BUILD" . >"$log" 2>&1; then
		echo "unit modgraph: 1 passed, 0 failed"
		passed=$((passed + 1))
	else
		cat "$log"
		echo "unit modgraph: 0 passed, 1 failed"
		failed=$((failed + 1))
	fi
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d | *.o) continue ;; esac
		if [ "${VALGRIND:-0}" = 1 ]; then
			valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite,indirect "$t" >"$log" 2>&1
		else
			"$t" >"$log" 2>&1
		fi
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1 # crashed, or valgrind found an error
		fi
		[ "$f" -ne 0 ] && cat "$log"
		echo "unit $(basename "$t"): $p passed, $f failed"
		passed=$((passed + p))
		failed=$((failed + f))
	done
fi

if [ "${ONLY:-integration}" = integration ]; then
	if [ "${VALGRIND:-0}" = 1 ] && [ -z "${SHELTERD_WRAPPER:-}" ]; then
		# The daemon under valgrind; its reports fail the test.
		export SHELTERD_WRAPPER="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
	fi
	if [ -f tests/integration/run.py ]; then
		python3 tests/integration/run.py --build "$BUILD" | tee "$log"
		rc=$?
		last=$(tail -1 "$log")
		p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
		f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
		if [ -z "$p" ]; then
			p=0
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
