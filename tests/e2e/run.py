#!/usr/bin/python3
"""rsttrace end-to-end tests (run as root).

    tests/e2e/run.py                 every test
    tests/e2e/run.py linger refused  tests named so, or starting so
    tests/e2e/run.py 'filter_*'      shell-style patterns
    tests/e2e/run.py --list          the names

One line per test, "ok NAME", "FAIL NAME: reason" (details follow as
"#" lines) or "skip NAME: why" (a kernel feature the test needs is
missing, or some of its checks cannot be made on this kernel while the
others passed), then "e2e: N passed, M failed, K skipped". Exit status 1
if any failed. First, as "#" lines, what rsttrace says it can see on this
kernel (rsttrace -V --json): the tests' expectations follow it.
RSTTRACE=path overrides the binary (default: ./rsttrace at the repo root).
RSTTRACE_EXTRA_ARGS="..." is appended to every rsttrace command line, e.g.
"--legacy-owners" (the owner store of kernels before 5.11, on any kernel).
E2E_KEEP_GOING=1 reports every record that does not match, not just the
first. E2E_TIMEOUT_SCALE=N makes every timeout N times longer (a slow VM).
E2E_BURST=N sets the resets per burst test (default 20000).
"""
import contextlib
import fnmatch
import json
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
import test_owner  # noqa: E402,F401
import test_filters  # noqa: E402,F401
import test_cli  # noqa: E402,F401
import test_causes  # noqa: E402,F401
import test_infer  # noqa: E402,F401
import test_acceptor  # noqa: E402,F401
import test_exits  # noqa: E402,F401
import test_forgotten  # noqa: E402,F401
import test_identity  # noqa: E402,F401
import test_metrics  # noqa: E402,F401
import test_operate  # noqa: E402,F401
import test_install  # noqa: E402,F401
import test_docs  # noqa: E402,F401
import test_hostile  # noqa: E402,F401


class Timeout(harness.TestFailure):
    pass


def on_alarm(signum, frame):
    raise Timeout("test timed out")


def selected(names):
    tests = harness.TESTS
    if not names:
        return tests, []
    out, unknown = [], []
    for n in names:
        hit = [t for t in tests if t[0] == n or t[0].startswith(n) or fnmatch.fnmatchcase(t[0], n)]
        if not hit:
            unknown.append(n)
        out += [t for t in hit if t not in out]
    # keep the registry order
    return [t for t in tests if t in out], unknown


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_one(name, fn, timeout):
    harness._info_lines.clear()
    harness.skipped_parts.clear()
    stack = contextlib.ExitStack()
    err = None
    skipped = None
    t0 = time.monotonic()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(harness.scaled(timeout)))
    harness.deferred_failures.clear()
    try:
        fn(stack)
        if harness.deferred_failures:
            raise harness.TestFailure("%d record(s) did not match:\n%s" % (
                len(harness.deferred_failures), "\n".join(harness.deferred_failures)))
    except harness.Skip as e:
        skipped = str(e) or "skipped"
    except harness.TestFailure as e:
        err = str(e) or type(e).__name__
        if isinstance(e, Timeout):
            err = "timed out after %ds\n%s" % (timeout, "".join(traceback.format_exc(limit=-4)))
    except BaseException as e:  # a bug in the test, or in the tool's output
        if isinstance(e, KeyboardInterrupt):
            signal.alarm(0)
            stack.close()
            raise
        err = "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())
    finally:
        signal.alarm(0)
    # cleanup runs even when the test failed; its own failure fails the test
    signal.alarm(int(harness.scaled(60)))
    try:
        stack.close()
    except BaseException as e:
        msg = "cleanup: %s: %s" % (type(e).__name__, e)
        err = msg if err is None else err + "\n" + msg
    finally:
        signal.alarm(0)
    dt = time.monotonic() - t0
    for l in harness._info_lines:
        out("# " + l)
    if err is None and skipped is None and harness.skipped_parts:
        skipped = "; ".join(harness.skipped_parts) + " (its other checks passed)"
    if err is None and skipped is not None:
        out("skip %s: %s" % (name, skipped))
        return None
    if err is None:
        out("ok %s (%.1fs)" % (name, dt))
        return True
    first, _, rest = err.partition("\n")
    out("FAIL %s: %s" % (name, first))
    for l in rest.rstrip().splitlines():
        out("#   " + l)
    return False


def main(argv):
    if "--list" in argv or "-l" in argv:
        for t in harness.TESTS:
            print(t[0])
        return 0
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        return 0
    tests, unknown = selected(argv)
    if unknown:
        out("e2e: no test named %s (see --list)" % ", ".join(unknown))
        out("e2e: 0 passed, %d failed" % len(unknown))
        return 2
    if os.geteuid() != 0:
        for name, _, _ in tests:
            out("FAIL %s: not root" % name)
        out("e2e: 0 passed, %d failed" % len(tests))
        return 1
    try:
        c = harness.caps()
        out("# rsttrace %s on Linux %s%s" % (c["version"], c["kernel"], (
            " with " + " ".join(harness.EXTRA_ARGS)) if harness.EXTRA_ARGS else ""))
        out("# can see: " + ", ".join("%s=%s" % (k, json.dumps(v)) for k, v in c.items()
                                      if k not in ("version", "kernel", "libbpf", "startup")))
        for l in c["startup"]:
            out("# start-up: " + l)
    except harness.TestFailure as e:
        out("# cannot read what rsttrace can see: %s" % str(e).splitlines()[0])
    passed = failed = skipped = 0
    for name, fn, timeout in tests:
        r = run_one(name, fn, timeout)
        if r is None:
            skipped += 1
        elif r:
            passed += 1
        else:
            failed += 1
    out("e2e: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
