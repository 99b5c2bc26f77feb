#!/usr/bin/env bash
# vmtest.sh [options] [SERIES...]: run rsttrace's test suite on other kernels.
#
# For each kernel series (default: 5.10 6.1 6.12 7), fetch the newest Debian
# kernel of that series (fetch-kernel.sh), boot it under QEMU (TCG: no KVM
# needed) and run tests/run.sh inside against the ./rsttrace and
# .output/unit_tests built on this host (make). Then print one line per
# kernel: the test counts, the boot and suite times, and the kernel's
# capabilities as "rsttrace -V" reports them. A kernel whose suite failed
# shows its failed tests; one whose VM died shows its console's last lines.
#
# SERIES:systemd (e.g. 6.1:systemd) boots that kernel with systemd as PID 1
# instead, installs the package of make deb (the newest
# .output/deb/rsttrace_*.deb, which must be newer than ./rsttrace) and
# checks its unit under systemd (guest-systemd.sh); its line counts those
# checks. Results in DIR/SERIES-systemd/.
#
#   -j N        VMs at a time (default: the number of CPUs, one CPU each)
#   -o DIR      logs and results (default: .output/vmtest in the repository);
#               DIR/SERIES/serial.log is a VM's console, DIR/SERIES/guest/
#               the suite's output
#   -t SECONDS  a VM's time limit (default 2400; the whole suite takes about
#               650 s under TCG; a systemd VM gets 600 at most, it needs
#               about 150)
#   -T TESTS    run only these e2e tests (names or patterns, as run.py takes)
#   -v          copy the VMs' consoles to stdout as they run (prefixed)
#
# Environment: TESTS (as -T), VMTEST_VERBOSE=1 (as -v), VMTEST_CACHE
# (downloads and unpacked kernels, default /var/cache/rsttrace-vmtest),
# VMTEST_MEM (default 2G), VMTEST_CPUS (vCPUs per VM, default 1),
# VMTEST_RETRIES (boots that die before the suite starts are retried,
# default 2), VMTEST_OFFLINE=1 (use the cache only); E2E_KEEP_GOING,
# E2E_TIMEOUT_SCALE, E2E_BURST (default 2000 here) and RSTTRACE_START_TIMEOUT
# are passed to the suite.
#
# Exit status 0 when every kernel's suite passed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$VMTEST_DIR/../.." && pwd)
usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

jobs='' outdir=$REPO/.output/vmtest timeout=2400 tests=${TESTS:-} verbose=no
[ -n "${VMTEST_VERBOSE:-}" ] && [ "$VMTEST_VERBOSE" != 0 ] && verbose=yes
while getopts j:o:t:T:vh o; do
	case $o in
	j) jobs=$OPTARG ;;
	o) outdir=$OPTARG ;;
	t) timeout=$OPTARG ;;
	T) tests=$OPTARG ;;
	v) verbose=yes ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
series=("$@")
[ ${#series[@]} -gt 0 ] || series=(5.10 6.1 6.12 7)
[ -n "$jobs" ] || jobs=$(nproc)
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "-j: expected a positive number, got '$jobs'"
[ "$jobs" -le ${#series[@]} ] || jobs=${#series[@]}
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "-t: expected seconds, got '$timeout'"
declare -A dup
nsuite=0 nsystemd=0
for s in "${series[@]}"; do
	[[ $s =~ ^[0-9]+(\.[0-9]+)*(:systemd)?$ ]] ||
		die "bad kernel series '$s' (expected e.g. 5.10, 6.1, 6.12, 7, or 6.1:systemd)"
	[ -z "${dup[$s]:-}" ] || die "kernel series $s named twice"
	dup[$s]=1
	if [[ $s == *:systemd ]]; then
		nsystemd=$((nsystemd + 1))
	else
		nsuite=$((nsuite + 1))
	fi
done

need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd /usr/sbin/depmod kmod
need_cmd xz xz-utils
need_cmd zstd zstd
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
[ "$(id -u)" = 0 ] || die "run as root (the suite in the VM needs root, and so do the shared folders)"
for f in rsttrace .output/unit_tests; do
	[ "$f" = .output/unit_tests ] && [ "$nsuite" = 0 ] && continue
	[ -x "$REPO/$f" ] || die "$REPO/$f is not built: run make rsttrace .output/unit_tests (or make vmtest)"
done
# SERIES:systemd installs make deb's package: the newest one, which must be
# of this ./rsttrace
deb=
if [ "$nsystemd" -gt 0 ]; then
	# shellcheck disable=SC2012 # names made by build-deb.sh, no odd characters
	deb=$(ls -t "$REPO"/.output/deb/rsttrace_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "no package in $REPO/.output/deb: run make deb (or make vmtest)"
	[ "$deb" -nt "$REPO/rsttrace" ] || die "$deb is older than ./rsttrace: run make deb (or make vmtest)"
fi

mkdir -p "$outdir" "$VMTEST_CACHE/initramfs"
outdir=$(cd "$outdir" && pwd)

# A snapshot of the repository for the VMs: the tree may change while they run
snapshot() {
	local src=$outdir/src
	rm -rf "$src"
	mkdir -p "$src/.output"
	if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$REPO" ls-files -z --cached --others --exclude-standard |
			(cd "$REPO" && while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done) | tar -C "$REPO" --null -T - -cf - | tar -C "$src" -xf -
	else
		tar -C "$REPO" --exclude=./.git --exclude=./.output -cf - . | tar -C "$src" -xf -
	fi
	cp "$REPO/rsttrace" "$src/rsttrace"
	if [ "$nsuite" -gt 0 ]; then
		cp "$REPO/.output/unit_tests" "$src/.output/unit_tests"
	fi
	# RSTTRACE=./rsttrace-static make vmtest: make STATIC=1's binary
	if [ -x "$REPO/rsttrace-static" ]; then
		cp "$REPO/rsttrace-static" "$src/rsttrace-static"
	fi
	if [ -n "$deb" ]; then
		mkdir -p "$src/.output/deb"
		cp "$deb" "$src/.output/deb/"
	fi
}
snapshot

# Kernels and initramfs images (sequential: this is where the network is used)
declare -A kdir initrd
ihash=$(cat "$VMTEST_DIR/init" "$VMTEST_DIR/mkinitramfs.sh" "$BUSYBOX" | md5sum | cut -c1-12)
for s in "${series[@]}"; do
	k=${s%:systemd}
	if [ -z "${kdir[$k]:-}" ]; then
		kdir[$k]=$("$VMTEST_DIR/fetch-kernel.sh" "$k") || die "kernel $k: fetching failed"
		img=$VMTEST_CACHE/initramfs/$(basename "${kdir[$k]}")-$ihash.cpio.gz
		if [ ! -s "$img" ]; then
			"$VMTEST_DIR/mkinitramfs.sh" "${kdir[$k]}" "$img" || die "kernel $k: building the initramfs failed"
		fi
		initrd[$k]=$img
	fi
	kdir[$s]=${kdir[$k]} initrd[$s]=${initrd[$k]}
done
# results of SERIES:systemd in DIR/SERIES-systemd
dir_of() { echo "$outdir/${1/:/-}"; }

# One VM per kernel, $jobs at a time
env_lines() {
	local v
	for v in E2E_KEEP_GOING E2E_TIMEOUT_SCALE RSTTRACE_START_TIMEOUT RSTTRACE; do
		[ -n "${!v:-}" ] && echo "$v=${!v}"
	done
	# Under TCG the burst tests' 20,000 resets took three quarters of the
	# suite's time; 2,000 exercise the same accounting (and still overflow
	# the 4 KiB ring of burst_small_ringbuf)
	echo "E2E_BURST=${E2E_BURST:-2000}"
	return 0
}
run_one() { # SERIES
	local s=$1 d args=() t=$timeout
	d=$(dir_of "$1")
	rm -rf "$d"
	mkdir -p "$d/guest"
	printf '%s\n' "$tests" >"$d/guest/tests"
	env_lines >"$d/guest/env"
	if [[ $s == *:systemd ]]; then
		# a hung boot or check should not hold a VM slot for the suite's time
		[ "$t" -le 600 ] || t=600
		args=(-k vmtest.mode=systemd)
	fi
	args+=(-m "${VMTEST_MEM:-2G}" -s "${VMTEST_CPUS:-1}" -t "$t" -r "${VMTEST_RETRIES:-2}")
	args+=("${kdir[$s]}" "${initrd[$s]}" "$outdir/src" "$d")
	if [ "$verbose" = yes ]; then
		"$VMTEST_DIR/run-vm.sh" -p "[$s] " "${args[@]}" 2>&1 | tee "$d/run.log" || true
	else
		"$VMTEST_DIR/run-vm.sh" "${args[@]}" >"$d/run.log" 2>&1 || true
	fi
	[ -s "$d/result.env" ] || echo "status=error" >"$d/result.env"
	# shellcheck source=/dev/null
	(. "$d/result.env" && note "$s (${kver:-?}): $status after ${wall_s:-?}s")
}

# a signal to make reaches this script alone: pass it to each run-vm.sh
# (its trap stops its VM), then wait for them
stop_all() {
	local j
	trap - INT TERM HUP
	for j in $(jobs -p); do
		pkill -TERM -P "$j" 2>/dev/null || true
	done
	wait
	note "interrupted: the VMs of this run are stopped"
	exit 130
}
trap stop_all INT TERM HUP

t0=$EPOCHREALTIME
note "running ${series[*]} ($jobs at a time; logs in $outdir)${tests:+; tests: $tests}"
for s in "${series[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	note "$s: booting $(basename "${kdir[$s]}")"
	if [ "$verbose" = yes ]; then
		run_one "$s" &
	else
		run_one "$s" >/dev/null &
	fi
done
wait
total=$(elapsed "$t0")

# The counts in a suite log: "e2e: N passed, M failed, K skipped", "unit: ..."
counts() { # LOG LABEL
	{ grep -E "^$2: [0-9]+ passed, [0-9]+ failed" "$1" 2>/dev/null || true; } | tail -n 1 | sed "s/^$2: //"
}

# "rsttrace -V" on one line: the "name: value" lines, without the
# parenthesised details and the padding
caps() { # VERSION_FILE
	[ -s "$1" ] || {
		echo "(no rsttrace -V output)"
		return
	}
	awk '
		/^exit status / { if ($3 != 0) out = out (out ? "; " : "") "-V exit status " $3; next }
		/^rsttrace / || /^kernel:/ { next }
		/:/ {
			i = index($0, ":"); k = substr($0, 1, i - 1); v = substr($0, i + 1)
			gsub(/ *\([^)]*\)/, "", k); gsub(/^ +| +$/, "", k)
			gsub(/^ +| +$/, "", v); gsub(/ *\([^)]*\)/, "", v)
			out = out (out ? "; " : "") k ": " v; next
		}
		NF { gsub(/^ +| +$/, ""); out = out (out ? "; " : "") $0 }
		END { print out }' "$1"
}

fail=0
lines=()
for s in "${series[@]}"; do
	d=$(dir_of "$s")
	status='' kver='' boot_s='' suite_s='' guest_suite_s='' wall_s='' attempts=1
	# shellcheck source=/dev/null
	. "$d/result.env"
	# a systemd VM's checks: the unit's status and journal say why one
	# failed, so more of each failure's details
	if [[ $s == *:systemd ]]; then
		log=$d/guest/systemd.log what=checks details=30
	else
		log=$d/guest/suite.log what=tests details=3
	fi
	[ "$status" = passed ] || fail=1
	if [ "$status" = failed ] && [ -s "$log" ]; then
		echo
		echo "=== $s ($kver): failed $what (full log: $log)"
		# each FAIL line with the first lines of its details and the last
		# (a tool's error message ends its stderr), each cut to 200 columns
		awk -v max="$details" '
			function cut(s) { return length(s) > 200 ? substr(s, 1, 197) "..." : s }
			function flush() { if (n > max) { if (n > max + 1) print "#   ..."; print cut(last) } n = -1 }
			/^FAIL / { flush(); n = 0; print cut($0); next }
			/^#   / && n >= 0 { if (n < max) print cut($0); last = $0; n++; next }
			{ flush() }
			END { flush() }' "$log"
		if ! grep -q '^FAIL ' "$log"; then
			tail -n 20 "$log"
		fi
	elif [ "$status" != passed ]; then
		echo
		echo "=== $s (${kver:-?}): $status; the console's last lines ($d/serial.log):"
		tail -n 40 "$d/serial.log" 2>/dev/null || cat "$d/run.log"
	fi
	retried=''
	[ "${attempts:-1}" -gt 1 ] && retried=" (boot retried $((attempts - 1))x)"
	# the suite's duration by the guest's clock, when far from the host's
	if [ -n "${guest_suite_s:-}" ] && [ -n "$suite_s" ]; then
		off=$((guest_suite_s - suite_s))
		[ "${off#-}" -gt $((suite_s / 4 + 10)) ] && retried+=" (guest clock: suite ${guest_suite_s}s)"
	fi
	if [[ $s == *:systemd ]]; then
		# boot: to systemd's start of the payload; the version from its log
		sd=$(sed -n 's/^# \(systemd [0-9][^,]*\), kernel .*/\1/p' "$log" 2>/dev/null | head -n 1)
		checks=$(counts "$log" systemd)
		lines+=("$(printf '%-5s %-22s %-11s systemd %s | boot %ss, checks %ss, wall %ss%s | %s' \
			"$s" "${kver:-?}" "${status^^}" "${checks:-no result}" \
			"${boot_s:-?}" "${suite_s:-?}" "${wall_s:-?}" "$retried" "${sd:-systemd ?}")")
		continue
	fi
	e2e=$(counts "$log" e2e)
	unit=$(counts "$log" unit)
	lines+=("$(printf '%-5s %-22s %-11s e2e %s | unit %s | boot %ss, suite %ss, wall %ss%s | %s' \
		"$s" "${kver:-?}" "${status^^}" "${e2e:-no result}" "${unit:-no result}" \
		"${boot_s:-?}" "${suite_s:-?}" "${wall_s:-?}" "$retried" "$(caps "$d/guest/version.txt")")")
done
echo
echo "=== vmtest: ${#series[@]} kernel(s) in ${total}s, $jobs at a time${tests:+, tests: $tests}"
printf '%s\n' "${lines[@]}"
exit $fail
