/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __ARGS_H
#define __ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rsttrace.h"

/* What the user asked for, as parsed from the command line. */
struct rst_config {
	bool json;
	bool timestamp; /* -T */
	bool wide; /* -w */
	bool verbose; /* -v */
	bool version; /* -V */
	uint16_t family; /* 0, AF_INET or AF_INET6 */
	uint8_t direction; /* 0 or enum rst_direction */
	unsigned int npids;
	uint32_t pids[RST_MAX_PIDS];
	unsigned int nlports, nrports, nports;
	uint16_t lports[RST_MAX_PORTS];
	uint16_t rports[RST_MAX_PORTS];
	uint16_t ports[RST_MAX_PORTS];
	const char *cgroup; /* -c PATH */
	unsigned long duration_s; /* 0: until stopped */
	unsigned long long count; /* 0: unlimited */
	unsigned long ringbuf_size; /* bytes, 0: sized for this host */
	uint32_t acceptor; /* --acceptor: enum rst_acceptor_hook, 0: auto */
	uint32_t tw_owners; /* hidden --tw-owners: table size, 0: host's */
	bool kstack; /* --kstack */
	bool infer_reasons; /* hidden --infer-reasons: ignore the kernel's */
	bool legacy_owners; /* hidden: the < 5.11 owner store, for tests */
	unsigned long summary_s; /* --summary interval, 0: events */
	uint8_t summary_by; /* --by: enum rst_summary_by */
	/* --unit, --container, --pod: at most one of them and -c */
	const char *unit, *container, *pod;
	const char *k8s_logs; /* --k8s-logs DIR: the kubelet's logs' root */
	const char *metrics; /* --metrics [ADDR:]PORT, NULL: none */
	unsigned int metrics_max_series;
	bool quiet; /* --quiet: no records on stdout (metrics only) */
	const char *output; /* -o FILE, NULL: stdout */
	unsigned long output_max_size; /* --output-max-size, 0: never */
	unsigned int output_keep; /* --output-keep: FILE.1 ... FILE.N */
	const char *user; /* -Z USER: run as USER once attached */
};

#define RST_OUTPUT_KEEP_DEFAULT 5
#define RST_OUTPUT_KEEP_MAX 1000

enum rst_summary_by {
	RST_BY_COMM = 0,
	RST_BY_UNIT,
	RST_BY_POD,
};

#define RST_K8S_LOGS_DEFAULT "/var/log"
#define RST_METRICS_MAX_SERIES_DEFAULT 2000

#define RST_SUMMARY_DEFAULT_S 10

/* The ring buffer, when --ringbuf-size is not given: RST_RINGBUF_PER_CPU
 * per possible CPU, rounded up to a power of two, within these bounds. */
#define RST_RINGBUF_MIN (4UL << 20)
#define RST_RINGBUF_MAX (64UL << 20)
#define RST_RINGBUF_PER_CPU (2UL << 20)

/* The default ring buffer size for @ncpus CPUs. */
unsigned long args__ringbuf_default(int ncpus);

/*
 * Parse argv into @cfg. Returns 0 to go on, 1 when the program should exit
 * successfully (--help, --usage) and -1 on a bad argument, after printing a
 * message that names it on stderr.
 */
int args__parse(int argc, char **argv, struct rst_config *cfg);

/* Add a comma-separated list of numbers in [min, max] to the @n already in
 * @out (a value already there is not added again); -1 on error, with a
 * message naming the bad element written to @err. */
int args__parse_list(const char *arg, unsigned long min, unsigned long max,
		     void *out, size_t elem_size, unsigned int max_elems,
		     unsigned int *n, char *err, size_t errlen);

/* Parse a size with an optional K, M or G suffix. */
int args__parse_size(const char *arg, unsigned long *out);

#endif /* __ARGS_H */
