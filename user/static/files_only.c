// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * make STATIC=1 only: user and group look-ups in /etc/passwd and
 * /etc/group, never through NSS. The Makefile links the static binary with
 * -Wl,--wrap for each function below, so that rsttrace's calls and
 * libcap-ng's land here. Static glibc's NSS dlopen()s the host's modules
 * for every source after "files" in nsswitch.conf ("systemd" on Debian),
 * and a static binary that loads libc.so.6 that way crashes (SIGSEGV, seen
 * with glibc 2.36 for any name that /etc/passwd or /etc/group lacks).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct passwd *__wrap_getpwnam(const char *name);
struct passwd *__wrap_getpwuid(uid_t uid);
int __wrap_getpwnam_r(const char *name, struct passwd *pwd, char *buf,
		      size_t len, struct passwd **result);
int __wrap_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t len,
		      struct passwd **result);
struct group *__wrap_getgrnam(const char *name);
struct group *__wrap_getgrgid(gid_t gid);
int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups,
			int *ngroups);
int __wrap_initgroups(const char *user, gid_t group);

/* the entry that @name names, or else @id's (name NULL) */
static int find_pw(const char *name, uid_t id, struct passwd *pwd, char *buf,
		   size_t len, struct passwd **result)
{
	FILE *f = fopen("/etc/passwd", "re");
	int err;

	*result = NULL;
	if (!f)
		return errno;
	while (!(err = fgetpwent_r(f, pwd, buf, len, result)))
		if (name ? !strcmp(pwd->pw_name, name) : pwd->pw_uid == id)
			break;
	fclose(f);
	if (err) {
		*result = NULL;
		return err == ENOENT ? 0 : err;
	}
	return 0;
}

static int find_gr(const char *name, gid_t id, struct group *grp, char *buf,
		   size_t len, struct group **result)
{
	FILE *f = fopen("/etc/group", "re");
	int err;

	*result = NULL;
	if (!f)
		return errno;
	while (!(err = fgetgrent_r(f, grp, buf, len, result)))
		if (name ? !strcmp(grp->gr_name, name) : grp->gr_gid == id)
			break;
	fclose(f);
	if (err) {
		*result = NULL;
		return err == ENOENT ? 0 : err;
	}
	return 0;
}

static char pw_buf[4096], gr_buf[16384];
static struct passwd pw_ent;
static struct group gr_ent;

/* not found: NULL with errno 0, as getpwnam(3) allows */
#define ENT(find, key, id, ent, buf)                              \
	do {                                                      \
		__typeof__(&ent) r;                               \
		int err = find(key, id, &ent, buf, sizeof(buf), &r); \
		errno = err;                                      \
		return r;                                         \
	} while (0)

struct passwd *__wrap_getpwnam(const char *name)
{
	ENT(find_pw, name, 0, pw_ent, pw_buf);
}

struct passwd *__wrap_getpwuid(uid_t uid)
{
	ENT(find_pw, NULL, uid, pw_ent, pw_buf);
}

struct group *__wrap_getgrnam(const char *name)
{
	ENT(find_gr, name, 0, gr_ent, gr_buf);
}

struct group *__wrap_getgrgid(gid_t gid)
{
	ENT(find_gr, NULL, gid, gr_ent, gr_buf);
}

int __wrap_getpwnam_r(const char *name, struct passwd *pwd, char *buf,
		      size_t len, struct passwd **result)
{
	return find_pw(name, 0, pwd, buf, len, result);
}

int __wrap_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t len,
		      struct passwd **result)
{
	return find_pw(NULL, uid, pwd, buf, len, result);
}

int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups,
			int *ngroups)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *g;
	int n = 0;
	char **m;

	if (n < *ngroups)
		groups[n] = group;
	n++;
	while (f && (g = fgetgrent(f))) {
		if (g->gr_gid == group)
			continue;
		for (m = g->gr_mem; *m; m++) {
			if (strcmp(*m, user))
				continue;
			if (n < *ngroups)
				groups[n] = g->gr_gid;
			n++;
			break;
		}
	}
	if (f)
		fclose(f);
	if (n > *ngroups) {
		*ngroups = n;
		return -1;
	}
	*ngroups = n;
	return n;
}

int __wrap_initgroups(const char *user, gid_t group)
{
	static gid_t groups[NGROUPS_MAX];
	int n = NGROUPS_MAX;

	if (__wrap_getgrouplist(user, group, groups, &n) < 0)
		n = NGROUPS_MAX;
	return setgroups(n, groups);
}
