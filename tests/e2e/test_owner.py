"""Scenarios that provoke resets and check every field of both records,
above all the owner: the process that connect()ed or accept()ed, never the
task that happened to run the softirq (on loopback that is the peer)."""
import errno
import os
import time

from harness import (NOSOCK, Tracer, check, eq, expect, netns,
                     netns_inode, not_runner, one, owner_fields, proc, run,
                     test, closed_port, wait_kernel)

LO = {4: "127.0.0.1", 6: "::1"}
FAMILY = {4: "ipv4", 6: "ipv6"}
NOBODY = 65534


def tracer(stack, *args, **kw):
    t = Tracer(*args, **kw)
    stack.callback(t.kill)
    return t.start()


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


def refused_case(stack, family, uid=None):
    lo = LO[family]
    tr = tracer(stack)
    port = closed_port(family)
    client = proc(stack, b"rst-refused%d" % family, uid=uid)
    t0 = time.time()
    c = client.connect("c", family, lo, port)
    t1 = time.time()
    eq(c["errno"], errno.ECONNREFUSED, "connect() to closed port %d" % port)
    tr.wait_for(lambda r: r.get("direction") == "received" and
                r.get("sock_cookie") == c["cookie"], what="the received reset")
    tr.wait_for(lambda r: r.get("direction") == "sent" and r.get("lport") == port
                and r.get("reason") == "NO_SOCKET", what="the sent NO_SOCKET reset")
    tr.stop()
    recs = tr.records()

    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family=FAMILY[family], laddr=lo,
           raddr=lo, rport=port, state="SYN_SENT", reason=None,
           netns=netns_inode(client.pid),
           **owner_fields(client, "connect"))
    not_runner(rcv, "received reset")
    cport = rcv["lport"]
    check(cport != 0 and cport != port, "received reset: client port %r", cport)

    snt = one(recs, "sent", direction="sent", lport=port, rport=cport)
    expect(snt, "sent reset (no socket)", t0, t1, family=FAMILY[family], laddr=lo,
           raddr=lo, reason="NO_SOCKET", netns=netns_inode(), **NOSOCK)


@test("refused_ipv4")
def refused_ipv4(stack):
    # client runs as nobody: the received reset's uid must be the socket's
    refused_case(stack, 4, uid=NOBODY)


@test("refused_ipv6")
def refused_ipv6(stack):
    refused_case(stack, 6)


@test("linger")
def linger(stack):
    """Client closes an ESTABLISHED connection with SO_LINGER {1,0}."""
    tr = tracer(stack)
    t0 = time.time()
    server, client, c, s = connected(stack, server_comm=b"rst-lg-server",
                                     client_comm=b"rst-lg-client",
                                     client_uid=NOBODY)
    client.call("linger0", "c")
    client.call("close", "c")
    err, _ = server.call("recv_error", "s")
    t1 = time.time()
    eq(err, errno.ECONNRESET, "server recv() after the client's abortive close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=c["cookie"])
    expect(snt, "sent reset (closer = client)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=c["local"][1], raddr="127.0.0.1", rport=port,
           state="ESTABLISHED", reason="TCP_STATE", netns=netns_inode(client.pid),
           **owner_fields(client, "connect"))
    not_runner(snt, "sent reset", server)

    rcv = one(recs, "received", direction="received", sock_cookie=s["cookie"])
    expect(rcv, "received reset (server)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           state="ESTABLISHED", reason=None, netns=netns_inode(server.pid),
           **owner_fields(server, "accept"))
    # on loopback the server's receive softirq runs in the client's close()
    not_runner(rcv, "received reset", client)


@test("unread")
def unread(stack):
    """Server closes an accepted socket with unread data in its queue."""
    tr = tracer(stack)
    t0 = time.time()
    server, client, c, s = connected(stack, server_comm=b"rst-ur-server",
                                     client_comm=b"rst-ur-client")
    client.call("send", "c", b"x" * 100)
    server.call("wait_readable", "s", 100)
    server.call("close", "s")
    err, _ = client.call("recv_error", "c")
    t1 = time.time()
    eq(err, errno.ECONNRESET, "client recv() after the server's close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (server)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=port, raddr="127.0.0.1", rport=c["local"][1], state="ESTABLISHED",
           reason="TCP_ABORT_ON_CLOSE", netns=netns_inode(server.pid),
           **owner_fields(server, "accept"))
    not_runner(snt, "sent reset", client)

    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port, state="ESTABLISHED",
           reason=None, netns=netns_inode(client.pid),
           **owner_fields(client, "connect"))
    not_runner(rcv, "received reset", server)


@test("prefork")
def prefork(stack):
    """Parent listens, forks a worker, the worker accept()s and aborts."""
    tr = tracer(stack)
    t0 = time.time()
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
    eq(err, errno.ECONNRESET, "client recv() after the worker's abortive close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (worker)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=port, raddr="127.0.0.1", rport=c["local"][1], state="ESTABLISHED",
           reason="TCP_STATE", netns=netns_inode(worker.pid),
           **owner_fields(worker, "accept"))
    not_runner(snt, "sent reset", parent, client)

    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port, state="ESTABLISHED",
           reason=None, **owner_fields(client, "connect"))
    not_runner(rcv, "received reset", worker, parent)


@test("inherited")
def inherited(stack):
    """A connection still in the accept queue (never accept()ed) is reset by
    the client: its owner is the listener's owner, source "inherited"."""
    tr = tracer(stack)
    t0 = time.time()
    server = proc(stack, b"rst-ih-server")
    client = proc(stack, b"rst-ih-client")
    port = server.listen("l", 4, "127.0.0.1")
    c = client.connect("c", 4, "127.0.0.1", port)
    eq(c["errno"], 0, "client connect() errno")
    client.call("linger0", "c")
    client.call("close", "c")
    t1 = time.time()
    cport = c["local"][1]
    tr.wait_for(lambda r: r.get("direction") == "received" and r.get("lport") == port
                and r.get("rport") == cport, what="the listener child's received reset")
    tr.wait_for(lambda r: r.get("sock_cookie") == c["cookie"], what="the sent reset")
    tr.stop()
    recs = tr.records()

    snt = one(recs, "sent", direction="sent", sock_cookie=c["cookie"])
    expect(snt, "sent reset (client)", t0, t1, lport=cport, rport=port,
           state="ESTABLISHED", reason="TCP_STATE", **owner_fields(client, "connect"))
    rcv = one(recs, "received", direction="received", lport=port, rport=cport)
    expect(rcv, "received reset (unaccepted child)", t0, t1, family="ipv4",
           laddr="127.0.0.1", raddr="127.0.0.1", state="ESTABLISHED", reason=None,
           netns=netns_inode(server.pid), **owner_fields(server, "inherited"))
    check(rcv["sock_cookie"] is not None, "received reset: sock_cookie is null")
    check(rcv["sock_cookie"] != c["cookie"], "received reset: client's cookie")
    not_runner(rcv, "received reset", client)


@test("seeded")
def seeded(stack):
    """A connection made before rsttrace starts, reset after 'Tracing'."""
    server, client, c, s = connected(stack, server_comm=b"rst-sd-server",
                                     client_comm=b"rst-sd-client")
    tr = tracer(stack)
    t0 = time.time()
    client.call("linger0", "c")
    client.call("close", "c")
    err, _ = server.call("recv_error", "s")
    t1 = time.time()
    eq(err, errno.ECONNRESET, "server recv() after the client's abortive close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=c["cookie"])
    expect(snt, "sent reset (client, seeded)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=c["local"][1], raddr="127.0.0.1", rport=port,
           state="ESTABLISHED", reason="TCP_STATE", netns=netns_inode(client.pid),
           **owner_fields(client, "seeded", tid=None))
    check(snt["tid"] in (None, client.tid), "sent reset: tid %r is not the client's (%d)",
          snt["tid"], client.tid)
    not_runner(snt, "sent reset", server)

    rcv = one(recs, "received", direction="received", sock_cookie=s["cookie"])
    expect(rcv, "received reset (server, seeded)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           state="ESTABLISHED", reason=None, netns=netns_inode(server.pid),
           **owner_fields(server, "seeded", tid=None))
    check(rcv["tid"] in (None, server.tid), "received reset: tid %r is not the server's (%d)",
          rcv["tid"], server.tid)
    not_runner(rcv, "received reset", client)


@test("netns")
def netns_case(stack):
    """Server in namespace A, client in namespace B, joined by a veth pair;
    the server closes with unread data."""
    a = netns(stack, "a")
    b = netns(stack, "b")
    run(["ip", "link", "add", "rst0", "netns", a.name, "type", "veth",
         "peer", "name", "rst1", "netns", b.name])
    a.ip("addr", "add", "198.18.0.1/30", "dev", "rst0")
    b.ip("addr", "add", "198.18.0.2/30", "dev", "rst1")
    for n, dev in ((a, "rst0"), (b, "rst1")):
        n.ip("link", "set", "lo", "up")
        n.ip("link", "set", dev, "up")
    init_ns = netns_inode()
    check(len({a.inode, b.inode, init_ns}) == 3, "namespace inodes not distinct")

    tr = tracer(stack)
    t0 = time.time()
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
    eq(err, errno.ECONNRESET, "client recv() after the server's close")
    tr.wait_for(lambda r: r.get("sock_cookie") in (c["cookie"], s["cookie"]), n=2,
                what="both resets")
    tr.stop()
    recs = tr.records()
    port = s["local"][1]

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (server in ns A)", t0, t1, netns=a.inode, family="ipv4",
           laddr="198.18.0.1", lport=port, raddr="198.18.0.2", rport=c["local"][1],
           state="ESTABLISHED", reason="TCP_ABORT_ON_CLOSE",
           **owner_fields(server, "accept"))
    not_runner(snt, "sent reset", client)
    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client in ns B)", t0, t1, netns=b.inode,
           family="ipv4", laddr="198.18.0.2", lport=c["local"][1],
           raddr="198.18.0.1", rport=port, state="ESTABLISHED", reason=None,
           **owner_fields(client, "connect"))
    not_runner(rcv, "received reset", server)


def timewait_socket(lport, rport):
    """Whether the kernel holds a timewait socket (inet_timewait_sock, any
    substate: ss shows its substate, FIN-WAIT-2 here, with a timewait
    timer) for 127.0.0.1:lport <-> :rport."""
    r = run(["ss", "-tanoH", "( sport = :%d and dport = :%d )" % (lport, rport)])
    return "timer:(timewait" in r.stdout.decode()


@test("timewait")
def timewait(stack):
    """Server closes first (its socket becomes a timewait socket), then the
    client, which has not closed, sends data to it."""
    tr = tracer(stack)
    t0 = time.time()
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
    tr.stop()
    recs = tr.records()

    snt = one(recs, "sent", direction="sent", sock_cookie=s["cookie"])
    expect(snt, "sent reset (timewait socket)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=c["local"][1],
           state="TIME_WAIT", reason="TCP_TIMEWAIT_SOCKET",
           netns=netns_inode(server.pid), **owner_fields(server, "accept"))
    not_runner(snt, "sent reset", client)
    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port, state="CLOSE_WAIT",
           reason=None, **owner_fields(client, "connect"))
    not_runner(rcv, "received reset", server)


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
    c = client.connect("c", 4, "127.0.0.1", port)
    t1 = time.time()
    eq(c["errno"], errno.ECONNREFUSED, "connect() through the reject rule")
    tr.wait_for(lambda r: r.get("sock_cookie") == c["cookie"], what="the received reset")
    tr.stop()
    recs = tr.records()
    rcv = one(recs, "received", direction="received", sock_cookie=c["cookie"])
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           raddr="127.0.0.1", rport=port, state="SYN_SENT", reason=None,
           netns=ns.inode, **owner_fields(client, "connect"))
    not_runner(rcv, "received reset", server)
