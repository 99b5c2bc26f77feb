"""--metrics: a real Prometheus server (Debian's, started here on loopback,
scraping every second) scrapes rsttrace; its HTTP API must hold the
resets provoked, under the labels they should have. promtool checks the
exposition; a flood of distinct ports stays within the series bound.
The server under abuse (slow clients, oversized requests, a thousand
clients, garbage, no descriptors left): every reset still reported once,
nothing lost, descriptors and memory bounded, a scrape answered after."""
import errno
import json
import os
import re
import resource
import selectors
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import (SANITIZED, TestFailure, caps, check, eq, free_ports, info, parse_line,
                     proc, rsttrace_cmd, scaled, skip, skip_part, test, wait_kernel)
from test_cli import HOSTILE
from test_filters import refuse
from test_owner import tracer

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def metrics_port(tr):
    m = re.search(r"rsttrace: metrics at \S+ \(port (\d+)[,)]", tr.stderr_text())
    check(m, "no metrics line on stderr: %r", tr.stderr_text()[-600:])
    return int(m.group(1))


def scrape(port, path="/metrics", src=None, timeout=10):
    """GET @path with urllib (from address @src); the text."""
    if src:
        opener = urllib.request.build_opener(SourceHandler(src))
    else:
        opener = urllib.request.build_opener()
    with opener.open("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        eq(r.status, 200, "GET %s status" % path)
        ctype = r.headers.get("Content-Type", "")
        check(path != "/metrics" or ctype.startswith("text/plain; version=0.0.4"),
              "Content-Type %r", ctype)
        return r.read().decode("utf-8")


class SourceHandler(urllib.request.HTTPHandler):
    """Connections from a given local address (127.x.y.z)."""

    def __init__(self, src):
        super().__init__()
        self.src = src

    def http_open(self, req):
        import http.client
        return self.do_open(lambda host, **kw: http.client.HTTPConnection(
            host, source_address=(self.src, 0), **kw), req)


def samples(text, name):
    """{labels dict as a sorted tuple: value} of the samples of @name."""
    out = {}
    # the text format's lines end in \n only: a label may hold U+2028
    for line in text.split("\n"):
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r'^%s(?:\{(.*)\})? (\S+)$' % re.escape(name), line)
        check(m, "unparsable sample line %r", line)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1) or ""))
        out[tuple(sorted(labels.items()))] = float(m.group(2))
    return out


class Prometheus:
    """A Prometheus server on loopback that scrapes one target each second,
    with its own temporary storage; ready when /-/ready answers 200."""

    def __init__(self, stack, target_port):
        if not os.access(PROMETHEUS, os.X_OK):
            skip("no %s (scripts/deps.sh test installs Debian's prometheus)" % PROMETHEUS)
        self.dir = tempfile.mkdtemp(prefix="rsttrace-prom-")
        stack.callback(subprocess.run, ["rm", "-rf", self.dir])
        self.port, = free_ports(1)
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: rsttrace\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + conf, "--storage.tsdb.path=" + self.dir + "/data",
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        stack.callback(self.stop)
        wait_kernel(self.ready, "Prometheus to be ready", timeout=60)

    def ready(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise TestFailure("prometheus exited (%s): %s" % (self.proc.returncode,
                                                              self.log.read()[-800:]))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port,
                                        timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=10) as r:
            d = json.load(r)
        eq(d["status"], "success", "query %r" % q)
        return d["data"]["result"]

    def wait_value(self, q, want, what):
        """Until @q gives one series of value @want; returns its labels."""
        got = []

        def arrived():
            got[:] = self.query(q)
            return len(got) == 1 and float(got[0]["value"][1]) == want
        try:
            wait_kernel(arrived, what, timeout=30)
        except TestFailure:
            raise TestFailure("%s: Prometheus holds %r for %s" % (what, got, q))
        return got[0]["metric"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=scaled(20))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@test("metrics_prometheus")
def metrics_prometheus(stack):
    """5 refused connections of one process: Prometheus stores 5 received
    resets under its comm, the service port, cause_class refused; and 5
    sent ones (no owner) where this kernel shows them."""
    n = 5
    tr = tracer(stack, "--metrics", "127.0.0.1:0")
    mport = metrics_port(tr)
    prom = Prometheus(stack, mport)
    client = proc(stack, b"rst-metrics")
    port, = free_ports(1)
    socks = [refuse(client, 4, port, "c%d" % i) for i in range(n)]
    tr.wait_on(*[(s, "received") for s in socks], what="the refused connections' resets")
    labels = prom.wait_value('rsttrace_resets_total{comm="rst-metrics",direction="received"}',
                             n, "the received resets in Prometheus")
    info("metrics_prometheus: received series %r" % labels)
    for k, v in (("cause_class", "refused"), ("port", str(port)), ("unit", ""),
                 ("pod", ""), ("namespace", ""), ("container", ""), ("job", "rsttrace")):
        # Prometheus stores an empty label as none
        eq(labels.get(k, ""), v, "label %s of the received series" % k)
    check("pid" not in labels, "a pid label: %r", labels)
    if caps()["nosock_resets"]:
        labels = prom.wait_value('sum by (cause_class, reason, comm) (rsttrace_resets_total'
                                 '{direction="sent",port="%d"})' % port, n,
                                 "the sent resets in Prometheus")
        eq(labels, {"cause_class": "refused", "reason": "NO_SOCKET"},
           "labels of the sent series (comm empty: no owner)")
    text = scrape(mport)
    events = samples(text, "rsttrace_events_total")
    check(list(events.values())[0] >= n, "rsttrace_events_total %r", events)
    eq(list(samples(text, "rsttrace_events_lost_total").values()), [0.0], "lost")
    eq(list(samples(text, "rsttrace_output_unwritten_total").values()), [0.0], "unwritten")
    info_series = samples(text, "rsttrace_build_info")
    eq(len(info_series), 1, "rsttrace_build_info series")
    check(dict(list(info_series)[0]).get("kernel") == os.uname().release,
          "build_info: %r", info_series)
    vis = {dict(k)["source"]: v for k, v in samples(text, "rsttrace_source_visible").items()}
    eq(vis.get("no_socket"), 1.0 if caps()["nosock_resets"] else 0.0, "no_socket visible")
    check(samples(text, "process_resident_memory_bytes"), "no process metrics:\n%s", text)
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    eq((r.returncode, r.stdout.decode()), (0, ""), "promtool check metrics")
    prom_up = prom.query('up{job="rsttrace"}')
    eq([float(s["value"][1]) for s in prom_up], [1.0], "Prometheus's up for rsttrace")


def unescape_label(v):
    """A label value of the text format as a parser reads it."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


@test("metrics_hostile_names")
def metrics_hostile_names(stack):
    """Processes named as in hostile_comm: promtool accepts the scrape, and
    Prometheus (scraping, then its HTTP API) holds each comm label exactly
    as the name, or with U+FFFD where its bytes are not UTF-8, the same
    text as the JSON comm."""
    tr = tracer(stack, "--metrics", "127.0.0.1:0")
    mport = metrics_port(tr)
    prom = Prometheus(stack, mport)
    port, = free_ports(1)
    procs = [proc(stack, n) for n in HOSTILE]
    socks = [refuse(p, 4, port, "c") for p in procs]
    tr.wait_on(*[(s, "received") for s in socks], what="the hostile names' resets")
    want = {}
    for p in procs:
        label = p.comm.decode("utf-8", "replace")
        want[label] = want.get(label, 0) + 1
    q = 'rsttrace_resets_total{direction="received",port="%d"}' % port
    got = {}

    def arrived():
        got.clear()
        for series in prom.query(q):
            got[series["metric"].get("comm", "")] = float(series["value"][1])
        return sum(got.values()) >= len(procs)
    wait_kernel(arrived, "the hostile names' resets in Prometheus", timeout=30)
    eq(got, {k: float(v) for k, v in want.items()}, "comm labels in Prometheus")
    text = scrape(mport)
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    eq((r.returncode, r.stdout.decode()), (0, ""), "promtool check metrics")
    mine = {unescape_label(dict(k)["comm"]): v
            for k, v in samples(text, "rsttrace_resets_total").items()
            if dict(k).get("port") == str(port) and dict(k).get("direction") == "received"}
    eq(mine, {k: float(v) for k, v in want.items()}, "comm labels in the scrape")


@test("metrics_series_bound")
def metrics_series_bound(stack):
    """40 distinct ports with --metrics-max-series 10: at most 10 series,
    the rest in the 'other' one, counted as dropped; nothing uncounted."""
    tr = tracer(stack, "--metrics", "127.0.0.1:0", "--metrics-max-series", "10")
    mport = metrics_port(tr)
    client = proc(stack, b"rst-flood")
    ports = free_ports(40)
    socks = [refuse(client, 4, p, "c%d" % i) for i, p in enumerate(ports)]
    tr.wait_on(*[(s, "received") for s in socks], what="the 40 refused connections' resets")
    nrec = len([r for r in tr.records() if r["type"] == "reset"])
    text = ""

    def counted():
        nonlocal text
        text = scrape(mport)
        return sum(samples(text, "rsttrace_resets_total").values()) >= nrec
    wait_kernel(counted, "every reset counted in the metrics")
    series = samples(text, "rsttrace_resets_total")
    info("metrics_series_bound: %d series for %d resets" % (len(series), nrec))
    check(len(series) <= 10, "%d series past --metrics-max-series 10", len(series))
    other = [v for k, v in series.items() if dict(k)["comm"] == "other"]
    check(other and all(dict(k)[x] == "other" for k in series if dict(k)["comm"] == "other"
                        for x in ("direction", "port", "cause_class")),
          "no 'other' series: %r", series)
    dropped = list(samples(text, "rsttrace_metrics_series_dropped_total").values())
    eq(dropped, other, "dropped count vs the other series")
    eq(sum(series.values()), float(nrec), "resets counted in all series")
    eq(list(samples(text, "rsttrace_metrics_series").values()), [float(len(series))],
       "rsttrace_metrics_series")


@test("metrics_quiet")
def metrics_quiet(stack):
    """-q: nothing on stdout, the metrics count all the same."""
    tr = tracer(stack, "--metrics", "127.0.0.1:0", "-q")
    mport = metrics_port(tr)
    client = proc(stack, b"rst-quiet")
    port, = free_ports(1)
    refuse(client, 4, port, "c")

    def counted():
        s = samples(scrape(mport), "rsttrace_resets_total")
        return any(dict(k)["comm"] == "rst-quiet" for k in s)
    wait_kernel(counted, "the quiet reset in the metrics")
    tr.stop()
    eq(tr.lines, [], "stdout with -q")


@test("metrics_http")
def metrics_http(stack):
    """/ points to /metrics, other paths are 404 and other methods 405;
    the event stream goes on meanwhile."""
    tr = tracer(stack, "--metrics", "127.0.0.1:0")
    mport = metrics_port(tr)
    check("/metrics" in scrape(mport, "/"), "/ does not point to /metrics")
    for path, method, want in (("/nope", "GET", 404), ("/metrics", "POST", 405),
                               ("/metrics", "DELETE", 405)):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (mport, path), method=method,
                                     data=b"x" if method == "POST" else None)
        try:
            urllib.request.urlopen(req, timeout=10)
            got = 200
        except urllib.error.HTTPError as e:
            got = e.code
        eq(got, want, "%s %s" % (method, path))
    client = proc(stack, b"rst-http")
    port, = free_ports(1)
    s = refuse(client, 4, port, "c")
    tr.wait_on((s, "received"), what="a reset after the HTTP requests")


def maps_mhd(tr, name="libmicrohttpd"):
    with open("/proc/%d/maps" % tr.proc.pid) as f:
        return name in f.read()


@test("metrics_lazy_library")
def metrics_lazy_library(stack):
    """libmicrohttpd (and the GnuTLS it brings, 2.5 MB resident) is loaded
    only by a run that serves metrics."""
    plain = tracer(stack)
    if not maps_mhd(plain, "/ld-linux"):
        skip("a static binary (make STATIC=1): libmicrohttpd is linked in")
    check(not maps_mhd(plain), "rsttrace without --metrics mapped libmicrohttpd")
    served = tracer(stack, "--metrics", "127.0.0.1:0")
    check(maps_mhd(served), "rsttrace --metrics did not map libmicrohttpd")


@test("metrics_bad")
def metrics_bad(stack):
    """A bad address or a port in use: one message naming it, exit 1 or
    2, before anything is traced."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    stack.callback(s.close)
    taken = s.getsockname()[1]
    for addr, want in (("nope:80", "nope:80"), ("127.0.0.1:99999", "127.0.0.1:99999"),
                       ("127.0.0.1:%d" % taken, "127.0.0.1:%d" % taken)):
        r = subprocess.run(rsttrace_cmd("--metrics", addr), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=scaled(60))
        err = r.stderr.decode("utf-8", "replace")
        check(r.returncode in (1, 2) and want in err and "Tracing" not in err,
              "--metrics %s: rc %d, stderr %r", addr, r.returncode, err[-600:])
    r = subprocess.run(rsttrace_cmd("--metrics-max-series", "0"), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == 2 and b"'0'" in r.stderr, "--metrics-max-series 0: %r", r.stderr)


# --------------------------------------------------------------------------
# the server under abuse

# user/metrics_http.c's CONNECTION_LIMIT, PER_IP_CONNECTION_LIMIT and
# CONNECTION_TIMEOUT_S (= REQUEST_DEADLINE_S)
MAX_CONNS = 64
PER_ADDR = 8
HTTP_TIMEOUT_S = 10
# a scrape that waited for a connection slot took HTTP_TIMEOUT_S at least
QUICK_S = 5
# descriptors rsttrace may open beside its connections (/proc and cgroup reads)
FD_SLACK = 16
# resident memory a test's abuse may add to rsttrace's (64 connections of
# 16 KiB, their answers, malloc's arenas, records held for a reader that
# lags). Seen at most: +4.4 MiB on 6.18, +7.2 MiB (oversized) on 5.10 and
# +9.8 MiB (garbage) on 6.1 under make vmtest's emulation. A bound, not a
# leak check: make soak shows RSS flat over an hour.
RSS_SLACK_KB = 16384


def client_addr(net, i):
    """The i-th client address of a test's own 127.NET.0.0/16: on loopback
    each is an address of its own to the limit per address."""
    return "127.%d.%d.%d" % (net, i // 250, i % 250 + 1)


def want_nofile(stack, n):
    """This process may open @n descriptors (1000 clients at once)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= n:
        return
    if hard != resource.RLIM_INFINITY and hard < n:
        skip("RLIMIT_NOFILE's hard limit %d is below the %d descriptors needed", hard, n)
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))
    stack.callback(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))


def connect_from(src, port):
    """A connection from @src to the metrics server: complete once the
    kernel has it in the listen queue, accepted or not."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((src, 0))
        s.settimeout(scaled(30))
        s.connect(("127.0.0.1", port))
    except BaseException:
        s.close()
        raise
    return s


def read_until_closed(socks, timeout, trickle=None, done=None):
    """What each of @socks received until the server closed it, as
    {sock: (bytes, "eof" or "reset")}; all of them, or with @done(closed)
    as soon as that is true. trickle=(socks, data): send each of those
    the next byte of data every 0.3 s while it is open, as a slowloris."""
    sel = selectors.DefaultSelector()
    got, closed = {}, {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        got[s] = b""
    slow, data = trickle or ((), b"")
    sent = dict.fromkeys(slow, 0)
    deadline = time.monotonic() + scaled(timeout)
    next_byte = time.monotonic()
    while len(closed) < len(socks) and not (done and done(closed)):
        check(time.monotonic() < deadline,
              "%d of %d connections not closed by the server within %ds",
              len(socks) - len(closed), len(socks), timeout)
        for key, _ in sel.select(0.1):
            s = key.fileobj
            end = None
            try:
                b = s.recv(65536)
                if b:
                    got[s] += b
                    continue
                end = "eof"
            except BlockingIOError:
                continue
            except ConnectionResetError:
                end = "reset"
            sel.unregister(s)
            closed[s] = (got[s], end)
        if slow and time.monotonic() >= next_byte:
            next_byte = time.monotonic() + 0.3  # a pace, not a wait
            for s in slow:
                if s not in closed and sent[s] < len(data):
                    try:
                        sent[s] += s.send(data[sent[s]:sent[s] + 1])
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                        pass  # closed by now: the selector says so
    sel.close()
    return closed


def exchange(port, data, src="127.0.0.1", timeout=30):
    """@data on a connection of its own; what the server sent until it
    closed it: (bytes, "eof" or "reset")."""
    s = connect_from(src, port)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the end of the request
        return read_until_closed([s], timeout)[s]
    finally:
        s.close()


def response(raw, what):
    """(status, reason, {lowercase header: value}, body) of one whole
    HTTP/1.1 response, its Content-Length checked."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    check(sep, "%s: no whole response: %r", what, raw[:300])
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3}) (.+)$", lines[0])
    check(m, "%s: status line %r", what, lines[0])
    headers = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        check(sep, "%s: header line %r", what, line)
        headers[k.strip().lower()] = v.strip()
    eq(len(body), int(headers.get("content-length", -1)), "%s: Content-Length" % what)
    return int(m.group(1)), m.group(2), headers, body


GET = b"GET /metrics HTTP/1.1\r\nHost: rsttrace\r\nConnection: close\r\n\r\n"


def check_exposition(raw, what):
    """A 200 with the whole exposition; returns its text."""
    status, reason, headers, body = response(raw, what)
    eq((status, reason), (200, "OK"), "%s: status" % what)
    check(headers.get("content-type", "").startswith("text/plain; version=0.0.4"),
          "%s: Content-Type %r", what, headers.get("content-type"))
    text = body.decode("utf-8")
    eq(len(samples(text, "rsttrace_events_total")), 1, "%s: rsttrace_events_total" % what)
    return text


def http_counts(text):
    """rsttrace_metrics_http_connections_total by outcome, the gauges."""
    out = {dict(k)["outcome"]: v
           for k, v in samples(text, "rsttrace_metrics_http_connections_total").items()}
    eq(sorted(out), ["dropped", "refused", "served"], "outcomes of connections")
    out["open"], = samples(text, "rsttrace_metrics_http_connections").values()
    out["max"], = samples(text, "rsttrace_metrics_http_max_connections").values()
    return out


def delta(after, before):
    return {k: after[k] - before[k] for k in ("served", "dropped", "refused")}


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Abuse:
    """rsttrace --metrics under a steady stream of refused connections to
    a closed port (test_operate's Stream: each reset must be reported
    once), its descriptors and resident memory sampled every 20 ms while
    the test abuses the metrics server. mark() ends a phase: resets made
    and reported, rsttrace's CPU, for the figures."""

    def __init__(self, stack, name):
        from test_operate import Stream  # test_operate imports this module
        self.name = name
        self.port, = free_ports(1)
        self.tr = tracer(stack, "--metrics", "127.0.0.1:0")
        self.mport = metrics_port(self.tr)
        self.pid = self.tr.proc.pid
        self.max_fds = self.base_fds = proc_fds(self.pid)
        self.max_rss = self.base_rss = proc_rss_kb(self.pid)
        self.stop_ev = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        stack.callback(self._stop_sampling)
        self.lines, self.got = 0, 0
        self.marks = [("start", time.monotonic(), self.tr.cpu_seconds(), 0, 0)]
        self.st = Stream(stack, self.port, every=0.004)
        wait_kernel(lambda: self.made() >= 500, "500 resets of the stream", 30)
        self.mark("quiet")
        self.before = http_counts(scrape(self.mport))

    def _sample(self):
        while not self.stop_ev.wait(0.02):  # a pace, not a wait for readiness
            try:
                self.max_fds = max(self.max_fds, proc_fds(self.pid))
                self.max_rss = max(self.max_rss, proc_rss_kb(self.pid))
            except FileNotFoundError:
                return

    def _stop_sampling(self):
        self.stop_ev.set()
        self.sampler.join(10)

    def made(self):
        return sum(self.st.ports.values())

    def reported(self):
        """The stream's resets on rsttrace's stdout so far."""
        lines = self.tr.raw_lines()
        for raw in lines[self.lines:]:
            try:
                r = json.loads(raw)
            except ValueError:
                continue
            if (r.get("type") == "reset" and r.get("direction") == "received"
                    and r.get("rport") == self.port):
                self.got += 1
        self.lines = len(lines)
        return self.got

    def records(self):
        """The stream's received resets and any lost records, parsed and
        validated (not the host's other resets, many on a shared machine)."""
        mine = b'"rport":%d,' % self.port
        return [(None, parse_line(raw)) for raw in self.tr.raw_lines()
                if (mine in raw and b'"direction":"received"' in raw)
                or raw.startswith(b'{"type":"lost"')]

    def mark(self, phase):
        self.marks.append((phase, time.monotonic(), self.tr.cpu_seconds(), self.made(),
                           self.reported()))

    def flowing(self, what, n=200):
        """@n more resets of the stream reported, while @what."""
        start = self.reported()
        wait_kernel(lambda: self.reported() >= start + n,
                    "%d more resets reported while %s" % (n, what), 30)

    def figures(self):
        out = []
        for (_, t0, c0, m0, r0), (phase, t1, c1, m1, r1) in zip(self.marks, self.marks[1:]):
            dt = t1 - t0
            out.append("%s: %.0f resets/s made, %.0f/s reported, rsttrace CPU %.0f%%" % (
                phase, (m1 - m0) / dt, (r1 - r0) / dt, 100 * (c1 - c0) / dt))
        return "; ".join(out)

    def finish(self, want):
        """The abuse over: a plain scrape answers at once, with the outcomes
        of connections since the first scrape as @want (that scrape and
        this one are served too); every reset of the stream was reported
        once and nothing was lost; descriptors and memory stayed bounded."""
        from test_operate import check_each_once
        self.mark("abuse")
        t0 = time.monotonic()
        text = scrape(self.mport)
        took = time.monotonic() - t0
        check(took < scaled(QUICK_S), "the scrape after the abuse took %.1fs", took)
        after = http_counts(text)
        want = {k: want.get(k, 0) + (k == "served") for k in ("served", "dropped", "refused")}
        eq(delta(after, self.before), want, "connections since the first scrape")
        eq((after["open"], after["max"]), (1.0, float(MAX_CONNS)), "open and most connections")
        eq(list(samples(text, "rsttrace_events_lost_total").values()), [0.0], "lost")
        made = self.st.stop()
        t1 = time.monotonic()
        wait_kernel(lambda: self.reported() >= made, "every reset of the stream reported", 30)
        lag = time.monotonic() - t1
        self.tr.stop()
        m = re.search(r"rsttrace: (\d+) events, (\d+) lost", self.tr.stderr_text())
        check(m and m.group(2) == "0", "lost at exit: %r", self.tr.stderr_text()[-400:])
        check_each_once(self.st, self.records(), self.port, self.name)
        self._stop_sampling()
        check(self.max_fds <= self.base_fds + MAX_CONNS + FD_SLACK,
              "rsttrace had %d descriptors open, %d before the abuse", self.max_fds,
              self.base_fds)
        if SANITIZED:
            skip_part("resident memory: not under ASan")
        else:
            check(self.max_rss <= self.base_rss + RSS_SLACK_KB,
                  "rsttrace's resident memory went from %d to %d KiB", self.base_rss,
                  self.max_rss)
        info("%s: %s; %d resets, all reported once, the last %.2fs after; scrape after %.3fs; "
             "fds %d -> %d at most, RSS %d -> %d KiB at most" % (
                 self.name, self.figures(), made, lag, took, self.base_fds, self.max_fds,
                 self.base_rss, self.max_rss))


@test("metrics_slowloris", timeout=240)
def metrics_slowloris(stack):
    """64 clients that connect and say nothing, from 8 addresses, and 64
    that send a request a byte every 0.3 s, from 8 others: 64 held at a
    time, the rest waiting, each closed unanswered by the server (10 s
    of silence; 10 s without a whole request); a scrape queued behind
    them is answered; the stream of resets goes on meanwhile."""
    a = Abuse(stack, "metrics_slowloris")
    silent = [connect_from(client_addr(7, i // PER_ADDR), a.mport) for i in range(MAX_CONNS)]
    slow = [connect_from(client_addr(8, i // PER_ADDR), a.mport) for i in range(MAX_CONNS)]
    stack.callback(lambda: [s.close() for s in silent + slow])
    queued = {}

    def scrape_queued():
        t0 = time.monotonic()
        try:
            queued["text"] = scrape(a.mport, src=client_addr(9, 0), timeout=scaled(90))
        except Exception as e:  # reported below
            queued["err"] = e
        queued["took"] = time.monotonic() - t0
    t = threading.Thread(target=scrape_queued, daemon=True)
    t.start()
    a.flowing("128 slow clients hold the server")
    request = b"GET /metrics HTTP/1.1\r\nHost: rsttrace\r\nX-Slow: " + b"a" * 4000
    closed = read_until_closed(silent + slow, 120, trickle=(slow, request))
    for i, s in enumerate(silent + slow):
        eq(closed[s][0], b"", "what client %d of %s got" % (i, "silent" if s in silent else "slow"))
    t.join(scaled(90))
    check("text" in queued, "the queued scrape: %r", queued.get("err"))
    info("metrics_slowloris: the scrape queued behind 128 slow clients answered after %.1fs"
         % queued["took"])
    a.finish({"dropped": 2 * MAX_CONNS, "served": 1})


@test("metrics_oversized", timeout=180)
def metrics_oversized(stack):
    """Ten rounds of: a 20 KiB URL (414), a 20 KiB header (431), 2000
    headers (431), an 8 KiB URL (404: within the limit), a GET with a
    body (413), chunked (413), a POST of 10 MB (405); status, reason,
    Connection: close and bodies as MHD and rsttrace give them, and the
    connection closed."""
    a = Abuse(stack, "metrics_oversized")
    big = b"a" * 20000
    cases = [
        ("20 KiB URL", b"GET /" + big + b" HTTP/1.1\r\nHost: rsttrace\r\n\r\n",
         414, "URI Too Long", b"Request too big"),
        ("20 KiB header", b"GET /metrics HTTP/1.1\r\nHost: rsttrace\r\nX-Big: " + big +
         b"\r\n\r\n", 431, "Request Header Fields Too Large", b"Request too big"),
        ("2000 headers", b"GET /metrics HTTP/1.1\r\nHost: rsttrace\r\n" +
         b"".join(b"X-H%d: v\r\n" % i for i in range(2000)) + b"\r\n",
         431, "Request Header Fields Too Large", b"Request too big"),
        ("8 KiB URL", b"GET /" + big[:8192] + b" HTTP/1.1\r\nHost: rsttrace\r\n"
         b"Connection: close\r\n\r\n", 404, "Not Found", b"rsttrace: not found"),
        ("a body", b"GET /metrics HTTP/1.1\r\nHost: rsttrace\r\nContent-Length: 10000000\r\n\r\n"
         + big * 3, 413, "Content Too Large", b"rsttrace: no request body, please\n"),
        ("chunked", b"GET /metrics HTTP/1.1\r\nHost: rsttrace\r\nTransfer-Encoding: chunked"
         b"\r\n\r\nffff\r\n" + big, 413, "Content Too Large",
         b"rsttrace: no request body, please\n"),
        ("10 MB POST", b"POST /metrics HTTP/1.1\r\nHost: rsttrace\r\nContent-Length: 10000000"
         b"\r\n\r\n" + big * 3, 405, "Method Not Allowed", b"rsttrace: only GET and HEAD\n"),
    ]
    rounds = 10
    for r in range(rounds):
        for what, data, status, reason, body in cases:
            raw, end = exchange(a.mport, data)
            what = "%s, round %d" % (what, r)
            got = response(raw, what)
            eq(got[:2], (status, reason), "%s: status" % what)
            eq(got[2].get("connection"), "close", "%s: Connection" % what)
            check(body in got[3], "%s: body %r", what, got[3][:200])
            if status == 405:
                eq(got[2].get("allow"), "GET, HEAD", "%s: Allow" % what)
        if r == 0:
            a.flowing("oversized requests come")
    # MHD answers 414 and 431 itself: not rsttrace's answers
    a.finish({"dropped": 3 * rounds, "served": 4 * rounds})


@test("metrics_thousand_clients", timeout=240)
def metrics_thousand_clients(stack):
    """1000 clients at once from 125 addresses: each gets the whole
    exposition, at most 64 served at a time (the gauge in each answer),
    the others waiting their turn. Then 1000 at once from one address,
    silent: 8 held, 992 closed at once unanswered, counted as refused;
    the 8 are then answered."""
    n = 1000
    want_nofile(stack, 2 * n + 100)
    a = Abuse(stack, "metrics_thousand_clients")
    socks = [connect_from(client_addr(4, i // PER_ADDR), a.mport) for i in range(n)]
    stack.callback(lambda: [s.close() for s in socks])
    t0 = time.monotonic()
    for s in socks:
        s.sendall(GET)
    closed = read_until_closed(socks, 120)
    took = time.monotonic() - t0
    most = 0
    for i, s in enumerate(socks):
        text = check_exposition(closed[s][0], "client %d of %d" % (i, n))
        v, = samples(text, "rsttrace_metrics_http_connections").values()
        check(1 <= v <= MAX_CONNS, "client %d: %r connections open", i, v)
        most = max(most, v)
        s.close()
    a.mark("1000 served")
    one = client_addr(5, 0)
    socks = [connect_from(one, a.mport) for i in range(n)]
    stack.callback(lambda: [s.close() for s in socks])
    refused = read_until_closed(socks, 60, done=lambda c: len(c) >= n - PER_ADDR)
    eq(len(refused), n - PER_ADDR, "connections from %s closed at once" % one)
    check(all(v[0] == b"" for v in refused.values()), "a refused connection got %r",
          [v for v in refused.values() if v[0]][:1])
    a.flowing("%d connections from one address are held" % PER_ADDR)
    held = [s for s in socks if s not in refused]
    for s in held:
        s.setblocking(True)
        s.sendall(GET)
    answers = read_until_closed(held, 30)
    for i, s in enumerate(held):
        check_exposition(answers[s][0], "held client %d" % i)
    info("metrics_thousand_clients: %d answered in %.2fs, %d connections open at most, as "
         "the answers say" % (n, took, most))
    a.finish({"served": n + PER_ADDR, "refused": n - PER_ADDR})


def tls_client_hello():
    """The first flight of a TLS client (Python's ssl), as a client that
    took the port for HTTPS sends it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="rsttrace")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    check(hello[:1] == b"\x16", "not a TLS handshake record: %r", hello[:8])
    return hello


@test("metrics_garbage", timeout=180)
def metrics_garbage(stack):
    """8 connections each of: binary bytes, a TLS ClientHello, HTTP/2's
    preface, an SSH banner, a PROXY line, HTTP/0.9, a header with no
    colon, NUL bytes; at once, from one address per kind. Each answered
    as MHD does (400, 505) or closed unanswered (at once, or after 10 s
    of silence); none by rsttrace. MHD reads a ClientHello's bytes up to
    the first LF (there is always one: extension 10) as a request line,
    and its random bytes decide whether that line has a space: 400, or
    closed unanswered."""
    a = Abuse(stack, "metrics_garbage")
    bad = (400, "Bad Request", b"Your HTTP request was syntactically incorrect")
    kinds = [
        ("binary", bytes(range(256)) * 4, bad),
        ("TLS ClientHello", tls_client_hello(), (None, bad)),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\x04\0\0\0\0\0",
         (505, "HTTP Version Not Supported", b"Requested HTTP version is not supported")),
        ("SSH banner", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", bad),
        ("PROXY line", b"PROXY TCP4 192.0.2.1 192.0.2.2 40000 80\r\n\r\n", bad),
        ("HTTP/0.9", b"GET /\r\n", bad),
        ("no colon", b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", bad),
        ("NUL bytes", b"\0" * 64 + b"\r\n\r\n", None),
    ]
    socks = []
    for k, (_, data, _) in enumerate(kinds):
        for i in range(PER_ADDR):
            s = connect_from(client_addr(10, k), a.mport)
            socks.append((k, s))
            s.sendall(data)
    stack.callback(lambda: [s.close() for _, s in socks])
    a.flowing("%d connections of garbage are open" % len(socks))
    closed = read_until_closed([s for _, s in socks], 60)
    tls = {"400": 0, "nothing": 0}
    for k, s in socks:
        what, _, want = kinds[k]
        raw, end = closed[s]
        if isinstance(want, tuple) and want[0] is None:
            tls["400" if raw else "nothing"] += 1
            want = want[1] if raw else None
        if want is None:
            eq(raw, b"", "what %s got" % what)
            continue
        status, reason, headers, body = response(raw, what)
        eq((status, reason), want[:2], "%s: status" % what)
        eq(headers.get("connection"), "close", "%s: Connection" % what)
        check(want[2] in body, "%s: body %r", what, body[:200])
    info("metrics_garbage: the ClientHellos got %(400)d 400s, %(nothing)d nothing" % tls)
    a.finish({"dropped": len(socks)})


@test("metrics_fd_limit")
def metrics_fd_limit(stack):
    """Out of descriptors (its soft RLIMIT_NOFILE lowered to 3 with
    prlimit), rsttrace does not spin on accept(); the
    limit back, the waiting client is answered. Started with a low soft
    limit it raises it for its connections; with a low hard limit it
    serves fewer connections and says so."""
    tr = tracer(stack, "--metrics", "127.0.0.1:0")
    mport = metrics_port(tr)
    pid = tr.proc.pid
    # a reset reported: the event loop has its descriptors
    port, = free_ports(1)
    c = socket.socket()
    eq(c.connect_ex(("127.0.0.1", port)), errno.ECONNREFUSED, "connect to a closed port")
    c.close()
    tr.wait_for(lambda r: r.get("type") == "reset" and r.get("rport") == port,
                what="the reset of a refused connect")
    limits = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    used = proc_fds(pid)
    # no new descriptor at all: rsttrace's own reads of /proc come and go
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, limits[1]))
    s = connect_from("127.0.0.1", mport)
    stack.callback(s.close)
    s.sendall(GET)
    wait_kernel(lambda: "limit at FIRST connection" in tr.stderr_text(),
                "MHD's word of no descriptors", 10)
    c0, t0 = tr.cpu_seconds(), time.monotonic()
    threading.Event().wait(2)  # a window for the CPU time, not a wait for readiness
    cpu = (tr.cpu_seconds() - c0) / (time.monotonic() - t0)
    check(cpu < 0.25, "rsttrace used %.0f%% of a CPU while out of descriptors", 100 * cpu)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, limits)
    raw, _ = read_until_closed([s], 30)[s]
    check(raw, "the client that waited got nothing; rsttrace said: %s",
          tr.stderr_after_ready()[-600:])
    check_exposition(raw, "the client that waited")
    info("metrics_fd_limit: %.1f%% of a CPU out of descriptors" % (100 * cpu))
    tr.stop()

    def nofile(soft, hard):
        return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    # a soft limit too low, the hard one high: raised
    low = tracer(stack, "--metrics", "127.0.0.1:0",
                 preexec_fn=nofile(used + 20, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    text = scrape(metrics_port(low))
    eq(samples(text, "rsttrace_metrics_http_max_connections"), {(): float(MAX_CONNS)},
       "most connections with the soft limit raised")
    check(list(samples(text, "process_max_fds").values())[0] >= used + MAX_CONNS,
          "process_max_fds %r", samples(text, "process_max_fds"))
    check("at most" not in low.stderr_text(), "%r", low.stderr_text()[-300:])
    low.stop()
    # the hard limit too: fewer connections, said on stderr
    hard = used + 64 + 20
    low = tracer(stack, "--metrics", "127.0.0.1:0", preexec_fn=nofile(hard, hard))
    text = scrape(metrics_port(low))
    most, = samples(text, "rsttrace_metrics_http_max_connections").values()
    check(1 <= most < MAX_CONNS, "most connections %r with RLIMIT_NOFILE %d", most, hard)
    check("rsttrace: metrics: at most %d connections at once" % most in low.stderr_text(),
          "no word of it: %r", low.stderr_text()[-400:])
