/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Owners for the TCP sockets that existed before rsttrace attached: BPF only
 * learns an owner when connect(), listen() or accept() runs, which
 * long-lived connections did long ago.
 */
#ifndef __RSTTRACE_SEED_H
#define __RSTTRACE_SEED_H

#include <stddef.h>
#include <linux/types.h>
#include "rsttrace.h"

/*
 * Every socket counted in @sockets ends up in exactly one of seeded,
 * present, unowned, failed or vanished.
 */
struct seed_stats {
	unsigned int netns; /* network namespaces scanned */
	/* TCP sockets found by sock_diag (not TIME_WAIT / NEW_SYN_RECV) */
	unsigned int sockets;
	unsigned int seeded; /* storage entries written */
	/* sockets with no process holding an fd (orphans) */
	unsigned int unowned;
	/* pidfd_getfd or map update failed (not EEXIST) */
	unsigned int failed;
	unsigned int present; /* BPF had already given it an owner (EEXIST) */
	/* the holder exited, or closed the fd, before the fd could be copied */
	unsigned int vanished;
	/* network namespaces that could not be entered or dumped */
	unsigned int netns_failed;
	/* processes whose fds we may not read: their sockets look unowned */
	unsigned int procs_hidden;
};

/* Where owners go: socket storage, or (before 5.11) cookie-keyed maps. */
struct seed_maps {
	int storage_fd; /* SK_STORAGE map, or -1 for the two below */
	int cookies_fd; /* cookie -> struct rst_owner */
	int listeners_fd; /* {netns, port} -> struct rst_owner, listeners */
};

/* Give every existing TCP socket an owner in @m.
 * Returns 0, or a negative errno when seeding could not run at all. */
int seed__owners(const struct seed_maps *m, struct seed_stats *st);

/* One process holding a socket through one of its fds. */
struct seed_holder {
	unsigned long long inode; /* the socket's: "socket:[inode]" */
	unsigned long long start; /* field 22 of /proc/PID/stat, in ticks */
	int pid;
	int ppid;
	int fd;
};

/*
 * Index of the holder in @h[0..@n) that owns a socket in TCP state @state,
 * or -1 when @n is 0. A listener belongs to the holder that started first
 * (who called listen(), not the pre-forked workers that inherited it),
 * any other socket to the one that started last (the child that a server
 * forked to handle the connection).
 */
int seed__pick_owner(int state, const struct seed_holder *h, size_t n);

struct seed_procstat {
	unsigned long long start; /* ticks since boot */
	int ppid;
	char comm[RST_COMM_LEN]; /* at most 15 raw bytes, NUL padded */
};

/* Parses the text of /proc/PID/stat. Returns 0 or -EINVAL. */
int seed__parse_stat(const char *stat, struct seed_procstat *ps);

/* The inode of an fd link "socket:[INODE]", 0 for anything else. */
unsigned long long seed__parse_sock_link(const char *link);

struct inet_diag_msg;

/*
 * The netlink messages of one read of a sock_diag dump, @len bytes at
 * @buf: @fn(@ctx, msg) for each socket of request @seq. Returns 0 when
 * the dump goes on, 1 at its end, or a negative errno: the dump's error,
 * a message too short, or the first non-zero return of @fn.
 */
int seed__parse_diag(const void *buf, size_t len, __u32 seq,
		     int (*fn)(void *ctx, const struct inet_diag_msg *m),
		     void *ctx);

#endif /* __RSTTRACE_SEED_H */
