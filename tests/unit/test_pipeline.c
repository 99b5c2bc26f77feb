// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The record's path: ring bytes decoded (with and without a stack), then
 * through the pipeline to the JSON sink, finished after correlation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "args.h"
#include "clock.h"
#include "decode.h"
#include "format.h"
#include "infer.h"
#include "output.h"
#include "pipeline.h"
#include "tcp_state.h"
#include "unit.h"

UNIT_TEST(decode_sizes_and_stacks)
{
	struct rst_stack_record sr = {};
	struct rst_record r;

	sr.ev.pid = 42;
	sr.ev.kstack_n = 3;
	sr.kstack[0] = 0xffffffff81000010ULL;
	sr.kstack[2] = 0xffffffff81000030ULL;
	CHECK(!decode__record(&r, &sr, sizeof(sr.ev) - 1));
	/* a record without room for a stack has none, whatever it says */
	CHECK(decode__record(&r, &sr, sizeof(sr.ev)));
	CHECK_EQ_INT(r.ev.pid, 42);
	CHECK_EQ_INT(r.kstack_n, 0);
	CHECK(decode__record(&r, &sr, sizeof(sr)));
	CHECK_EQ_INT(r.kstack_n, 3);
	CHECK(r.kstack[0] == sr.kstack[0] && r.kstack[2] == sr.kstack[2]);
	/* more frames than a record holds: none rather than past the end */
	sr.ev.kstack_n = RST_KSTACK_MAX + 1;
	CHECK(decode__record(&r, &sr, sizeof(sr)));
	CHECK_EQ_INT(r.kstack_n, 0);
}

static struct rst_event refused(uint16_t lport)
{
	struct rst_event e = {
		.direction = RST_DIR_RECEIVED,
		.state = RST_TCP_SYN_SENT,
		.owner_source = RST_OWNER_CONNECT,
		.family = AF_INET,
		.pid = 7,
		.lport = lport,
		.rport = 9,
		.reason = RST_REASON_NONE,
		.comm = "client",
	};

	return e;
}

struct run {
	struct rst_config cfg;
	struct infer_opts infer;
	struct fmt_opts fmt;
	struct rst_clock clock;
	struct output out;
	struct pipe_env env;
	FILE *f;
};

static void run_open(struct run *u, unsigned long long count)
{
	memset(u, 0, sizeof(*u));
	u->cfg.json = true;
	u->cfg.count = count;
	u->f = tmpfile();
	u->out.fd = fileno(u->f);
	clock__refresh(&u->clock);
	u->fmt.clock = &u->clock;
	u->env = (struct pipe_env){ .cfg = &u->cfg, .infer = &u->infer,
				    .fmt = &u->fmt, .clock = &u->clock,
				    .out = &u->out };
}

/* What the sinks wrote, NUL-terminated; the caller frees it. */
static char *run_output(struct run *u)
{
	char *buf = calloc(1, 1 << 16);
	size_t n;

	output__flush(&u->out);
	rewind(u->f);
	n = fread(buf, 1, (1 << 16) - 1, u->f);
	buf[n] = '\0';
	fclose(u->f);
	outbuf__free(&u->out.buf);
	return buf;
}

UNIT_TEST(pipeline_finishes_and_counts)
{
	struct rst_event e1 = refused(40001), e2 = refused(40002);
	struct pipeline *p;
	struct run u;
	char *out;

	run_open(&u, 1);
	p = pipeline__new(&u.env);
	CHECK(p != NULL);
	if (!p)
		return;
	/* held for correlation: nothing written before the end */
	CHECK(pipeline__push(p, &e1, sizeof(e1)));
	CHECK(pipeline__next_due(p) != UINT64_MAX);
	/* a short record is not one */
	CHECK(pipeline__push(p, &e2, sizeof(e2) - 8));
	CHECK(pipeline__push(p, &e2, sizeof(e2)));
	pipeline__end(p);
	CHECK_EQ_INT(pipeline__records(p), 1);
	CHECK(pipeline__count_reached(p));
	CHECK(!pipeline__push(p, &e1, sizeof(e1)));
	pipeline__free(p);
	out = run_output(&u);
	/* finished after correlation: cause and errno are in the record */
	CHECK(strstr(out, "\"lport\":40001") != NULL);
	CHECK(strstr(out, "\"cause\":\"peer refused connection\"") != NULL);
	CHECK(strstr(out, "\"errno\":\"ECONNREFUSED\"") != NULL);
	CHECK(strstr(out, "\"lport\":40002") == NULL);
	CHECK_EQ_INT(strchr(out, '\n') - out + 1, strlen(out));
	free(out);
}

UNIT_TEST(pipeline_summary_sink)
{
	struct rst_event e = refused(40003);
	struct pipeline *p;
	struct run u;
	char *out;

	run_open(&u, 0);
	u.cfg.summary_s = 3600;
	p = pipeline__new(&u.env);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK(pipeline__push(p, &e, sizeof(e)));
	CHECK(pipeline__push(p, &e, sizeof(e)));
	pipeline__end(p);
	pipeline__free(p);
	out = run_output(&u);
	/* one summary line instead of a line per reset */
	CHECK(strncmp(out, "{\"type\":\"summary\"", 17) == 0);
	CHECK(strstr(out, "\"total\":2") != NULL);
	CHECK(strstr(out, "\"type\":\"reset\"") == NULL);
	free(out);
}
