// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The stages that work out why: the reason (enrich), the cause (finish). */
#include "infer.h"
#include "ksyms.h"
#include "pipeline.h"

/* Function names of the record's kernel stack, for inference. */
static unsigned int stack_frames(const struct ksyms *ks,
				 const struct rst_record *r,
				 const char **frames)
{
	unsigned int i;
	uint64_t off;

	if (!ks)
		return 0;
	/* return addresses: one byte back is inside the calling function */
	for (i = 0; i < r->kstack_n; i++)
		frames[i] = ksyms__find(ks, r->kstack[i] - (i > 0), &off);
	return r->kstack_n;
}

static void reason_run(void *st, const struct pipe_env *env,
		       struct rst_record *r)
{
	const char *frames[RST_KSTACK_MAX];
	unsigned int n = stack_frames(env->ksyms, r, frames);

	infer__resolve(r, frames, n, env->infer);
}

const struct stage reason_stage = {
	.name = "reason",
	.run = reason_run,
};

static void finish_run(void *st, const struct pipe_env *env,
		       struct rst_record *r)
{
	infer__finish(r, env->infer);
}

const struct stage finish_stage = {
	.name = "cause",
	.run = finish_run,
};
