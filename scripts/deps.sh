#!/usr/bin/env bash
# Install what rsttrace needs to build (deps.sh build) or to run its tests
# (deps.sh test), its kernel matrix (deps.sh vmtest), its benchmark
# (deps.sh bench) or its fuzz targets (deps.sh fuzz), from Debian/Ubuntu
# packages, when it is missing.
set -euo pipefail

need=()
want() { # want PACKAGE TEST...: queue PACKAGE when any TEST fails
	local pkg=$1; shift
	for t in "$@"; do
		if ! eval "$t" >/dev/null 2>&1; then
			need+=("$pkg")
			return
		fi
	done
}

case "${1:-build}" in
build)
	want gcc 'command -v gcc'
	want make 'command -v make'
	want clang 'command -v clang'
	want bpftool 'command -v bpftool'
	want libbpf-dev 'test -e /usr/include/bpf/libbpf.h' \
		'test -e /usr/lib/$(gcc -print-multiarch)/libbpf.a'
	want libelf-dev 'test -e /usr/include/libelf.h'
	want zlib1g-dev 'test -e /usr/include/zlib.h'
	want libmicrohttpd-dev 'test -e /usr/include/microhttpd.h'
	# -Z: drop to a user with no capabilities, as tcpdump does
	want libcap-ng-dev 'test -e /usr/include/cap-ng.h'
	# make STATIC=1: libelf's own dependency, as a static library
	want libzstd-dev 'test -e /usr/include/zstd.h'
	;;
test)
	want python3 'test -x /usr/bin/python3'
	want python3-jsonschema '/usr/bin/python3 -c "import jsonschema"'
	want python3-yaml '/usr/bin/python3 -c "import yaml"'
	want iproute2 'command -v ip'
	want nftables 'command -v nft'
	want procps 'command -v pgrep'
	# real servers the tests start themselves, on loopback in a namespace
	want nginx 'test -x /usr/sbin/nginx'
	want redis-server 'test -x /usr/bin/redis-server'
	# --metrics: a real Prometheus scrapes rsttrace; promtool checks it
	want prometheus 'test -x /usr/bin/prometheus' 'test -x /usr/bin/promtool'
	# the install tree, the package, the man page, the unit, completion
	want mandoc 'command -v mandoc'
	want lintian 'command -v lintian'
	want dpkg-dev 'command -v dpkg-shlibdeps'
	want bash-completion 'test -e /usr/share/bash-completion/bash_completion'
	want systemd 'command -v systemd-analyze'
	# hostile_proc_churn: thousands of short-lived processes (static
	# busybox forks ten times as fast as Python)
	want busybox-static 'test -x /bin/busybox' '! ldd /bin/busybox'
	;;
vmtest)
	# make vmtest: boots Debian kernels under QEMU (scripts/vmtest/)
	want qemu-system-x86 'command -v qemu-system-x86_64'
	want busybox-static 'test -x /bin/busybox' '! ldd /bin/busybox'
	want xz-utils 'command -v xz'
	want zstd 'command -v zstd'
	want kmod 'test -x /usr/sbin/depmod' 'test -x /usr/sbin/modprobe'
	want debian-archive-keyring 'test -e /usr/share/keyrings/debian-archive-keyring.gpg'
	;;
memcheck)
	# make memcheck: rsttrace under valgrind
	want valgrind 'command -v valgrind'
	;;
bench)
	# make bench: the tools rsttrace is measured against
	want libbpf-tools 'test -x /usr/sbin/tcpstates'
	want bpftrace 'command -v bpftrace'
	;;
fuzz)
	# make fuzz: clang's libFuzzer and sanitizer runtimes
	want clang-14 'command -v clang-14'
	want libclang-rt-14-dev \
		'test -e /usr/lib/llvm-14/lib/clang/14*/lib/linux/libclang_rt.fuzzer-$(uname -m).a'
	;;
*)
	echo "usage: $0 build|test|vmtest|bench|memcheck|fuzz" >&2
	exit 2
	;;
esac

[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
	echo "rsttrace: missing packages: ${need[*]}; install them (apt-get is not available here)" >&2
	exit 1
fi
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "rsttrace: missing packages: ${need[*]}; run as root to install them" >&2
		exit 1
	}
	sudo=sudo
fi
echo "rsttrace: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# a fresh machine has no package lists yet
$sudo apt-get update -qq
# servers among them must not start as system services: the tests start
# their own (invoke-rc.d and deb-systemd-invoke ask policy-rc.d)
if [ ! -e /usr/sbin/policy-rc.d ]; then
	trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
fi
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
