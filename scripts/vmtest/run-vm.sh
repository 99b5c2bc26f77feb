#!/usr/bin/env bash
# run-vm.sh [-m MEM] [-s CPUS] [-t TIMEOUT] [-r RETRIES] [-p PREFIX] [-k WORDS] KDIR INITRD SRC OUT
#
# Boots the kernel unpacked in KDIR (fetch-kernel.sh) under QEMU (TCG) with
# INITRD (mkinitramfs.sh), the host's /usr and /etc read-only, the repository
# snapshot SRC read-only and OUT/guest read-write, and runs the test suite
# inside (guest-run.sh). OUT/guest/tests and OUT/guest/env, when present
# before the boot, say which tests to run and with which environment.
# -k adds WORDS to the kernel's command line: "vmtest.mode=systemd" boots
# systemd and runs guest-systemd.sh instead (init).
#
# A boot that dies before the payload starts is retried RETRIES times
# (default 2); its console log is kept as OUT/serial.tryN.log.
#
# Writes OUT/serial.log (the console), OUT/qemu.cmd and OUT/result.env:
#   status=passed|failed|timeout|crashed|boot-failed
#   rc, attempts, boot_s (guest uptime when the payload started), suite_s,
#   wall_s (all attempts), kver
# With -p, the console is also copied to stdout, each line prefixed.
# Exit status: 0 when the payload ran and passed.
#
#   VMTEST_QEMU_ARGS   extra arguments for QEMU
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mem=2G cpus=1 timeout=3600 retries=2 prefix='' words=''
while getopts m:s:t:r:p:k: o; do
	case $o in
	m) mem=$OPTARG ;;
	s) cpus=$OPTARG ;;
	t) timeout=$OPTARG ;;
	r) retries=$OPTARG ;;
	p) prefix=$OPTARG ;;
	k) words=$OPTARG ;;
	*) die "usage: $0 [-m MEM] [-s CPUS] [-t TIMEOUT] [-r RETRIES] [-p PREFIX] [-k WORDS] KDIR INITRD SRC OUT" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 4 ] || die "usage: $0 [-m MEM] [-s CPUS] [-t TIMEOUT] [-r RETRIES] [-p PREFIX] [-k WORDS] KDIR INITRD SRC OUT"
kdir=$1 initrd=$2 src=$3 out=$4
# shellcheck source=/dev/null
. "$kdir/kernel.env"
need_cmd qemu-system-x86_64 qemu-system-x86
[ -s "$kdir/vmlinux" ] || die "$kdir/vmlinux missing (run fetch-kernel.sh)"
[ -s "$initrd" ] || die "$initrd missing (run mkinitramfs.sh)"
[ -x "$src/rsttrace" ] || die "$src/rsttrace missing"

mkdir -p "$out/guest"
# what the caller put there for the guest: kept across attempts
keep=$(mktemp -d "$out/.keep.XXXXXX")
trap 'rm -rf "$keep"' EXIT
for f in tests env; do
	[ -e "$out/guest/$f" ] && cp "$out/guest/$f" "$keep/"
done

# the guest needs no network: -nic none; nothing but the serial console
# shellcheck disable=SC2054 # commas inside QEMU options
# clocksource=hpet: under TCG the TSC calibration at boot can be far off
# (a guest clock running 3x fast was seen with tsc=reliable)
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "$mem" -smp "$cpus"
	-nodefaults -no-user-config -display none -no-reboot -nic none
	-serial stdio
	-kernel "$kdir/vmlinux" -initrd "$initrd"
	-append "console=ttyS0 quiet panic=-1 oops=panic mitigations=off clocksource=hpet no_timer_check random.trust_cpu=on${words:+ $words}"
	-device virtio-rng-pci
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)
share() { # share TAG PATH [ro]
	local ro=
	[ "${3:-}" = ro ] && ro=,readonly=on
	qemu+=(-virtfs "local,path=$2,mount_tag=$1,security_model=none,multidevs=remap$ro")
}
share hostusr /usr ro
share hostetc /etc ro
# systemd mode: dpkg -i checks the package's dependencies in it
share hostdpkg /var/lib/dpkg ro
share src "$src" ro
share results "$out/guest"
share kmods "$kdir/root" ro
# shellcheck disable=SC2206
qemu+=(${VMTEST_QEMU_ARGS:-})

# console LOG TIMES: copy the console to LOG (and stdout with -p), and note
# the host's time of the guest's markers in TIMES: the guest's clock is
# not to be trusted under TCG
console() {
	local line
	exec 3>>"$1" 4>>"$2"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >&3
		case $line in
		'VMTEST: payload start'*) echo "payload_start=$EPOCHREALTIME" >&4 ;;
		'VMTEST: suite start'*) echo "suite_start=$EPOCHREALTIME" >&4 ;;
		'VMTEST: suite end'*) echo "suite_end=$EPOCHREALTIME" >&4 ;;
		esac
		[ -z "$prefix" ] || printf '%s%s\n' "$prefix" "$line"
	done
	exec 3>&- 4>&-
}

printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"

# timeout(1) puts itself and QEMU in a process group of their own, which
# neither Ctrl-C nor a signal to make reaches: stop them here
vm=
stop_vm() {
	local t
	if [ -n "$vm" ]; then
		for t in $(pgrep -P "$vm" -x timeout); do
			kill -TERM -- "-$t" 2>/dev/null || true
		done
		wait "$vm" 2>/dev/null || true
	fi
	exit 130
}
trap stop_vm INT TERM HUP

t_start=$EPOCHREALTIME
attempt=0
status='' rc=''
while :; do
	attempt=$((attempt + 1))
	t_boot=$EPOCHREALTIME
	rm -rf "$out/guest"
	mkdir -p "$out/guest"
	cp -a "$keep/." "$out/guest/"
	log=$out/serial.log
	: >"$log"
	: >"$out/times.host"
	set +e
	# in the background, so that a signal runs stop_vm at once (a trap
	# waits for a foreground command to end)
	{
		timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 |
			console "$log" "$out/times.host"
		exit "${PIPESTATUS[0]}"
	} &
	vm=$!
	wait "$vm"
	q=$?
	vm=
	set -e
	started=no
	grep -q '^VMTEST: payload start' "$log" && started=yes
	rc=$(sed -n 's/^VMTEST_RC=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ -z "$rc" ] && [ "$q" -ge 3 ] && [ $((q % 2)) = 1 ] && [ "$q" -lt 254 ]; then
		rc=$(((q >> 1) - 1)) # isa-debug-exit got through, the console line did not
	fi
	if [ "$q" = 124 ] || [ "$q" = 137 ]; then
		echo "VMTEST-HOST: killed after the timeout of ${timeout}s" >>"$log"
		status=timeout
	elif [ "$started" = yes ] && [ -n "$rc" ]; then
		if [ "$rc" = 0 ]; then status=passed; else status=failed; fi
	elif [ "$started" = yes ]; then
		echo "VMTEST-HOST: the guest died during the payload (qemu exit status $q)" >>"$log"
		status=crashed
	else
		echo "VMTEST-HOST: the guest died before the payload started (qemu exit status $q)" >>"$log"
		status='boot-failed'
	fi
	if [ "$status" = boot-failed ] && [ "$attempt" -le "$retries" ]; then
		cp "$log" "$out/serial.try$attempt.log"
		echo "${prefix}boot attempt $attempt failed: retrying (log: $out/serial.try$attempt.log)" >&2
		continue
	fi
	[ "$status" = timeout ] && [ "$started" = no ] && status='boot-failed'
	break
done

# times from the host's clock: boot (QEMU started to payload started) and
# suite; the guest's own measure of the suite is kept for comparison
boot='' suite='' guest_suite=''
host_time() { sed -n "s/^$1=//p" "$out/times.host" | tail -n 1; }
t=$(host_time payload_start)
[ -n "$t" ] && boot=$(elapsed "$t_boot" "$t")
a=$(host_time suite_start) b=$(host_time suite_end)
[ -n "$a" ] && [ -n "$b" ] && suite=$(elapsed "$a" "$b")
if [ -s "$out/guest/times" ]; then
	guest_suite=$(awk -F= '/^suite_start=/{a=$2} /^suite_end=/{b=$2} END { if (a != "" && b != "") printf "%d", b - a + 0.5 }' \
		"$out/guest/times")
fi
cat >"$out/result.env" <<EOF
status=$status
rc=${rc:-}
qemu_rc=$q
attempts=$attempt
kver=$KVER
boot_s=$boot
suite_s=$suite
guest_suite_s=$guest_suite
wall_s=$(elapsed "$t_start")
EOF
[ "$status" = passed ]
