#!/usr/bin/env bash
# mkinitramfs.sh KDIR OUT: build the test VM's initramfs for the kernel that
# fetch-kernel.sh unpacked in KDIR: static busybox, scripts/vmtest/init as
# /init, the kernel's config, and the modules needed to mount the 9p shares
# (with their dependencies, in load order, decompressed). Every other module
# is loaded on demand inside the VM, from KDIR shared over 9p.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: $0 KDIR OUT"
kdir=$(cd "$1" && pwd) out=$2
[ -e "$kdir/kernel.env" ] || die "$kdir: no kernel.env (not made by fetch-kernel.sh)"
# shellcheck source=/dev/null
. "$kdir/kernel.env"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing; install busybox-static (scripts/deps.sh vmtest)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install busybox-static (scripts/deps.sh vmtest)"
fi

# needed to mount the shares; virtio_rng feeds the guest's entropy pool;
# overlay makes the root writable in systemd mode (init), before the
# kernel's module tree can be reached
required="virtio_pci 9pnet_virtio 9p"
optional="virtio_rng overlay"

tmp=$(mktemp -d "$(dirname "$out")/.initramfs.XXXXXX")
trap 'rm -rf "$tmp" "$out.tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,mods}
cp "$BUSYBOX" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
install -m 755 "$VMTEST_DIR/init" "$tmp/init"
# the kernel opens /dev/console for /init before devtmpfs is mounted
mknod -m 600 "$tmp/dev/console" c 5 1 2>/dev/null || true
cp "$kdir/root/$CONFIG" "$tmp/config"
echo "$KVER" >"$tmp/kver"

# load order from modprobe --show-depends ("insmod PATH" or "builtin NAME")
declare -A seen
order=()
add() { # add MODULE REQUIRED
	local line path name deps
	if ! deps=$(modprobe -d "$kdir/root" -S "$KVER" --show-depends "$1" 2>&1); then
		[ "$2" = yes ] && die "module $1 not found for $KVER: $deps"
		return 0
	fi
	while read -r line; do
		case $line in
		insmod\ *)
			path=${line#insmod }
			path=${path%% *}
			name=$(basename "$path")
			name=${name%%.ko*}
			[ -n "${seen[$name]:-}" ] && continue
			seen[$name]=1
			case $path in
			*.ko.xz) xz -dc "$path" >"$tmp/mods/$name.ko" ;;
			*.ko.zst) zstd -qdc "$path" >"$tmp/mods/$name.ko" ;;
			*.ko.gz) gzip -dc "$path" >"$tmp/mods/$name.ko" ;;
			*.ko) cp "$path" "$tmp/mods/$name.ko" ;;
			*) die "$1: unexpected module file $path" ;;
			esac
			order+=("$name")
			;;
		esac
	done <<<"$deps"
}
for m in $required; do add "$m" yes; done
for m in $optional; do add "$m" no; done
printf '%s\n' "${order[@]}" >"$tmp/mods/order"

(cd "$tmp" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
