// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --metrics: every record counted under its labels, served to Prometheus
 * by metrics_http.c's thread, which reads struct metrics and nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "cgnames.h"
#include "features.h"
#include "format.h"
#include "hash.h"
#include "infer.h"
#include "lost.h"
#include "metrics.h"
#include "metrics_http.h"
#include "output.h"
#include "pipeline.h"
#include "version.h" /* generated: RSTTRACE_VERSION */

#define NS_PER_S 1000000000ULL

/*
 * Resets counted here first, by their labels' raw fields, and handed to
 * struct metrics once a second: the registry renders and hashes the label
 * text under its lock, about 340 ns a record, where a storm has 1 us.
 * The strings are the stages' and rsttrace's own, which live as long as
 * the run, so their pointers are the key; the comm is copied.
 */
#define PENDING_SLOTS 1024 /* a power of two */

struct pending {
	unsigned long long n; /* 0: a free slot */
	const char *direction, *reason, *cause_class;
	const char *unit, *k8s_namespace, *pod, *container;
	unsigned int port;
	char comm[RST_COMM_LEN + 1];
};

struct metrics_sink {
	struct metrics *m;
	struct metrics_server *srv;
	unsigned long long events;
	uint64_t due_ns;
	/* the first record pending since the last flush, UINT64_MAX: none */
	uint64_t held_seq;
	unsigned int npending;
	struct pending pending[PENDING_SLOTS];
};

static bool metrics_wanted(const struct pipe_env *env)
{
	return env->cfg->metrics;
}

/* What can be seen on this kernel, as the start-up lines say it. */
static int set_sources(struct metrics *m, const struct pipe_env *env)
{
	const struct features *f = env->feat;
	const struct sources *s = env->src;

	if (!f || !s)
		return 0;
	return metrics__set_source(m, "no_socket",
				   f->send_reset_nosock || s->nosock_probe) ||
	       metrics__set_source(m, "netfilter", s->netfilter) ||
	       metrics__set_source(m, "acceptor", s->acceptor != 0) ||
	       metrics__set_source(m, "kernel_reasons", f->send_reset_reason) ||
	       metrics__set_source(m, "socket_storage", !s->legacy_owners);
}

/* Where to scrape: --metrics's address with the port it got (port 0). */
static void say_where(const char *listen, unsigned int port)
{
	const char *colon = strrchr(listen, ':');
	int hostlen = colon ? (int)(colon - listen) : 0;

	if (!hostlen)
		fprintf(stderr,
			"rsttrace: metrics at http://*:%u/metrics (port %u, "
			"every address)\n",
			port, port);
	else
		fprintf(stderr,
			"rsttrace: metrics at http://%.*s:%u/metrics (port %u)\n",
			hostlen, listen, port, port);
}

static void *metrics_open(const struct pipe_env *env)
{
	struct metrics_sink *ms = calloc(1, sizeof(*ms));
	struct utsname u;
	char err[512];

	if (!ms)
		return NULL;
	ms->m = metrics__new(env->cfg->metrics_max_series);
	if (!ms->m || set_sources(ms->m, env)) {
		metrics__free(ms->m);
		free(ms);
		errno = ENOMEM;
		return NULL;
	}
	uname(&u);
	metrics__set_build_info(ms->m, RSTTRACE_VERSION,
				libbpf_version_string(), u.release);
	ms->srv = metrics_server__start(env->cfg->metrics, ms->m, err,
					sizeof(err));
	if (!ms->srv) {
		fprintf(stderr, "%s\n", err);
		metrics__free(ms->m);
		free(ms);
		errno = 0; /* said */
		return NULL;
	}
	say_where(env->cfg->metrics, metrics_server__port(ms->srv));
	ms->held_seq = UINT64_MAX;
	return ms;
}

/* "Which service": a connecting client's remote port, else the local. */
static unsigned int service_port(const struct rst_event *e)
{
	return e->owner_source == RST_OWNER_CONNECT ? e->rport : e->lport;
}

static uint64_t pending_hash(const struct pending *k)
{
	uint64_t h = hash__mix(0, (uintptr_t)k->reason ^ k->port);
	uint64_t c[2];

	memcpy(c, k->comm, sizeof(c));
	h = hash__mix(h, (uintptr_t)k->direction ^
				 ((uintptr_t)k->cause_class << 1));
	h = hash__mix(h, (uintptr_t)k->unit ^ ((uintptr_t)k->pod << 1));
	h = hash__mix(h, (uintptr_t)k->k8s_namespace ^
				 ((uintptr_t)k->container << 1));
	return hash__mix(hash__mix(h, c[0]), c[1]);
}

static bool pending_eq(const struct pending *a, const struct pending *b)
{
	return a->reason == b->reason && a->port == b->port &&
	       a->direction == b->direction &&
	       a->cause_class == b->cause_class && a->unit == b->unit &&
	       a->pod == b->pod && a->k8s_namespace == b->k8s_namespace &&
	       a->container == b->container &&
	       !memcmp(a->comm, b->comm, sizeof(a->comm));
}

/* Every pending count into struct metrics. */
static void pending_flush(struct metrics_sink *ms)
{
	struct metrics_labels l;
	unsigned int i;

	for (i = 0; i < PENDING_SLOTS && ms->npending; i++) {
		struct pending *p = &ms->pending[i];

		if (!p->n)
			continue;
		l = (struct metrics_labels){
			.direction = p->direction,
			.reason = p->reason,
			.cause_class = p->cause_class,
			.comm = p->comm,
			.port = p->port,
			.unit = p->unit,
			.namespace = p->k8s_namespace,
			.pod = p->pod,
			.container = p->container,
		};
		metrics__count_resets(ms->m, &l, p->n);
		p->n = 0;
		ms->npending--;
	}
	ms->held_seq = UINT64_MAX;
}

/* The record's labels, as raw fields. */
static void pending_key(struct pending *k, const struct rst_record *r)
{
	static const struct rst_identity none;
	const struct rst_identity *id = r->ident ? r->ident : &none;
	const struct rst_event *e = &r->ev;

	memset(k, 0, sizeof(*k));
	k->direction = format__direction_name(e->direction);
	k->reason = r->reason;
	k->cause_class = infer__cause_class(r);
	k->port = service_port(e);
	k->unit = id->unit;
	k->k8s_namespace = id->k8s_namespace;
	k->pod = id->pod;
	k->container = id->container;
	if (e->owner_source != RST_OWNER_NONE)
		memcpy(k->comm, e->comm,
		       strnlen((const char *)e->comm, RST_COMM_LEN));
}

static void metrics_write(void *st, const struct pipe_env *env,
			  const struct rst_record *r)
{
	struct metrics_sink *ms = st;
	struct pending k, *p;
	unsigned int i;

	if (r->drop)
		return;
	pending_key(&k, r);
	/* half full: hand them over now rather than probe long runs */
	if (ms->npending >= PENDING_SLOTS / 2)
		pending_flush(ms);
	i = pending_hash(&k) & (PENDING_SLOTS - 1);
	for (p = &ms->pending[i]; p->n && !pending_eq(p, &k);
	     p = &ms->pending[i])
		i = (i + 1) & (PENDING_SLOTS - 1);
	if (!p->n) {
		*p = k;
		/* the strings of every later record pending are newer */
		if (!ms->npending++)
			ms->held_seq = r->seq;
	}
	p->n++;
	ms->events++;
}

static uint64_t metrics_next_due(void *st)
{
	struct metrics_sink *ms = st;

	return ms->due_ns;
}

/* Counts and totals once a second (the event loop collects the losses). */
static void metrics_tick(void *st, const struct pipe_env *env, uint64_t now_ns,
			 bool last)
{
	struct metrics_sink *ms = st;
	struct cgnames_stats cg;

	pending_flush(ms);
	metrics_server__reap(ms->srv);
	if (env->cgnames) {
		cgnames__stats(env->cgnames, &cg);
		metrics__set_cgroups(ms->m, &cg);
	}
	metrics__set_totals(ms->m, ms->events,
			    env->lost ? lost__total(env->lost) : 0,
			    env->out ? env->out->dropped + env->out->unwritten :
				       0);
	ms->due_ns = now_ns + NS_PER_S;
}

static uint64_t metrics_held_seq(void *st)
{
	const struct metrics_sink *ms = st;

	return ms->held_seq;
}

static void metrics_close(void *st)
{
	struct metrics_sink *ms = st;

	metrics_server__stop(ms->srv);
	metrics__free(ms->m);
	free(ms);
}

const struct sink metrics_sink = {
	.name = "metrics",
	.wanted = metrics_wanted,
	.open = metrics_open,
	.write = metrics_write,
	.next_due = metrics_next_due,
	.tick = metrics_tick,
	.held_seq = metrics_held_seq,
	.close = metrics_close,
};
