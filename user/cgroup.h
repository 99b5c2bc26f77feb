/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __CGROUP_H
#define __CGROUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Resolve a cgroup v2 directory into its id (the kernfs node id, which is
 * its inode number) and its depth below the hierarchy's root. Returns 0, or
 * -1 with a message naming the path in @err.
 */
int cgroup__resolve(const char *path, uint64_t *id, int *level, char *err,
		    size_t errlen);

#endif /* __CGROUP_H */
