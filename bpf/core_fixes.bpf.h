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

/* deeper than any container runtime nests; the walk stops there */
#define RST_CGROUP_MAX_DEPTH 32

/*
 * Is @cgrp the cgroup @id, or below it? By walking up its parents rather
 * than indexing cgroup->ancestors[] by depth: the depth user space can
 * count is from its own cgroup namespace's root, the kernel's from the
 * global one, and they differ in a pod. Bounded loops need 5.3.
 */
static __always_inline bool cgroup_is_under(struct cgroup *cgrp, __u64 id)
{
	int i;

	for (i = 0; i < RST_CGROUP_MAX_DEPTH && cgrp; i++) {
		if (BPF_CORE_READ(cgrp, kn, id) == id)
			return true;
		cgrp = BPF_CORE_READ(cgrp, self.parent, cgroup);
	}
	return false;
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

/*
 * tcp_time_wait() makes no timewait socket once the namespace holds
 * tcp_max_tw_buckets of them (TcpExtTCPTimeWaitOverflow). From 5.17 the
 * death row counts them in tw_refcount, one above the number, and from 6.1
 * it is again inside struct netns_ipv4 ("tcp: Don't allocate tcp_death_row
 * outside of struct netns_ipv4"); before 5.17 the count was tw_count. 5.17
 * to 6.0 keep it behind a pointer: there it is never known to be full. At
 * the switch to CLOSE the timewait socket has been made, so the one that
 * filled the table counts as not made.
 */
struct inet_timewait_death_row___old {
	atomic_t tw_count;
	int sysctl_max_tw_buckets;
};

struct netns_ipv4___old {
	struct inet_timewait_death_row___old tcp_death_row;
};

struct net___old {
	struct netns_ipv4___old ipv4;
};

static __always_inline bool tw_table_full(struct sock *sk)
{
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	struct net___old *old = (void *)net;
	unsigned int n;
	int max;

	if (bpf_core_field_exists(net->ipv4.tcp_death_row.tw_refcount)) {
		n = BPF_CORE_READ(net,
				  ipv4.tcp_death_row.tw_refcount.refs.counter);
		max = BPF_CORE_READ(net,
				    ipv4.tcp_death_row.sysctl_max_tw_buckets);
		return max >= 0 && n - 1 >= (unsigned int)max;
	}
	if (bpf_core_field_exists(old->ipv4.tcp_death_row.tw_count)) {
		n = BPF_CORE_READ(old, ipv4.tcp_death_row.tw_count.counter);
		max = BPF_CORE_READ(old,
				    ipv4.tcp_death_row.sysctl_max_tw_buckets);
		return max >= 0 && n >= (unsigned int)max;
	}
	return false;
}

#endif /* __CORE_FIXES_BPF_H */
