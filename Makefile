# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#
#   make            build ./rsttrace (installs missing build packages first)
#   make run        build, then run it: sudo make run ARGS="--json"
#   make test       build, then run unit and end-to-end tests (as root)
#   make check      what CI runs: make test (and with the static binary), the
#                   sanitizer suite, memcheck, fuzz, a short soak, the suite
#                   on 5.10 and 6.1 under QEMU, the package's unit under
#                   systemd on 6.1
#   make bench      measure cost and completeness (as root, idle machine)
#   make fuzz       the libFuzzer targets of tests/fuzz, 60 s in all
#   make soak       run it under mixed load, check nothing grows (as root;
#                   SOAK_SECONDS=600 by default)
#   make vmtest     the tests on other kernels under QEMU
#   make vmlinux    regenerate vmlinux/vmlinux.h from this machine's BTF
#   make V=1        show the commands
#   make STATIC=1   build ./rsttrace-static, one fully static binary
#   make test SANITIZE=1  the tests with ./rsttrace-san (ASan and UBSan)
#   make memcheck   a short trace with a reset storm under valgrind

OUTPUT  ?= .output$(if $(filter 1,$(STATIC)),/static)$(if $(filter 1,$(SANITIZE)),/san)
CLANG   ?= clang
CC      ?= gcc
BPFTOOL ?= $(or $(shell command -v bpftool),/usr/sbin/bpftool)
PYTHON  ?= /usr/bin/python3
ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wformat=2 -Wno-unused-parameter -Wundef -Wpointer-arith -Werror
CFLAGS  ?= -g -O2
ALL_CFLAGS := $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE \
	      -I$(OUTPUT) -iquote bpf -iquote user
# libbpf is linked statically, its own dependencies dynamically.
LIBS    := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lcap-ng -ldl -pthread
# make STATIC=1: ./rsttrace-static, every library in it (Debian's static
# ones), its objects in .output/static. libmicrohttpd.a comes without the
# GnuTLS it refers to (no static p11-kit in Debian): see
# user/static/gnutls_none.c. Users and groups come from /etc/passwd and
# /etc/group only, not NSS: see user/static/files_only.c.
PROG    := rsttrace
ifeq ($(STATIC),1)
PROG    := rsttrace-static
ALL_CFLAGS += -DRST_STATIC
LIBS    := -static -lbpf -lelf -lz -lzstd -lcap-ng -lmicrohttpd -pthread \
	   $(foreach f,getpwnam getpwuid getpwnam_r getpwuid_r getgrnam \
	     getgrgid getgrouplist initgroups,-Wl,--wrap=$(f))
STATIC_SRCS := $(wildcard user/static/*.c)
$(STATIC_SRCS:user/%.c=$(OUTPUT)/user/%.o): | $(OUTPUT)/user/static
$(OUTPUT)/user/static:
	$(Q)mkdir -p $@
else
rsttrace-static: FORCE
	$(Q)$(MAKE) --no-print-directory STATIC=1 $@
endif
# make SANITIZE=1: ./rsttrace-san and its unit tests with AddressSanitizer
# and UndefinedBehaviorSanitizer (gcc's), objects in .output/san. Undefined
# behaviour aborts like a memory error, so that no report goes unnoticed.
ifeq ($(SANITIZE),1)
ifeq ($(STATIC),1)
$(error SANITIZE=1 and STATIC=1 do not go together: the sanitizers' runtimes are shared libraries)
endif
PROG    := rsttrace-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
else
rsttrace-san: FORCE
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 $@
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf \
	      -Wall -Werror -Wno-unused-function

USER_SRCS := $(wildcard user/*.c) $(STATIC_SRCS)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
# everything but main(), for the unit tests
LIB_OBJS  := $(filter-out $(OUTPUT)/user/rsttrace.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%.o,$(UNIT_SRCS))
# the tracer, and the probe that picks its owner store
SKEL      := $(OUTPUT)/rsttrace.skel.h $(OUTPUT)/probe_storage.skel.h
VERSION_H := $(OUTPUT)/version.h
DEPS_STAMP := $(OUTPUT)/.deps-build

.DEFAULT_GOAL := all
.PHONY: all deps test-deps run test unit vmlinux clean format

all: $(PROG)

# Build packages are installed when missing (Debian/Ubuntu), so that a
# fresh machine needs only "make".
$(DEPS_STAMP): scripts/deps.sh | $(OUTPUT)
	$(Q)scripts/deps.sh build
	$(Q)touch $@

deps: $(DEPS_STAMP)

test-deps: $(DEPS_STAMP)
	$(Q)scripts/deps.sh test

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# not intermediate files: make would delete them after the compile
.PRECIOUS: $(OUTPUT)/%.bpf.o $(OUTPUT)/%.skel.h
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(DEPS_STAMP) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

# rewritten only when the version changes, so that a commit rebuilds what
# prints it and nothing else
$(VERSION_H): FORCE | $(OUTPUT)
	$(Q)v='#define RSTTRACE_VERSION "$(VERSION)"'; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
.PHONY: FORCE

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# The skeleton must exist before the first compile; after that the -MMD
# files say which objects really include it (and every other header).
# -V prints the version
$(OUTPUT)/user/report.o $(OUTPUT)/user/sink_metrics.o: $(VERSION_H)
$(OUTPUT)/user/%.o: user/%.c | $(SKEL) $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/tests/%.o: tests/unit/%.c | $(SKEL) $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(PROG): $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/%.o: tests/bench/%.c | $(SKEL) $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# the load generator needs nothing of rsttrace's
$(OUTPUT)/rstload: $(OUTPUT)/bench/rstload.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -pthread -o $@

$(OUTPUT)/fmtbench: $(OUTPUT)/bench/fmtbench.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

run: rsttrace
	./rsttrace $(ARGS)

unit: $(OUTPUT)/unit_tests
	$(OUTPUT)/unit_tests

# with SANITIZE=1, every sanitizer report (in $(OUTPUT)/sanitizer) is a
# failure of its own: see tests/run.sh
test: $(PROG) $(OUTPUT)/unit_tests test-deps
	$(Q)RSTTRACE=./$(PROG) UNIT_TESTS=$(OUTPUT)/unit_tests \
		$(if $(filter 1,$(SANITIZE)),SANITIZER_LOGS=$(OUTPUT)/sanitizer) \
		tests/run.sh $(TESTS)

# make memcheck: a short trace with a reset storm under valgrind's memcheck;
# any error, or a definite leak, fails it (tests/memcheck.py)
.PHONY: memcheck
memcheck: rsttrace $(OUTPUT)/rstload test-deps
	$(Q)scripts/deps.sh memcheck
	$(Q)$(PYTHON) tests/memcheck.py ./rsttrace $(OUTPUT)/rstload

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h tests/unit/*.c \
		tests/bench/*.c

clean:
	rm -rf $(OUTPUT) rsttrace rsttrace-static rsttrace-san

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d $(OUTPUT)/tests/*.d \
		    $(OUTPUT)/bench/*.d)

# make bench: cost and completeness beside tcpstates and bpftrace
# (scripts/bench.py; BENCH_ARGS="--quick" for a short smoke run)
.PHONY: bench
bench: rsttrace rsttrace-static $(OUTPUT)/rstload $(OUTPUT)/fmtbench test-deps
	$(Q)scripts/deps.sh bench
	$(Q)$(PYTHON) scripts/bench.py $(BENCH_ARGS)

# make soak: rsttrace for SOAK_SECONDS under churn, reset storms,
# listeners, network namespaces and processes coming and going; fails if
# its RSS, fds, kernel memory or map entries grow, or a reset is lost
# (scripts/soak.py; SOAK_ARGS="--allow-lost" to report losses only)
SOAK_SECONDS ?= 600
.PHONY: soak
soak: rsttrace $(OUTPUT)/rstload test-deps
	$(Q)$(PYTHON) scripts/soak.py --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

# make vmtest: the test suite on other kernels, each booted under QEMU
# (scripts/vmtest/vmtest.sh); one line per kernel at the end. Quicker:
#   make vmtest KERNELS=6.1 TESTS="refused_ipv4 linger"
# SERIES:systemd boots that kernel with systemd as PID 1 instead and checks
# make deb's package and unit under it (scripts/vmtest/guest-systemd.sh):
#   make vmtest KERNELS="6.1:systemd 5.10:systemd"
KERNELS ?= 5.10 6.1 6.12 7
VMTEST_OUT ?= $(OUTPUT)/vmtest
.PHONY: vmtest check
vmtest: rsttrace $(OUTPUT)/unit_tests test-deps $(if $(findstring :systemd,$(KERNELS)),deb)
	$(Q)scripts/deps.sh vmtest
	$(Q)exec scripts/vmtest/vmtest.sh -o $(VMTEST_OUT) $(if $(TESTS),-T "$(TESTS)") $(KERNELS)

# make check: what CI runs (.ci/run) and the README's test command, each
# step run even when one before failed, the last line naming those that
# did (about 36 minutes on 2 CPUs):
#   suite       this kernel's suite, the end-to-end part twice, the second
#               time with ./rsttrace-static (make STATIC=1)
#   sanitizers  make test SANITIZE=1: the suite with ASan and UBSan
#   memcheck    a reset storm under valgrind
#   fuzz        every libFuzzer target, CHECK_FUZZ_SECONDS in all
#   soak        CHECK_SOAK_SECONDS of mixed load, nothing may grow
#   vmtest      the suite on two of Debian's kernels under QEMU, both at
#               once: 5.10 takes the legacy owner store and 6.1 the
#               kprobes, the two paths this machine's kernel never takes;
#               then, in the place of the first to end, the package's
#               unit under systemd as PID 1 on 6.1 (6.1:systemd, 80 to 130
#               s on its own: the step takes about 1 to 1.5 minutes more)
#   interrupt   an interrupted vmtest stops its VMs
CHECK_KERNELS ?= 5.10 6.1 6.1:systemd
CHECK_FUZZ_SECONDS ?= 60
CHECK_SOAK_SECONDS ?= 120
check: rsttrace $(OUTPUT)/unit_tests rsttrace-static test-deps
	$(Q)failed=; \
	step() { \
		name=$$1; shift; \
		printf '\n=== make check: %s\n' "$$name"; \
		"$$@" || failed="$$failed $$name"; \
	}; \
	step suite env RSTTRACE_STATIC=./rsttrace-static tests/run.sh; \
	step sanitizers $(MAKE) --no-print-directory test SANITIZE=1; \
	step memcheck $(MAKE) --no-print-directory memcheck; \
	step fuzz $(MAKE) --no-print-directory fuzz \
		FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS); \
	step soak $(MAKE) --no-print-directory soak \
		SOAK_SECONDS=$(CHECK_SOAK_SECONDS); \
	step vmtest $(MAKE) --no-print-directory vmtest \
		KERNELS="$(CHECK_KERNELS)"; \
	step interrupt tests/vmtest/interrupt.sh; \
	if [ -n "$$failed" ]; then \
		echo "make check: failed:$$failed"; exit 1; \
	fi; \
	echo "make check: every step passed"

# make fuzz: the libFuzzer targets of tests/fuzz/, built with clang and
# its fuzzer, address and undefined sanitizers into $(OUTPUT)/fuzz, each
# run on a copy of its seed corpus (scripts/fuzz.sh). FUZZ_SECONDS is the
# total time, split evenly over the targets (default 60);
# FUZZ_TARGETS="format seed" runs only those.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: $(SKEL) $(VERSION_H)
	$(Q)scripts/deps.sh fuzz
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

# make install: the binary, man page, JSON Schema, systemd unit, sysusers.d
# file, bash completion and a logrotate example under PREFIX (and DESTDIR,
# for staging); make uninstall removes the same files. make deb: a Debian
# package from such a tree (PREFIX=/usr), by scripts/package/build-deb.sh,
# in $(OUTPUT)/deb/.
PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install
SBINDIR := $(PREFIX)/sbin
MAN8DIR := $(PREFIX)/share/man/man8
DATADIR := $(PREFIX)/share/rsttrace
UNITDIR := $(PREFIX)/lib/systemd/system
SYSUSERSDIR := $(PREFIX)/lib/sysusers.d
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
DEB_DIR := $(OUTPUT)/deb
INSTALLED := $(SBINDIR)/rsttrace $(MAN8DIR)/rsttrace.8 \
	     $(DATADIR)/rsttrace.schema.json $(DATADIR)/rsttrace.logrotate \
	     $(UNITDIR)/rsttrace.service $(SYSUSERSDIR)/rsttrace.conf \
	     $(COMPLETIONDIR)/rsttrace
.PHONY: install uninstall deb

install: $(PROG)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -D -m 0755 $(PROG) $(DESTDIR)$(SBINDIR)/rsttrace
	$(Q)$(INSTALL) -D -m 0644 user/rsttrace.8 $(DESTDIR)$(MAN8DIR)/rsttrace.8
	$(Q)$(INSTALL) -D -m 0644 user/rsttrace.schema.json \
		$(DESTDIR)$(DATADIR)/rsttrace.schema.json
	$(Q)$(INSTALL) -D -m 0644 scripts/package/rsttrace.logrotate \
		$(DESTDIR)$(DATADIR)/rsttrace.logrotate
	$(Q)sed 's|^ExecStart=/usr/sbin/rsttrace |ExecStart=$(SBINDIR)/rsttrace |' \
		scripts/package/rsttrace.service | \
		$(INSTALL) -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/rsttrace.service
	$(Q)$(INSTALL) -D -m 0644 scripts/package/rsttrace.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/rsttrace.conf
	$(Q)$(INSTALL) -D -m 0644 scripts/package/rsttrace.bash-completion \
		$(DESTDIR)$(COMPLETIONDIR)/rsttrace

uninstall:
	$(call msg,RM,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(DATADIR) 2>/dev/null || true

deb: $(PROG)
ifeq ($(STATIC),1)
	@echo "make deb packages the dynamic build: Debian's packages link shared" \
	      "libraries (lintian refuses a static binary); copy ./rsttrace-static" \
	      "as it is" >&2; exit 2
endif
	$(Q)rm -rf $(DEB_DIR)/root
	$(Q)umask 022 && $(MAKE) --no-print-directory install PREFIX=/usr \
		DESTDIR=$(abspath $(DEB_DIR))/root
	$(Q)umask 022 && scripts/package/build-deb.sh $(DEB_DIR)/root $(DEB_DIR)
