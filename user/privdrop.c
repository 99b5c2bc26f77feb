// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* -Z USER: see privdrop.h. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <cap-ng.h>
#include "privdrop.h"

int privdrop__lookup(struct privdrop *p, const char *user, char *err,
		     size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "-Z: %s '%s'%s%s",
			 errno ? "cannot look up user" : "no user", user,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	/*
	 * Only a change from uid 0 to another makes the kernel clear the
	 * capabilities of every thread, the metrics server's included.
	 */
	if (pw->pw_uid == 0) {
		snprintf(err, errlen,
			 "-Z: '%s' is uid 0, which keeps root's power: give an "
			 "unprivileged user",
			 user);
		return -1;
	}
	if (getuid() != 0 || geteuid() != 0) {
		snprintf(err, errlen,
			 "-Z %s: rsttrace must start as root (uid 0) for the "
			 "change to reach every thread; it runs as uid %u",
			 user, (unsigned int)geteuid());
		return -1;
	}
	p->user = user;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	return 0;
}

int privdrop__bound(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "-Z: cannot set no_new_privs: %s",
			 strerror(errno));
		return -1;
	}
	if (capng_get_caps_process()) {
		snprintf(err, errlen, "-Z: cannot read capabilities");
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOUNDS);
	if (capng_apply(CAPNG_SELECT_BOUNDS)) {
		snprintf(err, errlen,
			 "-Z: cannot empty the capability bounding set "
			 "(CAP_SETPCAP needed)");
		return -1;
	}
	return 0;
}

/* libcap-ng's capng_change_id() failures, by its return value */
static const char *change_id_error(int rc)
{
	switch (rc) {
	case -2:
		return "cannot keep capabilities across the change";
	case -3:
		/* root without them: a bounding set that leaves one out */
		return "the change needs CAP_SETUID, CAP_SETGID and "
		       "CAP_SETPCAP, and one is missing (a capability "
		       "bounding set without it?)";
	case -4:
		return "changing the gid failed (CAP_SETGID needed)";
	case -5:
		return "dropping supplementary groups failed (CAP_SETGID "
		       "needed)";
	case -6:
		return "changing the uid failed (CAP_SETUID needed)";
	case -7:
	case -8:
	case -9:
		return "cannot give up the remaining capabilities (CAP_SETPCAP "
		       "needed)";
	default:
		return "cannot change ids";
	}
}

static int drop(const struct privdrop *p, bool keep_bpf)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (keep_bpf &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_BPF))
		return -100;
	return capng_change_id((int)p->uid, (int)p->gid,
			       CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
}

/* What drop()'s failure @rc says, for a message. */
static const char *drop_error(int rc)
{
	return rc == -100 ? "cannot keep CAP_BPF" : change_id_error(rc);
}

/*
 * 1 when USER could not do @can_read without CAP_BPF, 0 when it could,
 * -errno when the child could not tell. A child whose own drop() failed
 * exits with 2 - its rc, and *@drop_rc is that rc: the parent's drop
 * would fail alike, and that cause is what to say.
 */
static int needs_cap_bpf(const struct privdrop *p, int (*can_read)(void *),
			 void *ctx, int *drop_rc)
{
	int status, rc;
	pid_t pid = fork();

	*drop_rc = 0;
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		rc = drop(p, false); /* 0, -1 ... -9 or -100 */
		_exit(rc ? 2 - rc : can_read(ctx) == -EPERM ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return -EPERM;
	if (WEXITSTATUS(status) > 2) {
		*drop_rc = 2 - WEXITSTATUS(status);
		return -EPERM;
	}
	return WEXITSTATUS(status);
}

/*
 * The capability the change of ids needs that this process lacks, or
 * NULL: root under a unit's CapabilityBoundingSet that leaves one out
 * gets only "applying the intermediate capabilities failed" from
 * libcap-ng.
 */
static const char *missing_for_change(void)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ CAP_SETUID, "CAP_SETUID" },
		{ CAP_SETGID, "CAP_SETGID" },
		{ CAP_SETPCAP, "CAP_SETPCAP" },
	};
	size_t i;

	if (capng_get_caps_process())
		return NULL;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!capng_have_capability(CAPNG_PERMITTED, need[i].cap))
			return need[i].name;
	return NULL;
}

int privdrop__apply(struct privdrop *p, int (*can_read)(void *ctx), void *ctx,
		    char *err, size_t errlen)
{
	const char *missing = missing_for_change();
	int drop_rc, need, rc;

	if (missing) {
		snprintf(err, errlen,
			 "-Z %s: %s is missing (not in the capability bounding "
			 "set?): changing to the user needs CAP_SETUID, "
			 "CAP_SETGID and CAP_SETPCAP",
			 p->user, missing);
		return -1;
	}
	need = needs_cap_bpf(p, can_read, ctx, &drop_rc);
	if (need < 0 && drop_rc) {
		snprintf(err, errlen, "-Z %s: %s", p->user,
			 drop_error(drop_rc));
		return -1;
	}
	if (need < 0) {
		snprintf(err, errlen, "-Z %s: cannot try it in a child: %s",
			 p->user, strerror(-need));
		return -1;
	}
	rc = drop(p, need);
	if (rc) {
		snprintf(err, errlen, "-Z %s: %s", p->user, drop_error(rc));
		return -1;
	}
	p->kept_bpf = need;
	if (capng_get_caps_process() || getuid() != p->uid ||
	    geteuid() != p->uid ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) !=
		    (need ? CAPNG_PARTIAL : CAPNG_NONE)) {
		snprintf(err, errlen,
			 "-Z %s: still privileged after the change", p->user);
		return -1;
	}
	return 0;
}
