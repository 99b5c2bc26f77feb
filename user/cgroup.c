// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
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

/* deeper than any hierarchy seen; bounds the walk's recursion */
#define RST_CGROUP_WALK_DEPTH 32

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

/* A mountinfo field with its \ooo escapes (space, tab, newline, \) undone. */
static void unescape_field(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * The first five fields of a mountinfo line, split in place, the root and
 * the mount point (f[3], f[4]) unescaped; false when it has fewer.
 */
static bool mountinfo_fields(char *line, char *f[5])
{
	char *p = line;
	int i;

	for (i = 0; i < 5 && p; i++) {
		f[i] = p;
		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
	}
	if (i < 5)
		return false;
	unescape_field(f[3]);
	unescape_field(f[4]);
	return true;
}

/*
 * Fields are separated by single spaces; the optional ones end at " - ",
 * after which the filesystem type comes.
 */
bool cgroup__parse_mountinfo(char *line, char **root, char **dir)
{
	char *f[5], *sep;

	sep = strstr(line, " - ");
	if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
		return false;
	if (!mountinfo_fields(line, f))
		return false;
	*root = f[3];
	*dir = f[4];
	return true;
}

/*
 * @fn(root, mount point, @ctx) for each cgroup2 mount in mountinfo, until
 * it returns true; -1 when mountinfo cannot be read.
 */
static int cgroup2_mounts(bool (*fn)(const char *root, const char *dir,
				     void *ctx),
			  void *ctx)
{
	char *line = NULL, *root, *dir;
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	bool stop = false;
	size_t cap = 0;

	if (!mi)
		return -1;
	while (!stop && getline(&line, &cap, mi) > 0) {
		if (cgroup__parse_mountinfo(line, &root, &dir))
			stop = fn(root, dir, ctx);
	}
	free(line);
	fclose(mi);
	return 0;
}

struct root_mount {
	char *dir;
	size_t len;
	bool found;
};

/* A mount of a hierarchy's root (mountinfo field 4 is "/"). */
static bool root_mount(const char *root, const char *dir, void *ctx)
{
	struct root_mount *rm = ctx;

	if (strcmp(root, "/") || strlen(dir) >= rm->len)
		return false;
	strcpy(rm->dir, dir);
	rm->found = true;
	return true;
}

static bool find_root_mount(char *dir, size_t len)
{
	struct root_mount rm = { .dir = dir, .len = len };

	cgroup2_mounts(root_mount, &rm);
	return rm.found;
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

/* Try the cgroup2 mount at @dir; true when it is the global root. */
static bool tree_try(struct cgroup_tree *t, const char *dir, bool ns_root)
{
	struct stat st;
	int fd;

	if (strlen(dir) >= sizeof(t->dir))
		return false;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* the root cgroup's id is 1 in every namespace's eyes */
	if (fstat(fd, &st) || (st.st_ino != 1 && (!ns_root || t->fd >= 0))) {
		close(fd);
		return false;
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = fd;
	t->host = st.st_ino == 1;
	strcpy(t->dir, dir);
	t->dirlen = strlen(dir);
	/* "/" as a mount point: paths below it start with no prefix */
	if (t->dirlen == 1)
		t->dirlen = 0;
	return t->host;
}

static bool tree_mount(const char *root, const char *dir, void *ctx)
{
	return tree_try(ctx, dir, !strcmp(root, "/"));
}

int cgroup__open_tree(struct cgroup_tree *t, char *err, size_t errlen)
{
	t->fd = -1;
	t->host = false;
	if (cgroup2_mounts(tree_mount, t)) {
		snprintf(err, errlen, "cannot read /proc/self/mountinfo: %s",
			 strerror(errno));
		return -1;
	}
	if (t->fd < 0) {
		snprintf(err, errlen,
			 "no cgroup2 mount of a hierarchy's root in "
			 "/proc/self/mountinfo");
		return -1;
	}
	return 0;
}

void cgroup__close_tree(struct cgroup_tree *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Whether @rel below the tree's root is the cgroup @id. */
static bool same_cgroup(const struct cgroup_tree *t, const char *rel,
			uint64_t id)
{
	struct stat st;

	while (*rel == '/')
		rel++;
	return !fstatat(t->fd, *rel ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) &&
	       st.st_ino == id;
}

bool cgroup__exists(const struct cgroup_tree *t, const char *path, uint64_t id)
{
	return same_cgroup(t, path, id);
}

/* kernfs file handles are the node's 64-bit id (FILEID_KERNFS) */
#define FILEID_KERNFS 0xfe

int cgroup__path(const struct cgroup_tree *t, uint64_t id, char *out,
		 size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t),
			.handle_type = FILEID_KERNFS },
		.id = id };
	char link[64], buf[4096 + 16];
	ssize_t n;
	int fd, err;

	if (len < 2)
		return -ENAMETOOLONG;
	fd = open_by_handle_at(t->fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	if ((size_t)n < t->dirlen || strncmp(buf, t->dir, t->dirlen) ||
	    (buf[t->dirlen] && buf[t->dirlen] != '/'))
		return -EXDEV; /* not below the tree's mount */
	/* removed between the open and the readlink, or so named */
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)") &&
	    !same_cgroup(t, buf + t->dirlen, id))
		return -ESTALE;
	snprintf(out, len, "%s", buf[t->dirlen] ? buf + t->dirlen : "/");
	return strlen(buf + t->dirlen) >= len ? -ENAMETOOLONG : 0;
}

struct walk {
	int (*fn)(const char *path, uint64_t id, void *ctx);
	void *ctx;
	char path[4096];
};

static int walk_dir(struct walk *w, int dfd, size_t plen, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, err = 0;
	size_t n;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		n = strlen(de->d_name);
		if (plen + 1 + n >= sizeof(w->path) ||
		    depth >= RST_CGROUP_WALK_DEPTH)
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue; /* gone meanwhile */
		if (fstat(fd, &st)) {
			close(fd);
			continue;
		}
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, de->d_name, n + 1);
		err = w->fn(w->path, st.st_ino, w->ctx);
		if (!err)
			err = walk_dir(w, fd, plen + 1 + n, depth + 1);
		else
			close(fd);
		w->path[plen] = '\0';
	}
	closedir(d);
	return err;
}

int cgroup__walk(const struct cgroup_tree *t,
		 int (*fn)(const char *path, uint64_t id, void *ctx), void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };
	int fd = openat(t->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return walk_dir(&w, fd, 0, 0);
}

/* A memory limit in bytes from @dir/@file; 0: none ("max", or too big). */
static unsigned long long read_limit(const char *dir, const char *file)
{
	char path[4096 + 64], buf[64];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%63s", buf);
	fclose(f);
	if (n != 1 || sscanf(buf, "%llu", &v) != 1)
		return 0;
	/* v1 says "no limit" with a page-rounded LLONG_MAX */
	return v >= 1ULL << 62 ? 0 : v;
}

struct memcg_find {
	const char *cgpath; /* from /proc/self/cgroup */
	bool v1;
	char dir[4096]; /* the cgroup's directory under its mount */
	size_t mountlen; /* where the mount's part of dir ends */
	bool found;
};

/* @cgpath below the mount of @root at @dir, if it is below it. */
static bool memcg_under(struct memcg_find *m, const char *root, const char *dir)
{
	size_t rl = strcmp(root, "/") ? strlen(root) : 0;
	const char *rest = m->cgpath + rl;

	if (strncmp(m->cgpath, root, rl) || (*rest && *rest != '/') ||
	    strlen(dir) + strlen(rest) >= sizeof(m->dir))
		return false;
	m->mountlen = strlen(dir);
	memcpy(m->dir, dir, m->mountlen);
	strcpy(m->dir + m->mountlen, rest);
	m->found = true;
	return true;
}

static bool memcg_v2_mount(const char *root, const char *dir, void *ctx)
{
	return memcg_under(ctx, root, dir);
}

/* The v1 memory hierarchy's mount, by hand: cgroup2_mounts() is v2's. */
static void memcg_v1_mount(struct memcg_find *m)
{
	char *line = NULL, *f[5], *sep;
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	size_t cap = 0;

	if (!mi)
		return;
	while (!m->found && getline(&line, &cap, mi) > 0) {
		sep = strstr(line, " - cgroup ");
		if (!sep || !strstr(sep, ",memory") || !strchr(sep + 10, ' '))
			continue;
		if (!mountinfo_fields(line, f))
			continue;
		memcg_under(m, f[3], f[4]);
	}
	free(line);
	fclose(mi);
}

/* rsttrace's memory cgroup from /proc/self/cgroup: v2's, or v1's. */
static bool memcg_own(char *path, size_t len, bool *v1)
{
	char *line = NULL, *p;
	FILE *f = fopen("/proc/self/cgroup", "re");
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		p = strchr(line, ':');
		if (!p || !strchr(p + 1, ':'))
			continue;
		/* v1's memory line wins: that is where the limit is then */
		if (!strncmp(p, ":memory:", 8) || strstr(p, ",memory:")) {
			snprintf(path, len, "%s", strchr(p + 1, ':') + 1);
			*v1 = found = true;
			break;
		}
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, len, "%s", line + 3);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

int cgroup__memory_limit(unsigned long long *limit, char *where, size_t len)
{
	char cgpath[4096], *slash;
	struct memcg_find m = { .cgpath = cgpath };
	const char *file;
	unsigned long long v;

	*limit = 0;
	if (!memcg_own(cgpath, sizeof(cgpath), &m.v1))
		return -1;
	if (m.v1)
		memcg_v1_mount(&m);
	else
		cgroup2_mounts(memcg_v2_mount, &m);
	if (!m.found)
		return -1;
	file = m.v1 ? "memory.limit_in_bytes" : "memory.max";
	/* the lowest limit on the way up to the mount's root */
	for (;;) {
		v = read_limit(m.dir, file);
		if (v && (!*limit || v < *limit)) {
			*limit = v;
			snprintf(where, len, "%s/%s", m.dir, file);
		}
		slash = strrchr(m.dir, '/');
		if (!slash || (size_t)(slash - m.dir) < m.mountlen)
			break;
		*slash = '\0';
	}
	return *limit ? 0 : -1;
}
