// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* JSON on an outbuf: see json.h. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "json.h"
#include "utf8.h"

static inline bool json__put_str(struct outbuf *b, const void *s, size_t n)
{
	bool valid;

	outbuf__putc(b, '"');
	valid = json__escape(b, s, n);
	outbuf__putc(b, '"');
	return valid;
}

void json__init(struct json *j, struct outbuf *b)
{
	/* not raw[]: a record's worth of zeroes for each record */
	memset(j, 0, offsetof(struct json, raw));
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

bool json__put_str_or_null_(struct outbuf *b, const char *s)
{
	if (s)
		return json__put_str(b, s, SIZE_MAX);
	outbuf__lit(b, "null");
	return true;
}

void json__put_u64_or_null_(struct outbuf *b, bool valid, uint64_t v)
{
	if (valid)
		outbuf__u64(b, v);
	else
		outbuf__lit(b, "null");
}

bool json__put_bytes_or_null_(struct outbuf *b, bool valid, const void *s,
			      size_t n)
{
	if (valid)
		return json__put_str(b, s, n);
	outbuf__lit(b, "null");
	return true;
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

/* Printable ASCII that JSON takes as it is. */
static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* \uXXXX for a code point below U+10000 */
static void put_u_escape(struct outbuf *b, uint32_t cp)
{
	outbuf__lit(b, "\\u");
	outbuf__hex_byte(b, (unsigned char)(cp >> 8));
	outbuf__hex_byte(b, (unsigned char)cp);
}

/*
 * The one byte or sequence at @s that is not plain; returns its length,
 * and clears *@valid for bytes that are not valid UTF-8.
 */
static size_t json__escape_one(struct outbuf *b, const unsigned char *s,
			       size_t n, bool *valid)
{
	size_t len;
	uint32_t cp;

	switch (s[0]) {
	case '"':
		outbuf__lit(b, "\\\"");
		return 1;
	case '\\':
		outbuf__lit(b, "\\\\");
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
		put_u_escape(b, s[0]);
		return 1;
	}
	len = utf8__len(s, n);
	if (!len) {
		/* JSON has no raw bytes: U+FFFD, and the caller says so */
		outbuf__lit(b, "\xef\xbf\xbd");
		*valid = false;
		return utf8__bad_len(s, n);
	}
	/* the same text, but no line break or terminal control in the line */
	cp = utf8__control(s, len);
	if (cp)
		put_u_escape(b, cp);
	else
		outbuf__put(b, s, len);
	return len;
}

bool json__escape(struct outbuf *b, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i = 0, run;
	bool valid = true;

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
		i += json__escape_one(b, s + i, n - i, &valid);
	}
	return valid;
}

void json__not_utf8_(struct json *j, const char *key, const void *s, size_t n)
{
	if (j->nraw >= JSON_MAX_RAW) {
		j->err = true; /* more string members than a record has */
		return;
	}
	j->raw[j->nraw].depth = j->depth;
	j->raw[j->nraw].key = key;
	j->raw[j->nraw].s = s;
	j->raw[j->nraw].n = strnlen(s, n);
	j->nraw++;
}

static void put_hex(struct outbuf *b, const struct json_raw *r)
{
	const unsigned char *s = r->s;
	size_t k;

	for (k = 0; k < r->n; k++)
		outbuf__hex_byte(b, s[k]);
}

void json__put_not_utf8(struct json *j)
{
	unsigned int i, first, depth = j->depth;
	bool open = false;

	/*
	 * This object's members, and after them those of objects inside it
	 * that had no call of their own: skipped, and dropped with the rest.
	 */
	for (first = j->nraw; first && j->raw[first - 1].depth >= depth;)
		first--;
	for (i = first; i < j->nraw; i++) {
		if (j->raw[i].depth != depth)
			continue;
		if (!open) {
			json__key(j, "not_utf8");
			json__begin_object(j);
			open = true;
		}
		json__key_str(j, j->raw[i].key);
		json__begin_string(j);
		put_hex(j->b, &j->raw[i]);
		json__end_string(j);
	}
	if (open)
		json__end_object(j);
	j->nraw = first;
}
