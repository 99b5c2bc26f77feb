// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "outbuf.h"

void outbuf__free(struct outbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

bool outbuf__grow(struct outbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more <= b->cap)
		return true;
	if (more > SIZE_MAX / 4 - b->len) { /* the doubling would wrap */
		b->oom = true;
		return false;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void outbuf__u64(struct outbuf *b, uint64_t v)
{
	outbuf__u64_zero(b, v, 1);
}

/* "00" to "99": two digits per division, which is what costs */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

void outbuf__u64_zero(struct outbuf *b, uint64_t v, unsigned int width)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		tmp[--i] = digit_pairs[d + 1];
		tmp[--i] = digit_pairs[d];
	}
	if (v >= 10) {
		tmp[--i] = digit_pairs[v * 2 + 1];
		tmp[--i] = digit_pairs[v * 2];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	if (width > sizeof(tmp))
		width = sizeof(tmp);
	while (i > sizeof(tmp) - width)
		tmp[--i] = '0';
	outbuf__put(b, tmp + i, sizeof(tmp) - i);
}

void outbuf__printf(struct outbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!outbuf__reserve(b, 128))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!outbuf__reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void outbuf__pad(struct outbuf *b, size_t start, size_t width)
{
	while (b->len - start < width && !b->oom)
		outbuf__putc(b, ' ');
}
