/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The BPF side's life cycle, in named steps:
 *
 *   loader__open()    open the object and configure it for this kernel
 *   loader__load()    load; optional programs the kernel refuses are left
 *                     out (reopened without them), required ones fail
 *                     it; then the filters' lists into their maps
 *   loader__attach()  the required programs through the skeleton, then
 *                     every optional probe, recording what attached
 *   loader__seed()    owners of the sockets that existed before
 *   loader__detach()  no more writers: the tables hold still
 *   loader__close()
 *
 * Detection (struct features: what this kernel offers) is an input; what
 * is attached now is the output (struct sources).
 */
#ifndef __LOADER_H
#define __LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include "features.h"
#include "rsttrace.h"
#include "tables.h"

struct rst_config;
struct rsttrace_bpf;

struct loader {
	const struct rst_config *cfg;
	const struct features *feat;
	uint64_t cgroup_id; /* -c, resolved before opening */
	bool want_stacks;
	struct rsttrace_bpf *skel;
	struct table_sizes tables;
	uint32_t hooks; /* acceptor hooks chosen for this load */
	uint32_t refused; /* bits of loader.c's probes[]: the kernel refused */
	uint32_t refused_hooks; /* ... their acceptor hooks */
	bool standin_tried; /* the set_state stand-in, once it was needed */
	struct sources src;
};

/* libbpf's messages: all of them with -v, none otherwise. */
void loader__set_print(bool verbose);
int loader__open(struct loader *l);
int loader__load(struct loader *l);
int loader__attach(struct loader *l);
/* Owners of existing sockets; a failure costs them, not the run. */
void loader__seed(struct loader *l);
void loader__detach(struct loader *l);
void loader__close(struct loader *l);

/*
 * The kernel skipped handle_set_state: its stand-in runs beside it from
 * now on. Called once a second; does something only the first time.
 */
void loader__check_set_state(struct loader *l);
/*
 * What would otherwise be attached later, attached now: -Z leaves no
 * privilege to attach anything once the run has started.
 */
void loader__attach_late(struct loader *l);
/* Whether the maps can still be read (a lookup): 0 or -errno. */
int loader__can_read(void *ctx);
/* A per-CPU counter (enum rst_counter), summed. */
unsigned long long loader__counter(const struct loader *l, uint32_t idx);
/*
 * Runs of the reset programs the kernel skipped, less those their
 * stand-ins reported: resets nobody saw.
 */
unsigned long long loader__reset_misses(const struct loader *l);
/* Runs of the owner-keeping programs the kernel skipped (not covered). */
unsigned long long loader__owner_misses(const struct loader *l);

#endif /* __LOADER_H */
