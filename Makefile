# dockgate: Docker Engine authorization plugin.
#
#   make          build build/dockgate
#   make run      install missing packages, build, serve policies/default.yaml
#   make test     install missing packages, build, run every test
#   make asan     build with AddressSanitizer + UBSan into build/asan
#   make install  binary, man page, default policy (kept if present), units
#   make managed-plugin [PLUGIN_NAME=dockgate] [PLUGIN_POLICY=FILE]
#                 docker plugin create on the daemon DOCKER_HOST names
#   make bench    figures against nginx, written to doc/benchmarks.md
#   make soak     1,000,000 decisions over 32 connections (part of make test)
#   make footprint  peak RSS within 8 MiB serving the default policy (ditto)
#   make fuzz     run every libFuzzer target for FUZZ_SECONDS (default 300)

CC ?= cc
BUILD ?= build
CFLAGS ?= -O2 -g
LDFLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= /lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
PLUGIN_NAME ?= dockgate
PLUGIN_POLICY ?= policies/default.yaml

PKGS = libmicrohttpd jansson yaml-0.1 libmd
# libcurl's headers only: imageinspect.c dlopens libcurl.so.4 when a policy
# says unset-user: inspect, so a daemon that does not inspect never maps it
# and the twenty libraries it pulls in.
CURL_CFLAGS = $(shell pkg-config --cflags libcurl)
WARN = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
       -Wstrict-prototypes -Wmissing-prototypes
# Lazily expanded: pkg-config runs only when a compile needs it, so `make
# run`/`make test` can install the packages before anything asks for them.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude \
             $(shell pkg-config --cflags $(PKGS)) $(CURL_CFLAGS) $(CFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

SRCS := $(wildcard plugin/*.c)
LIB_SRCS := $(filter-out plugin/main.c,$(SRCS))
OBJS = $(LIB_SRCS:plugin/%.c=$(BUILD)/obj/%.o)
HDRS := $(wildcard include/*.h)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%.o)

SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all run deps test test-all unit check-policies integration asan \
        test-asan test-valgrind e2e demo clean install uninstall format-check \
        managed-plugin test-managed-plugin test-install man-check \
        bench bench-smoke footprint soak \
        fuzz fuzz-smoke fuzz-build fuzz-targets robustness

all: $(BUILD)/dockgate

$(BUILD)/obj/%.o: plugin/%.c $(HDRS) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libdockgate.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/dockgate: $(BUILD)/obj/main.o $(BUILD)/libdockgate.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/unit/%.o: tests/unit/%.c $(HDRS) | $(BUILD)/unit
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/test_unit: $(UNIT_OBJS) $(BUILD)/libdockgate.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

# The load generator: libc and pthreads only.
$(BUILD)/loadgen: tests/bench/loadgen.c | $(BUILD)/obj
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

# The do-nothing authorization plugin the dockerd overhead is measured
# against (tests/bench/dockerd-overhead.sh): libc only.
$(BUILD)/nullplugin: tests/bench/nullplugin.c | $(BUILD)/obj
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

# dockgate's HTTP stack alone, answering {"Allow":true} (make bench).
$(BUILD)/mhdref: tests/bench/mhdref.c | $(BUILD)/obj
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(shell pkg-config --cflags libmicrohttpd) \
		$(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libmicrohttpd) -lpthread

$(BUILD)/obj $(BUILD)/unit:
	mkdir -p $@

deps:
	contrib/install-deps.sh build

run: deps
	$(MAKE) all
	$(BUILD)/dockgate serve --policy policies/default.yaml \
		--socket /run/docker/plugins/dockgate.sock

# The README's test command: everything, from a fresh Debian machine.
test:
	contrib/install-deps.sh test e2e
	$(MAKE) test-all

test-all: all unit check-policies man-check test-install \
          test-managed-plugin integration \
          robustness bench-smoke footprint soak test-asan test-valgrind \
          fuzz-smoke e2e
	@echo "make test: all suites passed"

unit: $(BUILD)/test_unit
	$(BUILD)/test_unit

check-policies: $(BUILD)/dockgate
	$(BUILD)/dockgate check policies/*.yaml

integration: $(BUILD)/dockgate
	DOCKGATE=$(BUILD)/dockgate tests/integration/run.sh
	DOCKGATE=$(BUILD)/dockgate tests/integration/operations.sh

# A few seconds of the load harness: it works and the verdicts are right.
bench-smoke: $(BUILD)/dockgate $(BUILD)/loadgen
	DOCKGATE=$(BUILD)/dockgate LOADGEN=$(BUILD)/loadgen tests/bench/smoke.sh

# Issue 7: serving the default policy maps neither libcurl nor OpenSSL, and
# peaks within 8 MiB resident after 20,000 decisions over 16 connections.
footprint: $(BUILD)/dockgate $(BUILD)/loadgen
	DOCKGATE=$(BUILD)/dockgate LOADGEN=$(BUILD)/loadgen tests/footprint.sh

soak: $(BUILD)/dockgate $(BUILD)/loadgen
	DOCKGATE=$(BUILD)/dockgate LOADGEN=$(BUILD)/loadgen tests/bench/soak.sh

# Needs root for the dockerd part (BENCH_DOCKER_RUNS=0 skips it).
bench:
	contrib/install-deps.sh build bench e2e
	$(MAKE) all $(BUILD)/loadgen $(BUILD)/nullplugin $(BUILD)/mhdref
	DOCKGATE=$(CURDIR)/$(BUILD)/dockgate LOADGEN=$(CURDIR)/$(BUILD)/loadgen \
		NULLPLUGIN=$(CURDIR)/$(BUILD)/nullplugin \
		MHDREF=$(CURDIR)/$(BUILD)/mhdref tests/bench/bench.sh

# Hostile clients against the running daemon, and hostile policy files.
robustness: $(BUILD)/dockgate
	DOCKGATE=$(BUILD)/dockgate tests/robustness/run.sh

asan:
	$(MAKE) BUILD=build/asan CC=clang CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" \
		build/asan/dockgate build/asan/test_unit

# Unit, integration and robustness tests again under ASan + UBSan. Reports
# go to build/asan/logs, so that a daemon whose exit status no test checks
# (socket activation, restarts) still fails the run.
ASAN_LOGS = $(CURDIR)/build/asan/logs
SAN_ENV = UBSAN_OPTIONS=print_stacktrace=1:log_path=$(ASAN_LOGS)/ubsan
test-asan: asan
	rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(ASAN_LOGS)/asan \
		$(SAN_ENV) build/asan/test_unit
	ASAN_OPTIONS=detect_leaks=1:log_path=$(ASAN_LOGS)/asan $(SAN_ENV) \
		DOCKGATE=build/asan/dockgate tests/integration/run.sh
	ASAN_OPTIONS=detect_leaks=1:log_path=$(ASAN_LOGS)/asan $(SAN_ENV) \
		DOCKGATE=build/asan/dockgate DOCKGATE_SLOW=1 tests/integration/operations.sh
	ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16:log_path=$(ASAN_LOGS)/asan \
		$(SAN_ENV) RSS_MAX_MB=160 DOCKGATE=build/asan/dockgate \
		tests/robustness/run.sh
	tests/sanitizer-logs.sh $(ASAN_LOGS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with ASan + UBSan against
# the library built the same way. `make fuzz` runs each for FUZZ_SECONDS;
# `make fuzz-smoke` (part of `make test`) for FUZZ_SMOKE_SECONDS, two at a
# time (FUZZ_JOBS). Any crash, leak, timeout or OOM fails.
FUZZ_TARGETS = authz create decide imageref jdoc policy
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_SAN = -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=all -fno-omit-frame-pointer

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libdockgate.a $(HDRS)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
		$(BUILD)/libdockgate.a $(LIBS)

fuzz-targets: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)

fuzz-build:
	$(MAKE) BUILD=build/fuzz CC=clang CFLAGS="-O1 -g $(FUZZ_SAN)" \
		LDFLAGS="$(FUZZ_SAN)" fuzz-targets

fuzz: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# Unit tests in one process (no fork) and the integration test under
# memcheck: any error or definite/indirect leak fails, by exit status and,
# for every process (background daemons too), by its log in build/valgrind.
VG_LOGS = $(CURDIR)/build/valgrind
VALGRIND = valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--log-file=$(VG_LOGS)/vg.%p
test-valgrind: $(BUILD)/test_unit $(BUILD)/dockgate
	rm -rf $(VG_LOGS) && mkdir -p $(VG_LOGS)
	CK_FORK=no $(VALGRIND) $(BUILD)/test_unit
	DOCKGATE="$(VALGRIND) $(CURDIR)/$(BUILD)/dockgate" DOCKGATE_SLOW=1 \
		tests/integration/run.sh
	DOCKGATE="$(VALGRIND) $(CURDIR)/$(BUILD)/dockgate" DOCKGATE_SLOW=1 \
		tests/integration/operations.sh
	tests/sanitizer-logs.sh $(VG_LOGS)

# The suite, then the bypass attempts (raw HTTP; dockerd's state decides).
e2e: $(BUILD)/dockgate
	DOCKGATE=$(CURDIR)/$(BUILD)/dockgate tests/e2e/run.sh
	DOCKGATE=$(CURDIR)/$(BUILD)/dockgate tests/e2e/bypass.sh

# A private dockerd + dockgate sandbox: a denied docker run, then the fixed
# one, then everything torn down.
demo:
	contrib/install-deps.sh build e2e
	$(MAKE) all
	DOCKGATE=$(CURDIR)/$(BUILD)/dockgate contrib/demo.sh

# dockgate as a Docker managed plugin (contrib/managed-plugin/): a rootfs
# with the binary, its shared libraries, libcurl's (opened at run time for
# unset-user: inspect) and PLUGIN_POLICY, then `docker plugin create
# PLUGIN_NAME` on the daemon DOCKER_HOST names.
managed-plugin: $(BUILD)/dockgate
	DOCKGATE=$(CURDIR)/$(BUILD)/dockgate OUT=$(CURDIR)/$(BUILD)/managed-plugin \
		contrib/managed-plugin/build.sh $(PLUGIN_NAME) $(PLUGIN_POLICY)

# The man page renders without a single groff warning, and gives every
# option of `dockgate --help`'s usage lines a tagged line of its own
# (.B/.BI/.BR --option, not only a mention in the synopsis).
man-check: $(BUILD)/dockgate
	@out=$$(groff -man -Tutf8 -ww -z contrib/dockgate.8 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "contrib/dockgate.8: renders cleanly"
	@opts=$$($(BUILD)/dockgate --help | sed -n '1,/^$$/p' | \
		grep -o -- '--[a-z][a-z-]*' | sort -u); \
	[ -n "$$opts" ] || { echo "dockgate --help lists no option"; exit 1; }; \
	page=$$(sed 's/\\-/-/g' contrib/dockgate.8); missing=; \
	for o in $$opts; do \
		printf '%s\n' "$$page" | grep -Eq -- "^\.B[IR]? +$$o( |$$)" || \
			missing="$$missing $$o"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "contrib/dockgate.8 has no entry for:$$missing"; exit 1; fi; \
	echo "contrib/dockgate.8: an entry for each of the $$(echo $$opts | wc -w) options of dockgate --help"
	@# The usage blocks of README.md and doc/operations.md: every serve
	@# option too.
	@opts=$$($(BUILD)/dockgate --help | sed -n '1,/dockgate check/p' | \
		grep -o -- '--[a-z][a-z-]*' | sort -u); \
	for f in README.md doc/operations.md; do \
		usage=$$(awk '/^dockgate serve \[/ { on = 1; print; next } \
			on && (/^```/ || /^dockgate /) { exit } on' $$f); \
		[ -n "$$usage" ] || { echo "$$f: no dockgate serve usage block"; exit 1; }; \
		missing=; \
		for o in $$opts; do \
			printf '%s\n' "$$usage" | grep -q -- "\[$$o[] ]" || missing="$$missing $$o"; \
		done; \
		[ -z "$$missing" ] || { echo "$$f: usage block lacks$$missing"; exit 1; }; \
	done; \
	echo "README.md, doc/operations.md: their usage blocks list every serve option"

# The managed plugin's rootfs, assembled without docker and run with chroot:
# it carries libcurl, which the binary opens only for unset-user: inspect.
test-managed-plugin: $(BUILD)/dockgate
	DOCKGATE=$(CURDIR)/$(BUILD)/dockgate tests/managed-plugin.sh

# make install/uninstall into a temporary DESTDIR, checked file by file.
test-install: $(BUILD)/dockgate
	tests/install.sh

# The policy is the platform team's: an existing one is never overwritten.
install: $(BUILD)/dockgate
	install -D -m 0755 $(BUILD)/dockgate $(DESTDIR)$(PREFIX)/sbin/dockgate
	install -D -m 0644 contrib/dockgate.8 $(DESTDIR)$(MANDIR)/man8/dockgate.8
	@if [ -e $(DESTDIR)/etc/dockgate/policy.yaml ]; then \
		echo "keeping existing $(DESTDIR)/etc/dockgate/policy.yaml"; \
	else \
		install -D -m 0644 policies/default.yaml $(DESTDIR)/etc/dockgate/policy.yaml; \
	fi
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin|$(PREFIX)/sbin|g' contrib/systemd/dockgate.service \
		>$(DESTDIR)$(UNITDIR)/dockgate.service
	install -m 0644 contrib/systemd/dockgate.socket $(DESTDIR)$(UNITDIR)/dockgate.socket
	install -D -m 0644 contrib/logrotate/dockgate $(DESTDIR)/etc/logrotate.d/dockgate

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/dockgate $(DESTDIR)$(UNITDIR)/dockgate.service \
		$(DESTDIR)$(UNITDIR)/dockgate.socket $(DESTDIR)$(MANDIR)/man8/dockgate.8 \
		$(DESTDIR)/etc/logrotate.d/dockgate
	@echo "left $(DESTDIR)/etc/dockgate/policy.yaml in place"

format-check:
	clang-format --dry-run --Werror plugin/*.c include/*.h

clean:
	rm -rf build
