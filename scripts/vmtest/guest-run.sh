#!/bin/sh
# Runs inside the test VM (chroot made by scripts/vmtest/init), as root, in
# the repository snapshot (/src, read-only): prints ./rsttrace -V, then runs
# the test suite (tests/run.sh), with its output also in /results.
#
# /results/tests  the e2e tests to run (names or patterns; empty: all)
# /results/env    extra environment ("NAME=value" lines)
R=/results
up() { cut -d' ' -f1 /proc/uptime; }

if [ -s $R/env ]; then
	while IFS= read -r kv; do
		[ -n "$kv" ] && export "${kv?}"
	done <$R/env
fi
tests=$(cat $R/tests 2>/dev/null)

echo "VMTEST: rsttrace -V"
./rsttrace -V >$R/version.txt 2>&1
echo "exit status $?" >>$R/version.txt
cat $R/version.txt

echo "VMTEST: suite start uptime=$(up)"
echo "suite_start=$(up)" >$R/times
# shellcheck disable=SC2086
{
	tests/run.sh $tests 2>&1
	echo $? >/tmp/suite.rc
} | tee $R/suite.log
rc=$(cat /tmp/suite.rc)
echo "suite_end=$(up)" >>$R/times
echo "suite_rc=$rc" >>$R/times
echo "VMTEST: suite end uptime=$(up) rc=$rc"
exit "$rc"
