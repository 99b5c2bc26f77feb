"""Causes: each test provokes one kind of reset for real and checks every
field of both records, above all "cause", "errno" (compared with what the
application really got), "prev_state", "age_ms", the socket counters and
the peer (both ends are on this host, so each record names the other's
owner)."""
import errno
import gzip
import os
import platform
import socket
import time

from harness import (NOPEER, Skip, Sock, accept_source, age_within, at_least, between,
                     caps, check, eq, expect, info, kernel_config_readable, matching,
                     with_idle,
                     netns_inode, not_runner, one, one_on,
                     owner_fields, peer_fields, proc, received_fields, run, test,
                     wait_kernel, closed_port)
from test_owner import (collected, connected, counters, no_nosock_sent, no_received,
                        scenario_tracer, sent_fields, tracer, veth_namespaces)

TCP_FIN_WAIT2 = 5
TCP_ESTABLISHED = 1


# ---------------------------------------------------------------------------


def keepalive_case(stack, infer=False, collect=None):
    """Client (namespace B) with SO_KEEPALIVE, idle 1 s, interval 1 s, 2
    probes; an nft rule in B drops every packet from the server (namespace
    A), so the probes go unanswered and the client's keepalive timer resets
    the connection (ETIMEDOUT for the client); the server receives it."""
    a, b = veth_namespaces(stack, "ka")
    tr = scenario_tracer(stack, infer)
    t0 = time.time()
    m0 = time.monotonic()
    server = proc(stack, b"rst-ka-server", netns=a)
    client = proc(stack, b"rst-ka-client", netns=b)
    port = server.listen("l", 4, "198.18.0.1")
    client.call("socket", "c", 4)
    client.call("keepalive", "c", 1, 1, 2)
    c = client.connect("c", 4, "198.18.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    c, s = Sock(c), Sock(server.accept("l", "s"))
    table = "rsttrace_test_%d" % os.getpid()
    nft = ["ip", "netns", "exec", b.name, "nft"]
    run(nft + ["add", "table", "inet", table])
    stack.callback(run, nft + ["delete", "table", "inet", table], check_rc=False)
    run(nft + ["add chain inet %s input { type filter hook input priority 0 ; }" % table])
    run(nft + ["add rule inet %s input ip saddr 198.18.0.1 tcp sport %d drop" % (table, port)])
    # blocks until the keepalive timer gives up (about 3 s)
    err, _ = client.call("recv_error", "c")
    eq(err, errno.ETIMEDOUT, "client recv() once keepalive gave up")
    err, _ = server.call("recv_error", "s")
    eq(err, errno.ECONNRESET, "server recv() after the client's keepalive reset")
    t1 = time.time()
    m1 = time.monotonic()
    tr.wait_on((c, "sent"), (s, "received"), what="both resets")
    recs = collected(tr, collect)

    snt = one_on(recs, "sent", c, "sent")
    # idle 1 s, then 2 probes 1 s apart: the timer gives up 3 s after connect,
    # and no data ever went either way: idle since the handshake
    if kernel_config_readable():
        idle = dict(idle_ms=between(2000, (m1 - m0) * 1000))
        cause = matching(r"keepalive timeout: peer unreachable after [2-9]\.[0-9] s idle")
    else:
        idle, cause = dict(idle_ms=None), "keepalive timeout: peer unreachable"
    expect(snt, "sent reset (client, keepalive)", t0, t1, netns=b.inode, family="ipv4",
           laddr="198.18.0.2", lport=c["local"][1], raddr="198.18.0.1", rport=port,
           state="ESTABLISHED", prev_state="SYN_SENT", **idle,
           **sent_fields("TCP_KEEPALIVE_TIMEOUT", cause, "ETIMEDOUT", infer),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(2.0, m1 - m0), **counters())
    not_runner(snt, "sent reset", server)
    rcv = one_on(recs, "received", s, "received")
    expect(rcv, "received reset (server)", t0, t1, netns=a.inode, family="ipv4",
           laddr="198.18.0.1", lport=port, raddr="198.18.0.2", rport=c["local"][1],
           **received_fields("ESTABLISHED", "SYN_RECV", infer),
           **owner_fields(server, accept_source()), **peer_fields(client),
           age_ms=age_within(2.0, m1 - m0), **counters())
    not_runner(rcv, "received reset", client)


@test("keepalive", timeout=120)
def keepalive(stack):
    keepalive_case(stack)


# ---------------------------------------------------------------------------


def shutdown_data_case(stack, infer=False, collect=None):
    """Server shutdown(SHUT_RDWR)s (FIN_WAIT2 once the client acks its FIN);
    the client, in CLOSE_WAIT, sends data: the server aborts (a local abort,
    TCP_ABORT_ON_DATA) and the client receives the reset. The kernel's
    tcp_receive_reset fires on the server's socket although no reset came
    in: rsttrace must report only the sent reset there."""
    tr = scenario_tracer(stack, infer)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-sh-server",
                                     client_comm=b"rst-sh-client")
    port = s["local"][1]
    server.call("shutdown", "s", socket.SHUT_RDWR)
    eq(client.call("recv_error", "c"), (0, b""), "client read after the server's shutdown")
    wait_kernel(lambda: server.call("tcp_state", "s") == TCP_FIN_WAIT2,
                "the server's socket to reach FIN_WAIT2")
    client.call("send", "c", b"late data")
    tr.wait_on((s, "sent"), (c, "received"), what="both resets")
    # what each application sees next
    eq(server.call("recv_error", "s")[0], errno.ECONNRESET,
       "server recv() after its local abort")
    eq(client.call("send_error", "c", b"more"), errno.EPIPE,
       "client send() after the reset in CLOSE_WAIT")
    t1 = time.time()
    m1 = time.monotonic()
    recs = collected(tr, collect)

    no_received(recs, s, "server socket (aborted on data after shutdown)")
    snt = one_on(recs, "sent", s, "sent")
    expect(snt, "sent reset (server, data after shutdown)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           state="FIN_WAIT2", prev_state="FIN_WAIT1", netns=netns_inode(server.pid),
           **sent_fields("TCP_ABORT_ON_DATA",
                         "data arrived after the application shut down the socket",
                         "ECONNRESET", infer),
           **owner_fields(server, accept_source()), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters())
    not_runner(snt, "sent reset", client)
    rcv = one_on(recs, "received", c, "received")
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port,
           netns=netns_inode(client.pid), **received_fields("CLOSE_WAIT", "ESTABLISHED", infer),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters(sent=9))
    not_runner(rcv, "received reset", server)


@test("shutdown_data")
def shutdown_data(stack):
    shutdown_data_case(stack)


# ---------------------------------------------------------------------------


def kernel_config(option):
    """'y', 'm', 'n' (explicitly not set) or None (no config to read)."""
    paths = ["/proc/config.gz", "/boot/config-" + platform.release()]
    for p in paths:
        try:
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rt") as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(option + "="):
                return line.split("=", 1)[1]
            if line == "# %s is not set" % option:
                return "n"
        return "n"
    return None


def sskill_case(stack, infer=False, collect=None):
    """An administrator kills the client's connection with ss -K (socket
    destroy, tcp_abort()): the reset belongs to the client that owns the
    socket, not to ss."""
    if kernel_config("CONFIG_INET_DIAG_DESTROY") == "n":
        raise Skip("kernel built without CONFIG_INET_DIAG_DESTROY: ss -K cannot kill sockets")
    tr = scenario_tracer(stack, infer)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-sk-server",
                                     client_comm=b"rst-sk-client")
    port, cport = s["local"][1], c["local"][1]
    # only the client's socket matches: its own ports on both ends
    r = run(["ss", "-K", "-t", "dst", "127.0.0.1", "dport", "=", ":%d" % port,
             "sport", "=", ":%d" % cport], check_rc=False)
    if client.call("tcp_state", "c") == TCP_ESTABLISHED:
        raise Skip("ss -K did not kill the socket (kernel without CONFIG_INET_DIAG_DESTROY?): "
                   "exit %d, %s" % (r.returncode, r.stderr.decode(errors="replace").strip()))
    eq(client.call("recv_error", "c")[0], errno.ECONNABORTED,
       "client recv() after ss -K killed its socket")
    eq(server.call("recv_error", "s")[0], errno.ECONNRESET,
       "server recv() after the client's socket was killed")
    t1 = time.time()
    m1 = time.monotonic()
    tr.wait_on((c, "sent"), (s, "received"), what="both resets")
    recs = collected(tr, collect)

    snt = one_on(recs, "sent", c, "sent")
    expect(snt, "sent reset (client socket killed by ss -K)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=cport, raddr="127.0.0.1", rport=port,
           state="ESTABLISHED", prev_state="SYN_SENT", netns=netns_inode(client.pid),
           **sent_fields("TCP_STATE", "socket killed by administrator (ss -K)",
                         "ECONNABORTED", infer),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters())
    check(snt["comm"] != "ss", "sent reset: owner is ss (pid %r), the administrator's tool",
          snt["pid"])
    not_runner(snt, "sent reset", server)
    rcv = one_on(recs, "received", s, "received")
    expect(rcv, "received reset (server)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=port, raddr="127.0.0.1", rport=cport, netns=netns_inode(server.pid),
           **received_fields("ESTABLISHED", "SYN_RECV", infer),
           **owner_fields(server, accept_source()), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters())
    check(rcv["comm"] != "ss", "received reset: owner is ss")
    not_runner(rcv, "received reset", client)


@test("sskill")
def sskill(stack):
    sskill_case(stack)


# ---------------------------------------------------------------------------


@test("disconnect")
def disconnect(stack):
    """connect(AF_UNSPEC) on an established connection: the client's
    socket sends a reset and is back in CLOSE, still held by the client."""
    tr = tracer(stack)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-dc-server",
                                     client_comm=b"rst-dc-client")
    port, cport = s["local"][1], c["local"][1]
    client.call("disconnect", "c")
    eq(server.call("recv_error", "s")[0], errno.ECONNRESET,
       "server recv() after the client's disconnect")
    t1 = time.time()
    m1 = time.monotonic()
    tr.wait_on((c, "sent"), (s, "received"), what="both resets")
    client_err, _ = client.call("recv_error", "c")
    tr.stop()
    recs = tr.records()
    snt = one_on(recs, "sent", c, "sent")
    fields = sent_fields("TCP_STATE", "application disconnected the socket")
    del fields["errno"]  # not specified for a disconnect; checked below
    expect(snt, "sent reset (client disconnected)", t0, t1, lport=cport, rport=port,
           state="ESTABLISHED", prev_state="SYN_SENT", **fields,
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters())
    # if an errno is given it must be what the client really got
    check(snt["errno"] in (None, errno.errorcode.get(client_err)),
          "sent reset: errno %r, but the client's next recv() failed with %s",
          snt["errno"], errno.errorcode.get(client_err, client_err))
    rcv = one_on(recs, "received", s, "received")
    expect(rcv, "received reset (server)", t0, t1, lport=port, rport=cport,
           **received_fields("ESTABLISHED", "SYN_RECV"),
           **owner_fields(server, accept_source()), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters())


# ---------------------------------------------------------------------------


@test("peer_pair")
def peer_pair(stack):
    """Both ends on this host (IPv6 loopback): the sent and the received
    record of one reset name each other's owner; a reset answering a SYN
    for a closed port names the connecting process on the sent side only."""
    tr = tracer(stack)
    server, client, c, s = connected(stack, family=6, server_comm=b"rst-pp-server",
                                     client_comm=b"rst-pp-client")
    server.call("linger0", "s")
    server.call("close", "s")
    eq(client.call("recv_error", "c")[0], errno.ECONNRESET, "client recv() after the reset")
    port = s["local"][1]
    nobody = proc(stack, b"rst-pp-refused")
    closed = closed_port(6)
    r = nobody.connect("r", 6, "::1", closed)
    eq(r["errno"], errno.ECONNREFUSED, "connect() to a closed port")
    r = Sock(r, peer=("::1", closed), cookie_late=True)
    tr.wait_on((s, "sent"), (c, "received"), (r, "received"),
               what="the resets of both connections")
    nosock = caps()["nosock_resets"]
    if nosock:
        tr.wait_for(lambda x: x.get("direction") == "sent" and x.get("lport") == closed,
                    what="the NO_SOCKET reset")
    tr.stop()
    recs = tr.records()

    snt = one_on(recs, "sent", s, "sent")
    rcv = one_on(recs, "received", c, "received")
    expect(snt, "sent reset (server)", family="ipv6", lport=port, rport=c["local"][1],
           **owner_fields(server, accept_source()), **peer_fields(client))
    expect(rcv, "received reset (client)", family="ipv6", lport=c["local"][1], rport=port,
           **owner_fields(client, "connect"), **peer_fields(server))
    eq((snt["peer_pid"], snt["peer_comm"]), (rcv["pid"], rcv["comm"]),
       "sent record's peer vs the received record's owner")
    eq((rcv["peer_pid"], rcv["peer_comm"]), (snt["pid"], snt["comm"]),
       "received record's peer vs the sent record's owner")

    refused = one_on(recs, "received (refused)", r, "received")
    expect(refused, "received reset (refused)", **owner_fields(nobody, "connect"), **NOPEER)
    if not nosock:
        no_nosock_sent(recs, closed)
        return
    snt = one(recs, "sent NO_SOCKET", direction="sent", lport=closed)
    expect(snt, "sent reset (no socket)", reason="NO_SOCKET", pid=None,
           **peer_fields(nobody))


@test("linger_counters")
def linger_counters(stack):
    """Data both ways, then the client closes with SO_LINGER {1,0}: the
    socket counters in both records add up with what was really sent and
    read."""
    n_req, n_resp = 3000, 30000  # both fit the socket buffers: send() cannot block
    tr = tracer(stack)
    server, client, c, s = connected(stack, server_comm=b"rst-lc-server",
                                     client_comm=b"rst-lc-client")
    client.call("send", "c", b"q" * n_req)
    server.call("recv_exact", "s", n_req)
    left, sent = n_resp, 0
    while left:  # send() may take part of it
        k = server.call("send", "s", b"r" * left)
        left -= k
        sent += k
    client.call("recv_exact", "c", n_resp)
    client.call("linger0", "c")
    client.call("close", "c")
    eq(server.call("recv_error", "s")[0], errno.ECONNRESET, "server recv() after the reset")
    tr.wait_on((c, "sent"), (s, "received"), what="both resets")
    tr.stop()
    recs = tr.records()
    snt = one_on(recs, "sent", c, "sent")
    rcv = one_on(recs, "received", s, "received")
    # the server's response segments acknowledged the whole request
    expect(snt, "sent reset (client, linger 0)", reason="TCP_STATE",
           cause=with_idle("abortive close (SO_LINGER 0)", snt), state="ESTABLISHED",
           **counters(sent=n_req, acked=n_req, received=n_resp), srtt_us=at_least(1))
    # the client's ACKs of the response may lag; the reset acknowledges nothing
    expect(rcv, "received reset (server)", state="ESTABLISHED",
           **counters(sent=n_resp, acked=between(0, n_resp), received=n_req),
           srtt_us=at_least(1))
    # the SYN (and a FIN) take a sequence number that bytes_acked counts
    for r, what in ((snt, "sent"), (rcv, "received")):
        check(r["bytes_acked"] <= r["bytes_sent"] + 2,
              "%s reset: bytes_acked %d > bytes_sent %d + SYN and FIN",
              what, r["bytes_acked"], r["bytes_sent"])
    info("linger_counters: client srtt %dus, server srtt %dus, server bytes_acked %d of %d"
         % (snt["srtt_us"], rcv["srtt_us"], rcv["bytes_acked"], rcv["bytes_sent"]))


@test("age")
def age(stack):
    """A connection that lives a known time: age_ms of both records lies
    between the time the test held the connection open and the time from
    before connect() to after the reset."""
    hold = 0.3
    tr = tracer(stack)
    server = proc(stack, b"rst-age-server")
    client = proc(stack, b"rst-age-client")
    port = server.listen("l", 4, "127.0.0.1")
    m0 = time.monotonic()
    c = client.connect("c", 4, "127.0.0.1", port)
    m_conn = time.monotonic()  # connect() has returned, the SYN went out before
    eq(c["errno"], 0, "client connect() errno")
    c, s = Sock(c), Sock(server.accept("l", "s"))
    client.call("linger0", "c")
    # not a wait for anything: the connection is meant to live this long
    time.sleep(hold)
    m_close = time.monotonic()
    client.call("close", "c")
    eq(server.call("recv_error", "s")[0], errno.ECONNRESET, "server recv() after the reset")
    m1 = time.monotonic()
    tr.wait_on((c, "sent"), (s, "received"), what="both resets")
    tr.stop()
    recs = tr.records()
    lo, hi = m_close - m_conn, m1 - m0
    snt = one_on(recs, "sent", c, "sent")
    rcv = one_on(recs, "received", s, "received")
    expect(snt, "sent reset (client)", age_ms=age_within(lo, hi))
    expect(rcv, "received reset (server)", age_ms=age_within(lo, hi))
    info("age: connection held %.1f ms (at most %.1f ms from connect() to the reset); "
         "age_ms client %.1f, server %.1f" % (lo * 1000, hi * 1000, snt["age_ms"], rcv["age_ms"]))
