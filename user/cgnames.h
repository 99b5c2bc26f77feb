/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The names of the cgroups that records come from, by cgroup id: the path
 * and what it tells (identity.h), kept after the cgroup is removed for the
 * resets of sockets that outlive it. Filled by the identity stage, owned
 * by main, read for the counts by the metrics sink and the end-of-run
 * report.
 *
 * At most @max names. One goes:
 * - when its cgroup has been gone for @keep_ns and no record has named
 *   it for as long (cgnames__sweep(), a share of the table at a time);
 * - when the table is full and a new cgroup needs room: the least
 *   recently used first (a cgroup that still exists is named again on
 *   its next reset; a removed one is not);
 * never while a record that points into it (rst_record.ident) may still
 * be read: records are numbered as they arrive, and cgnames__held() says
 * which are still held. Cgroup ids are never reused (64-bit, given out in
 * order), so an id that is let go never names another cgroup.
 */
#ifndef __CGNAMES_H
#define __CGNAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "identity.h"
#include "record.h"

/* far more cgroups than a node has at once */
#define CGNAMES_MAX (1U << 16)
/*
 * A removed cgroup's name stays this long after its removal is seen and
 * after its last reset: longer than TIME_WAIT, FIN_WAIT2 and an orphan's
 * retries keep its sockets resetting.
 */
#define CGNAMES_KEEP_NS (600 * 1000000000ULL)

/* What is known of one cgroup. */
struct cg_name {
	uint64_t id;
	const char *path; /* "" when the cgroup was gone before it was seen */
	struct rst_identity ident; /* what records point to */
	struct path_identity pi;
	/* the kubelet's names: the identity stage fills them in */
	struct k8s_names k8s;
	bool k8s_done; /* the kubelet's names are in, or nothing to ask */
	uint64_t k8s_next_ns; /* when to ask the kubelet's logs again */
};

struct cgnames_stats {
	size_t names, max;
	unsigned long long freed; /* removed, and unused for keep_ns */
	unsigned long long evicted; /* the least recently used, for room */
	unsigned long long unnamed; /* records' cgroups, for want of room */
};

struct cgnames;

/* NULL on out of memory; @max at least 1. */
struct cgnames *cgnames__new(size_t max, uint64_t keep_ns);
void cgnames__free(struct cgnames *t);

/*
 * The name of cgroup @id, or NULL. @seq: the record it is for (from 1),
 * which makes it the most recently used and keeps it until that record is
 * no longer held; 0: a look only.
 */
struct cg_name *cgnames__get(struct cgnames *t, uint64_t id, uint64_t seq,
			     uint64_t now_ns);
/*
 * Whether a record's new cgroup has room, after evicting the least
 * recently used if need be; if not, the record is counted as unnamed.
 * (So that a full table costs no system call per record.)
 */
bool cgnames__reserve(struct cgnames *t);
/*
 * A new name for cgroup @id (not in @t) at @path ("" if gone), and what the
 * path tells. For record @seq, room is made as cgnames__reserve() does;
 * for none (0: the cgroups found by a walk), only if there is room, and
 * used least. NULL when there is no room or memory (a record counted).
 */
struct cg_name *cgnames__add(struct cgnames *t, uint64_t id, const char *path,
			     uint64_t seq, uint64_t now_ns);
/* No record before @held_seq is read any more (UINT64_MAX: none is held). */
void cgnames__held(struct cgnames *t, uint64_t held_seq);
/*
 * Frees the names of cgroups gone for keep_ns and unused for as long:
 * every call past a step's time looks at a share of the table, so that
 * the whole is looked at eight times per keep_ns. @exists(name, @ctx):
 * whether the cgroup is still there.
 */
void cgnames__sweep(struct cgnames *t, uint64_t now_ns,
		    bool (*exists)(const struct cg_name *n, void *ctx),
		    void *ctx);
void cgnames__stats(const struct cgnames *t, struct cgnames_stats *st);
/*
 * Every name is where a lookup finds it, and once in the list by use; at
 * most max of them (for the tests).
 */
bool cgnames__consistent(const struct cgnames *t);

/*
 * "MAX" or "MAX,KEEP_SECONDS" (RSTTRACE_CGROUP_NAMES, for tests): false
 * when it is not that, MAX 0, or either out of range.
 */
bool cgnames__parse_limits(const char *s, size_t *max, uint64_t *keep_ns);

#endif /* __CGNAMES_H */
