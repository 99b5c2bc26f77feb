"""Operating rsttrace: -o with SIGHUP and rotation by size under a steady
stream of resets (every reset in exactly one file), a full disk (a small
tmpfs, and the count in /metrics), -Z (no uid 0, no capabilities in any thread, and still resets,
metrics and cgroup names), and sd_notify's READY/WATCHDOG/STOPPING."""
import collections
import errno
import glob
import grp
import os
import re
import signal
import socket
import stat
import subprocess
import threading
import time

from harness import (Tracer, cgroup, check, eq, free_ports, info, parse_line, proc,
                     rsttrace_cmd, scaled, test, tmpdir, wait_kernel, TestFailure)
from test_filters import refuse
from test_metrics import metrics_port, samples, scrape


class Stream:
    """Connects to a closed port from a thread, paced, until stopped; each
    from a port of its own, bound first so that the record can be told by
    it. ports counts how often each client port was refused."""

    def __init__(self, stack, port, every=0.002):
        self.port, self.every = port, every
        self.ports = collections.Counter()
        self.stop_ev = threading.Event()
        self.err = None
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        stack.callback(self.stop)

    def one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            cp = s.getsockname()[1]
            if cp == self.port:
                return  # it would connect to itself (simultaneous open)
            r = s.connect_ex(("127.0.0.1", self.port))
            if r != errno.ECONNREFUSED:
                raise TestFailure("connect to closed port %d: %s" % (self.port, os.strerror(r)))
            self.ports[cp] += 1
        finally:
            s.close()

    def _run(self):
        try:
            while not self.stop_ev.is_set():
                self.one()
                self.stop_ev.wait(self.every)  # a pace, not a wait for readiness
        except BaseException as e:  # reported by stop()
            self.err = e

    def stop(self):
        self.stop_ev.set()
        self.t.join(30)
        if self.err:
            raise TestFailure("stream: %s" % self.err)
        return sum(self.ports.values())


def file_records(paths):
    """Every line of @paths parsed and validated, with the file it is in."""
    out = []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        check(not data or data.endswith(b"\n"), "%s ends in a cut line: %r", p, data[-80:])
        for line in data.splitlines(keepends=True):
            out.append((p, parse_line(line)))
    return out


def received_ports(recs, port):
    """The client ports of the received resets from closed @port."""
    return collections.Counter(r["lport"] for _, r in recs if r["type"] == "reset"
                               and r["direction"] == "received" and r["rport"] == port)


def check_each_once(stream, recs, port, what):
    got = received_ports(recs, port)
    missing = stream.ports - got
    extra = got - stream.ports
    check(not missing and not extra,
          "%s: %d of %d resets in no file, %d more than once or never made (first missing: %s)",
          what, sum(missing.values()), sum(stream.ports.values()), sum(extra.values()),
          sorted(missing)[:5])
    lost = [r for _, r in recs if r["type"] == "lost"]
    check(not lost, "%s: resets lost: %r", what, lost[:3])


def line_count(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def rotate_by_hand(tr, path, to, n):
    """logrotate's way: once @path has @n records, rename it to @to and
    send SIGHUP; then wait for @n records in the new @path."""
    wait_kernel(lambda: line_count(path) >= n, "%d records in %s" % (n, path), 20)
    os.rename(path, to)
    tr.send_signal(signal.SIGHUP)
    wait_kernel(lambda: line_count(path) >= n, "%d records in the new %s" % (n, path), 20)


def start(stack, *args, **kw):
    tr = Tracer(*args, **kw)
    stack.callback(tr.kill)
    return tr.start()


@test("output_file")
def output_file(stack):
    """-o appends to a file created 0640; stdout stays empty; the table's
    header tops the file once, and again a file that SIGHUP opened anew."""
    d = tmpdir(stack, "op")
    port, = free_ports(1)
    path = os.path.join(d, "r.json")
    tr = start(stack, "-o", path, "-P", port)
    st = Stream(stack, port, every=0.05)
    wait_kernel(lambda: line_count(path) >= 4, "4 records in %s" % path, 20)
    st.stop()
    tr.stop()
    eq(stat.S_IMODE(os.stat(path).st_mode), 0o640, "mode of -o's new file")
    check(not tr.raw_lines(), "stdout is not empty with -o: %r", tr.raw_lines()[:2])
    check_each_once(st, file_records([path]), port, "-o")
    # the table: a header atop each new file
    tpath = os.path.join(d, "r.txt")
    tt = start(stack, "-o", tpath, "-P", port, json_mode=False)
    st = Stream(stack, port, every=0.05)
    rotate_by_hand(tt, tpath, tpath + ".1", 3)  # a header and 2 rows
    st.stop()
    tt.stop()
    for p in (tpath + ".1", tpath):
        with open(p) as f:
            lines = f.read().splitlines()
        check("PID" in lines[0] and "COMM" in lines[0],
              "%s does not start with the header: %r", p, lines[:2])
        eq(sum(1 for l in lines if "PID" in l and "COMM" in l), 1, "headers in %s" % p)


@test("output_refused")
def output_refused(stack):
    """-o does not follow a symbolic link (with -Z the directory may be the
    user's, and root must not append where the link points); a device that
    fails a write (/dev/full) ends the run with status 1 and says why."""
    d = tmpdir(stack, "op")
    target = os.path.join(d, "target")
    open(target, "w").close()
    link = os.path.join(d, "link.json")
    os.symlink(target, link)
    r = subprocess.run(rsttrace_cmd("--json", "-o", link, "-d", "5"), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    eq(r.returncode, 1, "exit status of -o on a symbolic link")
    check("-o %s: a symbolic link" % link in r.stderr.decode(), "%r", r.stderr.decode()[-300:])
    eq(os.path.getsize(target), 0, "bytes written through the link")
    port, = free_ports(1)
    tr = start(stack, "-o", "/dev/full", "-P", port)
    p = proc(stack, b"rst-full")
    refuse(p, 4, port, "c")
    eq(tr.wait_exit(scaled(20)), 1, "exit status once /dev/full failed a write")
    check("cannot write to /dev/full: No space left on device" in tr.stderr_text(),
          "no word of /dev/full: %r", tr.stderr_text()[-400:])


@test("output_sighup", timeout=180)
def output_sighup(stack):
    """logrotate's way, five times under a steady stream of resets: rename
    the file, SIGHUP; every reset is in exactly one of the six files."""
    d = tmpdir(stack, "op")
    port, = free_ports(1)
    path = os.path.join(d, "r.json")
    tr = start(stack, "-o", path, "-P", port)
    st = Stream(stack, port)
    for i in range(1, 6):
        rotate_by_hand(tr, path, "%s.%d" % (path, i), 20)
    n = st.stop()
    tr.stop()
    files = [path] + ["%s.%d" % (path, i) for i in range(1, 6)]
    recs = file_records(files)
    check_each_once(st, recs, port, "rename and SIGHUP")
    per = collections.Counter(p for p, _ in recs)
    check(all(per[f] > 0 for f in files), "a file without records: %r", dict(per))
    info("output_sighup: %d resets made, in 6 files: %s" % (
        n, ", ".join("%d" % per[f] for f in files)))


@test("output_rotate_size", timeout=180)
def output_rotate_size(stack):
    """--output-max-size 16K: no file past 16 KiB, records whole, every
    reset in exactly one file; --output-keep 2 keeps FILE.1 and FILE.2,
    and FILE is there whenever it is looked at."""
    d = tmpdir(stack, "op")
    port, = free_ports(1)
    path = os.path.join(d, "r.json")
    tr = start(stack, "-o", path, "-P", port, "--output-max-size", "16K",
               "--output-keep", "1000")
    st = Stream(stack, port)
    wait_kernel(lambda: os.path.exists(path + ".8"), "8 rotations of %s" % path, 60)
    n = st.stop()
    tr.stop()
    files = sorted(glob.glob(path + "*"))
    big = [(f, os.path.getsize(f)) for f in files if os.path.getsize(f) > 16384]
    check(not big, "files past --output-max-size: %r", big)
    check_each_once(st, file_records(files), port, "rotation by size")
    info("output_rotate_size: %d resets in %d files" % (n, len(files)))
    # keep 2
    d2 = tmpdir(stack, "op")
    path = os.path.join(d2, "k.json")
    tr = start(stack, "-o", path, "-P", port, "--output-max-size", "8K",
               "--output-keep", "2")
    st = Stream(stack, port)
    # the third rotation is the first that drops a file
    seen = set()

    def rotated_thrice():
        names = os.listdir(d2)
        seen.update(names)
        # the new file replaces the old with one rename: never missing
        check("k.json" in names, "k.json missing during rotation: %r", names)
        return line_count(path + ".2") and os.path.getsize(path) > 4096
    wait_kernel(rotated_thrice, "%s.2 and a half-full %s" % (path, path), 60)
    st.stop()
    tr.stop()
    eq(sorted(os.listdir(d2)), ["k.json", "k.json.1", "k.json.2"], "files with --output-keep 2")
    check("k.json.3" not in seen, "k.json.3 was made: %r", sorted(seen))


def fill(path):
    """Write @path until the file system is full."""
    with open(path, "ab", buffering=0) as f:
        chunk = b"\0" * 4096
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
        for n in (1024, 64, 1):  # the last bytes too
            while True:
                try:
                    f.write(b"\0" * n)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break


@test("output_full_disk", timeout=240)
def output_full_disk(stack):
    """-o on a small tmpfs: once it is full, one clear message, records
    held; space back, every reset written and "writing ... again"; full
    again under a burst, stopped: the file holds whole records only, and
    records in it plus those counted as not written are every record."""
    d = tmpdir(stack, "op")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "rsttrace-full", d], check=True)
    stack.callback(subprocess.run, ["umount", "-l", d])
    port, = free_ports(1)
    path = os.path.join(d, "r.json")
    filler = os.path.join(d, "filler")
    tr = start(stack, "-o", path, "-P", port, "--metrics", "127.0.0.1:0")
    mport = metrics_port(tr)
    fill(filler)
    st = Stream(stack, port, every=0.01)
    wait_kernel(lambda: "cannot write to %s: No space left on device" % path in tr.stderr_text(),
               "the full disk's message", 20)
    os.unlink(filler)
    wait_kernel(lambda: "writing to %s again" % path in tr.stderr_text(), "writing again", 20)
    n1 = st.stop()
    m = re.search(r"writing to \S+ again; (\d+) records could not be written", tr.stderr_text())
    eq(int(m.group(1)), 0, "records not written while the disk was full a moment")
    # full again, a burst past what is held (1 MiB), then stop while full
    fill(filler)
    st2 = Stream(stack, port, every=0)
    wait_kernel(lambda: sum(st2.ports.values()) >= 4000, "4000 refused connects", 120)
    n2 = st2.stop()

    def unwritten():
        v = list(samples(scrape(mport), "rsttrace_output_unwritten_total").values())
        return v and v[0] > 0
    wait_kernel(unwritten, "rsttrace_output_unwritten_total above 0", 20)
    # SIGINT drains the ring buffer before the end
    tr.stop()
    err = tr.stderr_text()
    check(err.count("cannot write to %s" % path) == 2,
          "the message is said once per failure: %r", err[-1500:])
    events = int(re.search(r"rsttrace: (\d+) events, (\d+) lost", err).group(1))
    m = re.search(r"rsttrace: (\d+) records not written to (\S+): No space left on device", err)
    check(m, "no count of the records not written at exit: %r", err[-800:])
    dropped = int(m.group(1))
    eq(m.group(2), path, "the file named at exit")
    recs = file_records([path])
    eq(len(recs) + dropped, events, "records in the file (%d) + not written (%d) vs events" % (
        len(recs), dropped))
    got = received_ports(recs, port)
    missing = st.ports - got
    check(not missing, "%d resets of the first failure not written once space was back",
          sum(missing.values()))
    check(dropped > 0, "a burst past the held MiB dropped nothing")
    info("output_full_disk: %d + %d resets; %d records in the file, %d counted as not written" % (
        n1, n2, len(recs), dropped))


def proc_status(pid):
    out = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


CAP_BPF = 39


@test("user_drop", timeout=180)
def user_drop(stack):
    """-Z nobody: every thread runs as nobody with no capabilities (CAP_BPF
    alone where the kernel refuses map lookups without it); resets are
    still reported, metrics served, and a cgroup made later is named."""
    port, = free_ports(1)
    tr = start(stack, "-Z", "nobody", "--metrics", "127.0.0.1:0", "-P", port)
    kept_bpf = "with CAP_BPF alone" in tr.stderr_text()
    check(kept_bpf or "running as nobody (uid 65534), no capabilities" in tr.stderr_text(),
          "no word of the change: %r", tr.stderr_text()[-600:])
    tasks = os.listdir("/proc/%d/task" % tr.proc.pid)
    check(len(tasks) >= 2, "one task only: where is the metrics thread? %r", tasks)
    want_eff = "%016x" % ((1 << CAP_BPF) if kept_bpf else 0)
    for t in tasks:
        s = proc_status("%d/task/%s" % (tr.proc.pid, t))
        eq(s["Uid"], ["65534"] * 4, "task %s uids" % t)
        eq(s["Gid"], ["65534"] * 4, "task %s gids" % t)
        eq(s["Groups"], [], "task %s groups" % t)
        for k in ("CapInh", "CapBnd", "CapAmb"):
            eq(s[k], ["0" * 16], "task %s %s" % (t, k))
        main = t == str(tr.proc.pid)
        for k in ("CapPrm", "CapEff"):
            eq(s[k], [want_eff if main else "0" * 16], "task %s %s" % (t, k))
        eq(s["NoNewPrivs"], ["1"], "task %s NoNewPrivs" % t)
    if kept_bpf:
        rel = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
        check(rel < (5, 19), "CAP_BPF kept on Linux %s, which lets unprivileged tasks use "
              "the map fds they hold" % os.uname().release)
    # a cgroup made after the change is named by walking the hierarchy
    cg = cgroup(stack, "zdrop")
    p = proc(stack, b"rst-zdrop", cgroup=cg)
    refuse(p, 4, port, "c")
    got = tr.wait_for(lambda r: r.get("type") == "reset" and r.get("direction") == "received"
                      and r.get("pid") == p.pid)
    eq(got[0]["cgroup_id"], cg.id, "cgroup id of the new cgroup's reset")
    check(got[0]["cgroup"] and got[0]["cgroup"].endswith(os.path.basename(cg.path)),
          "cgroup made after -Z not named: %r", got[0]["cgroup"])
    mport = metrics_port(tr)

    def counted():
        return [k for k in samples(scrape(mport), "rsttrace_resets_total")
                if dict(k)["comm"] == "rst-zdrop"]
    wait_kernel(counted, "the reset counted in /metrics", 10)
    tr.stop()
    info("user_drop: %d tasks as nobody; CapEff %s" % (len(tasks), want_eff))


@test("user_output")
def user_output(stack):
    """-Z with -o: the file this run made is the user's, so that SIGHUP
    can make the next one in a directory the user may write."""
    d = tmpdir(stack, "op")
    # as the package's /var/log/rsttrace: the user's, setgid to adm's group
    adm = grp.getgrnam("adm").gr_gid
    os.chown(d, 65534, adm)
    os.chmod(d, 0o2750)
    port, = free_ports(1)
    path = os.path.join(d, "r.json")
    tr = start(stack, "-Z", "nobody", "-o", path, "-P", port)
    st = os.stat(path)
    eq((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (65534, adm, 0o640),
       "owner, group (the setgid directory's) and mode of -o's file")
    s = Stream(stack, port, every=0.05)
    rotate_by_hand(tr, path, path + ".1", 2)
    s.stop()
    tr.stop()
    check("cannot reopen" not in tr.stderr_text(), "%s", tr.stderr_text()[-400:])
    check_each_once(s, file_records([path + ".1", path]), port, "-Z and SIGHUP")
    # a directory the user cannot write: rotation cannot work, said at once
    d2 = tmpdir(stack, "op")
    r = subprocess.run(rsttrace_cmd("-Z", "nobody", "-o", os.path.join(d2, "x"),
                                    "--output-max-size", "1M", "-d", "5"),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    err = r.stderr.decode()
    eq(r.returncode, 1, "exit status of -Z with a rotation it cannot do")
    check("cannot create files in %s" % d2 in err, "no word of %s: %r", d2, err[-300:])


@test("user_missing_caps")
def user_missing_caps(stack):
    """-Z where one of the capabilities the change of ids needs is out of
    the bounding set (a unit's CapabilityBoundingSet that leaves it out):
    status 1 and a message that names it, where libcap-ng's failure said
    only "cannot try it in a child: Operation not permitted"."""
    for cap in ("setuid", "setgid", "setpcap"):
        cmd = ["setpriv", "--bounding-set=-" + cap, "--inh-caps=-" + cap, "--"]
        r = subprocess.run(cmd + rsttrace_cmd("-Z", "nobody", "-d", "5"),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        err = r.stderr.decode("utf-8", "replace")
        eq(r.returncode, 1, "exit status of -Z without CAP_%s" % cap.upper())
        check("-Z nobody: CAP_%s is missing" % cap.upper() in err,
              "without CAP_%s: %r", cap.upper(), err[-400:])


def notify_socket(stack):
    d = tmpdir(stack, "op")
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    stack.callback(s.close)
    return s, path


def recv_state(s, timeout):
    s.settimeout(scaled(timeout))
    try:
        return s.recv(4096).decode()
    except socket.timeout:
        return None


@test("sd_notify")
def sd_notify(stack):
    """$NOTIFY_SOCKET: READY=1 once tracing (a reset made right then is
    reported), WATCHDOG=1 at half of $WATCHDOG_USEC, STOPPING=1 at the
    end; nothing without $NOTIFY_SOCKET."""
    s, path = notify_socket(stack)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="2000000")
    env.pop("WATCHDOG_PID", None)
    port, = free_ports(1)
    tr = Tracer("-P", port, env=env)
    stack.callback(tr.kill)
    t0 = time.monotonic()
    tr.start()
    msg = recv_state(s, 30)
    check(msg and "READY=1" in msg.split("\n"), "no READY=1: %r", msg)
    check("Tracing" in tr.stderr_text(), "READY=1 before the 'Tracing' line")
    p = proc(stack, b"rst-notify")
    sk = refuse(p, 4, port, "c")
    tr.wait_on((sk, "received"))
    w0 = time.monotonic()
    msg = recv_state(s, 5)
    eq(msg, "WATCHDOG=1", "the next notification")
    tr.stop(signal.SIGTERM)
    msgs = []
    while True:
        m = recv_state(s, 5)
        if m is None or m == "STOPPING=1":
            msgs.append(m)
            break
        msgs.append(m)
    eq(msgs[-1], "STOPPING=1", "last notification (of %r)" % msgs)
    info("sd_notify: READY after %.2fs, WATCHDOG %.2fs later" % (w0 - t0, time.monotonic() - w0))
