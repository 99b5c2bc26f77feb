/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __CORRELATE_H
#define __CORRELATE_H

#include <stddef.h>
#include <stdint.h>
#include "record.h"

/*
 * Holds records for a moment so that the two ends of one reset on this
 * host name each other (peer_pid, peer_comm), and so that the receive
 * event the kernel fires for its own abort (data after shutdown) folds into
 * the sent reset it belongs to. Records leave in arrival order.
 */
struct correlator;

typedef void (*correlator_emit_fn)(void *ctx, struct rst_record *r);

struct correlator *correlator__new(uint64_t hold_ns, size_t max_pending,
				   correlator_emit_fn emit, void *ctx);
/* Take a record that arrived at @now_ns (CLOCK_BOOTTIME). */
void correlator__add(struct correlator *c, const struct rst_record *r,
		     uint64_t now_ns);
/* Emit what is ready at @now_ns; with @all, everything. */
void correlator__flush(struct correlator *c, uint64_t now_ns, bool all);
/* When the oldest held record is due, UINT64_MAX when none is held. */
uint64_t correlator__next_due(const struct correlator *c);
/* The seq (rst_record.seq) of the oldest held record, UINT64_MAX: none. */
uint64_t correlator__held_seq(const struct correlator *c);
void correlator__free(struct correlator *c);

#endif /* __CORRELATE_H */
