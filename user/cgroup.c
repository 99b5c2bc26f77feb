// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup.h"

int cgroup__resolve(const char *path, uint64_t *id, int *level, char *err,
		    size_t errlen)
{
	struct statfs sfs;
	struct stat st, parent;
	int fd, up, depth = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open cgroup '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen,
			 "'%s' is not a cgroup v2 directory (see the cgroup2 "
			 "line of /proc/mounts)",
			 path);
		close(fd);
		return -1;
	}
	fstat(fd, &st);
	*id = st.st_ino;
	/* count the steps up to the root of this cgroup2 mount */
	for (;;) {
		up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &parent) || fstatfs(up, &sfs) ||
		    sfs.f_type != CGROUP2_SUPER_MAGIC ||
		    parent.st_dev != st.st_dev || parent.st_ino == st.st_ino) {
			if (up >= 0)
				close(up);
			break;
		}
		close(fd);
		fd = up;
		st = parent;
		depth++;
	}
	close(fd);
	*level = depth;
	return 0;
}
