"""Harness for rsttrace's end-to-end tests (Python 3 standard library plus
jsonschema, as Debian's python3-jsonschema).

- Tracer: runs ./rsttrace, waits for its "Tracing" line on stderr, collects
  stdout line by line, stops it, validates every JSON line against
  user/rsttrace.schema.json and checks the key order.
- Proc: a scenario process (actor.py) with a known pid and comm that creates,
  connects, accepts and closes sockets on request.
- Namespaces, cgroups and ports, each removed again through the test's
  cleanup stack.
- Helpers that pick records out of the output and compare them field by
  field (exact values, or a Match such as between() and age_within()), and
  the expected values of the fields every reset has (reason_fields(),
  received_fields(), peer_fields(), NOCOUNTERS, ...).
- Skip, for a test whose kernel feature is missing, and skip_part(), for
  checks of a test that cannot be made on this kernel (the rest still
  run); focus(), for a test that runs another test's scenario for some of
  its fields.
- caps(): what rsttrace says it can see on the running kernel (-V --json,
  and whether it runs with the legacy owner store). Every expectation that
  differs between kernels depends on it, never on a version string.
- Sock: one of the test's sockets, whose records are found by direction
  and 4-tuple (a socket cookie may be unknown to rsttrace: see
  cookies_on_demand()).

No sleeping to wait for something to happen: processes signal readiness
through their request/reply channel, rsttrace through its "Tracing" line,
and records are waited for as they arrive. The only polling is bounded, for
kernel state (a socket in TIME_WAIT).
"""
import contextlib
import datetime
import errno
import ipaddress
import json
import os
import pickle
import platform
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RSTTRACE = os.environ.get("RSTTRACE", os.path.join(REPO, "rsttrace"))
# appended to every rsttrace invocation, e.g. RSTTRACE_EXTRA_ARGS=--legacy-owners
# (the owner store of kernels before 5.11, on any kernel)
EXTRA_ARGS = shlex.split(os.environ.get("RSTTRACE_EXTRA_ARGS", ""))
SCHEMA_PATH = os.path.join(REPO, "user", "rsttrace.schema.json")
# RSTTRACE_SANITIZED=1 (make test SANITIZE=1): the binary is built with ASan,
# whose shadow memory and quarantine of freed blocks make its resident
# memory no measure of rsttrace's
SANITIZED = os.environ.get("RSTTRACE_SANITIZED") == "1"
PYTHON = "/usr/bin/python3"
ACTOR = os.path.join(HERE, "actor.py")

RESET_KEYS = ["type", "time", "direction", "pid", "tid", "comm", "uid",
              "cgroup_id", "netns", "sock_cookie", "family", "laddr", "lport",
              "raddr", "rport", "state", "netns_name", "cgroup", "unit", "container_id",
              "container_runtime", "pod_uid", "namespace", "pod", "container",
              "reason", "owner_source",
              "source", "reason_source", "cause", "errno", "prev_state", "age_ms",
              "bytes_sent", "bytes_acked", "bytes_received", "unread_bytes",
              "unsent_bytes", "srtt_us", "retransmits", "peer_pid", "peer_comm",
              "idle_ms", "closed_ago_ms", "closed_idle_ms", "exit_signal", "exit_code",
              "oom_killed",
              "listener_pid", "listener_comm", "previous_listener_pid",
              "previous_listener_comm", "listener_changed_ago_ms"]
# optional, after the others and in this order: "kstack" only with --kstack,
# "kernel_reason" only with --infer-reasons, "not_utf8" only when a name is
# not UTF-8 (it ends a lost record and a summary row too: NOT_UTF8)
RESET_OPTIONAL_KEYS = ["kstack", "kernel_reason", "not_utf8"]
NOT_UTF8 = "not_utf8"
COUNTER_KEYS = ["bytes_sent", "bytes_acked", "bytes_received", "unread_bytes",
                "unsent_bytes", "srtt_us", "retransmits"]
LOST_KEYS = ["type", "time", "count", "total", "direction", "state", "reason", "pid", "comm",
             "lport", "rport", "source"]
# "other" only when some resets had no row of their own (too many keys in
# the interval): then total is the rows' counts and other
SUMMARY_KEYS = ["type", "time", "interval_s", "total", "rows", "other"]
SUMMARY_OPTIONAL_KEYS = ["other"]
SUMMARY_ROW_KEYS = ["direction", "lport", "rport", "comm", "cause", "count"]

# E2E_TIMEOUT_SCALE=N: every timeout N times longer (a slow machine, such as
# a VM under emulation); no check of what the tool does is loosened
TIMEOUT_SCALE = float(os.environ.get("E2E_TIMEOUT_SCALE", "1"))


def scaled(seconds):
    """A timeout, scaled by E2E_TIMEOUT_SCALE."""
    return seconds * max(TIMEOUT_SCALE, 1.0)


# E2E_BURST=N: resets per burst test (default 20000). Under emulation (make
# vmtest) a smaller burst proves the same accounting in far less time.
try:
    BURST = int(os.environ.get("E2E_BURST", "20000"))
except ValueError:
    BURST = 0
if BURST < 200:
    # fewer would fit in burst_small_ringbuf's 4 KiB ring and lose nothing
    raise SystemExit("E2E_BURST=%r: want a whole number of resets, at least 200"
                     % os.environ.get("E2E_BURST"))

START_TIMEOUT = float(os.environ.get("RSTTRACE_START_TIMEOUT", scaled(60)))
STOP_TIMEOUT = scaled(15.0)
EVENT_TIMEOUT = scaled(15.0)

TEST_PID = os.getpid()


class TestFailure(AssertionError):
    pass


class Skip(Exception):
    """The test cannot run here (a kernel feature is missing): reported as
    "skip NAME: why", counted neither as passed nor as failed."""


def skip(msg, *args):
    raise Skip(msg % args if args else msg)


# checks a test could not make on this kernel (skip_part); a test that
# otherwise passes is then reported as "skip NAME: ..."
skipped_parts = []


def skip_part(msg, *args):
    """Some checks of the running test cannot be made on this kernel: the
    test goes on with the others, and if they pass it is reported as
    skipped, with msg."""
    msg = msg % args if args else msg
    if msg not in skipped_parts:
        skipped_parts.append(msg)


def check(cond, msg, *args):
    if not cond:
        raise TestFailure(msg % args if args else msg)


def eq(actual, expected, what):
    if actual != expected:
        raise TestFailure("%s: expected %r, got %r" % (what, expected, actual))


_info_lines = []


def info(msg):
    """A line for the test output (printed as '# ...' by the runner)."""
    _info_lines.append(msg)


# --------------------------------------------------------------------------
# schema


def _load_validator():
    import jsonschema
    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    full = cls(schema, format_checker=jsonschema.FormatChecker())
    # the same schema entered at one record type's definition: the "type"
    # constant of each decides the oneOf, and trying all three is a third
    # of the cost of a burst test
    by_type = {}
    for t in schema["properties"]["type"]["enum"]:
        sub = dict(schema)
        del sub["oneOf"]
        sub["$ref"] = "#/$defs/" + t
        by_type[t] = cls(sub, format_checker=jsonschema.FormatChecker())
    return full, by_type


_validator = None


def validator(rtype=None):
    """The schema's validator; for a known record type, the same schema
    entered at that type's definition."""
    global _validator
    if _validator is None:
        _validator = _load_validator()
    full, by_type = _validator
    return by_type.get(rtype, full)


def _pairs_no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate keys in %r" % keys)
    d = dict(pairs)
    d["__keys__"] = keys
    return d


def parse_line(raw):
    """Parse and validate one stdout line of --json. Returns the record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TestFailure("JSON line is not UTF-8 (%s): %r" % (e, raw[:300]))
    check(text.endswith("\n"), "JSON line not newline-terminated: %r", raw[:300])
    body = text[:-1]
    check("\n" not in body and "\r" not in body, "raw newline in JSON line: %r", raw[:300])
    try:
        obj = json.loads(body, object_pairs_hook=_pairs_no_dups)
    except ValueError as e:
        raise TestFailure("not JSON (%s): %r" % (e, raw[:300]))
    check(isinstance(obj, dict), "JSON line is not an object: %r", raw[:300])
    keys = _strip_keys(obj)
    errors = list(validator(obj.get("type")).iter_errors(obj))
    if errors:
        raise TestFailure("schema: %s: %r" % (schema_error(errors, obj.get("type")), raw[:400]))
    check_key_order(obj, keys)
    return obj


def _strip_keys(v):
    """Remove the "__keys__" that _pairs_no_dups put into every object, at
    every depth. Returns the key order: a list for an object (its own keys,
    with nested orders under "__nested__"), None for other values."""
    if isinstance(v, dict):
        keys = v.pop("__keys__")
        nested = {k: _strip_keys(x) for k, x in v.items()}
        return {"keys": keys, "nested": nested}
    if isinstance(v, list):
        return [_strip_keys(x) for x in v]
    return None


def check_key_order(obj, order):
    """Key order of a schema-valid record (not expressible in JSON Schema),
    and the invariants between fields that the schema cannot state."""
    keys = order["keys"]
    t = obj["type"]
    if t == "reset":
        opt = [k for k in keys if k in RESET_OPTIONAL_KEYS]
        want = RESET_KEYS + [k for k in RESET_OPTIONAL_KEYS if k in opt]
    elif t == "lost":
        want = LOST_KEYS + [k for k in [NOT_UTF8] if k in keys]
    else:
        want = [k for k in SUMMARY_KEYS if k not in SUMMARY_OPTIONAL_KEYS or k in keys]
    check(keys == want, "%s record: key order %r, expected %r", t, keys, want)
    check_not_utf8(obj, t + " record")
    if t == "summary":
        for i, row in enumerate(order["nested"]["rows"]):
            want = [k if k != "comm" or "comm" in row["keys"] else
                    ("unit" if "unit" in row["keys"] else "pod") for k in SUMMARY_ROW_KEYS]
            want += [k for k in [NOT_UTF8] if k in row["keys"]]
            check(row["keys"] == want, "summary row %d: key order %r, expected %r",
                  i, row["keys"], want)
            check_not_utf8(obj["rows"][i], "summary row %d" % i)
        s = sum(r["count"] for r in obj["rows"]) + obj.get("other", 0)
        check(s == obj["total"], "summary: total %r but the rows and other add up to %d: %r",
              obj["total"], s, obj)
        # names by their bytes: two that are not UTF-8 may read alike
        groups = [(r["direction"], r["lport"], r["rport"],
                   name_bytes(r, "comm" if "comm" in r else "unit" if "unit" in r else "pod"),
                   r["cause"]) for r in obj["rows"]]
        check(len(set(groups)) == len(groups), "summary: a (direction, lport, rport, comm, "
              "cause) group appears in more than one row: %r", obj["rows"])


def check_not_utf8(obj, what):
    """Each key under "not_utf8" names a string member of @obj whose exact
    bytes (hex) are not UTF-8, and whose value is those bytes decoded with
    U+FFFD for each maximal subpart, as Python's errors="replace" has it."""
    for k, hx in obj.get(NOT_UTF8, {}).items():
        raw = bytes.fromhex(hx)
        check(isinstance(obj.get(k), str), "%s: not_utf8 names %r, not a string: %r",
              what, k, obj.get(k))
        try:
            raw.decode("utf-8")
            check(False, "%s: not_utf8 %s=%r is valid UTF-8", what, k, raw)
        except UnicodeDecodeError:
            pass
        check(b"\0" not in raw, "%s: not_utf8 %s=%r holds a NUL", what, k, raw)
        eq(obj[k], raw.decode("utf-8", "replace"), "%s: %s beside its not_utf8 bytes" % (what, k))


def name_bytes(obj, key):
    """The exact bytes of name @key of a record or summary row (None for
    null): its value, or its "not_utf8" bytes when it was not UTF-8."""
    if obj.get(key) is None:
        return None
    hx = obj.get(NOT_UTF8, {}).get(key)
    return bytes.fromhex(hx) if hx is not None else obj[key].encode("utf-8")


def schema_error(errors, rtype=None):
    """The most specific reason a record failed the schema: inside oneOf,
    the errors of the branch for the record's own type."""
    from jsonschema.exceptions import best_match
    branch = {"reset": 0, "lost": 1, "summary": 2}.get(rtype)
    e = best_match(errors)
    while e.context:
        ctx = [c for c in e.context if branch is None or
               (c.relative_schema_path and c.relative_schema_path[0] == branch)]
        e = best_match(ctx or e.context)
    where = "/".join(map(str, e.absolute_path)) or "(record)"
    return "%s: %s" % (where, e.message[:200])


def parse_time(s):
    """RFC 3339 with 9 fraction digits -> float seconds since the epoch."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$", s)
    check(m, "bad time %r", s)
    dt = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp() + int(m.group(2)) / 1e9


# --------------------------------------------------------------------------
# rsttrace


class Tracer:
    """One rsttrace run. Use as a context manager or register with a stack."""

    def __init__(self, *args, json_mode=True, read_stdout=True, env=None, preexec_fn=None):
        self.args = ([RSTTRACE] + (["--json"] if json_mode else []) + [str(a) for a in args]
                     + EXTRA_ARGS)
        self.json_mode = json_mode
        self.read_stdout = read_stdout
        self.proc = None
        self.lines = []  # raw stdout lines (bytes)
        self.err_lines = []  # raw stderr lines (bytes)
        self.cond = threading.Condition()
        self.ready = False
        self.stdout_eof = False
        self.stderr_eof = False
        self.rc = None
        self.threads = []
        self.env = env
        self.preexec_fn = preexec_fn  # e.g. joining a CPU-limited cgroup
        self.t_ready = None

    # ---- life cycle ----
    def start(self, timeout=START_TIMEOUT):
        check(os.access(RSTTRACE, os.X_OK), "%s is not built", RSTTRACE)
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=self.env, preexec_fn=self.preexec_fn)
        t = threading.Thread(target=self._read_err, daemon=True)
        t.start()
        self.threads.append(t)
        if self.read_stdout:
            t = threading.Thread(target=self._read_out, daemon=True)
            t.start()
            self.threads.append(t)
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.ready:
                if self.stderr_eof:
                    rc = self.proc.wait(timeout=STOP_TIMEOUT)
                    raise TestFailure("rsttrace %s exited (%s) before 'Tracing': %s" % (
                        " ".join(self.args[1:]), rc, self.stderr_text().strip()[-800:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("no 'Tracing' line on stderr within %.0fs: %s" % (
                        timeout, self.stderr_text().strip()[-800:]))
                self.cond.wait(left)
        self.t_ready = time.monotonic()
        return self

    def _read_err(self):
        for line in iter(self.proc.stderr.readline, b""):
            with self.cond:
                self.err_lines.append(line)
                if line.startswith(b"Tracing"):
                    self.ready = True
                self.cond.notify_all()
        with self.cond:
            self.stderr_eof = True
            self.cond.notify_all()

    def _read_out(self):
        for line in iter(self.proc.stdout.readline, b""):
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.stdout_eof = True
            self.cond.notify_all()

    def send_signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Wait for rsttrace to exit by itself; returns rc (None if it did not)."""
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        for t in self.threads:
            t.join(timeout)
        return self.rc

    def stop(self, sig=signal.SIGINT, expect_rc=0):
        """Signal rsttrace, wait for it, check its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.wait_exit()
        if rc is None:
            self.kill()
            raise TestFailure("rsttrace did not exit within %.0fs of %s" % (
                STOP_TIMEOUT, signal.Signals(sig).name))
        if expect_rc is not None:
            check(rc == expect_rc, "rsttrace exit status %s after %s, expected %s; stderr: %s",
                  rc, signal.Signals(sig).name, expect_rc, self.stderr_text().strip()[-600:])
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for t in self.threads:
            t.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        return False

    # ---- output ----
    def stderr_text(self):
        with self.cond:
            return b"".join(self.err_lines).decode("utf-8", "replace")

    def cpu_seconds(self):
        """User + system CPU time rsttrace has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stderr_after_ready(self):
        with self.cond:
            out, seen = [], False
            for l in self.err_lines:
                if seen:
                    out.append(l)
                elif l.startswith(b"Tracing"):
                    seen = True
            return b"".join(out).decode("utf-8", "replace")

    def raw_lines(self):
        with self.cond:
            return list(self.lines)

    def _parsed_so_far(self):
        """Records parsed without validation, for waiting."""
        out = []
        for l in self.raw_lines():
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
        return out

    def follow(self, consume, done, timeout=EVENT_TIMEOUT, what="records"):
        """Feed every new parsed record (raw JSON, not yet validated) to
        consume() until done() is true; fail after timeout."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                while seen < len(self.lines):
                    try:
                        r = json.loads(self.lines[seen])
                    except ValueError:
                        r = None
                    seen += 1
                    if isinstance(r, dict):
                        consume(r)
                if done():
                    return
                left = deadline - time.monotonic()
                if left <= 0 or (self.stdout_eof and seen == len(self.lines)):
                    tail = []
                    for l in self.lines[-10:]:
                        try:
                            tail.append(json.loads(l))
                        except ValueError:
                            tail.append(l)
                    raise TestFailure("waited %.0fs for %s%s; last output:\n%s\nstderr: %s" % (
                        timeout, what, " (rsttrace closed stdout)" if self.stdout_eof else "",
                        summarize(tail), self.stderr_text().strip()[-500:]))
                self.cond.wait(min(left, 1.0))

    def wait_for(self, pred, n=1, timeout=EVENT_TIMEOUT, what=None):
        """Wait until at least n records (JSON mode) satisfy pred."""
        got = []
        self.follow(lambda r: got.append(r) if pred(r) else None,
                    lambda: len(got) >= n, timeout,
                    what or "%d matching record(s)" % n)
        return got

    def wait_on(self, *specs, timeout=EVENT_TIMEOUT, what=None):
        """Wait until each (Sock, direction) of specs has a record."""
        got = set()

        def consume(r):
            for i, (sk, d) in enumerate(specs):
                if i not in got and sk.matches(r, d):
                    got.add(i)
                    return

        self.follow(consume, lambda: len(got) == len(specs), timeout,
                    what or "the records of %s" % ", ".join(
                        "the %s reset on %r" % (d, sk) for sk, d in specs))

    def wait_lines(self, n, timeout=EVENT_TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.lines) < n and not self.stdout_eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return len(self.lines)

    def records(self):
        """Every stdout line parsed and validated (call after stop)."""
        check(self.json_mode, "records() needs --json")
        return [parse_line(l) for l in self.raw_lines()]

    def resets(self):
        return [r for r in self.records() if r["type"] == "reset"]


def rsttrace_cmd(*args):
    """An rsttrace command line for subprocess, with RSTTRACE_EXTRA_ARGS."""
    return [RSTTRACE] + [str(a) for a in args] + EXTRA_ARGS


# --------------------------------------------------------------------------
# what rsttrace can see on the running kernel

# the keys of -V --json and their types
CAPS_KEYS = {"version": str, "libbpf": str, "kernel": str, "btf": bool, "ringbuf": bool,
             "kprobes": bool, "kernel_reasons_passive": bool,
             "kernel_reasons_active": bool, "nosock_resets": bool,
             "netfilter_resets": bool, "accept_tracepoints": bool,
             "legacy_owners": bool, "acceptor": list,
             "acceptor_offered": list, "tw_owner_slots": int, "accept_slots": int,
             "ringbuf_size": int, "reason_names": int, "kernel_hz": (int, type(None))}
# rsttrace's start-up line when it keeps owners without socket storage
# (kernels before 5.11, or --legacy-owners)
LEGACY_OWNERS_LINE = "has no socket storage for tracing programs"

_caps = None
_caps_error = None


def version_json():
    """rsttrace -V --json, parsed and checked: one JSON object with every
    key of CAPS_KEYS, of its type."""
    cmd = rsttrace_cmd("-V", "--json")
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    out = r.stdout.decode("utf-8", "replace")
    check(r.returncode == 0, "%s: exit %d: %s", " ".join(cmd), r.returncode,
          r.stderr.decode("utf-8", "replace").strip()[-300:])
    lines = out.splitlines()
    check(len(lines) == 1, "%s: %d lines, expected one JSON object: %r",
          " ".join(cmd), len(lines), out[:500])
    try:
        v = json.loads(lines[0])
    except ValueError as e:
        raise TestFailure("%s: not JSON (%s): %r" % (" ".join(cmd), e, out[:500]))
    check(isinstance(v, dict), "-V --json: not an object: %r", v)
    for k, t in CAPS_KEYS.items():
        check(k in v, "-V --json: no %r: %r", k, v)
        check(isinstance(v[k], t) and (t is bool or not isinstance(v[k], bool)),
              "-V --json: %r is %r, expected a %s", k, v[k],
              "/".join(x.__name__ for x in (t if isinstance(t, tuple) else (t,))))
    return v


def caps():
    """What rsttrace says it can see here (read once): the -V --json keys,
    plus "legacy_owners": it keeps owners without socket storage (kernels
    before 5.11, or --legacy-owners in RSTTRACE_EXTRA_ARGS), as its
    start-up message says."""
    global _caps, _caps_error
    if _caps is not None:
        return _caps
    if _caps_error is not None:
        raise TestFailure("rsttrace capabilities: " + _caps_error)
    try:
        c = version_json()
        tr = Tracer()
        try:
            tr.start()
            head = tr.stderr_text().split("Tracing")[0]
            tr.stop()
        finally:
            tr.kill()
        c["legacy_owners"] = LEGACY_OWNERS_LINE in head
        c["startup"] = [l.strip() for l in head.strip().splitlines()]
        # the acceptor hooks attached, as the sources line names them
        m = re.search(r"acceptor: ([a-z,]+)", head)
        check(m, "the start-up sources line names no acceptor hook: %r", head)
        c["acceptor_attached"] = [] if m.group(1) == "none" else m.group(1).split(",")
        # E2E_FAKE_CAPS='{"nosock_resets": false}': pretend rsttrace sees
        # less than it does, to exercise the tests' own branches for other
        # kernels (checks that rsttrace sees more than claimed then fail)
        fake = os.environ.get("E2E_FAKE_CAPS")
        if fake:
            c.update(json.loads(fake))
            c["faked"] = sorted(json.loads(fake))
    except TestFailure as e:
        _caps_error = str(e)
        raise
    _caps = c
    return c


def cookies_on_demand():
    """Whether rsttrace reads socket cookies without creating them (the
    legacy owner store: tracing programs cannot call
    bpf_get_socket_cookie() before 5.12). The kernel creates a socket's
    cookie when first asked (SO_COOKIE, sock_diag), so a record's
    sock_cookie is null unless something asked before the reset."""
    return caps()["legacy_owners"]


def kernel_skips(stderr):
    """From rsttrace's last loss report on stderr: resets the kernel skipped
    (its program was already running on that CPU; a stand-in did not cover
    them), and the owner-keeping runs it skipped. Other not-attributable
    losses (no kind slot, unreadable headers) must be 0."""
    skipped = 0
    for m in re.finditer(r"not attributable so far: (\d+) for want of a kind slot, (\d+) "
                         r"skipped by the kernel[^,]*, (\d+) with unreadable headers", stderr):
        slot, skipped, unreadable = map(int, m.groups())
        check(slot == 0 and unreadable == 0, "resets lost with no kind for want of a slot (%d) "
              "or unreadable (%d): %r", slot, unreadable, m.group(0))
    m = re.search(r"skipped rsttrace's owner-keeping programs (\d+) times", stderr)
    return skipped, int(m.group(1)) if m else 0


def summarize(recs):
    out = []
    for r in recs:
        if isinstance(r, dict) and r.get("type") == "reset":
            out.append("  %s %s %s:%s->%s:%s pid=%s comm=%r state=%s reason=%s src=%s "
                       "cookie=%s cause=%r errno=%s peer=%s/%r" % (
                           r.get("direction"), r.get("family"), r.get("laddr"), r.get("lport"),
                           r.get("raddr"), r.get("rport"), r.get("pid"), r.get("comm"),
                           r.get("state"), r.get("reason"), r.get("owner_source"),
                           r.get("sock_cookie"), r.get("cause"), r.get("errno"),
                           r.get("peer_pid"), r.get("peer_comm")))
        else:
            out.append("  %r" % (r,))
    return "\n".join(out) or "  (nothing)"


# --------------------------------------------------------------------------
# scenario processes


class ProcError(TestFailure):
    def __init__(self, name, errno_, msg):
        super().__init__(msg)
        self.name = name
        self.errno = errno_


class Proc:
    """A scenario process. Every call runs in that process and waits for its
    reply, which is the readiness signal for the next step."""

    def __init__(self, comm, *, netns=None, cgroup=None, uid=None, _chan=None, _hello=None):
        self.popen = None
        self.parent = None
        if _chan is None:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.popen = subprocess.Popen(
                [PYTHON, ACTOR, str(b.fileno()), bytes(comm).hex()],
                pass_fds=[b.fileno()], stdin=subprocess.DEVNULL)
            b.close()
            self.chan = a
            self.pid = self.popen.pid
            self.alive = True
            try:
                hello = self._recv(scaled(30.0))
                check(hello[0] == "hello", "bad hello from actor: %r", hello)
            except BaseException:
                self.close()
                raise
            h = hello[1]
        else:
            self.chan, h = _chan, _hello
        self.pid = h["pid"]
        self.tid = h["tid"]
        self.comm = h["comm"]
        self.alive = True
        try:
            if cgroup is not None:
                cgroup.add(self.pid)
            if netns is not None:
                self.call("setns", netns.path)
            if uid is not None:
                self.call("setuid", uid)
            self.info = self.call("info")
        except BaseException:
            self.close()
            raise

    def _recv(self, timeout):
        r, _, _ = select.select([self.chan], [], [], timeout)
        if not r:
            raise TestFailure("scenario process %s: no reply within %.0fs" % (
                getattr(self, "pid", "?"), timeout))
        msg = self.chan.recv(1 << 20)
        if not msg:
            raise TestFailure("scenario process %s died" % getattr(self, "pid", "?"))
        return pickle.loads(msg)

    def request(self, op, *args, fds=None, **kwargs):
        """Send a request without waiting; reply() collects the answer."""
        data = pickle.dumps((op, args, kwargs))
        if fds:
            socket.send_fds(self.chan, [data], fds)
        else:
            self.chan.send(data)
        self._pending = (op, args)

    def reply(self, timeout=60.0):
        res = self._recv(scaled(timeout))
        if res[0] == "ok":
            return res[1]
        op, args = self._pending
        raise ProcError(res[1], res[2], "%s(pid %d, %r).%s%r: %s: %s" % (
            "proc", self.pid, self.comm, op, args, res[1], res[3]))

    def call(self, op, *args, timeout=60.0, fds=None, **kwargs):
        """op in the process; timeout (scaled) for its reply."""
        self.request(op, *args, fds=fds, **kwargs)
        return self.reply(timeout)

    def end(self, how, *args):
        """The process ends: how is a signal number (sent to it), or the
        actor op "exit_status" or "crash" (args: theirs). Returns once it
        is reaped, with its wait status (as Popen: -signal, or the code)."""
        check(self.popen is not None, "end() of a forked worker")
        if isinstance(how, int):
            os.kill(self.pid, how)
        else:
            self.request(how, *args)
        rc = self.popen.wait(timeout=scaled(30.0))
        self.alive = False
        self.chan.close()
        return rc

    def fork(self, comm):
        """The process forks: the child keeps all sockets and becomes a Proc."""
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = self.call("fork", comm, fds=[b.fileno()])
        finally:
            b.close()
        tmp = Proc.__new__(Proc)
        tmp.chan, tmp.pid = a, pid
        hello = tmp._recv(scaled(30.0))
        check(hello[0] == "hello", "bad hello from worker: %r", hello)
        w = Proc(comm, _chan=a, _hello=hello[1])
        w.parent = self
        return w

    def close(self):
        if not self.alive:
            return
        self.alive = False
        try:
            self.call("exit", timeout=5.0)
        except Exception:
            pass
        self.chan.close()
        if self.popen is not None:
            try:
                self.popen.wait(timeout=scaled(5.0))
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            if self.parent is not None and self.parent.alive:
                with contextlib.suppress(Exception):
                    self.parent.call("reap", self.pid, timeout=15.0)

    # convenience wrappers
    def listen(self, name, family, addr, port=0, backlog=128):
        return self.call("listen", name, family, addr, port, backlog)

    def connect(self, name, family, addr, port):
        return self.call("connect", name, family, addr, port)

    def accept(self, lname, name):
        return self.call("accept", lname, name)


def proc(stack, comm, **kw):
    p = Proc(comm, **kw)
    stack.callback(p.close)
    return p


# --------------------------------------------------------------------------
# environment


def netns_inode(pid="self"):
    return os.stat("/proc/%s/ns/net" % pid).st_ino


def run(cmd, check_rc=True):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if check_rc and r.returncode != 0:
        raise TestFailure("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                               r.stderr.decode(errors="replace").strip()))
    return r


class Netns:
    def __init__(self, name):
        self.name = name
        self.path = "/run/netns/" + name
        run(["ip", "netns", "add", name])
        self.inode = os.stat(self.path).st_ino

    def ip(self, *args):
        return run(["ip", "-n", self.name] + list(args))

    def delete(self):
        run(["ip", "netns", "del", self.name], check_rc=False)


def netns(stack, suffix):
    name = "rsttrace-%d-%s" % (TEST_PID, suffix)
    run(["ip", "netns", "del", name], check_rc=False)
    n = Netns(name)
    stack.callback(n.delete)
    return n


def cgroup2_mount():
    # a mount point may hold bytes that are not UTF-8 (an ip netns name)
    with open("/proc/mounts", errors="surrogateescape") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "cgroup2":
                return parts[1]
    raise TestFailure("no cgroup2 mount in /proc/mounts")


class Cgroup:
    def __init__(self, path):
        self.path = path
        os.mkdir(path)
        self.id = os.stat(path).st_ino

    def add(self, pid):
        cgroup_move(self.path, pid)

    def join(self):
        """A preexec_fn: move the child in before it execs."""
        cgroup_move(self.path, 0)

    def remove(self):
        # bounded: the cgroup empties once its killed processes are reaped
        deadline = time.monotonic() + scaled(10)
        while True:
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError as e:
                if e.errno != errno.EBUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def cgroup_move(path, pid):
    """Move process pid into the cgroup v2 directory path."""
    with open(os.path.join(path, "cgroup.procs"), "w") as f:
        f.write("%d\n" % pid)


def cgroup(stack, suffix):
    path = os.path.join(cgroup2_mount(), "rsttrace-test-%d-%s" % (TEST_PID, suffix))
    if os.path.isdir(path):
        os.rmdir(path)
    c = Cgroup(path)
    stack.callback(c.remove)
    return c


def cgroup_v2_root_with(controller):
    """The cgroup v2 root if it offers controller (enabled for its
    children here), else None."""
    try:
        root = cgroup2_mount()
    except TestFailure:
        return None
    try:
        with open(os.path.join(root, "cgroup.controllers")) as f:
            if controller not in f.read().split():
                return None
        with open(os.path.join(root, "cgroup.subtree_control")) as f:
            on = controller in f.read().split()
        if not on:
            with open(os.path.join(root, "cgroup.subtree_control"), "w") as f:
                f.write("+%s\n" % controller)
    except OSError:
        return None
    return root


def cgroup_v1_root_with(controller):
    """The mount point of the cgroup v1 hierarchy of controller, or None."""
    with open("/proc/mounts", errors="surrogateescape") as f:
        for line in f:
            p = line.split()
            if len(p) >= 4 and p[2] == "cgroup" and controller in p[3].split(","):
                return p[1]
    return None


class MemLimit:
    """A cgroup whose processes may use at most `limit` bytes of memory and
    no swap, so that the OOM killer ends the one that wants more: cgroup v2
    memory.max where the controller is enabled, else the v1 memory
    hierarchy."""

    def __init__(self, limit, tag):
        v2 = cgroup_v2_root_with("memory")
        if v2:
            self.path = os.path.join(v2, "rsttrace-mem-%d-%s" % (TEST_PID, tag))
            os.mkdir(self.path)
            self._set(("memory.max", limit), ("memory.swap.max", 0))
        else:
            v1 = cgroup_v1_root_with("memory")
            if not v1:
                raise Skip("no cgroup memory controller (v2 memory.max or v1)")
            self.path = os.path.join(v1, "rsttrace-mem-%d-%s" % (TEST_PID, tag))
            os.mkdir(self.path)
            self._set(("memory.limit_in_bytes", limit), ("memory.memsw.limit_in_bytes", limit))
        self.procs = os.path.join(self.path, "cgroup.procs")

    def _set(self, *pairs):
        for name, v in pairs:
            path = os.path.join(self.path, name)
            if os.path.exists(path):  # no swap accounting: no swap file either
                with open(path, "w") as f:
                    f.write("%d\n" % v)

    def add(self, pid):
        with open(self.procs, "w") as f:
            f.write("%d\n" % pid)

    def remove(self):
        Cgroup.remove(self)


def mem_limit(stack, limit, tag):
    c = MemLimit(limit, tag)
    stack.callback(c.remove)
    return c


class CpuLimit:
    """A cgroup whose processes share `fraction` of one CPU (CFS quota over
    a 100 ms period), as a DaemonSet's resources.limits.cpu does: cgroup v2
    with the cpu controller where it is enabled, else the v1 cpu
    hierarchy. join() is a preexec_fn for the process to limit."""
    PERIOD = 100000

    def __init__(self, fraction, tag):
        quota = max(1000, int(self.PERIOD * fraction))
        self.path = None
        v2 = cgroup_v2_root_with("cpu")
        if v2:
            self.path = os.path.join(v2, "rsttrace-cpu-%d-%s" % (TEST_PID, tag))
            os.mkdir(self.path)
            with open(os.path.join(self.path, "cpu.max"), "w") as f:
                f.write("%d %d\n" % (quota, self.PERIOD))
            self.procs = os.path.join(self.path, "cgroup.procs")
            self.kind = "cgroup v2 cpu.max"
            return
        v1 = cgroup_v1_root_with("cpu")
        if not v1:
            raise Skip("no cgroup cpu controller (v2 cpu.max or v1 cpu.cfs_quota_us)")
        self.path = os.path.join(v1, "rsttrace-cpu-%d-%s" % (TEST_PID, tag))
        os.mkdir(self.path)
        for name, v in (("cpu.cfs_period_us", self.PERIOD), ("cpu.cfs_quota_us", quota)):
            with open(os.path.join(self.path, name), "w") as f:
                f.write("%d\n" % v)
        self.procs = os.path.join(self.path, "cgroup.procs")
        self.kind = "cgroup v1 cpu.cfs_quota_us"


    def join(self):
        """In the child, before exec: move this process in."""
        with open(self.procs, "w") as f:
            f.write("0\n")

    def add(self, pid):
        """Move a running process (all its threads) in."""
        with open(self.procs, "w") as f:
            f.write("%d\n" % pid)

    def remove(self):
        Cgroup.remove(self)


def cpu_limit(stack, fraction, tag):
    c = CpuLimit(fraction, tag)
    stack.callback(c.remove)
    return c


def cgroup_id_of(pid_info):
    """cgroup v2 id (inode) of a process, from an info() dict; None if unknown."""
    for line in pid_info["cgroup"].splitlines():
        if line.startswith("0::"):
            p = os.path.join(cgroup2_mount(), line[3:].lstrip("/"))
            try:
                return os.stat(p).st_ino
            except OSError:
                return None
    return None


def closed_port(family=4):
    """A TCP port on loopback with no socket bound to it right now."""
    f = socket.AF_INET if family == 4 else socket.AF_INET6
    s = socket.socket(f, socket.SOCK_STREAM)
    s.bind(("127.0.0.1" if family == 4 else "::1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_ports(n):
    """n distinct closed ports."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.bind(("::", 0))  # dual-stack: closed for both families
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def tmpdir(stack, tag):
    """A new directory, removed with what is in it when the test ends."""
    d = tempfile.mkdtemp(prefix="rsttrace-%s-" % tag)
    stack.callback(shutil.rmtree, d, True)
    return d


def wait_kernel(pred, what, timeout=10.0):
    """Bounded polling for a kernel state no event tells us about."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TestFailure("timed out waiting for %s" % what)
        time.sleep(0.02)


# --------------------------------------------------------------------------
# picking and checking records


def norm_addr(a):
    """An address as rsttrace prints it (IPv4-mapped IPv6 as IPv4); None
    for a wildcard (a refused socket's getsockname())."""
    ip = ipaddress.ip_address(str(a).split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return None if ip.is_unspecified else str(ip)


class Sock:
    """One of the test's sockets, from an actor's connect() or accept()
    reply (cookie, local and peer ends). Its records are found by direction
    and 4-tuple, not by cookie: rsttrace may not know the cookie (see
    cookies_on_demand()), and a record's sock_cookie, where it has one,
    must be this socket's (checked by one_on()).

    peer: the remote end, for a socket that has none (a refused connect).
    cookie_late: the test read the cookie (SO_COOKIE) only after the reset,
    so in the legacy owner store the record may have none. A cookie of None:
    nothing asked for it (rsttrace must create it, and cannot in the legacy
    owner store)."""

    def __init__(self, reply, peer=None, cookie_late=False):
        self.cookie = reply["cookie"]
        self.local = tuple(reply["local"])
        self.peer = tuple(peer or reply["peer"])
        self.laddr, self.lport = norm_addr(self.local[0]), self.local[1]
        self.raddr, self.rport = norm_addr(self.peer[0]), self.peer[1]
        self.cookie_late = cookie_late

    def __getitem__(self, key):
        """The actor's reply: "cookie", "local", "peer"."""
        return {"cookie": self.cookie, "local": self.local, "peer": self.peer}[key]

    def __repr__(self):
        return "socket %s:%s->%s:%s (cookie %s)" % (self.laddr or "*", self.lport, self.raddr,
                                                   self.rport, self.cookie)

    def matches(self, r, direction=None):
        if not isinstance(r, dict) or r.get("type") != "reset":
            return False
        if direction is not None and r.get("direction") != direction:
            return False
        if (r.get("lport"), r.get("rport")) != (self.lport, self.rport):
            return False
        try:
            if self.laddr is not None and norm_addr(r.get("laddr")) != self.laddr:
                return False
            if norm_addr(r.get("raddr")) != self.raddr:
                return False
        except ValueError:
            return False
        # another cookie is another socket with the same ports
        return self.cookie is None or r.get("sock_cookie") in (None, self.cookie)

    def cookie_field(self):
        """The expected sock_cookie of this socket's records."""
        if self.cookie is None:
            if cookies_on_demand():
                return None
            return Match(lambda v: isinstance(v, int) and v > 0,
                         "a cookie (rsttrace creates it: nothing else asked for it)")
        if self.cookie_late and cookies_on_demand():
            return Match(lambda v: v in (None, self.cookie),
                         "null or %d (legacy owner store: the cookie exists only if "
                         "something asked for it before the reset)" % self.cookie)
        return self.cookie


def on(sock, direction=None):
    """A predicate for wait_for(): a record of sock's reset(s)."""
    return lambda r: sock.matches(r, direction)


def one_on(recs, what, sock, direction):
    """The one record of direction on sock; its sock_cookie checked."""
    got = [r for r in recs if sock.matches(r, direction)]
    if len(got) != 1:
        raise TestFailure("expected exactly 1 %s record (%s on %r), got %d:\n%s\n"
                          "all records:\n%s" % (what, direction, sock, len(got),
                                                summarize(got), summarize(recs[-20:])))
    expect(got[0], what, sock_cookie=sock.cookie_field())
    return got[0]


def pick_on(recs, sock, direction=None):
    return [r for r in recs if sock.matches(r, direction)]


def pick(recs, **want):
    return [r for r in recs if r.get("type") == "reset"
            and all(r.get(k) == v for k, v in want.items())]


def one(recs, what, **want):
    got = pick(recs, **want)
    if len(got) != 1:
        raise TestFailure("expected exactly 1 %s record matching %r, got %d:\n%s\nall records:\n%s" % (
            what, want, len(got), summarize(got), summarize(recs[-20:])))
    return got[0]


class Match:
    """An expected value that is not one exact value (for expect())."""

    def __init__(self, pred, desc):
        self.pred = pred
        self.desc = desc

    def __call__(self, v):
        return self.pred(v)

    def __repr__(self):
        return self.desc


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def between(lo, hi):
    """An integer or number in [lo, hi]."""
    return Match(lambda v: _number(v) and lo <= v <= hi, "a number in [%r, %r]" % (lo, hi))


def matching(pattern):
    """A string that matches the regular expression (whole)."""
    return Match(lambda v: isinstance(v, str) and re.fullmatch(pattern, v) is not None,
                 "a string matching %r" % pattern)


def kernel_config_readable():
    """Where libbpf looks for the kernel's configuration (CONFIG_HZ, which
    idle_ms needs)."""
    return (os.path.exists("/boot/config-" + platform.release()) or
            os.path.exists("/proc/config.gz"))


def with_idle(cause, rec):
    """cause as rsttrace words it for rec: a timeout's cause says how long
    the connection had been idle, once that is 1 s or more (a slow machine,
    such as a VM under emulation, gets there in any scenario). idle_ms
    itself is checked by the tests that measure the idle time."""
    idle = rec.get("idle_ms")
    if idle is None or idle < 1000:
        return cause
    return "%s after %.1f s idle" % (cause, idle / 1000.0)


def with_closed_idle(cause, rec):
    """cause as rsttrace words it for rec, a reset of a connection its
    owner closed: once it had been idle 1 s or more at the close (a slow
    machine gets there in any scenario), the cause says so, and how long
    ago (closed_idle_ms itself is checked by the tests that measure it)."""
    idle = rec.get("closed_idle_ms")
    if idle is None or idle < 1000:
        return cause
    return matching(re.escape("%s (closed after %.1f s idle" % (cause, idle / 1000.0)) +
                    r"(, (\d+ ms|\d+\.\d s) ago)?\)$")


def at_least(lo):
    return Match(lambda v: _number(v) and v >= lo, "a number >= %r" % (lo,))


def age_within(lo_s, hi_s, slack_ms=1.0, or_null=False):
    """age_ms of a connection known to have lived at least lo_s and at most
    hi_s seconds (both measured by the test around the scenario)."""
    lo, hi = max(0.0, lo_s * 1000 - slack_ms), hi_s * 1000 + slack_ms
    return Match(lambda v: (or_null and v is None) or (_number(v) and lo <= v <= hi),
                 "%sage_ms in [%.1f, %.1f] (the elapsed time the test measured)" % (
                     "null or " if or_null else "", lo, hi))


def expect(rec, what, t0=None, t1=None, **fields):
    """Compare a record field by field; time checked against [t0, t1].
    An expected value may be a Match (between(), age_within(), ...)."""
    bad = []
    for k, v in fields.items():
        if FOCUS is not None and k not in FOCUS:
            continue
        if k not in rec:
            bad.append("%s missing (expected %r)" % (k, v))
        elif isinstance(v, Match):
            if not v(rec[k]):
                bad.append("%s=%r (expected %r)" % (k, rec[k], v))
        elif rec[k] != v or isinstance(rec[k], bool) != isinstance(v, bool):
            bad.append("%s=%r (expected %r)" % (k, rec.get(k), v))
    if t0 is not None:
        t = parse_time(rec["time"])
        if not (t0 - 2.0 <= t <= t1 + 2.0):
            bad.append("time=%s is not within the scenario's wall-clock window %s..%s" % (
                rec["time"], iso(t0), iso(t1)))
    if bad:
        msg = "%s: %s\nrecord: %r" % (what, "; ".join(bad), rec)
        if KEEP_GOING:
            deferred_failures.append(msg)
            return
        raise TestFailure(msg)


# focus(): expect() compares only these fields (None: all)
FOCUS = None


@contextlib.contextmanager
def focus(fields):
    """Within the block, expect() checks only the given fields: for a test
    that runs another test's scenario for one aspect of it."""
    global FOCUS
    old, FOCUS = FOCUS, frozenset(fields)
    try:
        yield
    finally:
        FOCUS = old


# E2E_KEEP_GOING=1: a record that does not match is reported at the end of
# the test, with every other mismatch, instead of stopping the test there
KEEP_GOING = os.environ.get("E2E_KEEP_GOING") == "1"
deferred_failures = []


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()


def exit_fields(signal_name=None, code=None, oom=False):
    """How the owner ended as it closed the socket: by default it did not."""
    return {"exit_signal": signal_name, "exit_code": code, "oom_killed": oom}


ALIVE = exit_fields()


def listener_fields(listener=None, previous=None, changed_ago=None):
    """The listeners behind a reset that found no connection: listener and
    previous are processes (or None), changed_ago a Match for
    listener_changed_ago_ms."""
    return {"listener_pid": listener.pid if listener else None,
            "listener_comm": listener.comm.decode("ascii") if listener else None,
            "previous_listener_pid": previous.pid if previous else None,
            "previous_listener_comm": previous.comm.decode("ascii") if previous else None,
            "listener_changed_ago_ms": changed_ago}


NOLISTENER = listener_fields()


def owner_fields(p, source, sock_uid=None, cgroup_id="auto", tid="exact", exit=ALIVE,
                 listeners=NOLISTENER):
    """The expected owner fields for process p; exit: exit_fields() of how
    it ended, by default alive; listeners: listener_fields(), by default
    none (a reset on a connection)."""
    d = {"pid": p.pid, "comm": p.comm.decode("ascii"), "owner_source": source, **exit,
         **listeners}
    if tid == "exact":
        d["tid"] = p.tid
    d["uid"] = p.info["uid"] if sock_uid is None else sock_uid
    if cgroup_id == "auto":
        cg = cgroup_id_of(p.info)
        if cg is not None:
            d["cgroup_id"] = cg
    elif cgroup_id is not None:
        d["cgroup_id"] = cgroup_id
    return d


def not_runner(rec, what, *others):
    """The owner is not this test runner nor any of the other processes."""
    check(rec["pid"] != TEST_PID, "%s: owner is the test runner (pid %d)", what, TEST_PID)
    for o in others:
        check(rec["pid"] != o.pid, "%s: owner is pid %d (%r), the wrong process",
              what, o.pid, o.comm)


NOSOCK = {"pid": None, "tid": None, "comm": None, "uid": None, "cgroup_id": None,
          "sock_cookie": None, "state": None, "owner_source": None,
          "prev_state": None, "age_ms": None, "idle_ms": None, "closed_ago_ms": None,
          "closed_idle_ms": None, "cgroup": None, "unit": None, "container_id": None,
          "container_runtime": None, "pod_uid": None, "namespace": None, "pod": None,
          "container": None, **ALIVE, **NOLISTENER}

# no full socket (no socket, TIME_WAIT) or a listener: no socket counters
NOCOUNTERS = {k: None for k in COUNTER_KEYS}
NOPEER = {"peer_pid": None, "peer_comm": None}


def peer_fields(p):
    """The peer fields of a reset whose other end is owned by process p."""
    return {"peer_pid": p.pid, "peer_comm": p.comm.decode("ascii")}


# resets this host decides to send (tcp_send_active_reset()): kernels name
# their reason from 6.12 on ("kernel_reasons_active"); the others answer a
# segment, and kernels name their reason from 6.10 on ("kernel_reasons_passive")
ACTIVE_REASONS = frozenset(["TCP_ABORT_ON_CLOSE", "TCP_ABORT_ON_LINGER", "TCP_ABORT_ON_MEMORY",
                            "TCP_STATE", "TCP_KEEPALIVE_TIMEOUT", "TCP_DISCONNECT_WITH_DATA"])


def kernel_reason_of(reason):
    """What the running kernel itself passes for a reset whose reason is
    `reason`: the same name, NOT_SPECIFIED (the resets it decides to send,
    where it names only the others: 6.10, 6.11) or None (no reason at
    all)."""
    c = caps()
    if reason in ACTIVE_REASONS:
        if c["kernel_reasons_active"]:
            return reason
        return "NOT_SPECIFIED" if c["kernel_reasons_passive"] else None
    return reason if c["kernel_reasons_passive"] else None


def reason_fields(reason, infer=False):
    """reason and reason_source of a sent reset whose reason is `reason`
    (None: a received reset): "kernel" where the running kernel names it,
    "inferred" (with the same name) where it does not; with
    --infer-reasons rsttrace infers it anyway and shows the kernel's own
    as kernel_reason."""
    if reason is None:
        d = {"reason": None, "reason_source": None}
        if infer:
            d["kernel_reason"] = None
        return d
    kernel = kernel_reason_of(reason)
    d = {"reason": reason,
         "reason_source": "kernel" if kernel == reason and not infer else "inferred"}
    if infer:
        d["kernel_reason"] = kernel
    return d


# acceptor hooks that fire inside accept() itself (Python's accept() passes
# an address buffer, so getpeername sees it)
ACCEPT_TIME_HOOKS = frozenset(["getpeername", "kprobe", "syscalls"])


def accept_source():
    """owner_source of a socket its owner accept()ed (with an address
    buffer, as Python does) and had not yet read or written: without a hook
    inside accept() rsttrace can only name the listener's owner
    ("inherited")."""
    return "accept" if ACCEPT_TIME_HOOKS & set(caps()["acceptor_attached"]) else "inherited"


def received_fields(state, prev_state, infer=False):
    """What a reset received in `state` means to the owning application."""
    idle = {}
    if state == "SYN_SENT":
        cause, err = "peer refused connection", "ECONNREFUSED"
        # no data has gone either way: no idle time (not the uptime)
        idle = dict(idle_ms=None)
    elif state == "ESTABLISHED":
        cause, err = "peer reset established connection", "ECONNRESET"
    else:
        cause = "peer reset connection in %s" % state
        err = "EPIPE" if state == "CLOSE_WAIT" else "ECONNRESET"
    return dict(direction="received", source="tcp", state=state, prev_state=prev_state,
                cause=cause, errno=err, **idle, **reason_fields(None, infer))


# --------------------------------------------------------------------------
# registry

TESTS = []


def test(name, timeout=120):
    def deco(fn):
        TESTS.append((name, fn, timeout))
        return fn
    return deco
