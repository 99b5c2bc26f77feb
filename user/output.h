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
};

/* Write out what is buffered; -EPIPE once the reader has gone. */
int output__flush(struct output *o);
/* True if @fd is a pipe or socket, whose reader can go away. */
bool output__is_pipe(int fd);

#endif /* __OUTPUT_H */
