// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* JSON on an outbuf: see json.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "json.h"
#include "utf8.h"

static inline void json__put_str(struct outbuf *b, const void *s, size_t n)
{
	outbuf__putc(b, '"');
	json__escape(b, s, n);
	outbuf__putc(b, '"');
}

void json__init(struct json *j, struct outbuf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

static void json__begin(struct json *j, char bracket, bool object)
{
	json__sep_(j);
	outbuf__putc(j->b, bracket);
	j->depth++;
	if (j->depth == 1)
		j->bit = 1;
	else if (j->depth <= JSON_MAX_DEPTH)
		j->bit <<= 1;
	else
		j->err = true; /* the levels beyond share the last bit */
	j->nonempty &= ~j->bit;
	if (object)
		j->objects |= j->bit;
	else
		j->objects &= ~j->bit;
}

static void json__end(struct json *j, char bracket, bool object)
{
	if (!j->depth) {
		j->err = true; /* nothing to close: write nothing */
		return;
	}
	if (j->after_key || object != !!(j->objects & j->bit))
		j->err = true;
	j->after_key = false;
	outbuf__putc(j->b, bracket);
	if (j->depth <= JSON_MAX_DEPTH)
		j->bit >>= 1;
	j->depth--;
}

void json__begin_object(struct json *j)
{
	json__begin(j, '{', true);
}

void json__end_object(struct json *j)
{
	json__end(j, '}', true);
}

void json__begin_array(struct json *j)
{
	json__begin(j, '[', false);
}

void json__end_array(struct json *j)
{
	json__end(j, ']', false);
}

void json__key_str(struct json *j, const char *name)
{
	json__key_(j, ",\"", 2); /* the comma, and the opening quote */
	json__escape(j->b, name, SIZE_MAX);
	outbuf__lit(j->b, "\":");
}

void json__null(struct json *j)
{
	json__sep_(j);
	outbuf__lit(j->b, "null");
}

void json__bool(struct json *j, bool v)
{
	json__sep_(j);
	if (v)
		outbuf__lit(j->b, "true");
	else
		outbuf__lit(j->b, "false");
}

void json__u64(struct json *j, uint64_t v)
{
	json__sep_(j);
	outbuf__u64(j->b, v);
}

void json__milli(struct json *j, uint64_t v)
{
	json__sep_(j);
	outbuf__u64(j->b, v / 1000);
	outbuf__putc(j->b, '.');
	outbuf__u64_zero(j->b, v % 1000, 3);
}

void json__seconds(struct json *j, double v)
{
	char tmp[64];
	size_t n;

	if (!isfinite(v) || v < 0 || v > 1e15)
		v = 0;
	n = (size_t)snprintf(tmp, sizeof(tmp), "%.3f", v);
	/* "%.3f" has three decimals: keep at least one of them */
	while (n > 2 && tmp[n - 1] == '0' && tmp[n - 2] != '.')
		n--;
	json__raw(j, tmp, n);
}

void json__strn(struct json *j, const void *s, size_t n)
{
	json__sep_(j);
	json__put_str(j->b, s, n);
}

/* the escaper finds the end, so that @s is read once */
void json__str(struct json *j, const char *s)
{
	json__strn(j, s, SIZE_MAX);
}

void json__put_str_or_null_(struct outbuf *b, const char *s)
{
	if (s)
		json__put_str(b, s, SIZE_MAX);
	else
		outbuf__lit(b, "null");
}

void json__put_u64_or_null_(struct outbuf *b, bool valid, uint64_t v)
{
	if (valid)
		outbuf__u64(b, v);
	else
		outbuf__lit(b, "null");
}

void json__put_bytes_or_null_(struct outbuf *b, bool valid, const void *s,
			      size_t n)
{
	if (valid)
		json__put_str(b, s, n);
	else
		outbuf__lit(b, "null");
}

void json__str_or_null(struct json *j, const char *s)
{
	json__sep_(j);
	json__put_str_or_null_(j->b, s);
}

void json__u64_or_null(struct json *j, bool valid, uint64_t v)
{
	json__sep_(j);
	json__put_u64_or_null_(j->b, valid, v);
}

void json__bytes_or_null(struct json *j, bool valid, const void *s, size_t n)
{
	json__sep_(j);
	json__put_bytes_or_null_(j->b, valid, s, n);
}

static void put_hex_escape(struct outbuf *b, const char *prefix, size_t len,
			   unsigned char c)
{
	outbuf__put(b, prefix, len);
	outbuf__hex_byte(b, c);
}

/* Printable ASCII that JSON takes as it is. */
static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The one byte or sequence at @s that is not plain; returns its length. */
static size_t json__escape_one(struct outbuf *b, const unsigned char *s,
			       size_t n)
{
	size_t len;

	switch (s[0]) {
	case '"':
		outbuf__lit(b, "\\\"");
		return 1;
	case '\\':
		/* doubled, so that it cannot pass for an \xHH below */
		outbuf__lit(b, "\\\\\\\\");
		return 1;
	case '\n':
		outbuf__lit(b, "\\n");
		return 1;
	case '\r':
		outbuf__lit(b, "\\r");
		return 1;
	case '\t':
		outbuf__lit(b, "\\t");
		return 1;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		put_hex_escape(b, "\\u00", 4, s[0]);
		return 1;
	}
	len = utf8__len(s, n);
	if (!len) {
		/* the text \xHH: JSON has no raw bytes */
		put_hex_escape(b, "\\\\x", 3, s[0]);
		return 1;
	}
	outbuf__put(b, s, len);
	return len;
}

void json__escape(struct outbuf *b, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i = 0, run;

	n = strnlen(src, n);
	while (i < n) {
		/* most names are plain ASCII: copy such runs at once */
		for (run = i; run < n && json_plain(s[run]); run++)
			;
		if (run > i) {
			outbuf__put(b, s + i, run - i);
			i = run;
			continue;
		}
		i += json__escape_one(b, s + i, n - i);
	}
}
