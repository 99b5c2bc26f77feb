// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
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

bool outbuf__reserve(struct outbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more <= b->cap)
		return true;
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

void outbuf__put(struct outbuf *b, const void *p, size_t n)
{
	if (!outbuf__reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void outbuf__puts(struct outbuf *b, const char *s)
{
	outbuf__put(b, s, strlen(s));
}

void outbuf__putc(struct outbuf *b, char c)
{
	if (!outbuf__reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

void outbuf__u64(struct outbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
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
