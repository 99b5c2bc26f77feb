/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __UTF8_H
#define __UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at @s (of @n bytes), 0 if it is not
 * one. Inline: the table escaper asks for every character.
 */
static inline size_t utf8__len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Where utf8__len() is 0: how many bytes at @s (of @n) one U+FFFD stands
 * for, the Unicode Standard's "maximal subpart" (3.9, U+FFFD Substitution
 * of Maximal Subparts): a lead byte and the continuation bytes that could
 * still have completed it, else the one byte. So a value has the U+FFFD
 * that Python's decode(errors="replace"), Rust's from_utf8_lossy() and a
 * browser's TextDecoder give for the same bytes.
 */
static inline size_t utf8__bad_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 1;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < len && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

/*
 * The code point of @len bytes at @s (a valid sequence, from utf8__len())
 * when it is valid text that still moves a terminal's cursor or the lines
 * of a reader: a C1 control (U+0080-U+009F: U+0085 is a line break to
 * Python's splitlines(), U+009B a CSI to some terminals), the line and
 * paragraph separators U+2028 and U+2029, or a bidirectional formatting
 * character (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which
 * reorders what a line shows. 0 for any other character.
 */
static inline uint32_t utf8__control(const unsigned char *s, size_t len)
{
	uint32_t cp;

	if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return s[1];
	if (len != 3 || s[0] != 0xe2 || (s[1] != 0x80 && s[1] != 0x81))
		return 0;
	cp = 0x2000 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	if (cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

#endif /* __UTF8_H */
