"""Identity: the cgroup path, systemd unit, container and Kubernetes pod of
each reset's socket, and the network namespace's name. Real cgroup v2
directories shaped as systemd, Docker, containerd, CRI-O and podman make
them (systemd and cgroupfs drivers); the test's own processes are moved
in and refused a connection. A kubelet log layout under a temporary
--k8s-logs root names namespace, pod and container."""
import errno
import hashlib
import os
import re
import subprocess
import tempfile
import uuid

from harness import (NOT_UTF8, Cgroup, Sock, Tracer, cgroup, cgroup2_mount, check, eq, expect,
                     free_ports, info, name_bytes, netns, one_on, owner_fields, proc,
                     rsttrace_cmd, scaled, test, TEST_PID)
from test_cli import check_table, check_table_names
from test_filters import only, refuse, resets_per_refuse
from test_metrics import metrics_port, scrape
from test_owner import tracer


def cid(tag):
    """A container id: 64 lowercase hex digits."""
    return hashlib.sha256(tag.encode()).hexdigest()


def shaped(stack, root, rel):
    """The cgroups root/rel, made one level at a time (removed in reverse,
    after the processes in them): returns the innermost."""
    path = root.path
    for part in rel.split("/"):
        path = os.path.join(path, part)
        if os.path.isdir(path):  # made for another shape
            continue
        c = Cgroup(path)
        stack.callback(c.remove)
    return c


def host_path(cg):
    """A cgroup's path as rsttrace names it: below the hierarchy's root."""
    return "/" + os.path.relpath(cg.path, cgroup2_mount())


class K8sLogs:
    """The kubelet's log layout: pods/NS_POD_UID/CONTAINER/0.log and
    containers/POD_NS_CONTAINER-ID.log (a symlink to it)."""

    def __init__(self, stack):
        self.root = tempfile.mkdtemp(prefix="rsttrace-k8s-")
        stack.callback(subprocess.run, ["rm", "-rf", self.root])
        os.makedirs(os.path.join(self.root, "pods"))
        os.makedirs(os.path.join(self.root, "containers"))

    def add(self, ns, pod, uid, container, container_id):
        d = os.path.join(self.root, "pods", "%s_%s_%s" % (ns, pod, uid), container)
        os.makedirs(d, exist_ok=True)
        log = os.path.join(d, "0.log")
        open(log, "w").close()
        os.symlink(log, os.path.join(self.root, "containers", "%s_%s_%s-%s.log" % (
            pod, ns, container, container_id)))


NONE = {"unit": None, "container_id": None, "container_runtime": None, "pod_uid": None,
        "namespace": None, "pod": None, "container": None}


def shapes():
    """(tag, cgroup path below the test's root, identity expected)."""
    u = [str(uuid.uuid4()) for _ in range(4)]
    c = [cid("rst-%s-%d" % (u[0], i)) for i in range(8)]
    return u, c, [
        ("service", "system.slice/rst-web.service", {**NONE, "unit": "rst-web.service"}),
        ("user", "user.slice/user-1000.slice/user@1000.service/app.slice/rst-app.service",
         {**NONE, "unit": "user@1000.service"}),
        ("docker-systemd", "system.slice/docker-%s.scope" % c[0],
         {**NONE, "unit": "docker-%s.scope" % c[0], "container_id": c[0],
          "container_runtime": "docker"}),
        ("docker-cgroupfs", "docker/%s" % c[1],
         {**NONE, "container_id": c[1], "container_runtime": "docker"}),
        ("containerd-systemd",
         "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/"
         "cri-containerd-%s.scope" % (u[0].replace("-", "_"), c[2]),
         {"unit": "cri-containerd-%s.scope" % c[2], "container_id": c[2],
          "container_runtime": "containerd", "pod_uid": u[0], "namespace": "shop",
          "pod": "web-0", "container": "nginx"}),
        ("containerd-cgroupfs", "kubepods/besteffort/pod%s/%s" % (u[1], c[3]),
         {**NONE, "container_id": c[3], "container_runtime": "containerd", "pod_uid": u[1],
          "namespace": "shop", "pod": "cache-1", "container": "redis"}),
        ("crio-systemd", "kubepods.slice/kubepods-pod%s.slice/crio-%s.scope" % (
            u[2].replace("-", "_"), c[4]),
         {"unit": "crio-%s.scope" % c[4], "container_id": c[4], "container_runtime": "cri-o",
          "pod_uid": u[2], "namespace": "kube-system", "pod": "dns-x",
          "container": "coredns"}),
        # no logs for this pod: its uid, but no names
        ("crio-cgroupfs", "kubepods/pod%s/crio-%s" % (u[3], c[5]),
         {**NONE, "container_id": c[5], "container_runtime": "cri-o", "pod_uid": u[3]}),
        ("podman", "machine.slice/libpod-%s.scope" % c[6],
         {**NONE, "unit": "libpod-%s.scope" % c[6], "container_id": c[6],
          "container_runtime": "podman"}),
    ]


def kubelet_logs(stack, u, c):
    logs = K8sLogs(stack)
    logs.add("shop", "web-0", u[0], "nginx", c[2])
    logs.add("shop", "cache-1", u[1], "redis", c[3])
    logs.add("kube-system", "dns-x", u[2], "coredns", c[4])
    return logs


@test("identity_shapes")
def identity_shapes(stack):
    """Every shape names its unit, container, runtime and pod; the kubelet's
    logs name namespace, pod and container; -w shows them in the table."""
    root = cgroup(stack, "id")
    u, c, table = shapes()
    logs = kubelet_logs(stack, u, c)
    port, = free_ports(1)
    leaves = [(tag, shaped(stack, root, rel), want) for tag, rel, want in table]
    ns = netns(stack, "idn")
    ns.ip("link", "set", "lo", "up")
    tr = tracer(stack, "--k8s-logs", logs.root)
    wide = Tracer("-w", "--k8s-logs", logs.root, json_mode=False)
    stack.callback(wide.kill)
    wide.start()
    socks = []
    for tag, leaf, want in leaves:
        p = proc(stack, b"rst-id-" + tag.encode()[:8], cgroup=leaf)
        socks.append((tag, leaf, want, refuse(p, 4, port, tag)))
    in_ns = proc(stack, b"rst-id-netns", netns=ns)
    s_ns = refuse(in_ns, 4, port, "netns")
    tr.wait_on(*[(s, "received") for _, _, _, s in socks], (s_ns, "received"),
               what="a reset from every shaped cgroup")
    tr.stop()
    wide.stop()
    recs = tr.records()
    for tag, leaf, want, s in socks:
        r = one_on(recs, tag, s, "received")
        expect(r, "reset in %s" % tag, cgroup_id=leaf.id, cgroup=host_path(leaf),
               netns_name=None, **want)
    expect(one_on(recs, "netns", s_ns, "received"), "reset in netns %s" % ns.name,
           netns_name=ns.name, container_id=None, pod=None)
    lines = b"\n".join(wide.lines).decode("utf-8", "replace")
    check("WHERE" in lines.splitlines()[0], "-w header: %r", lines.splitlines()[:1])
    for what in ("shop/web-0/nginx", "shop/cache-1/redis", "kube-system/dns-x/coredns",
                 "cri-o:%s" % c[5][:12], "docker:%s" % c[1][:12], "podman:%s" % c[6][:12],
                 "rst-web.service", "netns:" + ns.name):
        check(what in lines, "-w table without %r:\n%s", what, lines[-3000:])


# the kernel refuses a newline in a cgroup's name (/proc/PID/cgroup is
# one line per hierarchy): a tab, a quote, a backslash and an ESC instead
HOSTILE_CGROUPS = [
    ("valid", 'odd \\ "q"\t\u2028\U0001F600\x1b'),
    ("invalid", os.fsdecode(b'bad \\ "q"\t\xff\xc0\xaf')),
    ("unit", "system.slice/rst\\x2dodd.service"),
]


@test("identity_hostile_names")
def identity_hostile_names(stack):
    """cgroups named with a backslash, a quote, a tab, U+2028, an emoji, an
    ESC and bytes that are not UTF-8, a unit with systemd's own escape
    (rst\\x2dodd.service), and a network namespace named oddly: the JSON
    cgroup, unit and netns_name are exactly the path and the names (for
    bytes not UTF-8: U+FFFD, and the exact bytes under not_utf8); --summary
    --by unit has the unit exact; the -w table keeps one line a reset, and
    shows the unit and the namespace escaped."""
    root = cgroup(stack, "idh")
    port, = free_ports(1)
    # a network namespace named so too, before rsttrace reads their names
    # (ip netns takes any name; not one with bytes that are not UTF-8: its
    # mount would make /proc/mounts unreadable as text to others meanwhile)
    nss = [("nsvalid", netns(stack, 'idh\\"q\u2028\U0001F600'))]
    nss[0][1].ip("link", "set", "lo", "up")
    tr = tracer(stack, "-P", str(port))
    ts = tracer(stack, "--summary=3600", "--by", "unit", "-P", str(port))
    wide = tracer(stack, "-w", "-P", str(port), json_mode=False)
    socks = []
    for tag, rel in HOSTILE_CGROUPS:
        leaf = shaped(stack, root, rel)
        p = proc(stack, b"rst-idh-" + tag.encode(), cgroup=leaf)
        socks.append((tag, leaf, refuse(p, 4, port, tag)))
    for tag, ns in nss:
        p = proc(stack, b"rst-idh-" + tag.encode(), netns=ns)
        socks.append((tag, ns, refuse(p, 4, port, tag)))
    n = resets_per_refuse() * len(socks)
    tr.wait_on(*[(s, "received") for _, _, s in socks],
               what="a reset from every odd cgroup and netns")
    wide.wait_lines(1 + n, scaled(5))
    tr.stop()
    ts.stop()
    wide.stop()
    recs = tr.records()  # validated: not_utf8 agrees with each value
    for tag, leaf, s in socks[:len(HOSTILE_CGROUPS)]:
        r = one_on(recs, tag, s, "received")
        want = os.fsencode(host_path(leaf))
        eq(name_bytes(r, "cgroup"), want, "cgroup of %s (exact bytes)" % tag)
        try:
            eq((r["cgroup"], NOT_UTF8 in r), (want.decode("utf-8"), False),
               "cgroup of %s" % tag)
        except UnicodeDecodeError:
            eq((r["cgroup"], r[NOT_UTF8]), (want.decode("utf-8", "replace"),
                                            {"cgroup": want.hex()}), "cgroup of %s" % tag)
        eq(r["unit"], "rst\\x2dodd.service" if tag == "unit" else None, "unit of %s" % tag)
    for tag, ns, s in socks[len(HOSTILE_CGROUPS):]:
        r = one_on(recs, tag, s, "received")
        want = os.fsencode(ns.name)
        eq(name_bytes(r, "netns_name"), want, "netns_name of %s (exact bytes)" % tag)
        eq((r["netns_name"], NOT_UTF8 in r), (ns.name, False), "netns_name of %s" % tag)
    rows = [row for r in ts.records() for row in r["rows"] if row["direction"] == "received"]
    eq(sorted((row["unit"], row["count"]) for row in rows if row["unit"]),
       [("rst\\x2dodd.service", 1)], "--summary --by unit: the unit's row")
    lines = check_table(wide.raw_lines(), n, "-w table of odd cgroups", width=None)
    check_table_names(lines, "-w table of odd cgroups")
    cell = "netns:rsttrace-%d-idh\\x5c\"q\\xe2\\x80\\xa8\U0001F600" % TEST_PID
    check(any(cell in l for l in lines), "-w table: no %r in\n%s", cell, "".join(lines))
    check(any("rst\\x5cx2dodd.service" in l for l in lines),
          "-w table: no escaped unit rst\\x5cx2dodd.service in\n%s", "".join(lines))


def filtered(stack, args, pos, negs, port, what):
    """A tracer with @args: the reset of @pos passes, those of @negs not."""
    tr = tracer(stack, *args)
    tag = "".join(ch for ch in what if ch.isalnum())
    for i, n in enumerate(negs):
        refuse(n, 4, port, "%s-neg%d" % (tag, i))
    s = refuse(pos, 4, port, tag + "-pos")
    tr.wait_on((s, "received"), what="the reset of %s" % what)
    tr.stop()
    recs = tr.records()
    only(recs, " ".join(args), lambda r: r["cgroup_id"] is not None and
         r["pid"] == pos.pid)
    return one_on(recs, what, s, "received")


@test("identity_filters")
def identity_filters(stack):
    """--unit, --container and --pod pass their cgroup's resets (and those
    below it) and drop the rest; each resolves to one cgroup at start."""
    root = cgroup(stack, "idf")
    u, c, table = shapes()
    logs = kubelet_logs(stack, u, c)
    port, = free_ports(1)
    leaf = {tag: shaped(stack, root, rel) for tag, rel, _ in table}
    ps = {tag: proc(stack, b"rst-if-" + tag.encode()[:8], cgroup=leaf[tag]) for tag in leaf}
    r = filtered(stack, ["--unit", "rst-web.service"], ps["service"],
                 [ps["docker-systemd"], ps["user"]], port, "--unit")
    expect(r, "--unit rst-web.service", unit="rst-web.service")
    # a unit name without a type is a service, as systemctl takes it
    filtered(stack, ["--unit", "rst-web"], ps["service"], [ps["podman"]], port,
             "--unit without .service")
    r = filtered(stack, ["--container", c[2][:10]], ps["containerd-systemd"],
                 [ps["docker-systemd"], ps["containerd-cgroupfs"]], port, "--container")
    expect(r, "--container", container_id=c[2])
    r = filtered(stack, ["--pod", "shop/cache-1", "--k8s-logs", logs.root],
                 ps["containerd-cgroupfs"], [ps["containerd-systemd"], ps["service"]], port,
                 "--pod")
    expect(r, "--pod shop/cache-1", pod="cache-1", namespace="shop")


def refused_start(args, want):
    r = subprocess.run(rsttrace_cmd(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    eq(r.returncode, 2, "%s: exit status (stderr %r)" % (" ".join(args), err))
    check(err and all(w in err[-1] for w in want), "%s: stderr %r, expected %r",
          " ".join(args), err, want)
    return err


@test("identity_filters_bad")
def identity_filters_bad(stack):
    """A unit, container or pod that is not there, or a prefix that names
    two containers: one line naming it, status 2, nothing loaded."""
    root = cgroup(stack, "idb")
    a, b = "abcd" + cid("a")[4:], "abcd" + cid("b")[4:]
    shaped(stack, root, "system.slice/docker-%s.scope" % a)
    shaped(stack, root, "system.slice/docker-%s.scope" % b)
    refused_start(["--unit", "rst-no-such.service"], ["--unit rst-no-such.service",
                                                      "no such cgroup"])
    refused_start(["--container", "abcd"], ["--container abcd", "matches 2 cgroups"])
    refused_start(["--container", "0123456789ab"], ["no such cgroup"])
    refused_start(["--pod", "nowhere/none", "--k8s-logs", "/nonexistent"],
                  ["--pod nowhere/none", "no such cgroup"])
    for args, want in ((["--container", "XYZ1"], "invalid container id 'XYZ1'"),
                       (["--pod", "a/b/c"], "invalid pod 'a/b/c'"),
                       (["--unit", "a/b"], "invalid unit 'a/b'"),
                       (["--unit", "x.service", "-c", "/"], "give only one of them"),
                       (["--by", "pid"], "invalid --by 'pid'")):
        r = subprocess.run(rsttrace_cmd(*args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode("utf-8", "replace")
        check(r.returncode != 0 and want in err, "%s: rc %d, stderr %r", " ".join(args),
              r.returncode, err)


@test("identity_cgroupns")
def identity_cgroupns(stack):
    """rsttrace in its own cgroup namespace, as in a DaemonSet pod that
    mounts the host's hierarchy: paths are still the host's."""
    root = cgroup(stack, "idns")
    pod = shaped(stack, root, "kubepods/pod%s" % uuid.uuid4())
    leaf = shaped(stack, root, "system.slice/rst-ns.service")
    port, = free_ports(1)
    tr = Tracer(preexec_fn=pod.join)
    tr.args = ["unshare", "--cgroup"] + tr.args
    stack.callback(tr.kill)
    tr.start()
    p = proc(stack, b"rst-idns", cgroup=leaf)
    s = refuse(p, 4, port, "c")
    tr.wait_on((s, "received"), what="the reset, seen from a cgroup namespace")
    theirs = os.stat("/proc/%d/ns/cgroup" % tr.proc.pid).st_ino
    tr.stop()
    check(theirs != os.stat("/proc/self/ns/cgroup").st_ino,
          "rsttrace is not in a cgroup namespace of its own")
    expect(one_on(tr.records(), "ns", s, "received"), "reset seen from a cgroup namespace",
           cgroup=host_path(leaf), unit="rst-ns.service")


@test("summary_by")
def summary_by(stack):
    """--summary --by unit and --by pod group by them."""
    root = cgroup(stack, "idsum")
    u, c, table = shapes()
    logs = kubelet_logs(stack, u, c)
    port, = free_ports(1)
    leaf = {tag: shaped(stack, root, rel) for tag, rel, _ in table if tag in (
        "service", "containerd-systemd")}
    ps = {tag: proc(stack, b"rst-sb-" + tag.encode()[:8], cgroup=leaf[tag]) for tag in leaf}
    for by, want in (("unit", "rst-web.service"), ("pod", "shop/web-0")):
        tr = tracer(stack, "--summary=3600", "--by", by, "--k8s-logs", logs.root)
        for i in range(3):
            refuse(ps["service"], 4, port, "%s-s%d" % (by, i))
        refuse(ps["containerd-systemd"], 4, port, by + "-k")
        tr.stop()
        rows = [row for r in tr.records() if r["type"] == "summary" for row in r["rows"]
                if row["direction"] == "received" and row["rport"] == port]
        got = {row[by]: row["count"] for row in rows}
        info("summary_by %s: %r" % (by, got))
        check(got.get(want) == (3 if by == "unit" else 1), "--by %s: rows %r", by, rows)
        check(all(by in row and "comm" not in row for row in rows), "--by %s: rows %r",
              by, rows)


# the table of cgroup names in identity_churn, and the cgroups it makes
CHURN_MAX = 16
CHURN_N = 3 * CHURN_MAX


class Churn:
    """One process moved from cgroup to cgroup, each a unit made for it
    below @root, where it opens sockets, and then removed."""

    def __init__(self, stack, root, tr, port):
        self.stack, self.root, self.tr, self.port = stack, root, tr, port
        self.park = shaped(stack, root, "park")
        self.p = proc(stack, b"rst-idc", cgroup=self.park)
        self.srv = proc(stack, b"rst-idc-srv", cgroup=self.park)
        self.lport = self.srv.listen("l", 4, "127.0.0.1")
        self.made = []  # (tag, cgroup, the refused socket)

    def cgroup(self, tag):
        return shaped(self.stack, self.root, "system.slice/rst-idc-%s.service" % tag)

    def named(self, tag, keep=False):
        """A new cgroup: the process's refused connect there (waited for,
        so that rsttrace names the cgroup while it exists), and with @keep a
        connection that outlives it. Then the cgroup is removed."""
        cg = self.cgroup(tag)
        cg.add(self.p.pid)
        kept = None
        if keep:
            c = self.p.connect("k-" + tag, 4, "127.0.0.1", self.lport)
            eq(c["errno"], 0, "connect() from %s" % tag)
            self.srv.accept("l", "k-" + tag)
            kept = Sock(c)
        s = refuse(self.p, 4, self.port, tag)
        self.tr.wait_on((s, "received"), what="the reset in %s" % tag)
        self.park.add(self.p.pid)
        cg.remove()
        check(not os.path.exists(cg.path), "%s was not removed", cg.path)
        self.made.append((tag, cg, s))
        return cg, kept

    def reset_kept(self, tag):
        """The server aborts the connection kept from @tag's cgroup."""
        self.srv.call("linger0", "k-" + tag)
        self.srv.call("close", "k-" + tag)
        e = self.p.call("recv_error", "k-" + tag)[0]
        eq(e, errno.ECONNRESET, "recv() on the connection kept from %s" % tag)


def named_fields(p, cg, tag):
    """A reset of @p's socket made in the removed cgroup @cg, named."""
    return {**NONE, **owner_fields(p, "connect", cgroup_id=cg.id),
            "cgroup": host_path(cg), "unit": "rst-idc-%s.service" % tag}


def cgroup_metrics(tr):
    text = scrape(metrics_port(tr))
    got = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^(rsttrace_(?:max_)?cgroups[a-z_]*) (\d+)$", text, re.M)}
    info("identity_churn: %r" % got)
    return got


@test("identity_churn", timeout=240)
def identity_churn(stack):
    """48 cgroups, more than a table of 16 names holds
    (RSTTRACE_CGROUP_NAMES=16), each made, named by a reset and removed:
    every new one's reset is still named, field by field, the least
    recently used names making room. Connections outlive their cgroups:
    a reset keeps the cgroup's name while that is among the most recently
    used; one pushed out by the 48 newer cgroups is forgotten (cgroup_id
    kept, the names null). /metrics and the end-of-run line count the
    names kept and evicted, none unnamed."""
    root = cgroup(stack, "idc")
    port, = free_ports(1)
    tr = tracer(stack, "-c", root.path, "--metrics", "127.0.0.1:0",
                env=dict(os.environ, RSTTRACE_CGROUP_NAMES=str(CHURN_MAX)))
    ch = Churn(stack, root, tr, port)
    old, old_c = ch.named("old", keep=True)
    for i in range(CHURN_N):
        ch.named("c%d" % i)
    new, new_c = ch.named("new", keep=True)
    for i in range(CHURN_MAX // 4):
        ch.named("d%d" % i)
    ch.reset_kept("new")
    ch.reset_kept("old")
    tr.wait_on((new_c, "received"), (old_c, "received"),
               what="the resets of the connections that outlived their cgroups")
    m = cgroup_metrics(tr)
    tr.stop()
    recs = tr.records()
    for tag, cg, s in ch.made:
        expect(one_on(recs, tag, s, "received"), "reset in %s" % tag,
               **named_fields(ch.p, cg, tag))
    expect(one_on(recs, "new kept", new_c, "received"),
           "reset of a connection whose cgroup was removed, used recently",
           **named_fields(ch.p, new, "new"))
    expect(one_on(recs, "old kept", old_c, "received"),
           "reset of a connection whose cgroup was removed %d cgroups ago" % CHURN_N,
           **NONE, **owner_fields(ch.p, "connect", cgroup_id=old.id), cgroup=None)
    eq(m.get("rsttrace_max_cgroups"), CHURN_MAX, "rsttrace_max_cgroups")
    check(0 < m.get("rsttrace_cgroups", 0) <= CHURN_MAX, "rsttrace_cgroups: %r", m)
    # the counts of the last second may not have reached /metrics yet
    check(m.get("rsttrace_cgroups_evicted_total", 0) >= CHURN_N - CHURN_MAX, "evicted: %r", m)
    eq(m.get("rsttrace_cgroups_unnamed_total"), 0, "rsttrace_cgroups_unnamed_total")
    eq(m.get("rsttrace_cgroups_freed_total"), 0, "rsttrace_cgroups_freed_total")
    end = re.search(r"rsttrace: cgroup names: (\d+) kept \(at most (\d+)\), (\d+) freed "
                    r"once their cgroup was gone, (\d+) forgotten to make room; (\d+) resets "
                    r"unnamed for want of room", tr.stderr_after_ready())
    check(end, "no end-of-run line of the cgroup names: %r", tr.stderr_after_ready()[-600:])
    kept, most, freed, evicted, unnamed = map(int, end.groups())
    eq((most, freed, unnamed), (CHURN_MAX, 0, 0), "end-of-run: at most, freed, unnamed")
    # every cgroup named went into the table, which holds CHURN_MAX
    check(kept <= CHURN_MAX and evicted >= len(ch.made) - CHURN_MAX,
          "end-of-run: %d kept, %d evicted of %d cgroups named", kept, evicted, len(ch.made))


DEPLOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "deploy")


@test("deploy_files")
def deploy_files(stack):
    """The DaemonSet passes options rsttrace has and mounts what the README
    says identity needs; promtool accepts the hosts' scrape config (Debian's
    has no Kubernetes discovery: the other one is YAML-checked only)."""
    import yaml
    with open(os.path.join(DEPLOY, "rsttrace-daemonset.yaml")) as f:
        ds = yaml.safe_load(f)
    spec = ds["spec"]["template"]["spec"]
    c, = spec["containers"]
    check(spec.get("hostPID") and c["securityContext"].get("privileged"),
          "DaemonSet: hostPID and privileged: %r", spec)
    helptext = subprocess.run(rsttrace_cmd("--help"), stdout=subprocess.PIPE,
                              timeout=30).stdout.decode()
    for a in c["args"]:
        check(a.split("=")[0] in helptext, "DaemonSet arg %r is not in --help", a)
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
    for host in ("/sys/fs/cgroup", "/var/log", "/run/netns"):
        check(any(paths[m["name"]] == host and m.get("readOnly") for m in mounts.values()),
              "DaemonSet does not mount the host's %s read-only", host)
    logs = [m for m in mounts.values() if paths[m["name"]] == "/var/log"][0]["mountPath"]
    check("--k8s-logs=" + logs in c["args"], "--k8s-logs is not the mount of /var/log")
    r = subprocess.run(["/usr/bin/promtool", "check", "config",
                        os.path.join(DEPLOY, "prometheus.yml")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    eq(r.returncode, 0, "promtool check config: %s" % r.stdout.decode()[-400:])
    with open(os.path.join(DEPLOY, "prometheus-kubernetes.yml")) as f:
        job, = yaml.safe_load(f)["scrape_configs"]
    check(any(r.get("replacement") == "$1:9465" for r in job["relabel_configs"]),
          "the Kubernetes scrape config does not scrape port 9465: %r", job)
