/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __OUTBUF_H
#define __OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer that formatted records are appended to. */
struct outbuf {
	char *data;
	size_t len;
	size_t cap;
	bool oom; /* an append failed; the content is incomplete */
};

void outbuf__free(struct outbuf *b);
bool outbuf__reserve(struct outbuf *b, size_t more);
void outbuf__put(struct outbuf *b, const void *p, size_t n);
void outbuf__puts(struct outbuf *b, const char *s);
void outbuf__putc(struct outbuf *b, char c);
void outbuf__u64(struct outbuf *b, uint64_t v);
void outbuf__printf(struct outbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Pad with spaces to @width bytes since @start. */
void outbuf__pad(struct outbuf *b, size_t start, size_t width);

#endif /* __OUTBUF_H */
