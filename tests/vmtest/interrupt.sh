#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#
# tests/vmtest/interrupt.sh: an interrupted "make vmtest" stops its VMs.
# timeout(1) runs QEMU in a process group of its own, which neither Ctrl-C
# nor a signal to make reaches; the VMs of an interrupted run used to go on
# for up to 40 minutes. Two ways in: SIGTERM to make alone (a CI step's
# time-out, "kill"), and SIGINT to make's process group (Ctrl-C). Each
# starts a run, waits for its QEMU to exist, signals, and expects every
# QEMU of the run gone within 15 s (the guest's suite, one long test, takes
# over a minute).
set -euo pipefail
cd "$(dirname "$0")/../.."
KERNEL=${VMTEST_INTERRUPT_KERNEL:-6.1}
fails=0

qemus() { # OUT: pids of QEMU processes of the run writing to OUT
	pgrep -f "qemu-system.*$1" || true
}
has_qemu() { [ -n "$(qemus "$1")" ]; }
no_qemu() { [ -z "$(qemus "$1")" ]; }

# wait_for DESC SECONDS CMD...: poll CMD until it succeeds
wait_for() {
	local desc=$1 limit=$2 t=0
	shift 2
	until "$@"; do
		sleep 0.2
		t=$((t + 1))
		if [ "$t" -ge $((limit * 5)) ]; then
			echo "interrupt: timed out waiting for $desc" >&2
			return 1
		fi
	done
}

one() { # SIGNAL TARGET(make|group)
	local sig=$1 target=$2 out mk
	out=$(mktemp -d /tmp/rsttrace-vmtest-int.XXXXXX)
	# as from a terminal: a job started with & ignores SIGINT, and a shell
	# cannot undo that for its children (python can, before it execs)
	setsid python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' make --no-print-directory vmtest \
		KERNELS="$KERNEL" TESTS=burst_cpu_quota VMTEST_OUT="$out" \
		>"$out.log" 2>&1 &
	mk=$!
	if ! wait_for "QEMU of $out" 600 has_qemu "$out"; then
		kill -KILL -- "-$mk" 2>/dev/null || true
		fails=$((fails + 1))
		return
	fi
	if [ "$target" = make ]; then
		kill "-$sig" "$mk"
	else
		kill "-$sig" -- "-$mk"
	fi
	if wait_for "QEMU to stop after SIG$sig to $target" 15 no_qemu "$out"; then
		echo "ok interrupt: SIG$sig to $target: the VM stopped"
	else
		echo "FAIL interrupt: SIG$sig to $target: QEMU still running:" \
			"$(qemus "$out" | tr '\n' ' ')" >&2
		pkill -KILL -f "qemu-system.*$out" || true
		fails=$((fails + 1))
	fi
	wait "$mk" 2>/dev/null || true
	rm -rf "$out" "$out.log"
}

one TERM make
one INT group
[ "$fails" = 0 ] || exit 1
