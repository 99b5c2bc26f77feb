/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __OUTBUF_H
#define __OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte buffer that formatted records are appended to. */
struct outbuf {
	char *data;
	size_t len;
	size_t cap;
	bool oom; /* an append failed; the content is incomplete */
};

void outbuf__free(struct outbuf *b);
/* The slow path of outbuf__reserve(): realloc, or set oom. */
bool outbuf__grow(struct outbuf *b, size_t more);

/*
 * The appends are inline: a JSON record is some two hundred of them, and a
 * call each was most of the formatter's time.
 */
static inline bool outbuf__reserve(struct outbuf *b, size_t more)
{
	return b->len + more <= b->cap || outbuf__grow(b, more);
}

static inline void outbuf__put(struct outbuf *b, const void *p, size_t n)
{
	if (!outbuf__reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void outbuf__puts(struct outbuf *b, const char *s)
{
	outbuf__put(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define outbuf__lit(b, lit) outbuf__put((b), "" lit, sizeof(lit) - 1)

static inline void outbuf__putc(struct outbuf *b, char c)
{
	if (!outbuf__reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

/* @c as two lowercase hex digits, for the escapers */
static inline void outbuf__hex_byte(struct outbuf *b, unsigned char c)
{
	if (!outbuf__reserve(b, 2))
		return;
	b->data[b->len++] = "0123456789abcdef"[c >> 4];
	b->data[b->len++] = "0123456789abcdef"[c & 15];
}

void outbuf__u64(struct outbuf *b, uint64_t v);
/* @v in decimal with leading zeros to @width digits (at most 20). */
void outbuf__u64_zero(struct outbuf *b, uint64_t v, unsigned int width);
void outbuf__printf(struct outbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Pad with spaces to @width bytes since @start. */
void outbuf__pad(struct outbuf *b, size_t start, size_t width);

#endif /* __OUTBUF_H */
