"""--metrics: a real Prometheus server (Debian's, started here on loopback,
scraping every second) scrapes rsttrace; its HTTP API must hold the
resets provoked, under the labels they should have. promtool checks the
exposition; a flood of distinct ports stays within the series bound."""
import json
import os
import re
import socket
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from harness import (TestFailure, caps, check, eq, free_ports, info, proc, rsttrace_cmd,
                     scaled, skip, test, wait_kernel)
from test_cli import HOSTILE
from test_filters import refuse
from test_owner import tracer

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def metrics_port(tr):
    m = re.search(r"rsttrace: metrics at \S+ \(port (\d+)[,)]", tr.stderr_text())
    check(m, "no metrics line on stderr: %r", tr.stderr_text()[-600:])
    return int(m.group(1))


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        eq(r.status, 200, "GET %s status" % path)
        ctype = r.headers.get("Content-Type", "")
        check(path != "/metrics" or ctype.startswith("text/plain; version=0.0.4"),
              "Content-Type %r", ctype)
        return r.read().decode("utf-8")


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
