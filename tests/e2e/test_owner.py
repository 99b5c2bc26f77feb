"""Scenarios that provoke resets and check every field of both records,
above all the owner: the process that connect()ed or accept()ed, never the
task that happened to run the softirq (on loopback that is the peer)."""
import errno
import os
import time

from harness import (NOCOUNTERS, NOPEER, NOSOCK, Match, Tracer, age_within, between, info,
                     check, eq, expect, netns, netns_inode, not_runner, one,
                     owner_fields, peer_fields, pick, proc, reason_fields,
                     received_fields, run, summarize, test, closed_port,
                     wait_kernel)

LO = {4: "127.0.0.1", 6: "::1"}
FAMILY = {4: "ipv4", 6: "ipv6"}
NOBODY = 65534


def tracer(stack, *args, **kw):
    t = Tracer(*args, **kw)
    stack.callback(t.kill)
    return t.start()


def scenario_tracer(stack, infer, *args):
    """The tracer of a scenario; infer: with --infer-reasons (test_infer)."""
    return tracer(stack, *(args + (("--infer-reasons",) if infer else ())))


def collected(tr, collect):
    """Stop the tracer and return its records, handing them to collect (a
    list, or None) first, so that test_infer sees them even when a check
    fails."""
    tr.stop()
    recs = tr.records()
    if collect is not None:
        collect.extend(recs)
    return recs


def sent_fields(reason, cause, errno_name=None, infer=False):
    """A reset this host's TCP sent, for which the kernel gives reason."""
    return dict(direction="sent", source="tcp", cause=cause, errno=errno_name,
                **reason_fields(reason, infer))


def seq_counter(data, extra):
    """bytes_acked and bytes_received are the kernel's counters, as ss -i
    shows them: they count sequence numbers, so a SYN or FIN acknowledged or
    received adds one to the data bytes (up to @extra in all)."""
    if isinstance(data, Match):
        return Match(lambda v: any(data(v - k) for k in range(extra + 1)
                                   if isinstance(v, int)),
                     "%s, plus up to %d for SYN/FIN" % (data.desc, extra))
    return between(data, data + extra)


def counters(sent=0, acked=0, received=0, unread=0, unsent=0, retransmits=0):
    """Socket counters at the time of the reset; a value may be a Match."""
    return {"bytes_sent": sent, "bytes_acked": seq_counter(acked, 2),
            "bytes_received": seq_counter(received, 1),
            "unread_bytes": unread, "unsent_bytes": unsent, "retransmits": retransmits}


def no_received(recs, cookie, what):
    """No received reset for a socket that received none."""
    bad = pick(recs, direction="received", sock_cookie=cookie)
    check(not bad, "%s: %d received reset(s) reported for a socket that received none "
          "(a local abort must be reported only as the sent reset):\n%s",
          what, len(bad), summarize(bad))


def connected(stack, tr_args=None, family=4, server_comm=b"rst-server",
              client_comm=b"rst-client", client_uid=None, server_kw=None,
              client_kw=None, addr=None):
    """A server process listening, a client process connected to it and the
    server's accept() done. Returns (server, client, c, s): c and s are the
    client's and the server's ends (cookie, local, peer)."""
    addr = addr or LO[family]
    server = proc(stack, server_comm, **(server_kw or {}))
    client = proc(stack, client_comm, uid=client_uid, **(client_kw or {}))
    port = server.listen("l", family, addr)
    c = client.connect("c", family, addr, port)
    eq(c["errno"], 0, "client connect() errno")
    s = server.accept("l", "s")
    eq(s["peer"], c["local"], "server's peer vs client's local end")
    return server, client, c, s


# ---------------------------------------------------------------------------


def refused_case(stack, family, uid=None, infer=False, collect=None):
    lo = LO[family]
    tr = scenario_tracer(stack, infer)
    port = closed_port(family)
    client = proc(stack, b"rst-refused%d" % family, uid=uid)
    t0 = time.time()
    m0 = time.monotonic()
    c = client.connect("c", family, lo, port)
    t1 = time.time()
    eq(c["errno"], errno.ECONNREFUSED, "connect() to closed port %d" % port)
    tr.wait_for(lambda r: r.get("direction") == "received" and
                r.get("sock_cookie") == c["cookie"], what="the received reset")
    m1 = time.monotonic()
    tr.wait_for(lambda r: r.get("direction") == "sent" and r.get("lport") == port
                and r.get("reason") == "NO_SOCKET", what="the sent NO_SOCKET reset")
    recs = collected(tr, collect)

    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    # connect() failed with ECONNREFUSED (checked above): errno in the record
    expect(rcv, "received reset (client)", t0, t1, family=FAMILY[family], laddr=lo,
           raddr=lo, rport=port, netns=netns_inode(client.pid),
           **received_fields("SYN_SENT", "CLOSE", infer),
           **owner_fields(client, "connect"), **NOPEER,
           age_ms=age_within(0, m1 - m0), srtt_us=0, **counters())
    not_runner(rcv, "received reset")
    cport = rcv["lport"]
    check(cport != 0 and cport != port, "received reset: client port %r", cport)

    snt = one(recs, "sent", direction="sent", lport=port, rport=cport)
    expect(snt, "sent reset (no socket)", t0, t1, family=FAMILY[family], laddr=lo,
           raddr=lo, netns=netns_inode(),
           **sent_fields("NO_SOCKET", "nothing listening on port %d" % port, None, infer),
           **NOSOCK, **NOCOUNTERS, **peer_fields(client))


@test("refused_ipv4")
def refused_ipv4(stack):
    # client runs as nobody: the received reset's uid must be the socket's
    refused_case(stack, 4, uid=NOBODY)


@test("refused_ipv6")
def refused_ipv6(stack):
    refused_case(stack, 6)


def linger_case(stack, infer=False, collect=None):
    """Client closes an ESTABLISHED connection with SO_LINGER {1,0}."""
    tr = scenario_tracer(stack, infer)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-lg-server",
                                     client_comm=b"rst-lg-client",
                                     client_uid=NOBODY)
    client.call("linger0", "c")
    client.call("close", "c")
    err, _ = server.call("recv_error", "s")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "server recv() after the client's abortive close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    recs = collected(tr, collect)
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=c["cookie"])
    expect(snt, "sent reset (closer = client)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=c["local"][1], raddr="127.0.0.1", rport=port,
           state="ESTABLISHED", prev_state="SYN_SENT", netns=netns_inode(client.pid),
           **sent_fields("TCP_STATE", "abortive close (SO_LINGER 0)", None, infer),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters())
    not_runner(snt, "sent reset", server)

    rcv = one(recs, "received", direction="received", sock_cookie=s["cookie"])
    expect(rcv, "received reset (server)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           netns=netns_inode(server.pid), **received_fields("ESTABLISHED", "SYN_RECV", infer),
           **owner_fields(server, "accept"), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters())
    # on loopback the server's receive softirq runs in the client's close()
    not_runner(rcv, "received reset", client)


@test("linger")
def linger(stack):
    linger_case(stack)


def unread_case(stack, infer=False, collect=None):
    """Server closes an accepted socket with unread data in its queue."""
    tr = scenario_tracer(stack, infer)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-ur-server",
                                     client_comm=b"rst-ur-client")
    client.call("send", "c", b"x" * 100)
    server.call("wait_readable", "s", 100)
    server.call("close", "s")
    err, _ = client.call("recv_error", "c")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "client recv() after the server's close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    recs = collected(tr, collect)
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (server)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=port, raddr="127.0.0.1", rport=c["local"][1], state="ESTABLISHED",
           prev_state="SYN_RECV", netns=netns_inode(server.pid),
           **sent_fields("TCP_ABORT_ON_CLOSE",
                         "application closed socket with 100 unread bytes", None, infer),
           **owner_fields(server, "accept"), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters(received=100, unread=100))
    not_runner(snt, "sent reset", client)

    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port,
           netns=netns_inode(client.pid), **received_fields("ESTABLISHED", "SYN_SENT", infer),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0),
           # the server's ACK of the 100 bytes may still be delayed
           **counters(sent=100, acked=between(0, 100)))
    not_runner(rcv, "received reset", server)
    eq(snt["unread_bytes"], rcv["bytes_sent"], "server's unread_bytes vs the client's bytes_sent")


@test("unread")
def unread(stack):
    unread_case(stack)


@test("prefork")
def prefork(stack):
    """Parent listens, forks a worker, the worker accept()s and aborts."""
    tr = tracer(stack)
    t0 = time.time()
    m0 = time.monotonic()
    parent = proc(stack, b"rst-pf-parent")
    port = parent.listen("l", 4, "127.0.0.1")
    worker = parent.fork(b"rst-pf-worker")
    stack.callback(worker.close)
    check(worker.pid != parent.pid, "fork() gave the same pid")
    client = proc(stack, b"rst-pf-client")
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    s = worker.accept("l", "s")
    worker.call("linger0", "s")
    worker.call("close", "s")
    err, _ = client.call("recv_error", "c")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "client recv() after the worker's abortive close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (worker)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=port, raddr="127.0.0.1", rport=c["local"][1], state="ESTABLISHED",
           prev_state="SYN_RECV", netns=netns_inode(worker.pid),
           **sent_fields("TCP_STATE", "abortive close (SO_LINGER 0)"),
           **owner_fields(worker, "accept"), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters())
    not_runner(snt, "sent reset", parent, client)

    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port,
           **received_fields("ESTABLISHED", "SYN_SENT"),
           **owner_fields(client, "connect"), **peer_fields(worker),
           age_ms=age_within(0, m1 - m0), **counters())
    not_runner(rcv, "received reset", worker, parent)


@test("inherited")
def inherited(stack):
    """A connection still in the accept queue (never accept()ed) is reset by
    the client: its owner is the listener's owner, source "inherited"."""
    tr = tracer(stack)
    t0 = time.time()
    m0 = time.monotonic()
    server = proc(stack, b"rst-ih-server")
    client = proc(stack, b"rst-ih-client")
    port = server.listen("l", 4, "127.0.0.1")
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    client.call("linger0", "c")
    client.call("close", "c")
    t1 = time.time()
    m1 = time.monotonic()
    cport = c["local"][1]
    tr.wait_for(lambda r: r.get("direction") == "received" and r.get("lport") == port
                and r.get("rport") == cport, what="the listener child's received reset")
    tr.wait_for(lambda r: r.get("sock_cookie") == c["cookie"], what="the sent reset")
    tr.stop()
    recs = tr.records()

    snt = one(recs, "sent", direction="sent", sock_cookie=c["cookie"])
    expect(snt, "sent reset (client)", t0, t1, lport=cport, rport=port,
           state="ESTABLISHED", prev_state="SYN_SENT",
           **sent_fields("TCP_STATE", "abortive close (SO_LINGER 0)"),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters())
    rcv = one(recs, "received", direction="received", lport=port, rport=cport)
    expect(rcv, "received reset (unaccepted child)", t0, t1, family="ipv4",
           laddr="127.0.0.1", raddr="127.0.0.1", netns=netns_inode(server.pid),
           **received_fields("ESTABLISHED", "SYN_RECV"),
           **owner_fields(server, "inherited"), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters())
    check(rcv["sock_cookie"] is not None, "received reset: sock_cookie is null")
    check(rcv["sock_cookie"] != c["cookie"], "received reset: client's cookie")
    not_runner(rcv, "received reset", client)


@test("seeded")
def seeded(stack):
    """A connection made before rsttrace starts, reset after 'Tracing'."""
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-sd-server",
                                     client_comm=b"rst-sd-client")
    tr = tracer(stack)
    t0 = time.time()
    client.call("linger0", "c")
    client.call("close", "c")
    err, _ = server.call("recv_error", "s")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "server recv() after the client's abortive close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()
    port = s["local"][1]

    # rsttrace did not see these connections begin: prev_state is unknown;
    # age_ms may be unknown too, and if it is given it must be right
    snt = one(recs, "sent", direction="sent", sock_cookie=c["cookie"])
    expect(snt, "sent reset (client, seeded)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=c["local"][1], raddr="127.0.0.1", rport=port,
           state="ESTABLISHED", prev_state=None, netns=netns_inode(client.pid),
           **sent_fields("TCP_STATE", "abortive close (SO_LINGER 0)"),
           **owner_fields(client, "seeded", tid=None), **peer_fields(server),
           age_ms=age_within(0, m1 - m0, or_null=True), **counters())
    check(snt["tid"] in (None, client.tid), "sent reset: tid %r is not the client's (%d)",
          snt["tid"], client.tid)
    not_runner(snt, "sent reset", server)

    rcv = one(recs, "received", direction="received", sock_cookie=s["cookie"])
    expect(rcv, "received reset (server, seeded)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           netns=netns_inode(server.pid), **received_fields("ESTABLISHED", None),
           **owner_fields(server, "seeded", tid=None), **peer_fields(client),
           age_ms=age_within(0, m1 - m0, or_null=True), **counters())
    check(rcv["tid"] in (None, server.tid), "received reset: tid %r is not the server's (%d)",
          rcv["tid"], server.tid)
    not_runner(rcv, "received reset", client)


def veth_namespaces(stack, tag=""):
    """Namespaces A (198.18.0.1, server side) and B (198.18.0.2, client
    side) joined by a veth pair, both removed again by the stack."""
    a = netns(stack, "a" + tag)
    b = netns(stack, "b" + tag)
    run(["ip", "link", "add", "rst0", "netns", a.name, "type", "veth",
         "peer", "name", "rst1", "netns", b.name])
    a.ip("addr", "add", "198.18.0.1/30", "dev", "rst0")
    b.ip("addr", "add", "198.18.0.2/30", "dev", "rst1")
    for n, dev in ((a, "rst0"), (b, "rst1")):
        n.ip("link", "set", "lo", "up")
        n.ip("link", "set", dev, "up")
    check(len({a.inode, b.inode, netns_inode()}) == 3, "namespace inodes not distinct")
    return a, b


@test("netns")
def netns_case(stack):
    """Server in namespace A, client in namespace B, joined by a veth pair;
    the server closes with unread data."""
    a, b = veth_namespaces(stack)
    tr = tracer(stack)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(
        stack, server_comm=b"rst-ns-server", client_comm=b"rst-ns-client",
        server_kw={"netns": a}, client_kw={"netns": b}, addr="198.18.0.1")
    eq(server.info["netns"], a.inode, "server process's netns")
    eq(client.info["netns"], b.inode, "client process's netns")
    client.call("send", "c", b"y" * 200)
    server.call("wait_readable", "s", 200)
    server.call("close", "s")
    err, _ = client.call("recv_error", "c")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "client recv() after the server's close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (server in ns A)", t0, t1, netns=a.inode, family="ipv4",
           laddr="198.18.0.1", lport=port, raddr="198.18.0.2", rport=c["local"][1],
           state="ESTABLISHED", prev_state="SYN_RECV",
           **sent_fields("TCP_ABORT_ON_CLOSE",
                         "application closed socket with 200 unread bytes"),
           **owner_fields(server, "accept"), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters(received=200, unread=200))
    not_runner(snt, "sent reset", client)
    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client in ns B)", t0, t1, netns=b.inode,
           family="ipv4", laddr="198.18.0.2", lport=c["local"][1],
           raddr="198.18.0.1", rport=port, **received_fields("ESTABLISHED", "SYN_SENT"),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters(sent=200, acked=between(0, 200)))
    not_runner(rcv, "received reset", server)
    eq(snt["unread_bytes"], rcv["bytes_sent"], "server's unread_bytes vs the client's bytes_sent")


def timewait_socket(lport, rport):
    """Whether the kernel holds a timewait socket (inet_timewait_sock, any
    substate: ss shows its substate, FIN-WAIT-2 here, with a timewait
    timer) for 127.0.0.1:lport <-> :rport."""
    r = run(["ss", "-tanoH", "( sport = :%d and dport = :%d )" % (lport, rport)])
    return "timer:(timewait" in r.stdout.decode()


def timewait_case(stack, infer=False, collect=None):
    """Server closes first (its socket becomes a timewait socket), then the
    client, which has not closed, sends data to it."""
    tr = scenario_tracer(stack, infer)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-tw-server",
                                     client_comm=b"rst-tw-client")
    port = s["local"][1]
    server.call("close", "s")
    eof, data = client.call("recv_error", "c")  # the server's FIN
    eq((eof, data), (0, b""), "client read after the server's close")
    wait_kernel(lambda: timewait_socket(port, c["local"][1]),
                "the server's socket to become a timewait socket")
    client.call("send", "c", b"late data")
    t1 = time.time()
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    m1 = time.monotonic()
    # what the client sees next: its connection was reset in CLOSE_WAIT
    eq(client.call("send_error", "c", b"more"), errno.EPIPE,
       "client send() after the reset in CLOSE_WAIT")
    recs = collected(tr, collect)

    # the timewait socket replaced the server's FIN_WAIT2 socket
    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (timewait socket)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           state="TIME_WAIT", prev_state="FIN_WAIT2", netns=netns_inode(server.pid),
           **sent_fields("TCP_TIMEWAIT_SOCKET",
                         "data arrived for a closed connection (TIME_WAIT)", None, infer),
           **owner_fields(server, "accept"), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **NOCOUNTERS)
    not_runner(snt, "sent reset", client)
    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port,
           **received_fields("CLOSE_WAIT", "ESTABLISHED", infer),
           **owner_fields(client, "connect"), **peer_fields(server),
           age_ms=age_within(0, m1 - m0), **counters(sent=9))
    not_runner(rcv, "received reset", server)


@test("timewait")
def timewait(stack):
    timewait_case(stack)


@test("nfreject")
def nfreject(stack):
    """An nft rule (in a namespace of the test's own) answers the SYN with
    'reject with tcp reset' although a listener exists: the kernel's TCP
    reset tracepoint does not see netfilter's reset, the client's received
    reset is still reported with its owner."""
    ns = netns(stack, "nf")
    ns.ip("link", "set", "lo", "up")
    server = proc(stack, b"rst-nf-server", netns=ns)
    client = proc(stack, b"rst-nf-client", netns=ns)
    port = server.listen("l", 4, "127.0.0.1")
    table = "rsttrace_test_%d" % os.getpid()
    nft = ["ip", "netns", "exec", ns.name, "nft"]
    run(nft + ["add", "table", "inet", table])
    stack.callback(run, nft + ["delete", "table", "inet", table], check_rc=False)
    run(nft + ["add chain inet %s input { type filter hook input priority 0 ; }" % table])
    run(nft + ["add rule inet %s input tcp dport %d tcp flags syn reject with tcp reset"
               % (table, port)])
    tr = tracer(stack)
    t0 = time.time()
    m0 = time.monotonic()
    c = client.connect("c", 4, "127.0.0.1", port)
    t1 = time.time()
    eq(c["errno"], errno.ECONNREFUSED, "connect() through the reject rule")
    tr.wait_for(lambda r: r.get("sock_cookie") == c["cookie"], what="the received reset")
    m1 = time.monotonic()
    tr.stop()
    recs = tr.records()
    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    # the reset was forged by netfilter: no socket, so no peer owner
    fields = received_fields("SYN_SENT", "CLOSE")
    del fields["source"]  # which hook is credited with a forged reset is not specified
    # no TCP sender on this host, yet from loopback: flagged, unless
    # netfilter's own reset was traced as the sender
    fields["cause"] = Match(
        lambda v: v in ("peer refused connection",
                        "peer refused connection (no TCP sender on this host: "
                        "firewall REJECT?)"),
        "the refused cause, flagged when no sender was traced")
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           raddr="127.0.0.1", rport=port, netns=ns.inode, **fields,
           **owner_fields(client, "connect"), **NOPEER,
           age_ms=age_within(0, m1 - m0), srtt_us=0, **counters())
    not_runner(rcv, "received reset", server)
    tcp_sent = pick(recs, direction="sent", source="tcp", rport=rcv["lport"])
    check(not tcp_sent, "a reset sent by TCP reported for a SYN that netfilter rejected:\n%s",
          summarize(tcp_sent))
    nf = pick(recs, direction="sent", source="netfilter")
    info("nfreject: received reset credited to source %r; %d sent reset(s) with source "
         "netfilter" % (rcv["source"], len(nf)))
    check(nf or "firewall REJECT?" in rcv["cause"],
          "received reset from loopback with no sender traced, not flagged: %r", rcv["cause"])
    for r in nf:
        expect(r, "sent reset (netfilter)", t0, t1, lport=port, rport=rcv["lport"],
               netns=ns.inode, **peer_fields(client))
