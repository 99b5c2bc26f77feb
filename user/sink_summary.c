// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --summary: resets counted over an interval instead of one line each. */
#include <stdlib.h>
#include <time.h>
#include "args.h"
#include "clock.h"
#include "format.h"
#include "output.h"
#include "pipeline.h"
#include "summary.h"

#define NS_PER_S 1000000000ULL

struct summary_sink {
	struct summary *s;
	uint64_t start_ns; /* of this interval */
	uint64_t due_ns;
};

static bool summary_wanted(const struct pipe_env *env)
{
	return env->cfg->summary_s;
}

static void *summary_open(const struct pipe_env *env)
{
	struct summary_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->s = summary__new_by(env->cfg->summary_by);
	if (!ss->s) {
		free(ss);
		return NULL;
	}
	ss->start_ns = clock__boot_ns();
	ss->due_ns = ss->start_ns + env->cfg->summary_s * NS_PER_S;
	return ss;
}

static void summary_write(void *st, const struct pipe_env *env,
			  const struct rst_record *r)
{
	struct summary_sink *ss = st;

	summary__add(ss->s, r);
}

static uint64_t summary_next_due(void *st)
{
	struct summary_sink *ss = st;

	return ss->due_ns;
}

static void print_interval(struct summary_sink *ss, const struct pipe_env *env,
			   double interval_s)
{
	struct timespec ts = clock__to_real(env->clock, clock__boot_ns());
	struct output *o = env->out;
	struct outbuf tb = {};
	char title[64];
	struct tm tm;

	if (env->cfg->json) {
		format__rfc3339(&tb, ts.tv_sec, ts.tv_nsec);
		outbuf__putc(&tb, '\0');
	} else {
		localtime_r(&ts.tv_sec, &tm);
		strftime(title, sizeof(title), "%Y-%m-%d %H:%M:%S", &tm);
	}
	do {
		if (!output__room(o))
			break;
		output__begin(o);
		if (env->cfg->json)
			summary__print_json(ss->s, &o->buf,
					    tb.data && !tb.oom ? tb.data : "",
					    interval_s);
		else
			summary__print_table(ss->s, &o->buf, title);
	} while (!output__end(o));
	outbuf__free(&tb);
	summary__reset(ss->s);
}

static void summary_tick(void *st, const struct pipe_env *env, uint64_t now_ns,
			 bool last)
{
	struct summary_sink *ss = st;
	double interval = (double)(now_ns - ss->start_ns) / NS_PER_S;

	if (!last)
		interval = (double)env->cfg->summary_s;
	/* the last interval is cut short; never report it as 0 */
	print_interval(ss, env, interval < 0.001 ? 0.001 : interval);
	ss->start_ns = now_ns;
	ss->due_ns = now_ns + env->cfg->summary_s * NS_PER_S;
}

static void summary_close(void *st)
{
	struct summary_sink *ss = st;

	summary__free(ss->s);
	free(ss);
}

const struct sink summary_sink = {
	.name = "summary",
	.wanted = summary_wanted,
	.open = summary_open,
	.write = summary_write,
	.next_due = summary_next_due,
	.tick = summary_tick,
	.close = summary_close,
};
