# shellcheck shell=bash
# Shared by the scripts in scripts/vmtest/ (sourced, not run).
#
#   VMTEST_CACHE   downloads, unpacked kernels, initramfs images
#                  (default /var/cache/rsttrace-vmtest)

VMTEST_CACHE=${VMTEST_CACHE:-/var/cache/rsttrace-vmtest}
# shellcheck disable=SC2034 # used by the scripts that source this
VMTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}

die() {
	echo "vmtest: $*" >&2
	exit 1
}

note() {
	echo "vmtest: $*" >&2
}

# need_cmd CMD [PACKAGE]: fail with a hint when CMD is missing
need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ -x "$1" ] && return 0
	die "$1 not found; install ${2:-it} (scripts/deps.sh vmtest)"
}

# now: seconds since the epoch, with fractions
now() {
	printf '%s\n' "$EPOCHREALTIME"
}

# elapsed T0 [T1]: T1 (default now) - T0 in whole seconds
elapsed() {
	local t1=${2:-$EPOCHREALTIME}
	awk -v a="$1" -v b="$t1" 'BEGIN { printf "%d\n", b - a + 0.5 }'
}
