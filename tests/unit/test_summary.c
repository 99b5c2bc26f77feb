// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "summary.h"
#include "unit.h"

/* NUL-terminated view of what was appended, for string comparisons. */
static const char *str(struct outbuf *b)
{
	outbuf__putc(b, '\0');
	b->len--;
	return b->data;
}

/* A record with an owner named @comm (NULL: no owner). */
static void rec(struct rst_record *r, unsigned int dir, const char *comm,
		const char *cause, uint16_t lport)
{
	memset(r, 0, sizeof(*r));
	r->ev.direction = (uint8_t)dir;
	r->ev.lport = lport;
	r->ev.owner_source = comm ? RST_OWNER_ACCEPT : RST_OWNER_NONE;
	if (comm)
		memcpy(r->ev.comm, comm, strnlen(comm, sizeof(r->ev.comm)));
	if (cause)
		snprintf(r->cause, sizeof(r->cause), "%s", cause);
}

static void add_n(struct summary *s, int n, unsigned int dir, const char *comm,
		  const char *cause, uint16_t lport)
{
	struct rst_record r;

	rec(&r, dir, comm, cause, lport);
	while (n--)
		summary__add(s, &r);
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

UNIT_TEST(summary_counts_and_json)
{
	struct summary *s = summary__new();
	struct outbuf b = {};
	struct rst_record r;

	CHECK(s != NULL);
	if (!s)
		return;
	add_n(s, 3, RST_DIR_SENT, "nginx", "listener closed", 8080);
	add_n(s, 12, RST_DIR_SENT, "nginx", "closed with unread data", 8080);
	add_n(s, 2, RST_DIR_RECEIVED, NULL, "", 5432);
	/* bytes after the comm's NUL are not part of the name */
	rec(&r, RST_DIR_SENT, "nginx", "listener closed", 8080);
	memcpy(r.ev.comm + 6, "junk", 4);
	summary__add(s, &r);
	/* merged into another record: not a reset of its own */
	r.drop = true;
	summary__add(s, &r);
	/* no owner: the comm field is not looked at */
	rec(&r, RST_DIR_RECEIVED, "ghost", "", 5432);
	r.ev.owner_source = RST_OWNER_NONE;
	summary__add(s, &r);

	CHECK_EQ_INT(summary__total(s), 19);
	CHECK_EQ_INT(summary__nrows(s), 3);

	summary__print_json(s, &b, "2026-11-22T04:40:01.000000000Z", 10);
	CHECK_EQ_STR(
		str(&b),
		"{\"type\":\"summary\",\"time\":\"2026-11-22T04:40:01.000000000Z\","
		"\"interval_s\":10.0,\"total\":19,\"rows\":["
		"{\"direction\":\"sent\",\"lport\":8080,\"rport\":null,\"comm\":\"nginx\","
		"\"cause\":\"closed with unread data\",\"count\":12},"
		"{\"direction\":\"sent\",\"lport\":8080,\"rport\":null,\"comm\":\"nginx\","
		"\"cause\":\"listener closed\",\"count\":4},"
		"{\"direction\":\"received\",\"lport\":5432,\"rport\":null,\"comm\":null,"
		"\"cause\":null,\"count\":3}]}\n");

	/* counting goes on after printing (the rows were sorted) */
	add_n(s, 20, RST_DIR_RECEIVED, NULL, "", 5432);
	CHECK_EQ_INT(summary__nrows(s), 3);
	b.len = 0;
	summary__print_table(s, &b, "04:40:11");
	CHECK_EQ_STR(
		str(&b),
		"04:40:11: 39 resets\n"
		"COUNT DIR      LPORT RPORT COMM             CAUSE\n"
		"   23 received 5432  -     -                -\n"
		"   12 sent     8080  -     nginx            "
		"closed with unread data\n"
		"    4 sent     8080  -     nginx            listener closed\n");
	summary__free(s);
	outbuf__free(&b);
}

UNIT_TEST(summary_clients_by_service_port)
{
	struct summary *s = summary__new();
	struct outbuf b = {};
	struct rst_record r;
	int i;

	/* one client, many connections: one row, by the port it talks to */
	for (i = 0; i < 5; i++) {
		rec(&r, RST_DIR_RECEIVED, "curl", "peer refused connection",
		    40000 + i);
		r.ev.owner_source = RST_OWNER_CONNECT;
		r.ev.rport = 8080;
		summary__add(s, &r);
	}
	CHECK_EQ_INT(summary__nrows(s), 1);
	summary__print_json(s, &b, "T", 1);
	CHECK(strstr(str(&b), "\"lport\":null,\"rport\":8080,\"comm\":\"curl\""
			      ",\"cause\":\"peer refused connection\","
			      "\"count\":5}") != NULL);
	summary__free(s);
	outbuf__free(&b);
}

UNIT_TEST(summary_sort_ties)
{
	struct summary *s = summary__new();
	struct outbuf b = {};
	const char *t, *p[6];
	int i;

	/* added in reverse of the expected order */
	add_n(s, 1, RST_DIR_RECEIVED, "a", "x", 1);
	add_n(s, 1, RST_DIR_SENT, "b", "y", 1);
	add_n(s, 1, RST_DIR_SENT, "a", "y", 2);
	add_n(s, 1, RST_DIR_SENT, "a", "y", 1);
	add_n(s, 1, RST_DIR_SENT, "b", "x", 1);
	add_n(s, 5, RST_DIR_RECEIVED, "z", "z", 9);
	summary__print_table(s, &b, NULL);
	t = str(&b);
	p[0] = strstr(t, "    5 received 9     -     z");
	p[1] = strstr(t, "    1 sent     1     -     b                x\n");
	p[2] = strstr(t, "    1 sent     1     -     a                y\n");
	p[3] = strstr(t, "    1 sent     2     -     a                y\n");
	p[4] = strstr(t, "    1 sent     1     -     b                y\n");
	p[5] = strstr(t, "    1 received 1     -     a                x\n");
	for (i = 0; i < 6; i++)
		CHECK(p[i] != NULL);
	for (i = 1; i < 6; i++)
		CHECK(p[i - 1] < p[i]);
	CHECK(!strncmp(t, "10 resets\n", 10));
	summary__free(s);
	outbuf__free(&b);
}

UNIT_TEST(summary_reset_intervals)
{
	struct summary *s = summary__new();
	struct outbuf b = {};

	add_n(s, 7, RST_DIR_SENT, "curl", "", 40000);
	summary__reset(s);
	CHECK_EQ_INT(summary__total(s), 0);
	CHECK_EQ_INT(summary__nrows(s), 0);
	summary__print_table(s, &b, "t0");
	CHECK_EQ_STR(str(&b), "t0: 0 resets\n");
	b.len = 0;
	summary__print_json(s, &b, "T", 2.5);
	CHECK_EQ_STR(str(&b), "{\"type\":\"summary\",\"time\":\"T\","
			      "\"interval_s\":2.5,\"total\":0,\"rows\":[]}\n");

	add_n(s, 2, RST_DIR_SENT, "curl", "", 40000);
	CHECK_EQ_INT(summary__total(s), 2);
	b.len = 0;
	summary__print_json(s, &b, NULL, 0.1234);
	CHECK(strstr(str(&b), "\"time\":null,\"interval_s\":0.123,") != NULL);
	CHECK(strstr(str(&b),
		     "\"comm\":\"curl\",\"cause\":null,\"count\":2}") != NULL);
	summary__free(s);
	outbuf__free(&b);
}

UNIT_TEST(summary_hostile_strings)
{
	struct summary *s = summary__new();
	struct outbuf b = {};
	struct rst_record r;
	const char *t;

	rec(&r, RST_DIR_SENT, NULL, NULL, 443);
	r.ev.owner_source = RST_OWNER_CONNECT;
	memcpy(r.ev.comm, "a\"}\n\\\xff\x01zzzzzzzzz", 16);
	/* a cause filling its whole array, without a NUL */
	memset(r.cause, 'c', sizeof(r.cause));
	r.cause[3] = '\n';
	r.cause[4] = '"';
	summary__add(s, &r);
	summary__add(s, &r);

	summary__print_table(s, &b, "t");
	t = str(&b);
	CHECK_EQ_INT(count_char(t, '\n'), 3);
	CHECK(strchr(t, '\r') == NULL && strchr(t, '\x01') == NULL);
	/* the cause is not truncated */
	CHECK(strstr(t, "ccc\\x0a\"ccc") != NULL);
	CHECK(strlen(strstr(t, "ccc\\x0a")) == sizeof(r.cause) + 3 + 1);

	b.len = 0;
	summary__print_json(s, &b, "T", 1);
	t = str(&b);
	CHECK_EQ_INT(count_char(t, '\n'), 1);
	CHECK(strstr(t, "\"comm\":\"a\\\"}\\n\\\\\xef\xbf\xbd\\u0001"
			"zzzzzzzzz\",") != NULL);
	CHECK(strstr(t, "\"cause\":\"ccc\\n\\\"ccc") != NULL);
	/* the row's exact comm, after its count */
	CHECK(strstr(t, "ccc\",\"count\":2,\"not_utf8\":{\"comm\":"
			"\"61227d0a5cff017a7a7a7a7a7a7a7a7a\"}}]}\n") != NULL);
	summary__free(s);
	outbuf__free(&b);
}

/* Cheap structural check: brackets balance outside strings. */
static int json_balanced(const char *t)
{
	int depth = 0, in_str = 0;

	for (; *t && *t != '\n'; t++) {
		if (in_str) {
			if (*t == '\\')
				t++;
			else if (*t == '"')
				in_str = 0;
			continue;
		}
		if (*t == '"')
			in_str = 1;
		else if (*t == '{' || *t == '[')
			depth++;
		else if (*t == '}' || *t == ']')
			depth--;
		if (depth < 0)
			return 0;
	}
	return !in_str && depth == 0 && *t == '\n' && !t[1];
}

UNIT_TEST(summary_json_structure)
{
	static const char head[] = "{\"type\":\"summary\",\"time\":\"T\","
				   "\"interval_s\":10.0,\"total\":6,"
				   "\"rows\":[{";
	struct summary *s = summary__new();
	struct outbuf b = {};
	struct rst_record r;
	const char *t;

	add_n(s, 3, RST_DIR_SENT, "x\"y", "a\\b", 1);
	add_n(s, 2, RST_DIR_RECEIVED, "[{", "}]", 2);
	rec(&r, 0, NULL, NULL, 3); /* no direction known */
	summary__add(s, &r);
	summary__print_json(s, &b, "T", 10);
	t = str(&b);
	CHECK(json_balanced(t));
	CHECK(!strncmp(t, head, strlen(head)));
	CHECK(strstr(t,
		     "{\"direction\":null,\"lport\":3,\"rport\":null,\"comm\":null,"
		     "\"cause\":null,\"count\":1}]}") != NULL);
	CHECK(strstr(t, "\"comm\":\"x\\\"y\",\"cause\":\"a\\\\b\"") != NULL);
	CHECK(strstr(t, "not_utf8") == NULL);
	/* nan and negative intervals still give a number */
	b.len = 0;
	summary__print_json(s, &b, "T", -1);
	CHECK(strstr(str(&b), "\"interval_s\":0.0,") != NULL);
	summary__free(s);
	outbuf__free(&b);
}

UNIT_TEST(summary_too_many_keys)
{
	struct summary *s = summary__new();
	struct outbuf b = {};
	struct rst_record r;
	int i, err = 0;

	for (i = 0; i < SUMMARY_MAX_ROWS + 5; i++) {
		rec(&r, i < 65536 ? RST_DIR_RECEIVED : RST_DIR_SENT, NULL, "",
		    (uint16_t)i);
		err = summary__add(s, &r);
	}
	CHECK_EQ_INT(err, -ENOSPC);
	/* an existing key still counts as itself */
	rec(&r, RST_DIR_RECEIVED, NULL, "", 7);
	CHECK_EQ_INT(summary__add(s, &r), 0);
	CHECK_EQ_INT(summary__nrows(s), SUMMARY_MAX_ROWS);
	CHECK_EQ_INT(summary__total(s), SUMMARY_MAX_ROWS + 6);
	summary__print_json(s, &b, "T", 1);
	CHECK(strstr(str(&b), "\"count\":2},") != NULL);
	CHECK(strstr(str(&b), "}],\"other\":5}\n") != NULL);
	b.len = 0;
	summary__print_table(s, &b, "t");
	CHECK(strstr(str(&b), "\n    5 -        -     -     -                "
			      "(other") != NULL);

	/* the next interval starts small and works as before */
	summary__reset(s);
	add_n(s, 4, RST_DIR_SENT, "a", "", 1);
	CHECK_EQ_INT(summary__nrows(s), 1);
	CHECK_EQ_INT(summary__total(s), 4);
	summary__free(s);
	outbuf__free(&b);
}

UNIT_TEST(summary_throughput)
{
	static const char *const comms[] = { "nginx", "curl", "postgres",
					     "java", "python3" };
	static const char *const causes[] = {
		"",
		"closed with unread data",
		"listener queue overflow",
		"no socket on this port",
	};
	enum { NREC = 4096, NADD = 2000000 };
	struct summary *s = summary__new();
	struct rst_record *recs;
	struct timespec t0, t1;
	double secs;
	int i;

	recs = calloc(NREC, sizeof(*recs));
	CHECK(recs != NULL);
	if (!recs)
		return;
	/* a few hundred keys, as a busy host might have in an interval */
	srand(1);
	for (i = 0; i < NREC; i++)
		rec(&recs[i], 1 + rand() % 2, comms[rand() % 5],
		    causes[rand() % 4], (uint16_t)(8000 + rand() % 50));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NADD; i++)
		summary__add(s, &recs[i & (NREC - 1)]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  summary: %d adds over %zu keys in %.1f ms, %.1fM adds/s\n",
	       NADD, summary__nrows(s), secs * 1e3, NADD / secs / 1e6);
	CHECK_EQ_INT(summary__total(s), NADD);
	free(recs);
	summary__free(s);
}

/* --by unit and --by pod: rows by those names, longer than a comm. */
UNIT_TEST(summary_by_unit_and_pod)
{
	static const struct rst_identity web = {
		.unit = "a-unit-name-longer-than-sixteen.service",
		.k8s_namespace = "shop",
		.pod = "web-0",
	};
	static const struct rst_identity hostile = {
		.unit = "x\n\"y.service",
	};
	struct summary *u = summary__new_by(RST_BY_UNIT);
	struct summary *p = summary__new_by(RST_BY_POD);
	struct outbuf b = {};
	struct rst_record r;
	int i;

	CHECK(u && p);
	if (!u || !p)
		return;
	rec(&r, RST_DIR_SENT, "nginx", "closed with unread data", 80);
	r.ident = &web;
	for (i = 0; i < 3; i++) {
		summary__add(u, &r);
		summary__add(p, &r);
	}
	r.ident = &hostile;
	summary__add(u, &r);
	summary__add(p, &r);
	r.ident = NULL;
	summary__add(u, &r);
	CHECK_EQ_INT(summary__nrows(u), 3);
	CHECK_EQ_INT(summary__nrows(p), 2);
	summary__print_json(u, &b, "t", 1.0);
	CHECK(strstr(str(&b), "\"unit\":\"a-unit-name-longer-than-sixteen."
			      "service\",\"cause\":\"closed with unread data\","
			      "\"count\":3}") != NULL);
	CHECK(strstr(str(&b), "\"unit\":\"x\\n\\\"y.service\"") != NULL);
	CHECK(strstr(str(&b), "\"unit\":null,") != NULL);
	CHECK(strstr(str(&b), "\"comm\"") == NULL);
	b.len = 0;
	summary__print_table(p, &b, NULL);
	CHECK(strstr(str(&b), " POD ") != NULL);
	CHECK(strstr(str(&b), "shop/web-0 ") != NULL);
	/* one line per row, whatever the names hold */
	CHECK_EQ_INT(count_char(str(&b), '\n'), 4);
	outbuf__free(&b);
	summary__free(u);
	summary__free(p);
}
