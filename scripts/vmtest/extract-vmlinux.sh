#!/usr/bin/env bash
# extract-vmlinux.sh VMLINUZ OUT: write the uncompressed ELF kernel inside a
# bzImage to OUT. QEMU boots it directly through its PVH entry point, which
# saves the guest the decompression (several seconds under TCG).
#
# A bzImage is a small setup program followed by the compressed kernel: look
# for each compression format's magic bytes and try to decompress from every
# place they occur until the result is an ELF file.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: $0 VMLINUZ OUT"
in=$1 out=$2
[ -r "$in" ] || die "cannot read $in"

is_elf() {
	[ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}

# magic (as a grep -P pattern)  decompressor (reads stdin)
formats=(
	'\xfd\x37\x7a\x58\x5a\x00' 'xz -dcq'
	'\x28\xb5\x2f\xfd' 'zstd -dcq'
	'\x1f\x8b\x08' 'gzip -dcq'
	'\x5d\x00\x00\x00' 'xz -dcq --format=lzma'
	'\x42\x5a\x68' 'bzip2 -dcq'
	'\x02\x21\x4c\x18' 'lz4 -dcq'
	'\x89\x4c\x5a\x4f' 'lzop -dcq'
)

if is_elf "$in"; then
	cp "$in" "$out"
	exit 0
fi
tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT
for ((i = 0; i < ${#formats[@]}; i += 2)); do
	magic=${formats[i]} cmd=${formats[i + 1]}
	command -v "${cmd%% *}" >/dev/null || continue
	# byte offsets of the magic (numbers: word splitting is fine)
	# shellcheck disable=SC2013
	for off in $(LC_ALL=C grep -aboP "$magic" "$in" | cut -d: -f1); do
		# trailing data after the stream makes the decompressor complain:
		# what counts is whether an ELF file came out
		tail -c "+$((off + 1))" "$in" | $cmd >"$tmp" 2>/dev/null || true
		if [ -s "$tmp" ] && is_elf "$tmp"; then
			mv "$tmp" "$out"
			exit 0
		fi
	done
done
die "no compressed ELF kernel found in $in (tried xz, zstd, gzip, lzma, bzip2, lz4, lzo)"
