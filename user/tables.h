/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The bounded BPF maps that can decide an owner, sized from the host at
 * start-up, and what they forgot by the end of the run.
 *
 * With socket storage (5.11+) an owner lives and dies with its socket;
 * only two tables are bounded: closed connections (a timewait socket has
 * no storage, and a forgotten connection no socket) and, on kernels whose
 * acceptor hooks cannot reach storage, the accept() results waiting for a
 * hook that can. The legacy store (< 5.11) keeps every owner in a table.
 */
#ifndef __TABLES_H
#define __TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct table_sizes {
	uint32_t tw_owners;
	uint32_t accepts; /* 1: not used */
	uint32_t owners_by_sk; /* legacy store; 1: not used */
	uint32_t seeds;
	uint32_t listeners;
	const char *tw_from; /* what tw_owners was sized after, in words */
};

/* One table's life: entries written, taken out, and still held. */
struct table_use {
	unsigned long long put, deleted, live;
};

/*
 * Sizes for this host: @tw_override (0: none) replaces the TIME_WAIT
 * size; @legacy selects the legacy store, @side_table the accept() table.
 */
void tables__size(struct table_sizes *ts, uint32_t tw_override, bool legacy,
		  bool side_table);

/* Entries of map @fd with @key_size keys, counted one by one. */
unsigned long long tables__count(int fd, unsigned int key_size);

/* Entries forgotten to make room: written, minus taken out, minus held. */
unsigned long long tables__evicted(const struct table_use *u);

/* A whole number from a /proc/sys file, @fallback if unreadable. */
long long tables__read_sysctl(const char *path, long long fallback);

#endif /* __TABLES_H */
