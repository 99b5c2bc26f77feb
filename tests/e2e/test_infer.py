"""--infer-reasons: rsttrace works the reason out itself, as it must on
kernels that give none (before 6.10) or only NOT_SPECIFIED for the resets
it decides to send (6.10, 6.11), and shows the running kernel's own reason
beside it as "kernel_reason". The two must agree for every sent reset of
every scenario for which the running kernel gives a reason; where it gives
none, the scenarios still check the inferred reason against the one they
provoked, and the comparison is skipped."""
import contextlib

from harness import Skip, TestFailure, caps, check, focus, info, skip_part, test
from test_causes import keepalive_case, shutdown_data_case, sskill_case
from test_owner import linger_case, refused_case, timewait_case, unread_case

# (name, function, kwargs): each provokes a reset this host sends (and
# receives), with --infer-reasons; of its checks only those of the fields
# that depend on the reason apply here (its own test checks the rest)
INFER_FIELDS = ("direction", "state", "reason", "reason_source", "kernel_reason",
                "cause", "errno")
SCENARIOS = [
    ("refused", refused_case, {"family": 4}),
    ("refused_ipv6", refused_case, {"family": 6}),
    ("linger", linger_case, {}),
    ("unread", unread_case, {}),
    ("timewait", timewait_case, {}),
    ("shutdown_data", shutdown_data_case, {}),
    ("keepalive", keepalive_case, {}),
    ("sskill", sskill_case, {}),
]


@test("infer_reasons", timeout=300)
def infer_reasons(stack):
    agree, total, no_kernel = 0, 0, []
    disagreements, missing, failures, skipped = [], [], [], []
    # kernel_reason where the running kernel has nothing to compare with:
    # null before 6.10; NOT_SPECIFIED for every reset it decides to send on
    # 6.10 and 6.11 (elsewhere either is a disagreement)
    no_reason = set()
    if not caps()["kernel_reasons_passive"]:
        no_reason.add(None)
    if not caps()["kernel_reasons_active"]:
        no_reason.add("NOT_SPECIFIED")
    for name, fn, kw in SCENARIOS:
        recs = []
        with contextlib.ExitStack() as st:
            try:
                with focus(INFER_FIELDS):
                    fn(st, infer=True, collect=recs, **kw)
            except Skip as e:
                skipped.append("%s (%s)" % (name, e))
            except TestFailure as e:
                if type(e).__name__ == "Timeout":  # the runner's alarm
                    raise
                failures.append("%s: %s" % (name, str(e).splitlines()[0]))
        for r in recs:
            if r["type"] != "reset":
                continue
            check("kernel_reason" in r, "%s: a reset without kernel_reason under "
                  "--infer-reasons: %r", name, r)
            if r["direction"] != "sent":
                continue
            line = "%s: %s:%s->%s:%s state %s: inferred %r, kernel %r" % (
                name, r["laddr"], r["lport"], r["raddr"], r["rport"], r["state"],
                r["reason"], r["kernel_reason"])
            if r["kernel_reason"] in no_reason:
                no_kernel.append(line)
                continue
            total += 1
            if r["reason"] == r["kernel_reason"]:
                agree += 1
            else:
                disagreements.append(line)
                if r["reason"] is None:
                    missing.append(line)
    info("inference agreement: %d of %d sent resets (kernel_reason == reason)" % (agree, total))
    for d in disagreements:
        info("  disagreement: " + d)
    for s in skipped:
        info("  skipped: " + s)
    for f in failures:
        info("  scenario failed: " + f)
    for n in no_kernel:
        info("  no kernel reason to compare: " + n)
    if no_kernel:
        # the scenarios checked the inferred reasons (and that kernel_reason
        # is what this kernel passes)
        skip_part("%d sent reset(s) for which this kernel gives no reason (kernel_reasons_"
                  "passive %s, kernel_reasons_active %s): not compared" % (
                      len(no_kernel), str(caps()["kernel_reasons_passive"]).lower(),
                      str(caps()["kernel_reasons_active"]).lower()))
    check(total > 0 or no_kernel, "no sent reset in any scenario")
    problems = []
    if missing:
        problems.append("%d sent reset(s) with no inferred reason where the kernel gave one"
                        % len(missing))
    if agree < total:
        problems.append("agreement %d of %d (%.0f%%), below 100%%" % (
            agree, total, 100.0 * agree / total))
    if failures:
        problems.append("%d scenario(s) failed under --infer-reasons: %s" % (
            len(failures), "; ".join(f.split(":")[0] for f in failures)))
    if problems:
        raise TestFailure("; ".join(problems) + "\n" + "\n".join(disagreements + failures))

