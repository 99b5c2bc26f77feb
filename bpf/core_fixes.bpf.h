/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel layouts that changed over the versions rsttrace supports, as CO-RE
 * flavours ("___old") chosen at load time by bpf_core_field_exists().
 */
#ifndef __CORE_FIXES_BPF_H
#define __CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/*
 * Before 5.15, sk_cgrp_data was a union whose u64 "val" held the cgroup
 * pointer when its low bits were clear; otherwise the socket belonged to the
 * default root. Changed by 8520e224f547 ("bpf, cgroups: Fix cgroup v2
 * fallback on v1/v2 mixed mode").
 */
struct sock_cgroup_data___old {
	__u64 val;
} __attribute__((preserve_access_index));

struct sock___old {
	struct sock_cgroup_data___old sk_cgrp_data;
} __attribute__((preserve_access_index));

static __always_inline struct cgroup *sk_cgroup(const struct sock *sk)
{
	struct sock___old *old = (void *)sk;
	__u64 val;

	if (bpf_core_field_exists(struct sock_cgroup_data, cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	val = BPF_CORE_READ(old, sk_cgrp_data.val);
	if (!val || (val & 3))
		return NULL; /* the v2 root; callers treat it as id 1 */
	return (struct cgroup *)val;
}

static __always_inline __u64 sk_cgroup_id(const struct sock *sk)
{
	struct cgroup *cgrp = sk_cgroup(sk);

	if (!cgrp)
		return 1;
	return BPF_CORE_READ(cgrp, kn, id);
}

/*
 * cgroup->ancestor_ids[] (ids) became cgroup->ancestors[] (pointers) in
 * 7f203bc89eb6 ("cgroup: Replace cgroup->ancestor_ids[] with ->ancestors[]"),
 * Linux 6.0.
 */
struct cgroup___old {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* Is @cgrp the cgroup @id at depth @level, or below it? */
static __always_inline bool cgroup_is_under(struct cgroup *cgrp, __u64 id,
					    int level)
{
	struct cgroup *anc = NULL;
	__u64 anc_id = 0;
	void *slot;

	if (!cgrp || BPF_CORE_READ(cgrp, level) < level)
		return false;
	if (bpf_core_field_exists(struct cgroup, ancestors)) {
		slot = (void *)cgrp +
		       bpf_core_field_offset(struct cgroup, ancestors) +
		       level * sizeof(anc);
		bpf_probe_read_kernel(&anc, sizeof(anc), slot);
		anc_id = BPF_CORE_READ(anc, kn, id);
	} else {
		slot = (void *)cgrp +
		       bpf_core_field_offset(struct cgroup___old, ancestor_ids) +
		       level * sizeof(anc_id);
		bpf_probe_read_kernel(&anc_id, sizeof(anc_id), slot);
	}
	return anc_id == id;
}

/*
 * sk_protocol was an 8-bit bitfield until bf9765145b85 ("sock: Make
 * sk_protocol a 16-bit value"), Linux 5.6. The bitfield read handles both.
 */
static __always_inline __u16 sk_protocol_probed(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/*
 * sk_flags moved from struct sock into sock_common as skc_flags, so that
 * timewait and request sockets share it (6.x; struct sock keeps a
 * "#define sk_flags __sk_common.skc_flags").
 */
struct sock___oldflags {
	unsigned long sk_flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long sk_flags(const struct sock *sk)
{
	if (bpf_core_field_exists(struct sock_common, skc_flags))
		return BPF_CORE_READ(sk, __sk_common.skc_flags);
	return BPF_CORE_READ((struct sock___oldflags *)sk, sk_flags);
}

#endif /* __CORE_FIXES_BPF_H */
