// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The loader's probe for its owner store: this object loads only where
 * tracing programs may use socket storage (Linux 5.11, 8e4597c627fb).
 * Elsewhere owners are kept in a hash map. Never attached.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, int);
} probe_map SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(probe_sk_storage, const struct sock *sk, int oldstate,
	     int newstate)
{
	bpf_sk_storage_get(&probe_map, (void *)sk, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
