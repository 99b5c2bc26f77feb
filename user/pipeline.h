/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A record's path through user space, in the order data flows:
 *
 *   ring -> decode -> enrich -> correlate -> finish -> sinks
 *
 *   decode     the ring's bytes into a struct rst_record, its stack once
 *   enrich     what one record alone tells: the socket's unit, container
 *              and pod; the reason
 *   correlate  hold a moment, so that the two ends of a reset meet
 *   finish     the cause in words, its suffixes and errno, peer known
 *   sinks      where records go: the table or JSON lines, --summary,
 *              --metrics
 *
 * A stage or a sink is a file that defines one struct stage or struct
 * sink, and one line in pipeline.c's tables.
 *
 * Records are numbered as they arrive (rst_record.seq). A stage may hand
 * a record pointers into its own state (the identity stage: its cgroup's
 * names); the pipeline tells it, at each tick, the oldest record that
 * the correlator or a sink may still read, so that it knows what it may
 * free.
 */
#ifndef __PIPELINE_H
#define __PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "record.h"

struct rst_config;
struct infer_opts;
struct ksyms;
struct fmt_opts;
struct output;
struct rst_clock;
struct features;
struct sources;
struct lost;
struct cgnames;

/* What stages and sinks may read; set up before the run, owned by main. */
struct pipe_env {
	const struct rst_config *cfg;
	const struct infer_opts *infer;
	const struct ksyms *ksyms; /* NULL: no symbols (no stacks wanted) */
	const struct fmt_opts *fmt;
	const struct rst_clock *clock;
	struct output *out; /* stdout */
	const struct features *feat; /* what this kernel offers */
	const struct sources *src; /* what is attached */
	const struct lost *lost; /* resets lost so far */
	/* the cgroups' names, which the identity stage keeps; NULL: none */
	struct cgnames *cgnames;
};

struct stage {
	const char *name;
	/* NULL, or false where this run has no use for the stage */
	bool (*wanted)(const struct pipe_env *env);
	/*
	 * NULL, or the stage's state: NULL with errno set on failure (0:
	 * the stage said why itself)
	 */
	void *(*open)(const struct pipe_env *env);
	void (*run)(void *st, const struct pipe_env *env, struct rst_record *r);
	/*
	 * NULL, or time has passed (@now_ns, CLOCK_BOOTTIME) and no record
	 * before @held_seq is read any more
	 */
	void (*tick)(void *st, uint64_t now_ns, uint64_t held_seq);
	void (*close)(void *st);
};

struct sink {
	const char *name;
	bool (*wanted)(const struct pipe_env *env);
	void *(*open)(const struct pipe_env *env);
	void (*write)(void *st, const struct pipe_env *env,
		      const struct rst_record *r);
	/* NULL, or when tick() is next due (CLOCK_BOOTTIME ns) */
	uint64_t (*next_due)(void *st);
	/* time has passed; @last: the run is over, say what is held */
	void (*tick)(void *st, const struct pipe_env *env, uint64_t now_ns,
		     bool last);
	/*
	 * NULL, or the seq of the oldest record whose pointers (into a
	 * stage's state) the sink still holds after write(); UINT64_MAX: none
	 */
	uint64_t (*held_seq)(void *st);
	void (*close)(void *st);
};

extern const struct stage identity_stage;
extern const struct stage reason_stage;
extern const struct stage finish_stage;
extern const struct sink print_sink;
extern const struct sink summary_sink;
extern const struct sink metrics_sink;

struct pipeline;

/* The stages and sinks this run wants; NULL with a message on failure. */
struct pipeline *pipeline__new(const struct pipe_env *env);
void pipeline__free(struct pipeline *p);
/* One ring buffer record; false once the run has what it wants (-n). */
bool pipeline__push(struct pipeline *p, const void *data, size_t size);
/* Time has passed: records whose hold is over move on, sinks tick. */
void pipeline__tick(struct pipeline *p, uint64_t now_ns);
/* When pipeline__tick() is next due; UINT64_MAX when nothing waits. */
uint64_t pipeline__next_due(const struct pipeline *p);
/* The end of the run: every held record moves on, sinks say the rest. */
void pipeline__end(struct pipeline *p);
/* Records that reached the sinks (merged ones not counted). */
unsigned long long pipeline__records(const struct pipeline *p);
/* -n was reached: later records are not reported. */
bool pipeline__count_reached(const struct pipeline *p);

#endif /* __PIPELINE_H */
