#!/usr/bin/env python3
"""make bench: what rsttrace costs, and what it catches, beside the tools
users would pick instead (Debian's libbpf-tools tcpstates, a bpftrace
script on the same tracepoints). Run as root on an otherwise idle machine.

  bench.py [--rounds N] [--storm-resets N] [--churn-seconds S] [--quick]
           [-o FILE]

1. Reset storm: tests/bench/rstload makes N resets on loopback as fast as
   it can (refused connects and aborted connections, several threads), with
   no tracer, rsttrace (defaults, JSON to a file), tcpstates and bpftrace,
   alternating. The kernel's count (/proc/net/snmp OutRsts) against what
   each tracer reported and lost.
2. Connection churn: connect/accept/write/close cycles per second with no
   tracer, rsttrace and tcpstates, alternating; each as a ratio to none.
3. In-kernel cost: ns per run of each BPF program (kernel.bpf_stats_enabled)
   under the churn and under the storm, for rsttrace and tcpstates.
4. User-space cost: tests/bench/fmtbench's events per second (JSON, table)
   on one core; rsttrace's CPU seconds per million events in the storm.
5. Start-up (exec to the "Tracing" line), peak RSS and the memory of
   rsttrace's maps (bpftool map show).

Prints a table and writes every figure to FILE (default
.output/bench/results.json). Exit status 1 if a run failed (a tracer did not
start, the load generator failed); missed targets are shown, not fatal.
"""
import argparse
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".output")
RSTTRACE = os.path.join(ROOT, "rsttrace")
RSTLOAD = os.path.join(OUT, "rstload")
FMTBENCH = os.path.join(OUT, "fmtbench")
BT_SCRIPT = os.path.join(ROOT, "tests", "bench", "resets.bt")
WORK = os.path.join(OUT, "bench")
STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"

TARGETS = {
    "storm_capture": 1.0,        # rsttrace: every reset, none lost
    "churn_ratio": 0.97,         # of the untraced rate
    "set_state_ns": 150,
    "reset_prog_ns": 1000,
    "json_eps": 1e6,
    "startup_ms": 300,
    "peak_rss_kb": 10 * 1024,
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
    """Until @path has not grown for @quiet seconds: the tracer has drained."""
    end = time.monotonic() + limit
    size, since = -1, time.monotonic()
    while time.monotonic() < end:
        s = os.path.getsize(path)
        if s != size:
            size, since = s, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


class Tracer:
    """One run of one tracer, its output in files under WORK."""

    def __init__(self, kind, tag):
        self.kind = kind
        self.out = os.path.join(WORK, "%s-%s.out" % (kind, tag))
        self.err = os.path.join(WORK, "%s-%s.err" % (kind, tag))
        self.proc = None
        self.startup_ms = None
        self.baseline = 0
        self.cpu_ready = 0.0
        self.rusage = None
        self.hwm_kb = None
        self.rss_kb = None

    def start(self):
        cmd = {"rsttrace": [RSTTRACE, "--json"],
               "tcpstates": ["tcpstates"],
               "bpftrace": ["bpftrace", BT_SCRIPT]}[self.kind]
        out = open(self.out, "wb")
        err = open(self.err, "wb") if self.kind != "rsttrace" else subprocess.PIPE
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        out.close()
        if err is not subprocess.PIPE:
            err.close()
        try:
            getattr(self, "_ready_" + self.kind)(t0)
        except BaseException:
            self.kill()
            raise
        self.cpu_ready = cpu_seconds(self.proc.pid)

    def _ready_rsttrace(self, t0):
        # the documented readiness signal: everything is attached
        with open(self.err, "wb") as saved:
            while True:
                line = self.proc.stderr.readline()
                if not line:
                    raise BenchError("rsttrace exited before tracing (status %s)"
                                     % self.proc.wait())
                saved.write(line)
                if line.startswith(b"Tracing"):
                    self.startup_ms = (time.monotonic() - t0) * 1000
                    return

    def _ready_tcpstates(self, t0):
        # its output is block-buffered in a file: the BPF link is the sign
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BenchError("tcpstates exited (status %s): %s" % (
                    self.proc.returncode, open(self.err).read().strip()))
            if bpf_fds(self.proc.pid)["link"]:
                self.startup_ms = (time.monotonic() - t0) * 1000
                return
            time.sleep(0.01)
        raise BenchError("tcpstates attached nothing in 60 s")

    def _ready_bpftrace(self, t0):
        # bpftrace says "Attaching" before it attaches: a reset it reports
        # is the sign; what it reported before the load is left out
        port = closed_port()
        end = time.monotonic() + 120
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
        raise BenchError("bpftrace reported no reset in 120 s")

    def cpu_now(self):
        return cpu_seconds(self.proc.pid) - self.cpu_ready

    def stop(self):
        wait_quiet(self.out)
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

    def cpu_total(self):
        return self.rusage.ru_utime + self.rusage.ru_stime - self.cpu_ready

    def count(self, ports):
        """(sent, received, lost) resets this tracer reported for @ports;
        for tcpstates, transitions into CLOSE from SYN_SENT or ESTABLISHED."""
        sent = received = lost = 0
        err = open(self.err, errors="replace").read()
        if self.kind == "rsttrace":
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
def traced(kind, tag):
    """A Tracer running for the block (None for kind "none"), stopped at its
    end, killed if the block fails."""
    tr = Tracer(kind, tag) if kind != "none" else None
    if tr:
        tr.start()
    try:
        yield tr
    except BaseException:
        if tr:
            tr.kill()
        raise
    if tr:
        tr.stop()


def storm_run(kind, tag, args):
    with traced(kind, tag) as tr:
        before = out_rsts()
        load = run_load("storm", "-n", args.storm_resets, "-t", args.threads)
        kernel_sent = out_rsts() - before
    res = {"tracer": kind, "rate": load["rate"], "kernel_sent": kernel_sent,
           "refused": load["refused"], "aborted": load["aborted"]}
    if not tr:
        return res
    ports = set([load["closed_port"]] + load["listen_ports"])
    sent, received, lost = tr.count(ports)
    res.update(startup_ms=tr.startup_ms, lost=lost, peak_rss_kb=tr.hwm_kb, rss_kb=tr.rss_kb)
    want_received = load["refused"] + load["aborted"]
    if kind == "tcpstates":
        # a refused connect closes one socket, an abort two
        expected = load["refused"] + 2 * load["aborted"]
        res.update(reported=received, expected=expected, capture=received / expected)
    else:
        res.update(sent=sent, received=received, reported=sent + received,
                   expected=kernel_sent + want_received,
                   capture=(sent + received) / (kernel_sent + want_received))
    if kind == "rsttrace":
        events = sent + received
        res.update(cpu_s=tr.cpu_total(),
                   cpu_s_per_M=tr.cpu_total() / events * 1e6 if events else None)
    return res


def churn_run(kind, tag, args):
    with traced(kind, tag):
        load = run_load("churn", "-d", args.churn_seconds, "-t", args.threads)
    return {"tracer": kind, "rate": load["rate"], "cycles": load["cycles"]}


def rotated(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def stats_phase(args):
    """ns per run of each program, under churn then storm."""
    res = {}
    with open(STATS_SYSCTL) as f:
        old = f.read().strip()
    with open(STATS_SYSCTL, "w") as f:
        f.write("1")
    try:
        for kind in ("rsttrace", "tcpstates"):
            with traced(kind, "stats") as tr:
                fds = bpf_fds(tr.proc.pid)
                s0 = prog_stats(fds["prog"])
                run_load("churn", "-d", min(args.churn_seconds, 3), "-t", args.threads)
                s1 = prog_stats(fds["prog"])
                run_load("storm", "-n", args.storm_resets, "-t", args.threads)
                s2 = prog_stats(fds["prog"])
                maps = []
                if kind == "rsttrace":
                    for i in fds["map"]:
                        m = bpftool("map", "show", "id", str(i))
                        maps.append({"name": m.get("name", "?"), "type": m.get("type"),
                                     "bytes_memlock": m.get("bytes_memlock", 0)})
            progs = []
            for i in sorted(s0):
                name = s0[i][0]
                d = {"name": name}
                for load, a, b in (("churn", s0, s1), ("storm", s1, s2)):
                    runs = b[i][2] - a[i][2]
                    d[load + "_runs"] = runs
                    d[load + "_ns"] = (b[i][1] - a[i][1]) / runs if runs else None
                progs.append(d)
            res[kind] = {"programs": progs}
            if maps:
                res[kind]["maps"] = maps
                res[kind]["map_bytes"] = sum(m["bytes_memlock"] for m in maps)
    finally:
        with open(STATS_SYSCTL, "w") as f:
            f.write(old)
    return res


def fmt_rate(v):
    return "%.2f M/s" % (v / 1e6) if v >= 1e6 else "%.0f k/s" % (v / 1e3)


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def report(results):
    lines = []
    p = lines.append
    mark = lambda ok: "ok" if ok else "MISSED"
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

    p("")
    p("2. Connection churn: %d s runs, %d threads, %d runs each, medians"
      % (results["params"]["churn_seconds"], results["params"]["threads"],
         results["params"]["rounds"]))
    base = med(r["rate"] for r in results["churn"] if r["tracer"] == "none")
    for kind in ("none", "rsttrace", "tcpstates"):
        rate = med(r["rate"] for r in results["churn"] if r["tracer"] == kind)
        if rate is None:
            continue
        ratio = rate / base
        note = ""
        if kind == "rsttrace":
            note = "  target >= %.0f%%: %s" % (100 * TARGETS["churn_ratio"],
                                               mark(ratio >= TARGETS["churn_ratio"]))
        p("   %-10s %12s  %6.1f%% of untraced%s" % (kind, fmt_rate(rate), 100 * ratio, note))
        results["summary"]["churn_ratio_" + kind] = ratio

    p("")
    p("3. In-kernel cost (kernel.bpf_stats_enabled): ns per run")
    p("   %-10s %-26s %10s %10s %10s %10s" % ("tracer", "program", "churn ns", "runs",
                                              "storm ns", "runs"))
    for kind, st in results["stats"].items():
        for d in st["programs"]:
            if not d["churn_runs"] and not d["storm_runs"]:
                continue
            ns = lambda v: "%.0f" % v if v is not None else "-"
            p("   %-10s %-26s %10s %10d %10s %10d" % (kind, d["name"][:26], ns(d["churn_ns"]),
                                                     d["churn_runs"], ns(d["storm_ns"]),
                                                     d["storm_runs"]))
    p("   targets: inet_sock_set_state <= %d ns, reset programs <= %d ns: %s" % (
        TARGETS["set_state_ns"], TARGETS["reset_prog_ns"], mark(results["summary"]["prog_ok"])))

    p("")
    f = results["formatter"]
    p("4. User space: formatter on one core: JSON %s, table %s (JSON formatting alone %s); "
      "target JSON >= 1 M/s: %s" % (fmt_rate(f["json_eps"]), fmt_rate(f["table_eps"]),
                                   fmt_rate(f["json_format_only_eps"]),
                                   mark(f["json_eps"] >= TARGETS["json_eps"])))
    cpu = med(r.get("cpu_s_per_M") for r in rst)
    if cpu is not None:
        p("   rsttrace in the storm: %.2f CPU s per million events" % cpu)

    p("")
    s = results["summary"]
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
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--storm-resets", type=int, default=200000)
    ap.add_argument("--churn-seconds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2 * os.cpu_count())
    ap.add_argument("--quick", action="store_true",
                    help="one short round of each (a smoke test of the benchmark)")
    ap.add_argument("--only", choices=["stats", "churn"],
                    help="only the in-kernel cost, or only the churn (for working on "
                    "the BPF programs)")
    ap.add_argument("-o", "--output", default=os.path.join(WORK, "results.json"))
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.storm_resets, args.churn_seconds = 1, 20000, 2
    for name in ("rounds", "storm_resets", "churn_seconds", "threads"):
        if getattr(args, name) < 1:
            ap.error("--%s %d: want at least 1" % (name.replace("_", "-"), getattr(args, name)))
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (it loads BPF programs)")
    for path in (RSTTRACE, RSTLOAD, FMTBENCH):
        if not os.access(path, os.X_OK):
            sys.exit("bench: %s is missing: run 'make bench'" % path)
    os.makedirs(WORK, exist_ok=True)

    if args.only == "stats":
        try:
            st = stats_phase(args)
        except BenchError as e:
            sys.exit("bench: " + str(e))
        for kind, v in st.items():
            for d in v["programs"]:
                print("%-10s %-26s churn %s ns (%d runs)  storm %s ns (%d runs)" % (
                    kind, d["name"], "%.0f" % d["churn_ns"] if d["churn_ns"] else "-",
                    d["churn_runs"], "%.0f" % d["storm_ns"] if d["storm_ns"] else "-",
                    d["storm_runs"]))
        return
    if args.only == "churn":
        try:
            runs = [churn_run(kind, "churn%d" % r, args)
                    for r in range(args.rounds)
                    for kind in rotated(["none", "rsttrace"], r)]
        except BenchError as e:
            sys.exit("bench: " + str(e))
        base = med(x["rate"] for x in runs if x["tracer"] == "none")
        rate = med(x["rate"] for x in runs if x["tracer"] == "rsttrace")
        print("churn: untraced %.0f/s, rsttrace %.0f/s (%.1f%%)" % (base, rate, 100 * rate / base))
        return
    results = {"params": {"rounds": args.rounds, "storm_resets": args.storm_resets,
                          "churn_seconds": args.churn_seconds, "threads": args.threads,
                          "cpus": os.cpu_count(), "kernel": os.uname().release},
               "storm": [], "churn": [], "summary": {}}
    try:
        storm_kinds = ["none", "rsttrace", "tcpstates", "bpftrace"]
        churn_kinds = ["none", "rsttrace", "tcpstates"]
        for r in range(args.rounds):
            for kind in rotated(storm_kinds, r):
                log("storm round %d: %s" % (r + 1, kind))
                results["storm"].append(storm_run(kind, "storm%d" % r, args))
            for kind in rotated(churn_kinds, r):
                log("churn round %d: %s" % (r + 1, kind))
                results["churn"].append(churn_run(kind, "churn%d" % r, args))
        log("in-kernel cost")
        results["stats"] = stats_phase(args)
        log("formatter")
        fb = subprocess.run([FMTBENCH, "-n", "1000000" if not args.quick else "200000",
                             "-r", "5" if not args.quick else "1"],
                            capture_output=True, text=True)
        if fb.returncode:
            raise BenchError("fmtbench failed: " + fb.stderr.strip())
        results["formatter"] = json.loads(fb.stdout)
    except BenchError as e:
        sys.exit("bench: " + str(e))

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
    text = report(results)
    print(text)
    results["table"] = text.splitlines()
    with open(args.output, "w") as f:
        json.dump(results, f, indent=1)
    print("\nfigures in %s" % os.path.relpath(args.output))


if __name__ == "__main__":
    main()
