// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "cgroup.h"
#include "unit.h"

/* Lines of /proc/self/mountinfo: cgroup2 ones give field 4 and 5. */
UNIT_TEST(cgroup_mountinfo)
{
	char host[] = "35 24 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - "
		      "cgroup2 cgroup2 rw,nsdelegate\n";
	char pod[] = "1234 1200 0:30 /kubepods.slice/a.slice /sys/fs/cgroup "
		     "ro - cgroup2 cgroup ro\n";
	char esc[] = "99 35 0:30 / /mnt/with\\040space\\134x rw - cgroup2 "
		     "cgroup2 rw\n";
	char ext4[] = "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
	char v1[] = "40 30 0:37 / /sys/fs/cgroup/memory rw - cgroup cgroup rw\n";
	char shortl[] = "1 2 3 - cgroup2 x\n";
	char nosep[] = "cgroup2 cgroup2 rw\n";
	char *root, *dir;

	CHECK(cgroup__parse_mountinfo(host, &root, &dir));
	CHECK_EQ_STR(root, "/");
	CHECK_EQ_STR(dir, "/sys/fs/cgroup");
	CHECK(cgroup__parse_mountinfo(pod, &root, &dir));
	CHECK_EQ_STR(root, "/kubepods.slice/a.slice");
	CHECK(cgroup__parse_mountinfo(esc, &root, &dir));
	CHECK_EQ_STR(dir, "/mnt/with space\\x");
	CHECK(!cgroup__parse_mountinfo(ext4, &root, &dir));
	CHECK(!cgroup__parse_mountinfo(v1, &root, &dir));
	CHECK(!cgroup__parse_mountinfo(nosep, &root, &dir));
	/* fewer than five fields before the type: ignored, not misread */
	CHECK(cgroup__parse_mountinfo(shortl, &root, &dir));
	CHECK_EQ_STR(root, "-");
}
