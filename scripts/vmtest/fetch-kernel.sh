#!/usr/bin/env bash
# fetch-kernel.sh SERIES: download and unpack the newest Debian kernel of a
# series (5.10, 6.1, 6.12, 7, 7.2, ...) and print the directory that holds it.
#
# The packages are fetched with "apt-get download" and unpacked with
# "dpkg-deb -x", never installed. Debian suites other than the host's
# (bullseye, trixie, sid, ...) are reached through a private apt
# configuration under the cache whose mirror is the one the system's own apt
# sources name, read at run time.
#
# The kernel directory ($VMTEST_CACHE/kernels/PACKAGE_VERSION/) holds:
#   root/          the unpacked packages (modules.dep made by depmod)
#   vmlinux        the uncompressed kernel (ELF, booted through its PVH entry)
#   kernel.env     KVER, MODULES (dir of the modules), CONFIG, PACKAGES
#
# Everything is cached: a second run needs no network. The apt lists are
# refreshed when older than VMTEST_APT_MAX_AGE hours (default 24); when that
# fails the old lists are used, and when a series cannot be resolved at all
# the kernel it resolved to last time is used.
#
#   VMTEST_CACHE           cache directory (default /var/cache/rsttrace-vmtest)
#   VMTEST_OFFLINE=1       never touch the network
#   VMTEST_MIRROR          Debian mirror (default: from the system's apt sources)
#   VMTEST_SECURITY_MIRROR security mirror (default: from the system's apt sources)
#   VMTEST_SUITES          suites searched (default below)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 SERIES (e.g. 6.1)"
series=$1
[[ $series =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "bad kernel series '$series' (expected e.g. 5.10, 6.1, 6.12, 7)"

SUITES=${VMTEST_SUITES:-bullseye bullseye-security bookworm bookworm-security trixie trixie-security sid}
APT=$VMTEST_CACHE/apt
KERNELS=$VMTEST_CACHE/kernels
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$VMTEST_CACHE/debs" \
	"$KERNELS" "$VMTEST_CACHE/series"

apt_opts=(-o "Dir::Etc::sourcelist=$APT/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
	-o Dir::State::status=/dev/null -o Debug::NoLocking=1
	-o APT::Sandbox::User=root -o Acquire::Retries=3)

# system_mirror security|archive: the first URI of the system's apt sources
# whose suites are (security) or are not (archive) "*-security"
system_mirror() {
	local want=$1 f
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -e "$f" ] || continue
			# deb822: one "URI SUITE..." line per paragraph
			awk '
				function flush() { if (uri != "" && deb) print uri, suites; uri = ""; suites = ""; deb = 0 }
				/^[ \t]*$/ { flush(); next }
				/^[ \t]*#/ { next }
				tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
				tolower($1) == "uris:" { uri = $2 }
				tolower($1) == "suites:" { suites = $2; for (i = 3; i <= NF; i++) suites = suites " " $i }
				END { flush() }' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -e "$f" ] || continue
			# one-line style: deb [options] URI SUITE COMPONENT...
			sed -E -n 's/^[ \t]*deb[ \t]+(\[[^]]*\][ \t]+)?([^ \t]+)[ \t]+([^ \t]+).*/\2 \3/p' "$f"
		done
	} | awk -v want="$want" '{
		sec = 0
		for (i = 2; i <= NF; i++) if ($i ~ /-security$|\/updates$/) sec = 1
		if ((want == "security") == sec) { print $1; exit }
	}'
}

write_sources() {
	local mirror sec keyring=/usr/share/keyrings/debian-archive-keyring.gpg s
	mirror=${VMTEST_MIRROR:-$(system_mirror archive)}
	sec=${VMTEST_SECURITY_MIRROR:-$(system_mirror security)}
	[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*}; set VMTEST_MIRROR"
	[ -e "$keyring" ] || die "$keyring missing; install debian-archive-keyring (scripts/deps.sh vmtest)"
	{
		echo "# written by scripts/vmtest/fetch-kernel.sh from the system's apt sources"
		for s in $SUITES; do
			if [[ $s == *-security ]]; then
				[ -n "$sec" ] || continue
				echo "deb [signed-by=$keyring] $sec $s main"
			else
				echo "deb [signed-by=$keyring] $mirror $s main"
			fi
		done
	} >"$APT/sources.list.new"
	if ! cmp -s "$APT/sources.list.new" "$APT/sources.list"; then
		mv "$APT/sources.list.new" "$APT/sources.list"
		rm -f "$APT/updated"
	else
		rm -f "$APT/sources.list.new"
	fi
}

# refresh the private package lists when missing or old; an error is fatal
# only when there are no lists at all
update_lists() {
	[ "${VMTEST_OFFLINE:-0}" = 1 ] && return 0
	local max=${VMTEST_APT_MAX_AGE:-24}
	if [ -e "$APT/updated" ] && [ -z "$(find "$APT/updated" -mmin +$((max * 60)))" ]; then
		return 0
	fi
	note "updating package lists for: $SUITES"
	local log=$APT/update.log
	if apt-get "${apt_opts[@]}" -q update >"$log" 2>&1 && ! grep -q '^[WE]: ' "$log"; then
		touch "$APT/updated"
		return 0
	fi
	grep '^[WE]: ' "$log" | sed 's/^/vmtest:   apt: /' >&2 || true
	if grep -q '^E: ' "$log"; then
		note "apt-get update failed (log: $log); using the package lists as they are"
	else
		touch "$APT/updated" # warnings only (a suite the mirror lacks)
	fi
}

# newest PACKAGE=VERSION of the series among the image packages
resolve() {
	local re=${series//./\\.} names
	names=$(apt-cache "${apt_opts[@]}" pkgnames linux- 2>/dev/null | grep -E \
		"^linux-image-$re\.[^-]*(-[0-9]+)?-amd64-unsigned\$|^linux-binary-$re\.[^-]*-amd64\$" || true)
	[ -n "$names" ] || return 1
	# shellcheck disable=SC2086
	apt-cache "${apt_opts[@]}" show --no-all-versions $names 2>/dev/null |
		awk '/^Package: /{p=$2} /^Version: /{print p, $2}' |
		{
			local best='' bestv='' p v
			while read -r p v; do
				if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$bestv"; then
					best=$p bestv=$v
				fi
			done
			[ -n "$best" ] && echo "$best=$bestv"
		}
}

# deb_of PACKAGE VERSION: the cached .deb, downloaded when missing
deb_of() {
	local f=$VMTEST_CACHE/debs/$1_${2//:/%3a}_amd64.deb
	if [ ! -s "$f" ]; then
		[ "${VMTEST_OFFLINE:-0}" = 1 ] && die "$1 $2 is not in the cache ($f) and VMTEST_OFFLINE=1"
		note "downloading $1 $2"
		(cd "$VMTEST_CACHE/debs" && apt-get "${apt_opts[@]}" -q download "$1=$2" >&2) ||
			die "apt-get download $1=$2 failed"
		[ -s "$f" ] || die "apt-get download $1=$2 did not produce $f"
	fi
	echo "$f"
}

# unpack NAME PACKAGE=VERSION...: unpack into $KERNELS/NAME, extract vmlinux
unpack() {
	local name=$1 dir=$KERNELS/$1 pv debs=() kver vmlinuz moddir config
	shift
	[ -e "$dir/kernel.env" ] && [ -s "$dir/vmlinux" ] && return 0
	for pv in "$@"; do
		debs+=("$(deb_of "${pv%%=*}" "${pv#*=}")")
	done
	note "unpacking ${*%%=*}"
	tmp=$(mktemp -d "$KERNELS/.unpack.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	for d in "${debs[@]}"; do
		dpkg-deb -x "$d" "$tmp/root" || die "dpkg-deb -x $d failed"
	done
	# 5.10 .. 6.12: /boot/vmlinuz-KVER, /lib/modules/KVER
	# 7.x (sid):    /usr/lib/modules/KVER/{vmlinuz,config}
	vmlinuz=
	for v in "$tmp"/root/boot/vmlinuz-* "$tmp"/root/usr/lib/modules/*/vmlinuz; do
		[ -f "$v" ] && vmlinuz=$v && break
	done
	[ -n "$vmlinuz" ] || die "no vmlinuz in $* (not a kernel image package?)"
	if [ "$(basename "$vmlinuz")" = vmlinuz ]; then
		kver=$(basename "$(dirname "$vmlinuz")")
	else
		kver=${vmlinuz##*/vmlinuz-}
	fi
	moddir=
	for m in lib/modules/$kver usr/lib/modules/$kver; do
		[ -d "$tmp/root/$m/kernel" ] && moddir=$m
	done
	[ -n "$moddir" ] || die "no modules for $kver in $*"
	config=
	for c in boot/config-$kver usr/lib/modules/$kver/config lib/modules/$kver/config; do
		[ -s "$tmp/root/$c" ] && config=$c
	done
	[ -n "$config" ] || die "no kernel config for $kver in $*"
	# depmod -b looks in BASE/lib/modules
	[ -e "$tmp/root/lib" ] || ln -s usr/lib "$tmp/root/lib"
	depmod -b "$tmp/root" "$kver" || die "depmod for $kver failed"
	"$VMTEST_DIR/extract-vmlinux.sh" "$vmlinuz" "$tmp/vmlinux"
	cat >"$tmp/kernel.env" <<-EOT
		KVER=$kver
		MODULES=$moddir
		CONFIG=$config
		PACKAGES="$*"
	EOT
	chmod 755 "$tmp"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	trap - EXIT
}

write_sources
update_lists
memo=$VMTEST_CACHE/series/$series
if pv=$(resolve); then
	pkg=${pv%%=*} ver=${pv#*=}
	pkgs=("$pv")
	if [[ $pkg == linux-binary-* ]]; then
		# sid splits the kernel: linux-binary-X (vmlinuz), linux-modules-X,
		# linux-base-X (config, modules.builtin)
		for extra in linux-modules linux-base; do
			pkgs+=("$extra-${pkg#linux-binary-}=$ver")
		done
	fi
	name=${pkg}_${ver//:/%3a}
	unpack "$name" "${pkgs[@]}"
	echo "$name" >"$memo"
elif [ -s "$memo" ] && [ -e "$KERNELS/$(cat "$memo")/kernel.env" ]; then
	name=$(cat "$memo")
	note "no package for $series in the package lists; using the cached $name"
else
	die "no Debian kernel package for series $series (looked for linux-image-$series.*-amd64-unsigned" \
		"and linux-binary-$series.*-amd64 in: $SUITES; apt log: $APT/update.log)"
fi
echo "$KERNELS/$name"
