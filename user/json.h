/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small JSON writer on struct outbuf: it places the commas, colons,
 * quotes and brackets itself, so that callers only say what comes next.
 * Output is compact (no spaces); each top-level value is a text of its
 * own, and the caller separates them (rsttrace: one per line).
 *
 *	struct json j;
 *
 *	json__init(&j, b);
 *	json__begin_object(&j);
 *	json__key(&j, "acceptor");
 *	json__begin_array(&j);
 *	json__str(&j, "kprobe");
 *	json__end_array(&j);
 *	json__key_u64_or_null(&j, "pid", owned, pid);
 *	json__end_object(&j);
 *	outbuf__putc(b, '\n');
 *
 * gives {"acceptor":["kprobe"],"pid":null}.
 */
#ifndef __JSON_H
#define __JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "outbuf.h"

/* Levels deeper than this are a bug in the caller: see json.err. */
#define JSON_MAX_DEPTH 8
/* String members not UTF-8 in one object: a reset has 12 names at most. */
#define JSON_MAX_RAW 16

/* A string member whose value was not UTF-8: its key and exact bytes. */
struct json_raw {
	unsigned int depth; /* of the object it is a member of */
	const char *key;
	const void *s;
	size_t n;
};

struct json {
	struct outbuf *b;
	unsigned int depth; /* containers open */
	/*
	 * The current level's bit in the two masks below: 1 << (depth - 1),
	 * the last bit for every level past JSON_MAX_DEPTH, and 0 at the top
	 * level, where values never take a comma and keys are misuse.
	 */
	unsigned int bit;
	unsigned int nonempty; /* a member is out: the next takes a comma */
	unsigned int objects; /* an object, not an array */
	bool after_key; /* json__key() is out, its value comes next */
	/*
	 * Misuse: too deep, unbalanced, a key outside an object or without
	 * a value. What was written stays, but may not be valid JSON.
	 */
	bool err;
	/*
	 * The string members not UTF-8 that json__put_not_utf8() has yet to
	 * write; raw[] is left out of json__init()'s zeroing.
	 */
	unsigned int nraw;
	struct json_raw raw[JSON_MAX_RAW];
};

void json__init(struct json *j, struct outbuf *b);

void json__begin_object(struct json *j);
void json__end_object(struct json *j);
void json__begin_array(struct json *j);
void json__end_array(struct json *j);

/*
 * Comma and key @k (",\"name\":", @n bytes), the comma dropped for a
 * first member. Inline, and the comma by a branch rather than in the
 * length, so that either copy has a constant length: a JSON record is
 * some forty keys, and with a memcpy() call per key, or copies whose
 * address waited on the comma state, fmtbench's records took 15% longer.
 */
static inline void json__put_key_(struct json *j, const char *k, size_t n)
{
	if (j->after_key || !(j->objects & j->bit))
		j->err = true; /* a key outside an object, or a value missing */
	if (__builtin_expect(!!(j->nonempty & j->bit), 1)) {
		outbuf__put(j->b, k, n);
		return;
	}
	j->nonempty |= j->bit;
	outbuf__put(j->b, k + 1, n - 1);
}

static inline void json__key_(struct json *j, const char *k, size_t n)
{
	json__put_key_(j, k, n);
	j->after_key = true;
}

#define JSON_KEY_(lit) ",\"" lit "\":", sizeof(lit) + 3
/* Key @lit, a string literal (not escaped: plain ASCII names only). */
#define json__key(j, lit) json__key_((j), JSON_KEY_(lit))
/* Key @name, any NUL-terminated bytes, escaped. */
void json__key_str(struct json *j, const char *name);

/* Before a value: nothing after a key, a comma between array elements. */
static inline void json__sep_(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->objects & j->bit)
		j->err = true; /* a member without a key */
	if (j->nonempty & j->bit)
		outbuf__putc(j->b, ',');
	j->nonempty |= j->bit;
}

/* Values: after a key in an object, or as the elements of an array. */
void json__null(struct json *j);
void json__bool(struct json *j, bool v);
void json__u64(struct json *j, uint64_t v);
/* @v / 1000 with three decimals: 1500 is 1.500 (milliseconds from us). */
void json__milli(struct json *j, uint64_t v);
/*
 * Seconds with one to three decimals: 10.0, 2.5, 0.123. Not a number,
 * infinite, negative and absurd values give 0.0: the output stays JSON.
 */
void json__seconds(struct json *j, double v);

/*
 * Append @n raw bytes (stopping at NUL) as the body of a JSON string, so
 * that a JSON parser gives back exactly the characters of valid UTF-8:
 * '"' and '\\' escaped as JSON requires, control characters as \n, \r,
 * \t or \u00XX, and the valid characters that break lines or drive a
 * terminal (utf8__control()) as \uXXXX, so that a record stays one line
 * to any reader. Bytes that are not valid UTF-8 become U+FFFD, one for
 * each maximal subpart (utf8__bad_len()), and the result is false: the
 * caller records the exact bytes (see json__put_not_utf8()).
 */
bool json__escape(struct outbuf *b, const void *s, size_t n);
/* A string of at most @n bytes of @s (stopping at NUL), escaped. */
void json__strn(struct json *j, const void *s, size_t n);
/* @s, NUL-terminated, escaped. */
void json__str(struct json *j, const char *s);

/* A value already formatted as JSON, @n bytes of @s, copied as it is. */
static inline void json__raw(struct json *j, const char *s, size_t n)
{
	json__sep_(j);
	outbuf__put(j->b, s, n);
}

/* A string literal that needs no escaping, copied as it is. */
#define json__str_lit(j, lit) json__raw((j), "\"" lit "\"", sizeof(lit) + 1)

/*
 * A string the caller writes into j->b between the two calls, as JSON
 * string body (already escaped): an address, a time.
 */
static inline void json__begin_string(struct json *j)
{
	json__sep_(j);
	outbuf__putc(j->b, '"');
}

static inline void json__end_string(struct json *j)
{
	outbuf__putc(j->b, '"');
}

/* @s escaped, or null when @s is NULL. */
void json__str_or_null(struct json *j, const char *s);
/* @v when @valid, else null. */
void json__u64_or_null(struct json *j, bool valid, uint64_t v);
/* As json__strn() when @valid, else null. */
void json__bytes_or_null(struct json *j, bool valid, const void *s, size_t n);

/*
 * Key @lit and its value in one line, for the formatters' records. The
 * value goes straight to the outbuf: after a key, it needs no separator.
 */
#define json__key_str_or_null(j, lit, s)                         \
	do {                                                     \
		const char *_s = (s);                            \
		json__put_key_((j), JSON_KEY_(lit));             \
		if (!json__put_str_or_null_((j)->b, _s))         \
			json__not_utf8_((j), lit, _s, SIZE_MAX); \
	} while (0)
#define json__key_u64(j, lit, v)                     \
	do {                                         \
		json__put_key_((j), JSON_KEY_(lit)); \
		outbuf__u64((j)->b, (v));            \
	} while (0)
#define json__key_bool(j, lit, v)    \
	do {                         \
		json__key((j), lit); \
		json__bool((j), (v)); \
	} while (0)
#define json__key_u64_or_null(j, lit, valid, v)               \
	do {                                                  \
		json__put_key_((j), JSON_KEY_(lit));          \
		json__put_u64_or_null_((j)->b, (valid), (v)); \
	} while (0)
#define json__key_bytes_or_null(j, lit, valid, s, n)                    \
	do {                                                            \
		const void *_s = (s);                                   \
		size_t _n = (n);                                        \
		json__put_key_((j), JSON_KEY_(lit));                    \
		if (!json__put_bytes_or_null_((j)->b, (valid), _s, _n)) \
			json__not_utf8_((j), lit, _s, _n);              \
	} while (0)

/* The put_*_or_null_() of strings: false when it was not UTF-8. */
bool json__put_str_or_null_(struct outbuf *b, const char *s);
void json__put_u64_or_null_(struct outbuf *b, bool valid, uint64_t v);
bool json__put_bytes_or_null_(struct outbuf *b, bool valid, const void *s,
			      size_t n);
/*
 * Member @key's value (@n bytes of @s, up to a NUL) was not UTF-8: kept
 * by reference, so @s must last until json__put_not_utf8() (a record's
 * names do; a value in a caller's buffer must be UTF-8, or outlive it).
 */
void json__not_utf8_(struct json *j, const char *key, const void *s, size_t n);

/*
 * Before an object's end: when any of its string members written by the
 * key_*_or_null() macros was not UTF-8, the member
 * "not_utf8", an object that maps each such key to its exact bytes in
 * lowercase hex ({"comm":"61ff62"}), in the order they were written. So
 * a name that is valid UTF-8 is exact, one that is not is readable (with
 * U+FFFD) and still recoverable, and the two cannot be confused.
 */
void json__put_not_utf8(struct json *j);

#endif /* __JSON_H */
