// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include "clock.h"
#include "format.h"
#include "json.h"
#include "tcp_state.h"
#include "reasons.h"
#include "unit.h"

/* NUL-terminated copy of what was appended, for string comparisons. */
static const char *str(struct outbuf *b)
{
	outbuf__putc(b, '\0');
	b->len--;
	return b->data;
}

#define FFFD "\xef\xbf\xbd"
#define EMOJI "\xf0\x9f\x98\x80" /* U+1F600 */

struct escape_case {
	const char *in;
	size_t n;
	const char *json; /* the JSON string body */
	bool utf8; /* json__escape()'s result */
	const char *table; /* format__table_escape() */
};

#define CASE(in, json, utf8, table)                   \
	{                                             \
		in, sizeof(in) - 1, json, utf8, table \
	}

static const struct escape_case escapes[] = {
	CASE("plain", "plain", true, "plain"),
	/* JSON's own escapes: a parser gives back the very characters */
	CASE("a\"b\\c", "a\\\"b\\\\c", true, "a\"b\\x5cc"),
	/* the four characters \x80 are the name's, not an escape */
	CASE("\\x80", "\\\\x80", true, "\\x5cx80"),
	CASE("foo\\x2dbar.service", "foo\\\\x2dbar.service", true,
	     "foo\\x5cx2dbar.service"),
	CASE("\n\r\t", "\\n\\r\\t", true, "\\x0a\\x0d\\x09"),
	CASE("\x01\x1b[2J\x7f", "\\u0001\\u001b[2J\\u007f", true,
	     "\\x01\\x1b[2J\\x7f"),
	/* valid UTF-8 as it is */
	CASE("caf\xc3\xa9 \xe2\x82\xac " EMOJI,
	     "caf\xc3\xa9 \xe2\x82\xac " EMOJI, true,
	     "caf\xc3\xa9 \xe2\x82\xac " EMOJI),
	CASE(FFFD, FFFD, true, FFFD), /* U+FFFD in a name is valid */
	CASE("\xed\x9f\xbf", "\xed\x9f\xbf", true, "\xed\x9f\xbf"), /* D7FF */
	CASE("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", true,
	     "\xf4\x8f\xbf\xbf"), /* U+10FFFF */
	CASE("\xc2\xa0", "\xc2\xa0", true, "\xc2\xa0"), /* NBSP: no control */
	/* C1 controls, separators, bidi: the same text, escaped */
	CASE("a\xc2\x85z", "a\\u0085z", true, "a\\xc2\\x85z"),
	CASE("\xc2\x9b[2J", "\\u009b[2J", true, "\\xc2\\x9b[2J"),
	CASE("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029", true,
	     "\\xe2\\x80\\xa8\\xe2\\x80\\xa9"),
	CASE("\xe2\x80\xaezyx", "\\u202ezyx", true, "\\xe2\\x80\\xaezyx"),
	CASE("\xe2\x80\x8e\xe2\x81\xa9", "\\u200e\\u2069", true,
	     "\\xe2\\x80\\x8e\\xe2\\x81\\xa9"),
	CASE("\xe2\x80\xaf", "\xe2\x80\xaf", true, "\xe2\x80\xaf"), /* 202F */
	/*
	 * Not UTF-8: in JSON, U+FFFD for each maximal subpart (a lead byte
	 * and the continuations that could have completed it), as Python's
	 * decode(errors="replace") has it; \xHH a byte in the table.
	 */
	CASE("\x80", FFFD, false, "\\x80"), /* lone continuation bytes */
	CASE("a\xbf\x80z", "a" FFFD FFFD "z", false, "a\\xbf\\x80z"),
	CASE("\xc0\xc1\xf5\xff", FFFD FFFD FFFD FFFD, false,
	     "\\xc0\\xc1\\xf5\\xff"), /* never in UTF-8 */
	CASE("\xc0\xaf", FFFD FFFD, false, "\\xc0\\xaf"), /* overlong '/' */
	CASE("\xe0\x80\xaf", FFFD FFFD FFFD, false, "\\xe0\\x80\\xaf"),
	CASE("\xf0\x82\x82\xac", FFFD FFFD FFFD FFFD, false,
	     "\\xf0\\x82\\x82\\xac"), /* overlong U+20AC */
	CASE("\xed\xa0\x80", FFFD FFFD FFFD, false,
	     "\\xed\\xa0\\x80"), /* U+D800, a surrogate */
	CASE("\xed\xbf\xbf", FFFD FFFD FFFD, false, "\\xed\\xbf\\xbf"),
	CASE("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, false,
	     "\\xf4\\x90\\x80\\x80"), /* U+110000 */
	/* a sequence cut short: one U+FFFD, the next character survives */
	CASE("\xe2\x82z", FFFD "z", false, "\\xe2\\x82z"),
	CASE("\xf0\x9f\x98" EMOJI, FFFD EMOJI, false, "\\xf0\\x9f\\x98" EMOJI),
	CASE("a\xf1\x80\x80", "a" FFFD, false, "a\\xf1\\x80\\x80"),
	/*
	 * A comm the kernel cut at 15 bytes in the middle of a character:
	 * those bytes are not UTF-8, like any others (their hex is exact).
	 */
	CASE("ab" EMOJI EMOJI EMOJI "\xf0", "ab" EMOJI EMOJI EMOJI FFFD, false,
	     "ab" EMOJI EMOJI EMOJI "\\xf0"),
	/* a backslash beside a bad byte: each as itself */
	CASE("\\\xff", "\\\\" FFFD, false, "\\x5c\\xff"),
	/* stops at NUL, and what follows it does not count */
	CASE("ab\0\xff", "ab", true, "ab"),
};

static const char *json_escaped(const char *in, size_t n, struct outbuf *b,
				bool *utf8)
{
	b->len = 0;
	*utf8 = json__escape(b, in, n);
	return str(b);
}

UNIT_TEST(json_escape_table)
{
	struct outbuf b = {};
	bool utf8;
	size_t i;

	for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		const struct escape_case *c = &escapes[i];

		CHECK_EQ_STR(json_escaped(c->in, c->n, &b, &utf8), c->json);
		if (utf8 != c->utf8)
			fprintf(stderr, "  case %zu: utf8 %d\n", i, utf8);
		CHECK(utf8 == c->utf8);
		b.len = 0;
		format__table_escape(&b, c->in, c->n, SIZE_MAX);
		CHECK_EQ_STR(str(&b), c->table);
	}
	/* stops at n */
	CHECK_EQ_STR(json_escaped("abcdef", 3, &b, &utf8), "abc");
	CHECK(utf8);
	CHECK_EQ_STR(json_escaped("ab\xff", 2, &b, &utf8), "ab");
	CHECK(utf8);
	outbuf__free(&b);
}

UNIT_TEST(table_escape_one_line)
{
	struct outbuf b = {};
	size_t cols;

	cols = format__table_escape(&b, "a\nb\tc\\", 6, 40);
	CHECK_EQ_STR(str(&b), "a\\x0ab\\x09c\\x5c");
	CHECK_EQ_INT(cols, 15);
	b.len = 0;
	cols = format__table_escape(&b, "\xff\xfe", 2, 40);
	CHECK_EQ_STR(str(&b), "\\xff\\xfe");
	b.len = 0;
	/* truncated to the column width, never in the middle of an escape */
	cols = format__table_escape(&b, "abcdefghij\n", 11, 12);
	CHECK_EQ_STR(str(&b), "abcdefghij");
	CHECK_EQ_INT(cols, 10);
	outbuf__free(&b);
}

/* a boot time no clock gives, as a record may carry it: no overflow */
UNIT_TEST(clock_to_real_far)
{
	struct rst_clock clock = { 1764000000LL * 1000000000 };
	struct timespec ts;

	ts = clock__to_real(&clock, UINT64_MAX - 1);
	CHECK_EQ_INT(ts.tv_sec, INT64_MAX / 1000000000);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	ts = clock__to_real(&clock, 5);
	CHECK_EQ_INT(ts.tv_sec, 1764000000);
	CHECK_EQ_INT(ts.tv_nsec, 5);
}

UNIT_TEST(rfc3339)
{
	struct outbuf b = {};

	format__rfc3339(&b, 0, 5);
	CHECK_EQ_STR(str(&b), "1970-01-01T00:00:00.000000005Z");
	b.len = 0;
	format__rfc3339(&b, 1795322401, 123456789);
	CHECK_EQ_STR(str(&b), "2026-11-22T04:40:01.123456789Z");
	b.len = 0;
	format__rfc3339(&b, 951782400, 0); /* a leap day of a 400th year */
	CHECK_EQ_STR(str(&b), "2000-02-29T00:00:00.000000000Z");
	outbuf__free(&b);
}

/* The hand-made calendar against gmtime_r() over 1970 to 2400. */
UNIT_TEST(rfc3339_matches_gmtime)
{
	struct outbuf b = {};
	char want[64];
	int64_t sec;
	struct tm tm;
	time_t t;

	for (sec = 0; sec < 13569465600LL; sec += 86400 * 7 + 3607) {
		t = (time_t)sec;
		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000000042Z",
			 &tm);
		b.len = 0;
		format__rfc3339(&b, sec, 42);
		CHECK_EQ_STR(str(&b), want);
		if (strcmp(str(&b), want))
			break;
	}
	outbuf__free(&b);
}

static void sample_event(struct rst_event *e)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = 1795322401123456789ULL;
	e->direction = RST_DIR_SENT;
	e->pid = 4242;
	e->tid = 4243;
	memcpy(e->comm, "rst-server", 10);
	e->uid = 1000;
	e->flags = RST_F_UID | RST_F_REASON;
	e->cgroup_id = 7;
	e->netns = 4026531840u;
	e->sock_cookie = 99;
	e->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", e->laddr);
	inet_pton(AF_INET, "127.0.0.2", e->raddr);
	e->lport = 8080;
	e->rport = 41234;
	e->state = 1;
	e->reason = 11;
	e->owner_source = RST_OWNER_ACCEPT;
}

static void sample_record(struct rst_record *r)
{
	memset(r, 0, sizeof(*r));
	sample_event(&r->ev);
	r->reason = "TCP_ABORT_ON_CLOSE";
	r->reason_source = RST_REASON_SRC_KERNEL;
	strcpy(r->cause, "application closed socket with 10 unread bytes");
}

UNIT_TEST(json_event_fields)
{
	static const struct rst_identity ident = {
		.cgroup = "/kubepods/pod1/c\"1",
		.unit = "u.scope",
		.container_id = "c1",
		.container_runtime = "cri-o",
		.pod_uid = "pod1",
		.k8s_namespace = "shop",
		.pod = "web-0",
		.container = "nginx",
	};
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock };
	struct outbuf b = {};
	struct rst_record r;

	sample_record(&r);
	r.ev.flags |= RST_F_TCPINFO;
	r.ev.birth_ns = r.ev.ts_ns - 1500000;
	r.ev.prev_state = 3;
	r.ev.bytes_sent = 100;
	r.ev.bytes_acked = 90;
	r.ev.bytes_received = 2000;
	r.ev.unread = 10;
	r.ev.unsent = 5;
	r.ev.srtt_us = 42;
	r.ev.retrans = 1;
	r.has_peer = true;
	r.peer_pid = 77;
	memcpy(r.peer_comm, "curl", 4);
	r.ev.idle_ms = 61200;
	r.ev.closed_ns = r.ev.ts_ns - 2000400;
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 9;
	r.ident = &ident;
	r.netns_name = "blue";
	format__json_record(&b, &r, &o);
	CHECK_EQ_STR(
		str(&b),
		"{\"type\":\"reset\",\"time\":\"2026-11-22T04:40:01.123456789Z\","
		"\"direction\":\"sent\",\"pid\":4242,\"tid\":4243,"
		"\"comm\":\"rst-server\",\"uid\":1000,\"cgroup_id\":7,"
		"\"netns\":4026531840,\"sock_cookie\":99,\"family\":\"ipv4\","
		"\"laddr\":\"127.0.0.1\",\"lport\":8080,\"raddr\":\"127.0.0.2\","
		"\"rport\":41234,\"state\":\"ESTABLISHED\","
		"\"netns_name\":\"blue\",\"cgroup\":\"/kubepods/pod1/c\\\"1\","
		"\"unit\":\"u.scope\",\"container_id\":\"c1\","
		"\"container_runtime\":\"cri-o\",\"pod_uid\":\"pod1\","
		"\"namespace\":\"shop\",\"pod\":\"web-0\",\"container\":\"nginx\","
		"\"reason\":\"TCP_ABORT_ON_CLOSE\",\"owner_source\":\"accept\","
		"\"source\":\"tcp\",\"reason_source\":\"kernel\","
		"\"cause\":\"application closed socket with 10 unread bytes\","
		"\"errno\":null,\"prev_state\":\"SYN_RECV\",\"age_ms\":1.500,"
		"\"bytes_sent\":100,\"bytes_acked\":90,\"bytes_received\":2000,"
		"\"unread_bytes\":10,\"unsent_bytes\":5,\"srtt_us\":42,"
		"\"retransmits\":1,\"peer_pid\":77,\"peer_comm\":\"curl\","
		"\"idle_ms\":61200,\"closed_ago_ms\":2.000,\"closed_idle_ms\":null,"
		"\"exit_signal\":\"SIGKILL\",\"exit_code\":null,"
		"\"oom_killed\":false,"
		"\"listener_pid\":null,\"listener_comm\":null,"
		"\"previous_listener_pid\":null,\"previous_listener_comm\":null,"
		"\"listener_changed_ago_ms\":null}\n");
	outbuf__free(&b);
}

UNIT_TEST(json_event_no_socket)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock };
	struct outbuf b = {};
	struct rst_record r;

	sample_record(&r);
	r.reason = NULL;
	r.reason_source = RST_REASON_SRC_NONE;
	r.cause[0] = '\0';
	r.ev.owner_source = RST_OWNER_NONE;
	r.ev.flags = RST_F_NOSOCK | RST_F_PASSIVE;
	r.ev.uid = RST_UID_NONE;
	r.ev.cgroup_id = 0;
	r.ev.sock_cookie = 0;
	r.ev.state = 0;
	r.ev.family = AF_INET6;
	inet_pton(AF_INET6, "::1", r.ev.laddr);
	inet_pton(AF_INET6, "2001:db8::5", r.ev.raddr);
	format__json_record(&b, &r, &o);
	CHECK(strstr(str(&b), "\"pid\":null,\"tid\":null,\"comm\":null,"
			      "\"uid\":null,\"cgroup_id\":null,") != NULL);
	CHECK(strstr(str(&b), "\"sock_cookie\":null,\"family\":\"ipv6\","
			      "\"laddr\":\"::1\"") != NULL);
	CHECK(strstr(str(&b), "\"raddr\":\"2001:db8::5\"") != NULL);
	CHECK(strstr(str(&b),
		     "\"state\":null,\"netns_name\":null,"
		     "\"cgroup\":null,\"unit\":null,"
		     "\"container_id\":null,\"container_runtime\":null,"
		     "\"pod_uid\":null,\"namespace\":null,\"pod\":null,"
		     "\"container\":null,\"reason\":null,"
		     "\"owner_source\":null,\"source\":\"tcp\","
		     "\"reason_source\":null,\"cause\":null,") != NULL);
	CHECK(strstr(str(&b), "\"age_ms\":null,\"bytes_sent\":null,") != NULL);
	CHECK(strstr(str(&b),
		     "\"peer_pid\":null,\"peer_comm\":null,"
		     "\"idle_ms\":null,\"closed_ago_ms\":null,\"closed_idle_ms\":null,"
		     "\"exit_signal\":null,\"exit_code\":null,"
		     "\"oom_killed\":false,"
		     "\"listener_pid\":null,") != NULL);
	outbuf__free(&b);
}

UNIT_TEST(json_event_hostile_comm)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock };
	struct outbuf b = {};
	struct rst_record r;

	sample_record(&r);
	memcpy(r.ev.comm, "a\"}\n\\\xff\x01zzzzzzzzz", 16);
	format__json_record(&b, &r, &o);
	CHECK(strstr(str(&b), "\"comm\":\"a\\\"}\\n\\\\\xef\xbf\xbd\\u0001"
			      "zzzzzzzzz\",") != NULL);
	/* the exact bytes, last */
	CHECK(strstr(str(&b),
		     ",\"not_utf8\":{\"comm\":"
		     "\"61227d0a5cff017a7a7a7a7a7a7a7a7a\"}}\n") != NULL);
	/* one record, one line */
	CHECK(strchr(str(&b), '\n') == b.data + b.len - 1);
	outbuf__free(&b);
}

/* Every name's bytes, in key order, after the optional keys. */
UNIT_TEST(json_event_not_utf8_names)
{
	static const struct rst_identity ident = {
		.cgroup = "/sys\\x2d\xff.slice/a\"b",
		.unit = "ok\\x2d.service",
	};
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock, .kernel_reason = true };
	struct outbuf b = {};
	struct rst_record r;
	const char *t;

	sample_record(&r);
	r.ident = &ident;
	memcpy(r.ev.comm, "\xc0\xaf", 3);
	r.has_peer = true;
	r.peer_pid = 7;
	memcpy(r.peer_comm, "p\xed\xa0\x80", 5);
	format__json_record(&b, &r, &o);
	t = str(&b);
	CHECK(strstr(t, "\"comm\":\"\xef\xbf\xbd\xef\xbf\xbd\",") != NULL);
	CHECK(strstr(t, "\"cgroup\":\"/sys\\\\x2d\xef\xbf\xbd.slice/a\\\"b\","
			"\"unit\":\"ok\\\\x2d.service\",") != NULL);
	CHECK(strstr(t,
		     "\"peer_comm\":\"p\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",") !=
	      NULL);
	CHECK(strstr(t,
		     "\"kernel_reason\":null,\"not_utf8\":{\"comm\":\"c0af\","
		     "\"cgroup\":\"2f7379735c783264ff2e736c6963652f612262\","
		     "\"peer_comm\":\"70eda080\"}}\n") != NULL);
	outbuf__free(&b);
}

UNIT_TEST(json_lost_record)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock };
	struct outbuf b = {};
	struct lost_report r = { .count = 5, .total = 12 };

	format__json_lost(&b, 2000000000ULL, &r, NULL, &o);
	CHECK_EQ_STR(str(&b), "{\"type\":\"lost\",\"time\":"
			      "\"1970-01-01T00:00:02.000000000Z\","
			      "\"count\":5,\"total\":12,\"direction\":null,"
			      "\"state\":null,\"reason\":null,\"pid\":null,"
			      "\"comm\":null,\"lport\":null,\"rport\":null,"
			      "\"source\":null}\n");
	outbuf__free(&b);
}

UNIT_TEST(json_lost_record_keyed)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock };
	struct rst_lost_key k = { .pid = 42,
				  .lport = 0,
				  .rport = 8080,
				  .direction = RST_DIR_RECEIVED,
				  .state = 2,
				  .flags = RST_LOST_OWNER };
	struct lost_report r = {
		.key = &k,
		.comm = (const uint8_t *)"cli\"ent\0\0\0\0\0\0\0\0\0",
		.count = 7,
		.total = 19
	};
	struct outbuf b = {};

	format__json_lost(&b, 2000000000ULL, &r, NULL, &o);
	CHECK_EQ_STR(str(&b), "{\"type\":\"lost\",\"time\":"
			      "\"1970-01-01T00:00:02.000000000Z\","
			      "\"count\":7,\"total\":19,"
			      "\"direction\":\"received\","
			      "\"state\":\"SYN_SENT\",\"reason\":null,"
			      "\"pid\":42,\"comm\":\"cli\\\"ent\","
			      "\"lport\":null,\"rport\":8080,"
			      "\"source\":\"tcp\"}\n");
	/* a comm not UTF-8: U+FFFD, and its bytes last */
	r.comm = (const uint8_t *)"a\\b\xff\0\0\0\0\0\0\0\0\0\0\0\0";
	b.len = 0;
	format__json_lost(&b, 2000000000ULL, &r, NULL, &o);
	CHECK(strstr(str(&b),
		     "\"pid\":42,\"comm\":\"a\\\\b\xef\xbf\xbd\","
		     "\"lport\":null,\"rport\":8080,\"source\":\"tcp\","
		     "\"not_utf8\":{\"comm\":\"615c62ff\"}}\n") != NULL);
	outbuf__free(&b);
}

UNIT_TEST(table_row_narrow)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock };
	struct outbuf b = {};
	struct rst_record r;
	const char *row;

	sample_record(&r);
	format__table_header(&b, &o);
	CHECK(b.len < 80);
	b.len = 0;
	format__table_record(&b, &r, &o);
	row = str(&b);
	CHECK_EQ_STR(row, "TX  4242    rst-server 127.0.0.1:8080  "
			  "127.0.0.2:41234 ESTAB   ABORT_ON_CLOSE\n");
	CHECK(b.len < 80);
	/* a hostile name stays on one line */
	b.len = 0;
	memcpy(r.ev.comm, "x\ny\rz", 6);
	format__table_record(&b, &r, &o);
	CHECK(strchr(str(&b), '\n') == b.data + b.len - 1);
	CHECK(strchr(str(&b), '\r') == NULL);
	outbuf__free(&b);
}

UNIT_TEST(table_row_wide_ipv6_no_owner)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock, .wide = true };
	struct outbuf b = {};
	struct rst_record r;

	sample_record(&r);
	r.ev.owner_source = RST_OWNER_NONE;
	r.ev.state = 0;
	r.ev.flags = 0;
	r.reason = NULL;
	strcpy(r.cause, "peer reset established connection");
	r.ev.family = AF_INET6;
	inet_pton(AF_INET6, "::1", r.ev.laddr);
	inet_pton(AF_INET6, "::1", r.ev.raddr);
	r.ev.direction = RST_DIR_RECEIVED;
	format__table_record(&b, &r, &o);
	CHECK(strncmp(str(&b), "received -       -  ", 20) == 0);
	/* wide columns: 8 + 1, 7 + 1, 16 + 1 */
	CHECK(strncmp(str(&b) + 34, "[::1]:8080 ", 11) == 0);
	CHECK(strstr(str(&b), "[::1]:41234") != NULL);
	CHECK(strstr(str(&b), "peer reset established connection\n") != NULL);
	outbuf__free(&b);
}

UNIT_TEST(table_row_no_direction)
{
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock, .wide = true };
	struct outbuf b = {};
	struct rst_record r;

	/* a corrupt record: one row, '-' where the direction goes */
	sample_record(&r);
	r.ev.direction = 0;
	format__table_record(&b, &r, &o);
	CHECK(strncmp(str(&b), "-        ", 9) == 0);
	o.wide = false;
	b.len = 0;
	format__table_record(&b, &r, &o);
	CHECK(strncmp(str(&b), "-   ", 4) == 0);
	CHECK_EQ_INT(strchr(str(&b), '\n') - str(&b) + 1, strlen(str(&b)));
	outbuf__free(&b);
}

UNIT_TEST(names)
{
	CHECK_EQ_STR(tcp_state__name(2), "SYN_SENT");
	CHECK_EQ_STR(tcp_state__name(6), "TIME_WAIT");
	CHECK(tcp_state__name(0) == NULL);
	CHECK(tcp_state__name(200) == NULL);
	CHECK_EQ_STR(format__direction_name(RST_DIR_RECEIVED), "received");
	CHECK_EQ_STR(format__owner_source_name(RST_OWNER_SEEDED), "seeded");
	CHECK(format__owner_source_name(RST_OWNER_NONE) == NULL);
}

UNIT_TEST(reasons_lookup)
{
	struct reasons r = {};

	reasons__add(&r, 0, "SK_RST_REASON_NOT_SPECIFIED");
	reasons__add(&r, 1, "SK_RST_REASON_NO_SOCKET");
	reasons__add(&r, 9, "SK_RST_REASON_TCP_TIMEWAIT_SOCKET");
	CHECK_EQ_STR(reasons__name(&r, 1), "NO_SOCKET");
	CHECK_EQ_STR(reasons__name(&r, 9), "TCP_TIMEWAIT_SOCKET");
	CHECK(reasons__name(&r, 5) == NULL);
	reasons__free(&r);
}
