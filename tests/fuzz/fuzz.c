// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The checks shared by the fuzz targets: a strict JSON validator (RFC
 * 8259, one text per line) and the one-line, UTF-8 rule of the tables.
 * Written for these checks only; rsttrace itself never parses JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "ksyms.h"
#include "reasons.h"
#include "utf8.h"

#define JSON_CHECK_DEPTH 64

void fuzz__require(bool ok, const char *what, const char *text, size_t n)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: %s in %zu bytes:\n", what, n);
	fwrite(text, 1, n, stderr);
	fputc('\n', stderr);
	abort();
}

bool fuzz__utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		len = utf8__len(p + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

/* A cursor over one line; @ok falls to false at the first error. */
struct jcur {
	const char *p, *end;
	bool ok;
};

static void jc_ws(struct jcur *c)
{
	while (c->p < c->end &&
	       (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static bool jc_lit(struct jcur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
		return false;
	c->p += n;
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool jc_digits(struct jcur *c)
{
	const char *start = c->p;

	while (c->p < c->end && is_digit(*c->p))
		c->p++;
	return c->p > start;
}

static bool jc_number(struct jcur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!jc_digits(c))
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!jc_digits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!jc_digits(c))
			return false;
	}
	return true;
}

static bool is_hex(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

static bool jc_string(struct jcur *c)
{
	const unsigned char *p;
	size_t len;
	int i;

	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end) {
		p = (const unsigned char *)c->p;
		if (*p == '"') {
			c->p++;
			return true;
		}
		if (*p < 0x20)
			return false;
		if (*p == '\\') {
			if (c->end - c->p < 2)
				return false;
			if (strchr("\"\\/bfnrt", c->p[1]) && c->p[1]) {
				c->p += 2;
				continue;
			}
			if (c->p[1] != 'u' || c->end - c->p < 6)
				return false;
			for (i = 2; i < 6; i++)
				if (!is_hex(c->p[i]))
					return false;
			c->p += 6;
			continue;
		}
		len = utf8__len(p, (size_t)(c->end - c->p));
		if (!len)
			return false;
		c->p += len;
	}
	return false;
}

static bool jc_value(struct jcur *c, int depth);

/* The members or elements of an object or array, after its '{' or '['. */
static bool jc_container(struct jcur *c, char close, int depth)
{
	jc_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return true;
	}
	for (;;) {
		if (close == '}') {
			jc_ws(c);
			if (!jc_string(c))
				return false;
			jc_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return false;
			c->p++;
		}
		if (!jc_value(c, depth + 1))
			return false;
		jc_ws(c);
		if (c->p >= c->end)
			return false;
		if (*c->p == close) {
			c->p++;
			return true;
		}
		if (*c->p != ',')
			return false;
		c->p++;
	}
}

static bool jc_value(struct jcur *c, int depth)
{
	if (depth > JSON_CHECK_DEPTH)
		return false;
	jc_ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
		c->p++;
		return jc_container(c, '}', depth);
	case '[':
		c->p++;
		return jc_container(c, ']', depth);
	case '"':
		return jc_string(c);
	case 't':
		return jc_lit(c, "true");
	case 'f':
		return jc_lit(c, "false");
	case 'n':
		return jc_lit(c, "null");
	default:
		return jc_number(c);
	}
}

void fuzz__check_json_lines(const char *s, size_t n)
{
	const char *line = s, *nl;
	struct jcur c;

	fuzz__require(!n || s[n - 1] == '\n', "JSON: last line unterminated",
		      s, n);
	while (line < s + n) {
		nl = memchr(line, '\n', (size_t)(s + n - line));
		c.p = line;
		c.end = nl;
		c.ok = jc_value(&c, 0);
		jc_ws(&c);
		fuzz__require(c.ok && c.p == c.end, "JSON: invalid line", line,
			      (size_t)(nl - line));
		line = nl + 1;
	}
}

void fuzz__check_table_lines(const char *s, size_t n)
{
	size_t i;

	fuzz__require(fuzz__utf8(s, n), "table: invalid UTF-8", s, n);
	for (i = 0; i < n; i++)
		fuzz__require((unsigned char)s[i] >= 0x20 && s[i] != 0x7f ?
				      true :
				      s[i] == '\n',
			      "table: control character", s, n);
}

size_t fuzz__split(const uint8_t *data, size_t size, char sep, char **out,
		   size_t max, char **copy)
{
	char *buf = malloc(size + 1), *p, *end;
	size_t n = 0;

	*copy = buf;
	if (!buf || !max)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (p = buf; n < max;) {
		char *q = memchr(p, sep, (size_t)(end - p));

		out[n++] = p;
		if (!q)
			break;
		*q = '\0';
		p = q + 1;
	}
	return n;
}

const struct reasons *fuzz__reasons(void)
{
	static const char *const names[] = {
		"NOT_SPECIFIED", "NO_SOCKET", "TCP_INVALID_ACK_SEQUENCE",
		"TCP_RFC7323_PAWS", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA",
		"TCP_FLAGS", "TCP_OLD_ACK", "TCP_ABORT_ON_DATA",
		"TCP_TIMEWAIT_SOCKET", "INVALID_SYN", "TCP_ABORT_ON_CLOSE",
		"TCP_ABORT_ON_LINGER", "TCP_ABORT_ON_MEMORY", "TCP_STATE",
		"TCP_KEEPALIVE_TIMEOUT", "TCP_DISCONNECT_WITH_DATA",
		"MPTCP_RST_EUNSPEC", "MPTCP_RST_EMPTCP", "MPTCP_RST_ERESOURCE",
		"MPTCP_RST_EPROHIBIT", "MPTCP_RST_EWQ2BIG",
		"MPTCP_RST_EBADPERF", "MPTCP_RST_EMIDDLEBOX", "ERROR",
	};
	static struct reasons r;
	char full[64];
	uint32_t i;

	if (r.n)
		return &r;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(full, sizeof(full), "SK_RST_REASON_%s", names[i]);
		if (reasons__add(&r, i, full))
			abort();
	}
	return &r;
}

const struct ksyms *fuzz__ksyms(void)
{
	static const char *const names[] = {
		"bpf_prog_6deef7357e7b4530_rst",
		"bpf_trace_run4",
		"__traceiter_tcp_send_reset",
		"tcp_v4_send_reset",
		"tcp_send_active_reset",
		"tcp_keepalive_timer",
		"tcp_out_of_resources",
		"tcp_abort",
		"tcp_disconnect",
		"__tcp_close",
		"tcp_close",
		"tcp_reset",
		"tcp_rcv_state_process",
		"nft_reject_ipv4_eval\t[nft_reject_ipv4]",
	};
	static struct ksyms *ks;
	char text[2048];
	size_t i, len = 0;

	if (ks)
		return ks;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%016llx T %s\n",
					FUZZ_KSYM_BASE + i * FUZZ_KSYM_STEP,
					names[i]);
	ks = ksyms__parse_text(text, len);
	if (!ks)
		abort();
	return ks;
}
