/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Resets the kernel could not queue, reported by what they were: the BPF
 * side counts them in the "lost" map under struct rst_lost_key; this keeps
 * what has been reported of each key and hands out what is new.
 */
#ifndef __LOST_H
#define __LOST_H

#include <stddef.h>
#include <stdint.h>
#include "rsttrace.h"

/* What is new since the last report, for one key (or for none). */
struct lost_report {
	const struct rst_lost_key *key; /* NULL: not attributable */
	const uint8_t *comm; /* the owner's, with RST_LOST_OWNER */
	uint64_t count; /* new since the last report of this key */
	uint64_t total; /* lost in all, this report included */
};

typedef void (*lost_report_fn)(void *ctx, const struct lost_report *r);

struct lost;

struct lost *lost__new(void);
void lost__free(struct lost *l);
/*
 * Report what the "lost" map @map_fd holds beyond what was reported, then
 * what is new of @unkeyed (lost with no room in the map, or never seen by
 * a program the kernel skipped): one call of @fn per key with news.
 * Returns the number of reports.
 */
unsigned int lost__collect(struct lost *l, int map_fd, uint64_t unkeyed,
			   lost_report_fn fn, void *ctx);
/* Everything reported so far. */
uint64_t lost__total(const struct lost *l);

#endif /* __LOST_H */
