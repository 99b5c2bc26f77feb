#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#
# make fuzz: build the libFuzzer targets of tests/fuzz/ with clang and
# -fsanitize=fuzzer,address,undefined into .output/fuzz/, then run each on
# a copy of its seed corpus (tests/fuzz/corpus/NAME/, never grown by a
# run) with its dictionary (tests/fuzz/NAME.dict) when it has one.
#
#   scripts/fuzz.sh [NAME...]      every target, or the ones named
#
# FUZZ_SECONDS   seconds of fuzzing in total (default 60), split evenly
#                over the targets run, one after the other
# FUZZ_BUILD_ONLY=1  build, run nothing
#
# One line per target: executions, exec/s, coverage, corpus size, and
# the crash, leak or timeout with the file that reproduces it:
#   .output/fuzz/NAME FILE
# Exits 1 when any target found one, 2 when the build failed.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${FUZZ_OUT:-.output/fuzz}
CC=${FUZZ_CC:-$(command -v clang-14 || command -v clang)}
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
# as the Makefile's, but clang also warns of vfprintf(fmt) in a printf-like
# function (loader.c's libbpf print callback), which gcc accepts
WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wformat=2 -Wno-format-nonliteral -Wno-unused-parameter -Wundef
      -Wpointer-arith -Werror"
CFLAGS="-g -O1 -fno-omit-frame-pointer $SAN $WARN -std=gnu11 -D_GNU_SOURCE
	-I.output -iquote bpf -iquote user -iquote tests/fuzz"
LIBS="-Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lcap-ng -ldl -pthread"
SECONDS_TOTAL=${FUZZ_SECONDS:-60}

mkdir -p "$OUT/obj/user" "$OUT/obj/fuzz" "$OUT/run"

# An object is rebuilt when it is missing, when the flags changed, or
# when its source or a header it included (its .d file) is newer.
stale() { # stale OBJ SRC
	local o=$1 d=${1%.o}.d f
	[ -e "$o" ] && [ -e "$d" ] || return 0
	[ "$2" -nt "$o" ] && return 0
	for f in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$d"); do
		[ "$f" -nt "$o" ] && return 0
	done
	return 1
}

flags_id=$(printf '%s\n' "$CC" $CFLAGS | md5sum | cut -c1-12)
if [ "$(cat "$OUT/flags" 2>/dev/null)" != "$flags_id" ]; then
	rm -f "$OUT"/obj/*/*.o
	echo "$flags_id" >"$OUT/flags"
fi

lib_srcs=()
for f in user/*.c; do
	[ "$f" = user/rsttrace.c ] || lib_srcs+=("$f") # main()
done
targets=()
for f in tests/fuzz/*.c; do
	n=$(basename "$f" .c)
	[ "$n" = fuzz ] || targets+=("$n") # fuzz.c: the shared checks
done
if [ $# -gt 0 ]; then
	for n in "$@"; do
		[ -e "tests/fuzz/$n.c" ] || {
			echo "fuzz: no target '$n' (tests/fuzz/$n.c); there are: ${targets[*]}" >&2
			exit 2
		}
	done
	targets=("$@")
fi

todo=()
for f in "${lib_srcs[@]}"; do
	o=$OUT/obj/user/$(basename "$f" .c).o
	stale "$o" "$f" && todo+=("$f $o")
done
for f in tests/fuzz/*.c; do
	o=$OUT/obj/fuzz/$(basename "$f" .c).o
	stale "$o" "$f" && todo+=("$f $o")
done
if [ ${#todo[@]} -gt 0 ]; then
	echo "fuzz: compiling ${#todo[@]} files with $(basename "$CC")" >&2
	export CC CFLAGS
	printf '%s\n' "${todo[@]}" |
		xargs -P "$(nproc)" -L1 sh -c '$CC $CFLAGS -MMD -c "$0" -o "$1"' ||
		{ echo "fuzz: build failed" >&2; exit 2; }
fi
lib_objs=()
for f in "${lib_srcs[@]}"; do
	lib_objs+=("$OUT/obj/user/$(basename "$f" .c).o")
done
for n in "${targets[@]}"; do
	bin=$OUT/$n
	deps=("$OUT/obj/fuzz/$n.o" "$OUT/obj/fuzz/fuzz.o" "${lib_objs[@]}")
	new=0
	for o in "${deps[@]}"; do [ "$o" -nt "$bin" ] && new=1; done
	[ -e "$bin" ] && [ $new = 0 ] && continue
	# shellcheck disable=SC2086
	$CC -fsanitize=fuzzer,address,undefined "${deps[@]}" $LIBS -o "$bin" ||
		{ echo "fuzz: link of $n failed" >&2; exit 2; }
done
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

per=$((SECONDS_TOTAL / ${#targets[@]}))
[ $per -ge 1 ] || per=1
echo "fuzz: ${#targets[@]} targets, $per s each" >&2
failed=0
for n in "${targets[@]}"; do
	run=$OUT/run/$n
	rm -rf "$run"
	mkdir -p "$run/corpus" "$run/artifacts"
	seeds=0
	if [ -d "tests/fuzz/corpus/$n" ]; then
		cp tests/fuzz/corpus/"$n"/* "$run/corpus/" 2>/dev/null || true
		seeds=$(find "$run/corpus" -type f | wc -l)
	fi
	opts=(-max_total_time="$per" -timeout=30 -rss_limit_mb=2048
	      -print_final_stats=1 -artifact_prefix="$run/artifacts/")
	[ -e "tests/fuzz/$n.dict" ] && opts+=(-dict="tests/fuzz/$n.dict")
	# stdout is our printers' (--help), not the fuzzer's; args also
	# says why on stderr for every bad argument
	if [ "$n" = args ]; then opts+=(-close_fd_mask=3); else opts+=(-close_fd_mask=1); fi
	rc=0
	"$OUT/$n" "${opts[@]}" "$run/corpus" >"$run/log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$run/log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$run/log" | tail -1 | cut -d' ' -f2)
	corpus=$(find "$run/corpus" -type f | wc -l)
	# not slow-unit-*: a unit slower than 10 s on a busy machine is news,
	# not a failure (-timeout is)
	found=$(find "$run/artifacts" -type f \( -name 'crash-*' -o \
		-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -1)
	line="fuzz: $n: ${execs:-?} runs, ${rate:-?} exec/s, cov: ${cov:-?}, ft: ${ft:-?}, corpus: $corpus (seeds: $seeds)"
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		failed=1
		kind=$(basename "${found:-failure}" | cut -d- -f1)
		echo "$line, FAILED: $kind ${found:-(no input kept)}, log $run/log; reproduce: $OUT/$n ${found:-}"
		grep -m3 -E '^==[0-9]+==ERROR|runtime error:|^fuzz: ' "$run/log" | sed 's/^/    /' || true
	else
		echo "$line, crashes: 0"
	fi
done
exit $failed
