#!/usr/bin/env python3
"""make soak: run rsttrace for a long while under mixed load and check that
nothing it holds grows without bound and that it loses no reset. As root.

  soak.py [--seconds S] [--map-every S] [--rows N] [--allow-lost] [--own]
          [--cgroup-churn] [-o FILE]

rsttrace runs with --json (its stdout read line by line by this script,
which counts records and parses every "lost" one) and --metrics on a
loopback port that is scraped every 2 s, in a memory cgroup of its own
(so that the kernel memory of its maps and of the socket storage it
allocates is charged there: the storage's elements are charged to the
memory cgroup of the map's creator). Meanwhile, in parallel:

- churn: tests/bench/rstload churn, one thread, 3 s of every 5;
- storms: rstload storm, 4,000 resets (a quarter aborted connections, the
  rest refused connects) on 2 threads every 4 s;
- listeners: every 0.5 s a listener on a random port gets 8 connections
  it never accepts and is closed (resets sent to its clients); every other
  one is reopened on the same port first (a restart);
- network namespaces: every 3 s a namespace joined by a veth pair is made,
  gets a refused connect and an aborted connection from a process inside
  it (ip netns exec), and is deleted;
- processes: every second 5 short-lived bash processes each connect to a
  listener of this script, which sends them data, and exit without
  reading it (their exit resets the connection); with --cgroup-churn,
  each second's 5 in a new cgroup v2 directory, removed after.

Once a second it samples rsttrace's VmRSS, open fds and the kernel memory
charged to its memory cgroup (memory.kmem.usage_in_bytes on cgroup v1,
memory.stat "kernel" on cgroup2); every --map-every seconds (default 5)
the entries of each of its hash maps (BPF_MAP_LOOKUP_BATCH by map id,
keys and values copied out, no JSON: 100,000 entries take some 50 ms).
Socket storage entries cannot be counted from user space (the map has no
key iteration) and its bytes_memlock counts only the map's buckets; its
elements show in the cgroup's kernel memory. /proc/slabinfo has no cache
of its own for them (they come from the kmalloc-* caches shared with the
rest of the kernel), so it is not used.

Fails (exit status 1) when:
- a quantity grows: its largest value in the last third of the run is
  above its largest in the middle third by more than its tolerance (for
  kernel memory the smallest: it follows the host's live TCP sockets,
  each with socket storage, about 300 bytes, whoever owns it)
  (RSS 2% + 512 KiB, fds 4, kernel memory 2% + 1 MiB, a map's entries
  5% + 64). A map whose last-third largest is at least 95% of its
  max_entries is at capacity ("full": an LRU evicting, a plain hash
  refusing updates), not growing; an LRU map's entries growing below that
  are shown as "lru", not a failure either: they are bounded by its
  max_entries and its memory is allocated when it is made;
- a reset is lost (rsttrace's "lost" records, its end-of-run count and
  rsttrace_events_lost_total), unless --allow-lost: the load stays well
  within what make bench shows rsttrace keeping up with (36,000 resets/s
  for 200,000 resets, none lost, even capped at 0.2 CPU);
- a record is not written (rsttrace_output_unwritten_total), a scrape of
  /metrics fails, a line is not whole JSON, rsttrace exits early or its
  end-of-run event count differs from the records read;
- the load generators fail.

Prints one row per tenth of the run and writes every sample to FILE
(default .output/soak/results.json).
"""
import argparse
import contextlib
import ctypes
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its helpers: vm_kb, bpf_fds, bpftool, cgroups)

ROOT = bench.ROOT
RSTTRACE = bench.RSTTRACE
RSTLOAD = bench.RSTLOAD
WORK = os.path.join(bench.OUT, "soak")
TAG = "rstsoak%d" % os.getpid()
# the listeners' address: one of loopback's that no one else uses, so that
# another job's connect to a port it believes closed cannot land on them
ADDR = "127.113.%d.%d" % (os.getpid() >> 8 & 255, os.getpid() & 255 or 1)

HASH_TYPES = ("hash", "lru_hash", "percpu_hash", "lru_percpu_hash")
# (relative, absolute) growth allowed from the middle third to the last
TOLERANCE = {"rss_kb": (0.02, 512), "fds": (0.0, 4), "kmem_kb": (0.02, 1024),
             "map": (0.05, 64)}
FULL_SHARE = 0.95
MAX_SERIES = 256


def log(msg):
    print("soak: " + msg, file=sys.stderr, flush=True)


class SoakError(Exception):
    pass


# ---- map entries, by bpf(2) through ctypes ----

SYS_BPF = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine)
BPF_MAP_GET_FD_BY_ID = 14
BPF_MAP_LOOKUP_BATCH = 24
_libc = ctypes.CDLL(None, use_errno=True)


class _BatchAttr(ctypes.Structure):
    _fields_ = [("in_batch", ctypes.c_uint64), ("out_batch", ctypes.c_uint64),
                ("keys", ctypes.c_uint64), ("values", ctypes.c_uint64),
                ("count", ctypes.c_uint32), ("map_fd", ctypes.c_uint32),
                ("elem_flags", ctypes.c_uint64), ("flags", ctypes.c_uint64)]


class _IdAttr(ctypes.Structure):
    _fields_ = [("map_id", ctypes.c_uint32), ("next_id", ctypes.c_uint32),
                ("open_flags", ctypes.c_uint32), ("pad", ctypes.c_uint32 * 13)]


def _bpf(cmd, attr):
    r = _libc.syscall(SYS_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    return r, ctypes.get_errno()


def map_fd(map_id):
    attr = _IdAttr(map_id=map_id)
    fd, err = _bpf(BPF_MAP_GET_FD_BY_ID, attr)
    if fd < 0:
        raise SoakError("map id %d: %s" % (map_id, os.strerror(err)))
    return fd


def count_entries(fd, key_size, value_size, percpu):
    """Entries of a hash map, by BPF_MAP_LOOKUP_BATCH: the cursor is a
    bucket index, so entries deleted meanwhile do not restart the walk
    (BPF_MAP_GET_NEXT_KEY starts over when its key is gone)."""
    if percpu:
        value_size = (value_size + 7) // 8 * 8 * os.cpu_count()
    chunk = 8192
    total = 0
    first = True
    cursor = ctypes.c_uint32(0)
    out = ctypes.c_uint32(0)
    while True:
        keys = ctypes.create_string_buffer(chunk * key_size)
        vals = ctypes.create_string_buffer(chunk * value_size)
        attr = _BatchAttr(in_batch=0 if first else ctypes.addressof(cursor),
                          out_batch=ctypes.addressof(out), keys=ctypes.addressof(keys),
                          values=ctypes.addressof(vals), count=chunk, map_fd=fd)
        r, err = _bpf(BPF_MAP_LOOKUP_BATCH, attr)
        if r < 0 and err == 28:         # ENOSPC: a bucket holds more than chunk
            chunk *= 4
            continue
        if r < 0 and err != 2:          # ENOENT: the last batch
            raise SoakError("BPF_MAP_LOOKUP_BATCH: %s" % os.strerror(err))
        total += attr.count
        if r < 0:
            return total
        first = False
        cursor.value = out.value


class Maps:
    """rsttrace's BPF maps, found by its fds (/proc/PID/fdinfo map_id) and
    described by bpftool map show."""

    def __init__(self, pid):
        self.maps = []
        for i in sorted(bench.bpf_fds(pid)["map"]):
            m = bench.bpftool("map", "show", "id", str(i))
            name = m.get("name", "?")
            if name.endswith(".rodata") or name.endswith(".bss") or name.endswith(".data"):
                continue
            m["fd"] = map_fd(i) if m["type"] in HASH_TYPES else None
            self.maps.append(m)

    def names(self):
        return [m["name"] for m in self.maps if m["fd"] is not None]

    def counted(self):
        return [m for m in self.maps if m["fd"] is not None]

    def sample(self):
        """{name: entries} of the hash maps, and the seconds it took."""
        t0 = time.monotonic()
        res = {m["name"]: count_entries(m["fd"], m["bytes_key"], m["bytes_value"],
                                        "percpu" in m["type"]) for m in self.counted()}
        return res, time.monotonic() - t0

    def close(self):
        for m in self.maps:
            if m["fd"] is not None:
                os.close(m["fd"])


# ---- rsttrace and what it writes ----

class Reader(threading.Thread):
    """Reads rsttrace's stdout to its end: counts lines by type, parses every
    "lost" record and one line in 97 (whole JSON lines only)."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lock = threading.Lock()
        self.lines = self.resets = self.lost_records = self.lost = 0
        self.lost_total = 0
        self.bad = []
        self.bytes = 0

    def _line(self, line):
        if line.startswith(b'{"type":"reset"'):
            self.resets += 1
            if self.lines % 97 == 0:
                self._parse(line)
        elif line.startswith(b'{"type":"lost"'):
            r = self._parse(line)
            if r:
                self.lost_records += 1
                self.lost += r.get("count", 0)
                self.lost_total = max(self.lost_total, r.get("total", 0))
        else:
            self._parse(line)
        self.lines += 1

    def _parse(self, line):
        try:
            return json.loads(line)
        except ValueError:
            if len(self.bad) < 5:
                self.bad.append(line[:200].decode(errors="replace"))
            return None

    def run(self):
        rest = b""
        while True:
            data = self.stream.read1(1 << 16)
            if not data:
                break
            data = rest + data
            lines = data.split(b"\n")
            rest = lines.pop()
            with self.lock:
                self.bytes += len(data) - len(rest)
                for line in lines:
                    self._line(line)
        if rest:
            with self.lock:
                self.bad.append("unterminated last line: " + rest[:200].decode(errors="replace"))

    def counts(self):
        with self.lock:
            return {"records": self.lines, "resets": self.resets, "lost": self.lost,
                    "lost_records": self.lost_records}


class Scraper(threading.Thread):
    """GET /metrics every @every seconds; the last values of rsttrace_*."""

    def __init__(self, port, every, stop):
        super().__init__(daemon=True)
        self.url = "http://127.0.0.1:%d/metrics" % port
        self.every = every
        self.stop = stop
        self.scrapes = 0
        self.failures = []
        self.values = {}

    def run(self):
        while not self.stop.wait(self.every):
            self.scrape()

    def scrape(self):
        try:
            with urllib.request.urlopen(self.url, timeout=10) as r:
                text = r.read().decode()
        except OSError as e:
            self.failures.append("%s: %s" % (time.strftime("%H:%M:%S"), e))
            return
        vals = {}
        for line in text.splitlines():
            m = re.match(r"^((?:rsttrace|process)_[a-z_]+) ([0-9.e+]+)$", line)
            if m:
                vals[m.group(1)] = float(m.group(2))
        self.scrapes += 1
        self.values = vals


class Rsttrace:
    def __init__(self, cg_procs, metrics_port, extra):
        # a low series bound, reached in the first minutes (each storm's
        # ports are new labels): the "other" series is exercised and RSS
        # stops growing with new series once it is reached
        self.cmd = [RSTTRACE, "--json", "--metrics-max-series", str(MAX_SERIES),
                    "--metrics", "127.0.0.1:%d" % metrics_port] + extra
        self.cg_procs = cg_procs
        self.err_path = os.path.join(WORK, "rsttrace.err")
        self.proc = None

    def _enter(self):
        with open(self.cg_procs, "w") as f:
            f.write("0")

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, preexec_fn=self._enter)
        self.err = open(self.err_path, "wb")
        while True:
            line = self.proc.stderr.readline()
            if not line:
                raise SoakError("rsttrace exited before tracing (status %s); see %s"
                                % (self.proc.wait(), self.err_path))
            self.err.write(line)
            self.err.flush()
            if line.startswith(b"Tracing"):
                break
        self.err_thread = threading.Thread(target=self._drain_err, daemon=True)
        self.err_thread.start()
        self.reader = Reader(self.proc.stdout)
        self.reader.start()

    def _drain_err(self):
        for line in self.proc.stderr:
            self.err.write(line)
            self.err.flush()

    def stop(self):
        """SIGINT; its status and the end-of-run (events, lost)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            status = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.reader.join(60)
        self.err_thread.join(10)
        self.err.close()
        with open(self.err_path, errors="replace") as f:
            m = re.findall(r"rsttrace: (\d+) events, (\d+) lost", f.read())
        return status, (tuple(int(x) for x in m[-1]) if m else None)


# ---- the load ----

class Load:
    """Load generators, each a thread looping until stop; their counts and
    failures."""

    def __init__(self, stop, cgroup_root=None):
        self.stop = stop
        self.cgroup_root = cgroup_root
        self.threads = []
        self.lock = threading.Lock()
        self.counts = {}
        self.failures = []
        # the listeners' ports: a server's few, not a new one each time
        base = random.randint(20000, 60000)
        self.ports = list(range(base, base + 32))

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def fail(self, what):
        with self.lock:
            self.failures.append("%s %s" % (time.strftime("%H:%M:%S"), what))
        log("load: " + what)

    def spawn(self, name, fn, every):
        def loop():
            while not self.stop.is_set():
                t0 = time.monotonic()
                try:
                    fn()
                except Exception as e:  # one failed round, reported, not fatal here
                    self.fail("%s: %s" % (name, e))
                self.stop.wait(max(0.0, every - (time.monotonic() - t0)))
        t = threading.Thread(target=loop, name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def join(self, limit=120):
        for t in self.threads:
            t.join(limit)

    def rstload(self, *args):
        res = bench.run_load(*args)
        return res

    def churn(self):
        res = self.rstload("churn", "-d", 3, "-t", 1)
        self.add("churn_cycles", res["cycles"])

    def storm(self):
        res = self.rstload("storm", "-n", 4000, "-t", 2, "-a", 25)
        self.add("storm_resets", res["refused"] + res["aborted"])

    def listeners(self):
        """A listener on one of 32 ports whose queued connections are never
        accepted: closing it resets them; every other round it is reopened
        on its port first (a restart, what rsttrace's ports map follows)."""
        restart = self.counts.get("listeners", 0) % 2 == 1
        for _ in range(20):
            port = random.choice(self.ports)
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                ls.bind((ADDR, port))
                break
            except OSError:
                ls.close()
        else:
            raise SoakError("no free port")
        ls.listen(16)
        if restart:
            ls.close()
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((ADDR, port))
            ls.listen(16)
        clients = []
        for _ in range(8):
            c = socket.socket()
            c.connect((ADDR, port))
            clients.append(c)
        ls.close()
        for c in clients:
            c.close()
        self.add("listeners")

    def netns(self):
        n = self.counts.get("netns", 0)
        ns, host_if, ns_if = "%s-%d" % (TAG, n), "rsk%dh" % os.getpid(), "rsk%dn" % os.getpid()
        net = "10.231.%d" % (n % 250)
        host_ip, ns_ip = net + ".1", net + ".2"

        def ip(*args, check=True):
            r = subprocess.run(["ip"] + list(args), capture_output=True, text=True)
            if check and r.returncode:
                raise SoakError("ip %s: %s" % (" ".join(args), r.stderr.strip()))

        try:
            ip("netns", "add", ns)
            ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            ip("link", "set", ns_if, "netns", ns)
            ip("addr", "add", host_ip + "/30", "dev", host_if)
            ip("link", "set", host_if, "up")
            ip("-n", ns, "addr", "add", ns_ip + "/30", "dev", ns_if)
            ip("-n", ns, "link", "set", ns_if, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            # a process in the namespace: a listener that accepts one
            # connection and aborts it (SO_LINGER 0), and a refused connect
            # to the host
            code = ("import socket,struct,sys\n"
                    "l=socket.socket();l.bind(('%s',0));l.listen(1)\n"
                    "print(l.getsockname()[1],flush=True)\n"
                    "c,_=l.accept();c.recv(1)\n"
                    "c.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\n"
                    "c.close()\n"
                    "s=socket.socket()\n"
                    "try: s.connect(('%s',%d))\n"
                    "except ConnectionRefusedError: pass\n") % (ns_ip, host_ip, closed_host_port())
            p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code],
                                 stdout=subprocess.PIPE, text=True)
            try:
                line = p.stdout.readline()
                if not line.strip():
                    raise SoakError("netns process failed (status %s)" % p.wait())
                port = int(line)
                s = socket.create_connection((ns_ip, port), timeout=10)
                s.send(b"x")
                try:
                    s.recv(1)
                except ConnectionResetError:
                    pass
                s.close()
                # refused by the namespace: nothing on port 9
                r = socket.socket()
                r.settimeout(10)
                try:
                    r.connect((ns_ip, 9))
                except ConnectionRefusedError:
                    pass
                r.close()
                if p.wait(30):
                    raise SoakError("netns process exited with status %d" % p.returncode)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        finally:
            ip("link", "del", host_if, check=False)
            ip("netns", "del", ns, check=False)
        self.add("netns")

    def processes(self):
        """Short-lived processes that exit with unread data: each exit
        resets its connection. With --cgroup-churn, in a cgroup v2 directory
        of their own, made for them and removed after (a transient unit, a
        pod's container)."""
        ls = socket.socket()
        ls.bind((ADDR, 0))
        ls.listen(16)
        port = ls.getsockname()[1]
        cg = None
        if self.cgroup_root:
            cg = os.path.join(self.cgroup_root, "%s-%d" % (TAG, self.counts.get("cgroups", 0)))
            os.mkdir(cg)
        join = (lambda: bench.write_file(os.path.join(cg, "cgroup.procs"), "0")) if cg else None
        procs = [subprocess.Popen(["bash", "-c", "exec 3<>/dev/tcp/%s/%d; read -u 3 -n 1"
                                   % (ADDR, port)], preexec_fn=join) for _ in range(5)]
        conns = []
        try:
            ls.settimeout(60)
            for _ in procs:
                c, _ = ls.accept()
                c.send(b"xx")          # one byte read, one left unread
                conns.append(c)
            for p in procs:
                if p.wait(60):
                    raise SoakError("bash exited with status %d" % p.returncode)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            for c in conns:
                c.close()
            ls.close()
            if cg:
                bench.remove_cgroup(cg)
        self.add("processes", len(procs))
        if cg:
            self.add("cgroups")


def closed_host_port():
    return bench.closed_port()


def cgroup2_mount():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "cgroup2":
                return parts[1]
    raise SoakError("--cgroup-churn: no cgroup2 mount in /proc/mounts")


# ---- samples, table and verdict ----

def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def kmem_kb(cg):
    u = bench.memcg_usage(cg)
    return (u["kmem"] if u["kmem"] is not None else u["total"]) // 1024


def tcp_inuse():
    """TCP sockets of this namespace (/proc/net/sockstat): the owners of
    socket storage, beside kmem."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                return int(line.split()[2])
    return None


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def third_max(samples, key, part, pick=max):
    """Largest (@pick) @key over the @part-th third (0, 1, 2) of @samples,
    by time."""
    end = samples[-1]["t"]
    vals = [s[key] for s in samples
            if key in s and part * end / 3 <= s["t"] <= (part + 1) * end / 3]
    return pick(vals) if vals else None


def growth(samples, maps):
    """[(quantity, middle max, last max, limit, verdict)], verdict one of
    "ok"; "full" (a map at FULL_SHARE of its max_entries or more: an LRU
    evicting, or a plain hash refusing updates); "lru" (an LRU map's
    entries grew, but they are bounded by its max_entries and its memory is
    preallocated: not a failure); "GROWS" (a failure)."""
    res = []
    keys = [("rss_kb", "rss_kb"), ("fds", "fds"), ("kmem_kb", "kmem_kb")] + \
        [("map:" + m["name"], "map") for m in maps.counted()]
    info = {"map:" + m["name"]: m for m in maps.counted()}
    for key, kind in keys:
        # kernel memory follows the host's live sockets (socket storage
        # for every TCP socket, whoever's: about 300 bytes each), which
        # other jobs raise for a while: its floor is what would leak
        pick = min if kind == "kmem_kb" else max
        mid, last = third_max(samples, key, 1, pick), third_max(samples, key, 2, pick)
        if mid is None or last is None:
            continue
        rel, ab = TOLERANCE[kind]
        limit = mid * (1 + rel) + ab
        m = info.get(key)
        if last <= limit:
            verdict = "ok"
        elif m and last >= FULL_SHARE * m["max_entries"]:
            verdict = "full"
        elif m and m["type"].startswith("lru"):
            verdict = "lru"
        else:
            verdict = "GROWS"
        if verdict == "ok" and m and last >= FULL_SHARE * m["max_entries"]:
            verdict = "full"
        res.append((key, mid, last, limit, verdict))
    return res


def slope_per_hour(samples, key):
    """Least-squares slope of @key over the last two thirds, per hour."""
    end = samples[-1]["t"]
    pts = [(s["t"], s[key]) for s in samples if key in s and s["t"] >= end / 3]
    if len(pts) < 3:
        return None
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mv = sum(v for _, v in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    return sum((t - mt) * (v - mv) for t, v in pts) / var * 3600 if var else None


def table(samples, maps, rows):
    # maps empty throughout (the legacy store and filters, unused here) are
    # left out of the table, not the check
    names = [n for n in maps.names() if any(s.get("map:" + n) for s in samples)]
    short = {n: n[:10] for n in names}
    # the cgroup names rsttrace keeps (rsttrace_cgroups), where it says
    names_col = any("rsttrace_cgroups" in s for s in samples)
    head = "%6s %7s %4s %8s %6s" % ("t s", "rss_kB", "fds", "kmem_kB", "tcp") + "".join(
        " %10s" % short[n] for n in names) + (" %7s" % "cgroups" if names_col else "") + \
        " %9s %9s %5s %5s" % ("records", "resets", "lost", "load")
    out = [head]
    end = samples[-1]["t"]
    step = end / rows
    prev = {"records": 0, "resets": 0, "lost": 0}
    for i in range(rows):
        part = [s for s in samples if i * step < s["t"] <= (i + 1) * step + 1e-9]
        if not part:
            continue
        last = part[-1]
        mx = lambda k: max(s[k] for s in part if k in s) if any(k in s for s in part) else None
        cells = "%6.0f %7d %4d %8d %6d" % (last["t"], mx("rss_kb"), mx("fds"), mx("kmem_kb"),
                                           mx("tcp_inuse"))
        for n in names:
            v = mx("map:" + n)
            cells += " %10s" % (v if v is not None else "-")
        if names_col:
            v = mx("rsttrace_cgroups")
            cells += " %7s" % ("%d" % v if v is not None else "-")
        cells += " %9d %9d %5d %5.1f" % (last["records"] - prev["records"],
                                         last["resets"] - prev["resets"],
                                         last["lost"] - prev["lost"], mx("load"))
        prev = last
        out.append(cells)
    return out


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int,
                    default=int(os.environ.get("SOAK_SECONDS", "600") or 600))
    ap.add_argument("--map-every", type=float, default=5.0, metavar="S",
                    help="seconds between counts of the maps' entries (default 5)")
    ap.add_argument("--rows", type=int, default=10, help="rows of the table (default 10)")
    ap.add_argument("--allow-lost", action="store_true",
                    help="report lost resets, but do not fail for them")
    ap.add_argument("--own", action="store_true",
                    help="trace only the load's resets (rsttrace -c, the load in a cgroup "
                    "v2 directory of its own): for a machine that others share, whose "
                    "resets would otherwise fill the ring buffer")
    ap.add_argument("--cgroup-churn", action="store_true",
                    help="start each round of short-lived processes in a new cgroup v2 "
                    "directory (removed after)")
    ap.add_argument("-o", "--output", default=os.path.join(WORK, "results.json"))
    args = ap.parse_args()
    if args.seconds < 30:
        ap.error("--seconds %d: want at least 30 (thirds of 10 s)" % args.seconds)
    if args.map_every <= 0 or args.rows < 1:
        ap.error("--map-every and --rows: want more than 0")
    return args


def sample(tr, t0, cg, maps, reader_counts, scraper, next_maps, now):
    pid = tr.proc.pid
    s = {"t": round(now - t0, 2), "rss_kb": bench.vm_kb(pid, "VmRSS"), "fds": fd_count(pid),
         "kmem_kb": kmem_kb(cg), "load": loadavg(), "tcp_inuse": tcp_inuse()}
    s.update(reader_counts)
    if now >= next_maps:
        entries, took = maps.sample()
        for k, v in entries.items():
            s["map:" + k] = v
        s["map_sample_s"] = round(took, 3)
    v = scraper.values
    for k in ("rsttrace_events_total", "rsttrace_events_lost_total",
              "rsttrace_output_unwritten_total", "rsttrace_metrics_series",
              "rsttrace_cgroups"):
        if k in v:
            s[k] = v[k]
    return s


@contextlib.contextmanager
def load_cgroup(mount):
    """A cgroup v2 directory for the block, which this process moves into
    when asked (yields that function): every load process it starts after
    is there too. Back to its own cgroup after."""
    path = os.path.join(mount, TAG + "-load")
    with open("/proc/self/cgroup") as f:
        own = [line.strip().split("::", 1)[1] for line in f if line.startswith("0::")][0]
    os.mkdir(path)
    try:
        yield path, lambda: bench.write_file(os.path.join(path, "cgroup.procs"),
                                             str(os.getpid()))
    finally:
        bench.write_file(os.path.join(mount, own.lstrip("/"), "cgroup.procs"), str(os.getpid()))
        bench.remove_cgroup(path)


def soak(args, results):
    os.makedirs(WORK, exist_ok=True)
    bench.CG_NAME = TAG
    with contextlib.ExitStack() as stack:
        cg = stack.enter_context(bench.new_cgroup("memory"))
        mount = cgroup2_mount() if args.own or args.cgroup_churn else None
        own = stack.enter_context(load_cgroup(mount)) if args.own else None
        return soak_in(args, results, cg, mount, own)


def soak_in(args, results, cg, mount, own):
    stop = threading.Event()
    port = bench.closed_port()
    tr = Rsttrace(cg["procs"], port, ["-c", own[0]] if own else [])
    tr.start()
    try:
        if own:
            own[1]()
        maps = Maps(tr.proc.pid)
    except BaseException:
        tr.proc.kill()
        raise
    log("rsttrace pid %d, metrics on %d, %d s%s" % (
        tr.proc.pid, port, args.seconds, ", only the load's cgroup" if own else ""))
    results["maps"] = [{k: m.get(k) for k in ("id", "name", "type", "max_entries",
                                               "bytes_key", "bytes_value",
                                               "bytes_memlock")} for m in maps.maps]
    scraper = Scraper(port, 2.0, stop)
    load = Load(stop, (own[0] if own else mount) if args.cgroup_churn else None)
    samples = results["samples"]
    try:
        scraper.start()
        load.spawn("churn", load.churn, 5)
        load.spawn("storm", load.storm, 4)
        load.spawn("listeners", load.listeners, 0.5)
        load.spawn("netns", load.netns, 3)
        load.spawn("processes", load.processes, 1)
        t0 = time.monotonic()
        next_maps = t0
        while True:
            now = time.monotonic()
            if now - t0 >= args.seconds:
                break
            if tr.proc.poll() is not None:
                raise SoakError("rsttrace exited during the run (status %d); see %s"
                                % (tr.proc.returncode, tr.err_path))
            s = sample(tr, t0, cg, maps, tr.reader.counts(), scraper, next_maps, now)
            if "map_sample_s" in s:
                next_maps = now + args.map_every
            samples.append(s)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))
        stop.set()
        log("stopping the load")
        load.join()
        # the last resets reach rsttrace's output, then one more scrape
        bench.wait_quiet(lambda: tr.reader.counts()["records"], quiet=1.0, limit=60)
        scraper.scrape()
        final = sample(tr, t0, cg, maps, tr.reader.counts(), scraper, 0, time.monotonic())
        samples.append(final)
    except BaseException:
        stop.set()
        tr.proc.kill()
        load.join(30)       # each cleans up: namespaces, cgroups
        raise
    finally:
        maps.close()
    status, end = tr.stop()
    counts = tr.reader.counts()
    results.update(load=load.counts, load_failures=load.failures,
                   scrapes=scraper.scrapes, scrape_failures=scraper.failures,
                   metrics=scraper.values, status=status, end_of_run=end,
                   reader=counts, bad_lines=tr.reader.bad,
                   output_bytes=tr.reader.bytes)
    return maps


def verdict(args, results, maps):
    samples = results["samples"]
    problems = []
    rows = growth(samples, maps)
    results["growth"] = [dict(zip(("quantity", "middle_max", "last_max", "limit", "verdict"),
                                  r), slope_per_hour=slope_per_hour(samples, r[0]))
                         for r in rows]
    for q, mid, last, limit, v in rows:
        if v == "GROWS":
            problems.append("%s grows: %s in the last third, %s in the middle (limit %.0f)"
                            % (q, last, mid, limit))
    c = results["reader"]
    m = results["metrics"]
    end = results["end_of_run"]
    lost = {"lost records": c["lost"], "end of run": end[1] if end else None,
            "rsttrace_events_lost_total": m.get("rsttrace_events_lost_total")}
    results["lost"] = lost
    if any(v for v in lost.values()):
        msg = "resets lost: " + ", ".join("%s %s" % (k, v) for k, v in lost.items())
        if args.allow_lost:
            log(msg + " (--allow-lost)")
        else:
            problems.append(msg)
    if m.get("rsttrace_output_unwritten_total"):
        problems.append("records not written: %d" % m["rsttrace_output_unwritten_total"])
    if results["scrape_failures"]:
        problems.append("%d scrapes failed, first: %s" % (len(results["scrape_failures"]),
                                                          results["scrape_failures"][0]))
    if results["bad_lines"]:
        problems.append("lines that are not JSON: %s" % results["bad_lines"][0])
    if results["status"] not in (0, -signal.SIGINT, 130):
        problems.append("rsttrace exited with status %s" % results["status"])
    if end is None:
        problems.append("no end-of-run line from rsttrace")
    elif end[0] != c["resets"]:
        problems.append("rsttrace says %d events, %d reset records read" % (end[0], c["resets"]))
    if results["load_failures"]:
        problems.append("%d load rounds failed, first: %s" % (len(results["load_failures"]),
                                                              results["load_failures"][0]))
    return problems


def report(args, results, maps, problems):
    p = print
    par = results["params"]
    p("soak: %d s on %s, %d CPUs, rsttrace %s" % (par["seconds"], par["kernel"], par["cpus"],
                                                  par["version"]))
    p("load: " + ", ".join("%s %d" % kv for kv in sorted(results["load"].items())))
    for line in table(results["samples"], maps, args.rows):
        p("  " + line)
    took = [s["map_sample_s"] for s in results["samples"] if "map_sample_s" in s]
    p("(largest value in each tenth; records, resets, lost: in that tenth; kmem: kernel memory "
      "charged to rsttrace's memory cgroup; tcp: TCP sockets in use (sockstat); cgroups: "
      "cgroup names kept (rsttrace_cgroups); load: 1-min load average; maps counted every "
      "%.0f s, %.0f ms at most)"
      % (args.map_every, 1000 * max(took) if took else 0))
    p("max_entries: " + ", ".join("%s %d" % (m["name"], m["max_entries"])
                                  for m in maps.counted()))
    empty = [m["name"] for m in maps.counted()
             if not any(s.get("map:" + m["name"]) for s in results["samples"])]
    if empty:
        p("empty throughout: " + ", ".join(empty))
    p("largest value (kmem: smallest) in the middle and the last third of the run, growth "
      "allowed, slope over the last two thirds:")
    for g in results["growth"]:
        p("  %-17s %10.0f %10.0f  limit %10.0f  %+10.0f/h  %s" % (
            g["quantity"], g["middle_max"], g["last_max"], g["limit"], g["slope_per_hour"] or 0,
            g["verdict"]))
    c = results["reader"]
    m = results["metrics"]
    p("records %d (%d resets, %d lost records, %.1f MB), end of run %s, metrics: events %s, "
      "lost %s, unwritten %s, series %s; %d scrapes" % (
          c["records"], c["resets"], c["lost_records"], results["output_bytes"] / 1e6,
          results["end_of_run"], m.get("rsttrace_events_total"),
          m.get("rsttrace_events_lost_total"), m.get("rsttrace_output_unwritten_total"),
          m.get("rsttrace_metrics_series"), results["scrapes"]))
    if "rsttrace_cgroups" in m:
        p("cgroup names: %d kept (at most %d), %d freed, %d evicted, %d resets unnamed" % tuple(
            m.get("rsttrace_%s" % k, 0) for k in ("cgroups", "max_cgroups", "cgroups_freed_total",
                                                 "cgroups_evicted_total",
                                                 "cgroups_unnamed_total")))
    for pr in problems:
        p("FAIL: " + pr)
    p("soak: %s" % ("FAILED" if problems else "passed"))


def interrupted(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    args = parse_args()
    # started in the background (nohup ... &), SIGINT comes ignored: both
    # it and SIGTERM stop the run with its clean-up (namespaces, cgroups)
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    if os.geteuid() != 0:
        sys.exit("soak: must run as root (it loads BPF programs)")
    if SYS_BPF is None:
        sys.exit("soak: no bpf(2) number for %s" % os.uname().machine)
    for path in (RSTTRACE, RSTLOAD):
        if not os.access(path, os.X_OK):
            sys.exit("soak: %s is missing: run 'make soak'" % path)
    ver = subprocess.run([RSTTRACE, "-V"], capture_output=True, text=True).stdout.split("\n")[0]
    results = {"params": {"seconds": args.seconds, "map_every": args.map_every,
                          "cgroup_churn": args.cgroup_churn, "own": args.own,
                          "cpus": os.cpu_count(), "kernel": os.uname().release,
                          "version": ver.strip()},
               "samples": []}
    try:
        maps = soak(args, results)
    except (SoakError, bench.BenchError) as e:
        sys.exit("soak: " + str(e))
    problems = verdict(args, results, maps)
    results["problems"] = problems
    with open(args.output, "w") as f:
        json.dump(results, f, indent=1)
    report(args, results, maps, problems)
    print("figures in %s" % os.path.relpath(args.output))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
