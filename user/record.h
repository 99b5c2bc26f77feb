/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __RECORD_H
#define __RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "rsttrace.h"

enum rst_reason_source {
	RST_REASON_SRC_NONE = 0,
	RST_REASON_SRC_KERNEL = 1,
	RST_REASON_SRC_INFERRED = 2,
};

/*
 * Who a socket's cgroup says it belongs to (README, "Running on every
 * node"). Each string is NULL when it does not apply; all live at least
 * until the record that points to them has left the pipeline (cgnames.h).
 */
struct rst_identity {
	const char *cgroup; /* path below the host's cgroup v2 root */
	const char *unit; /* systemd unit */
	const char *container_id, *container_runtime;
	const char *pod_uid, *k8s_namespace, *pod, *container;
};

/*
 * One reset as userspace reports it: the kernel's event plus what was
 * worked out from it (reason when the kernel gave none, cause, errno) and
 * from other events (the peer on this host).
 */
struct rst_record {
	struct rst_event ev;
	/*
	 * Its place in arrival order, from 1 (pipeline__push()): what a stage
	 * gave it (ident) stays until every record up to it has left
	 */
	uint64_t seq;
	const char *reason; /* kernel sk_rst_reason name, NULL: none */
	const char *kernel_reason; /* --infer-reasons: the kernel's own */
	uint8_t reason_source; /* enum rst_reason_source */
	bool has_peer; /* peer_pid and peer_comm are valid */
	bool paired; /* the other end of the reset was traced on this host */
	bool drop; /* merged into another record: not reported */
	const char *errno_name; /* "ECONNRESET", NULL: not determined */
	char cause[255]; /* plain words; "" when unknown */
	/* bytes of cause before the suffixes that vary (idle, time since) */
	uint8_t cause_stem;
	uint32_t peer_pid;
	uint8_t peer_comm[RST_COMM_LEN];
	/* NULL: no cgroup known, or identity not wanted in this run */
	const struct rst_identity *ident;
	const char *netns_name; /* as ip netns names it, NULL: none */
	unsigned int kstack_n; /* frames of kstack */
	uint64_t kstack[RST_KSTACK_MAX]; /* as the ring carried them */
};

#endif /* __RECORD_H */
