/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __FORMAT_H
#define __FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "outbuf.h"
#include "rsttrace.h"

#include "lost.h"
#include "record.h"

struct ksyms;
struct rst_clock;

struct fmt_opts {
	bool wide;
	bool timestamp;
	bool kernel_reason; /* --infer-reasons: show the kernel's beside */
	const struct rst_clock *clock;
	/* --kstack: symbolise each record's stack */
	const struct ksyms *ksyms;
};

const char *format__direction_name(unsigned int direction);
const char *format__owner_source_name(unsigned int source);
/* The signal that killed the owner as it closed, 0: none (or no exit). */
int format__exit_signal(const struct rst_event *e);
#define FORMAT_SIG_LEN 16
/* "SIGKILL", "SIGRTMIN+2" (in @buf), ...; NULL: not a Linux signal. */
const char *format__signal_name(int sig, char buf[FORMAT_SIG_LEN]);

/*
 * Append @n raw bytes (stopping at NUL) for a table cell: each byte of a
 * backslash, a control character (C0, DEL, C1), a line or paragraph
 * separator, a bidirectional formatting character (utf8__control()), and
 * each byte that is not part of valid UTF-8, as the text \xHH; so that a
 * record stays on one line, with no terminal escape, and a backslash is
 * always \x5c. Returns the number of columns written.
 */
size_t format__table_escape(struct outbuf *b, const void *s, size_t n,
			    size_t max_cols);
/*
 * A COMM column of @width: @comm (RST_COMM_LEN bytes at most) escaped and
 * cut to @width columns, or "-" when not @valid, then spaces to @width and
 * the one that separates it from the next column.
 */
void format__table_comm(struct outbuf *b, const uint8_t *comm, bool valid,
			size_t width);

/* RFC 3339 UTC with nanoseconds: 2026-11-22T04:40:01.123456789Z */
void format__rfc3339(struct outbuf *b, int64_t sec, long nsec);
void format__addr(struct outbuf *b, uint16_t family, const uint8_t *addr);

void format__json_record(struct outbuf *b, const struct rst_record *r,
			 const struct fmt_opts *o);
/*
 * A "lost" record: resets the ring buffer had no room for, of one kind
 * (@r->key) or of none, with @reason the kernel's name for key->reason.
 */
void format__json_lost(struct outbuf *b, uint64_t boot_ns,
		       const struct lost_report *r, const char *reason,
		       const struct fmt_opts *o);
void format__table_header(struct outbuf *b, const struct fmt_opts *o);
void format__table_record(struct outbuf *b, const struct rst_record *r,
			  const struct fmt_opts *o);

#endif /* __FORMAT_H */
