#!/usr/bin/env bash
# Run rsttrace's unit tests (.output/unit_tests, built by make) and its
# end-to-end tests (tests/e2e/run.py, as root), then print one closing line:
# "N passed, M failed", the sum of both. Exit status 1 if anything failed.
#
#   tests/run.sh            everything
#   tests/run.sh linger     unit tests, then only the e2e tests named so
#
# RSTTRACE_STATIC=PATH (make check): then the e2e tests once more with the
# static binary at PATH (make STATIC=1); they count in the closing line.
# RSTTRACE=PATH, UNIT_TESTS=PATH: the binaries tested (./rsttrace and
# .output/unit_tests by default).
# SANITIZER_LOGS=DIR (make test SANITIZE=1): ASan writes its reports there
# instead of stderr, each one more failure (also those of a process whose
# exit status no test looks at); a report of either sanitizer makes the
# process exit with status 86, which no test expects.
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
unit_tests=${UNIT_TESTS:-.output/unit_tests}

if [ -n "${SANITIZER_LOGS:-}" ]; then
	rm -rf "$SANITIZER_LOGS"
	# -Z drops to another user, who must be able to write a report too
	mkdir -p -m 1777 "$SANITIZER_LOGS"
	logs=$(realpath "$SANITIZER_LOGS")
	# exitcode 86: a report is never taken for rsttrace's own exit 1
	export ASAN_OPTIONS="log_path=$logs/asan:exitcode=86:detect_leaks=1:abort_on_error=0"
	# gcc's UBSan beside ASan ignores log_path: its reports go to stderr,
	# and exit status 86 fails the test that ran it
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
	export LSAN_OPTIONS="exitcode=86"
	export RSTTRACE_SANITIZED=1
fi

# add_counts LABEL FILE RC [NAME]: add "LABEL: N passed, M failed" from FILE;
# a run without such a line, or failing without a failed test, counts as 1
# failure, reported as NAME's (default LABEL)
add_counts() {
	local line p f name=${4:-$1}
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$2" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: no '$1: N passed, M failed' line (exit status $3)"
		failed=$((failed + 1))
		return
	fi
	p=$(sed -E 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exit status $3"
		failed=$((failed + 1))
	fi
}

if [ -x "$unit_tests" ]; then
	"$unit_tests" 2>&1 | tee "$tmp"
	add_counts unit "$tmp" "${PIPESTATUS[0]}"
else
	echo "FAIL unit: $unit_tests is not built (run make test)"
	failed=$((failed + 1))
fi

/usr/bin/python3 tests/e2e/run.py "$@" 2>&1 | tee "$tmp"
add_counts e2e "$tmp" "${PIPESTATUS[0]}"

if [ -n "${RSTTRACE_STATIC:-}" ]; then
	echo "# the e2e tests again, with the static binary $RSTTRACE_STATIC"
	RSTTRACE=$RSTTRACE_STATIC /usr/bin/python3 tests/e2e/run.py "$@" 2>&1 |
		tee "$tmp"
	add_counts e2e "$tmp" "${PIPESTATUS[0]}" "e2e (static)"
fi

if [ -n "${SANITIZER_LOGS:-}" ]; then
	for f in "$logs"/*; do
		[ -e "$f" ] || continue
		echo "FAIL sanitizer: $f"
		sed 's/^/#   /' "$f" | head -n 60
		failed=$((failed + 1))
	done
	echo "# sanitizer reports: $(find "$logs" -type f | wc -l) (in $logs)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
