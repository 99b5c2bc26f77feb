#!/usr/bin/env python3
"""make bench: what rsttrace costs, and what it catches, beside the tools
users would pick instead (Debian's libbpf-tools tcpstates, a bpftrace
script on the same tracepoints). Run as root on an otherwise idle machine.

  bench.py [--rounds N] [--storm-resets N] [--churn-seconds S] [--quick]
           [--scale N,...] [--scale-ringbuf SIZE] [--cpu-fractions F,...]
           [--drain-limit S] [--baseline PATH] [--outputs-resets N]
           [--seed-procs N] [--seed-conns N]
           [--only stats|churn|scale|contention|outputs|seed] [-o FILE]

1. Reset storm: tests/bench/rstload makes N resets on loopback as fast as
   it can (refused connects and aborted connections, several threads), with
   no tracer, rsttrace (defaults, JSON to a file), tcpstates and bpftrace,
   alternating. The kernel's count (/proc/net/snmp OutRsts) against what
   each tracer reported and lost.
2. Connection churn: connect/accept/write/close cycles per second with no
   tracer, rsttrace and tcpstates, alternating; each as a ratio to none.
   rsttrace also with --acceptor=HOOK for each acceptor hook this kernel
   offers (rsttrace -V: "acceptor_offered"), beside its default ("auto").
3. In-kernel cost: ns per run of each BPF program (kernel.bpf_stats_enabled)
   under the churn and under the storm, for rsttrace and tcpstates,
   alternating, medians of --rounds; and under the churn for rsttrace with
   each acceptor hook.
4. User-space cost: tests/bench/fmtbench's events per second (JSON, table)
   on one core; rsttrace's CPU seconds per million events in the storm.
5. Start-up (exec to the "Tracing" line), peak RSS and the memory of
   rsttrace's maps (bpftool map show).
6. Scale: rstload hold keeps N connections (--scale, default 10000, 50000,
   100000) accepted by as few worker processes as RLIMIT_NOFILE allows
   (accept4() with an address buffer, and with NULL), then their clients
   abort them all: of the resets the workers' sockets received, the share
   rsttrace named after the worker that accepted the socket (owner_source
   "accept"), what it lost (a --scale-ringbuf ring, 256M, so that losses
   do not blur the share), and the kernel memory of its maps, bytes_memlock
   (the ring buffer apart), measured while the connections are held; and
   the kernel memory charged to the tracer's memory cgroup (it alone in a
   fresh one: cgroup v1 memory.kmem.usage_in_bytes, or cgroup2 memory.stat
   "kernel") while they are held, less at its start: the socket storage
   (one allocation per socket, charged there, not to bytes_memlock).
7. Contention: the reset storm with only the tracer's process in a cgroup
   whose CPU quota is F of one CPU (--cpu-fractions, default 0.5, 0.2, 0.1;
   cgroup v1 "cpu" or cgroup2 "cpu.max", 100 ms period), for rsttrace
   (default ring), tcpstates and bpftrace: reported, lost, and lost but
   accounted for (rsttrace's "lost" records that name a direction; the
   others' loss messages are anonymous), waiting up to --drain-limit
   seconds for the capped tracer to drain.

8. Where the records go: the storm (--outputs-resets, default 100000) under
   rsttrace --json with stdout to a file (the reference), with -o FILE,
   with -o FILE --output-max-size 16M --output-keep 3 (rotating a dozen
   times a run), with -o FILE -Z nobody, and ./rsttrace-static --json -o
   FILE (skipped if it is missing: make STATIC=1), alternating round by
   round: resets reported and lost (its end-of-run line) against those
   made, CPU seconds per million events, start-up, peak RSS, each as a
   ratio to the reference; and the files, in a temporary directory deleted
   after each run: whole JSON lines only, their bytes those rsttrace wrote
   (/proc/PID/io wchar, its stderr apart; with rotation, the rest rotated
   away), the storm's resets found in them.

9. Seeding at start-up (--only seed, not part of the full run):
   tests/bench/rstload procs keeps --seed-conns established loopback
   connections (default 50000: 100,000 sockets) in --seed-procs processes
   (default 10000), each holding both ends of its own; rsttrace starts
   beside it and, alternating round by round, on the idle host: start-up
   (exec to "Tracing"), peak RSS (VmHWM), each loaded as a ratio to idle,
   medians. Then 100 of the processes, spread over the set, abort their
   connections: each reset, sent and received, must name that process as
   the socket's owner, "seeded".

--baseline PATH adds "rsttrace-base", an older rsttrace build run with the
same arguments (but no --acceptor), beside rsttrace in phases 2, 3, 6 and 7;
phase 3 then lists each program's cost in both, side by side.
--only runs one phase; for churn, scale, contention and outputs it prints that
section and writes FILE with it alone.

Prints a table and writes every figure to FILE (default
.output/bench/results.json). Exit status 1 if a run failed (a tracer did not
start, the load generator failed); missed targets are shown, not fatal.
"""
import argparse
import contextlib
import errno
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".output")
RSTTRACE = os.path.join(ROOT, "rsttrace")
RSTLOAD = os.path.join(OUT, "rstload")
FMTBENCH = os.path.join(OUT, "fmtbench")
BT_SCRIPT = os.path.join(ROOT, "tests", "bench", "resets.bt")
WORK = os.path.join(OUT, "bench")
STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"
BASELINE = None          # --baseline: an older rsttrace, run as "rsttrace-base"
CG_PERIOD_US = 100000    # the CPU quota's period
CG_NAME = "rstbench-%d" % os.getpid()

TARGETS = {
    "storm_capture": 1.0,        # rsttrace: every reset, none lost
    "churn_ratio": 0.97,         # of the untraced rate
    "set_state_ns": 150,
    "reset_prog_ns": 1000,
    "json_eps": 1e6,
    "startup_ms": 300,
    "peak_rss_kb": 10 * 1024,
    "capped_lossless_cpu": 0.2,  # rsttrace loses nothing at this CPU share
    "capped_accounted_cpu": 0.1,  # and accounts for every reset at this one
}


class BenchError(Exception):
    pass


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def out_rsts():
    """The kernel's count of resets sent (all namespaces share nothing here:
    the load runs in this one)."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Tcp:")]
    return int(lines[1][lines[0].index("OutRsts")])


def cpu_seconds(pid):
    """utime + stime of a live process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_kb(pid, key):
    """VmHWM (peak) or VmRSS (now) of a live process, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def bpf_fds(pid):
    """{"prog": [ids], "map": [ids], "link": [ids]} of a process's BPF fds."""
    ids = {"prog": [], "map": [], "link": []}
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                info = f.read()
        except OSError:
            continue
        for kind in ids:
            m = re.search(r"^%s_id:\s+(\d+)" % kind, info, re.M)
            if m:
                ids[kind].append(int(m.group(1)))
    return ids


def bpftool(*args):
    r = subprocess.run(["bpftool", "-j"] + list(args), capture_output=True, text=True)
    if r.returncode:
        raise BenchError("bpftool %s: %s" % (" ".join(args), r.stderr.strip()))
    return json.loads(r.stdout)


def prog_stats(ids):
    """{id: (name, run_time_ns, run_cnt)}"""
    res = {}
    for i in ids:
        p = bpftool("prog", "show", "id", str(i))
        res[i] = (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
    return res


def refuse_once(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        pass
    finally:
        s.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def wait_quiet(path, quiet=0.5, limit=60.0):
    """Until @path (or what the callable @path returns: a size) has not grown
    for @quiet seconds: the tracer has drained.
    Seconds until it last grew, None if it was still growing at @limit."""
    t0 = time.monotonic()
    end = t0 + limit
    size, since = -1, t0
    while time.monotonic() < end:
        s = path() if callable(path) else os.path.getsize(path)
        if s != size:
            size, since = s, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return since - t0
        time.sleep(0.05)
    return None


def prewarm(mb):
    """Write and delete @mb MiB under WORK first. This VM backs guest memory
    on first touch: writing into page-cache pages no process has used yet
    cost a tracer several times a normal write (2 GB: 8.9 s of system time
    the first time, 0.8 s the second), so that whichever tracer ran first
    on fresh memory paid for the VM, not for its own work."""
    path = os.path.join(WORK, "prewarm.tmp")
    block = b"\0" * (1 << 20)
    with open(path, "wb") as f:
        for _ in range(mb):
            f.write(block)
    os.unlink(path)


def map_memory(pid):
    """The BPF maps a process holds, with bytes_memlock (bpftool map show)."""
    maps = []
    for i in bpf_fds(pid)["map"]:
        m = bpftool("map", "show", "id", str(i))
        maps.append({"name": m.get("name", "?"), "type": m.get("type"),
                     "max_entries": m.get("max_entries"),
                     "bytes_memlock": m.get("bytes_memlock", 0)})
    return maps


def cgroup_root(controller):
    """("v1", mount) of a cgroup v1 hierarchy with @controller, else ("v2",
    mount) of the cgroup2 one where @controller is available."""
    v2 = None
    with open("/proc/mounts") as f:
        for line in f:
            _, mnt, fstype, opts = line.split()[:4]
            if fstype == "cgroup" and controller in opts.split(","):
                return "v1", mnt
            if fstype == "cgroup2" and v2 is None:
                v2 = mnt
    if v2:
        with open(os.path.join(v2, "cgroup.controllers")) as f:
            if controller in f.read().split():
                return "v2", v2
    raise BenchError("no cgroup hierarchy with the %s controller (a cgroup v1 "
                     "'%s' mount, or cgroup2 with %s in cgroup.controllers)"
                     % (controller, controller, controller))


def cpu_cgroup_root():
    return cgroup_root("cpu")


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


@contextlib.contextmanager
def new_cgroup(controller):
    """A fresh cgroup in @controller's hierarchy (cgroup_root()), for the
    block: yields {"version", "path", "procs": its cgroup.procs}, to start
    a Tracer in; removed after (its tasks must be gone)."""
    version, root = cgroup_root(controller)
    path = os.path.join(root, "%s-%s" % (CG_NAME, controller))
    try:
        if version == "v2":
            with open(os.path.join(root, "cgroup.subtree_control")) as f:
                if controller not in f.read().split():
                    write_file(os.path.join(root, "cgroup.subtree_control"), "+" + controller)
        os.mkdir(path)
    except OSError as e:
        raise BenchError("cannot make a %s %s cgroup under %s: %s"
                         % (version, controller, root, e))
    try:
        yield {"version": version, "path": path, "procs": os.path.join(path, "cgroup.procs")}
    finally:
        remove_cgroup(path)


@contextlib.contextmanager
def cpu_cap(fraction):
    """A cgroup whose tasks together get @fraction of one CPU, for the block:
    yields new_cgroup()'s, to which "stat" (its cpu.stat) is added at the
    end; removed after (its tasks must be gone)."""
    quota = max(1000, int(round(fraction * CG_PERIOD_US)))
    with new_cgroup("cpu") as cg:
        path = cg["path"]
        if cg["version"] == "v2":
            write_file(os.path.join(path, "cpu.max"), "%d %d" % (quota, CG_PERIOD_US))
        else:
            write_file(os.path.join(path, "cpu.cfs_period_us"), str(CG_PERIOD_US))
            write_file(os.path.join(path, "cpu.cfs_quota_us"), str(quota))
        yield cg
        with open(os.path.join(path, "cpu.stat")) as f:
            cg["stat"] = {k: int(v) for k, v in (line.split() for line in f)}


def remove_cgroup(path):
    """rmdir, once the last task has left (an exited one lingers a moment:
    EBUSY, retried for a while)."""
    end = time.monotonic() + 10
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() > end:
                raise BenchError("cannot remove cgroup %s: %s" % (path, e))
            time.sleep(0.1)


def kmem_off():
    """Why the kernel does not account kernel memory to memory cgroups
    (cgroup.memory=nokmem), or None."""
    with open("/proc/cmdline") as f:
        for opt in f.read().split():
            if opt.startswith("cgroup.memory=") and "nokmem" in opt.split("=", 1)[1].split(","):
                return "kernel memory accounting is off (cgroup.memory=nokmem on the " \
                       "kernel command line)"
    return None


def memcg_usage(cg):
    """What is charged to the memory cgroup @cg (new_cgroup("memory")), in
    bytes: {"kmem": kernel memory (v1 memory.kmem.usage_in_bytes; v2
    memory.stat "kernel", or its parts on older kernels) or None, "total":
    all of it (memory.usage_in_bytes, memory.current)}."""
    path = cg["path"]
    if cg["version"] == "v1":
        kmem = os.path.join(path, "memory.kmem.usage_in_bytes")
        return {"kmem": read_int(kmem) if os.path.exists(kmem) else None,
                "total": read_int(os.path.join(path, "memory.usage_in_bytes"))}
    with open(os.path.join(path, "memory.stat")) as f:
        stat = dict((k, int(v)) for k, v in (line.split()[:2] for line in f))
    kmem = stat.get("kernel")
    if kmem is None:
        parts = [stat[k] for k in ("slab", "kernel_stack", "pagetables", "percpu", "vmalloc")
                 if k in stat]
        kmem = sum(parts) if parts else None
    return {"kmem": kmem, "total": read_int(os.path.join(path, "memory.current"))}


class Tracer:
    """One run of one tracer, its output in files under WORK. @extra: more
    arguments (rsttrace kinds); @cgroup: a cgroup.procs to start it in;
    @patience: how many times the usual start-up time to allow."""

    def __init__(self, kind, tag, extra=(), cgroup=None, patience=1.0):
        self.kind = kind
        self.is_rst = kind in ("rsttrace", "rsttrace-base")
        self.extra = list(extra)
        self.cgroup = cgroup
        self.patience = patience
        # one output file per tracer, truncated by each run: its pages are
        # then ones an earlier run already touched (see prewarm())
        self.out = os.path.join(WORK, "%s.out" % kind)
        self.err = os.path.join(WORK, "%s-%s.err" % (kind, tag))
        self.proc = None
        self.startup_ms = None
        self.baseline = 0
        self.cpu_ready = 0.0
        self.rusage = None
        self.hwm_kb = None
        self.rss_kb = None
        self.drain_s = None

    def command(self):
        return {"rsttrace": [RSTTRACE, "--json"],
                "rsttrace-base": [BASELINE, "--json"],
                "tcpstates": ["tcpstates"],
                "bpftrace": ["bpftrace", BT_SCRIPT]}[self.kind] + self.extra

    def start(self):
        cmd = self.command()
        out = open(self.out, "wb")
        err = open(self.err, "wb") if not self.is_rst else subprocess.PIPE
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                     preexec_fn=self._enter_cgroup if self.cgroup else None)
        out.close()
        if err is not subprocess.PIPE:
            err.close()
        try:
            getattr(self, "_ready_" + ("rsttrace" if self.is_rst else self.kind))(t0)
        except BaseException:
            self.kill()
            raise
        self.cpu_ready = cpu_seconds(self.proc.pid)

    def _enter_cgroup(self):
        # in the child before exec: all the tracer's threads start capped
        with open(self.cgroup, "w") as f:
            f.write("0")

    def _ready_rsttrace(self, t0):
        # the documented readiness signal: everything is attached
        with open(self.err, "wb") as saved:
            while True:
                line = self.proc.stderr.readline()
                if not line:
                    raise BenchError("%s exited before tracing (status %s)"
                                     % (self.kind, self.proc.wait()))
                saved.write(line)
                if line.startswith(b"Tracing"):
                    self.startup_ms = (time.monotonic() - t0) * 1000
                    return

    def _ready_tcpstates(self, t0):
        # its output is block-buffered in a file: the BPF link is the sign
        end = time.monotonic() + 60 * self.patience
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BenchError("tcpstates exited (status %s): %s" % (
                    self.proc.returncode, open(self.err).read().strip()))
            if bpf_fds(self.proc.pid)["link"]:
                self.startup_ms = (time.monotonic() - t0) * 1000
                return
            time.sleep(0.01)
        raise BenchError("tcpstates attached nothing in %.0f s" % (60 * self.patience))

    def _ready_bpftrace(self, t0):
        # bpftrace says "Attaching" before it attaches: a reset it reports
        # is the sign; what it reported before the load is left out
        port = closed_port()
        end = time.monotonic() + 120 * self.patience
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BenchError("bpftrace exited (status %s): %s" % (
                    self.proc.returncode, open(self.err).read().strip()))
            refuse_once(port)
            time.sleep(0.05)
            with open(self.out, "rb") as f:
                if re.search(rb"^sent ", f.read(), re.M):
                    self.startup_ms = (time.monotonic() - t0) * 1000
                    wait_quiet(self.out, 0.3)
                    self.baseline = lines_of(self.out)
                    return
        raise BenchError("bpftrace reported no reset in %.0f s" % (120 * self.patience))

    def cpu_now(self):
        return cpu_seconds(self.proc.pid) - self.cpu_ready

    def stop(self, quiet=0.5, limit=60.0):
        """SIGINT once its output has not grown for @quiet seconds (or after
        @limit); drain_s: how long it still wrote, None if it never paused."""
        self.drain_s = wait_quiet(self.out, quiet, limit)
        self.hwm_kb = vm_kb(self.proc.pid, "VmHWM")
        self.rss_kb = vm_kb(self.proc.pid, "VmRSS")
        self.proc.send_signal(signal.SIGINT)
        if self.proc.stderr:
            rest = self.proc.stderr.read()
            with open(self.err, "ab") as saved:
                saved.write(rest)
        try:
            _, status, self.rusage = os.wait4(self.proc.pid, 0)
        except ChildProcessError:
            status = 0
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.proc.returncode not in (0, -signal.SIGINT, 130):
            raise BenchError("%s exited with status %d: %s" % (
                self.kind, self.proc.returncode, open(self.err, errors="replace").read()[-500:]))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def records(self):
        """rsttrace's JSON records, one by one."""
        with open(self.out) as f:
            for line in f:
                yield json.loads(line)

    def lost_split(self):
        """(lost, lost but accounted for): rsttrace's "lost" records' counts,
        all of them and those naming a direction; 0 accounted for the others,
        whose loss messages are anonymous counts."""
        if not self.is_rst:
            return self.count(())[2], 0
        lost = accounted = 0
        for r in self.records():
            if r.get("type") == "lost":
                lost += r["count"]
                if r.get("direction") is not None:
                    accounted += r["count"]
        return lost, accounted

    def cpu_total(self):
        return self.rusage.ru_utime + self.rusage.ru_stime - self.cpu_ready

    def count(self, ports):
        """(sent, received, lost) resets this tracer reported for @ports;
        for tcpstates, transitions into CLOSE from SYN_SENT or ESTABLISHED."""
        sent = received = lost = 0
        err = open(self.err, errors="replace").read()
        if self.is_rst:
            with open(self.out) as f:
                for line in f:
                    r = json.loads(line)
                    if r.get("type") == "lost":
                        lost = max(lost, r["total"])
                    elif r.get("type") == "reset" and (r["lport"] in ports or r["rport"] in ports):
                        if r["direction"] == "sent":
                            sent += 1
                        else:
                            received += 1
        elif self.kind == "tcpstates":
            with open(self.out, errors="replace") as f:
                for line in f:
                    f_ = line.split()
                    if "->" not in f_:
                        continue
                    k = f_.index("->")
                    try:
                        lport, rport = int(f_[k - 4]), int(f_[k - 2])
                    except (ValueError, IndexError):
                        continue
                    if f_[k + 1] == "CLOSE" and f_[k - 1] in ("SYN_SENT", "ESTABLISHED") \
                            and (lport in ports or rport in ports):
                        received += 1
            lost = sum(int(n) for n in re.findall(r"lost (\d+) events", err))
        else:
            with open(self.out, errors="replace") as f:
                for i, line in enumerate(f):
                    if i < self.baseline:
                        continue
                    if line.startswith("sent "):
                        sent += 1
                    elif line.startswith("received "):
                        received += 1
            text = err + open(self.out, errors="replace").read()
            lost = sum(int(n) for n in re.findall(r"Lost (\d+) events", text))
        return sent, received, lost


def run_load(mode, *args):
    r = subprocess.run([RSTLOAD, mode] + [str(a) for a in args], capture_output=True, text=True)
    try:
        res = json.loads(r.stdout)
    except ValueError:
        raise BenchError("rstload %s failed: %s" % (mode, r.stderr.strip() or r.stdout))
    if r.returncode or res["failed"]:
        raise BenchError("rstload %s: %d operations failed (%s)" % (
            mode, res["failed"], res["first_error"]))
    return res


@contextlib.contextmanager
def traced(kind, tag, extra=(), cgroup=None, patience=1.0, quiet=0.5, limit=60.0):
    """A Tracer running for the block (None for kind "none"), stopped at its
    end (Tracer.stop(@quiet, @limit)), killed if the block fails."""
    tr = Tracer(kind, tag, extra, cgroup, patience) if kind != "none" else None
    if tr:
        tr.start()
    try:
        yield tr
    except BaseException:
        if tr:
            tr.kill()
        raise
    if tr:
        tr.stop(quiet, limit)


def storm_run(kind, tag, args, **how):
    """One storm under @kind; @how: traced()'s options."""
    with traced(kind, tag, **how) as tr:
        before = out_rsts()
        load = run_load("storm", "-n", args.storm_resets, "-t", args.threads)
        kernel_sent = out_rsts() - before
    res = {"tracer": kind, "rate": load["rate"], "kernel_sent": kernel_sent,
           "refused": load["refused"], "aborted": load["aborted"]}
    if not tr:
        return res
    ports = set([load["closed_port"]] + load["listen_ports"])
    sent, received, lost = tr.count(ports)
    _, accounted = tr.lost_split()
    res.update(startup_ms=tr.startup_ms, lost=lost, lost_accounted=accounted,
               drain_s=tr.drain_s, peak_rss_kb=tr.hwm_kb, rss_kb=tr.rss_kb)
    want_received = load["refused"] + load["aborted"]
    if kind == "tcpstates":
        # a refused connect closes one socket, an abort two
        expected = load["refused"] + 2 * load["aborted"]
        res.update(reported=received, expected=expected, capture=received / expected)
    else:
        res.update(sent=sent, received=received, reported=sent + received,
                   expected=kernel_sent + want_received,
                   capture=(sent + received) / (kernel_sent + want_received))
    res["accounted_for"] = (res["reported"] + accounted) / res["expected"]
    if tr.is_rst:
        events = sent + received
        res.update(cpu_s=tr.cpu_total(),
                   cpu_s_per_M=tr.cpu_total() / events * 1e6 if events else None)
    return res


def acceptor_args(hook):
    return ["--acceptor=" + hook] if hook not in (None, "auto") else []


def churn_run(kind, tag, args, acceptor=None):
    """One churn under @kind; rsttrace with --acceptor=@acceptor unless it
    is "auto" (the default)."""
    with traced(kind, tag, extra=acceptor_args(acceptor)):
        load = run_load("churn", "-d", args.churn_seconds, "-t", args.threads)
    return {"tracer": kind, "acceptor": acceptor, "rate": load["rate"],
            "cycles": load["cycles"]}


def acceptors_offered():
    """The acceptor hooks this kernel offers rsttrace (-V: acceptor_offered),
    none for a build that predates them."""
    r = subprocess.run([RSTTRACE, "-V", "--json"], capture_output=True, text=True)
    try:
        return json.loads(r.stdout).get("acceptor_offered", [])
    except ValueError:
        raise BenchError("rsttrace -V --json: " + (r.stderr.strip() or r.stdout))


def churn_configs(args, tcpstates):
    """(tracer, acceptor) pairs of the churn phase: none, rsttrace with each
    acceptor config, tcpstates if @tcpstates, rsttrace-base with --baseline."""
    confs = [("none", None)] + [("rsttrace", a) for a in ["auto"] + args.acceptors]
    if tcpstates:
        confs.append(("tcpstates", None))
    if BASELINE:
        confs.append(("rsttrace-base", None))
    return confs


def churn_round(args, results, r, tcpstates=True):
    for kind, acc in rotated(churn_configs(args, tcpstates), r):
        log("churn round %d: %s%s" % (r + 1, kind, " " + acc if acc else ""))
        tag = "churn%d%s" % (r, "-" + acc if acc else "")
        results["churn"].append(churn_run(kind, tag, args, acc))


def churn_phase(args, results, tcpstates=True):
    for r in range(args.rounds):
        churn_round(args, results, r, tcpstates)


def rotated(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def prog_deltas(snaps):
    """[{name, LOAD_runs, LOAD_ns}] of each program from @snaps, a list of
    (load, stats before, stats after)."""
    progs = []
    for i in sorted(snaps[0][1]):
        d = {"name": snaps[0][1][i][0]}
        for load, a, b in snaps:
            runs = b[i][2] - a[i][2]
            d[load + "_runs"] = runs
            d[load + "_ns"] = (b[i][1] - a[i][1]) / runs if runs else None
        progs.append(d)
    return progs


def stats_run(kind, tag, args):
    """ns per run of each program of @kind under churn then storm; and the
    memory of rsttrace's maps ([] for the others)."""
    with traced(kind, tag) as tr:
        fds = bpf_fds(tr.proc.pid)
        s0 = prog_stats(fds["prog"])
        run_load("churn", "-d", min(args.churn_seconds, 3), "-t", args.threads)
        s1 = prog_stats(fds["prog"])
        run_load("storm", "-n", args.storm_resets, "-t", args.threads)
        s2 = prog_stats(fds["prog"])
        maps = map_memory(tr.proc.pid) if kind == "rsttrace" else []
    return prog_deltas([("churn", s0, s1), ("storm", s1, s2)]), maps


def median_progs(rounds):
    """One program list from the lists of @rounds, each figure its median."""
    named = [by_name(progs) for progs in rounds]
    names = []
    for progs in named:
        names += [n for n in progs if n not in names]
    res = []
    for name in names:
        runs = [progs[name] for progs in named if name in progs]
        d = {"name": name}
        for load in ("churn", "storm"):
            d[load + "_runs"] = int(statistics.median(x[load + "_runs"] for x in runs))
            # not the cost of a few stray runs in a round, when most had none
            d[load + "_ns"] = med(x[load + "_ns"] for x in runs) if d[load + "_runs"] else None
        res.append(d)
    return res


def stats_phase(args):
    """ns per run of each program, under churn then storm, --rounds rounds
    alternating the tracers (rsttrace-base too, with --baseline): medians in
    res[KIND]["programs"], each round's in res[KIND]["rounds"]; then under
    churn for rsttrace with each acceptor hook (res["rsttrace"]["acceptors"])."""
    kinds = ["rsttrace", "tcpstates"] + (["rsttrace-base"] if BASELINE else [])
    rounds = {k: [] for k in kinds}
    res = {}
    with open(STATS_SYSCTL) as f:
        old = f.read().strip()
    with open(STATS_SYSCTL, "w") as f:
        f.write("1")
    try:
        for r in range(args.rounds):
            for kind in rotated(kinds, r):
                log("in-kernel cost round %d: %s" % (r + 1, kind))
                progs, maps = stats_run(kind, "stats%d" % r, args)
                rounds[kind].append(progs)
                if maps:
                    res.setdefault(kind, {}).update(
                        maps=maps, map_bytes=sum(m["bytes_memlock"] for m in maps))
        for kind in kinds:
            res.setdefault(kind, {}).update(programs=median_progs(rounds[kind]),
                                            rounds=rounds[kind])
        res["rsttrace"]["acceptors"] = {a: acceptor_stats(a, args) for a in args.acceptors}
    finally:
        with open(STATS_SYSCTL, "w") as f:
            f.write(old)
    return res


def acceptor_stats(hook, args):
    """ns per run of each rsttrace program under churn, --acceptor=@hook."""
    log("in-kernel cost: --acceptor=" + hook)
    with traced("rsttrace", "stats-" + hook, extra=acceptor_args(hook)) as tr:
        fds = bpf_fds(tr.proc.pid)
        s0 = prog_stats(fds["prog"])
        run_load("churn", "-d", min(args.churn_seconds, 3), "-t", args.threads)
        s1 = prog_stats(fds["prog"])
    return prog_deltas([("churn", s0, s1)])


class Hold:
    """rstload hold: @conns connections to one port, accepted by worker
    processes (accept4() given an address buffer, @accept "addr", or NULL),
    held until abort(); MAP: "CLIENT_IP CLIENT_PORT WORKER_PID" lines."""

    def __init__(self, conns, accept, tag):
        self.map = os.path.join(WORK, "hold-%s.map" % tag)
        self.errpath = os.path.join(WORK, "hold-%s.err" % tag)
        with open(self.errpath, "wb") as err:
            self.proc = subprocess.Popen(
                [RSTLOAD, "hold", "-c", str(conns), "-a", accept, "-o", self.map],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
        self.ready = self._line()
        if self.ready.get("phase") != "ready":
            self.kill()
            raise BenchError("rstload hold: %s" % self.ready.get("first_error"))

    def _line(self):
        line = self.proc.stdout.readline()
        try:
            return json.loads(line)
        except ValueError:
            self.kill()
            raise BenchError("rstload hold failed: %s" % (
                open(self.errpath).read().strip() or line))

    def abort(self):
        """The clients abort every connection: its final line."""
        try:
            self.proc.stdin.write("\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # it has failed: its last line says why
        done = self._line()
        self.proc.wait()
        if self.proc.returncode or done["failed"]:
            raise BenchError("rstload hold: %s" % done["first_error"])
        return done

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def scale_count(tr, port, mapfile):
    """Of the resets received on @port (one a held connection), those
    named after the worker that accepted the socket, owner_source "accept"."""
    owner = {}
    with open(mapfile) as f:
        for line in f:
            ip, cport, pid = line.split()
            owner[(ip, int(cport))] = int(pid)
    reported = named = 0
    sources = {}
    for r in tr.records():
        if r.get("type") != "reset" or r["direction"] != "received" or r["lport"] != port:
            continue
        reported += 1
        src = r.get("owner_source") or "none"
        sources[src] = sources.get(src, 0) + 1
        if src == "accept" and r["pid"] == owner.get((r["raddr"], r["rport"])):
            named += 1
    return {"mapped": len(owner), "reported": reported, "named": named,
            "named_share": named / reported if reported else 0.0, "owner_sources": sources}


def scale_run(kind, conns, accept, tag, args):
    """rstload hold under @kind, with a large ring, the tracer alone in a
    fresh memory cgroup: the maps' memory, and the kernel memory charged to
    that cgroup, while the connections are held (socket storage is charged
    there per socket, not to bytes_memlock)."""
    try:
        cgroup_root("memory")
        memcg = new_cgroup("memory")
        why = kmem_off()
    except BenchError as e:
        memcg, why = contextlib.nullcontext(), str(e)
    with memcg as cg, traced(kind, tag, extra=["--ringbuf-size", args.scale_ringbuf],
                             cgroup=cg and cg["procs"], quiet=1.0,
                             limit=args.drain_limit) as tr:
        before = memcg_usage(cg) if cg else None
        hold = Hold(conns, accept, tag)
        try:
            maps = map_memory(tr.proc.pid)
            held = memcg_usage(cg) if cg else None
            done = hold.abort()
        except BaseException:
            hold.kill()
            raise
    ring = [m for m in maps if m["type"] == "ringbuf"]
    res = {"tracer": kind, "conns": conns, "accept": accept,
           "workers": len(hold.ready["workers"]), "clients": len(hold.ready["clients"]),
           "nofile": hold.ready["nofile"], "setup_s": done["seconds"],
           "aborted": done["aborted"], "maps": maps,
           "map_bytes": sum(m["bytes_memlock"] for m in maps if m not in ring),
           "ringbuf_bytes": sum(m["bytes_memlock"] for m in ring),
           "memcg": cg and {"version": cg["version"], "ready": before, "held": held}}
    if cg and not why:
        if before["kmem"] is None:
            why = "the %s memory cgroup shows no kernel memory figure" % cg["version"]
        elif not before["kmem"]:
            why = "no kernel memory charged to the tracer's cgroup (kernel memory " \
                  "accounting off?)"
    res["kmem_bytes"] = None if why else held["kmem"] - before["kmem"]
    res["kmem_per_conn"] = None if why else res["kmem_bytes"] / conns
    res["mem_bytes"] = held["total"] - before["total"] if cg else None
    if why:
        res["kmem_null_why"] = why
    res.update(scale_count(tr, hold.ready["port"], hold.map))
    res["lost"], res["lost_accounted"] = tr.lost_split()
    if res["mapped"] != conns or res["aborted"] != conns:
        raise BenchError("rstload hold: %d connections mapped, %d aborted, of %d"
                         % (res["mapped"], res["aborted"], conns))
    return res


def scale_configs():
    confs = [("rsttrace", "addr"), ("rsttrace", "null")]
    if BASELINE:
        confs += [("rsttrace-base", "addr"), ("rsttrace-base", "null")]
    return confs


def scale_phase(args, results):
    try:
        results["params"]["memcg"] = "%s %s" % cgroup_root("memory")
    except BenchError as e:
        results["params"]["memcg"] = None
        log("scale: no kernel memory figures: %s" % e)
    for n in args.scale:
        for r in range(args.rounds):
            for kind, accept in rotated(scale_configs(), r):
                log("scale %d round %d: %s, accept4() %s" % (n, r + 1, kind, accept))
                results["scale"].append(
                    scale_run(kind, n, accept, "scale%d-%d-%s" % (n, r, accept), args))


def contention_run(kind, fraction, tag, args):
    """The storm with @kind's CPU capped at @fraction; its drain waited for."""
    with cpu_cap(fraction) as cg:
        res = storm_run(kind, tag, args, cgroup=cg["procs"], patience=1 / fraction,
                        quiet=2.0, limit=args.drain_limit)
    res.update(cpu=fraction, cpu_stat=cg["stat"])
    return res


def contention_phase(args, results):
    results["params"]["cgroup"] = "%s %s" % cpu_cgroup_root()
    kinds = ["rsttrace", "tcpstates", "bpftrace"] + (["rsttrace-base"] if BASELINE else [])
    for f in args.cpu_fractions:
        for r in range(args.rounds):
            for kind in rotated(kinds, r):
                log("contention %g CPU round %d: %s" % (f, r + 1, kind))
                results["contention"].append(
                    contention_run(kind, f, "cpu%g-%d" % (f, r), args))


OUTPUT_CONFIGS = [
    # (name, binary, arguments after --json; FILE: the -o file), the first
    # the reference: what the storm phase runs
    ("stdout", "rsttrace", []),
    ("-o", "rsttrace", ["-o", "FILE"]),
    ("-o rotated", "rsttrace", ["-o", "FILE", "--output-max-size", "16M", "--output-keep", "3"]),
    ("-o -Z nobody", "rsttrace", ["-o", "FILE", "-Z", "nobody"]),
    ("static -o", "rsttrace-static", ["-o", "FILE"]),
]


def io_written(pid):
    """wchar of /proc/PID/io: the bytes a process has passed to write() (a
    zombie's too, until it is reaped)."""
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise BenchError("no wchar in /proc/%d/io" % pid)


class OutTracer(Tracer):
    """rsttrace, ./@exe, in one outputs configuration: stdout to a file in
    the directory @tmp, -o's FILE there too. Drained when it has written
    nothing (/proc/PID/io wchar) for a while; reaped only once its bytes
    written are read."""

    def __init__(self, exe, extra, tmp, tag):
        self.file = os.path.join(tmp, "records.json")
        super().__init__("rsttrace", tag, [self.file if a == "FILE" else a for a in extra])
        self.exe = os.path.join(ROOT, exe)
        self.out = os.path.join(tmp, "stdout")
        self.err = os.path.join(WORK, "outputs-%s.err" % tag)
        self.wchar_ready = None
        self.wchar = None

    def command(self):
        return [self.exe, "--json"] + self.extra

    def start(self):
        super().start()
        self.wchar_ready = io_written(self.proc.pid)

    def stop(self, quiet=0.5, limit=60.0):
        pid = self.proc.pid
        self.drain_s = wait_quiet(lambda: io_written(pid), quiet, limit)
        self.hwm_kb = vm_kb(pid, "VmHWM")
        self.rss_kb = vm_kb(pid, "VmRSS")
        self.proc.send_signal(signal.SIGINT)
        rest = self.proc.stderr.read()
        with open(self.err, "ab") as saved:
            saved.write(rest)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        self.wchar = io_written(pid) - self.wchar_ready
        _, status, self.rusage = os.wait4(pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.proc.returncode not in (0, -signal.SIGINT, 130):
            raise BenchError("%s exited with status %d: %s" % (
                self.exe, self.proc.returncode, open(self.err, errors="replace").read()[-500:]))


def output_files(tr, ports):
    """What the files in @tr's directory hold (stdout's, FILE, FILE.1 ...):
    bytes, lines, unparsable or unterminated lines, the storm's resets."""
    d = os.path.dirname(tr.file)
    res = {"sizes": {}, "bytes": 0, "lines": 0, "line_bytes": 0, "bad": 0,
           "unterminated": 0, "resets": 0}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        res["sizes"][name] = len(data)
        res["bytes"] += len(data)
        parts = data.split(b"\n")
        if parts[-1]:
            res["unterminated"] += 1
        for line in parts[:-1]:
            res["lines"] += 1
            res["line_bytes"] += len(line) + 1
            try:
                r = json.loads(line)
            except ValueError:
                res["bad"] += 1
                continue
            if r.get("type") == "reset" and (r["lport"] in ports or r["rport"] in ports):
                res["resets"] += 1
    return res


def outputs_run(name, exe, extra, tag, args):
    """One storm under one OUTPUT_CONFIGS entry; its files deleted after."""
    tmp = tempfile.mkdtemp(prefix="outputs-", dir=WORK)
    try:
        tr = OutTracer(exe, extra, tmp, tag)
        tr.start()
        try:
            before = out_rsts()
            load = run_load("storm", "-n", args.outputs_resets, "-t", args.threads)
            kernel_sent = out_rsts() - before
        except BaseException:
            tr.kill()
            raise
        tr.stop()
        ports = set([load["closed_port"]] + load["listen_ports"])
        files = output_files(tr, ports)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(tr.err, "rb") as f:
        err = f.read()
    m = re.search(rb"rsttrace: (\d+) events, (\d+) lost", err)
    if not m:
        raise BenchError("%s: no end-of-run line: %s" % (name, err[-300:]))
    events, lost = int(m.group(1)), int(m.group(2))
    # what it wrote after "Tracing": the files, its stderr, and what the
    # rotation deleted
    ready = re.search(rb"^Tracing.*\n", err, re.M)
    stderr_bytes = len(err) - (ready.end() if ready else 0)
    expected = kernel_sent + load["refused"] + load["aborted"]
    cpu = tr.cpu_total()
    res = {"config": name, "binary": exe, "args": extra, "rate": load["rate"],
           "expected": expected, "reported": events, "lost": lost,
           "capture": events / expected, "in_files": files["resets"],
           "lines": files["lines"], "bad_lines": files["bad"],
           "unterminated": files["unterminated"], "file_sizes": files["sizes"],
           "file_bytes": files["bytes"], "line_bytes": files["line_bytes"],
           "written_bytes": tr.wchar, "stderr_bytes": stderr_bytes,
           "not_in_files_bytes": tr.wchar - stderr_bytes - files["bytes"],
           "startup_ms": tr.startup_ms, "peak_rss_kb": tr.hwm_kb, "rss_kb": tr.rss_kb,
           "drain_s": tr.drain_s, "cpu_s": cpu,
           "cpu_s_per_M": cpu / events * 1e6 if events else None}
    rotated = [v for k, v in files["sizes"].items() if re.search(r"\.\d+$", k)]
    if rotated:
        res["rotated_kept"] = len(rotated)
        res["rotated_max_bytes"] = max(rotated)
        res["rotations"] = len(rotated) + int(round(
            res["not_in_files_bytes"] / statistics.mean(rotated)))
    return res


def outputs_phase(args, results):
    """The storm under each OUTPUT_CONFIGS entry, alternating round by round."""
    confs = []
    for c in OUTPUT_CONFIGS:
        if os.access(os.path.join(ROOT, c[1]), os.X_OK):
            confs.append(c)
        else:
            note = "./%s is missing (make STATIC=1): '%s' skipped" % (c[1], c[0])
            log("outputs: " + note)
            results["params"].setdefault("outputs_skipped", []).append(note)
    for r in range(args.rounds):
        for name, exe, extra in rotated(confs, r):
            log("outputs round %d: %s" % (r + 1, name))
            slug = re.sub(r"[^a-z0-9]+", "-", name).strip("-")
            results["outputs"].append(
                outputs_run(name, exe, extra, "%d-%s" % (r, slug), args))


class Procs:
    """rstload procs: @conns connections held by @nprocs processes, both
    ends of each in one; MAP: "PID CLIENT_PORT SERVER_PORT" lines."""

    def __init__(self, nprocs, conns, tag):
        self.map = os.path.join(WORK, "procs-%s.map" % tag)
        self.errpath = os.path.join(WORK, "procs-%s.err" % tag)
        with open(self.errpath, "wb") as err:
            self.proc = subprocess.Popen(
                [RSTLOAD, "procs", "-p", str(nprocs), "-c", str(conns), "-o", self.map],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
        line = self.proc.stdout.readline()
        try:
            self.ready = json.loads(line)
        except ValueError:
            self.kill()
            raise BenchError("rstload procs failed: %s" % (
                open(self.errpath).read().strip() or line))
        if self.ready.get("failed"):
            self.kill()
            raise BenchError("rstload procs: %s" % self.ready.get("first_error"))
        self.conns = {}
        with open(self.map) as f:
            for line in f:
                pid, cport, sport = map(int, line.split())
                self.conns.setdefault(pid, []).append((cport, sport))

    def abort(self, pid):
        """Process @pid aborts its connections; back once it has."""
        self.proc.stdin.write("abort %d\n" % pid)
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if line.strip() != "aborted %d" % pid:
            raise BenchError("rstload procs: abort %d: %r" % (pid, line))

    def end(self):
        self.proc.stdin.close()
        self.proc.stdout.read()
        self.proc.wait()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def seed_owners(tr, procs, pids):
    """Of the resets of @pids' connections (a sent and a received one each),
    those that name the process as the owner, "seeded"."""
    want = {}
    for pid in pids:
        for cport, sport in procs.conns[pid]:
            want[("sent", cport, sport)] = pid
            want[("received", sport, cport)] = pid
    right = wrong = 0
    for r in tr.records():
        if r.get("type") != "reset":
            continue
        pid = want.pop((r["direction"], r["lport"], r["rport"]), None)
        if pid is None:
            continue
        if r["pid"] == pid and r["owner_source"] == "seeded":
            right += 1
        else:
            wrong += 1
    return {"sampled": right + wrong + len(want), "right": right, "wrong": wrong,
            "missing": len(want)}


def seed_run(loaded, tag, args):
    """rsttrace started on the idle host, or beside rstload procs (then 100
    of its processes abort their connections)."""
    procs = Procs(args.seed_procs, args.seed_conns, tag) if loaded else None
    try:
        with traced("rsttrace", tag, quiet=1.0) as tr:
            res = {"loaded": loaded, "startup_ms": tr.startup_ms}
            if procs:
                pids = sorted(procs.conns)
                sample = pids[::max(1, len(pids) // 100)][:100]
                for pid in sample:
                    procs.abort(pid)
        res["peak_rss_kb"] = tr.hwm_kb
        if procs:
            res.update(procs=len(procs.conns), conns=sum(map(len, procs.conns.values())),
                       setup_s=procs.ready["seconds"], **seed_owners(tr, procs, sample))
            procs.end()
    finally:
        if procs:
            procs.kill()
    return res


def seed_phase(args, results):
    for r in range(args.rounds):
        for loaded in rotated([False, True], r):
            log("seed round %d: %s" % (r + 1, "%d processes, %d connections" % (
                args.seed_procs, args.seed_conns) if loaded else "idle"))
            results["seed"].append(seed_run(loaded, "seed%d-%s" % (
                r, "loaded" if loaded else "idle"), args))


def report_seed(results, p):
    runs = results.get("seed")
    if not runs:
        return
    par = results["params"]
    idle = [r for r in runs if not r["loaded"]]
    busy = [r for r in runs if r["loaded"]]
    p("9. Seeding: rsttrace started beside %d processes holding %d connections (%d "
      "sockets), and on the idle host, alternating, %d rounds, medians" % (
          par["seed_procs"], par["seed_conns"], 2 * par["seed_conns"], par["rounds"]))
    summ = results["summary"]["seed"] = {}
    for k, unit, div in (("startup_ms", "ms", 1), ("peak_rss_kb", "MB", 1024)):
        a, b = med(r[k] for r in idle), med(r[k] for r in busy)
        summ[k] = {"idle": a, "loaded": b, "ratio": b / a}
        p("   %-12s idle %8.1f %s, loaded %8.1f %s (%.2f); runs: %s / %s" % (
            k, a / div, unit, b / div, unit, b / a,
            ", ".join("%.1f" % (r[k] / div) for r in idle),
            ", ".join("%.1f" % (r[k] / div) for r in busy)))
    right = sum(r["right"] for r in busy)
    sampled = sum(r["sampled"] for r in busy)
    summ.update(owners_right=right, owners_sampled=sampled)
    p("   owners after a reset (100 processes a run, both ends of each connection): "
      "%d of %d named right, owner_source \"seeded\": %s" % (
          right, sampled, mark(right == sampled)))
    p("   setup of the processes: %s s a run" % ", ".join(
        "%.0f" % r["setup_s"] for r in busy))


def fmt_rate(v):
    return "%.2f M/s" % (v / 1e6) if v >= 1e6 else "%.0f k/s" % (v / 1e3)


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def mark(ok):
    return "ok" if ok else "MISSED"


def report(results):
    """The table: each section whose figures @results holds."""
    parts = []
    for section in (report_storm, report_churn, report_stats, report_user, report_startup,
                    report_scale, report_contention, report_outputs, report_seed):
        lines = []
        section(results, lines.append)
        if lines:
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


def report_storm(results, p):
    if "storm" not in results:
        return
    p("1. Reset storm: %d resets a run (refused connects and aborts, %d threads), "
      "%d runs each, medians" % (results["params"]["storm_resets"], results["params"]["threads"],
                                  results["params"]["rounds"]))
    p("   %-10s %12s %12s %12s %10s %9s" % ("tracer", "rate", "expected", "reported", "lost",
                                             "capture"))
    for kind in ("none", "rsttrace", "tcpstates", "bpftrace"):
        runs = [r for r in results["storm"] if r["tracer"] == kind]
        if not runs:
            continue
        if kind == "none":
            p("   %-10s %12s %12s %12s %10s %9s" % (kind, fmt_rate(med(r["rate"] for r in runs)),
                                                 "-", "-", "-", "-"))
            continue
        worst = min(runs, key=lambda r: r["capture"])
        p("   %-10s %12s %12d %12d %10d %8.2f%%" % (
            kind, fmt_rate(med(r["rate"] for r in runs)), worst["expected"], worst["reported"],
            worst["lost"], 100 * worst["capture"]))
    p("   (expected: resets sent by the kernel (OutRsts) plus received; for tcpstates, "
      "closes into CLOSE; the worst run shown)")
    rst = [r for r in results["storm"] if r["tracer"] == "rsttrace"]
    if rst:
        full = all(r["lost"] == 0 and r["capture"] >= 1.0 for r in rst)
        p("   rsttrace captured everything in every run: %s" % mark(full))


def report_churn(results, p):
    runs = results.get("churn")
    if not runs:
        return
    p("2. Connection churn: %d s runs, %d threads, %d runs each, medians"
      % (results["params"]["churn_seconds"], results["params"]["threads"],
         results["params"]["rounds"]))
    base = med(r["rate"] for r in runs if r["tracer"] == "none")
    width = 13 if any(r["tracer"] == "rsttrace-base" for r in runs) else 10
    for kind in ("none", "rsttrace", "tcpstates", "rsttrace-base"):
        rate = med(r["rate"] for r in runs
                   if r["tracer"] == kind and r.get("acceptor") in (None, "auto"))
        if rate is None:
            continue
        ratio = rate / base
        note = ""
        if kind == "rsttrace":
            note = "  target >= %.0f%%: %s" % (100 * TARGETS["churn_ratio"],
                                               mark(ratio >= TARGETS["churn_ratio"]))
        p("   %-*s %12s  %6.1f%% of untraced%s" % (width, kind, fmt_rate(rate), 100 * ratio, note))
        results["summary"]["churn_ratio_" + kind] = ratio
    hooks = [a for a in results["params"].get("acceptors", [])
             if any(r.get("acceptor") == a for r in runs)]
    if hooks:
        p("   rsttrace --acceptor=HOOK (above: auto, the default):")
    for a in hooks:
        rate = med(r["rate"] for r in runs if r["tracer"] == "rsttrace" and r.get("acceptor") == a)
        p("     %-*s %12s  %6.1f%% of untraced" % (width - 2, a, fmt_rate(rate), 100 * rate / base))
        results["summary"]["churn_ratio_rsttrace_" + a] = rate / base


def report_stats(results, p):
    if "stats" not in results:
        return
    p("3. In-kernel cost (kernel.bpf_stats_enabled): ns per run")
    width = 13 if "rsttrace-base" in results["stats"] else 10
    p("   %-*s %-26s %10s %10s %10s %10s" % (width, "tracer", "program", "churn ns", "runs",
                                             "storm ns", "runs"))
    ns = lambda v: "%.0f" % v if v is not None else "-"
    for kind, st in results["stats"].items():
        for d in st["programs"]:
            if not d["churn_runs"] and not d["storm_runs"]:
                continue
            p("   %-*s %-26s %10s %10d %10s %10d" % (width, kind, d["name"][:26],
                                                    ns(d["churn_ns"]), d["churn_runs"],
                                                    ns(d["storm_ns"]), d["storm_runs"]))
    p("   targets: inet_sock_set_state <= %d ns, reset programs <= %d ns: %s" % (
        TARGETS["set_state_ns"], TARGETS["reset_prog_ns"], mark(results["summary"]["prog_ok"])))
    for line in acceptor_matrix(results["stats"]) + baseline_lines(results["stats"]):
        p(line)


def by_name(progs):
    """{name: program}, a repeated name numbered: "name (2)"."""
    res = {}
    for d in progs:
        name, k = d["name"], 1
        while name in res:
            k += 1
            name = "%s (%d)" % (d["name"], k)
        res[name] = d
    return res


def acceptor_matrix(stats):
    """rsttrace's programs under churn, a column per acceptor config."""
    rst = stats.get("rsttrace", {})
    if not rst.get("acceptors"):
        return []
    cols = {"auto": by_name(rst["programs"])}
    cols.update((a, by_name(progs)) for a, progs in rst["acceptors"].items())
    names = []
    for progs in cols.values():
        names += [n for n in progs if n not in names]
    lines = ["   rsttrace under churn by acceptor (--acceptor=HOOK; auto: the default), "
             "ns per run:",
             "   %-26s" % "program" + "".join(" %11s" % c[:11] for c in cols)]
    for name in names:
        cells = [progs.get(name) for progs in cols.values()]
        if not any(d and d["churn_runs"] for d in cells):
            continue
        lines.append("   %-26s" % name[:26] + "".join(
            " %11s" % ("%.0f" % d["churn_ns"] if d and d["churn_ns"] is not None else "-")
            for d in cells))
    return lines


def baseline_lines(stats):
    """rsttrace beside rsttrace-base (--baseline): each program's median ns
    per run under churn and storm, each round's, the ratio of the medians
    and the median of the rounds' ratios; rounds alternate the two, so that
    the noise of a shared machine falls on both."""
    if "rsttrace-base" not in stats:
        return []
    kinds = ("rsttrace", "rsttrace-base")
    meds = {k: by_name(stats[k]["programs"]) for k in kinds}
    each = {k: [by_name(progs) for progs in stats[k]["rounds"]] for k in kinds}
    names = []
    for k in kinds:
        names += [n for n in meds[k] if n not in names]
    ns = lambda v: "%.0f" % v if v is not None else "-"

    def cell(kind, name, load):
        d = meds[kind].get(name)
        per = " ".join(ns(r[name][load + "_ns"]) if name in r else "-" for r in each[kind])
        return "%6s (%s)" % (ns(d and d[load + "_ns"]), per), d and d[load + "_ns"]

    def round_ratios(name, load):
        """Each round's ratio: the two ran one after the other."""
        vals = [(a.get(name, {}).get(load + "_ns"), b.get(name, {}).get(load + "_ns"))
                for a, b in zip(each["rsttrace"], each["rsttrace-base"])]
        return med(a / b if a and b else None for a, b in vals)

    ratio = lambda v: "%.3f" % v if v else "-"
    lines = ["   rsttrace beside rsttrace-base (--baseline), ns per run: median (each round); "
             "ratio to the base: of the medians, median of the rounds'"]
    for name in names:
        for load in ("churn", "storm"):
            if not any(meds[k].get(name, {}).get(load + "_runs") for k in kinds):
                continue
            (new, a), (old, b) = cell("rsttrace", name, load), cell("rsttrace-base", name, load)
            lines.append("   %-26s %s  %s  base %s  %s, %s" % (
                name[:26], load, new, old, ratio(a and b and a / b),
                ratio(round_ratios(name, load))))
    return lines


def report_user(results, p):
    if "formatter" not in results:
        return
    f = results["formatter"]
    p("4. User space: formatter on one core: JSON %s, table %s (JSON formatting alone %s); "
      "target JSON >= 1 M/s: %s" % (fmt_rate(f["json_eps"]), fmt_rate(f["table_eps"]),
                                   fmt_rate(f["json_format_only_eps"]),
                                   mark(f["json_eps"] >= TARGETS["json_eps"])))
    cpu = med(r.get("cpu_s_per_M") for r in results["storm"] if r["tracer"] == "rsttrace")
    if cpu is not None:
        p("   rsttrace in the storm: %.2f CPU s per million events" % cpu)


def report_startup(results, p):
    s = results["summary"]
    if "startup_ms" not in s:
        return
    p("5. Start-up (exec to 'Tracing'): median %.0f ms, worst %.0f ms; target < %d ms: %s"
      % (s["startup_ms"], s["startup_ms_max"], TARGETS["startup_ms"],
         mark(s["startup_ms_max"] < TARGETS["startup_ms"])))
    p("   peak RSS: %.1f MB (worst run; RSS after the storm %.1f MB); target < 10 MB: %s"
      % (s["peak_rss_kb"] / 1024, s["rss_kb"] / 1024,
         mark(s["peak_rss_kb"] < TARGETS["peak_rss_kb"])))
    others = ["%s %.1f MB" % (k, max(r["peak_rss_kb"] for r in results["storm"]
                                     if r["tracer"] == k) / 1024)
              for k in ("tcpstates", "bpftrace")
              if any(r["tracer"] == k for r in results["storm"])]
    if others:
        p("   peak RSS of the others: " + ", ".join(others))
    maps = results["stats"].get("rsttrace", {}).get("maps", [])
    if maps:
        big = sorted(maps, key=lambda m: -m["bytes_memlock"])[:4]
        p("   BPF maps: %.1f MB in %d maps (largest: %s)" % (
            s["map_bytes"] / 2**20, len(maps),
            ", ".join("%s %.1f MB" % (m["name"], m["bytes_memlock"] / 2**20) for m in big)))


def report_scale(results, p):
    runs = results.get("scale")
    if not runs:
        return
    par = results["params"]
    p("6. Held connections, all aborted by their clients (a reset received by each accepted "
      "socket): ring %s, %d runs each, the worst shown" % (par["scale_ringbuf"], par["rounds"]))
    p("   %-7s %-13s %-6s %7s %10s %18s %8s %8s %8s" % (
        "conns", "tracer", "accept", "workers", "reported", "named correctly", "lost",
        "maps MB", "kmem MB"))
    for n in par["scale"]:
        for kind, accept in [(k, a) for k in ("rsttrace", "rsttrace-base") for a in ("addr", "null")]:
            mine = [r for r in runs if (r["conns"], r["tracer"], r["accept"]) == (n, kind, accept)]
            if not mine:
                continue
            w = min(mine, key=lambda r: (r["named_share"], -r["lost"]))
            kmem = [r.get("kmem_bytes") for r in mine if r.get("kmem_bytes") is not None]
            p("   %-7d %-13s %-6s %7d %10d %8d (%6.2f%%) %8d %8.1f %8s" % (
                n, kind, accept, w["workers"], w["reported"], w["named"], 100 * w["named_share"],
                w["lost"], max(r["map_bytes"] for r in mine) / 2**20,
                "%.1f" % (max(kmem) / 2**20) if kmem else "-"))
    p("   (named correctly: of the resets reported, those whose pid is the worker that "
      "accepted the socket, owner_source \"accept\"; accept: accept4() given an address "
      "buffer or NULL; maps: bytes_memlock while held, the ring apart; kmem: kernel memory "
      "charged to the tracer's memory cgroup (%s) while held, less at its start: socket "
      "storage among it, which bytes_memlock leaves out)" % (
          (par.get("memcg") or "none").split()[0]))
    for kind in ("rsttrace", "rsttrace-base"):
        per = [r["kmem_per_conn"] for r in runs
               if r["tracer"] == kind and r.get("kmem_per_conn") is not None]
        if per:
            p("   %s: %.0f to %.0f bytes of kernel memory per held connection" % (
                kind, min(per), max(per)))
    why = sorted(set(r["kmem_null_why"] for r in runs if r.get("kmem_null_why")))
    for w in why:
        p("   kmem -: " + w)


def cap_target(fraction):
    """rsttrace's target under a cap of @fraction: "lossless", "accounted"
    or None."""
    if fraction >= TARGETS["capped_lossless_cpu"]:
        return "lossless"
    if fraction >= TARGETS["capped_accounted_cpu"]:
        return "accounted"
    return None


def report_contention(results, p):
    runs = results.get("contention")
    if not runs:
        return
    par = results["params"]
    p("7. Reset storm, the tracer's CPU capped (cgroup %s, quota over a %d ms period): "
      "%d resets a run, %d runs each, the worst shown" % (
          par.get("cgroup", "?").split()[0], CG_PERIOD_US // 1000, par["storm_resets"],
          par["rounds"]))
    p("   %-5s %-13s %10s %10s %9s %9s %9s %10s %8s" % (
        "cpu", "tracer", "expected", "reported", "lost", "acc lost", "capture", "accounted",
        "drain s"))
    for f in par["cpu_fractions"]:
        for kind in ("rsttrace", "tcpstates", "bpftrace", "rsttrace-base"):
            mine = [r for r in runs if r["cpu"] == f and r["tracer"] == kind]
            if not mine:
                continue
            w = min(mine, key=lambda r: (r["accounted_for"], r["capture"]))
            drain = [r["drain_s"] for r in mine]
            p("   %-5g %-13s %10d %10d %9d %9d %8.2f%% %9.2f%% %8s" % (
                f, kind, w["expected"], w["reported"], w["lost"], w["lost_accounted"],
                100 * w["capture"], 100 * w["accounted_for"],
                "%.1f" % max(drain) if None not in drain else "> %g" % par["drain_limit"]))
    p("   (acc lost: lost but accounted for, rsttrace's \"lost\" records that name a "
      "direction; accounted: (reported + acc lost) / expected; drain: how long the tracer "
      "still wrote after the storm)")
    for f in par["cpu_fractions"]:
        mine = [r for r in runs if r["cpu"] == f and r["tracer"] == "rsttrace"]
        want = cap_target(f)
        if not mine or not want:
            continue
        if want == "lossless":
            ok = all(r["lost"] == 0 and r["capture"] >= 1.0 for r in mine)
            p("   rsttrace at %g CPU: 0 lost: %s" % (f, mark(ok)))
        else:
            ok = all(r["reported"] + r["lost_accounted"] == r["expected"] for r in mine)
            p("   rsttrace at %g CPU: every reset accounted for: %s" % (f, mark(ok)))
        results["summary"]["capped_%g_ok" % f] = ok


def report_outputs(results, p):
    runs = results.get("outputs")
    if not runs:
        return
    par = results["params"]
    p("8. Where the records go: the storm, %d resets a run (%d threads), under each "
      "configuration, alternating, %d rounds, medians (x: ratio to stdout)" % (
          par["outputs_resets"], par["threads"], par["rounds"]))
    p("   %-13s %9s %9s %9s %5s %9s %12s %12s %13s %8s %8s" % (
        "config", "rate", "expected", "reported", "lost", "in files", "CPU s/M ev",
        "start ms", "peak RSS MB", "written", "in files"))
    names = [c[0] for c in OUTPUT_CONFIGS if any(r["config"] == c[0] for r in runs)]
    ref = {k: med(r[k] for r in runs if r["config"] == names[0])
           for k in ("cpu_s_per_M", "startup_ms", "peak_rss_kb")}
    summ = results["summary"]["outputs"] = {}
    for name in names:
        mine = [r for r in runs if r["config"] == name]
        m = {k: med(r[k] for r in mine) for k in (
            "rate", "expected", "reported", "lost", "in_files", "cpu_s_per_M", "startup_ms",
            "peak_rss_kb", "written_bytes", "file_bytes")}
        for k in ("cpu_s_per_M", "startup_ms", "peak_rss_kb"):
            m[k + "_ratio"] = m[k] / ref[k] if m[k] is not None and ref[k] else None
        m["min_capture"] = min(r["capture"] for r in mine)
        m["runs"] = len(mine)
        summ[name] = m
        x = lambda k: "(%.2f)" % m[k + "_ratio"] if m[k + "_ratio"] is not None else ""
        p("   %-13s %9s %9d %9d %5d %9d %5.2f %6s %5.0f %6s %6.1f %6s %6.0fMB %6.0fMB" % (
            name, fmt_rate(m["rate"]), m["expected"], m["reported"], m["lost"], m["in_files"],
            m["cpu_s_per_M"], x("cpu_s_per_M"), m["startup_ms"], x("startup_ms"),
            m["peak_rss_kb"] / 1024, x("peak_rss_kb"), m["written_bytes"] / 1e6,
            m["file_bytes"] / 1e6))
    p("   (reported, lost: rsttrace's end-of-run count; in files: the storm's resets found in "
      "the files; written: bytes it passed to write() after 'Tracing' (/proc/PID/io); "
      "in files: stdout's file, FILE and the rotated FILE.N left)")
    rot = [r for r in runs if "rotations" in r]
    if rot:
        p("   -o rotated: %s rotations a run, %d to %d rotated files kept (largest %.1f MiB); "
          "%.0f to %.0f MB rotated away (deleted by --output-keep)" % (
              "/".join(str(r["rotations"]) for r in rot),
              min(r["rotated_kept"] for r in rot), max(r["rotated_kept"] for r in rot),
              max(r["rotated_max_bytes"] for r in rot) / 2**20,
              min(r["not_in_files_bytes"] for r in rot) / 1e6,
              max(r["not_in_files_bytes"] for r in rot) / 1e6))
    whole = all(r["bad_lines"] == 0 and r["unterminated"] == 0
                and r["line_bytes"] == r["file_bytes"] for r in runs)
    exact = all(r["not_in_files_bytes"] == 0 for r in runs if "rotations" not in r)
    found = all(r["reported"] == r["expected"] and r["lost"] == 0 and (
        "rotations" in r or (r["in_files"] == r["expected"] and r["lines"] == r["reported"]))
        for r in runs)
    p("   every file whole JSON lines (bytes in files = bytes of their lines): %s" % mark(whole))
    p("   bytes written = bytes in the files + stderr, every run without rotation: %s"
      % mark(exact))
    p("   every reset reported, none lost, every record in the files (but those rotated "
      "away): %s" % mark(found))
    if any(r["lost"] or r["capture"] < 1.0 for r in runs):
        p("   runs that missed resets: " + ", ".join(
            "%s %d of %d, %d lost" % (r["config"], r["reported"], r["expected"], r["lost"])
            for r in runs if r["lost"] or r["capture"] < 1.0))
    for note in par.get("outputs_skipped", []):
        p("   note: " + note)
    results["summary"].update(outputs_whole=whole, outputs_bytes_exact=exact,
                              outputs_all_found=found)


def num_list(conv):
    """argparse type: a comma-separated list of positive numbers."""
    def parse(text):
        try:
            vals = [conv(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError("want a comma-separated list: %r" % text)
        if not vals or min(vals) <= 0:
            raise argparse.ArgumentTypeError("want numbers above 0: %r" % text)
        return vals
    return parse


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--storm-resets", type=int, default=200000)
    ap.add_argument("--churn-seconds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2 * os.cpu_count())
    ap.add_argument("--scale", type=num_list(int), metavar="N,...",
                    help="connections held in the scale phase (default 10000,50000,100000)")
    ap.add_argument("--scale-ringbuf", default="256M", metavar="SIZE",
                    help="rsttrace's --ringbuf-size in the scale phase (default 256M)")
    ap.add_argument("--cpu-fractions", type=num_list(float), metavar="F,...",
                    help="the tracer's CPU quotas in the contention phase (default 0.5,0.2,0.1)")
    ap.add_argument("--drain-limit", type=float, default=300, metavar="S",
                    help="how long a capped tracer may take to drain (default 300 s)")
    ap.add_argument("--prewarm-mb", type=int, default=1024,
                    help="MiB written and deleted before the runs (default 1024; 0: none)")
    ap.add_argument("--baseline", metavar="PATH",
                    help="an older rsttrace build, run as rsttrace-base beside rsttrace")
    ap.add_argument("--quick", action="store_true",
                    help="one short round of each (a smoke test of the benchmark)")
    ap.add_argument("--outputs-resets", type=int, default=100000, metavar="N",
                    help="resets a run in the outputs phase (default 100000)")
    ap.add_argument("--seed-procs", type=int, default=10000, metavar="N",
                    help="processes holding connections in the seed phase (default 10000)")
    ap.add_argument("--seed-conns", type=int, default=50000, metavar="N",
                    help="connections they hold, both ends each (default 50000)")
    ap.add_argument("--only", choices=["stats", "churn", "scale", "contention", "outputs",
                                       "seed"],
                    help="only the in-kernel cost, the churn, the scale, the contention, "
                    "the outputs or the seed phase (for working on the BPF programs)")
    ap.add_argument("-o", "--output", default=os.path.join(WORK, "results.json"))
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.storm_resets, args.churn_seconds = 1, 20000, 2
        args.outputs_resets = 20000
        args.seed_procs, args.seed_conns = 1000, 5000
    if args.scale is None:
        args.scale = [2000] if args.quick else [10000, 50000, 100000]
    if args.cpu_fractions is None:
        args.cpu_fractions = [0.2] if args.quick else [0.5, 0.2, 0.1]
    for name in ("rounds", "storm_resets", "churn_seconds", "threads", "outputs_resets",
                 "seed_procs", "seed_conns"):
        if getattr(args, name) < 1:
            ap.error("--%s %d: want at least 1" % (name.replace("_", "-"), getattr(args, name)))
    if args.baseline and not os.access(args.baseline, os.X_OK):
        ap.error("--baseline %s: not an executable" % args.baseline)
    return args


def print_stats(st):
    for kind, v in st.items():
        for d in v["programs"]:
            print("%-13s %-26s churn %s ns (%d runs)  storm %s ns (%d runs)" % (
                kind, d["name"], "%.0f" % d["churn_ns"] if d["churn_ns"] else "-",
                d["churn_runs"], "%.0f" % d["storm_ns"] if d["storm_ns"] else "-",
                d["storm_runs"]))
    for line in acceptor_matrix(st) + baseline_lines(st):
        print(line)


def full_run(args, results):
    storm_kinds = ["none", "rsttrace", "tcpstates", "bpftrace"]
    results.update(storm=[], churn=[], scale=[], contention=[], outputs=[])
    for r in range(args.rounds):
        for kind in rotated(storm_kinds, r):
            log("storm round %d: %s" % (r + 1, kind))
            results["storm"].append(storm_run(kind, "storm%d" % r, args))
        churn_round(args, results, r)
    log("in-kernel cost")
    results["stats"] = stats_phase(args)
    log("formatter")
    fb = subprocess.run([FMTBENCH, "-n", "1000000" if not args.quick else "200000",
                         "-r", "5" if not args.quick else "1"],
                        capture_output=True, text=True)
    if fb.returncode:
        raise BenchError("fmtbench failed: " + fb.stderr.strip())
    results["formatter"] = json.loads(fb.stdout)
    scale_phase(args, results)
    contention_phase(args, results)
    outputs_phase(args, results)

    s = results["summary"]
    rst = [r for r in results["storm"] if r["tracer"] == "rsttrace"]
    startups = [r["startup_ms"] for r in rst]
    s["startup_ms"] = statistics.median(startups)
    s["startup_ms_max"] = max(startups)
    s["peak_rss_kb"] = max(r["peak_rss_kb"] for r in rst)
    s["rss_kb"] = max(r["rss_kb"] for r in rst)
    s["map_bytes"] = results["stats"]["rsttrace"].get("map_bytes", 0)
    ok = True
    for d in results["stats"]["rsttrace"]["programs"]:
        limit = TARGETS["set_state_ns"] if "set_state" in d["name"] else TARGETS["reset_prog_ns"]
        for load in ("churn", "storm"):
            if d[load + "_ns"] is not None and d[load + "_runs"] >= 100 and d[load + "_ns"] > limit:
                ok = False
    s["prog_ok"] = ok


def main():
    global BASELINE
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (it loads BPF programs)")
    for path in (RSTTRACE, RSTLOAD, FMTBENCH):
        if not os.access(path, os.X_OK):
            sys.exit("bench: %s is missing: run 'make bench'" % path)
    os.makedirs(WORK, exist_ok=True)
    if args.prewarm_mb > 0:
        log("pre-warming %d MiB of page cache" % args.prewarm_mb)
        prewarm(args.prewarm_mb)
    BASELINE = args.baseline and os.path.abspath(args.baseline)
    results = {"params": {"rounds": args.rounds, "storm_resets": args.storm_resets,
                          "churn_seconds": args.churn_seconds, "threads": args.threads,
                          "scale": args.scale, "scale_ringbuf": args.scale_ringbuf,
                          "cpu_fractions": args.cpu_fractions, "drain_limit": args.drain_limit,
                          "outputs_resets": args.outputs_resets,
                          "seed_procs": args.seed_procs, "seed_conns": args.seed_conns,
                          "baseline": BASELINE, "only": args.only,
                          "cpus": os.cpu_count(), "kernel": os.uname().release},
               "summary": {}}
    try:
        args.acceptors = acceptors_offered()
        results["params"]["acceptors"] = args.acceptors
        if args.only == "stats":
            print_stats(stats_phase(args))
            return
        if args.only:
            results[args.only] = []
            {"churn": lambda: churn_phase(args, results, tcpstates=False),
             "scale": lambda: scale_phase(args, results),
             "contention": lambda: contention_phase(args, results),
             "outputs": lambda: outputs_phase(args, results),
             "seed": lambda: seed_phase(args, results)}[args.only]()
        else:
            full_run(args, results)
    except BenchError as e:
        sys.exit("bench: " + str(e))

    text = report(results)
    print(text)
    if args.only == "churn":
        base = med(x["rate"] for x in results["churn"] if x["tracer"] == "none")
        rate = med(x["rate"] for x in results["churn"]
                   if x["tracer"] == "rsttrace" and x["acceptor"] == "auto")
        print("churn: untraced %.0f/s, rsttrace %.0f/s (%.1f%%)" % (base, rate, 100 * rate / base))
    results["table"] = text.splitlines()
    with open(args.output, "w") as f:
        json.dump(results, f, indent=1)
    print("\nfigures in %s" % os.path.relpath(args.output))


if __name__ == "__main__":
    main()
