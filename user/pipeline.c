// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "clock.h"
#include "correlate.h"
#include "decode.h"
#include "pipeline.h"

/* how long a record waits for the other end of its reset */
#define HOLD_NS (100 * 1000000ULL)
#define MAX_PENDING 4096
#define MAX_STEPS 8

/* Before correlation, in order: each sees one record alone. */
static const struct stage *const enrich_stages[] = {
	&identity_stage,
	&reason_stage,
};

/* After correlation, in order: the record knows its peer. */
static const struct stage *const finish_stages[] = {
	&finish_stage,
};

/* Each record goes to every sink this run wants. */
static const struct sink *const sinks[] = {
	&print_sink,
	&summary_sink,
	&metrics_sink,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct step {
	const struct stage *stage;
	void *st;
};

struct sink_step {
	const struct sink *sink;
	void *st;
};

struct pipeline {
	const struct pipe_env *env;
	struct correlator *corr;
	struct step enrich[MAX_STEPS], finish[MAX_STEPS];
	struct sink_step sinks[MAX_STEPS];
	unsigned int nenrich, nfinish, nsinks;
	uint64_t pushed; /* the last record's seq */
	unsigned long long records;
	bool count_reached;
};

_Static_assert(ARRAY_SIZE(enrich_stages) <= MAX_STEPS &&
		       ARRAY_SIZE(finish_stages) <= MAX_STEPS &&
		       ARRAY_SIZE(sinks) <= MAX_STEPS,
	       "pipeline tables");

static void run_steps(const struct step *s, unsigned int n,
		      const struct pipe_env *env, struct rst_record *r)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		s[i].stage->run(s[i].st, env, r);
}

/* A record leaves the correlator: finish it, hand it to the sinks. */
static void pipeline__emit(void *ctx, struct rst_record *r)
{
	struct pipeline *p = ctx;
	unsigned long long count = p->env->cfg->count;
	unsigned int i;

	if (p->count_reached)
		return;
	run_steps(p->finish, p->nfinish, p->env, r);
	for (i = 0; i < p->nsinks; i++)
		p->sinks[i].sink->write(p->sinks[i].st, p->env, r);
	p->records++;
	if (count && p->records >= count)
		p->count_reached = true;
}

bool pipeline__push(struct pipeline *p, const void *data, size_t size)
{
	struct rst_record r;

	if (!decode__record(&r, data, size))
		return !p->count_reached;
	r.seq = ++p->pushed;
	run_steps(p->enrich, p->nenrich, p->env, &r);
	correlator__add(p->corr, &r, clock__boot_ns());
	return !p->count_reached;
}

/*
 * The oldest record the correlator or a sink still reads; with none, the
 * next to come (which a stage must not take for one that has left).
 */
static uint64_t held_seq(const struct pipeline *p)
{
	uint64_t seq = p->pushed + 1, s = correlator__held_seq(p->corr);
	unsigned int i;

	if (s < seq)
		seq = s;
	for (i = 0; i < p->nsinks; i++) {
		const struct sink *k = p->sinks[i].sink;

		s = k->held_seq ? k->held_seq(p->sinks[i].st) : UINT64_MAX;
		if (s < seq)
			seq = s;
	}
	return seq;
}

static void tick_steps(const struct step *s, unsigned int n, uint64_t now_ns,
		       uint64_t held)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (s[i].stage->tick)
			s[i].stage->tick(s[i].st, now_ns, held);
}

void pipeline__tick(struct pipeline *p, uint64_t now_ns)
{
	unsigned int i;
	uint64_t due, held;

	correlator__flush(p->corr, now_ns, false);
	for (i = 0; i < p->nsinks; i++) {
		const struct sink *k = p->sinks[i].sink;

		due = k->next_due ? k->next_due(p->sinks[i].st) : UINT64_MAX;
		if (due <= now_ns)
			k->tick(p->sinks[i].st, p->env, now_ns, false);
	}
	/* after the flush and the sinks: what they let go is let go */
	held = held_seq(p);
	tick_steps(p->enrich, p->nenrich, now_ns, held);
	tick_steps(p->finish, p->nfinish, now_ns, held);
}

uint64_t pipeline__next_due(const struct pipeline *p)
{
	uint64_t due = correlator__next_due(p->corr), d;
	unsigned int i;

	for (i = 0; i < p->nsinks; i++) {
		const struct sink *k = p->sinks[i].sink;

		d = k->next_due ? k->next_due(p->sinks[i].st) : UINT64_MAX;
		if (d < due)
			due = d;
	}
	return due;
}

void pipeline__end(struct pipeline *p)
{
	unsigned int i;

	correlator__flush(p->corr, 0, true);
	for (i = 0; i < p->nsinks; i++)
		if (p->sinks[i].sink->tick)
			p->sinks[i].sink->tick(p->sinks[i].st, p->env,
					       clock__boot_ns(), true);
}

unsigned long long pipeline__records(const struct pipeline *p)
{
	return p->records;
}

bool pipeline__count_reached(const struct pipeline *p)
{
	return p->count_reached;
}

/* 1: not wanted in this run, 0: *st is its state, -1: failed (said). */
static int open_step(const char *name,
		     bool (*wanted)(const struct pipe_env *env),
		     void *(*open)(const struct pipe_env *env),
		     const struct pipe_env *env, void **st)
{
	if (wanted && !wanted(env))
		return 1;
	errno = ENOMEM;
	*st = open ? open(env) : NULL;
	if (open && !*st && errno) {
		fprintf(stderr, "rsttrace: cannot set up %s: %s\n", name,
			strerror(errno));
		return -1;
	}
	if (open && !*st)
		return -1;
	return 0;
}

static int open_stages(const struct stage *const *table, unsigned int n,
		       struct step *steps, unsigned int *nsteps,
		       const struct pipe_env *env)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		struct step *st = &steps[*nsteps];

		err = open_step(table[i]->name, table[i]->wanted,
				table[i]->open, env, &st->st);
		if (err < 0)
			return err;
		if (!err)
			steps[(*nsteps)++].stage = table[i];
	}
	return 0;
}

static int open_sinks(struct pipeline *p)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(sinks); i++) {
		struct sink_step *st = &p->sinks[p->nsinks];

		err = open_step(sinks[i]->name, sinks[i]->wanted,
				sinks[i]->open, p->env, &st->st);
		if (err < 0)
			return err;
		if (!err)
			p->sinks[p->nsinks++].sink = sinks[i];
	}
	return 0;
}

struct pipeline *pipeline__new(const struct pipe_env *env)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p) {
		fprintf(stderr, "rsttrace: out of memory\n");
		return NULL;
	}
	p->env = env;
	p->corr = correlator__new(HOLD_NS, MAX_PENDING, pipeline__emit, p);
	if (!p->corr) {
		fprintf(stderr, "rsttrace: out of memory\n");
		pipeline__free(p);
		return NULL;
	}
	if (open_stages(enrich_stages, ARRAY_SIZE(enrich_stages), p->enrich,
			&p->nenrich, env) ||
	    open_stages(finish_stages, ARRAY_SIZE(finish_stages), p->finish,
			&p->nfinish, env) ||
	    open_sinks(p)) {
		pipeline__free(p);
		return NULL;
	}
	return p;
}

static void close_steps(struct step *s, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (s[i].stage->close)
			s[i].stage->close(s[i].st);
}

void pipeline__free(struct pipeline *p)
{
	unsigned int i;

	if (!p)
		return;
	correlator__free(p->corr);
	close_steps(p->enrich, p->nenrich);
	close_steps(p->finish, p->nfinish);
	for (i = 0; i < p->nsinks; i++)
		if (p->sinks[i].sink->close)
			p->sinks[i].sink->close(p->sinks[i].st);
	free(p);
}
