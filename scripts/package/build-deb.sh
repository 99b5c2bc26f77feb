#!/usr/bin/env bash
# build-deb.sh ROOT OUTDIR: turn a "make install DESTDIR=ROOT PREFIX=/usr"
# tree into OUTDIR/rsttrace_VERSION_ARCH.deb (make deb). The control data
# come from this directory; the version from git; Depends from
# dpkg-shlibdeps on the binary. ROOT is changed in place (stripped binary,
# gzipped man page, /etc and /usr/share/doc files, DEBIAN/).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 ROOT OUTDIR" >&2; exit 2; }
root=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
umask 022
export LC_ALL=C TZ=UTC

for f in usr/sbin/rsttrace usr/share/man/man8/rsttrace.8 \
	usr/lib/systemd/system/rsttrace.service; do
	[ -e "$root/$f" ] || { echo "$0: $root/$f missing: not a make install tree" >&2; exit 1; }
done

# The version: a tag (v1.2 or 1.2) as it is, with +gitN.HASH for commits
# after it; without a tag, the changelog's latest version with ~gitN.HASH
# (so that the release of that version sorts above its snapshots); .dirty
# for uncommitted changes.
top=$(sed -n '1s/^rsttrace (\([^)]*\)).*/\1/p' "$here/changelog")
git=(git -C "$repo")
if desc=$("${git[@]}" describe --tags --long --match 'v[0-9]*' --match '[0-9]*' 2>/dev/null); then
	hash=${desc##*-g}
	rest=${desc%-g*}
	n=${rest##*-}
	base=$(printf '%s' "${rest%-*}" | sed -e 's/^v//' -e 's/-\(rc\|beta\|alpha\)/~\1/' \
		-e 's/[^A-Za-z0-9.+~]/./g')
	if [ "$n" = 0 ]; then version=$base; else version=$base+git$n.$hash; fi
elif hash=$("${git[@]}" rev-parse --short HEAD 2>/dev/null); then
	version=$top~git$("${git[@]}" rev-list --count HEAD).$hash
else
	version=$top
fi
if "${git[@]}" rev-parse HEAD >/dev/null 2>&1 &&
	! "${git[@]}" diff-index --quiet HEAD -- 2>/dev/null; then
	version=$version.dirty
fi
arch=$(dpkg --print-architecture)
maintainer=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$here/changelog" | head -n 1)

# the binary as Debian ships binaries (dh_strip's options)
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
	"$root/usr/sbin/rsttrace"
gzip -9nf "$root/usr/share/man/man8/rsttrace.8"

# the logrotate example is the package's configuration
install -D -m 0644 "$here/default" "$root/etc/default/rsttrace"
install -D -m 0644 "$here/rsttrace.logrotate" "$root/etc/logrotate.d/rsttrace"
rm -f "$root/usr/share/rsttrace/rsttrace.logrotate"

doc=$root/usr/share/doc/rsttrace
install -D -m 0644 "$here/copyright" "$doc/copyright"
# a snapshot gets an entry of its own above the released ones, dated at its
# commit (so that two builds of one commit are the same)
{
	if [ "$version" != "$top" ]; then
		when=$("${git[@]}" log -1 --format=%ct 2>/dev/null || date +%s)
		printf 'rsttrace (%s) UNRELEASED; urgency=medium\n\n' "$version"
		printf '  * Snapshot of git commit %s.\n\n' "${hash:-unknown}"
		printf ' -- %s  %s\n\n' "$maintainer" "$(date -R -d "@$when")"
	fi
	cat "$here/changelog"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Depends: the shared libraries the binary links (libbpf is static), from
# dpkg-shlibdeps, which wants a debian/control to work in; adduser for the
# postinst where systemd-sysusers is missing
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian"
printf 'Source: rsttrace\n\nPackage: rsttrace\nArchitecture: any\n' > "$tmp/debian/control"
ln -s "$root" "$tmp/debian/rsttrace"
shlibs=$(cd "$tmp" && dpkg-shlibdeps -O debian/rsttrace/usr/sbin/rsttrace |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "$0: dpkg-shlibdeps found no libraries" >&2; exit 1; }
depends="$shlibs, adduser"

# everything root's and not group-writable (dpkg-deb --root-owner-group)
find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
mkdir -p "$root/DEBIAN"
size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
	-e "s|@INSTALLED_SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
	"$here/control" > "$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"
printf '/etc/default/rsttrace\n/etc/logrotate.d/rsttrace\n' > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

deb=$out/rsttrace_${version}_$arch.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null
echo "$deb"
