"""Connections the host no longer has, and services that stopped or were
restarted: a reset for such a segment names the connection's last owner
(owner_source "closed"), the listener that answered it, and the one that
listened before. Each test runs in a network namespace of its own whose
TIME_WAIT table it sizes (0: no timewait socket is ever made, as on a host
whose table is full)."""
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import types

from harness import (NOCOUNTERS, NOPEER, NOSOCK, Match, Sock, accept_source, age_within,
                     between, caps, check, eq, exit_fields, expect, info,
                     kernel_config_readable, listener_fields,
                     netns, not_runner, owner_fields, peer_fields, proc, received_fields, run,
                     scaled, skip, summarize, test, wait_kernel)
from test_owner import closed_end, sent_fields, tracer

TW_FULL = ("segment for a closed connection whose TIME_WAIT was not kept "
           "(net.ipv4.tcp_max_tw_buckets reached)")


def ms_within(lo_s, hi_s, slack_ms=1.0):
    """A duration in milliseconds the test bracketed between lo_s and hi_s."""
    return between(max(0.0, lo_s * 1000 - slack_ms), hi_s * 1000 + slack_ms)


def idle_at_close(lo_s, hi_s):
    """closed_idle_ms of a connection the test saw idle between lo_s and
    hi_s seconds before its close (jiffies: a few ms either way); null
    where the kernel's HZ is not known."""
    if not kernel_config_readable():
        return None
    return ms_within(lo_s, hi_s, slack_ms=25)


def starting(prefix):
    """A cause that begins with @prefix (what follows holds times)."""
    return Match(lambda v: isinstance(v, str) and v.startswith(prefix),
                 "a string starting with %r" % prefix)


def no_timewait_netns(stack, tag):
    """A namespace that keeps no timewait socket (tcp_max_tw_buckets 0)."""
    ns = netns(stack, tag)
    ns.ip("link", "set", "lo", "up")
    run(["ip", "netns", "exec", ns.name, "sysctl", "-qw", "net.ipv4.tcp_max_tw_buckets=0"])
    return ns


def wait_end(pid, lport, rport, want, what):
    """Wait until the closed socket @lport -> @rport (namespace of @pid)
    ends as @want (closed_end(): "timewait", or None: gone). An orphan
    whose FIN was acked while close() still held it waits on a 60 s
    FIN_WAIT2 timer instead (the kernel's race that timewait_forgotten
    meets too): the scenario cannot happen then, and the test says so."""
    done = (want or "gone", "fin_wait2")

    def ended():
        end = closed_end(pid, lport, rport) or "gone"
        return end if end in done else None
    if wait_kernel(ended, "%s to end as %s" % (what, done[0])) == "fin_wait2":
        skip("the kernel left %s on its FIN_WAIT2 timer (a race in "
             "tcp_rcv_state_process): scenario not reached" % what)


def write_on(tr, client, data, s, c):
    """The client writes @data on connection "c", which the host's end @s no
    longer has, and both resets come; its next write fails as the reset
    says (it had seen the peer's FIN, CLOSE_WAIT: EPIPE). Returns the wall
    and monotonic times after the resets, and the records."""
    client.call("send", "c", data)
    tr.wait_on((s, "sent"), (c, "received"), what="both resets")
    t1 = time.time()
    m2 = time.monotonic()
    eq(client.call("send_error", "c", b"again"), errno.EPIPE,
       "client send() after the reset")
    tr.stop()
    return t1, m2, tr.records()


SHOWN = ("direction", "pid", "comm", "state", "reason", "owner_source", "cause",
         "closed_ago_ms", "closed_idle_ms", "listener_pid", "listener_comm", "previous_listener_pid",
         "previous_listener_comm", "listener_changed_ago_ms")


def shown(rec):
    """The keys of @rec this file is about, as one JSON line for the log."""
    return json.dumps({k: rec[k] for k in SHOWN}, separators=(",", ":"))


def the_one(recs, what, sock, direction):
    """The one record of @direction on @sock's 4-tuple."""
    got = [r for r in recs if sock.matches(r, direction)]
    check(len(got) == 1, "expected exactly 1 %s record on %r, got %d:\n%s\nall:\n%s",
          what, sock, len(got), summarize(got), summarize(recs[-20:]))
    return got[0]


def closed_by_worker(stack, tag):
    """A pre-fork server in a namespace that keeps no timewait socket: the
    parent listens, its worker accepts a connection and closes it first,
    and the client reads the end. Returns the pieces and the monotonic
    times around the close."""
    ns = no_timewait_netns(stack, tag)
    parent = proc(stack, b"rst-%s-master" % tag.encode(), netns=ns)
    port = parent.listen("l", 4, "127.0.0.1")
    worker = parent.fork(b"rst-%s-worker" % tag.encode())
    stack.callback(worker.close)
    client = proc(stack, b"rst-%s-client" % tag.encode(), netns=ns)
    m_conn = time.monotonic()
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    s = worker.accept("l", "s")
    m0 = time.monotonic()
    worker.call("close", "s")
    eq(client.call("recv_error", "c"), (0, b""), "client read after the worker's close")
    # no timewait socket: the worker's end is gone once its FIN is acked
    wait_end(worker.pid, port, c["local"][1], None,
             "the worker's socket (no timewait socket kept)")
    return ns, parent, worker, client, port, Sock(c), Sock(s), m_conn, m0


def forgotten_by_worker(stack, tag, stop_listening):
    """closed_by_worker(); then, with @stop_listening, both processes close
    the listener; then the client writes on the connection the host no
    longer has. Returns the pieces, the records and the monotonic times."""
    if accept_source() != "accept":
        skip("no acceptor hook inside accept() attached: the worker cannot be named")
    tr = tracer(stack)
    t0 = time.time()
    ns, parent, worker, client, port, c, s, m_conn, m0 = closed_by_worker(stack, tag)
    m_stop0 = time.monotonic()
    if stop_listening:
        worker.call("close", "l")
        parent.call("close", "l")
    m_stop1 = time.monotonic()
    t1, m2, recs = write_on(tr, client, b"GET / HTTP/1.1\r\n\r\n", s, c)
    return types.SimpleNamespace(tr=tr, recs=recs, t0=t0, t1=t1, ns=ns, parent=parent,
                                 worker=worker, client=client, port=port, c=c, s=s,
                                 m_conn=m_conn, m0=m0,
                                 m_stop0=m_stop0, m_stop1=m_stop1, m2=m2)


def expect_forgotten(x, what, reason, state, listeners):
    """The sent reset of forgotten_by_worker(): the worker's closed
    connection, whose TIME_WAIT was not kept."""
    snt = the_one(x.recs, what, x.s, "sent")
    expect(snt, what, x.t0, x.t1, family="ipv4", laddr="127.0.0.1", lport=x.port,
           raddr="127.0.0.1", rport=x.c.lport, state=state, prev_state=None,
           netns=x.ns.inode, sock_cookie=x.s.cookie,
           **sent_fields(reason, starting(TW_FULL + " (closed ")),
           **owner_fields(x.worker, "closed", listeners=listeners),
           **peer_fields(x.client), **NOCOUNTERS, idle_ms=None,
           closed_ago_ms=ms_within(0, x.m2 - x.m0), age_ms=age_within(0, x.m2 - x.m_conn),
           closed_idle_ms=idle_at_close(0, x.m0 - x.m_conn))
    not_runner(snt, what, x.parent, x.client)
    return snt


@test("forgotten_tw_not_kept")
def forgotten_tw_not_kept(stack):
    """The issue's keep-alive race: a worker closed the connection, no
    TIME_WAIT was kept, the client writes again and the listener answers.
    The reset names the worker (closed), not the listener's master, which
    is listener_pid."""
    x = forgotten_by_worker(stack, "fgt", False)
    snt = expect_forgotten(x, "sent reset (listener, for the worker's closed connection)",
                           "TCP_FLAGS", "LISTEN", listener_fields(x.parent))
    info("forgotten_tw_not_kept: %s" % shown(snt))
    err = x.tr.stderr_after_ready()
    m = re.search(r"; \d+ TIME_WAIT resets found no owner, (\d+) resets without a "
                  r"connection found theirs", err)
    check(m and int(m.group(1)) >= 1, "the end-of-run line does not count the reset that "
          "found its closed connection: %r", err[-600:])

    rcv = the_one(x.recs, "received (client)", x.c, "received")
    expect(rcv, "received reset (client)", x.t0, x.t1, family="ipv4", laddr="127.0.0.1",
           lport=x.c.lport, raddr="127.0.0.1", rport=x.port,
           **received_fields("CLOSE_WAIT", "ESTABLISHED"),
           **owner_fields(x.client, "connect"), **peer_fields(x.worker))


@test("forgotten_nosock")
def forgotten_nosock(stack):
    """As forgotten_tw_not_kept, with the listener gone too: a NO_SOCKET
    reset, still the worker's connection, and the master that stopped
    listening is the previous listener."""
    if not caps()["nosock_resets"]:
        skip("resets sent without a socket are not visible on this kernel")
    x = forgotten_by_worker(stack, "fgn", True)
    changed = ms_within(0, x.m2 - x.m_stop0)
    snt = expect_forgotten(x, "sent reset (no socket, for the worker's closed connection)",
                           "NO_SOCKET", None, listener_fields(None, x.parent, changed))
    check(("(%s pid %d stopped listening " % (x.parent.comm.decode(), x.parent.pid))
          in snt["cause"], "the cause does not say who stopped listening: %r", snt["cause"])
    info("forgotten_nosock: %s" % shown(snt))


@test("forgotten_families")
def forgotten_families(stack):
    """The closed connections' key across families, from one CPU (the key
    is built in a per-CPU slot that an IPv6 key fills whole): an IPv6
    connection, then an IPv4 one, then IPv4 on a dual-stack IPv6 listener
    (IPv4-mapped). Each closed by the server, each written to again: each
    reset names its own closed connection."""
    tr = tracer(stack)
    t0 = time.time()
    ns = no_timewait_netns(stack, "fam")
    cpu = {min(os.sched_getaffinity(0))}
    rounds = []
    for fam, listen_addr, addr in ((6, "::1", "::1"), (4, "127.0.0.1", "127.0.0.1"),
                                   (6, "::", "127.0.0.1")):
        server = proc(stack, b"rst-fam%d-server" % len(rounds), netns=ns)
        os.sched_setaffinity(server.pid, cpu)
        client = proc(stack, b"rst-fam%d-client" % len(rounds), netns=ns)
        port = server.listen("l", fam, listen_addr)
        c = client.connect("c", 4 if "." in addr else 6, addr, port)
        eq(c["errno"], 0, "client connect() errno")
        s = Sock(server.accept("l", "s"))
        m0 = time.monotonic()
        server.call("close", "s")
        eq(client.call("recv_error", "c"), (0, b""), "client read after the server's close")
        wait_end(client.pid, port, c["local"][1], None, "the server's end (%s)" % addr)
        c = Sock(c)
        client.call("send", "c", b"late")
        tr.wait_on((s, "sent"), (c, "received"), what="both resets (%s)" % addr)
        m2 = time.monotonic()
        rounds.append((server, port, c, s, m0, m2))
    tr.stop()
    recs = tr.records()
    t1 = time.time()
    for server, port, c, s, m0, m2 in rounds:
        snt = the_one(recs, "sent (%s)" % c.raddr, s, "sent")
        expect(snt, "sent reset (listener, for %s's closed connection)" % c.raddr, t0, t1,
               family="ipv6" if ":" in c.raddr else "ipv4", laddr=c.raddr, lport=port,
               raddr=c.laddr, rport=c.lport, state="LISTEN", netns=ns.inode,
               sock_cookie=s.cookie, **sent_fields("TCP_FLAGS", starting(TW_FULL + " (closed ")),
               **owner_fields(server, "closed", listeners=listener_fields(server)),
               closed_ago_ms=ms_within(0, m2 - m0), **NOCOUNTERS)
        info("forgotten_families: %s" % shown(snt))


@test("restart_refused")
def restart_refused(stack):
    """A service stopped listening; a new connection is refused, and the
    reset says who listened and how long ago."""
    if not caps()["nosock_resets"]:
        skip("resets sent without a socket are not visible on this kernel")
    tr = tracer(stack)
    t0 = time.time()
    ns = no_timewait_netns(stack, "rsr")
    old = proc(stack, b"rst-rsr-api", netns=ns)
    port = old.listen("l", 4, "127.0.0.1")
    m0 = time.monotonic()
    old.call("close", "l")
    m1 = time.monotonic()
    client = proc(stack, b"rst-rsr-client", netns=ns)
    m_conn = time.monotonic()
    c = client.connect("c", 4, "127.0.0.1", port)
    t1 = time.time()
    m2 = time.monotonic()
    eq(c["errno"], errno.ECONNREFUSED, "client connect() errno")
    c = Sock(c, peer=("127.0.0.1", port))
    tr.wait_on((c, "received"), what="the refusal")
    tr.stop()
    recs = tr.records()
    snt = [r for r in recs if r.get("direction") == "sent" and r.get("lport") == port
           and r.get("rport") == c.lport]
    check(len(snt) == 1, "expected 1 sent reset for the refused SYN, got:\n%s", summarize(recs))
    snt = snt[0]
    expect(snt, "sent reset (refused, a stopped service)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c.lport, netns=ns.inode,
           **dict(NOSOCK, **listener_fields(None, old, ms_within(m_conn - m1, m2 - m0))),
           **sent_fields("NO_SOCKET", starting(
               "nothing listening on port %d (rst-rsr-api pid %d stopped listening "
               % (port, old.pid))),
           **NOCOUNTERS, **peer_fields(client))
    info("restart_refused: %s" % shown(snt))


@test("restart_forgotten")
def restart_forgotten(stack):
    """A connection of a service's previous instance, after a restart on
    the same port: the new listener answers, and the reset names the old
    owner (closed), the new listener and the restart."""
    tr = tracer(stack)
    t0 = time.time()
    ns = no_timewait_netns(stack, "rsf")
    old = proc(stack, b"rst-rsf-old", netns=ns)
    port = old.listen("l", 4, "127.0.0.1")
    client = proc(stack, b"rst-rsf-client", netns=ns)
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    s = old.accept("l", "s")
    m0 = time.monotonic()
    old.call("close", "s")
    old.call("close", "l")
    eq(client.call("recv_error", "c"), (0, b""), "client read after the old server's close")
    wait_end(client.pid, port, c["local"][1], None,
             "the old server's socket (no timewait socket kept)")
    m_new0 = time.monotonic()
    new = proc(stack, b"rst-rsf-new", netns=ns)
    eq(new.listen("l", 4, "127.0.0.1", port), port, "the new instance's port")
    m_new1 = time.monotonic()
    m_send = time.monotonic()
    c, s = Sock(c), Sock(s)
    t1, m2, recs = write_on(tr, client, b"late", s, c)

    snt = the_one(recs, "sent (new listener)", s, "sent")
    expect(snt, "sent reset (the new listener, for the old instance's connection)", t0, t1,
           family="ipv4", laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c.lport,
           state="LISTEN", netns=ns.inode, sock_cookie=s.cookie,
           **sent_fields("TCP_FLAGS", starting(TW_FULL + " (closed ")),
           **owner_fields(old, "closed",
                          listeners=listener_fields(new, old,
                                                    ms_within(m_send - m_new1, m2 - m_new0))),
           **peer_fields(client), **NOCOUNTERS, closed_ago_ms=ms_within(0, m2 - m0))
    want = "(service restarted "
    check(want in snt["cause"] and snt["cause"].endswith(": pid %d -> %d)" % (old.pid, new.pid)),
          "the cause does not say the service was restarted: %r", snt["cause"])
    info("restart_forgotten: %s" % shown(snt))


NGINX_CONF = """
daemon off;
master_process on;
worker_processes 2;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    keepalive_timeout 1s;
    server {
        listen 127.0.0.1:%(port)d;
        location / { return 200 "ok\\n"; }
    }
}
"""


def listening_in(pid, port):
    """Someone listens on @port in the network namespace of @pid."""
    try:
        with open("/proc/%d/net/tcp" % pid) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
                    return True
    except FileNotFoundError:
        return False
    return False


def children_of(pid):
    """The children of @pid (CONFIG_PROC_CHILDREN); [] once it is gone."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def start_server(stack, ns, argv, port, what, children=0):
    """A real server (@argv) started in namespace @ns; returns its Popen
    once it listens on @port with @children child processes."""
    exe = shutil.which(argv[0]) or os.path.join("/usr/sbin", argv[0])
    if not os.path.exists(exe):
        skip("%s is not installed (scripts/deps.sh test installs it)" % argv[0])
    # stderr to a file: a pipe nobody reads could fill and stop the server
    err = stack.enter_context(tempfile.TemporaryFile())
    p = subprocess.Popen(["ip", "netns", "exec", ns.name, exe] + argv[1:],
                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)

    def stop():
        p.terminate()
        try:
            p.wait(scaled(10))
        except subprocess.TimeoutExpired:
            pass
        # the server and whatever it forked, should it not have stopped
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    stack.callback(stop)
    wait_kernel(lambda: p.poll() is not None or (
        listening_in(p.pid, port) and len(children_of(p.pid)) == children),
        "%s to listen on port %d" % (what, port))
    if p.poll() is not None:
        err.seek(0)
        check(False, "%s exited: %s", what, err.read().decode(errors="replace"))
    return p


def reused_after_server_close(stack, tr, ns, port, request, answer, kept):
    """A client asks @request on a new connection, gets @answer, waits for
    the server to close the connection as idle, and asks again (@kept: the
    server's end waits in TIME_WAIT; else nothing of it is left). Returns
    the client's and the server's ends, the sent reset on them, the wall
    time after it, the monotonic times before the request, after the
    answer and after the close, and after the reset."""
    client = proc(stack, b"rst-%s-client" % ns.name[-3:].encode(), netns=ns)
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    m_req = time.monotonic()
    client.call("send", "c", request)
    resp = client.call("recv", "c")
    check(resp.startswith(answer), "the server answered %r", resp[:80])
    m_resp = time.monotonic()
    err, rest = client.call("recv_error", "c")
    eq((err, rest), (0, b""), "client read until the server closed the idle connection")
    m0 = time.monotonic()
    wait_end(client.pid, port, c["local"][1], "timewait" if kept else None,
             "the server's end of the connection")
    c = Sock(c)
    s = Sock({"cookie": None, "local": c.peer, "peer": c.local})
    t1, m2, recs = write_on(tr, client, request, s, c)
    snt = [r for r in recs if s.matches(r, "sent")]
    check(len(snt) == 1, "expected 1 sent reset, got:\n%s", summarize(recs[-20:]))
    return c, s, snt[0], t1, (m_req, m_resp, m0), m2


def nginx_keepalive_case(stack, tag, kept):
    """nginx (a master and two workers, from Debian) closes an idle
    keep-alive connection, and the client reuses it."""
    if accept_source() != "accept":
        skip("no acceptor hook inside accept() attached: the worker cannot be named")
    ns = netns(stack, tag)
    ns.ip("link", "set", "lo", "up")
    if not kept:
        run(["ip", "netns", "exec", ns.name, "sysctl", "-qw", "net.ipv4.tcp_max_tw_buckets=0"])
    d = stack.enter_context(tempfile.TemporaryDirectory(prefix="rsttrace-%s-" % tag))
    port = 18080
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF % {"dir": d, "port": port})
    tr = tracer(stack)
    t0 = time.time()
    master = start_server(stack, ns, ["nginx", "-c", conf, "-e", os.path.join(d, "error.log")],
                          port, "nginx with its two workers", children=2)
    workers = children_of(master.pid)
    c, s, snt, t1, (m_req, m_resp, m_eof), m2 = reused_after_server_close(
        stack, tr, ns, port, b"GET / HTTP/1.1\r\nHost: rsttrace\r\n\r\n", b"HTTP/1.1 200", kept)
    check(snt["pid"] in workers, "the reset names pid %r (%r), not one of nginx's workers %s "
          "(master %d)", snt["pid"], snt["comm"], workers, master.pid)
    # keepalive_timeout 1s: the cause says the connection was closed idle
    hz = kernel_config_readable()
    idle = "(closed after 1.0 s idle, " if hz else "(closed "
    if kept:
        tw = "data arrived for a closed connection (TIME_WAIT)"
        want = dict(state="TIME_WAIT", owner_source="accept", listener_pid=None,
                    **sent_fields("TCP_TIMEWAIT_SOCKET", starting(tw + " " + idle) if hz else tw))
    else:
        want = dict(state="LISTEN", owner_source="closed", listener_pid=master.pid,
                    listener_comm="nginx",
                    **sent_fields("TCP_FLAGS", starting(TW_FULL + " " + idle)))
    expect(snt, "sent reset (for the connection a worker closed)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c.lport, netns=ns.inode,
           comm="nginx", previous_listener_pid=None, closed_ago_ms=ms_within(0, m2 - m_resp),
           closed_idle_ms=idle_at_close(0.95, m_eof - m_req), **want, **NOCOUNTERS)
    info("%s: worker %d named (master %d): %s" % (tag, snt["pid"], master.pid, shown(snt)))


@test("nginx_keepalive")
def nginx_keepalive(stack):
    """The issue's keep-alive race with nginx on a host that keeps no
    TIME_WAIT: nginx's listener answers, and rsttrace names the worker that
    served the connection, not the master that owns the listener."""
    nginx_keepalive_case(stack, "ngx", False)


@test("nginx_keepalive_timewait")
def nginx_keepalive_timewait(stack):
    """The same race where the TIME_WAIT socket is kept: it answers, and
    names the worker."""
    if not caps()["nosock_resets"]:
        skip("resets sent by timewait sockets are not visible on this kernel")
    nginx_keepalive_case(stack, "ngt", True)


@test("redis_idle_timeout")
def redis_idle_timeout(stack):
    """Redis from Debian closes a client idle past its timeout (1 s); the
    client, a pooled connection, sends its next command on it; no TIME_WAIT
    is kept, Redis's listener answers, and the reset names Redis with the
    connection it closed."""
    ns = no_timewait_netns(stack, "rds")
    d = stack.enter_context(tempfile.TemporaryDirectory(prefix="rsttrace-rds-"))
    port = 16379
    tr = tracer(stack)
    t0 = time.time()
    redis = start_server(stack, ns, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                     "--timeout", "1", "--save", "", "--appendonly", "no",
                                     "--dir", d, "--daemonize", "no", "--logfile", ""],
                         port, "redis-server")
    c, s, snt, t1, (m_req, m_resp, m_eof), m2 = reused_after_server_close(
        stack, tr, ns, port, b"PING\r\n", b"+PONG", False)
    expect(snt, "sent reset (Redis's listener, for the connection Redis closed)", t0, t1,
           family="ipv4", laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c.lport,
           netns=ns.inode, state="LISTEN", pid=redis.pid, comm="redis-server",
           owner_source="closed", listener_pid=redis.pid, listener_comm="redis-server",
           previous_listener_pid=None, closed_ago_ms=ms_within(0, m2 - m_resp),
           closed_idle_ms=idle_at_close(0.95, m_eof - m_req),
           **sent_fields("TCP_FLAGS", starting(TW_FULL + " (closed ")), **NOCOUNTERS)
    info("redis_idle_timeout: %s" % shown(snt))


def drop_resets(stack, ns):
    """In @ns, every reset is dropped on its way out: the peer never sees
    it, keeps its connection and writes on."""
    table = "rsttrace_drop_%d" % os.getpid()
    nft = ["ip", "netns", "exec", ns.name, "nft"]
    run(nft + ["add", "table", "inet", table])
    stack.callback(run, nft + ["delete", "table", "inet", table], check_rc=False)
    run(nft + ["add chain inet %s out { type filter hook output priority 0 ; }" % table])
    run(nft + ["add rule inet %s out tcp flags & rst == rst drop" % table])


def aborted_then_written(stack, tag, how):
    """The server aborts its connection (@how: "linger0", or "kill": killed
    with 19 bytes unread), its reset is lost, the client writes on: the
    reset for that segment names the connection the server aborted."""
    ns = netns(stack, tag)
    ns.ip("link", "set", "lo", "up")
    drop_resets(stack, ns)
    tr = tracer(stack)
    t0 = time.time()
    server = proc(stack, b"rst-%s-server" % tag.encode(), netns=ns)
    client = proc(stack, b"rst-%s-client" % tag.encode(), netns=ns)
    port = server.listen("l", 4, "127.0.0.1")
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    s = Sock(server.accept("l", "s"))
    c = Sock(c)
    client.call("send", "c", b"r" * 19)
    server.call("wait_readable", "s", 19)
    m0 = time.monotonic()
    if how == "linger0":
        # read: unread data would abort the close before SO_LINGER does
        eq(server.call("recv_exact", "s", 19), 19, "the server's read")
        server.call("linger0", "s")
        server.call("close", "s")
    else:
        server.end(signal.SIGKILL)
    wait_kernel(lambda: closed_end(client.pid, port, c.lport) is None,
                "the server's end of the connection to be gone")
    client.call("send", "c", b"late")
    tr.wait_for(lambda r: s.matches(r, "sent") and r.get("owner_source") == "closed",
                what="the reset for the aborted connection")
    # the client retransmits what its reset answered: more may follow
    tr.stop()
    t1 = time.time()
    m2 = time.monotonic()
    later = [r for r in tr.records() if s.matches(r, "sent") and r["owner_source"] == "closed"]
    return ns, server, client, port, c, s, later, t0, t1, m0, m2


ABORTED = "segment for a connection its application aborted (SO_LINGER 0 or unread data)"


@test("forgotten_linger0")
def forgotten_linger0(stack):
    """A connection closed with SO_LINGER 0 whose reset was lost: the
    client's next segment reaches the listener, and the reset names the
    server that aborted it."""
    ns, server, client, port, c, s, later, t0, t1, m0, m2 = \
        aborted_then_written(stack, "abl", "linger0")
    for r in later:
        expect(r, "sent reset (listener, for the aborted connection)", t0, t1,
               family="ipv4", laddr="127.0.0.1", lport=port, raddr="127.0.0.1",
               rport=c.lport, state="LISTEN", netns=ns.inode, sock_cookie=s.cookie,
               **sent_fields("TCP_FLAGS", starting(ABORTED + " (closed ")),
               **owner_fields(server, "closed", listeners=listener_fields(server)),
               **NOCOUNTERS, **NOPEER, closed_ago_ms=ms_within(0, m2 - m0),
               closed_idle_ms=None)
    info("forgotten_linger0: %d reset(s), the first: %s" % (len(later), shown(later[0])))


@test("forgotten_killed")
def forgotten_killed(stack):
    """A server killed with a request unread: its reset was lost, the
    client writes on, nothing listens any more; the reset names the dead
    server, how it died and that it stopped listening."""
    if not caps()["nosock_resets"]:
        skip("resets sent without a socket are not visible on this kernel")
    ns, server, client, port, c, s, later, t0, t1, m0, m2 = \
        aborted_then_written(stack, "abk", "kill")
    for r in later:
        expect(r, "sent reset (no socket, for the killed server's connection)", t0, t1,
               family="ipv4", laddr="127.0.0.1", lport=port, raddr="127.0.0.1",
               rport=c.lport, state=None, netns=ns.inode, sock_cookie=s.cookie,
               **sent_fields("NO_SOCKET", starting(
                   ABORTED + " (rst-abk-server pid %d stopped listening " % server.pid)),
               **owner_fields(server, "closed", exit=exit_fields("SIGKILL"),
                              listeners=listener_fields(None, server, ms_within(0, m2 - m0))),
               **NOCOUNTERS, **NOPEER, closed_ago_ms=ms_within(0, m2 - m0),
               closed_idle_ms=None)
        check(" (its process killed by SIGKILL " in r["cause"],
              "the cause does not say the owner was killed: %r", r["cause"])
    info("forgotten_killed: %d reset(s), the first: %s" % (len(later), shown(later[0])))
