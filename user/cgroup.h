/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __CGROUP_H
#define __CGROUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Resolve a cgroup v2 directory into its id (the kernfs node id, which is
 * its inode number, the same in every cgroup namespace). Returns 0, or -1
 * with a message naming the path in @err.
 */
int cgroup__resolve(const char *path, uint64_t *id, char *err, size_t errlen);

/*
 * An fd of the root of the cgroup v2 hierarchy, to attach cgroup programs
 * to: a mount of it from /proc/self/mountinfo, or else a private mount that
 * is detached again at once. Returns the fd, or -1 with a message in @err.
 */
int cgroup__open_root(char *err, size_t errlen);

#endif /* __CGROUP_H */
