/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "outbuf.h"

/*
 * Records are formatted into a buffer and written with write(2) as soon as
 * the ring buffer has been drained, so that no record waits for later ones
 * and a reader that went away is noticed (EPIPE) rather than killing us.
 *
 * Into a file (-o, or stdout redirected to one), a write that fails (a
 * full disk, a quota, an I/O error) does not end the run: what is buffered
 * is kept, up to OUTPUT_HOLD bytes, and written once the file takes it
 * again; records past that are counted (dropped), never cut: a line is in
 * the file whole, or not at all.
 */
#define OUTPUT_HOLD (1u << 20)

struct output {
	int fd;
	struct outbuf buf;
	bool closed; /* the reader is gone, or the output failed */
	size_t mark; /* where the record being formatted starts */
	unsigned long long unwritten; /* records dropped: out of memory */

	/* -o FILE: NULL for stdout */
	const char *path;
	unsigned long max_size; /* --output-max-size, 0: never rotate */
	unsigned int keep; /* FILE.1 ... FILE.keep */
	struct outbuf header; /* the table's header, atop each new file */
	uint64_t size; /* bytes in the current file */
	uint64_t opened_size; /* ... when it was opened (and headed) */
	size_t tail; /* bytes in the file after its last '\n' */
	bool is_file; /* a regular file: write errors are waited out */
	bool created; /* -o's file was made by this run */
	bool rotate_failed; /* said once; tried again at the next reopen */

	int err; /* the write error in force, 0: none */
	uint64_t retry_ns; /* when to try the file again (CLOCK_BOOTTIME) */
	unsigned long long dropped; /* records not written: write errors */
	unsigned long long dropped_now; /* ... during the error in force */
	/* the last write error seen (EPIPE, a reader gone, is none) */
	int last_err;
};

/*
 * Open -o's @path for appending (created 0640) into @o, or take stdout when
 * @path is NULL. Returns 0, or -errno with the message said on stderr.
 */
int output__open(struct output *o, const char *path);

/*
 * SIGHUP: write out what is buffered, then open the path again (logrotate
 * has renamed the file). On failure the old file goes on being written.
 */
void output__reopen(struct output *o);

/*
 * What the table starts with, written again at the top of every new file
 * (rotated or reopened) that is empty.
 */
void output__set_header(struct output *o, const char *s, size_t len);

/* Write out what is buffered; -EPIPE once the reader has gone. */
int output__flush(struct output *o);

/*
 * At exit: a line cut by a failed write is taken back out of the file, and
 * the descriptor closed (stdout is left open).
 */
void output__close(struct output *o);
/* What output__close() left, or all of it when a run ended before it. */
void output__free(struct output *o);

/*
 * Whether a record may be formatted now: false while a write error holds
 * OUTPUT_HOLD bytes already, and then the record is counted in dropped.
 */
bool output__room(struct output *o);

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
/* The name messages give the output: -o's path, or "stdout". */
const char *output__name(const struct output *o);
/* -Z: make the file USER's (gid -1: its group stays), for reopening. */
int output__chown(struct output *o, uid_t uid, gid_t gid);

#endif /* __OUTPUT_H */
