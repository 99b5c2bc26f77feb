"""Installation and the Debian package: make install/uninstall, the systemd
unit (systemd-analyze verify, and rsttrace started with no more than the
unit's capability bounding set), the bash completion, and make deb (lintian,
contents, install, a traced reset, purge)."""
import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess

from harness import (REPO, RSTTRACE, Skip, TestFailure, Tracer, caps, check, eq, free_ports,
                     skip_part, tmpdir,
                     info, one, one_on, parse_line, proc, scaled, test, wait_kernel)
from test_filters import refuse, skip_sent
from test_metrics import samples, scrape

PKG = os.path.join(REPO, "scripts", "package")
UNIT = os.path.join(PKG, "rsttrace.service")
COMPLETION = os.path.join(PKG, "rsttrace.bash-completion")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def sh(cmd, timeout=600, env=None, cwd=REPO):
    """Run cmd; its exit status, stdout and stderr (text)."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=scaled(timeout), cwd=cwd,
                       env=env)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def ok(cmd, **kw):
    rc, out, err = sh(cmd, **kw)
    check(rc == 0, "%s: exit %d: %s", " ".join(cmd), rc, (err or out).strip()[-1500:])
    return out


def writable_repo():
    return os.access(os.path.join(REPO, ".output"), os.W_OK)


def make(*args):
    if not writable_repo():
        raise Skip("the repository is read-only here (make vmtest's guest): "
                   "make %s is tested on the host" % args[0])
    # not the variables of a make above (make test SANITIZE=1 exports
    # them, and MAKEFLAGS): the install tree and package are of the plain
    # build
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SANITIZE", "STATIC")}
    return ok(["make", "-s", "--no-print-directory"] + list(args), env=env)


def files_under(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out["/" + os.path.relpath(p, root)] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def installed_files(prefix):
    return {prefix + "/sbin/rsttrace": 0o755,
            prefix + "/share/man/man8/rsttrace.8": 0o644,
            prefix + "/share/rsttrace/rsttrace.schema.json": 0o644,
            prefix + "/share/rsttrace/rsttrace.logrotate": 0o644,
            prefix + "/lib/systemd/system/rsttrace.service": 0o644,
            prefix + "/lib/sysusers.d/rsttrace.conf": 0o644,
            prefix + "/share/bash-completion/completions/rsttrace": 0o644}


def unit_key(text, key):
    """The values of key= in a unit file (one string per line)."""
    return [m.group(1).strip() for m in re.finditer(r"(?m)^%s=(.*)$" % re.escape(key), text)]


def help_options():
    """(long, short) options that ./rsttrace --help lists."""
    out = ok([RSTTRACE, "--help"], timeout=30)
    longs, shorts = [], []
    for line in out.splitlines():
        m = re.match(r"^\s+(?:-(\w), )?--([a-z0-9][a-z0-9-]*)", line)
        if m:
            longs.append("--" + m.group(2))
            if m.group(1):
                shorts.append("-" + m.group(1))
    check(len(longs) > 20, "rsttrace --help: only %d long options found: %r", len(longs), out)
    return longs, shorts


def need_user_option():
    longs, _ = help_options()
    if "--user" not in longs:
        raise TestFailure("%s does not accept --user (-Z) yet: rebuild with make once "
                          "user/args.c has it; the unit runs rsttrace --user _rsttrace"
                          % RSTTRACE)


def traced_refuse(stack, tr, tag):
    """A refused connect on loopback; both its resets (the received one,
    and the sent one where rsttrace sees resets for closed ports) in tr's
    output, owned by the client."""
    p1, = free_ports(1)
    cl = proc(stack, b"rst-inst-" + tag.encode())
    ck = refuse(cl, 4, p1, "c")
    tr.wait_on((ck, "received"), what="the received reset")
    nosock = caps()["nosock_resets"]
    if nosock:
        tr.wait_for(lambda r: r.get("direction") == "sent" and r.get("lport") == p1,
                    what="the sent reset")
    tr.stop()
    recs = tr.resets()
    r = one_on(recs, "received", ck, "received")
    eq((r["pid"], r["comm"]), (cl.pid, cl.comm.decode()), "received reset's owner")
    if nosock:
        one(recs, "sent", direction="sent", lport=p1)
    else:
        skip_sent("the sent reset is not checked")


# ---------------------------------------------------------------------------


@test("install_tree", timeout=600)
def install_tree(stack):
    """make install puts every file under DESTDIR+PREFIX with its mode, the
    unit's ExecStart names PREFIX's sbin, and make uninstall removes every
    file again."""
    for prefix in ("/usr/local", "/usr"):
        d = tmpdir(stack, "install")
        make("install", "DESTDIR=" + d, "PREFIX=" + prefix)
        got = files_under(d)
        want = installed_files(prefix)
        eq(got, want, "files and modes installed with PREFIX=%s" % prefix)
        built = os.path.join(REPO, "rsttrace")  # make install's, whatever is under test
        with open(d + prefix + "/sbin/rsttrace", "rb") as a, open(built, "rb") as b:
            check(a.read() == b.read(), "installed binary differs from %s", built)
        with open(d + prefix + "/lib/systemd/system/rsttrace.service") as f:
            execs = unit_key(f.read(), "ExecStart")
        eq(len(execs), 1, "ExecStart lines in the installed unit")
        eq(execs[0].split()[0], prefix + "/sbin/rsttrace", "ExecStart's binary")
        make("uninstall", "DESTDIR=" + d, "PREFIX=" + prefix)
        eq(files_under(d), {}, "files left after make uninstall (PREFIX=%s)" % prefix)


@test("unit_verify", timeout=600)
def unit_verify(stack):
    """systemd-analyze verify accepts the unit; rsttrace run with only the
    unit's CapabilityBoundingSet and no new privileges, as the unit runs
    it (--json --user), starts, reports a refused connect's resets and
    exits 0 on SIGINT; so it does with -o in a log directory like the
    package's."""
    check(shutil.which("systemd-analyze"), "systemd-analyze missing (scripts/deps.sh test)")
    with open(UNIT) as f:
        text = f.read()
    if writable_repo():
        verify_unit(stack, text)
    else:
        skip_part("the repository is read-only here (make vmtest's guest): "
                  "systemd-analyze verify is run on the host")
    run_as_unit(stack, text)


def verify_unit(stack, text):
    d = tmpdir(stack, "unit")
    make("install", "DESTDIR=" + d, "PREFIX=/usr")
    # verify wants ExecStart's binary and Documentation's man page to exist:
    # the staged ones
    unit = os.path.join(d, "rsttrace.service")
    with open(unit, "w") as f:
        f.write(text.replace("ExecStart=/usr/sbin/rsttrace",
                             "ExecStart=" + d + "/usr/sbin/rsttrace"))
    env = dict(os.environ, MANPATH=d + "/usr/share/man", SYSTEMD_LOG_LEVEL="notice")
    rc, out, err = sh(["systemd-analyze", "verify", unit], env=env, cwd=d, timeout=60)
    text_out = (out + err).strip()
    mine = [l for l in text_out.splitlines() if "rsttrace" in l]
    check(rc == 0 and not mine, "systemd-analyze verify: exit %d: %s", rc, text_out)
    if text_out:
        info("systemd-analyze verify (other units): " + text_out.replace("\n", " | ")[:300])


def run_as_unit(stack, text):
    need_user_option()
    bset = unit_key(text, "CapabilityBoundingSet")
    eq(len(bset), 1, "CapabilityBoundingSet lines")
    capl = [c.lower() for c in bset[0].split()]
    check(capl and all(c.startswith("cap_") for c in capl), "CapabilityBoundingSet=%r", bset[0])
    check(unit_key(text, "NoNewPrivileges") == ["yes"], "the unit sets NoNewPrivileges=yes")
    wrap = ["setpriv", "--bounding-set=-all," + ",".join("+" + c[4:] for c in capl),
            "--inh-caps=-all", "--no-new-privs"]
    info("as the unit: " + " ".join(wrap))
    tr = Tracer("--user", "nobody")
    tr.args = wrap + tr.args
    stack.callback(tr.kill)
    tr.start()
    traced_refuse(stack, tr, "unit")
    output_as_unit(stack, wrap)


def output_as_unit(stack, wrap):
    """-o in a directory like the package's /var/log/rsttrace (the user's,
    group adm, 2750), as the unit runs it: root opens the file there before
    the drop, which needs CAP_DAC_OVERRIDE in the bounding set. Twice: the
    file is made, then opened again as it is (the user's, 0640)."""
    top = tmpdir(stack, "unitlog")
    os.chmod(top, 0o755)
    d = os.path.join(top, "rsttrace")
    os.mkdir(d)
    os.chown(d, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("adm").gr_gid)
    os.chmod(d, 0o2750)
    path = os.path.join(d, "resets.json")
    for run in ("made", "reopened"):
        tr = Tracer("--user", "nobody", "-o", path, read_stdout=False)
        tr.args = wrap + tr.args
        stack.callback(tr.kill)
        tr.start()
        p1, = free_ports(1)
        cl = proc(stack, b"rst-inst-out")
        refuse(cl, 4, p1, "c")

        def received():
            with open(path, "rb") as f:
                data = f.read()
            recs = [parse_line(l) for l in data[:data.rfind(b"\n") + 1].splitlines(True)]
            return [r for r in recs if r["type"] == "reset" and
                    r["direction"] == "received" and r["rport"] == p1] and recs
        recs = wait_kernel(received, "the received reset in -o's file (%s)" % run, 20)
        tr.stop()
        r = one(recs, "the received reset in -o's file (%s)" % run, direction="received",
                rport=p1)
        eq((r["pid"], r["comm"]), (cl.pid, cl.comm.decode()), "received reset's owner")
        st = os.stat(path)
        eq((pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode)), ("nobody", "adm", 0o640), "-o file owner and mode")


def complete(line, with_bash_completion=True):
    """What the completion function offers at the end of line, as bash
    would call it (COMP_WORDBREAKS splits "=" into a word of its own)."""
    words = re.findall(r"=|[^\s=]+", line)
    if not line or line[-1].isspace():
        words.append("")
    cword = len(words) - 1
    script = []
    if with_bash_completion:
        script.append("source %s" % BASH_COMPLETION)
    script += [
        "source %s" % shlex.quote(COMPLETION),
        "COMP_WORDS=(%s)" % " ".join(shlex.quote(w) for w in words),
        "COMP_CWORD=%d" % cword,
        "COMP_LINE=%s" % shlex.quote(line),
        "COMP_POINT=%d" % len(line),
        "COMPREPLY=()",
        '_rsttrace rsttrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ]
    rc, out, err = sh(["bash", "-c", "\n".join(script)], timeout=30, cwd="/")
    check(rc == 0, "completion of %r: bash exit %d: %s", line, rc, err.strip()[-500:])
    return sorted(w for w in out.splitlines() if w)


@test("completion")
def completion(stack):
    """The bash completion offers the options of --help and the values of
    --direction, --by and -Z, with and without bash-completion."""
    check(os.path.exists(BASH_COMPLETION), "%s missing (scripts/deps.sh test)", BASH_COMPLETION)
    longs, shorts = help_options()
    for bc in (True, False):
        how = "with bash-completion" if bc else "without bash-completion"
        eq(complete("rsttrace --direction ", bc), ["received", "sent"], "--direction " + how)
        eq(complete("rsttrace --direction=re", bc), ["received"], "--direction=re " + how)
        eq(complete("rsttrace -j --by ", bc), ["comm", "pod", "unit"], "--by " + how)
        eq(complete("rsttrace --acceptor sock", bc), ["sockio"], "--acceptor " + how)
        eq(complete("rsttrace --ou", bc), ["--output", "--output-keep", "--output-max-size"],
           "--ou " + how)
        users = complete("rsttrace -Z ro", bc)
        check("root" in users and all(u.startswith("ro") for u in users),
              "-Z ro %s: %r", how, users)
        pid = str(os.getpid())
        check(pid in complete("rsttrace -p " + pid, bc), "-p %s %s: not offered", pid, how)
        d = tmpdir(stack, "compl")
        os.mkdir(os.path.join(d, "subdir"))
        open(os.path.join(d, "file"), "w").close()
        eq([w.rstrip("/") for w in complete("rsttrace -c %s/" % d, bc)], [d + "/subdir"],
           "-c DIR/ " + how)
        got = set(complete("rsttrace --", bc))
        missing = [o for o in longs if o not in got]
        check(not missing, "%s: --help options the completion does not offer: %r", how, missing)
        extra = sorted(got - set(longs))
        check(not extra, "%s: options offered that --help does not list: %r", how, extra)
        got = set(complete("rsttrace -", bc))
        missing = [o for o in shorts if o not in got]
        check(not missing, "%s: short options not offered: %r", how, missing)


def dpkg_status(pkg):
    rc, out, _ = sh(["dpkg-query", "-W", "-f", "${db:Status-Status}", pkg], timeout=60)
    return out.strip() if rc == 0 else "not-installed"


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


SERVICE = "rsttrace.service"
DEFAULTS = "/etc/default/rsttrace"


def unit_show(*props):
    """{property: value} of rsttrace.service, from systemctl show."""
    out = ok(["systemctl", "show", "-p", ",".join(props), SERVICE], timeout=60)
    return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def unit_why():
    """The service's state and its journal's last lines, for a failure."""
    _, st, _ = sh(["systemctl", "status", "--no-pager", "-l", "-n", "0", SERVICE], timeout=60)
    _, jl, _ = sh(["journalctl", "-b", "-u", SERVICE, "--no-pager", "-n", "30"], timeout=60)
    return "%s\njournal:\n%s" % (st.strip(), jl.strip())


def policy_forbids():
    """Whether /usr/sbin/policy-rc.d (container images have one) keeps
    maintainer scripts from starting services (exit 101)."""
    helper = "/usr/sbin/policy-rc.d"
    if not os.access(helper, os.X_OK):
        return False
    rc, _, _ = sh([helper, SERVICE, "restart"], timeout=60)
    return rc == 101


def kept_caps():
    """CapEff of rsttrace's main thread after -Z: CAP_BPF alone (bit 39)
    where the kernel checks bpf() on every map access (before 5.19, with
    kernel.unprivileged_bpf_disabled), else none."""
    major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
    try:
        with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
            unpriv = int(f.read())
    except OSError:
        unpriv = 0
    return 1 << 39 if (major, minor) < (5, 19) and unpriv else 0


def proc_status(path):
    with open(path) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def service_identity(pid, user):
    """Every thread of the service's main process: the user's ids, no
    groups, no capabilities but kept_caps() in the main thread, an empty
    bounding set, no new privileges."""
    ids = "\t".join([str(user.pw_uid)] * 4), "\t".join([str(user.pw_gid)] * 4)
    for tid in os.listdir("/proc/%d/task" % pid):
        st = proc_status("/proc/%d/task/%s/status" % (pid, tid))
        capeff = kept_caps() if int(tid) == pid else 0
        got = (st["Uid"], st["Gid"], st["Groups"].strip(), int(st["CapEff"], 16),
               int(st["CapPrm"], 16), int(st["CapInh"], 16), int(st["CapBnd"], 16),
               int(st["CapAmb"], 16), st["NoNewPrivs"])
        eq(got, ids + ("", capeff, capeff, 0, 0, 0, "1"),
           "thread %s of the service (Uid, Gid, Groups, CapEff, CapPrm, CapInh, CapBnd, "
           "CapAmb, NoNewPrivs)" % tid)


def journal_records(pid):
    """The records the service's process @pid wrote to the journal."""
    out = ok(["journalctl", "-b", "_SYSTEMD_UNIT=" + SERVICE, "_PID=%d" % pid, "-o", "cat",
              "--no-pager"], timeout=60)
    return [parse_line(l.encode() + b"\n") for l in out.splitlines() if l.startswith("{")]


def service_checks(stack, user):
    """Where systemd is PID 1: the postinst started the service (Type=notify:
    active only once rsttrace said READY=1); it runs as the user with no
    capabilities; a refused connect is a record in its journal, owned by
    the client, and counted by its metrics endpoint; systemctl stop ends it
    with exit status 0. Then it is started again, for the purge to stop.
    Where /usr/sbin/policy-rc.d forbids it (exit 101), the maintainer
    scripts start and stop nothing: the service is started here, and left
    stopped."""
    forbidden = policy_forbids()
    if forbidden:
        info("/usr/sbin/policy-rc.d forbids starting and stopping services: the postinst "
             "started none, so the service is started here")
        ok(["systemctl", "start", SERVICE], timeout=180)
    st = unit_show("ActiveState", "SubState", "Type", "NRestarts", "MainPID")
    check((st["ActiveState"], st["Type"], st["NRestarts"]) == ("active", "notify", "0"),
          "%s after dpkg -i: %r, active, notify and 0 restarts expected:\n%s",
          SERVICE, st, unit_why())
    pid = int(st["MainPID"])
    service_identity(pid, user)

    p1, = free_ports(1)
    cl = proc(stack, b"rst-inst-svc")
    refuse(cl, 4, p1, "c")

    def received():
        return [r for r in journal_records(pid)
                if r["type"] == "reset" and r["direction"] == "received" and r["rport"] == p1]
    recs = wait_kernel(received, "the received reset in journalctl -u %s" % SERVICE, 30)
    r = one(recs, "received (journal)", direction="received", rport=p1)
    eq((r["pid"], r["comm"], r["owner_source"]), (cl.pid, cl.comm.decode(), "connect"),
       "received reset's owner in the journal")

    with open(DEFAULTS) as f:
        m = re.search(r"--metrics[ =](?:127\.0\.0\.1:)?(\d+)\b", f.read())
    if m:
        port = int(m.group(1))

        def counted():
            return [v for k, v in samples(scrape(port), "rsttrace_resets_total").items()
                    if ("comm", cl.comm.decode()) in k and ("port", str(p1)) in k and
                    ("direction", "received") in k]
        eq(wait_kernel(counted, "the reset in the metrics at port %d" % port, 15), [1.0],
           "rsttrace_resets_total of the received reset")
    else:
        skip_part("%s has no --metrics on 127.0.0.1: the metrics are not checked", DEFAULTS)

    ok(["systemctl", "stop", SERVICE], timeout=180)
    st = unit_show("ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    # ExecMainCode 1: CLD_EXITED
    check(st == {"ActiveState": "inactive", "Result": "success", "ExecMainCode": "1",
                 "ExecMainStatus": "0"},
          "%s after systemctl stop: %r, exit status 0 expected:\n%s", SERVICE, st, unit_why())
    info("%s: %s, pid %d, reset traced, stopped with exit status 0"
         % (SERVICE, "started here" if forbidden else "started by the postinst", pid))
    if not forbidden:
        ok(["systemctl", "start", SERVICE], timeout=180)


def upgrade_and_remove(deb, env, under_systemd):
    """The README's upgrade and removal: the package installed over itself
    (prerm upgrade, postinst configure with the old version) keeps an
    edited /etc/default/rsttrace and, under systemd, the service running;
    dpkg -r takes the program and keeps the options and the user."""
    opts = "/etc/default/rsttrace"
    with open(opts, "a") as f:
        f.write("# edited by rsttrace's package test\n")
    with open(opts) as f:
        edited = f.read()
    ok(["dpkg", "-i", deb], env=env, timeout=300)
    eq(dpkg_status("rsttrace"), "installed", "dpkg status after the upgrade")
    with open(opts) as f:
        eq(f.read(), edited, "%s after the upgrade" % opts)
    # where policy-rc.d forbids starts, service_checks left the service
    # stopped and the postinst starts nothing: not checked as running
    running = under_systemd and not policy_forbids()
    if running:
        st = unit_show("ActiveState", "NRestarts")
        eq((st["ActiveState"], st["NRestarts"]), ("active", "0"),
           "%s after the upgrade (restarted by the postinst):\n%s" % (SERVICE, unit_why()))
    rc, out, err = sh(["/usr/sbin/rsttrace", "-V"], timeout=60)
    eq(rc, 0, "/usr/sbin/rsttrace -V after the upgrade (%s)" % err.strip()[-300:])

    ok(["dpkg", "-r", "rsttrace"], env=env, timeout=300)
    eq(dpkg_status("rsttrace"), "config-files", "dpkg status after dpkg -r")
    gone = [p for p in ("/usr/sbin/rsttrace", "/usr/lib/systemd/system/rsttrace.service",
                        "/usr/share/man/man8/rsttrace.8.gz") if os.path.lexists(p)]
    check(not gone, "left after dpkg -r: %r", gone)
    with open(opts) as f:
        eq(f.read(), edited, "%s after dpkg -r" % opts)
    check(os.path.exists("/etc/logrotate.d/rsttrace"), "dpkg -r removed a conffile")
    check(user_exists("_rsttrace"), "dpkg -r removed the user _rsttrace")
    info("package: upgrade kept the edited options%s; dpkg -r kept them and the user"
         % (" and the service running" if running else ""))


@test("package", timeout=900)
def package(stack):
    """make deb: lintian reports no error; the package holds what it should
    with its dependencies; installed, it traces a reset, has created its
    user and log directory and man page; purged, it leaves nothing. Where
    systemd is PID 1, the service too: started by the postinst, as the
    user without capabilities, a reset in its journal and metrics, a clean
    stop, and stopped by the purge."""
    if not shutil.which("dpkg"):
        raise Skip("not a Debian system (no dpkg)")
    st = dpkg_status("rsttrace")
    if st != "not-installed":
        raise Skip("a package named rsttrace is installed here (%s): not replacing it" % st)
    for tool in ("lintian", "dpkg-shlibdeps", "readelf"):
        check(shutil.which(tool), "%s missing (scripts/deps.sh test)", tool)
    user_before = user_exists("_rsttrace")

    out = make("deb")
    debs = [l.strip() for l in out.splitlines() if l.strip().endswith(".deb")]
    check(debs and os.path.exists(debs[-1]), "make deb printed no package: %r", out)
    deb = debs[-1]
    check(re.match(r"rsttrace_[0-9][A-Za-z0-9.+~]*_[a-z0-9]+\.deb$", os.path.basename(deb)),
          "package name %r", os.path.basename(deb))
    info("package: " + os.path.relpath(deb, REPO))

    rc, out, err = sh(["lintian", "--no-tag-display-limit", deb])
    tags = [l for l in out.splitlines() if re.match(r"^[EWIPNX]: ", l)]
    errors = [l for l in tags if l.startswith("E: ")]
    for l in tags:
        info("lintian " + l)
    check(not errors, "lintian errors:\n%s", "\n".join(errors))
    check(rc == 0, "lintian exit %d: %s", rc, (err or out).strip()[-500:])

    fields = {}
    for f in ("Package", "Version", "Depends", "Recommends"):
        fields[f] = ok(["dpkg-deb", "-f", deb, f]).strip()
    info("Depends: " + fields["Depends"])
    deps = [re.split(r"[\s(]", d.strip())[0] for d in fields["Depends"].split(",")]
    for lib in ("libc6", "libelf1", "zlib1g"):
        check(lib in deps, "Depends lacks %s: %r", lib, fields["Depends"])
    for lib in ("libmicrohttpd12", "libsystemd0"):
        check(lib in fields["Recommends"], "Recommends lacks %s: %r", lib, fields["Recommends"])
    listing = ok(["dpkg-deb", "-c", deb])
    paths = {l.split()[-1].lstrip(".") for l in listing.splitlines() if l.strip()}
    want = ["/usr/sbin/rsttrace", "/usr/share/man/man8/rsttrace.8.gz",
            "/usr/share/rsttrace/rsttrace.schema.json",
            "/usr/lib/systemd/system/rsttrace.service", "/usr/lib/sysusers.d/rsttrace.conf",
            "/usr/share/bash-completion/completions/rsttrace", "/etc/default/rsttrace",
            "/etc/logrotate.d/rsttrace", "/usr/share/doc/rsttrace/copyright",
            "/usr/share/doc/rsttrace/changelog.gz"]
    missing = [p for p in want if p not in paths]
    check(not missing, "package lacks %r:\n%s", missing, listing)
    conffiles = ok(["dpkg-deb", "--info", deb, "conffiles"]).split()
    eq(sorted(conffiles), ["/etc/default/rsttrace", "/etc/logrotate.d/rsttrace"], "conffiles")
    x = tmpdir(stack, "deb")
    ok(["dpkg-deb", "-x", deb, x])
    sections = ok(["readelf", "-S", "-W", x + "/usr/sbin/rsttrace"])
    check(".symtab" not in sections and ".debug_info" not in sections,
          "binary in the package is not stripped")

    # from here on, whatever happens, the package goes again
    def purge():
        if dpkg_status("rsttrace") != "not-installed":
            if os.path.isdir("/run/systemd/system"):
                # the prerm's stop may be one policy-rc.d forbids
                sh(["systemctl", "stop", SERVICE], timeout=180)
            sh(["dpkg", "--purge", "rsttrace"], timeout=300)
        if not user_before and user_exists("_rsttrace"):
            sh(["userdel", "_rsttrace"], timeout=60)
            sh(["groupdel", "_rsttrace"], timeout=60)
    stack.callback(purge)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    ok(["dpkg", "-i", deb], env=env)
    eq(dpkg_status("rsttrace"), "installed", "dpkg status after dpkg -i")
    rc, out, err = sh(["/usr/sbin/rsttrace", "-V"], timeout=60)
    eq(rc, 0, "/usr/sbin/rsttrace -V exit status (%s)" % err.strip()[-300:])
    check(user_exists("_rsttrace"), "postinst did not create the user _rsttrace")
    u = pwd.getpwnam("_rsttrace")
    check(u.pw_uid < 1000, "_rsttrace is not a system user: uid %d", u.pw_uid)
    s = os.stat("/var/log/rsttrace")
    eq((s.st_uid, stat.S_IMODE(s.st_mode) | (s.st_mode & stat.S_ISGID)),
       (u.pw_uid, 0o2750), "/var/log/rsttrace owner and mode")
    eq(grp.getgrgid(s.st_gid).gr_name, "adm", "/var/log/rsttrace group")
    if shutil.which("man"):
        eq(ok(["man", "-w", "rsttrace"], timeout=60).strip(),
           "/usr/share/man/man8/rsttrace.8.gz", "man -w rsttrace")
    else:
        check(os.path.exists("/usr/share/man/man8/rsttrace.8.gz"), "no man page installed")
    under_systemd = os.path.isdir("/run/systemd/system")
    if under_systemd:
        service_checks(stack, u)
    else:
        # not a skip: make check's vmtest (6.1:systemd) checks the same
        # under systemd
        info("systemd is not PID 1 here (no /run/systemd/system): the service is not "
             "checked here; make vmtest KERNELS=6.1:systemd checks it under systemd")

    tr = Tracer()
    tr.args[0] = "/usr/sbin/rsttrace"
    stack.callback(tr.kill)
    tr.start()
    traced_refuse(stack, tr, "pkg")
    upgrade_and_remove(deb, env, under_systemd)

    ok(["dpkg", "--purge", "rsttrace"], env=env, timeout=300)
    eq(dpkg_status("rsttrace"), "not-installed", "dpkg status after dpkg --purge")
    if under_systemd:
        st = unit_show("LoadState", "ActiveState")
        eq((st["LoadState"], st["ActiveState"]), ("not-found", "inactive"),
           "rsttrace.service after dpkg --purge")
        rc, out, _ = sh(["pgrep", "-a", "-u", "_rsttrace"], timeout=60)
        check(rc == 1, "processes of _rsttrace after dpkg --purge: %s", out.strip())
    left = [p for p in want + ["/var/log/rsttrace",
                               "/etc/systemd/system/multi-user.target.wants/rsttrace.service",
                               "/var/lib/systemd/deb-systemd-helper-enabled/"
                               "rsttrace.service.dsh-also"]
            if os.path.lexists(p)]
    check(not left, "left after dpkg --purge: %r", left)
