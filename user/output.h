/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdbool.h>
#include "outbuf.h"

/*
 * Records are formatted into a buffer and written with write(2) as soon as
 * the ring buffer has been drained, so that no record waits for later ones
 * and a reader that went away is noticed (EPIPE) rather than killing us.
 */
struct output {
	int fd;
	struct outbuf buf;
	bool closed; /* the reader is gone */
	size_t mark; /* where the record being formatted starts */
	unsigned long long unwritten; /* records dropped: out of memory */
};

/* Write out what is buffered; -EPIPE once the reader has gone. */
int output__flush(struct output *o);

/*
 * Around each record, so that one is written whole or not at all:
 *	do {
 *		output__begin(o);
 *		format...(&o->buf, ...);
 *	} while (!output__end(o));
 * Out of memory, output__end() takes the record back out and writes what
 * was buffered before it; false means "format it again" into the room so
 * made. A record that fits in no buffer is dropped and counted.
 */
static inline void output__begin(struct output *o)
{
	o->mark = o->buf.len;
}

bool output__end(struct output *o);
/* True if @fd is a pipe or socket, whose reader can go away. */
bool output__is_pipe(int fd);

#endif /* __OUTPUT_H */
