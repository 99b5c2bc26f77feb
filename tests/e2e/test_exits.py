"""Owners that die, and connections left idle: each test ends a real
process for real (SIGKILL, a real segmentation fault, exit() with sockets
open) or waits a measured idle period, and checks the records field by
field, above all exit_signal, exit_code, oom_killed, closed_ago_ms, idle_ms
and the cause that says it in words."""
import errno
import signal
import time

from harness import (NOCOUNTERS, accept_source, age_within, between, caps, eq,
                     exit_fields, expect, info, kernel_config_readable, matching,
                     mem_limit, netns_inode, not_runner, one_on, owner_fields,
                     peer_fields, pick, check, received_fields, skip_part, summarize, test)
from test_owner import (collected, connected, counters, scenario_tracer, sent_fields,
                        timewait_conn)


def ms_within(lo_s, hi_s, slack_ms=1.0):
    """A duration in milliseconds the test bracketed between lo_s and hi_s."""
    return between(max(0.0, lo_s * 1000 - slack_ms), hi_s * 1000 + slack_ms)


def died_with_unread(stack, how, args, comm, exit, death, before_end=None):
    """The server has 19 bytes unread when it ends (how: a signal, or an
    actor op); its socket is closed by its own dying task, with a reset."""
    tr = scenario_tracer(stack, False)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=comm + b"-server",
                                     client_comm=comm + b"-client")
    client.call("send", "c", b"r" * 19)
    server.call("wait_readable", "s", 19)
    if before_end:
        before_end(server)
    m_end0 = time.monotonic()
    server.end(how, *args)
    m_end1 = time.monotonic()
    err, _ = client.call("recv_error", "c")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "client recv() after the server died")
    tr.wait_on((s, "sent"), (c, "received"), what="both resets")
    recs = collected(tr, None)
    port = s["local"][1]

    snt = one_on(recs, "sent", s, "sent")
    expect(snt, "sent reset (dying server)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=port, raddr="127.0.0.1", rport=c["local"][1], state="ESTABLISHED",
           prev_state="SYN_RECV", netns=netns_inode(client.pid),
           **sent_fields("TCP_ABORT_ON_CLOSE", "process %s with 19 unread bytes" % death),
           **owner_fields(server, accept_source(), exit=exit), **peer_fields(client),
           age_ms=age_within(0, m1 - m0), **counters(received=19, unread=19),
           # the reset is the close's own: within the time the death took
           closed_ago_ms=ms_within(0, m_end1 - m_end0),
           idle_ms=ms_within(0, m_end1 - m0, slack_ms=10))
    not_runner(snt, "sent reset", client)
    info("%s: %r, closed_ago_ms %s" % (comm.decode(), snt["cause"], snt["closed_ago_ms"]))

    rcv = one_on(recs, "received", c, "received")
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port,
           **received_fields("ESTABLISHED", "SYN_SENT"),
           **owner_fields(client, "connect"), **peer_fields(server),
           closed_ago_ms=None, age_ms=age_within(0, m1 - m0),
           **counters(sent=19, acked=between(0, 19)))


@test("exit_sigkill")
def exit_sigkill(stack):
    """kill -9 of a server with a request unread: not "application closed"."""
    died_with_unread(stack, signal.SIGKILL, (), b"rst-k9",
                     exit_fields("SIGKILL"), "killed by SIGKILL")


@test("exit_sigsegv")
def exit_sigsegv(stack):
    """A server that really crashes (a NULL read) with a request unread."""
    died_with_unread(stack, "crash", (), b"rst-segv",
                     exit_fields("SIGSEGV"), "killed by SIGSEGV")


@test("exit_status")
def exit_status(stack):
    """A server that calls exit(3) with a request unread."""
    died_with_unread(stack, "exit_status", (3,), b"rst-ex3",
                     exit_fields(code=3), "exited (status 3)")


@test("exit_oom")
def exit_oom(stack):
    """A server in a memory cgroup of 64 MiB (no swap) that takes memory
    until the OOM killer chooses it, with a request unread."""
    mem = mem_limit(stack, 64 << 20, "oom")
    died_with_unread(stack, "hog", (), b"rst-oom",
                     exit_fields("SIGKILL", oom=True),
                     "killed by the OOM killer (SIGKILL)",
                     before_end=lambda server: mem.add(server.pid))


@test("exit_killed_peer_writes")
def exit_killed_peer_writes(stack):
    """A server killed with nothing unread: its dying task sends a FIN, the
    socket it leaves becomes a timewait socket, and the client, which has not
    noticed, writes to it: the reset comes from that timewait socket, later,
    and still says whose connection it was and that its owner was killed."""
    tr = scenario_tracer(stack, False)
    t0 = time.time()
    m0 = time.monotonic()
    def kill(server):
        server_netns = netns_inode(server.pid)
        m_kill0 = time.monotonic()
        server.end(signal.SIGKILL)
        return server_netns, m_kill0, time.monotonic()
    server, client, c, s, (server_netns, m_kill0, m_kill1) = timewait_conn(
        stack, "the dead server's socket", kill, server_comm=b"rst-kw-server",
        client_comm=b"rst-kw-client")
    port = s["local"][1]
    m_send0 = time.monotonic()
    client.call("send", "c", b"late request")
    m_send1 = time.monotonic()
    t1 = time.time()
    nosock = caps()["nosock_resets"]
    tr.wait_on(*(((s, "sent"),) if nosock else ()), (c, "received"),
               what="both resets" if nosock else "the received reset")
    m1 = time.monotonic()
    eq(client.call("send_error", "c", b"more"), errno.EPIPE,
       "client send() after the reset in CLOSE_WAIT")
    recs = collected(tr, None)

    rcv = one_on(recs, "received", c, "received")
    expect(rcv, "received reset (client)", t0, t1, family="ipv4", laddr="127.0.0.1",
           lport=c["local"][1], raddr="127.0.0.1", rport=port,
           **received_fields("CLOSE_WAIT", "ESTABLISHED"),
           **owner_fields(client, "connect"),
           age_ms=age_within(0, m1 - m0), **counters(sent=12))
    if not nosock:
        bad = pick(recs, direction="sent", lport=port)
        check(not bad, "rsttrace -V --json says nosock_resets false, yet it reported:\n%s",
              summarize(bad))
        skip_part("resets sent by timewait sockets are not visible on this kernel "
                  "(nosock_resets false): the sent side is not checked")
        return
    snt = one_on(recs, "sent", s, "sent")
    expect(snt, "sent reset (timewait socket of the killed server)", t0, t1,
           family="ipv4", laddr="127.0.0.1", lport=port, raddr="127.0.0.1",
           rport=c["local"][1], state="TIME_WAIT", netns=server_netns,
           **sent_fields("TCP_TIMEWAIT_SOCKET", matching(
               r"data arrived for a closed connection \(TIME_WAIT\)( \(closed after "
               r"\d+\.\d s idle\))? \(its process killed by SIGKILL (\d+ ms|\d+\.\d s) "
               r"earlier\)$")),
           **owner_fields(server, accept_source(), exit=exit_fields("SIGKILL")),
           prev_state="FIN_WAIT2", age_ms=age_within(0, m1 - m0),
           closed_ago_ms=ms_within(m_send0 - m_kill1, m_send1 - m_kill0 + 0.05),
           idle_ms=None, **peer_fields(client), **NOCOUNTERS)
    not_runner(snt, "sent reset", client)
    info("exit_killed_peer_writes: %r, closed_ago_ms %s" % (snt["cause"],
                                                             snt["closed_ago_ms"]))


@test("idle_linger0")
def idle_linger0(stack):
    """A connection left idle for a measured 1.3 s, then closed abortively:
    idle_ms within 10% of it, and the cause says how long it was idle."""
    idle = 1.3
    tr = scenario_tracer(stack, False)
    t0 = time.time()
    m0 = time.monotonic()
    server, client, c, s = connected(stack, server_comm=b"rst-idle-server",
                                     client_comm=b"rst-idle-client")
    client.call("send", "c", b"q" * 10)
    server.call("recv_exact", "s", 10)
    m_last0 = time.monotonic()
    server.call("send", "s", b"a" * 10)
    client.call("recv_exact", "c", 10)
    m_last1 = time.monotonic()
    time.sleep(idle)  # the idle period is the scenario, not a wait for it
    server.call("linger0", "s")
    m_close0 = time.monotonic()
    server.call("close", "s")
    m_close1 = time.monotonic()
    err, _ = client.call("recv_error", "c")
    t1 = time.time()
    m1 = time.monotonic()
    eq(err, errno.ECONNRESET, "client recv() after the abortive close")
    tr.wait_on((s, "sent"), (c, "received"), what="both resets")
    recs = collected(tr, None)
    snt = one_on(recs, "sent", s, "sent")
    rcv = one_on(recs, "received", c, "received")
    lo, hi = m_close0 - m_last1, m_close1 - m_last0
    if snt["idle_ms"] is None and not kernel_config_readable():
        skip_part("no kernel configuration to read CONFIG_HZ from "
                  "(/boot/config-*, /proc/config.gz): idle_ms is null here")
        idle_ok = None
        cause = "abortive close (SO_LINGER 0)"
    else:
        idle_ok = between(0.9 * lo * 1000, 1.1 * hi * 1000)
        cause = matching(r"abortive close \(SO_LINGER 0\) after 1\.[2-5] s idle")
    expect(snt, "sent reset (abortive close after idle)", t0, t1, family="ipv4",
           laddr="127.0.0.1", lport=s["local"][1], raddr="127.0.0.1",
           rport=c["local"][1], state="ESTABLISHED", prev_state="SYN_RECV",
           **sent_fields("TCP_STATE", cause),
           **owner_fields(server, accept_source()), **peer_fields(client),
           age_ms=age_within(idle, m1 - m0), idle_ms=idle_ok,
           closed_ago_ms=ms_within(0, m_close1 - m_close0),
           **counters(sent=10, acked=10, received=10))
    info("idle_linger0: idle %.0f..%.0f ms measured; idle_ms %s, %r" % (
        lo * 1000, hi * 1000, snt["idle_ms"], snt["cause"]))
    # the client's end was idle as long: its last data came with the server's
    expect(rcv, "received reset (client)", t0, t1,
           **received_fields("ESTABLISHED", "SYN_SENT"),
           **owner_fields(client, "connect"), **peer_fields(server),
           idle_ms=idle_ok, closed_ago_ms=None,
           **counters(sent=10, acked=10, received=10))
