# shelterd: plain make, no autotools. See README.md.
#   make            build/shelterd, build/shelterctl, build/libshelter.a
#   make test       every test (unit + integration); last line "N passed, N failed"
#   make asan       the same tests under ASan+UBSan (build/asan/)
#   make valgrind   the same tests with the unit binaries and shelterd under valgrind
#   make lint       clang-format --dry-run and cppcheck
#   make bench      matching and daemon benchmarks
#   make sim        seeded raids and a synthetic year through a real daemon
#   make run        private redis-server + shelterd with the demo shelters
#   make graph      module graph of daemon/ and lib/: call cycles, long files
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (clang)
#   make chaos      kill -9 of shelterd and Redis under load, ROUNDS rounds
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
UNITDIR   ?= $(PREFIX)/lib/systemd/system
CC        ?= cc
PKGS      := libevent libevent_openssl hiredis jansson yaml-0.1 openssl
# lib/ is the pure core: parsing, matching, the blocking client. It gets
# only these, and build/poison (tools/poison.sh) shadows every libevent
# and hiredis header, so including one in lib/ fails the build.
LIB_PKGS  := jansson yaml-0.1 libcrypto
POISON    := $(BUILD)/poison

# Computed when make reads this file: targets that first install what is
# missing (deps) run the build in a new $(MAKE), which computes them again.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIB_PKG_CFLAGS := $(shell pkg-config --cflags $(LIB_PKGS) 2>/dev/null)
LIB_PKG_LIBS   := $(shell pkg-config --libs $(LIB_PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN      += -Werror
endif
ifeq ($(SAN),1)
CFLAGS    := -O1 -g -fno-omit-frame-pointer
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all
endif
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -MMD -MP \
	-DSHELTER_VERSION=\"$(VERSION)\" \
	-DSHELTER_DATADIR=\"$(PREFIX)/share/shelterd\" \
	-DSHELTER_SRCDIR=\"$(CURDIR)\"
ALL_CFLAGS := $(BASE_CFLAGS) -Iinclude $(PKG_CFLAGS)
# libevent's pkg-config adds -D_FILE_OFFSET_BITS=64; lib/ keeps it so that
# both halves agree on off_t and friends.
LIB_CFLAGS := $(BASE_CFLAGS) -D_FILE_OFFSET_BITS=64 -I$(POISON) -Iinclude \
	$(LIB_PKG_CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)

LIB_SRC    := $(wildcard lib/*.c)
DAEMON_SRC := $(wildcard daemon/*.c)
TOOL_SRC   := $(wildcard tools/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
BENCH_SRC  := $(wildcard tests/bench/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/functions_lua.o \
	$(BUILD)/gen/web_assets.o
WEB_SRC    := $(sort $(wildcard daemon/web/*.html daemon/web/*.css daemon/web/*.js \
	daemon/web/*.svg))
TOOL_OBJ   := $(TOOL_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all test unit integration asan valgrind lint bench sim run install clean deps fuzz graph chaos
all: $(BUILD)/libshelter.a $(BUILD)/shelterd $(BUILD)/shelterctl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# lib/ and its unit tests: the core's flags only (see LIB_PKGS).
$(BUILD)/lib/%.o: lib/%.c | $(POISON)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(POISON)/.stamp: tools/poison.sh
	@sh tools/poison.sh $(POISON) && touch $@

$(BUILD)/libshelter.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The Redis function library is compiled into the daemon as a C string.
$(BUILD)/gen/functions_lua.c: daemon/functions.lua tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh store_functions_lua $< > $@
$(BUILD)/gen/functions_lua.o: $(BUILD)/gen/functions_lua.c
	$(CC) -std=c11 $(CFLAGS) $(SANFLAGS) -c $< -o $@

# The web view (daemon/web/) is compiled in as a table of C strings.
$(BUILD)/gen/web_assets.c: $(WEB_SRC) tools/embed_web.sh
	@mkdir -p $(dir $@)
	sh tools/embed_web.sh $(WEB_SRC) > $@
$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(CC) -std=c11 $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/shelterd: $(DAEMON_OBJ) $(BUILD)/libshelter.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/shelterctl: $(TOOL_OBJ) $(BUILD)/libshelter.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libshelter.a | $(POISON)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libshelter.a \
		$(CMOCKA_LIBS) $(LIB_PKG_LIBS) -lm

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libshelter.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libshelter.a \
		$(PKG_LIBS) -lm

# Install what is missing (Debian), then nothing else.
deps:
	@sh tools/deps.sh

# deps may install the libraries: build in a new make that sees them.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

unit: all $(UNIT_BIN)
	@BUILD=$(BUILD) ONLY=unit sh tests/run.sh

integration: all
	@BUILD=$(BUILD) ONLY=integration sh tests/run.sh

asan:
	$(MAKE) BUILD=build/asan SAN=1 test

valgrind: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@BUILD=$(BUILD) VALGRIND=1 sh tests/run.sh

# cppcheck does not read system headers, and cannot parse a sys/queue.h
# declaration such as `static TAILQ_HEAD(, conn) conns` without the macros:
# it gets the real header, wherever the compiler finds it.
lint:
	clang-format --dry-run --Werror $(LIB_SRC) $(DAEMON_SRC) $(TOOL_SRC) \
		$(wildcard lib/*.h) include/shelter/*.h daemon/*.h tools/*.h
	q=$$(printf '#include <sys/queue.h>\n' | $(CC) -M -E -x c - | \
		tr ' \\' '\n\n' | grep '/sys/queue\.h$$'); \
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem -Iinclude -D__GNUC__ \
		$${q:+--include=$$q} lib daemon tools

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) sh tests/bench/run.sh

sim: deps
	@$(MAKE) --no-print-directory all
	@SHELTERD_BUILD=$(BUILD) python3 tests/sim/sim.py $(SIM_ARGS)

run: deps
	@$(MAKE) --no-print-directory all
	@sh tools/run.sh

# kill -9 of shelterd and Redis under mixed load, then every invariant
# checked and every acknowledged call accounted for: make chaos ROUNDS=10
ROUNDS ?= 6
chaos: deps
	@$(MAKE) --no-print-directory all
	@python3 tools/chaos.py --build $(BUILD) --rounds $(ROUNDS)

# The module graph of daemon/ and lib/: edges, call cycles, long files.
# Exit 1 on a cycle or a C file over 800 lines.
graph: all
	python3 tools/modgraph.py --build $(BUILD) .

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/shelterd $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/shelter
	install -m 0755 $(BUILD)/shelterd $(DESTDIR)$(PREFIX)/sbin/shelterd
	install -m 0755 $(BUILD)/shelterctl $(DESTDIR)$(PREFIX)/bin/shelterctl
	install -m 0644 $(BUILD)/libshelter.a $(DESTDIR)$(PREFIX)/lib/libshelter.a
	install -m 0644 include/shelter/*.h $(DESTDIR)$(PREFIX)/include/shelter/
	install -m 0644 config/municipalities.tsv $(DESTDIR)$(PREFIX)/share/shelterd/
	install -m 0644 config/shelters.yaml $(DESTDIR)$(PREFIX)/share/shelterd/shelters.example.yaml
	install -m 0644 config/shelterd.yaml $(DESTDIR)$(PREFIX)/share/shelterd/shelterd.example.yaml
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/man/shelterd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/man/shelterctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/shelterd $(DESTDIR)/etc/redis
	sed 's|/usr/local|$(PREFIX)|g' systemd/shelterd.service > $(DESTDIR)$(UNITDIR)/shelterd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/shelterd.service
	[ -e $(DESTDIR)/etc/shelterd/shelterd.yaml ] || \
		install -m 0640 systemd/shelterd.yaml $(DESTDIR)/etc/shelterd/shelterd.yaml
	@# The service reads its config as group shelterd (when that exists).
	if getent group shelterd >/dev/null; then \
		chgrp shelterd $(DESTDIR)/etc/shelterd $(DESTDIR)/etc/shelterd/shelterd.yaml; \
	fi
	[ -e $(DESTDIR)/etc/redis/shelterd.conf ] || \
		install -m 0644 systemd/redis-shelterd.conf $(DESTDIR)/etc/redis/shelterd.conf

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# libFuzzer harnesses (clang): make fuzz FUZZ_SECONDS=60 runs each of
# FUZZERS that long; every run prints its figures ("#N DONE" and
# "stat::number_of_executed_units").
FUZZ_SECONDS ?= 30
FUZZERS   := rpc request shelter config frame
FUZZ_CC   := clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude $(PKG_CFLAGS) \
	-DSHELTER_DATADIR=\"$(PREFIX)/share/shelterd\" \
	-DSHELTER_SRCDIR=\"$(CURDIR)\"
FUZZ_SAN  := address,undefined
FUZZ_OBJ  := $(LIB_SRC:%.c=build/fuzz/%.o) build/fuzz/daemon/frame.o
FUZZ_BIN  := $(FUZZERS:%=build/fuzz/fuzz_%)

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $^ $(PKG_LIBS) -lm

.SECONDARY: $(FUZZ_OBJ)
fuzz: $(FUZZ_BIN)
	@# New inputs go to build/fuzz/corpus-NAME; tests/fuzz/corpus*/ only
	@# seed them (tests/fuzz/corpus is the RPC harness's).
	@for f in $(FUZZERS); do \
		seed=tests/fuzz/corpus-$$f; [ $$f = rpc ] && seed=tests/fuzz/corpus; \
		mkdir -p build/fuzz/corpus-$$f $$seed; \
		echo "fuzz: fuzz_$$f for $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-print_final_stats=1 build/fuzz/corpus-$$f $$seed \
			2>build/fuzz/fuzz_$$f.log || { tail -50 build/fuzz/fuzz_$$f.log; exit 1; }; \
		grep -h "stat::number_of_executed_units\|DONE" build/fuzz/fuzz_$$f.log | \
			sed "s/^/fuzz_$$f: /"; \
	done
