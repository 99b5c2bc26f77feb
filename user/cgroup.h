/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __CGROUP_H
#define __CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Resolve a cgroup v2 directory into its id (the kernfs node id, which is
 * its inode number, the same in every cgroup namespace). Returns 0, or -1
 * with a message naming the path in @err.
 */
int cgroup__resolve(const char *path, uint64_t *id, char *err, size_t errlen);

/*
 * One line of /proc/self/mountinfo, split in place: true for a cgroup2
 * mount, with @root (field 4) and @dir (field 5, the mount point) set,
 * their \ooo escapes undone.
 */
bool cgroup__parse_mountinfo(char *line, char **root, char **dir);

/*
 * An fd of the root of the cgroup v2 hierarchy, to attach cgroup programs
 * to: a mount of it from /proc/self/mountinfo, or else a private mount that
 * is detached again at once. Returns the fd, or -1 with a message in @err.
 */
int cgroup__open_root(char *err, size_t errlen);

/*
 * The cgroup v2 hierarchy that records name cgroups in: a mount of the
 * global root where one is visible (its id is 1: paths are the host's,
 * also from inside a pod's cgroup namespace when the host's hierarchy is
 * mounted in), else a mount of this namespace's root (host = false).
 */
struct cgroup_tree {
	int fd;
	bool host;
	size_t dirlen;
	char dir[4096]; /* where it is mounted */
};

/* 0, or -1 with a message in @err (no cgroup2 mount). */
int cgroup__open_tree(struct cgroup_tree *t, char *err, size_t errlen);
void cgroup__close_tree(struct cgroup_tree *t);

/*
 * The path of the cgroup with id @id, relative to the tree's root ("/",
 * "/system.slice/nginx.service"), by file handle: no walk. Returns 0, or
 * -errno: -ESTALE when the cgroup is gone.
 */
int cgroup__path(const struct cgroup_tree *t, uint64_t id, char *out,
		 size_t len);

/*
 * Whether @path (as cgroup__path() names it) is still the cgroup @id: false
 * once it is removed, or renamed. Needs no privilege, unlike file handles.
 */
bool cgroup__exists(const struct cgroup_tree *t, const char *path, uint64_t id);

/*
 * Every cgroup below the tree's root, parents first: @fn(path, id, @ctx)
 * as cgroup__path() names them; a non-zero return stops the walk and is
 * returned. Directories that vanish meanwhile are skipped.
 */
int cgroup__walk(const struct cgroup_tree *t,
		 int (*fn)(const char *path, uint64_t id, void *ctx),
		 void *ctx);

/*
 * The lowest memory limit between rsttrace's own memory cgroup (v2's
 * memory.max, or v1's memory.limit_in_bytes) and the root of the mount
 * that shows it, and the file that sets it in @where. Returns 0, or -1
 * when there is no limit or no way to tell.
 */
int cgroup__memory_limit(unsigned long long *limit, char *where, size_t len);

#endif /* __CGROUP_H */
