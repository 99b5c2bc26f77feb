/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Prometheus metrics: reset counters by label set, and the exposition of
 * them in the text format 0.0.4. The main thread counts, the HTTP thread
 * (metrics_http.h) renders: every call takes the mutex inside.
 */
#ifndef __METRICS_H
#define __METRICS_H

#include <stdbool.h>
#include "outbuf.h"

struct metrics_labels {
	const char *direction; /* "sent" | "received" */
	const char *reason; /* may be NULL -> "" */
	const char *cause_class; /* short fixed vocabulary, may be NULL */
	/* process name: arbitrary bytes from other users (NUL-terminated,
	 * may be non-UTF-8) */
	const char *comm;
	unsigned int port; /* 0 -> "" */
	const char *unit, *namespace, *pod, *container; /* NULL -> "" */
};

struct metrics;

/* NULL + errno (EINVAL for @max_series 0, ENOMEM). */
struct metrics *metrics__new(unsigned int max_series);
void metrics__free(struct metrics *m);

/*
 * One reset. Past max_series distinct label sets, it counts in one
 * overflow series whose labels are all "other" (that series is within
 * the max: at most max_series series in all), and
 * rsttrace_metrics_series_dropped_total counts each reset that went
 * there. O(1) average (hash table).
 *
 * The overflow series has its slot reserved from the start, so that the
 * bound holds whenever it appears: max_series - 1 label sets have series
 * of their own, and every further one shares the "other" series. A reset
 * that finds no memory for a new series goes there too.
 */
void metrics__count_reset(struct metrics *m, const struct metrics_labels *l);
/* @n resets of one label set at once. */
void metrics__count_resets(struct metrics *m, const struct metrics_labels *l,
			   unsigned long long n);

/*
 * totals set by the caller from its own counters: records reported, lost
 * in the ring buffer, and reported but not written to the output
 */
void metrics__set_totals(struct metrics *m, unsigned long long events,
			 unsigned long long lost,
			 unsigned long long unwritten);
struct cgnames_stats;
/* The table of cgroup names (cgnames.h), for rsttrace_cgroups and co. */
void metrics__set_cgroups(struct metrics *m, const struct cgnames_stats *st);
void metrics__set_build_info(struct metrics *m, const char *version,
			     const char *libbpf, const char *kernel);
/*
 * rsttrace_source_visible{source="..."} 1 or 0; call once per source at
 * start (a second call for the same source updates it). 0 or -ENOMEM.
 */
int metrics__set_source(struct metrics *m, const char *source, bool visible);

/*
 * The whole exposition (text format 0.0.4) into @b; thread-safe against
 * the calls above (a mutex inside struct metrics: the HTTP thread renders
 * while the main thread counts). Families without samples are left out.
 * @b->oom says the text is incomplete.
 */
void metrics__render(struct metrics *m, struct outbuf *b);

/* Descriptors this process has open; -1 without /proc. */
long metrics__open_fds(void);

/*
 * Label value @s (NULL: "") as it goes between the quotes: see metrics.c
 * for what is normalised. For the tests, and for anyone who must find a
 * series by its labels.
 */
void metrics__put_label_value(struct outbuf *b, const char *s);

#endif /* __METRICS_H */
