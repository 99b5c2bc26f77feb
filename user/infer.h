/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __INFER_H
#define __INFER_H

#include <stdbool.h>
#include <stddef.h>
#include "record.h"

struct reasons;

/*
 * The kernel's reason for a reset this host sent, worked out from what the
 * kernel shows on every version: the socket's state and settings, the
 * segment answered, and the function names of the kernel stack (innermost
 * first, may be empty). Returns an sk_rst_reason name as the kernel spells
 * it (so one query serves every kernel), NULL when it cannot tell.
 */
const char *infer__reason(const struct rst_event *e, const char *const *frames,
			  unsigned int nframes);

/* What the reason settings need: which kernels give which reasons. */
struct infer_opts {
	const struct reasons *reasons;
	bool active_reasons; /* kernel names reasons for resets it decides */
	bool force; /* --infer-reasons: infer even where the kernel names it */
	/* no filter can hide the sending end of a reset on this host */
	bool see_all_senders;
};

/*
 * Set r->reason, r->reason_source and r->kernel_reason from the kernel's
 * reason or by inference, as @o allows.
 */
void infer__resolve(struct rst_record *r, const char *const *frames,
		    unsigned int nframes, const struct infer_opts *o);

/*
 * After correlation, when the record knows its peer: the cause in words
 * with every suffix it takes, and the errno its owner sees.
 */
void infer__finish(struct rst_record *r, const struct infer_opts *o);
/*
 * The listeners behind a reset that found no connection (no socket, or a
 * listener answered): who listens, and who listened before when the port's
 * service stopped or was restarted (README, "Forgotten connections").
 */
struct port_change {
	bool has_listener; /* listener_pid, listener_comm */
	bool stopped; /* nothing listens: prev stopped at changed_ns */
	bool restarted; /* prev -> listener at changed_ns, after the
			   connection began */
	uint32_t listener_pid;
	const uint8_t *listener_comm;
	uint32_t prev_pid;
	const uint8_t *prev_comm;
	uint64_t changed_ns;
};

void infer__port_change(const struct rst_event *e, struct port_change *pc);

/* A short plain-English cause into @buf ("" when unknown). */
void infer__cause(const struct rst_record *r, char *buf, size_t len);

/*
 * The cause as one word of a fixed vocabulary, for metric labels:
 * "refused", "peer_reset", "abort_unread", "linger0", "keepalive",
 * "timewait", "killed", ... (README, "Metrics"). Never NULL.
 */
const char *infer__cause_class(const struct rst_record *r);

/* What the owning application sees from its next call, NULL if unknown. */
const char *infer__errno(const struct rst_record *r);

/*
 * A received reset that may be the kernel's own abort (data arrived after
 * shutdown()/close()): tcp_reset() runs without any RST on the wire, and a
 * sent TCP_ABORT_ON_DATA on the same socket follows.
 */
bool infer__maybe_local_abort(const struct rst_record *r);

/*
 * A reset received from this host's own loopback with no TCP sender traced:
 * something else made it (a firewall REJECT rule, a raw socket).
 */
bool infer__unsent_by_tcp(const struct rst_record *r);

#endif /* __INFER_H */
