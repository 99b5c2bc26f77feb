"""Hostile and broken hosts: what rsttrace does when the host works against
it. Processes and sockets vanish while it seeds; a cgroup or network
namespace is removed before a record is named; two instances run at
once; maps do not fit (a memory cgroup's limit, RLIMIT_MEMLOCK); it runs
without its capabilities, in a user namespace, without BTF or without
tracefs. Each case either works, checked field by field, or ends with one
line on stderr that names what failed and what to do, and a non-zero exit
status."""
import errno
import os
import re
import signal
import socket
import subprocess
import threading
import time

from harness import (BURST, Cgroup, PYTHON, SANITIZED, Skip, Sock, Tracer, age_within, caps, cgroup, check, eq, expect, free_ports,
                     info, mem_limit, netns, one_on, owner_fields, proc, rsttrace_cmd,
                     skip_part, test)
from test_filters import refuse
from test_owner import tracer

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# helpers


def startup_shape(lines):
    """Start-up lines with their figures blanked: table sizes follow the
    host's socket count, which churn changes."""
    return sorted("".join("N" if ch.isdigit() else ch for ch in l) for l in lines)


def startup_lines(tr):
    """rsttrace's stderr before "Tracing", line by line."""
    return [l.strip() for l in tr.stderr_text().split("Tracing")[0].strip().splitlines()]


# what rsttrace may say after "Tracing" on any run: its end-of-run report
# (report.c), and what the kernel skipped (busy CPUs under load)
REPORT_LINES = ("rsttrace: closed connections: ", "rsttrace: accept() table: ",
                "rsttrace: owners by socket address: ", "rsttrace: the kernel skipped ",
                "rsttrace: resets lost", "rsttrace:   ", "rsttrace: cgroup names: ")


def quiet_after(tr, what):
    """Nothing but the end-of-run report after "Tracing" (call after stop):
    no word about processes, sockets, cgroups or namespaces that went."""
    bad = [l for l in tr.stderr_after_ready().splitlines()
           if not l.startswith(REPORT_LINES)
           and not re.fullmatch(r"rsttrace: \d+ events, \d+ lost", l)
           and not re.fullmatch(r"rsttrace: \d+ lost in this report, .*", l)
           and not re.fullmatch(r"rsttrace: \d+ sockets had no owner record .*", l)]
    check(not bad, "%s: rsttrace said more than its end-of-run lines:\n%s", what,
          "\n".join(bad[:20]))


def refused_start(cmd, want, what, env=None, preexec_fn=None):
    """cmd (an rsttrace command line, maybe behind a wrapper) must exit
    non-zero with exactly one line on stderr holding every string of want;
    nothing on stdout. Returns the line."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120, env=env, preexec_fn=preexec_fn)
    err = r.stderr.decode("utf-8", "replace").splitlines()
    check(r.returncode not in (0, None) and r.returncode > 0,
          "%s: exit status %s, expected a failure (stderr %r)", what, r.returncode, err[-5:])
    check(len(err) == 1, "%s: %d lines on stderr, expected one: %r", what, len(err), err[:20])
    missing = [w for w in want if w not in err[0]]
    check(not missing, "%s: the line lacks %r: %r", what, missing, err[0])
    eq(r.stdout, b"", "%s: stdout" % what)
    info("%s: %s" % (what, err[0]))
    return err[0]


def in_private_mounts(script, *cmd):
    """cmd in a mount namespace of its own, after the shell lines of script
    (mounts that only it sees)."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec",
            script + '\nexec "$@"', "sh"] + list(cmd)


NO_SYS_ADMIN = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]
HIDE_TRACEFS = ("mount -t tmpfs none /sys/kernel/tracing\n"
                "if [ -d /sys/kernel/debug ]; then mount -t tmpfs none /sys/kernel/debug; fi")


# --------------------------------------------------------------------------
# 1. /proc entries that vanish while rsttrace seeds

# busybox is static and small: it forks ten times as fast as Python does
# (2 to 4 ms against 18 on the CI's VM). Each round: a process that
# connects and is gone, three that only live, and every fourth round one
# in a network namespace of its own; every 25 rounds all are reaped and
# the count so far is told on fd $OUT.
BUSYBOX = "/bin/busybox"
CHURN = r"""
i=0
while :; do
	i=$((i + 1))
	$BB nc 127.0.0.1 $PORT </dev/null >/dev/null 2>&1 &
	( : ) & ( : ) & ( : ) &
	if [ $((i % 4)) = 0 ]; then
		$BB unshare -n $BB true &
	fi
	if [ $((i % 25)) = 0 ]; then
		wait
		echo $((i * 4 + i / 4)) >&$OUT || exit
	fi
done
"""


class Churn:
    """Processes born and gone as fast as busybox can fork them, a third
    with a connection (accepted and closed here), a third with a network
    namespace of their own. count(): how many so far."""

    def __init__(self, stack):
        self.lst = socket.socket()
        self.lst.bind(("127.0.0.1", 0))
        self.lst.listen(4096)
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()
        r, w = os.pipe()
        env = dict(os.environ, BB=BUSYBOX, PORT=str(self.lst.getsockname()[1]),
                   OUT=str(w))
        self.proc = subprocess.Popen([BUSYBOX, "sh", "-c", CHURN], pass_fds=[w],
                                     stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
        os.close(w)
        stack.callback(self.stop)
        self.out = os.fdopen(r)
        self.n = 0
        # running: its first rounds are done
        line = self.out.readline()
        check(line, "the churn shell died")
        self.n = int(line)

    def _serve(self):
        while not self.stopped:
            try:
                c, _ = self.lst.accept()
            except OSError:
                return
            c.close()

    def count(self):
        """Processes so far (told every hundred or so)."""
        os.set_blocking(self.out.fileno(), False)
        for line in self.out:
            self.n = int(line)
        os.set_blocking(self.out.fileno(), True)
        return self.n

    def stop(self):
        self.stopped = True
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.lst.close()


# processes to see come and go: 2,000, a tenth of that under emulation,
# where make vmtest makes the burst tests smaller too (E2E_BURST)
CHURN_PROCS = max(200, BURST // 10)


@test("hostile_proc_churn", timeout=300)
def hostile_proc_churn(stack):
    """rsttrace starts again and again while processes, sockets and network
    namespaces come and go: no word about what vanished, the same start-up
    lines as on a quiet host, and the long-lived connections' owners
    (seeded) are right."""
    server = proc(stack, b"rst-ch-server")
    client = proc(stack, b"rst-ch-client")
    port = server.listen("l", 4, "127.0.0.1")
    n = 20
    ends = client.call("connect_many", "c", 0, n, "127.0.0.1", port, 7)
    server.call("accept_many", "l", "s", n, True)
    churn = Churn(stack)
    c0 = churn.count()
    want = startup_shape(caps()["startup"])
    run = 0
    # thousands of processes gone while rsttrace starts again and again
    while True:
        run += 1
        before = churn.count()
        tr = tracer(stack, "-P", port)
        check(startup_shape(startup_lines(tr)) == want,
              "start %d amid churn: start-up lines differ from a quiet start:\n%s\n"
              "quiet:\n%s", run, "\n".join(startup_lines(tr)),
              "\n".join(caps()["startup"]))
        info("start %d: about %d processes forked and gone while it started" % (
            run, churn.count() - before))
        if run >= 3 and (churn.count() - c0 >= CHURN_PROCS or run >= 20):
            break
        tr.stop()
        quiet_after(tr, "start %d amid churn" % run)
    # the last tracer: the long-lived connections, aborted by their clients
    client.call("abort_many", "c", 0, n)
    want_ports = {p for _, p in ends}
    tr.wait_for(lambda r: r.get("type") == "reset" and r.get("lport") in want_ports
                and r.get("rport") == port and r.get("direction") == "sent", n=n,
                what="the %d aborts' sent resets" % n)
    tr.wait_for(lambda r: r.get("type") == "reset" and r.get("rport") in want_ports
                and r.get("direction") == "received" and r.get("lport") == port, n=n,
                what="the %d aborts' received resets" % n)
    churned = churn.count()
    churn.stop()
    tr.stop()
    quiet_after(tr, "the run amid churn")
    recs = [r for r in tr.records() if r["type"] == "reset"]
    for lp in sorted(want_ports):
        snt = [r for r in recs if r["direction"] == "sent" and r["lport"] == lp
               and r["rport"] == port]
        eq(len(snt), 1, "sent resets of client port %d" % lp)
        expect(snt[0], "sent reset of long-lived connection (client port %d)" % lp,
               **owner_fields(client, "seeded", tid=None))
        rcv = [r for r in recs if r["direction"] == "received" and r["rport"] == lp
               and r["lport"] == port]
        eq(len(rcv), 1, "received resets of client port %d" % lp)
        expect(rcv[0], "received reset of long-lived connection (client port %d)" % lp,
               **owner_fields(server, "seeded", tid=None))
    info("%d processes forked and gone during the test" % churned)


# --------------------------------------------------------------------------
# 2. a cgroup or network namespace removed before its record is named


@test("hostile_gone_cgroup")
def hostile_gone_cgroup(stack):
    """A socket made in a cgroup created after rsttrace started; its owner
    leaves, the cgroup is removed, then the socket is reset: the record
    comes out with the cgroup's id and owner, its names null, and nothing
    on stderr."""
    root = cgroup(stack, "gone")
    port, = free_ports(1)
    tr = tracer(stack, "-P", port)
    gone = Cgroup(os.path.join(root.path, "short-lived.service"))
    stack.callback(gone.remove)
    server = proc(stack, b"rst-gone-server")
    client = proc(stack, b"rst-gone-client", cgroup=gone)
    server.listen("l", 4, "127.0.0.1", port)
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "connect()")
    server.call("accept", "l", "s")
    root.add(client.pid)
    gone.remove()
    check(not os.path.exists(gone.path), "%s is still there", gone.path)
    server.call("linger0", "s")
    server.call("close", "s")
    eq(client.call("recv_error", "c")[0], errno.ECONNRESET, "client recv()")
    rcv = tr.wait_for(lambda r: r.get("type") == "reset" and r.get("direction") == "received"
                      and r.get("lport") == c["local"][1] and r.get("rport") == port,
                      what="the reset of the removed cgroup's socket")[0]
    tr.stop()
    quiet_after(tr, "a removed cgroup")
    rcv = [r for r in tr.records() if r["type"] == "reset" and r["direction"] == "received"
           and r["lport"] == c["local"][1] and r["rport"] == port]
    eq(len(rcv), 1, "records of the removed cgroup's socket")
    expect(rcv[0], "reset of a socket whose cgroup is gone",
           **owner_fields(client, "connect", cgroup_id=gone.id), cgroup=None, unit=None,
           container_id=None, container_runtime=None, pod_uid=None, namespace=None,
           pod=None, container=None)


@test("hostile_gone_netns")
def hostile_gone_netns(stack):
    """A network namespace named after rsttrace started, its name removed
    (ip netns del) before a connection in it is reset: the record comes out
    with the namespace's inode and owner, netns_name the name it had or
    null, never another; nothing on stderr."""
    port, = free_ports(1)
    tr = tracer(stack, "-P", port)
    ns = netns(stack, "gone")
    ns.ip("link", "set", "lo", "up")
    server = proc(stack, b"rst-gns-server", netns=ns)
    client = proc(stack, b"rst-gns-client", netns=ns)
    server.listen("l", 4, "127.0.0.1", port)
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "connect()")
    server.call("accept", "l", "s")
    ns.delete()
    check(not os.path.exists(ns.path), "%s is still there", ns.path)
    server.call("linger0", "s")
    server.call("close", "s")
    eq(client.call("recv_error", "c")[0], errno.ECONNRESET, "client recv()")
    pred = (lambda r: r.get("type") == "reset" and r.get("direction") == "received"
            and r.get("netns") == ns.inode and r.get("lport") == c["local"][1])
    tr.wait_for(pred, what="the reset in the unnamed namespace")
    tr.stop()
    quiet_after(tr, "a removed namespace name")
    rcv = [r for r in tr.records() if pred(r)]
    eq(len(rcv), 1, "records of the namespace's socket")
    check(rcv[0]["netns_name"] in (None, ns.name), "netns_name %r: neither %r nor null",
          rcv[0]["netns_name"], ns.name)
    expect(rcv[0], "reset in a namespace whose name is gone",
           **owner_fields(client, "connect"), netns=ns.inode)
    info("netns_name after ip netns del: %r" % rcv[0]["netns_name"])


# --------------------------------------------------------------------------
# 3. two instances at once


# fields each tracer measures with its own clock readings (jiffies for the
# idle times: within a tick or two of each other)
CLOCKED = ("age_ms", "idle_ms", "closed_ago_ms", "closed_idle_ms", "listener_changed_ago_ms")


@test("hostile_two_tracers")
def hostile_two_tracers(stack):
    """Two rsttrace at once each report every reset, the same records; a
    second --metrics on the same port is refused in one line."""
    port_m, closed, lport = free_ports(3)
    # only the test's ports: another test's storm on this host must not
    # fill the rings
    ports = "%d,%d" % (closed, lport)
    a = tracer(stack, "-P", ports, "--metrics", "127.0.0.1:%d" % port_m)
    b = tracer(stack, "-P", ports)
    t0 = time.time()
    p = proc(stack, b"rst-two")
    refused = [refuse(p, 4, closed, "r%d" % i) for i in range(3)]
    server = proc(stack, b"rst-two-srv")
    client = proc(stack, b"rst-two-cli")
    server.listen("l", 4, "127.0.0.1", lport)
    c = client.connect("c", 4, "127.0.0.1", lport)
    eq(c["errno"], 0, "connect()")
    c, s = Sock(c), Sock(server.call("accept", "l", "s"))
    client.call("linger0", "c")
    client.call("close", "c")
    eq(server.call("recv_error", "s")[0], errno.ECONNRESET, "server recv()")
    t1 = time.time()
    specs = [(x, "received") for x in refused] + [(c, "sent"), (s, "received")]
    a.wait_on(*specs, what="every reset, in the first tracer")
    b.wait_on(*specs, what="every reset, in the second tracer")
    refused_start(rsttrace_cmd("--json", "--metrics", "127.0.0.1:%d" % port_m),
                  ["--metrics 127.0.0.1:%d" % port_m, "Address already in use",
                   "another rsttrace"], "a third rsttrace on the first one's metrics port")
    a.stop()
    b.stop()
    ra, rb = a.records(), b.records()
    for sk, d in specs:
        x = one_on(ra, "first tracer", sk, d)
        y = one_on(rb, "second tracer", sk, d)
        # times: each tracer's programs read the clock themselves, one
        # after the other; each time is checked against the test's own
        for r in (x, y):
            expect(r, "the %s reset on %r" % (d, sk), t0, t1,
                   age_ms=age_within(0, t1 - t0, or_null=True))
        for k in CLOCKED:
            check((x[k] is None) == (y[k] is None) and
                  (x[k] is None or abs(x[k] - y[k]) <= 10),
                  "the two tracers' %s of the %s reset on %r: %r and %r", k, d, sk,
                  x[k], y[k])
        eq({k: v for k, v in x.items() if k not in CLOCKED + ("time",)},
           {k: v for k, v in y.items() if k not in CLOCKED + ("time",)},
           "the two tracers' records of the %s reset on %r" % (d, sk))
    expect(one_on(ra, "abort", c, "sent"), "the abort", **owner_fields(client, "connect"))
    for x in refused:
        expect(one_on(ra, "refused", x, "received"), "a refused connect",
               **owner_fields(p, "connect"))


# --------------------------------------------------------------------------
# 4. maps that do not fit

MAP_PROBE = r"""
import ctypes, resource, struct, sys
resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
libc = ctypes.CDLL(None, use_errno=True)
# BPF_MAP_CREATE of an array of one 4-byte entry
attr = ctypes.create_string_buffer(struct.pack("IIII", 2, 4, 4, 1), 128)
fd = libc.syscall(321, 0, attr, 128)
sys.exit(0 if fd >= 0 else 1 if ctypes.get_errno() == 1 else 2)
"""


def memlock_charged():
    """A kernel fact: BPF maps count against RLIMIT_MEMLOCK (before 5.11),
    not the memory cgroup. A map made by a process whose limit is 0, and
    that cannot raise it."""
    cmd = ["setpriv", "--bounding-set=-sys_resource", "--inh-caps=-sys_resource", "--",
           PYTHON, "-c", MAP_PROBE]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    check(r.returncode in (0, 1), "map probe failed: %r", r.stderr[-300:])
    return r.returncode == 1


@test("hostile_no_room")
def hostile_no_room(stack):
    """Maps that do not fit: in a memory cgroup limited to 48 MB where the
    kernel charges maps to it (a 256 MB ring, a 1M-entry table), under
    RLIMIT_MEMLOCK 64 KiB where it charges them to that. One line that
    names the map, the limit and how to raise it; status 1. The other
    limit must not stop it."""
    if SANITIZED:
        raise Skip("ASan's own memory does not fit a 48 MB memory cgroup")
    memlock = memlock_charged()
    limit_rl = ["prlimit", "--memlock=65536:65536", "setpriv",
                "--bounding-set=-sys_resource", "--inh-caps=-sys_resource", "--"]
    mc = mem_limit(stack, 48 << 20, "maps")

    def join():
        mc.add(0)

    if memlock:
        refused_start(limit_rl + rsttrace_cmd("--json"),
                      ["cannot create ", "RLIMIT_MEMLOCK is 64 KiB", "ulimit -l unlimited",
                       "LimitMEMLOCK=infinity", "CAP_SYS_RESOURCE"],
                      "RLIMIT_MEMLOCK 64 KiB")
        # maps are not charged to the memory cgroup: even a 256 MB ring
        # does not count against its 48 MB
        tr = Tracer("--ringbuf-size", "256M", preexec_fn=join)
        stack.callback(tr.kill)
        tr.start()
        tr.stop()
        info("maps charged to RLIMIT_MEMLOCK: a 256 MB ring started in a 48 MB cgroup")
        return
    # maps go to the memory cgroup: 64 KiB of RLIMIT_MEMLOCK does not matter
    tr = Tracer()
    tr.args = limit_rl + tr.args
    stack.callback(tr.kill)
    tr.start()
    tr.stop()
    info("maps charged to the memory cgroup: rsttrace started under RLIMIT_MEMLOCK 64 KiB")
    limit_file = os.path.join(mc.path, "memory.max" if os.path.exists(
        os.path.join(mc.path, "memory.max")) else "memory.limit_in_bytes")
    refused_start(rsttrace_cmd("--json", "--ringbuf-size", "256M"),
                  ["cannot create the BPF ring buffer (256 MB)", "out of memory",
                   "limited to 48 MB by " + limit_file, "raise that limit by about",
                   "memory limit", "or give a smaller --ringbuf-size"],
                  "a 256 MB ring in 48 MB", preexec_fn=join)
    line = refused_start(rsttrace_cmd("--json", "--tw-owners", "1000000"),
                         ["cannot create BPF map tw_owners (1000000 entries, about ",
                          "limited to 48 MB by " + limit_file, "raise that limit by about"],
                         "a 1M-entry table in 48 MB", preexec_fn=join)
    check("--ringbuf-size" not in line, "the ring did not fail, yet: %r", line)
    # what fits starts there
    tr = Tracer(preexec_fn=join)
    stack.callback(tr.kill)
    tr.start()
    tr.stop()


# --------------------------------------------------------------------------
# 5. no privileges, no BTF, no tracefs


@test("hostile_no_privileges")
def hostile_no_privileges(stack):
    """Root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN (a container's
    default set), root in a user namespace, and a plain user: one line
    naming what is missing and where to give it; status 1."""
    refused_start(["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]
                  + rsttrace_cmd("--json"),
                  ["runs as root without CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)",
                   "--privileged", "--cap-add BPF", "securityContext"],
                  "root without capabilities")
    refused_start(["setpriv", "--bounding-set=-bpf,-sys_admin", "--inh-caps=-bpf,-sys_admin",
                   "--"] + rsttrace_cmd("--json"),
                  ["runs as root without CAP_BPF (or CAP_SYS_ADMIN)", "--cap-add BPF"],
                  "root without CAP_BPF and CAP_SYS_ADMIN")
    userns = subprocess.run(["unshare", "-U", "-r", "true"], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=60)
    if userns.returncode:
        # unshare(CLONE_NEWUSER) is refused in a chroot (make vmtest's suite)
        skip_part("no user namespace can be made here (%s): rsttrace in one is not tried",
                  userns.stderr.decode(errors="replace").strip())
    else:
        refused_start(["unshare", "-U", "-r"] + rsttrace_cmd("--json"),
                      ["runs in a user namespace", "uid 0 here is uid 0 on the host",
                       "grants no BPF", "--privileged", "hostUsers: false"],
                      "root in a user namespace")
    refused_start(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
                  + rsttrace_cmd("--json"),
                  ["must run as root", "CAP_BPF", "sudo"], "a plain user")


@test("hostile_no_btf")
def hostile_no_btf(stack):
    """/sys/kernel/btf hidden under an empty tmpfs, as in a container that
    masks it: one line that says to mount the host's; status 1."""
    refused_start(in_private_mounts("mount -t tmpfs none /sys/kernel/btf",
                                    *rsttrace_cmd("--json")),
                  ["no kernel BTF at /sys/kernel/btf/vmlinux",
                   "something other than the kernel's sysfs is mounted there",
                   "-v /sys/kernel/btf:/sys/kernel/btf:ro", "hostPath"],
                  "BTF hidden")


@test("hostile_no_tracefs")
def hostile_no_tracefs(stack):
    """tracefs and debugfs hidden under empty tmpfs mounts: rsttrace needs
    them only for the accept() syscall tracepoints. It starts as on any
    host and names owners; without CAP_SYS_ADMIN too (a container given
    CAP_BPF and CAP_PERFMON), kprobes a kernel refuses are said in one
    warning; asked for --acceptor syscalls it says how to mount tracefs."""
    port, = free_ports(1)
    quiet = startup_shape(caps()["startup"])
    for tag, wrap in (("no tracefs", []), ("no tracefs, no CAP_SYS_ADMIN", NO_SYS_ADMIN)):
        tr = Tracer()
        tr.args = in_private_mounts(HIDE_TRACEFS, *(wrap + tr.args))
        stack.callback(tr.kill)
        tr.start()
        p = proc(stack, b"rst-notracefs")
        s = refuse(p, 4, port, "r")
        tr.wait_on((s, "received"), what="a reset, %s" % tag)
        tr.stop()
        lines = startup_lines(tr)
        denied = [l for l in lines if "its kprobes need CAP_SYS_ADMIN" in l]
        if denied:
            check(wrap and caps()["kprobes"] and len(denied) == 1 and
                  "going on without them" in denied[0],
                  "%s: a warning about kprobes where none is due: %r", tag, lines)
            info("%s: %s" % (tag, denied[0]))
        else:
            check(startup_shape(lines) == quiet,
                  "%s: start-up lines differ from a start with it:\n%s\nwith it:\n%s",
                  tag, "\n".join(lines), "\n".join(caps()["startup"]))
        quiet_after(tr, tag)
        expect(one_on(tr.records(), "refused", s, "received"), "refused connect, %s" % tag,
               **owner_fields(p, "connect"))
    if "syscalls" not in caps()["acceptor_offered"]:
        skip_part("this kernel offers no accept() syscall tracepoints: --acceptor "
                  "syscalls is not tried")
        return
    refused_start(in_private_mounts(HIDE_TRACEFS,
                                    *(NO_SYS_ADMIN + rsttrace_cmd("--json", "--acceptor",
                                                                  "syscalls"))),
                  ["--acceptor syscalls: its tracepoints need tracefs",
                   "cannot be mounted there (Operation not permitted)",
                   "mount -t tracefs nodev /sys/kernel/tracing", "CAP_SYS_ADMIN"],
                  "--acceptor syscalls without tracefs")
