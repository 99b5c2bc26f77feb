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
#include "features.h"
#include "format.h"
#include "infer.h"
#include "lost.h"
#include "metrics.h"
#include "metrics_http.h"
#include "pipeline.h"
#include "version.h" /* generated: RSTTRACE_VERSION */

#define NS_PER_S 1000000000ULL

struct metrics_sink {
	struct metrics *m;
	struct metrics_server *srv;
	unsigned long long events;
	uint64_t due_ns;
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
	return ms;
}

/* "Which service": a connecting client's remote port, else the local. */
static unsigned int service_port(const struct rst_event *e)
{
	return e->owner_source == RST_OWNER_CONNECT ? e->rport : e->lport;
}

static void metrics_write(void *st, const struct pipe_env *env,
			  const struct rst_record *r)
{
	static const struct rst_identity none;
	const struct rst_identity *id = r->ident ? r->ident : &none;
	struct metrics_sink *ms = st;
	const struct rst_event *e = &r->ev;
	char comm[RST_COMM_LEN + 1] = "";
	struct metrics_labels l;

	if (r->drop)
		return;
	if (e->owner_source != RST_OWNER_NONE)
		snprintf(comm, sizeof(comm), "%.*s", RST_COMM_LEN,
			 (const char *)e->comm);
	l = (struct metrics_labels){
		.direction = format__direction_name(e->direction),
		.reason = r->reason,
		.cause_class = infer__cause_class(r),
		.comm = comm,
		.port = service_port(e),
		.unit = id->unit,
		.namespace = id->k8s_namespace,
		.pod = id->pod,
		.container = id->container,
	};
	metrics__count_reset(ms->m, &l);
	ms->events++;
}

static uint64_t metrics_next_due(void *st)
{
	struct metrics_sink *ms = st;

	return ms->due_ns;
}

/* Totals once a second, as the event loop collects the losses. */
static void metrics_tick(void *st, const struct pipe_env *env, uint64_t now_ns,
			 bool last)
{
	struct metrics_sink *ms = st;

	metrics__set_totals(ms->m, ms->events,
			    env->lost ? lost__total(env->lost) : 0);
	ms->due_ns = now_ns + NS_PER_S;
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
	.close = metrics_close,
};
