#!/bin/sh
# run.sh: the benchmarks. BUILD=dir picks the build (make bench sets it).
#   1. bench_match: the matching core on 10,000 synthetic shelters.
BUILD=${BUILD:-build}

"$BUILD"/bench/bench_match || exit 1
