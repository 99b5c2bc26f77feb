// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include "clock.h"
#include "format.h"
#include "json.h"
#include "ksyms.h"
#include "unit.h"

/* NUL-terminated view of what was appended, for string comparisons. */
static const char *str(struct outbuf *b)
{
	outbuf__putc(b, '\0');
	b->len--;
	return b->data;
}

UNIT_TEST(json_nesting_and_commas)
{
	struct outbuf b = {};
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "a");
	json__u64(&j, 1);
	json__key(&j, "empty_obj");
	json__begin_object(&j);
	json__end_object(&j);
	json__key(&j, "empty_arr");
	json__begin_array(&j);
	json__end_array(&j);
	json__key(&j, "arr");
	json__begin_array(&j);
	json__str(&j, "x");
	json__u64(&j, 18446744073709551615ULL);
	json__bool(&j, true);
	json__bool(&j, false);
	json__null(&j);
	json__begin_object(&j);
	json__key(&j, "in");
	json__begin_array(&j);
	json__begin_array(&j);
	json__end_array(&j);
	json__u64(&j, 0);
	json__end_array(&j);
	json__end_object(&j);
	json__end_array(&j);
	json__key(&j, "z");
	json__str_lit(&j, "last");
	json__end_object(&j);
	CHECK_EQ_STR(str(&b), "{\"a\":1,\"empty_obj\":{},\"empty_arr\":[],"
			      "\"arr\":[\"x\",18446744073709551615,true,false,"
			      "null,{\"in\":[[],0]}],\"z\":\"last\"}");
	CHECK(!j.err);
	CHECK_EQ_INT(j.depth, 0);
	outbuf__free(&b);
}

/* Top-level values are texts of their own: no comma between lines. */
UNIT_TEST(json_top_level_lines)
{
	struct outbuf b = {};
	struct json j;
	int i;

	json__init(&j, &b);
	for (i = 0; i < 2; i++) {
		json__begin_object(&j);
		json__key(&j, "n");
		json__u64(&j, (uint64_t)i);
		json__end_object(&j);
		outbuf__putc(&b, '\n');
	}
	json__begin_array(&j);
	json__end_array(&j);
	CHECK_EQ_STR(str(&b), "{\"n\":0}\n{\"n\":1}\n[]");
	CHECK(!j.err);
	outbuf__free(&b);
}

/* The shape of -V --json: arrays of names cut out of a list. */
UNIT_TEST(json_version_like)
{
	static const char names[] = "kprobe,syscalls";
	struct outbuf b = {};
	const char *p, *comma;
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "version");
	json__str(&j, "v1.0-3-gabc");
	json__key(&j, "btf");
	json__bool(&j, true);
	json__key(&j, "acceptor");
	json__begin_array(&j);
	for (p = names; *p; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		json__strn(&j, p, (size_t)(comma - p));
	}
	json__end_array(&j);
	json__key(&j, "acceptor_offered");
	json__begin_array(&j);
	json__end_array(&j);
	json__key(&j, "ringbuf_size");
	json__u64(&j, 4194304);
	json__end_object(&j);
	CHECK_EQ_STR(str(&b),
		     "{\"version\":\"v1.0-3-gabc\",\"btf\":true,"
		     "\"acceptor\":[\"kprobe\",\"syscalls\"],"
		     "\"acceptor_offered\":[],\"ringbuf_size\":4194304}");
	CHECK(!j.err);
	outbuf__free(&b);
}

UNIT_TEST(json_strings_escaped)
{
	static const char hostile[] = "a\"}\n\\\xff\x01z";
	struct outbuf b = {}, want = {};
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key_str(&j, "k\"ey");
	json__str(&j, hostile);
	json__key(&j, "bounded");
	/* not NUL-terminated: stops at n */
	json__strn(&j, "abcdef", 3);
	json__key(&j, "stops_at_nul");
	json__strn(&j, "ab\0cd", 5);
	json__end_object(&j);

	outbuf__lit(&want, "{\"k\\\"ey\":\"");
	json__escape(&want, hostile, sizeof(hostile));
	outbuf__lit(&want, "\",\"bounded\":\"abc\",\"stops_at_nul\":\"ab\"}");
	CHECK_EQ_STR(str(&b), str(&want));
	CHECK_EQ_STR(str(&b),
		     "{\"k\\\"ey\":\"a\\\"}\\n\\\\\xef\xbf\xbd\\u0001z\","
		     "\"bounded\":\"abc\",\"stops_at_nul\":\"ab\"}");
	CHECK(!j.err);
	outbuf__free(&b);
	outbuf__free(&want);
}

/*
 * Names that are not UTF-8: U+FFFD in the value, and the exact bytes in
 * hex under "not_utf8", once per object, in the order written.
 */
UNIT_TEST(json_not_utf8)
{
	static const uint8_t comm[16] = "a\\\xff\xe2\x82";
	struct outbuf b = {};
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key_bytes_or_null(&j, "comm", true, comm, sizeof(comm));
	json__key_str_or_null(&j, "unit", "foo\\x2dbar.service");
	json__key_str_or_null(&j, "cgroup", "/a\nb\"c\x80");
	json__key_str_or_null(&j, "pod", NULL);
	json__key_bytes_or_null(&j, "peer_comm", false, comm, sizeof(comm));
	json__key(&j, "rows");
	json__begin_array(&j);
	json__begin_object(&j);
	json__key_bytes_or_null(&j, "comm", true, "\xc0\xaf", 2);
	json__put_not_utf8(&j);
	json__end_object(&j);
	json__begin_object(&j);
	json__key_bytes_or_null(&j, "comm", true, "ok", 2);
	json__put_not_utf8(&j); /* nothing: the last call took the others */
	json__end_object(&j);
	json__end_array(&j);
	json__put_not_utf8(&j);
	json__end_object(&j);
	CHECK_EQ_STR(str(&b),
		     "{\"comm\":\"a\\\\\xef\xbf\xbd\xef\xbf\xbd\","
		     "\"unit\":\"foo\\\\x2dbar.service\","
		     "\"cgroup\":\"/a\\nb\\\"c\xef\xbf\xbd\","
		     "\"pod\":null,\"peer_comm\":null,"
		     "\"rows\":[{\"comm\":\"\xef\xbf\xbd\xef\xbf\xbd\","
		     "\"not_utf8\":{\"comm\":\"c0af\"}},{\"comm\":\"ok\"}],"
		     "\"not_utf8\":{\"comm\":\"615cffe282\","
		     "\"cgroup\":\"2f610a622263"
		     "80\"}}");
	CHECK(!j.err);
	outbuf__free(&b);
}

UNIT_TEST(json_or_null)
{
	static const uint8_t comm[4] = { 'c', 'u', 'r', 'l' }; /* no NUL */
	struct outbuf b = {};
	struct json j;

	json__init(&j, &b);
	json__begin_array(&j);
	json__str_or_null(&j, NULL);
	json__str_or_null(&j, "s");
	json__u64_or_null(&j, false, 5);
	json__u64_or_null(&j, true, 5);
	json__bytes_or_null(&j, false, comm, sizeof(comm));
	json__bytes_or_null(&j, true, comm, sizeof(comm));
	json__end_array(&j);
	CHECK_EQ_STR(str(&b), "[null,\"s\",null,5,null,\"curl\"]");
	CHECK(!j.err);
	outbuf__free(&b);
}

/* Key and value in one call, first member or not. */
UNIT_TEST(json_key_value_macros)
{
	struct outbuf b = {};
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key_u64(&j, "n", 7);
	json__key_str_or_null(&j, "s", "a\"b");
	json__key_str_or_null(&j, "no_s", NULL);
	json__key_u64_or_null(&j, "no_n", false, 1);
	json__key(&j, "inner");
	json__begin_object(&j);
	json__key_bytes_or_null(&j, "bytes", true, "xyz", 2);
	json__key_bytes_or_null(&j, "no_bytes", false, "xyz", 2);
	json__end_object(&j);
	json__key_u64_or_null(&j, "last", true, 0);
	json__end_object(&j);
	CHECK_EQ_STR(str(&b), "{\"n\":7,\"s\":\"a\\\"b\",\"no_s\":null,"
			      "\"no_n\":null,\"inner\":{\"bytes\":\"xy\","
			      "\"no_bytes\":null},\"last\":0}");
	CHECK(!j.err);
	outbuf__free(&b);
}

static const char *seconds(struct outbuf *b, double v)
{
	struct json j;

	b->len = 0;
	json__init(&j, b);
	json__seconds(&j, v);
	return str(b);
}

static const char *milli(struct outbuf *b, uint64_t v)
{
	struct json j;

	b->len = 0;
	json__init(&j, b);
	json__milli(&j, v);
	return str(b);
}

UNIT_TEST(json_numbers)
{
	struct outbuf b = {};

	CHECK_EQ_STR(seconds(&b, 10), "10.0");
	CHECK_EQ_STR(seconds(&b, 2.5), "2.5");
	CHECK_EQ_STR(seconds(&b, 0.1234), "0.123");
	CHECK_EQ_STR(seconds(&b, 0), "0.0");
	CHECK_EQ_STR(seconds(&b, NAN), "0.0");
	CHECK_EQ_STR(seconds(&b, INFINITY), "0.0");
	CHECK_EQ_STR(seconds(&b, -1), "0.0");
	CHECK_EQ_STR(seconds(&b, 1e16), "0.0");
	CHECK_EQ_STR(milli(&b, 1500), "1.500");
	CHECK_EQ_STR(milli(&b, 7), "0.007");
	CHECK_EQ_STR(milli(&b, 123456789), "123456.789");
	outbuf__free(&b);
}

/* Written into by the caller, as format.c does with times and addresses. */
UNIT_TEST(json_raw_and_open_string)
{
	struct outbuf b = {};
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "t");
	json__begin_string(&j);
	format__rfc3339(&b, 0, 5);
	json__end_string(&j);
	json__key(&j, "raw");
	json__raw(&j, "[1,2]", 5);
	json__end_object(&j);
	CHECK_EQ_STR(str(&b), "{\"t\":\"1970-01-01T00:00:00.000000005Z\","
			      "\"raw\":[1,2]}");
	CHECK(!j.err);
	outbuf__free(&b);
}

UNIT_TEST(json_depth_overflow)
{
	enum { DEEP = JSON_MAX_DEPTH + 4 };
	struct outbuf b = {};
	struct json j;
	int i, opens = 0, closes = 0;

	json__init(&j, &b);
	for (i = 0; i < DEEP; i++)
		json__begin_array(&j);
	json__u64(&j, 1);
	for (i = 0; i < DEEP; i++)
		json__end_array(&j);
	CHECK(j.err);
	CHECK_EQ_INT(j.depth, 0);
	for (i = 0; i < (int)b.len; i++) {
		opens += b.data[i] == '[';
		closes += b.data[i] == ']';
	}
	CHECK_EQ_INT(opens, DEEP);
	CHECK_EQ_INT(closes, DEEP);

	/* the levels within the limit still nest right */
	b.len = 0;
	json__init(&j, &b);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json__begin_array(&j);
	json__u64(&j, 1);
	json__u64(&j, 2);
	for (i = 0; i < JSON_MAX_DEPTH - 1; i++) {
		json__end_array(&j);
		json__null(&j);
	}
	json__end_array(&j);
	CHECK_EQ_STR(str(&b), "[[[[[[[[1,2],null],null],null],null],null],"
			      "null],null]");
	CHECK(!j.err);
	outbuf__free(&b);
}

UNIT_TEST(json_misuse_flagged)
{
	struct outbuf b = {};
	struct json j;

	/* closing what was never opened writes nothing */
	json__init(&j, &b);
	json__end_object(&j);
	CHECK(j.err);
	CHECK_EQ_INT(b.len, 0);

	json__init(&j, &b);
	json__key(&j, "top");
	CHECK(j.err);

	json__init(&j, &b);
	json__begin_array(&j);
	json__key(&j, "in_array");
	CHECK(j.err);

	json__init(&j, &b);
	json__begin_object(&j);
	json__u64(&j, 1); /* no key */
	CHECK(j.err);

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "a");
	json__key(&j, "b"); /* a's value missing */
	CHECK(j.err);

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "a");
	json__end_object(&j);
	CHECK(j.err);

	json__init(&j, &b);
	json__begin_array(&j);
	json__end_object(&j);
	CHECK(j.err);
	outbuf__free(&b);
}

/* An outbuf that can no longer grow: nothing is written, nothing breaks. */
UNIT_TEST(json_oom)
{
	struct outbuf b = { .len = SIZE_MAX / 4, .cap = SIZE_MAX / 4 };
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "k");
	json__str(&j, "v\"\\\xff");
	json__key(&j, "n");
	json__u64(&j, 42);
	json__key(&j, "a");
	json__begin_array(&j);
	json__seconds(&j, 1.5);
	json__milli(&j, 1500);
	json__bytes_or_null(&j, true, "x", 1);
	json__end_array(&j);
	json__end_object(&j);
	CHECK(b.oom);
	CHECK(b.data == NULL);
	CHECK(b.len == SIZE_MAX / 4);
	CHECK(!j.err);
	CHECK_EQ_INT(j.depth, 0);
}

static struct ksyms *load_text(const char *text)
{
	char path[256];
	struct ksyms *ks;
	int fd;

	snprintf(path, sizeof(path), "%s/rsttrace-json-XXXXXX",
		 getenv("TMPDIR") ?: "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	ks = ksyms__load_file(path);
	unlink(path);
	return ks;
}

/* The optional members, which come last: kstack, then kernel_reason. */
UNIT_TEST(json_record_kstack_golden)
{
	struct ksyms *ks =
		load_text("ffffffff81000000 T _stext\n"
			  "ffffffff81000100 t bpf_trace_run2\n"
			  "ffffffff81000200 T tcp_reset\n"
			  "ffffffff81000300 t tcp_v4_rcv\n"
			  "ffffffffc0000800 T bpf_prog_1_rst\t[bpf]\n"
			  "ffffffffc0001000 t nft_eval\t[nft_reject]\n");
	struct rst_clock clock = { 0 };
	struct fmt_opts o = { .clock = &clock, .ksyms = ks };
	struct outbuf b = {};
	struct rst_record r = {};

	CHECK(ks != NULL);
	if (!ks)
		return;
	r.ev.ts_ns = 2000000000ULL;
	r.ev.direction = RST_DIR_RECEIVED;
	r.ev.family = AF_INET;
	r.ev.state = 7;
	r.ev.source = RST_SRC_NETFILTER;
	r.kernel_reason = "NOT_SPECIFIED";
	r.kstack_n = 4;
	r.kstack[0] = 0xffffffffc0000810ULL; /* BPF: skipped */
	r.kstack[1] = 0xffffffff81000104ULL; /* trampoline: skipped */
	r.kstack[2] = 0xffffffffc000101aULL;
	r.kstack[3] = 0xffffffff81000310ULL;
	format__json_record(&b, &r, &o);
	o.kernel_reason = true;
	format__json_record(&b, &r, &o);
	CHECK_EQ_STR(
		str(&b),
		"{\"type\":\"reset\",\"time\":\"1970-01-01T00:00:02.000000000Z\","
		"\"direction\":\"received\",\"pid\":null,\"tid\":null,"
		"\"comm\":null,\"uid\":null,\"cgroup_id\":null,\"netns\":null,"
		"\"sock_cookie\":null,\"family\":\"ipv4\",\"laddr\":\"0.0.0.0\","
		"\"lport\":0,\"raddr\":\"0.0.0.0\",\"rport\":0,"
		"\"state\":\"CLOSE\",\"netns_name\":null,\"cgroup\":null,"
		"\"unit\":null,\"container_id\":null,\"container_runtime\":null,"
		"\"pod_uid\":null,\"namespace\":null,\"pod\":null,"
		"\"container\":null,\"reason\":null,\"owner_source\":null,"
		"\"source\":\"netfilter\",\"reason_source\":null,\"cause\":null,"
		"\"errno\":null,\"prev_state\":null,\"age_ms\":null,"
		"\"bytes_sent\":null,\"bytes_acked\":null,"
		"\"bytes_received\":null,\"unread_bytes\":null,"
		"\"unsent_bytes\":null,\"srtt_us\":null,\"retransmits\":null,"
		"\"peer_pid\":null,\"peer_comm\":null,\"idle_ms\":null,"
		"\"closed_ago_ms\":null,\"closed_idle_ms\":null,"
		"\"exit_signal\":null,"
		"\"exit_code\":null,\"oom_killed\":false,"
		"\"listener_pid\":null,\"listener_comm\":null,"
		"\"previous_listener_pid\":null,\"previous_listener_comm\":null,"
		"\"listener_changed_ago_ms\":null,"
		"\"kstack\":[\"nft_eval+0x1a [nft_reject]\",\"tcp_v4_rcv+0x10\"]}\n"
		"{\"type\":\"reset\",\"time\":\"1970-01-01T00:00:02.000000000Z\","
		"\"direction\":\"received\",\"pid\":null,\"tid\":null,"
		"\"comm\":null,\"uid\":null,\"cgroup_id\":null,\"netns\":null,"
		"\"sock_cookie\":null,\"family\":\"ipv4\",\"laddr\":\"0.0.0.0\","
		"\"lport\":0,\"raddr\":\"0.0.0.0\",\"rport\":0,"
		"\"state\":\"CLOSE\",\"netns_name\":null,\"cgroup\":null,"
		"\"unit\":null,\"container_id\":null,\"container_runtime\":null,"
		"\"pod_uid\":null,\"namespace\":null,\"pod\":null,"
		"\"container\":null,\"reason\":null,\"owner_source\":null,"
		"\"source\":\"netfilter\",\"reason_source\":null,\"cause\":null,"
		"\"errno\":null,\"prev_state\":null,\"age_ms\":null,"
		"\"bytes_sent\":null,\"bytes_acked\":null,"
		"\"bytes_received\":null,\"unread_bytes\":null,"
		"\"unsent_bytes\":null,\"srtt_us\":null,\"retransmits\":null,"
		"\"peer_pid\":null,\"peer_comm\":null,\"idle_ms\":null,"
		"\"closed_ago_ms\":null,\"closed_idle_ms\":null,"
		"\"exit_signal\":null,"
		"\"exit_code\":null,\"oom_killed\":false,"
		"\"listener_pid\":null,\"listener_comm\":null,"
		"\"previous_listener_pid\":null,\"previous_listener_comm\":null,"
		"\"listener_changed_ago_ms\":null,"
		"\"kstack\":[\"nft_eval+0x1a [nft_reject]\",\"tcp_v4_rcv+0x10\"],"
		"\"kernel_reason\":\"NOT_SPECIFIED\"}\n");
	/* no frames left: an empty array */
	b.len = 0;
	r.kstack_n = 2;
	format__json_record(&b, &r, &o);
	CHECK(strstr(str(&b), "\"listener_changed_ago_ms\":null,\"kstack\":[],"
			      "\"kernel_reason\":") != NULL);
	ksyms__free(ks);
	outbuf__free(&b);
}
