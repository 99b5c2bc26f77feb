/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What rsttrace says about itself: -V, the start-up lines, resets lost
 * (in-band and on stderr), and at exit what the bounded tables forgot.
 */
#ifndef __REPORT_H
#define __REPORT_H

#include "lost.h"

struct cgnames;
struct rst_config;
struct features;
struct fmt_opts;
struct loader;
struct output;
struct reasons;

/* -V: what this kernel offers (detection, nothing loaded). */
void report__version(const struct rst_config *cfg, const struct features *f,
		     const struct reasons *reasons);
/* Before "Tracing": what is attached, and the tables' sizes. */
void report__startup(const struct loader *l);

/* Resets lost so far; owned by main, passed to report__lost(). */
struct lost_reporter {
	const struct rst_config *cfg;
	const struct loader *ld;
	const struct reasons *reasons;
	const struct fmt_opts *fmt;
	struct output *out;
	struct lost *lost; /* what of the "lost" map has been reported */
	unsigned long long seen; /* lost + skipped + unreadable, last look */
	unsigned long long ring_seen; /* RST_CNT_LOST at the last report */
};

/* New losses since the last call: JSON "lost" records and stderr. */
void report__lost(struct lost_reporter *lr);
/* At exit, once detached: what the tables forgot, owners missed. */
void report__tables(const struct loader *l);
/* At exit: what the table of cgroup names let go, if anything (or NULL). */
void report__cgroups(const struct cgnames *n);

#endif /* __REPORT_H */
