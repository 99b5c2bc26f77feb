"""Filters: each run provokes resets that the filter must drop first, then
resets that it must pass (the positive control). Once the control has
arrived, the dropped ones would have arrived before it, since every reset
here is traced synchronously inside the connect() that provoked it."""
import errno
import os
import tempfile

from harness import (Cgroup, Sock, TestFailure, Tracer, caps, cgroup, cgroup2_mount, cgroup_move, eq,
                     expect, free_ports, on, one, one_on, owner_fields, pick, proc, skip,
                     skip_part, summarize, test)
from test_owner import LO, timewait_conn, tracer


def refuse(p, family, port, name):
    """p connects to a closed port: 1 sent reset (no socket, lport = port;
    where rsttrace sees it: nosock_resets) and 1 received reset (owner p,
    rport = port). Returns p's socket (Sock)."""
    r = p.connect(name, family, LO[family], port)
    eq(r["errno"], errno.ECONNREFUSED, "connect() to closed port %d" % port)
    return Sock(r, peer=(LO[family], port), cookie_late=True)


def resets_per_refuse():
    """Records per refuse(): the received reset, and the sent one where
    rsttrace sees resets for closed ports."""
    return 2 if caps()["nosock_resets"] else 1


def skip_sent(what):
    skip_part("resets sent for closed ports are not visible on this kernel "
              "(nosock_resets false): %s", what)


def only(recs, what, pred):
    bad = [r for r in recs if r["type"] == "reset" and not pred(r)]
    if bad:
        raise TestFailure("%s: %d record(s) that the filter should have dropped:\n%s" % (
            what, len(bad), summarize(bad[:10])))


@test("filter_pid")
def filter_pid(stack):
    a = proc(stack, b"rst-fp-a")
    b = proc(stack, b"rst-fp-b")
    c = proc(stack, b"rst-fp-c")
    p1, = free_ports(1)
    tr = tracer(stack, "-p", "%d,%d" % (a.pid, c.pid))
    refuse(b, 4, p1, "neg")
    ca = refuse(a, 4, p1, "pos")
    cc = refuse(c, 4, p1, "pos")
    tr.wait_on((ca, "received"), (cc, "received"), what="a's and c's resets")
    tr.stop()
    recs = tr.records()
    only(recs, "-p %d,%d" % (a.pid, c.pid), lambda r: r["pid"] in (a.pid, c.pid))
    expect(one_on(recs, "a's received", ca, "received"), "a's reset",
           direction="received", **owner_fields(a, "connect"))
    expect(one_on(recs, "c's received", cc, "received"), "c's reset",
           direction="received", **owner_fields(c, "connect"))


def port_filter_case(stack, flag, expect_pos, pred_desc, pred):
    """Closed ports p1 (listed, with a spare p3) and p2 (not listed)."""
    if expect_pos == ("sent",) and not caps()["nosock_resets"]:
        skip("resets sent for closed ports are not visible on this kernel (nosock_resets "
             "false): %s passes only those here", flag)
    p1, p2, p3 = free_ports(3)
    cl = proc(stack, b"rst-fport")
    tr = tracer(stack, flag, "%d,%d" % (p1, p3))
    refuse(cl, 4, p2, "neg")
    sock = refuse(cl, 4, p1, "pos")
    if "sent" in expect_pos and not caps()["nosock_resets"]:
        skip_sent("the sent reset that %s passes is not checked" % flag)
        expect_pos = tuple(d for d in expect_pos if d != "sent")
    want = []
    if "sent" in expect_pos:
        want.append(lambda r: r.get("direction") == "sent" and r.get("lport") == p1)
    if "received" in expect_pos:
        want.append(on(sock, "received"))
    tr.wait_for(lambda r: any(w(r) for w in want), n=len(want), what="the control resets")
    tr.stop()
    recs = tr.records()
    only(recs, "%s %d,%d (%s)" % (flag, p1, p3, pred_desc), lambda r: pred(r, p1, p3))
    if "sent" in expect_pos:
        expect(one(recs, "sent to p1", direction="sent", lport=p1), "sent reset",
               reason="NO_SOCKET", laddr="127.0.0.1")
    if "received" in expect_pos:
        expect(one_on(recs, "received from p1", sock, "received"), "received reset",
               direction="received", rport=p1, **owner_fields(cl, "connect"))


@test("filter_lport")
def filter_lport(stack):
    port_filter_case(stack, "-L", ("sent",), "local port",
                     lambda r, p1, p3: r["lport"] in (p1, p3))


@test("filter_rport")
def filter_rport(stack):
    port_filter_case(stack, "-D", ("received",), "remote port",
                     lambda r, p1, p3: r["rport"] in (p1, p3))


@test("filter_port")
def filter_port(stack):
    port_filter_case(stack, "-P", ("sent", "received"), "either port",
                     lambda r, p1, p3: r["lport"] in (p1, p3) or r["rport"] in (p1, p3))


def family_case(stack, flag, pos, neg):
    p1, = free_ports(1)
    cl = proc(stack, b"rst-ffam")
    tr = tracer(stack, flag)
    refuse(cl, neg, p1, "neg")
    sock = refuse(cl, pos, p1, "pos")
    fam = {4: "ipv4", 6: "ipv6"}[pos]
    nosock = caps()["nosock_resets"]
    tr.wait_on((sock, "received"), what="the control reset")
    if nosock:
        tr.wait_for(lambda r: r.get("direction") == "sent" and r.get("lport") == p1,
                    what="the control's sent reset")
    tr.stop()
    recs = tr.records()
    only(recs, flag, lambda r: r["family"] == fam)
    expect(one_on(recs, "received", sock, "received"), "received reset",
           family=fam, laddr=LO[pos], **owner_fields(cl, "connect"))
    if not nosock:
        skip_sent("the sent side is not checked")
        return
    expect(one(recs, "sent", direction="sent", lport=p1), "sent reset",
           family=fam, laddr=LO[pos], reason="NO_SOCKET")


@test("filter_ipv4")
def filter_ipv4(stack):
    family_case(stack, "-4", 4, 6)


@test("filter_ipv6")
def filter_ipv6(stack):
    family_case(stack, "-6", 6, 4)


def direction_case(stack, direction):
    if direction == "sent" and not caps()["nosock_resets"]:
        skip("resets sent for closed ports are not visible on this kernel (nosock_resets "
             "false): nothing for --direction sent to pass here")
    p1, = free_ports(1)
    cl = proc(stack, b"rst-fdir")
    tr = tracer(stack, "--direction", direction)
    c1 = refuse(cl, 4, p1, "first")   # its other direction must not show up
    c2 = refuse(cl, 4, p1, "control")
    if direction == "sent":
        tr.wait_for(lambda r: r.get("lport") == p1, n=2, what="both sent resets")
    else:
        tr.wait_on((c1, "received"), (c2, "received"), what="both received resets")
    tr.stop()
    recs = tr.records()
    only(recs, "--direction " + direction, lambda r: r["direction"] == direction)
    if direction == "sent":
        eq(len(pick(recs, lport=p1)), 2, "sent resets from port %d" % p1)
    else:
        one_on(recs, "first received", c1, "received")
        one_on(recs, "control received", c2, "received")


@test("filter_direction_sent")
def filter_direction_sent(stack):
    direction_case(stack, "sent")


@test("filter_direction_received")
def filter_direction_received(stack):
    direction_case(stack, "received")


@test("filter_cgroup")
def filter_cgroup(stack):
    """-c PATH: a socket belongs to the cgroup its creator was in at socket()."""
    cg = cgroup(stack, "f")
    root = cgroup2_mount()
    p1, = free_ports(1)
    inside = proc(stack, b"rst-cg-in", cgroup=cg)       # lives in cg
    outside = proc(stack, b"rst-cg-out")                # lives elsewhere
    born_in = proc(stack, b"rst-cg-born", cgroup=cg)    # socket made in cg, then moves out
    moved_in = proc(stack, b"rst-cg-moved")             # socket made outside, then moves in
    born_in.call("socket", "pos2", 4)
    moved_in.call("socket", "neg2", 4)
    cgroup_move(root, born_in.pid)
    cg.add(moved_in.pid)
    tr = tracer(stack, "-c", cg.path)
    refuse(outside, 4, p1, "neg")
    refuse(moved_in, 4, p1, "neg2")
    c_in = refuse(inside, 4, p1, "pos")
    c_born = refuse(born_in, 4, p1, "pos2")
    tr.wait_on((c_in, "received"), (c_born, "received"),
               what="the resets of sockets created in the cgroup")
    tr.stop()
    recs = tr.records()
    only(recs, "-c %s (id %d)" % (cg.path, cg.id), lambda r: r["cgroup_id"] == cg.id)
    expect(one_on(recs, "inside", c_in, "received"), "reset of the process in the cgroup",
           direction="received", **owner_fields(inside, "connect", cgroup_id=cg.id))
    expect(one_on(recs, "born inside", c_born, "received"),
           "reset of a socket created in the cgroup by a process that left it",
           direction="received", **owner_fields(born_in, "connect", cgroup_id=cg.id))


@test("filter_cgroup_timewait")
def filter_cgroup_timewait(stack):
    """-c PARENT passes the reset a TIME_WAIT socket sends when its owner is
    in a child cgroup. A timewait socket has no cgroup of its own; only an
    exact id match used to be taken, so this reset was dropped. The client
    is outside the cgroup, so its received reset must be filtered out."""
    if not caps()["nosock_resets"]:
        skip("resets sent by timewait sockets are not visible on this kernel")
    parent = cgroup(stack, "twp")
    child = Cgroup(os.path.join(parent.path, "child"))
    stack.callback(child.remove)
    tr = tracer(stack, "-c", parent.path)
    server, client, c, s, _ = timewait_conn(stack, "the server's socket",
                                            server_comm=b"rst-cgtw-srv",
                                            client_comm=b"rst-cgtw-cli",
                                            server_kw={"cgroup": child})
    client.call("send", "c", b"late data")
    tr.wait_on((s, "sent"), what="the timewait socket's reset, in a child cgroup")
    tr.stop()
    recs = tr.records()
    snt = one_on(recs, "sent", s, "sent")
    expect(snt, "sent reset (timewait socket in %s)" % child.path, state="TIME_WAIT",
           cgroup_id=child.id, pid=server.pid)
    eq(pick(recs, direction="received", lport=c["local"][1]), [],
       "resets of the client, outside the cgroup")


@test("filter_cgroup_namespace")
def filter_cgroup_namespace(stack):
    """-c from inside a cgroup namespace, as in a DaemonSet pod: rsttrace
    sees the cgroup2 hierarchy from the pod's cgroup down, and -c names a
    cgroup in that view. A socket two levels below it must pass. The
    depth was counted from the namespace's root, but the kernel counts
    from the global one, so such resets were dropped."""
    pod = cgroup(stack, "pod")
    svc = Cgroup(os.path.join(pod.path, "svc"))
    stack.callback(svc.remove)
    leaf = Cgroup(os.path.join(svc.path, "leaf"))
    stack.callback(leaf.remove)
    mnt = tempfile.mkdtemp(prefix="rsttrace-cgns-")
    stack.callback(os.rmdir, mnt)
    port, = free_ports(1)
    inside = proc(stack, b"rst-cgns-in", cgroup=leaf)
    outside = proc(stack, b"rst-cgns-out", cgroup=pod)  # in the pod, not in svc
    tr = Tracer("-c", os.path.join(mnt, "svc"), preexec_fn=pod.join)
    # a new cgroup namespace rooted at the pod's cgroup, with its own view
    tr.args = ["unshare", "--cgroup", "--mount", "sh", "-c",
               'mount -t cgroup2 none "$0" && exec "$@"', mnt] + tr.args
    stack.callback(tr.kill)
    tr.start()
    refuse(outside, 4, port, "neg")
    c = refuse(inside, 4, port, "pos")
    tr.wait_on((c, "received"), what="the reset of a socket two levels below -c")
    tr.stop()
    recs = tr.records()
    only(recs, "-c svc from inside the namespace", lambda r: r["cgroup_id"] == leaf.id)
    expect(one_on(recs, "inside", c, "received"), "reset of the process in svc/leaf",
           direction="received", pid=inside.pid, cgroup_id=leaf.id)
