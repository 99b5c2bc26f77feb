/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __FEATURES_H
#define __FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct btf;

/* Answers BTF gave where a probe could not run (unprivileged, no tracefs). */
enum feat_from_btf {
	FEAT_RINGBUF = 1 << 0,
	FEAT_ACCEPT_TP = 1 << 1,
};

/* What the running kernel offers, probed once at start-up. */
struct features {
	char release[65];
	bool btf; /* /sys/kernel/btf/vmlinux loaded */
	bool ringbuf; /* BPF_MAP_TYPE_RINGBUF (5.8) */
	bool send_reset_reason; /* tcp_send_reset(sk, skb, reason) (6.10) */
	bool send_reset_nosock; /* fires for resets without a full socket */
	bool active_reasons; /* per-path reasons for resets we send (6.12) */
	bool tracefs; /* tracefs mounted (rsttrace mounts it to attach) */
	bool accept_tp; /* syscalls:sys_exit_accept4 exists */
	uint32_t from_btf; /* enum feat_from_btf: answered by BTF, not probed */
	bool graft_fn; /* security_sock_graft() exists, to kprobe */
	bool kprobes; /* the kernel can place kprobes */
	bool cgroup2; /* a cgroup v2 hierarchy to attach getpeername to */
	bool sockio_tp; /* sock_recv_length and sock_send_length (6.3) */
	bool rcvspace_tp; /* tcp_rcv_space_adjust */
	/* bpf_sk_storage_get() in tracing programs (5.11, 8e4597c627fb) */
	bool storage_tracing;
	bool storage_probed; /* ... known by a load, not guessed from BTF */
	/* nf_send_reset()'s arity; 0: no such function, -1: in a module */
	int nf_reset_args;
	/* CONFIG_HZ from /boot/config-RELEASE or /proc/config.gz; 0: none */
	unsigned int hz;
};

/* What is attached now: the loader's answer to struct features. */
struct sources {
	bool legacy_owners; /* owners in a hash map, not socket storage */
	uint32_t acceptor; /* enum rst_acceptor_hook */
	bool nosock_probe; /* kprobes on tcp_v[46]_send_reset */
	bool netfilter; /* kprobes on nf_send_reset{,6} */
};

/*
 * The acceptor hooks this kernel offers (enum rst_acceptor_hook), for the
 * legacy owner store or socket storage.
 */
uint32_t features__acceptor_offered(const struct features *f, bool legacy);

/*
 * Whether tracing programs may use socket storage, by loading a probe that
 * does (bpf/probe_storage.bpf.c); without the privilege, BTF's answer
 * stands.
 */
void features__probe_storage(struct features *f);
/* The legacy owner store is needed (as probed, or as BTF suggests). */
bool features__legacy_expected(const struct features *f);
/*
 * The hooks to use: @want (0: choose) restricted to what is offered and
 * not @refused (hooks whose programs the kernel would not load). The
 * storage hooks first; a fallback into the side table only where they
 * leave accepted sockets unnamed.
 */
uint32_t features__acceptor_choose(const struct features *f, bool legacy,
				   uint32_t want, uint32_t refused);
/* "getpeername,sockio" for @hooks into @buf; "none" when 0. */
const char *features__acceptor_names(uint32_t hooks, char *buf, size_t len);
/*
 * Parse a comma-separated list of hook names into @hooks ("auto": 0).
 * Returns 0, or -1 with a message naming the bad element in @err.
 */
int features__parse_acceptor(const char *arg, uint32_t *hooks, char *err,
			     size_t errlen);

/* Probe with the vmlinux BTF @btf (may be NULL when there is none). */
void features__probe(struct features *f, const struct btf *btf);
/*
 * Arity of nf_send_reset() from vmlinux or nf_reject_ipv4's BTF, 0 when
 * there is no such function. With @may_load (about to attach, privileged)
 * the modules are loaded if need be; without, -1 says "a module would
 * provide it".
 */
int features__nf_reset_args(const struct btf *vmlinux, const char *release,
			    bool may_load);
/* Make sure tracefs is mounted; classic tracepoints need it. 0 or -errno. */
int features__mount_tracefs(void);
void features__print(const struct features *f, bool legacy, FILE *out);
/* Which sources are active and which resets this kernel cannot show. */
void features__print_sources(const struct features *f,
			     const struct sources *s, FILE *out);

#endif /* __FEATURES_H */
