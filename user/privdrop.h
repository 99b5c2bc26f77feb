/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * -Z USER, as tcpdump's: once every program is attached, the existing
 * sockets seeded and the metrics port bound, rsttrace runs as USER with no
 * capabilities (libcap-ng), so that a bug in formatting or in the metrics
 * server cannot act as root. In steps:
 *
 *   privdrop__lookup()  at start-up: USER must exist (a bad argument)
 *   privdrop__bound()   before any thread starts: an empty bounding set
 *                       and no_new_privs, which threads inherit
 *   privdrop__apply()   uid, gid, no groups, no capabilities; in every
 *                       thread, since the kernel clears the capabilities
 *                       of each thread whose uids all stop being 0
 *
 * Kernels before 5.19 with kernel.unprivileged_bpf_disabled set refuse
 * every bpf() command, map lookups included, to a task without CAP_BPF
 * (commit c8644cd0efe7 let unprivileged tasks use the fds they hold): a
 * child tries a lookup as USER first, and where it fails, CAP_BPF alone
 * is kept.
 */
#ifndef __PRIVDROP_H
#define __PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privdrop {
	const char *user;
	uid_t uid;
	gid_t gid;
	bool kept_bpf; /* CAP_BPF kept: see above */
};

/* 0, or -1 with a message naming USER in @err. */
int privdrop__lookup(struct privdrop *p, const char *user, char *err,
		     size_t errlen);
/* 0, or -1 with a message in @err. */
int privdrop__bound(char *err, size_t errlen);
/*
 * @can_read(@ctx) is what must still work as USER: 0, or -errno. Returns
 * 0, or -1 with a message in @err.
 */
int privdrop__apply(struct privdrop *p, int (*can_read)(void *ctx), void *ctx,
		    char *err, size_t errlen);

#endif /* __PRIVDROP_H */
