// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup.h"

int cgroup__resolve(const char *path, uint64_t *id, char *err, size_t errlen)
{
	struct statfs sfs;
	struct stat st;
	int fd;

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
	close(fd);
	return 0;
}

/*
 * The mount point of a cgroup2 mount of the hierarchy's root (mountinfo
 * field 4 is "/"), into @dir. Fields are separated by single spaces; the
 * optional ones end at " - ", after which the filesystem type comes.
 */
static bool find_root_mount(char *dir, size_t len)
{
	char *line = NULL, *f[5], *sep, *p;
	size_t cap = 0;
	bool found = false;
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	int i;

	if (!mi)
		return false;
	while (!found && getline(&line, &cap, mi) > 0) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		p = line;
		for (i = 0; i < 5 && p; i++) {
			f[i] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = '\0';
		}
		/* mount points with spaces are escaped as \040: skip them */
		if (i == 5 && !strcmp(f[3], "/") && !strchr(f[4], '\\') &&
		    strlen(f[4]) < len) {
			strcpy(dir, f[4]);
			found = true;
		}
	}
	free(line);
	fclose(mi);
	return found;
}

int cgroup__open_root(char *err, size_t errlen)
{
	char dir[4096], tmp[] = "/tmp/rsttrace-cgroup2.XXXXXX";
	int fd;

	if (find_root_mount(dir, sizeof(dir))) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	if (!mkdtemp(tmp)) {
		snprintf(err, errlen,
			 "no cgroup2 mount, and cannot make %s: %s", tmp,
			 strerror(errno));
		return -1;
	}
	if (mount("cgroup2", tmp, "cgroup2", 0, NULL)) {
		snprintf(err, errlen,
			 "no cgroup2 mount, and cannot mount one: %s",
			 strerror(errno));
		rmdir(tmp);
		return -1;
	}
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "cannot open the cgroup2 mount at %s: %s",
			 tmp, strerror(errno));
	/* the fd keeps the hierarchy reachable; nobody else needs the mount */
	umount2(tmp, MNT_DETACH);
	rmdir(tmp);
	return fd;
}
