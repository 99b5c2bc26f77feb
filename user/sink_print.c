// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The sink of one line per reset: the table, or JSON lines (--json). */
#include "args.h"
#include "format.h"
#include "output.h"
#include "pipeline.h"

/* a long burst is written in chunks rather than held */
#define CHUNK (64 << 10)

static bool print_wanted(const struct pipe_env *env)
{
	return !env->cfg->summary_s && !env->cfg->quiet;
}

static void print_write(void *st, const struct pipe_env *env,
			const struct rst_record *r)
{
	struct output *o = env->out;

	if (!output__room(o))
		return;
	do {
		output__begin(o);
		if (env->cfg->json)
			format__json_record(&o->buf, r, env->fmt);
		else
			format__table_record(&o->buf, r, env->fmt);
	} while (!output__end(o));
	/* a reader gone is noticed by the event loop: o->closed */
	if (o->buf.len > CHUNK)
		output__flush(o);
}

const struct sink print_sink = {
	.name = "output",
	.wanted = print_wanted,
	.write = print_write,
};
