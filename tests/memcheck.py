#!/usr/bin/python3
"""make memcheck: rsttrace under valgrind's memcheck, through a short trace
with a reset storm and a metrics scrape, until --count ends it.

    tests/memcheck.py RSTTRACE RSTLOAD

The storm runs in a cgroup of its own, which -c selects: other resets on
the machine neither count nor slow the run, and each of the storm's
connections gives a known number of records (the connection refused: one,
received by the client; the connection aborted: two, sent by the client and
received by the server; the refusing port's own reset has no owner, so no
cgroup). --count stops rsttrace at the last of them, and the rest of its
end (drain, summary line, freeing) runs under memcheck too. Fails (exit 1)
on any memcheck error, on a definite leak, when rsttrace's own exit status
is not 0, or when a record of the storm is missing.

Valgrind 3.19 (Debian 12) does not know pidfd_open(): seeding the owners
of existing sockets fails under it with ENOSYS, and rsttrace says so and
goes on; that part is covered by make test SANITIZE=1.
Valgrind's log and rsttrace's stderr are kept in .output/memcheck/.
Python 3 standard library only; as root.
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request

RESETS = 2000
# rstload storm: half refused, half aborted (its -a default)
REFUSED = ABORTED = RESETS // 2
RECORDS = REFUSED + 2 * ABORTED
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(".output", "memcheck")
# memcheck is some 30x slower: start-up can take a minute
WAIT_S = 600


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cgroup2_mount():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    sys.exit("memcheck: no cgroup2 mount in /proc/mounts")


def tee_stderr(proc, err_path, ready):
    """Copy rsttrace's stderr to @err_path; set @ready at "Tracing"."""
    with open(err_path, "w") as f:
        for line in proc.stderr:
            f.write(line)
            f.flush()
            if line.startswith("Tracing"):
                ready.set()
    ready.set()  # ended: the caller sees proc has exited


def storm_in(cg, rstload):
    """rstload storm, run inside cgroup @cg."""
    def enter():
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write("0")
    r = subprocess.run([rstload, "storm", "-t", "2", "-n", str(RESETS)],
                       capture_output=True, text=True, check=True,
                       preexec_fn=enter)
    storm = json.loads(r.stdout)
    if (storm["refused"], storm["aborted"], storm["failed"]) != \
            (REFUSED, ABORTED, 0):
        sys.exit("memcheck: the storm was not as planned: %s" % r.stdout)
    return storm


def run(rsttrace, rstload, cg):
    os.makedirs(OUT, exist_ok=True)
    vlog = os.path.join(OUT, "valgrind.log")
    err_path = os.path.join(OUT, "stderr")
    out_path = os.path.join(OUT, "records.json")
    port = free_port()
    cmd = ["valgrind", "--tool=memcheck", "--leak-check=full",
           "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
           "--error-exitcode=99", "--log-file=" + vlog,
           "--suppressions=" + os.path.join(HERE, "memcheck.supp"), rsttrace, "-j",
           "--kstack", "-c", cg, "--count", str(RECORDS),
           "--metrics", "127.0.0.1:%d" % port, "-o", out_path]
    print("# " + " ".join(cmd), flush=True)
    if os.path.exists(out_path):
        os.unlink(out_path)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    ready = threading.Event()
    tee = threading.Thread(target=tee_stderr, args=(proc, err_path, ready))
    tee.start()
    try:
        if not ready.wait(WAIT_S) or proc.poll() is not None:
            sys.exit("memcheck: rsttrace did not start (see %s, %s)"
                     % (err_path, vlog))
        storm = storm_in(cg, rstload)
        url = "http://127.0.0.1:%d/metrics" % port
        body = urllib.request.urlopen(url, timeout=WAIT_S).read().decode()
        rc = proc.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        sys.exit("memcheck: rsttrace did not end after %d records in %d s "
                 "(see %s)" % (RECORDS, WAIT_S, out_path))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        tee.join()
    return rc, storm, body, vlog, err_path, out_path


def storm_records(out_path, storm):
    ports = set(storm["listen_ports"]) | {storm["closed_port"]}
    n = 0
    with open(out_path) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "reset" and (r["lport"] in ports or
                                         r["rport"] in ports):
                n += 1
    return n


def check(rc, storm, body, vlog, err_path, out_path):
    with open(vlog) as f:
        log = f.read()
    errors = re.search(r"ERROR SUMMARY: (\d+) errors", log)
    lost = re.search(r"definitely lost: ([\d,]+) bytes", log)
    lost_b = int(lost.group(1).replace(",", "")) if lost else 0
    got = storm_records(out_path, storm)
    lost_ev = re.search(r"^rsttrace_events_lost_total (\d+)", body, re.M)
    print("# memcheck: %s errors, %d bytes definitely lost, exit status %d"
          % (errors.group(1) if errors else "?", lost_b, rc))
    print("# memcheck: %d of %d storm records written (%s lost in the ring "
          "at the scrape)" % (got, RECORDS, lost_ev.group(1) if lost_ev
                              else "?"))
    bad = []
    if not errors or errors.group(1) != "0":
        bad.append("memcheck errors (see %s)" % vlog)
    if lost_b:
        bad.append("%d bytes definitely lost (see %s)" % (lost_b, vlog))
    if rc != 0:
        bad.append("exit status %d (99: valgrind's; see %s, %s)"
                   % (rc, vlog, err_path))
    if got != RECORDS:
        bad.append("%d of the storm's %d records in %s"
                   % (got, RECORDS, out_path))
    return bad


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cg = os.path.join(cgroup2_mount(), "rsttrace-memcheck-%d" % os.getpid())
    os.mkdir(cg)
    try:
        bad = check(*run(sys.argv[1], sys.argv[2], cg))
    finally:
        os.rmdir(cg)
    if bad:
        print("FAIL memcheck: " + "; ".join(bad))
        sys.exit(1)
    print("ok memcheck")


if __name__ == "__main__":
    main()
