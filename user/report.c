// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "cgnames.h"
#include "clock.h"
#include "features.h"
#include "format.h"
#include "json.h"
#include "loader.h"
#include "output.h"
#include "reasons.h"
#include "report.h"
#include "rsttrace.skel.h"
#include "tables.h"
#include "tcp_state.h"
#include "version.h" /* generated: RSTTRACE_VERSION */

struct lost_line {
	struct lost_reporter *lr;
	unsigned int shown, more;
	unsigned long long count;
};

/* A name from another user: printable ASCII only on stderr. */
static void plain_comm(char *dst, const uint8_t *comm)
{
	unsigned int i;

	for (i = 0; i < RST_COMM_LEN && comm[i]; i++)
		dst[i] = comm[i] >= 0x20 && comm[i] < 0x7f ? comm[i] : '?';
	dst[i] = '\0';
}

static void lost_stderr(const struct lost_report *r, const char *reason)
{
	const struct rst_lost_key *k = r->key;
	const char *state = tcp_state__name(k->state);
	const char *dir = format__direction_name(k->direction);
	char comm[RST_COMM_LEN + 1] = "";

	if (k->flags & RST_LOST_OWNER)
		plain_comm(comm, r->comm);
	fprintf(stderr, "rsttrace:   %llu %s%s%s%s%s, %s port %u%s%s\n",
		(unsigned long long)r->count, dir ? dir : "resets",
		k->flags & RST_LOST_OWNER ? " by " : " (no owner)", comm,
		reason ? " " : "", reason ? reason : "",
		k->rport ? "remote" : "local", k->rport ? k->rport : k->lport,
		state ? " in " : "", state ? state : "");
}

/* One kind of lost reset: a JSON record, and a word on stderr. */
static void lost_one(void *ctx, const struct lost_report *r)
{
	struct lost_line *ll = ctx;
	struct lost_reporter *lr = ll->lr;
	const struct rst_lost_key *k = r->key;
	const char *reason = NULL;

	if (k && (k->flags & RST_LOST_REASON))
		reason = reasons__name(lr->reasons, k->reason);
	if (lr->cfg->json && output__room(lr->out))
		do {
			output__begin(lr->out);
			format__json_lost(&lr->out->buf, clock__boot_ns(), r,
					  reason, lr->fmt);
		} while (!output__end(lr->out));
	ll->count += r->count;
	if (ll->shown == 3) {
		ll->more++;
		return;
	}
	ll->shown++;
	if (k)
		lost_stderr(r, reason);
	else
		fprintf(stderr, "rsttrace:   %llu not attributable\n",
			(unsigned long long)r->count);
}

void report__lost(struct lost_reporter *lr)
{
	const struct loader *l = lr->ld;
	/* misses before the covered count: a cover in between is not a loss */
	unsigned long long skipped = loader__reset_misses(l);
	unsigned long long unreadable = loader__counter(l, RST_CNT_UNREADABLE);
	unsigned long long unkeyed = loader__counter(l, RST_CNT_LOST_UNKEYED);
	unsigned long long ring = loader__counter(l, RST_CNT_LOST);
	unsigned long long seen = ring + skipped + unreadable;
	struct lost_line ll = { .lr = lr };

	if (seen <= lr->seen)
		return;
	lr->seen = seen;
	fprintf(stderr, "rsttrace: resets lost%s:\n",
		ring > lr->ring_seen ? " (ring buffer full: raise "
				       "--ringbuf-size, or give rsttrace "
				       "more CPU)" :
				       "");
	lr->ring_seen = ring;
	/* not queued for want of a kind slot, not run, or unreadable */
	lost__collect(lr->lost, bpf_map__fd(l->skel->maps.lost),
		      unkeyed + skipped + unreadable, lost_one, &ll);
	if (ll.more)
		fprintf(stderr, "rsttrace:   and %u more kinds\n", ll.more);
	fprintf(stderr,
		"rsttrace: %llu lost in this report, %llu in all (not "
		"attributable so far: %llu for want of a kind slot, %llu "
		"skipped by the kernel while rsttrace's program ran on that "
		"CPU, %llu with unreadable headers)\n",
		ll.count, (unsigned long long)lost__total(lr->lost), unkeyed,
		skipped, unreadable);
}

void report__startup(const struct loader *l)
{
	const struct table_sizes *ts = &l->tables;

	features__print_sources(l->feat, &l->src, stderr);
	fprintf(stderr,
		"rsttrace: closed connections kept for %u sockets (%s), "
		"for resets in and after TIME_WAIT; past that the oldest are "
		"forgotten, and counted\n",
		ts->tw_owners, ts->tw_from);
	if (ts->accepts > 1)
		fprintf(stderr,
			"rsttrace: accept() results wait in a table of %u "
			"until a hook reaches their socket; past that the "
			"oldest are forgotten, and counted\n",
			ts->accepts);
}

static void report_owner_tables(const struct loader *l)
{
	const struct table_sizes *ts = &l->tables;
	struct table_use acc = {
		.put = loader__counter(l, RST_CNT_ACCEPT_PUT),
		.deleted = loader__counter(l, RST_CNT_ACCEPT_DEL),
	};
	struct table_use leg = {
		.put = loader__counter(l, RST_CNT_LEGACY_PUT),
		.deleted = loader__counter(l, RST_CNT_LEGACY_DEL),
	};

	if (ts->accepts > 1) {
		acc.live = tables__count(bpf_map__fd(l->skel->maps.accepts), 8);
		fprintf(stderr,
			"rsttrace: accept() table: %u slots, %llu written, "
			"%llu moved to their sockets, %llu forgotten to make "
			"room\n",
			ts->accepts, acc.put, acc.deleted,
			tables__evicted(&acc));
	}
	if (l->src.legacy_owners) {
		leg.live = tables__count(
			bpf_map__fd(l->skel->maps.owners_by_sk), 8);
		fprintf(stderr,
			"rsttrace: owners by socket address: %u slots, %llu "
			"written, %llu freed with their socket, %llu "
			"forgotten to make room\n",
			ts->owners_by_sk, leg.put, leg.deleted,
			tables__evicted(&leg));
	}
}

void report__tables(const struct loader *l)
{
	const struct table_sizes *ts = &l->tables;
	struct table_use tw = {
		.put = loader__counter(l, RST_CNT_TW_PUT),
		.live = tables__count(bpf_map__fd(l->skel->maps.tw_owners),
				      sizeof(struct rst_conn_key)),
	};
	unsigned long long unknown = loader__counter(l, RST_CNT_TW_UNKNOWN);
	unsigned long long failed = loader__counter(l, RST_CNT_TW_FAIL);
	unsigned long long found = loader__counter(l, RST_CNT_CLOSED_FOUND);
	unsigned long long n;

	if (tw.put || unknown || failed)
		fprintf(stderr,
			"rsttrace: closed connections: %u slots (%s), %llu "
			"written, %llu evicted to make room, %llu not written "
			"(no free slot); %llu TIME_WAIT resets found no owner, "
			"%llu resets without a connection found theirs\n",
			ts->tw_owners, ts->tw_from, tw.put,
			tables__evicted(&tw), failed, unknown, found);
	report_owner_tables(l);
	n = loader__owner_misses(l);
	if (n)
		fprintf(stderr,
			"rsttrace: the kernel skipped rsttrace's owner-keeping "
			"programs %llu times (one was already running on that "
			"CPU): those sockets' owners may be missing\n",
			n);
	n = loader__counter(l, RST_CNT_STORAGE_FAIL);
	if (n)
		fprintf(stderr,
			"rsttrace: %llu sockets had no owner record (socket "
			"storage allocation failed)\n",
			n);
}

void report__cgroups(const struct cgnames *n)
{
	struct cgnames_stats st;

	if (!n)
		return;
	cgnames__stats(n, &st);
	if (!st.freed && !st.evicted && !st.unnamed)
		return;
	fprintf(stderr,
		"rsttrace: cgroup names: %zu kept (at most %zu), %llu freed "
		"once their cgroup was gone, %llu forgotten to make room; %llu "
		"resets unnamed for want of room\n",
		st.names, st.max, st.freed, st.evicted, st.unnamed);
}

/* The hooks of @hooks as an array of names. */
static void json_hooks(struct json *j, uint32_t hooks)
{
	char names[96];
	const char *p, *comma;

	json__begin_array(j);
	features__acceptor_names(hooks, names, sizeof(names));
	for (p = names; hooks && *p; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		json__strn(j, p, (size_t)(comma - p));
	}
	json__end_array(j);
}

/* For scripts (and the test suite) that gate on what is visible. */
static void version_json(const struct rst_config *cfg, const struct features *f,
			 const struct reasons *reasons, bool legacy,
			 uint32_t hooks, const struct table_sizes *ts)
{
	struct outbuf b = {};
	struct json j;

	json__init(&j, &b);
	json__begin_object(&j);
	json__key(&j, "version");
	json__str(&j, RSTTRACE_VERSION);
	json__key(&j, "libbpf");
	json__str(&j, libbpf_version_string());
	json__key(&j, "kernel");
	json__str(&j, f->release);
	json__key_bool(&j, "btf", f->btf);
	json__key_bool(&j, "ringbuf", f->ringbuf);
	json__key_bool(&j, "kprobes", f->kprobes);
	json__key_bool(&j, "kernel_reasons_passive", f->send_reset_reason);
	json__key_bool(&j, "kernel_reasons_active", f->active_reasons);
	json__key_bool(&j, "nosock_resets", f->send_reset_nosock || f->kprobes);
	json__key_bool(&j, "netfilter_resets", f->kprobes && f->nf_reset_args);
	json__key_bool(&j, "accept_tracepoints", f->accept_tp);
	json__key_bool(&j, "legacy_owners", legacy);
	json__key(&j, "acceptor");
	json_hooks(&j, hooks);
	json__key(&j, "acceptor_offered");
	json_hooks(&j, features__acceptor_offered(f, legacy));
	json__key_u64(&j, "tw_owner_slots", ts->tw_owners);
	json__key_u64(&j, "accept_slots", ts->accepts);
	json__key_u64(&j, "ringbuf_size",
		      cfg->ringbuf_size ? cfg->ringbuf_size :
					  args__ringbuf_default(
						  libbpf_num_possible_cpus()));
	json__key_u64(&j, "reason_names", reasons->n);
	json__key_u64_or_null(&j, "kernel_hz", f->hz, f->hz);
	json__end_object(&j);
	outbuf__putc(&b, '\n');
	if (!b.oom && !j.err)
		fwrite(b.data, 1, b.len, stdout);
	else
		fprintf(stderr, "rsttrace: -V --json: out of memory\n");
	outbuf__free(&b);
}

void report__version(const struct rst_config *cfg, const struct features *f,
		     const struct reasons *reasons)
{
	bool legacy = cfg->legacy_owners || features__legacy_expected(f);
	uint32_t hooks = features__acceptor_choose(f, legacy, cfg->acceptor, 0);
	struct table_sizes ts;

	tables__size(&ts, cfg->tw_owners, legacy,
		     hooks & (RST_ACC_KPROBE | RST_ACC_SYSCALLS));
	if (cfg->json) {
		version_json(cfg, f, reasons, legacy, hooks, &ts);
		return;
	}
	printf("rsttrace %s\nlibbpf %s\n", RSTTRACE_VERSION,
	       libbpf_version_string());
	features__print(f, legacy, stdout);
	printf("  reset reasons from BTF:               %u names\n",
	       reasons->n);
	printf("  closed connections kept:              %u (%s)\n",
	       ts.tw_owners, ts.tw_from);
	if (ts.accepts > 1)
		printf("  accept() results kept:                %u\n",
		       ts.accepts);
	if (f->hz)
		printf("  idle time (idle_ms):                  yes (HZ %u)\n",
		       f->hz);
	else
		printf("  idle time (idle_ms):                  no (no kernel "
		       "config in /boot or /proc/config.gz)\n");
}
