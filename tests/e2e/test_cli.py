"""The command line: output formats, hostile process names, the ways to
exit, bad arguments, -V, and a burst of resets with loss accounting."""
import re
import select
import signal
import subprocess
import time

from harness import (RESET_KEYS, RSTTRACE, TestFailure, Tracer, check, eq,
                     expect, free_ports, info, netns, one, parse_line, pick, proc,
                     test, validator)
from test_owner import tracer
from test_filters import refuse

TABLE_WIDTH = 80
LOSS_RE = re.compile(r"(?i)\blost\b.*\d|\d.*\blost\b")


def table_lines(tr):
    return [l for l in tr.raw_lines()]


def check_table(lines, n_events, what, width=TABLE_WIDTH):
    """A header line, then one line per reset; no control bytes; narrow."""
    text = [l.decode("utf-8", "replace") for l in lines]
    if len(lines) != 1 + n_events:
        raise TestFailure("%s: %d lines, expected a header and %d resets:\n%s" % (
            what, len(lines), n_events, "".join(text)[-2000:]))
    wide = []
    for raw, line in zip(lines, text):
        check(raw.endswith(b"\n"), "%s: unterminated line %r", what, raw)
        body = raw[:-1]
        bad = [b for b in body if b < 0x20 or b == 0x7f]
        check(not bad, "%s: control byte(s) %r in line %r", what, bytes(bad), raw)
        if width and len(line) - 1 >= width:
            wide.append(line.rstrip("\n"))
    if wide:
        raise TestFailure("%s: %d of %d lines are %d columns or wider (up to %d):\n%s" % (
            what, len(wide), len(lines), width, max(map(len, wide)), "\n".join(wide)))
    check(not re.match(r"^\s*\d", text[0]), "%s: first line is not a header: %r", what, text[0])
    return text


def wait_table(tr, n, timeout=5.0):
    """Table output may be block-buffered into a pipe: wait briefly, the
    rest is flushed at exit."""
    tr.wait_lines(n, timeout)


# ---------------------------------------------------------------------------


@test("table")
def table(stack):
    p1, = free_ports(1)
    tj = tracer(stack, "-P", p1)
    tt = tracer(stack, "-P", p1, json_mode=False)
    tT = tracer(stack, "-P", p1, "-T", json_mode=False)
    tw = tracer(stack, "-P", p1, "-w", json_mode=False)
    a = proc(stack, b"rst-tbl-a")
    b = proc(stack, b"rst-tbl-b")
    ca = refuse(a, 4, p1, "c")
    cb = refuse(b, 6, p1, "c")
    tj.wait_for(lambda r: r.get("type") == "reset", n=4, what="4 resets")
    for t in (tt, tT, tw):
        wait_table(t, 5)
    for t in (tj, tt, tT, tw):
        t.stop()
    eq(len(tj.resets()), 4, "JSON resets")
    for ck in (ca, cb):
        one(tj.resets(), "received reset", sock_cookie=ck)
    lines = check_table(tt.raw_lines(), 4, "table")
    for p in (a, b):
        rows = [l for l in lines[1:] if re.search(r"\b%d\b" % p.pid, l)]
        check(len(rows) == 1, "table: %d rows with pid %d:\n%s", len(rows), p.pid, "".join(lines))
        check(p.comm.decode() in rows[0], "table: comm %r missing from %r", p.comm, rows[0])
    # -T's width is checked by table_width
    lines = check_table(tT.raw_lines(), 4, "table -T", width=None)
    for l in lines[1:]:
        check(re.search(r"^\d\d:\d\d:\d\d ", l), "table -T: no time in %r", l)
    check_table(tw.raw_lines(), 4, "table -w", width=None)


@test("table_width")
def table_width(stack):
    """The default table stays under 80 columns for loopback and ordinary
    IPv4 rows, with a 15-byte comm and a long reason; with the longest IPv4
    and IPv6 addresses a row grows, but stays one line and shows the whole
    address (-w is the mode with room for IPv6)."""
    ns = netns(stack, "w")
    ns.ip("link", "set", "lo", "up")
    v4 = ("198.18.255.254", "198.19.255.253")
    v6 = ("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", "2001:db8:ffff:ffff:ffff:ffff:ffff:fffd")
    for a in v4:
        ns.ip("addr", "add", a + "/32", "dev", "lo")
    for a in v6:
        ns.ip("-6", "addr", "add", a + "/128", "dev", "lo", "nodad")
    server = proc(stack, b"123456789abcdef", netns=ns)
    client = proc(stack, b"fedcba987654321", netns=ns)
    ports = [server.listen("lo4", 4, "127.0.0.1", 65000),
             server.listen("l4", 4, v4[0], 65001), server.listen("l6", 6, v6[0], 65002)]
    filt = ",".join(str(p) for p in ports)
    tj = tracer(stack, "-P", filt)
    tt = tracer(stack, "-P", filt, json_mode=False)
    tw = tracer(stack, "-P", filt, "-w", json_mode=False)
    cookies = []
    cases = ((4, ("127.0.0.1", "127.0.0.1"), "lo4", ports[0]),
             (4, v4, "l4", ports[1]), (6, v6, "l6", ports[2]))
    for fam, (srv, cli), l, port in cases:
        c = client.call("connect", "c" + l, fam, srv, port, bind=(cli, 0))
        eq(c["errno"], 0, "connect() errno")
        s = server.accept(l, "s" + l)
        client.call("send", "c" + l, b"z" * 10)
        server.call("wait_readable", "s" + l, 10)
        server.call("close", "s" + l)  # TCP_ABORT_ON_CLOSE
        cookies += [c["cookie"], s["cookie"]]
    tj.wait_for(lambda r: r.get("sock_cookie") in cookies, n=6, what="6 resets")
    for t in (tt, tw):
        wait_table(t, 7)
    for t in (tj, tt, tw):
        t.stop()
    eq(len(tj.resets()), 6, "JSON resets")
    lines = check_table(tt.raw_lines(), 6, "table", width=None)
    check(len(lines[0].rstrip("\n")) < TABLE_WIDTH, "table header %r is %d columns",
          lines[0], len(lines[0]) - 1)
    loopback = [l for l in lines[1:] if "127.0.0.1:65000" in l]
    eq(len(loopback), 2, "loopback rows")
    check_table([lines[0].encode()] + [l.encode() for l in loopback], 2, "loopback rows")
    check(any("ABORT_ON_CLOSE" in l for l in loopback), "no reason in %r", loopback)
    for a in v4 + v6:
        check(any(a in l for l in lines[1:]), "address %s cut from the table:\n%s",
              a, "".join(lines))
    # wide: every column starts where the header's does
    wlines = check_table(tw.raw_lines(), 6, "table -w", width=None)
    starts = [m.start() for m in re.finditer(r"\S+", wlines[0])]
    for l in wlines[1:]:
        for col in starts:
            check(col == 0 or l[col - 1] == " " and l[col] != " ",
                  "table -w: column at %d misaligned in %r", col, l)


HOSTILE = [
    b'q"uote',
    b"back\\slash",
    b"new\nline",
    b"tab\there",
    b"ctl\x01\x1besc",
    b"bad\xffutf8",
    b"%s%n{}$(x)",
    b"123456789012345",
    b'"\\\n\t\x01\x1b\xff"',
]


def json_comm(name):
    """The comm a JSON reader gets back: the bytes decoded as UTF-8, a
    backslash doubled and each byte that is not UTF-8 as the text \\xHH, so
    that neither can pass for the other."""
    out, i = [], 0
    while i < len(name):
        for n in (1, 2, 3, 4):
            try:
                ch = name[i:i + n].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            out.append("\\x%02x" % name[i])
            n = 1
        else:
            out.append("\\\\" if ch == "\\" else ch)
        i += n
    return "".join(out)


@test("hostile_comm")
def hostile_comm(stack):
    p1, = free_ports(1)
    tj = tracer(stack, "-P", p1)
    tt = tracer(stack, "-P", p1, json_mode=False)
    procs = [proc(stack, n) for n in HOSTILE]
    for p, n in zip(procs, HOSTILE):
        eq(p.comm, n, "comm as the kernel keeps it")
    cookies = [refuse(p, 4, p1, "c") for p in procs]
    n = len(procs)
    tj.wait_for(lambda r: r.get("sock_cookie") in cookies, n=n, what="every received reset")
    tj.wait_for(lambda r: r.get("direction") == "sent" and r.get("lport") == p1, n=n,
                what="every sent reset")
    wait_table(tt, 1 + 2 * n)
    tj.stop()
    tt.stop()
    recs = tj.records()  # every line parses and validates
    eq(len(pick(recs)), 2 * n, "JSON resets")
    problems = []
    for p, name, ck in zip(procs, HOSTILE, cookies):
        r = one(recs, "reset of %r" % name, sock_cookie=ck)
        expect(r, "reset of %r" % name, direction="received", pid=p.pid,
               owner_source="connect")
        comm = r["comm"]
        want = json_comm(name)
        if comm != want:
            problems.append("%r: comm %r, expected %r" % (name, comm, want))
    check(not problems, "hostile comm in JSON: %s", "; ".join(problems))
    lines = check_table(tt.raw_lines(), 2 * n, "table with hostile comms")
    for p in procs:
        rows = [l for l in lines[1:] if re.search(r"\b%d\b" % p.pid, l)]
        check(len(rows) == 1, "table: %d rows for pid %d (comm %r)", len(rows), p.pid, p.comm)


# ---------------------------------------------------------------------------
# exits


def exit_by_signal(stack, sig):
    p1, = free_ports(1)
    tr = tracer(stack)
    cl = proc(stack, b"rst-exit")
    ck = refuse(cl, 4, p1, "c")
    tr.wait_for(lambda r: r.get("sock_cookie") == ck)
    tr.stop(sig, expect_rc=0)
    tr.records()
    after = tr.stderr_after_ready()
    check(LOSS_RE.search(after), "no loss summary on stderr after %s: %r",
          signal.Signals(sig).name, after[-500:])


@test("exit_sigint")
def exit_sigint(stack):
    exit_by_signal(stack, signal.SIGINT)


@test("exit_sigterm")
def exit_sigterm(stack):
    exit_by_signal(stack, signal.SIGTERM)


@test("exit_pipe")
def exit_pipe(stack):
    """rsttrace --json | head -1: it must exit 0 once the reader is gone,
    without another reset to write."""
    p1, = free_ports(1)
    tr = Tracer(read_stdout=False)
    stack.callback(tr.kill)
    tr.start()
    cl = proc(stack, b"rst-pipe")
    refuse(cl, 4, p1, "c")  # two resets: sent and received
    fd = tr.proc.stdout.fileno()
    r, _, _ = select.select([fd], [], [], 15)
    check(r, "no output within 15s")
    first = tr.proc.stdout.readline()
    parse_line(first)
    tr.proc.stdout.close()  # as head(1) exits
    t0 = time.monotonic()
    rc = tr.wait_exit(10)
    if rc is None:
        raise TestFailure("rsttrace still running 10s after its stdout reader closed the pipe")
    check(rc == 0, "exit status %s after the pipe closed (-13 is SIGPIPE); stderr: %s",
          rc, tr.stderr_text()[-300:])
    info("exit_pipe: exited %.2fs after the reader closed" % (time.monotonic() - t0))


@test("exit_count")
def exit_count(stack):
    p1, = free_ports(1)
    tr = tracer(stack, "--count", 3, "-P", p1)
    cl = proc(stack, b"rst-count")
    refuse(cl, 4, p1, "c1")
    refuse(cl, 4, p1, "c2")  # 4 resets in all
    rc = tr.wait_exit(10)
    if rc is None:
        raise TestFailure("rsttrace --count 3 still running after 4 resets")
    eq(rc, 0, "exit status of --count 3")
    eq(len(tr.resets()), 3, "resets printed with --count 3")


@test("exit_duration")
def exit_duration(stack):
    t0 = time.monotonic()
    tr = tracer(stack, "-d", 1)
    rc = tr.wait_exit(11)
    t1 = time.monotonic()
    if rc is None:
        raise TestFailure("rsttrace -d 1 still running 10s after 'Tracing'")
    eq(rc, 0, "exit status of -d 1")
    check(t1 - t0 >= 0.95, "-d 1 exited after %.2fs", t1 - t0)
    info("exit_duration: -d 1 exited %.2fs after start, %.2fs after 'Tracing'" % (
        t1 - t0, t1 - tr.t_ready))


BAD_ARGS = [
    (["-p", "abc"], "abc"),
    (["-p", "1,abc"], "abc"),
    (["-L", "70000"], "70000"),
    (["-D", "65536"], "65536"),
    (["-P", "x80"], "x80"),
    (["--direction", "up"], "up"),
    (["--bogus-flag"], "bogus-flag"),
    (["-c", "/nonexistent"], "/nonexistent"),
    (["-d", "abc"], "abc"),
    (["--count", "abc"], "abc"),
]


@test("bad_args")
def bad_args(stack):
    problems = []
    for args, value in BAD_ARGS:
        try:
            r = subprocess.run([RSTTRACE] + args, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=30)
        except subprocess.TimeoutExpired:
            problems.append("%s: still running after 30s" % " ".join(args))
            continue
        err = r.stderr.decode("utf-8", "replace")
        what = " ".join(args)
        if r.returncode == 0:
            problems.append("%s: exit status 0" % what)
        elif r.returncode < 0:
            problems.append("%s: killed by %s" % (what, signal.Signals(-r.returncode).name))
        if value not in err:
            problems.append("%s: stderr does not name %r: %r" % (what, value, err[-200:]))
        if "Tracing" in err:
            problems.append("%s: started tracing" % what)
    check(not problems, "%s", "; ".join(problems))


@test("version")
def version(stack):
    r = subprocess.run([RSTTRACE, "-V"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    eq(r.returncode, 0, "exit status of -V")
    check("rsttrace" in out.lower(), "-V does not name rsttrace: %r", out)
    m = re.search(r"(?i)libbpf\D{0,30}(\d+)\.(\d+)", out)
    check(m, "-V: no libbpf version: %r", out)
    dpkg = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libbpf-dev"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if dpkg.returncode == 0:
        v = re.match(r"(?:\d+:)?(\d+)\.(\d+)", dpkg.stdout.decode())
        if v:
            eq(m.groups(), v.groups(), "libbpf major.minor in -V vs libbpf-dev %s"
               % dpkg.stdout.decode())
    feats = [f for f in ("ringbuf", "tp_btf", "sk_storage", "reason", "cookie", "btf")
             if f in out.lower()]
    check(feats, "-V names no kernel feature: %r", out)
    info("version: " + " | ".join(l.strip() for l in out.strip().splitlines()[:6]))


# ---------------------------------------------------------------------------


@test("burst", timeout=400)
def burst(stack):
    """20,000 connects to a closed port from 4 processes, as fast as they go:
    every sent NO_SOCKET reset is reported or counted as lost."""
    total, nprocs = 20000, 4
    p1, = free_ports(1)
    tr = tracer(stack)
    procs = [proc(stack, b"rst-burst%d" % i) for i in range(nprocs)]
    t0 = time.monotonic()
    for p in procs:
        p.request("refuse_burst", 4, "127.0.0.1", p1, total // nprocs)
    res = [p.reply(timeout=300) for p in procs]
    t_gen = time.monotonic() - t0
    generated = sum(r["refused"] for r in res)
    other = sum(r["other"] for r in res)
    check(other == 0, "%d connects failed otherwise (first errno %s)", other,
          [r["first_other"] for r in res])
    eq(generated, total, "connects refused")

    st = {"sent": 0, "lost": 0}

    def consume(r):
        if (r.get("type") == "reset" and r.get("direction") == "sent"
                and r.get("lport") == p1 and r.get("reason") == "NO_SOCKET"):
            st["sent"] += 1
        elif r.get("type") == "lost" and isinstance(r.get("total"), int):
            st["lost"] = max(st["lost"], r["total"])

    timed_out = None
    try:
        tr.follow(consume, lambda: st["sent"] + st["lost"] >= generated, timeout=60,
                  what="%d resets reported or lost" % generated)
    except TestFailure as e:
        timed_out = e
    tr.stop()
    recs = tr.records()  # validates every line
    sent = len([r for r in recs if r["type"] == "reset" and r["direction"] == "sent"
                and r["lport"] == p1 and r["reason"] == "NO_SOCKET"])
    received = len([r for r in recs if r["type"] == "reset" and r["direction"] == "received"
                    and r["rport"] == p1])
    lost_recs = [r for r in recs if r["type"] == "lost"]
    lost = max([r["total"] for r in lost_recs] or [0])
    summary = [l for l in tr.stderr_after_ready().splitlines() if LOSS_RE.search(l)]
    info("burst: generated %d resets (%d connects in %.2fs), reported %d sent NO_SOCKET "
         "(+%d received), lost %d (%d lost records), default ring buffer; "
         "exit summary: %s" % (generated, generated, t_gen, sent, received, lost,
                               len(lost_recs), " / ".join(summary) or "(none)"))
    if lost_recs:
        eq(sum(r["count"] for r in lost_recs), lost_recs[-1]["total"],
           "sum of lost counts vs the last total")
        for a, b in zip(lost_recs, lost_recs[1:]):
            check(b["total"] >= a["total"], "lost totals decrease: %r then %r", a, b)
    check(sent <= generated, "%d sent resets reported for %d generated", sent, generated)
    check(sent + lost >= generated, "reported %d + lost %d < generated %d%s", sent, lost,
          generated, ("; " + str(timed_out).splitlines()[0]) if timed_out else "")
    check(summary, "no loss summary on stderr at exit")


@test("burst_small_ringbuf", timeout=400)
def burst_small_ringbuf(stack):
    """The same burst into a 4 KiB ring buffer: resets are lost, and every
    loss is counted in "lost" records and in the exit summary."""
    total, nprocs = 20000, 4
    p1, = free_ports(1)
    tr = tracer(stack, "--ringbuf-size", 4096)
    procs = [proc(stack, b"rst-sburst%d" % i) for i in range(nprocs)]
    for p in procs:
        p.request("refuse_burst", 4, "127.0.0.1", p1, total // nprocs)
    res = [p.reply(timeout=300) for p in procs]
    generated = sum(r["refused"] for r in res)
    eq(generated, total, "connects refused")
    st = {"sent": 0, "lost": 0}

    def consume(r):
        if (r.get("type") == "reset" and r.get("direction") == "sent"
                and r.get("lport") == p1 and r.get("reason") == "NO_SOCKET"):
            st["sent"] += 1
        elif r.get("type") == "lost" and isinstance(r.get("total"), int):
            st["lost"] = max(st["lost"], r["total"])

    timed_out = None
    try:
        tr.follow(consume, lambda: st["sent"] + st["lost"] >= generated, timeout=60,
                  what="%d resets reported or lost" % generated)
    except TestFailure as e:
        timed_out = e
    tr.stop()
    recs = tr.records()
    resets = [r for r in recs if r["type"] == "reset"]
    sent = len([r for r in resets if r["direction"] == "sent" and r["lport"] == p1
                and r["reason"] == "NO_SOCKET"])
    lost_recs = [r for r in recs if r["type"] == "lost"]
    lost = max([r["total"] for r in lost_recs] or [0])
    summary = [l for l in tr.stderr_after_ready().splitlines() if LOSS_RE.search(l)]
    info("burst_small_ringbuf: generated %d, reported %d sent NO_SOCKET (%d resets in all), "
         "lost %d in %d lost records, 4 KiB ring buffer; exit summary: %s" % (
             generated, sent, len(resets), lost, len(lost_recs),
             " / ".join(summary) or "(none)"))
    check(lost_recs, "no lost records although a 4 KiB ring buffer took %d resets", len(resets))
    eq(sum(r["count"] for r in lost_recs), lost_recs[-1]["total"],
       "sum of lost counts vs the last total")
    check(sent + lost >= generated, "reported %d + lost %d < generated %d%s", sent, lost,
          generated, ("; " + str(timed_out).splitlines()[0]) if timed_out else "")
    check(summary, "no loss summary on stderr at exit")
    nums = [int(n) for n in re.findall(r"(\d+) lost", summary[-1])]
    if nums:
        check(nums[-1] >= lost, "exit summary says %d lost, the lost records %d", nums[-1], lost)


# ---------------------------------------------------------------------------


def sample_reset(**kw):
    r = {"type": "reset", "time": "2026-11-22T04:40:01.123456789Z",
         "direction": "received", "pid": 10, "tid": 11, "comm": "curl", "uid": 0,
         "cgroup_id": 1, "netns": 4026531840, "sock_cookie": 16, "family": "ipv4",
         "laddr": "127.0.0.1", "lport": 40000, "raddr": "127.0.0.1", "rport": 80,
         "state": "SYN_SENT", "reason": None, "owner_source": "connect"}
    r.update(kw)
    return r


@test("schema_selftest", timeout=30)
def schema_selftest(stack):
    """user/rsttrace.schema.json accepts what the spec allows, rejects the rest."""
    v = validator()
    nosock = dict(direction="sent", pid=None, tid=None, comm=None, uid=None,
                  cgroup_id=None, sock_cookie=None, state=None, reason="NO_SOCKET",
                  owner_source=None)
    good = [
        sample_reset(),
        sample_reset(**nosock),
        sample_reset(family="ipv6", laddr="::1", raddr="2001:db8::5"),
        sample_reset(direction="sent", reason="TCP_ABORT_ON_CLOSE", state="ESTABLISHED",
                     owner_source="accept", comm='we"ird\\\n\u00ff'),
        sample_reset(owner_source="seeded", tid=None),
        {"type": "lost", "time": "2026-01-01T00:00:00.000000000Z", "count": 5, "total": 9},
    ]
    bad = {
        "missing key": {k: v for k, v in sample_reset().items() if k != "uid"},
        "extra key": sample_reset(extra=1),
        "6 fraction digits": sample_reset(time="2026-11-22T04:40:01.123456Z"),
        "no Z": sample_reset(time="2026-11-22T04:40:01.123456789+00:00"),
        "port > 65535": sample_reset(lport=65536),
        "negative port": sample_reset(rport=-1),
        "ipv6 address in ipv4 record": sample_reset(laddr="::1"),
        "ipv4 address in ipv6 record": sample_reset(family="ipv6", laddr="::1",
                                                    raddr="127.0.0.1"),
        "bad ipv4": sample_reset(raddr="127.0.0.256"),
        "bad ipv6": sample_reset(family="ipv6", laddr="::1", raddr="1:::2"),
        "bad direction": sample_reset(direction="in"),
        "bad family": sample_reset(family="inet"),
        "bad state": sample_reset(state="TIME-WAIT"),
        "prefixed reason": sample_reset(direction="sent", reason="SK_RST_REASON_NO_SOCKET "),
        "reason on a received reset": sample_reset(reason="NO_SOCKET"),
        "bad owner_source": sample_reset(owner_source="current"),
        "pid as string": sample_reset(pid="10"),
        "owner without pid": sample_reset(pid=None),
        "pid without owner": sample_reset(owner_source=None),
        "lost without total": {"type": "lost", "time": "2026-01-01T00:00:00.000000000Z",
                               "count": 5},
        "lost extra key": {"type": "lost", "time": "2026-01-01T00:00:00.000000000Z",
                           "count": 5, "total": 5, "pid": 1},
        "unknown type": {"type": "hello"},
    }
    for g in good:
        errs = list(v.iter_errors(g))
        check(not errs, "schema rejects a valid record %r: %s", g, errs[:1])
    for what, b in bad.items():
        check(not v.is_valid(b), "schema accepts a bad record (%s): %r", what, b)
    eq(list(sample_reset().keys()), RESET_KEYS, "sample key order")
