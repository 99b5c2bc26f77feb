#!/usr/bin/env bash
# guest-systemd.sh: the payload of make vmtest's systemd mode
# (SERIES:systemd). systemd, PID 1 in the VM, runs it as
# vmtest-payload.service (see init and systemd/ beside this file). It
# installs the package that make deb built (vmtest.sh puts it in
# /src/.output/deb/) as an administrator would, and checks that its unit
# runs as the README's "Running as a service" and "Privileges" say:
#
#   install   dpkg -i exits 0
#   started   the postinst started rsttrace.service and it is active: a
#             Type=notify unit is "activating" until READY=1, and the
#             postinst's systemctl restart returns only then
#   identity  every thread of its main process runs as _rsttrace with no
#             capabilities (the main thread keeps CAP_BPF alone where the
#             kernel checks bpf() on every map access: before 5.19, with
#             kernel.unprivileged_bpf_disabled), no bounding set, no new
#             privileges
#   seeded    a connection made before the start and reset after it is
#             owned by its process (seeding: CAP_SYS_PTRACE, pidfd_getfd)
#   reset     a connect to a closed port on loopback is a JSON line in
#             journalctl -u rsttrace -o cat, owned by the connecting
#             process and its unit (vmtest-payload.service)
#   metrics   the metrics endpoint of /etc/default/rsttrace counts it
#   watchdog  a WATCHDOG=1 from the main process reaches systemd
#   output    with -o /var/log/rsttrace/resets.json (ProtectSystem=strict,
#             ReadWritePaths), records go to that file, _rsttrace's; after
#             logrotate's move and SIGHUP, to a new one
#   stop      systemctl stop ends it with exit status 0, not failed
#   purge     dpkg --purge (after a start) stops it and removes the unit,
#             its configuration and its log directory
#
# Each check prints "ok NAME (Ns)" or "FAIL NAME: reason" followed by
# "#   " lines (for a unit that did not start: its status and journal), as
# tests/run.sh does, and the last line is "systemd: N passed, M failed".
# The output is also in /results/systemd.log. The status leaves as init's
# does: VMTEST_RC=N on the console, then isa-debug-exit.
#
# With --boot-failed (the emergency and rescue services' stand-in, see
# systemd/boot-failed.conf): lists the units that failed and reports 125,
# instead of a shell that would wait on the console until the timeout.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
export SYSTEMD_COLORS=0 SYSTEMD_PAGER='' DEBIAN_FRONTEND=noninteractive
R=/results
UNIT=rsttrace.service
PAYLOAD=vmtest-payload.service
METRICS=127.0.0.1:9465 # scripts/package/default

up() { cut -d' ' -f1 /proc/uptime; }

# finish RC: report RC and power off, as init's finish does
finish() {
	local rc=$1
	echo "VMTEST_RC=$rc"
	sync
	[ "$rc" -gt 125 ] && rc=125
	# isa-debug-exit: QEMU exits with 2*(rc+1)+1
	printf "\\$(printf %03o $((rc + 1)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null || true
	systemctl poweroff --force --force
}

if [ "${1:-}" = --boot-failed ]; then
	failed=$(systemctl list-units --failed --no-legend --plain | cut -d' ' -f1 | tr '\n' ' ')
	echo "VMTEST: setup failed: systemd's boot: failed units: ${failed:-none}"
	for u in $failed; do
		journalctl -b -u "$u" --no-pager -o short-monotonic -n 20 || true
	done
	finish 125
fi

npass=0 nfail=0 t0=''
begin() { t0=$EPOCHREALTIME; }
ok() {
	npass=$((npass + 1))
	echo "ok $1 ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s)"
}
# bad NAME REASON [DETAIL...]: a failed check, each DETAIL's lines under it
bad() {
	local name=$1 reason=$2
	shift 2
	nfail=$((nfail + 1))
	echo "FAIL $name: $reason"
	for l in "$@"; do printf '%s\n' "$l"; done | sed 's/^/#   /'
}
# why: the unit's state and its last lines in the journal, as detail
why() {
	{
		systemctl status --no-pager -l -n 0 "$UNIT" || true
		echo "journal:"
		journalctl -b -u "$UNIT" --no-pager -o short-monotonic -n 40 || true
	} 2>&1
}
prop() { systemctl show -p "$1" --value "$UNIT"; }

# poll SECONDS CMD...: run CMD every 0.2 s until it succeeds or SECONDS
# have passed (for what gives no signal of its own: the journal, systemd's
# watchdog timestamp)
poll() {
	local end=$((EPOCHSECONDS + $1))
	shift
	until "$@"; do
		[ "$EPOCHSECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

check_install() {
	local deb out rc=0
	begin
	deb=$(echo /src/.output/deb/rsttrace_*.deb)
	if [ ! -f "$deb" ]; then
		bad install "no single package in /src/.output/deb/ (vmtest.sh copies it there): $deb"
		return 1
	fi
	echo "# package: ${deb##*/}"
	# A machine that runs systemd has no policy-rc.d, but this host's /usr
	# may have the one of container images, which forbids every start
	# (exit 101): the postinst would then start nothing
	if [ -e /usr/sbin/policy-rc.d ]; then
		echo "# removed the host's /usr/sbin/policy-rc.d (from the overlay only)"
		rm -f /usr/sbin/policy-rc.d
	fi
	out=$(timeout 300 dpkg -i "$deb" 2>&1) || rc=$?
	printf '%s\n' "$out" >"$R/dpkg-install.log"
	if [ "$rc" != 0 ]; then
		bad install "dpkg -i exit status $rc" "$out"
		return 1
	fi
	ok install
	# the postinst's own words (systemctl's, deb-systemd-invoke's), if any
	printf '%s\n' "$out" | grep -iv '^\(selecting\|(reading\|preparing\|unpacking\|setting up\|processing\)' |
		sed 's/^/#   dpkg: /' || true
}

check_started() {
	local state type restarts
	begin
	state=$(systemctl is-active "$UNIT" || true)
	type=$(prop Type)
	restarts=$(prop NRestarts)
	if [ "$state" != active ]; then
		bad started "$UNIT is '$state' after dpkg -i, not active" "$(why)"
		return 1
	fi
	if [ "$type" != notify ] || [ "$restarts" != 0 ]; then
		bad started "Type=$type (notify expected), NRestarts=$restarts (0 expected)" "$(why)"
		return 1
	fi
	ok started
}

# the capability sets rsttrace keeps, as /proc/PID/status prints them
expected_caps() {
	local maj min unpriv
	IFS=. read -r maj min _ <<<"$(uname -r)"
	unpriv=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null || echo 0)
	if { [ "$maj" -lt 5 ] || { [ "$maj" = 5 ] && [ "$min" -lt 19 ]; }; } && [ "$unpriv" != 0 ]; then
		echo 0000008000000000 # CAP_BPF (39)
	else
		echo 0000000000000000
	fi
}

check_identity() {
	local pid uid gid caps tcaps st f want got errs=() line journal tasks
	begin
	pid=$(prop MainPID)
	uid=$(id -u _rsttrace) gid=$(id -g _rsttrace)
	caps=$(expected_caps)
	if [ "$caps" = 0000000000000000 ]; then
		line="running as _rsttrace (uid $uid), no capabilities"
	else
		line="running as _rsttrace (uid $uid) with CAP_BPF alone"
	fi
	if [ "${pid:-0}" = 0 ] || [ ! -d "/proc/$pid" ]; then
		bad identity "no main process (MainPID=$pid)" "$(why)"
		return 1
	fi
	for st in /proc/"$pid"/task/*/status; do
		# CAP_BPF, where kept, is for the main thread's map lookups: the
		# others (libmicrohttpd's, which reads counters only) lose every
		# capability when glibc changes their uid, and libcap-ng gives
		# none back to them
		tcaps=$caps
		[ "$st" = "/proc/$pid/task/$pid/status" ] || tcaps=0000000000000000
		for f in "Uid:$uid $uid $uid $uid" "Gid:$gid $gid $gid $gid" "Groups:" \
			"CapInh:0000000000000000" "CapPrm:$tcaps" "CapEff:$tcaps" \
			"CapBnd:0000000000000000" "CapAmb:0000000000000000" "NoNewPrivs:1"; do
			want=${f#*:}
			got=$(awk -v k="${f%%:*}:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$st" 2>/dev/null || true)
			[ "$got" = "$want" ] || errs+=("${st#/proc/}: ${f%%:*} is '$got', '$want' expected")
		done
	done
	journal=$(journalctl -b -u "$UNIT" -o cat --no-pager 2>&1 || true)
	if [[ $journal != *"$line"* ]]; then
		errs+=("the journal lacks rsttrace's \"$line\"")
	fi
	if [ ${#errs[@]} -gt 0 ]; then
		bad identity "the main process (pid $pid) is not as -Z leaves it" "${errs[@]}" "$(why)"
		return 1
	fi
	ok identity
	tasks=(/proc/"$pid"/task/*)
	echo "#   pid $pid, uid $uid, CapEff $caps, ${#tasks[@]} threads"
}

# RECORD_PY SOURCE MATCH WANT: the reset record whose fields are those of
# MATCH (JSON) in SOURCE ("journal": journalctl -u rsttrace -o cat; else a
# file of records), checked against WANT's fields and the JSON Schema.
# Exit status 3 while there is none.
RECORD_PY='
import json, subprocess, sys
source, match, want = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
if source == "journal":
    text = subprocess.run(["journalctl", "-b", "-u", "rsttrace.service", "-o", "cat",
                           "--no-pager"], capture_output=True, text=True).stdout
else:
    try:
        with open(source) as f:
            text = f.read()
    except FileNotFoundError:
        sys.exit(3)
recs = []
for line in text.splitlines():
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if isinstance(r, dict) and r.get("type") == "reset" and \
            all(r.get(k) == v for k, v in match.items()):
        recs.append(r)
if not recs:
    sys.exit(3)
r = recs[0]
print(json.dumps(r))
errs = ["%s is %r, %r expected" % (k, r.get(k), v) for k, v in want.items() if r.get(k) != v]
if len(recs) != 1:
    errs.append("%d records of it, 1 expected" % len(recs))
try:
    import jsonschema
    with open("/usr/share/rsttrace/rsttrace.schema.json") as f:
        jsonschema.validate(r, json.load(f))
except ImportError:
    print("no python3-jsonschema: the record is not checked against the schema")
except jsonschema.ValidationError as e:
    errs.append("not valid by rsttrace.schema.json: %s" % e.message)
for e in errs:
    print(e)
sys.exit(1 if errs else 0)
'

# find_record SOURCE MATCH WANT: RECORD_PY until the record is there (30 s
# at most). Its output in $out; status 0 when right, 1 when wrong, 2 when
# it never came
find_record() {
	local rc=0
	try_record() {
		rc=0
		out=$(python3 -c "$RECORD_PY" "$@" 2>&1) || rc=$?
		[ "$rc" != 3 ]
	}
	poll 30 try_record "$@" || return 2
	[ "$rc" = 0 ]
}

# owner PID COMM [SOURCE]: WANT's fields for a socket of a process of this
# service (root, in vmtest-payload.service) on loopback
owner() {
	printf '{"pid": %d, "comm": "%s", "owner_source": "%s", "uid": 0, "family": "ipv4",
		"laddr": "127.0.0.1", "raddr": "127.0.0.1", "unit": "%s", "cgroup": "/system.slice/%s"}' \
		"$1" "$2" "$3" "$PAYLOAD" "$PAYLOAD"
}

# reported NAME WHAT STATUS: a check's verdict from find_record's STATUS
reported() {
	case $3 in
	0)
		ok "$1"
		printf '%s\n' "$out" | sed 's/^/#   /'
		;;
	1) bad "$1" "the record of $2 is wrong" "$out" ;;
	*) bad "$1" "no record of $2 after 30 s" "$(why)" ;;
	esac
	return "$3"
}

# a port nothing listens on: the kernel picks a free one, then it is closed
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# refuse PORT: connect to PORT (closed) from a subshell named vmtest-rst,
# so that its pid and comm are its own (bash's /dev/tcp connects in the
# shell itself); prints that pid
refuse() {
	(
		printf vmtest-rst >"/proc/$BASHPID/comm"
		echo "$BASHPID"
		exec 3<>"/dev/tcp/127.0.0.1/$1"
	) 2>/dev/null || true
}

check_reset() {
	local port pid st=0
	begin
	port=$(free_port)
	pid=$(refuse "$port")
	echo "#   client pid $pid connected to closed port $port"
	find_record journal "{\"direction\": \"received\", \"rport\": $port}" \
		"$(owner "$pid" vmtest-rst connect)" || st=$?
	reported reset "the refused connect to port $port" "$st" || return 1
	RESET_PORT=$port
}

# A connection made before the service started, reset after: its owner is
# found by seeding (CAP_SYS_PTRACE, pidfd_getfd) under the unit's sandbox.
# seed_start (before dpkg -i) opens it in a process named vmtest-seed;
# check_seeded has that process abort it (SO_LINGER 0): one sent reset
# (client side) and one received (server side), both its own.
SEED_PY='
import socket, struct, sys
with open("/proc/self/comm", "w") as f:
    f.write("vmtest-seed")
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.create_connection(l.getsockname())
s, _ = l.accept()
print(c.getsockname()[1], l.getsockname()[1], flush=True)
sys.stdin.readline()
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
try:
    s.recv(1)
    print("no reset", flush=True)
except ConnectionResetError:
    print("reset", flush=True)
'
seed_start() {
	coproc SEED { exec python3 -c "$SEED_PY"; }
	# bash unsets SEED_PID once the process has ended
	SEED_OWNER=$SEED_PID
	read -r -t 30 -u "${SEED[0]}" SEED_CPORT SEED_SPORT || true
}

check_seeded() {
	local st=0 res='' sent
	begin
	if [ -z "${SEED_SPORT:-}" ]; then
		bad seeded "the connection made before the start was not set up"
		return 1
	fi
	echo go >&"${SEED[1]}"
	read -r -t 30 -u "${SEED[0]}" res || true
	if [ "$res" != reset ]; then
		bad seeded "the abortive close did not reset the server's socket: '$res'"
		return 1
	fi
	find_record journal "{\"direction\": \"sent\", \"lport\": $SEED_CPORT}" \
		"$(owner "$SEED_OWNER" vmtest-seed seeded)" || st=$?
	if [ "$st" = 0 ]; then
		sent=$out
		find_record journal "{\"direction\": \"received\", \"lport\": $SEED_SPORT}" \
			"$(owner "$SEED_OWNER" vmtest-seed seeded)" || st=$?
		out=$sent$'\n'$out
	fi
	reported seeded "the resets of a connection made before the start (ports $SEED_CPORT, $SEED_SPORT)" "$st"
}

# the series of the reset on PORT in GET /metrics, exit 3 while missing
METRICS_PY='
import re, sys, urllib.request
addr, port = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen("http://%s/metrics" % addr, timeout=10) as r:
        body = r.read().decode()
except OSError as e:
    print("GET http://%s/metrics: %s" % (addr, e))
    sys.exit(3)
for line in body.splitlines():
    if line.startswith("rsttrace_resets_total{") and \
            all(l in line for l in ("direction=\"received\"", "comm=\"vmtest-rst\"",
                                    "port=\"%s\"" % port)) and \
            re.search(r" [1-9][0-9]*$", line):
        print(line)
        sys.exit(0)
print("no rsttrace_resets_total{direction=\"received\",comm=\"vmtest-rst\",port=\"%s\"}: %s"
      % (port, body[:3000]))
sys.exit(3)
'

check_metrics() {
	local out=''
	begin
	metric_line() { out=$(python3 -c "$METRICS_PY" "$METRICS" "$RESET_PORT" 2>&1); }
	if ! poll 15 metric_line; then
		bad metrics "the metrics endpoint did not count the reset in 15 s" "$out"
		return 1
	fi
	ok metrics
	printf '%s\n' "$out" | sed 's/^/#   /'
}

check_watchdog() {
	local usec w0
	begin
	usec=$(prop WatchdogUSec)
	w0=$(prop WatchdogTimestampMonotonic)
	# systemd stamps each WATCHDOG=1 it accepts (NotifyAccess=main: from
	# the main process only); rsttrace sends one every WatchdogSec / 2
	pinged() { [ "$(prop WatchdogTimestampMonotonic)" != "$w0" ]; }
	if [ "$usec" != 30s ]; then
		bad watchdog "WatchdogUSec=$usec, 30s expected"
		return 1
	fi
	if ! poll 25 pinged; then
		bad watchdog "no WATCHDOG=1 accepted in 25 s (WatchdogTimestampMonotonic stays $w0)" "$(why)"
		return 1
	fi
	ok watchdog
}

# -o into the package's log directory, as /etc/default/rsttrace suggests:
# ProtectSystem=strict leaves /var/log/rsttrace writable (ReadWritePaths),
# the file is _rsttrace's, and logrotate's postrotate (SIGHUP to the main
# process) makes rsttrace write a new file after the old one is moved
check_output() {
	local f=/var/log/rsttrace/resets.json port pid st=0 who
	begin
	sed -i 's|^RSTTRACE_OPTS=.*|RSTTRACE_OPTS="--metrics '"$METRICS"' -o '"$f"'"|' /etc/default/rsttrace
	if ! timeout 120 systemctl restart "$UNIT"; then
		bad output "systemctl restart with -o $f failed" "$(why)"
		return 1
	fi
	port=$(free_port)
	pid=$(refuse "$port")
	find_record "$f" "{\"direction\": \"received\", \"rport\": $port}" \
		"$(owner "$pid" vmtest-rst connect)" || st=$?
	if [ "$st" != 0 ]; then
		reported output "a refused connect to port $port in $f" "$st"
		return 1
	fi
	who=$(stat -c '%U:%G %a' "$f")
	if [ "$who" != "_rsttrace:adm 640" ]; then
		bad output "$f is $who, _rsttrace:adm 640 expected"
		return 1
	fi
	mv "$f" "$f.1"
	# the logrotate file's postrotate, as it is in the package
	sh -c "$(sed -n 's/^[[:space:]]*\(systemctl kill .*\)/\1/p' /etc/logrotate.d/rsttrace)"
	port=$(free_port)
	pid=$(refuse "$port")
	find_record "$f" "{\"direction\": \"received\", \"rport\": $port}" \
		"$(owner "$pid" vmtest-rst connect)" || st=$?
	reported output "a refused connect to port $port in $f, after SIGHUP" "$st"
}

check_stop() {
	local rc=0 got want
	begin
	timeout 120 systemctl stop "$UNIT" || rc=$?
	# ExecMainCode 1: CLD_EXITED, the process exited (not killed)
	want="ActiveState=inactive ExecMainCode=1 ExecMainStatus=0 Result=success"
	got=$(systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus "$UNIT" | sort | tr '\n' ' ')
	if [ "$rc" != 0 ] || [ "${got% }" != "$want" ]; then
		bad stop "systemctl stop exit status $rc; $got ($want expected)" "$(why)"
		return 1
	fi
	ok stop
}

check_purge() {
	local rc=0 out left=() p st
	begin
	if ! timeout 120 systemctl start "$UNIT"; then
		bad purge "systemctl start before the purge failed" "$(why)"
		return 1
	fi
	out=$(timeout 300 dpkg --purge rsttrace 2>&1) || rc=$?
	printf '%s\n' "$out" >"$R/dpkg-purge.log"
	if [ "$rc" != 0 ]; then
		bad purge "dpkg --purge exit status $rc" "$out"
		return 1
	fi
	for p in /usr/sbin/rsttrace /usr/lib/systemd/system/rsttrace.service /etc/default/rsttrace \
		/etc/logrotate.d/rsttrace /var/log/rsttrace; do
		[ -e "$p" ] && left+=("$p")
	done
	# a purged package is one dpkg-query knows nothing of
	if st=$(dpkg-query -W -f '${db:Status-Status}' rsttrace 2>/dev/null) && [ "$st" != not-installed ]; then
		left+=("the package is '$st' for dpkg")
	fi
	[ "$(prop LoadState)" = not-found ] || left+=("$UNIT LoadState=$(prop LoadState)")
	pgrep -u _rsttrace >/dev/null && left+=("processes of _rsttrace: $(pgrep -a -u _rsttrace)")
	if [ ${#left[@]} -gt 0 ]; then
		bad purge "left after dpkg --purge" "${left[@]}" "$out"
		return 1
	fi
	ok purge
}

main() {
	echo "VMTEST: payload start uptime=$(up)"
	echo "# $(systemctl --version | head -n 1), kernel $(uname -r)"
	echo "# boot: $(systemd-analyze time 2>&1 | head -n 1)"
	echo "VMTEST: suite start uptime=$(up)"
	echo "suite_start=$(up)" >"$R/times"
	RESET_PORT='' SEED_SPORT=''
	seed_start
	if check_install && check_started; then
		check_identity || true
		check_seeded || true
		check_reset || true
		[ -n "$RESET_PORT" ] && { check_metrics || true; }
		check_watchdog || true
		check_output || true
		check_stop || true
	fi
	if dpkg-query -W rsttrace >/dev/null 2>&1; then
		check_purge || true
	fi
	echo "suite_end=$(up)" >>"$R/times"
	# the whole boot's journal, for what the checks do not show
	journalctl -b --no-pager -o short-monotonic >"$R/journal.txt" 2>&1 || true
	echo "systemd: $npass passed, $nfail failed"
	echo "VMTEST: suite end uptime=$(up)"
	[ "$nfail" = 0 ] && [ "$npass" = 10 ]
}

set +e
main 2>&1 | tee "$R/systemd.log"
rc=${PIPESTATUS[0]}
set -e
finish "$rc"
