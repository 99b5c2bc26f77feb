// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * rsttrace: which process's TCP connection was reset, by whom, and why.
 *
 * Loads the BPF programs, seeds the owners of sockets that already exist,
 * then streams one record per reset from the ring buffer to stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "cgroup.h"
#include "clock.h"
#include "correlate.h"
#include "features.h"
#include "format.h"
#include "infer.h"
#include "ksyms.h"
#include "lost.h"
#include "output.h"
#include "reasons.h"
#include "rsttrace.h"
#include "rsttrace.skel.h"
#include "seed.h"
#include "summary.h"
#include "tables.h"
#include "version.h"  /* generated: RSTTRACE_VERSION */

#define STATS_INTERVAL_MS 1000
/* how long a record waits for the other end of its reset */
#define HOLD_NS (100 * 1000000ULL)
#define MAX_PENDING 4096

/* Everything the event loop works on; owned by main(). */
struct tracer {
	const struct rst_config *cfg;
	struct rsttrace_bpf *skel;
	struct ring_buffer *rb;
	struct output out;
	struct fmt_opts fmt;
	struct rst_clock clock;
	struct reasons reasons;
	struct features feat;
	uint64_t cgroup_id; /* -c, resolved once before anything is loaded */
	struct infer_opts infer;
	struct correlator *corr;
	struct summary *summary;
	struct ksyms *ksyms; /* when stacks are collected */
	struct lost *lost; /* what of the "lost" map has been reported */
	struct table_sizes tables;
	uint32_t refused; /* optional_progs[] the kernel refused to load */
	uint32_t refused_hooks; /* their acceptor hooks */
	bool standin_tried; /* the set_state stand-in, once it was needed */
	unsigned long long ring_lost_seen; /* RST_CNT_LOST at the last report */
	bool want_stacks;
	/* no filter can hide the sending end of a reset on this host */
	bool see_all_senders;
	long long next_summary_ms;
	unsigned long long events;
	unsigned long long lost_seen; /* RST_CNT_LOST + misses at last look */
	bool done;
	bool count_reached;
};

/*
 * Programs libbpf named in a warning during the last load: the optional
 * ones among them are left out of the next attempt. libbpf's print
 * callback takes no context, hence a file-scope record.
 */
static struct {
	char names[8][64];
	unsigned int n;
	bool quiet; /* warnings held back: an optional program may fail */
} load_log;

static void note_failed_prog(const char *fmt, va_list ap)
{
	char msg[256], name[64];
	const char *p;
	unsigned int i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* "libbpf: prog 'NAME': BPF program load failed: ..." and the like */
	p = strstr(msg, "prog '");
	if (!p ||
	    (!strstr(msg, "load failed") && !strstr(msg, "failed to load") &&
	     !strstr(msg, "failed to find kernel BTF")) ||
	    sscanf(p, "prog '%63[^']'", name) != 1)
		return;
	for (i = 0; i < load_log.n; i++)
		if (!strcmp(load_log.names[i], name))
			return;
	if (load_log.n < 8)
		snprintf(load_log.names[load_log.n++], sizeof(name), "%s",
			 name);
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	if (level == LIBBPF_WARN)
		note_failed_prog(fmt, copy);
	va_end(copy);
	return vfprintf(stderr, fmt, ap);
}

static int print_libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	va_list copy;

	if (level != LIBBPF_WARN)
		return 0;
	va_copy(copy, ap);
	note_failed_prog(fmt, copy);
	va_end(copy);
	return load_log.quiet ? 0 : vfprintf(stderr, fmt, ap);
}

/* Root, or the capabilities that loading and seeding need. */
static bool has_privileges(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	int need[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_SYS_ADMIN };
	unsigned int i;

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(data[need[i] / 32].effective & (1u << (need[i] % 32))))
			return false;
	return true;
}

/* A record leaves the correlator: report it, or count it in a summary. */
static void emit_record(void *ctx, struct rst_record *r)
{
	struct tracer *t = ctx;

	if (t->done && t->count_reached)
		return;
	infer__cause(r, r->cause, sizeof(r->cause));
	r->errno_name = infer__errno(r);
	if (t->see_all_senders && infer__unsent_by_tcp(r))
		strncat(r->cause, " (no TCP sender on this host: firewall REJECT?)",
			sizeof(r->cause) - strlen(r->cause) - 1);
	if (t->summary)
		summary__add(t->summary, r);
	else
		do {
			output__begin(&t->out);
			if (t->cfg->json)
				format__json_record(&t->out.buf, r, &t->fmt);
			else
				format__table_record(&t->out.buf, r, &t->fmt);
		} while (!output__end(&t->out));
	t->events++;
	/* a long burst is written in chunks rather than held */
	if (t->out.buf.len > (64 << 10) && output__flush(&t->out))
		t->done = true;
	if (t->cfg->count && t->events >= t->cfg->count)
		t->done = t->count_reached = true;
}

/* Function names of the record's kernel stack, for inference. */
static unsigned int stack_frames(struct tracer *t, const struct rst_record *r,
				 const char **frames)
{
	unsigned int i;
	uint64_t off;

	if (!t->ksyms)
		return 0;
	/* return addresses: one byte back is inside the calling function */
	for (i = 0; i < r->kstack_n; i++)
		frames[i] = ksyms__find(t->ksyms, r->kstack[i] - (i > 0), &off);
	return r->kstack_n;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct rst_stack_record *sr = data;
	const char *frames[RST_KSTACK_MAX];
	struct tracer *t = ctx;
	struct rst_record r;
	unsigned int n;

	if (size < sizeof(r.ev))
		return 0;
	memset(&r, 0, sizeof(r));
	memcpy(&r.ev, data, sizeof(r.ev));
	if (size >= sizeof(*sr) && r.ev.kstack_n <= RST_KSTACK_MAX) {
		r.kstack_n = r.ev.kstack_n;
		memcpy(r.kstack, sr->kstack, r.kstack_n * sizeof(r.kstack[0]));
	}
	n = stack_frames(t, &r, frames);
	infer__resolve(&r, frames, n, &t->infer);
	correlator__add(t->corr, &r, clock__boot_ns());
	/*
	 * Only -n, or the reader gone, stops consuming: after a signal what
	 * the ring holds is still reported.
	 */
	return t->count_reached || t->out.closed ? -ECANCELED : 0;
}

static unsigned long long read_counter(struct tracer *t, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 *vals;
	int i;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &idx,
				 vals))
		for (i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

/* How often the kernel skipped @p (one was running on that CPU). */
static unsigned long long prog_misses(struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

/*
 * Runs of the reset programs that the kernel skipped because one of them
 * was already running on that CPU (bpf_prog_info.recursion_misses, 5.12+),
 * less those their stand-ins reported instead (rsttrace.bpf.c:
 * emit_standin()): resets nobody saw, counted but not attributable.
 */
static unsigned long long reset_prog_misses(struct tracer *t)
{
	struct bpf_program *progs[] = {
		t->skel->progs.handle_send_reset,
		t->skel->progs.handle_send_reset_noreason,
		t->skel->progs.handle_receive_reset,
		t->skel->progs.handle_v4_send_reset,
		t->skel->progs.handle_v6_send_reset,
		t->skel->progs.handle_nf_send_reset,
		t->skel->progs.handle_nf_send_reset6,
	};
	unsigned long long sum = 0, covered = read_counter(t, RST_CNT_COVERED);
	unsigned int i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		sum += prog_misses(progs[i]);
	return sum > covered ? sum - covered : 0;
}

struct lost_line {
	struct tracer *t;
	unsigned int shown, more;
	unsigned long long count;
};

/* One kind of lost reset: a JSON record, and a word on stderr. */
static void lost_one(void *ctx, const struct lost_report *r)
{
	struct lost_line *ll = ctx;
	struct tracer *t = ll->t;
	const struct rst_lost_key *k = r->key;
	const char *reason = NULL;
	char comm[RST_COMM_LEN + 1] = "";
	unsigned int i;

	if (k && (k->flags & RST_LOST_REASON))
		reason = reasons__name(&t->reasons, k->reason);
	if (t->cfg->json)
		do {
			output__begin(&t->out);
			format__json_lost(&t->out.buf, clock__boot_ns(), r,
					  reason, &t->fmt);
		} while (!output__end(&t->out));
	ll->count += r->count;
	if (ll->shown == 3) {
		ll->more++;
		return;
	}
	ll->shown++;
	if (!k) {
		fprintf(stderr, "rsttrace:   %llu not attributable\n",
			(unsigned long long)r->count);
		return;
	}
	/* a name from another user: printable ASCII only on stderr */
	for (i = 0; k->flags & RST_LOST_OWNER && i < RST_COMM_LEN && r->comm[i];
	     i++)
		comm[i] = r->comm[i] >= 0x20 && r->comm[i] < 0x7f ? r->comm[i] :
								    '?';
	fprintf(stderr, "rsttrace:   %llu %s%s%s%s%s, %s port %u%s%s\n",
		(unsigned long long)r->count,
		format__direction_name(k->direction),
		k->flags & RST_LOST_OWNER ? " by " : " (no owner)", comm,
		reason ? " " : "", reason ? reason : "",
		k->rport ? "remote" : "local", k->rport ? k->rport : k->lport,
		format__state_name(k->state) ? " in " : "",
		format__state_name(k->state) ? format__state_name(k->state) :
					       "");
}

/*
 * The kernel skipped handle_set_state (one was running on that CPU): from
 * now on its stand-in runs beside it, so that owners are not lost. Only
 * once that is seen: on most kernels nothing is ever skipped, and each of
 * a connection's transitions would pay for the stand-in.
 */
static void check_set_state_misses(struct tracer *t)
{
	struct rsttrace_bpf *skel = t->skel;
	unsigned long long n;

	if (t->standin_tried ||
	    !bpf_program__autoload(skel->progs.standin_set_state))
		return;
	n = prog_misses(skel->progs.handle_set_state);
	if (!n)
		return;
	t->standin_tried = true;
	skel->links.standin_set_state =
		bpf_program__attach(skel->progs.standin_set_state);
	/* idle until the main program marks itself busy */
	skel->bss->set_state_standin = skel->links.standin_set_state;
	fprintf(stderr,
		"rsttrace: the kernel skipped handle_set_state %llu times (one "
		"was running on that CPU: an interrupt, or a preempted task); "
		"%s\n",
		n,
		skel->links.standin_set_state ?
			"a stand-in program covers it from now on" :
			"cannot attach the stand-in: owners may be missing");
}

/* Report events the kernel could not queue, in-band and on stderr. */
static void report_lost(struct tracer *t)
{
	/* misses before the covered count: a cover in between is not a loss */
	unsigned long long skipped = reset_prog_misses(t);
	unsigned long long unreadable = read_counter(t, RST_CNT_UNREADABLE);
	unsigned long long unkeyed = read_counter(t, RST_CNT_LOST_UNKEYED);
	unsigned long long seen =
		read_counter(t, RST_CNT_LOST) + skipped + unreadable;
	struct lost_line ll = { .t = t };

	if (seen <= t->lost_seen)
		return;
	t->lost_seen = seen;
	fprintf(stderr, "rsttrace: resets lost%s:\n",
		read_counter(t, RST_CNT_LOST) > t->ring_lost_seen ?
			" (ring buffer full: raise --ringbuf-size, or give "
			"rsttrace more CPU)" :
			"");
	t->ring_lost_seen = read_counter(t, RST_CNT_LOST);
	/* not queued for want of a kind slot, not run, or unreadable */
	lost__collect(t->lost, bpf_map__fd(t->skel->maps.lost),
		      unkeyed + skipped + unreadable, lost_one, &ll);
	if (ll.more)
		fprintf(stderr, "rsttrace:   and %u more kinds\n", ll.more);
	fprintf(stderr,
		"rsttrace: %llu lost in this report, %llu in all (not "
		"attributable so far: %llu for want of a kind slot, %llu "
		"skipped by the kernel while rsttrace's program ran on that "
		"CPU, %llu with unreadable headers)\n",
		ll.count, (unsigned long long)lost__total(t->lost), unkeyed,
		skipped, unreadable);
}

static void print_summary(struct tracer *t, double interval_s)
{
	struct timespec ts = clock__to_real(&t->clock, clock__boot_ns());
	struct outbuf tb = {};
	struct tm tm;
	char title[64];

	if (t->cfg->json) {
		format__rfc3339(&tb, ts.tv_sec, ts.tv_nsec);
		outbuf__putc(&tb, '\0');
	} else {
		localtime_r(&ts.tv_sec, &tm);
		strftime(title, sizeof(title), "%Y-%m-%d %H:%M:%S", &tm);
	}
	do {
		output__begin(&t->out);
		if (t->cfg->json)
			summary__print_json(t->summary, &t->out.buf,
					    tb.data && !tb.oom ? tb.data : "",
					    interval_s);
		else
			summary__print_table(t->summary, &t->out.buf, title);
	} while (!output__end(&t->out));
	outbuf__free(&tb);
	summary__reset(t->summary);
}

static int setup_filters(struct tracer *t)
{
	const struct rst_config *cfg = t->cfg;
	int pfd = bpf_map__fd(t->skel->maps.port_filter);
	int pidfd = bpf_map__fd(t->skel->maps.pid_filter);
	unsigned int i;
	__u8 one = 1;

	for (i = 0; i < cfg->npids; i++)
		if (bpf_map_update_elem(pidfd, &cfg->pids[i], &one, BPF_ANY))
			return -errno;

	/* one map for the three port lists: each entry says which lists */
	for (i = 0; i < cfg->nlports + cfg->nrports + cfg->nports; i++) {
		__u16 port;
		__u8 bits = 0, bit;

		if (i < cfg->nlports) {
			port = cfg->lports[i];
			bit = RST_PORT_LOCAL;
		} else if (i < cfg->nlports + cfg->nrports) {
			port = cfg->rports[i - cfg->nlports];
			bit = RST_PORT_REMOTE;
		} else {
			port = cfg->ports[i - cfg->nlports - cfg->nrports];
			bit = RST_PORT_ANY;
		}
		bpf_map_lookup_elem(pfd, &port, &bits);
		bits |= bit;
		if (bpf_map_update_elem(pfd, &port, &bits, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Programs that cost visibility, not the run, when the kernel refuses them. */
static const struct optional_prog {
	const char *name;
	uint32_t acceptor_hook; /* 0: a reset source */
} optional_progs[] = {
	{ "handle_getpeername4", RST_ACC_GETPEERNAME },
	{ "handle_getpeername6", RST_ACC_GETPEERNAME },
	{ "handle_sock_recv", RST_ACC_SOCKIO },
	{ "handle_sock_send", RST_ACC_SOCKIO },
	{ "handle_rcv_space", RST_ACC_RCVSPACE },
	{ "handle_sock_graft", RST_ACC_KPROBE },
	{ "handle_accept4_exit", RST_ACC_SYSCALLS },
	{ "handle_accept_exit", RST_ACC_SYSCALLS },
	{ "standin_set_state", 0 },
	{ "standin_send_reset", 0 },
	{ "standin_send_reset_noreason", 0 },
	{ "standin_receive_reset", 0 },
	{ "handle_v4_send_reset", 0 },
	{ "handle_v6_send_reset", 0 },
	{ "handle_nf_send_reset", 0 },
	{ "handle_nf_send_reset6", 0 },
};

#define N_OPTIONAL_PROGS (sizeof(optional_progs) / sizeof(optional_progs[0]))

static const struct optional_prog *optional_prog(const char *name)
{
	unsigned int i;

	for (i = 0; i < N_OPTIONAL_PROGS; i++)
		if (!strcmp(optional_progs[i].name, name))
			return &optional_progs[i];
	return NULL;
}

static void set_autoload(struct rsttrace_bpf *skel, const char *name, bool on)
{
	struct bpf_program *p =
		bpf_object__find_program_by_name(skel->obj, name);

	if (p)
		bpf_program__set_autoload(p, on);
}

/* The acceptor hooks' programs, per t->feat.acceptor_hooks. */
static void configure_acceptor(struct tracer *t)
{
	uint32_t h = t->feat.acceptor_hooks;
	unsigned int i;

	for (i = 0; i < N_OPTIONAL_PROGS; i++)
		if (optional_progs[i].acceptor_hook)
			set_autoload(t->skel, optional_progs[i].name,
				     h & optional_progs[i].acceptor_hook);
	t->skel->rodata->acceptor_hooks = h;
}

/* Bounded maps, sized for this host; unused ones take no memory. */
static int configure_tables(struct tracer *t, bool legacy)
{
	struct rsttrace_bpf *skel = t->skel;
	struct table_sizes *ts = &t->tables;

	tables__size(ts, t->cfg->tw_owners, legacy,
		     t->feat.acceptor_hooks &
			     (RST_ACC_KPROBE | RST_ACC_SYSCALLS));
	if (bpf_map__set_max_entries(skel->maps.tw_owners, ts->tw_owners) ||
	    bpf_map__set_max_entries(skel->maps.accepts, ts->accepts) ||
	    bpf_map__set_max_entries(skel->maps.owners_by_sk,
				     ts->owners_by_sk) ||
	    bpf_map__set_max_entries(skel->maps.seeds, ts->seeds) ||
	    bpf_map__set_max_entries(skel->maps.listeners, ts->listeners))
		return -EINVAL;
	return 0;
}

static int configure(struct tracer *t, bool legacy)
{
	const struct rst_config *cfg = t->cfg;
	struct rsttrace_bpf *skel = t->skel;
	unsigned int i;

	skel->rodata->filter_pid = cfg->npids > 0;
	skel->rodata->filter_lport = cfg->nlports > 0;
	skel->rodata->filter_rport = cfg->nrports > 0;
	skel->rodata->filter_port = cfg->nports > 0;
	skel->rodata->filter_family = cfg->family;
	skel->rodata->filter_direction = cfg->direction;
	skel->rodata->filter_cgroup_id = t->cgroup_id;
	if (bpf_map__set_max_entries(
		    skel->maps.events,
		    cfg->ringbuf_size ?
			    cfg->ringbuf_size :
			    args__ringbuf_default(libbpf_num_possible_cpus())))
		return -EINVAL;

	/* one of the two tcp_send_reset layouts, per this kernel's BTF */
	bpf_program__set_autoload(skel->progs.handle_send_reset,
				  t->feat.send_reset_reason);
	bpf_program__set_autoload(skel->progs.handle_send_reset_noreason,
				  !t->feat.send_reset_reason);
	bpf_program__set_autoload(skel->progs.standin_send_reset,
				  t->feat.send_reset_reason);
	bpf_program__set_autoload(skel->progs.standin_send_reset_noreason,
				  !t->feat.send_reset_reason);
	skel->rodata->want_kstack = t->want_stacks;

	/* probes for what TCP's tracepoints miss, where kprobes exist */
	bpf_program__set_autoload(skel->progs.handle_v4_send_reset,
				  t->feat.kprobes && !t->feat.send_reset_nosock);
	bpf_program__set_autoload(skel->progs.handle_v6_send_reset,
				  t->feat.kprobes && !t->feat.send_reset_nosock);
	bpf_program__set_autoload(skel->progs.handle_nf_send_reset,
				  t->feat.kprobes && t->feat.nf_reset_args);
	bpf_program__set_autoload(skel->progs.handle_nf_send_reset6,
				  t->feat.kprobes && t->feat.nf_reset_args);
	skel->rodata->nf_skb_arg = t->feat.nf_reset_args >= 4 ? 2 : 1;
	skel->rodata->legacy_owners = legacy;
	bpf_program__set_autoload(skel->progs.handle_destroy_sock, legacy);
	configure_acceptor(t);
	for (i = 0; i < N_OPTIONAL_PROGS; i++)
		if (t->refused & (1u << i))
			set_autoload(skel, optional_progs[i].name, false);
	return configure_tables(t, legacy);
}

static const char *load_hint(int err, bool legacy)
{
	if (err == -EACCES)
		return "the kernel's verifier rejected a program; run with -v "
		       "for its log";
	if (err == -EPERM)
		return "permission denied: run as root (CAP_BPF and "
		       "CAP_PERFMON are needed); check "
		       "kernel.unprivileged_bpf_disabled and lockdown";
	if (err == -EINVAL || err == -524 /* ENOTSUPP */ || err == -EOPNOTSUPP)
		return legacy ? "this kernel lacks a BPF feature rsttrace "
				"needs (tp_btf programs need Linux 5.8 or "
				"later with BTF); run with -v for the "
				"verifier's log" :
				"this kernel refused a BPF feature rsttrace "
				"needs; run with -v for the verifier's log";
	return "run with -v for libbpf's log";
}

/*
 * The programs of the failed load that may be left out: they lose their
 * hook (acceptor) or their reset source. False when a required one failed.
 */
static bool drop_failed_optional(struct tracer *t)
{
	const struct optional_prog *op;
	bool dropped = false;
	unsigned int i;

	for (i = 0; i < load_log.n; i++) {
		op = optional_prog(load_log.names[i]);
		if (!op)
			return false;
		t->refused_hooks |= op->acceptor_hook;
		t->refused |= 1u << (op - optional_progs);
		dropped = true;
	}
	return dropped;
}

/*
 * Open, configure and load with the owner store @legacy; where the kernel
 * refuses optional programs, again without them.
 */
static int load_once(struct tracer *t, bool legacy)
{
	int err, tries;

	/* what the other owner store could not load, this one may */
	t->refused = t->refused_hooks = 0;
	for (tries = 0; tries < 4; tries++) {
		/* again after a refusal: another hook may stand in */
		t->feat.acceptor_hooks = features__acceptor_choose(
			&t->feat, legacy, t->cfg->acceptor, t->refused_hooks);
		rsttrace_bpf__destroy(t->skel);
		t->skel = rsttrace_bpf__open();
		if (!t->skel) {
			fprintf(stderr,
				"rsttrace: cannot open BPF object: %s\n",
				strerror(errno));
			return -errno;
		}
		err = configure(t, legacy);
		if (err)
			return err;
		load_log.n = 0;
		err = rsttrace_bpf__load(t->skel);
		if (!err || !drop_failed_optional(t))
			return err;
	}
	return err;
}

/*
 * What --acceptor asks for must exist on this kernel, in the owner store
 * the load will take (known before it, by the probe).
 */
static int check_acceptor(const struct tracer *t)
{
	const struct features *f = &t->feat;
	bool legacy = t->cfg->legacy_owners || features__legacy_expected(f);
	uint32_t offered = features__acceptor_offered(f, legacy);
	uint32_t missing = t->cfg->acceptor & ~offered;
	char want[96], have[96];

	if (!missing)
		return 0;
	features__acceptor_names(missing, want, sizeof(want));
	features__acceptor_names(offered, have, sizeof(have));
	if (!t->cfg->legacy_owners && legacy &&
	    !(missing & ~features__acceptor_offered(f, false)))
		fprintf(stderr,
			"rsttrace: --acceptor: %s needs socket storage in "
			"tracing programs (Linux 5.11+), which Linux %s lacks; "
			"this kernel offers: %s\n",
			want, f->release, offered ? have : "none");
	else
		fprintf(stderr,
			"rsttrace: --acceptor: Linux %s does not offer %s "
			"(rsttrace -V lists what it does)\n",
			f->release, want);
	return -EINVAL;
}

/*
 * Socket storage in tracing programs needs 5.11: elsewhere (as probed
 * before, never guessed from this load's failure) owners are kept in the
 * legacy hash map store.
 */
static int load(struct tracer *t)
{
	bool legacy = t->cfg->legacy_owners ||
		      features__legacy_expected(&t->feat);
	unsigned int i;
	int err;

	libbpf_set_print(t->cfg->verbose ? print_libbpf : print_libbpf_quiet);
	if (legacy && t->cfg->verbose)
		fprintf(stderr, "rsttrace: no socket storage in tracing "
				"programs: legacy owner store\n");
	t->feat.legacy_owners = legacy;
	/* what the verifier said of refused programs: with -v */
	load_log.quiet = true;
	err = load_once(t, legacy);
	load_log.quiet = false;
	if (err) {
		fprintf(stderr, "rsttrace: cannot load BPF programs: %s\n",
			load_hint(err, legacy));
		return err;
	}
	for (i = 0; i < N_OPTIONAL_PROGS; i++)
		if (t->refused & (1u << i))
			fprintf(stderr,
				"rsttrace: warning: this kernel refused %s; "
				"going on without it (-v for the verifier's "
				"log)\n",
				optional_progs[i].name);
	return 0;
}

static int attach_one(struct bpf_program *prog, struct bpf_link **link)
{
	/* the skeleton owns the link and destroys it at exit */
	*link = bpf_program__attach(prog);
	if (*link)
		return 0;
	fprintf(stderr, "rsttrace: cannot attach %s: %s\n",
		bpf_program__name(prog), strerror(errno));
	return -errno;
}

/* An optional program, where it was loaded; false if it did not attach. */
static bool attach_optional(struct bpf_program *prog, struct bpf_link **link)
{
	if (!bpf_program__autoload(prog))
		return false;
	*link = bpf_program__attach(prog);
	return *link;
}

/*
 * cgroup/getpeername4/6 run for every socket of the hierarchy below where
 * they are attached: the root, found or mounted by cgroup__open_root().
 */
static bool attach_getpeername(struct rsttrace_bpf *skel)
{
	char err[256];
	int fd;

	if (!bpf_program__autoload(skel->progs.handle_getpeername4))
		return false;
	fd = cgroup__open_root(err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "rsttrace: warning: getpeername hook: %s\n",
			err);
		return false;
	}
	skel->links.handle_getpeername4 =
		bpf_program__attach_cgroup(skel->progs.handle_getpeername4, fd);
	skel->links.handle_getpeername6 =
		bpf_program__attach_cgroup(skel->progs.handle_getpeername6, fd);
	if (!skel->links.handle_getpeername4 ||
	    !skel->links.handle_getpeername6) {
		fprintf(stderr,
			"rsttrace: warning: cannot attach the getpeername "
			"hook to the cgroup v2 root: %s\n",
			strerror(errno));
		/* both or neither, as the sources line says */
		bpf_link__destroy(skel->links.handle_getpeername4);
		bpf_link__destroy(skel->links.handle_getpeername6);
		skel->links.handle_getpeername4 = NULL;
		skel->links.handle_getpeername6 = NULL;
	}
	close(fd);
	return skel->links.handle_getpeername4 &&
	       skel->links.handle_getpeername6;
}

/* The acceptor hooks: each one that attaches names some acceptors. */
static void attach_acceptor(struct tracer *t)
{
	struct rsttrace_bpf *skel = t->skel;
	uint32_t on = 0;

	if (attach_getpeername(skel))
		on |= RST_ACC_GETPEERNAME;
	if (attach_optional(skel->progs.handle_sock_recv,
			    &skel->links.handle_sock_recv) &&
	    attach_optional(skel->progs.handle_sock_send,
			    &skel->links.handle_sock_send))
		on |= RST_ACC_SOCKIO;
	if (attach_optional(skel->progs.handle_rcv_space,
			    &skel->links.handle_rcv_space))
		on |= RST_ACC_RCVSPACE;
	if (attach_optional(skel->progs.handle_sock_graft,
			    &skel->links.handle_sock_graft))
		on |= RST_ACC_KPROBE;
	/* classic tracepoints need tracefs, mounted here when missing */
	if (bpf_program__autoload(skel->progs.handle_accept4_exit) &&
	    features__mount_tracefs() &&
	    attach_optional(skel->progs.handle_accept4_exit,
			    &skel->links.handle_accept4_exit) &&
	    attach_optional(skel->progs.handle_accept_exit,
			    &skel->links.handle_accept_exit))
		on |= RST_ACC_SYSCALLS;
	t->feat.acceptor_attached = on;
	if (!on)
		fprintf(stderr,
			"rsttrace: warning: no acceptor hook attached: "
			"accepted sockets are attributed to the listener's "
			"owner\n");
}

static int attach(struct tracer *t)
{
	struct rsttrace_bpf *skel = t->skel;
	int err;

	err = attach_one(skel->progs.handle_set_state,
			 &skel->links.handle_set_state);
	if (!err && t->feat.send_reset_reason)
		err = attach_one(skel->progs.handle_send_reset,
				 &skel->links.handle_send_reset);
	else if (!err)
		err = attach_one(skel->progs.handle_send_reset_noreason,
				 &skel->links.handle_send_reset_noreason);
	if (!err)
		err = attach_one(skel->progs.handle_receive_reset,
				 &skel->links.handle_receive_reset);
	/* the legacy store forgets a socket's owner when the socket dies */
	if (!err && bpf_program__autoload(skel->progs.handle_destroy_sock))
		err = attach_one(skel->progs.handle_destroy_sock,
				 &skel->links.handle_destroy_sock);
	if (err)
		return err;

	/* stand-ins for the reset programs where the kernel skips them */
	if (!attach_optional(skel->progs.standin_send_reset,
			     &skel->links.standin_send_reset))
		attach_optional(skel->progs.standin_send_reset_noreason,
				&skel->links.standin_send_reset_noreason);
	attach_optional(skel->progs.standin_receive_reset,
			&skel->links.standin_receive_reset);
	attach_acceptor(t);
	/* optional kprobes: a failure costs visibility, not the run */
	t->feat.nosock_probe =
		attach_optional(skel->progs.handle_v4_send_reset,
				&skel->links.handle_v4_send_reset) &&
		attach_optional(skel->progs.handle_v6_send_reset,
				&skel->links.handle_v6_send_reset);
	t->feat.netfilter =
		attach_optional(skel->progs.handle_nf_send_reset,
				&skel->links.handle_nf_send_reset) &&
		attach_optional(skel->progs.handle_nf_send_reset6,
				&skel->links.handle_nf_send_reset6);
	return 0;
}

static int add_epoll(int epfd, int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static long long now_ms(void)
{
	return (long long)(clock__boot_ns() / 1000000ULL);
}

/* Run until a signal, the duration, the count, or the reader going away. */
static int event_loop(struct tracer *t)
{
	const struct rst_config *cfg = t->cfg;
	long long deadline = cfg->duration_s ?
				     now_ms() + cfg->duration_s * 1000LL :
				     0;
	long long next_stats = now_ms() + STATS_INTERVAL_MS;
	/* when the ring last had data: until RST_IDLE_MS after, we poll */
	long long last_data = 0;
	int rbfd = ring_buffer__epoll_fd(t->rb);
	struct epoll_event evs[4];
	int epfd, sfd, err = 0, n, i;
	uint64_t due;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0 || add_epoll(epfd, rbfd, EPOLLIN) ||
	    add_epoll(epfd, sfd, EPOLLIN)) {
		err = -errno;
		fprintf(stderr, "rsttrace: cannot set up event loop: %s\n",
			strerror(errno));
		goto out;
	}
	/* a pipe whose reader exits reports EPOLLERR on its write end */
	if (output__is_pipe(t->out.fd))
		add_epoll(epfd, t->out.fd, 0);

	while (!t->done) {
		long long now = now_ms();
		int timeout = (int)(next_stats - now);

		if (deadline && deadline - now < timeout)
			timeout = (int)(deadline - now);
		due = correlator__next_due(t->corr);
		if (due != UINT64_MAX) {
			long long due_ms = (long long)(due / 1000000ULL) + 1;

			if (due_ms - now < timeout)
				timeout = (int)(due_ms - now);
		}
		if (t->summary && t->next_summary_ms - now < timeout)
			timeout = (int)(t->next_summary_ms - now);
		/*
		 * Events are rate-limited in waking us (RST_WAKEUP_NS), so
		 * while they flow we look without being woken.
		 */
		if (now - last_data < RST_IDLE_MS && timeout > RST_POLL_MS)
			timeout = RST_POLL_MS;
		if (timeout < 0)
			timeout = 0;
		n = epoll_wait(epfd, evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == rbfd) {
				last_data = now_ms();
			} else {
				/* a signal, or stdout's reader went away */
				t->done = true;
			}
		}
		/* cheap when empty; and no record waits past a timeout */
		if (ring_buffer__consume(t->rb) > 0)
			last_data = now_ms();
		correlator__flush(t->corr, clock__boot_ns(), false);
		now = now_ms();
		if (t->summary && now >= t->next_summary_ms) {
			print_summary(t, (double)cfg->summary_s);
			t->next_summary_ms = now + cfg->summary_s * 1000LL;
		}
		if (now >= next_stats) {
			report_lost(t);
			check_set_state_misses(t);
			clock__refresh(&t->clock);
			next_stats = now + STATS_INTERVAL_MS;
		}
		if (deadline && now >= deadline)
			t->done = true;
		if (output__flush(&t->out))
			t->done = true;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (epfd >= 0)
		close(epfd);
	return err;
}

static void print_version(struct tracer *t)
{
	const struct features *f = &t->feat;
	bool legacy = t->cfg->legacy_owners || features__legacy_expected(f);
	uint32_t hooks =
		features__acceptor_choose(f, legacy, t->cfg->acceptor, 0);
	uint32_t offered = features__acceptor_offered(f, legacy);
	char names[96];
	const char *p, *comma;
	struct table_sizes ts;

	tables__size(&ts, t->cfg->tw_owners, legacy,
		     hooks & (RST_ACC_KPROBE | RST_ACC_SYSCALLS));
	features__acceptor_names(hooks, names, sizeof(names));
	if (!hooks)
		names[0] = '\0';

	if (!t->cfg->json) {
		printf("rsttrace %s\nlibbpf %s\n", RSTTRACE_VERSION,
		       libbpf_version_string());
		features__print(f, legacy, stdout);
		printf("  reset reasons from BTF:               %u names\n",
		       t->reasons.n);
		printf("  TIME_WAIT owners kept:                %u (%s)\n",
		       ts.tw_owners, ts.tw_from);
		if (ts.accepts > 1)
			printf("  accept() results kept:                %u\n",
			       ts.accepts);
		return;
	}
	/* for scripts (and the test suite) that gate on what is visible */
	printf("{\"version\":\"%s\",\"libbpf\":\"%s\",\"kernel\":\"%s\","
	       "\"btf\":%s,\"ringbuf\":%s,\"kprobes\":%s,"
	       "\"kernel_reasons_passive\":%s,\"kernel_reasons_active\":%s,"
	       "\"nosock_resets\":%s,\"netfilter_resets\":%s,"
	       "\"accept_tracepoints\":%s,\"legacy_owners\":%s,"
	       "\"acceptor\":[",
	       RSTTRACE_VERSION, libbpf_version_string(), f->release,
	       f->btf ? "true" : "false", f->ringbuf ? "true" : "false",
	       f->kprobes ? "true" : "false",
	       f->send_reset_reason ? "true" : "false",
	       f->active_reasons ? "true" : "false",
	       f->send_reset_nosock || f->kprobes ? "true" : "false",
	       f->kprobes && f->nf_reset_args ? "true" : "false",
	       f->accept_tp ? "true" : "false", legacy ? "true" : "false");
	for (p = names; *p; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		printf("%s\"%.*s\"", p == names ? "" : ",", (int)(comma - p),
		       p);
	}
	printf("],\"acceptor_offered\":[");
	features__acceptor_names(offered, names, sizeof(names));
	if (!offered)
		names[0] = '\0';
	for (p = names; *p; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		printf("%s\"%.*s\"", p == names ? "" : ",", (int)(comma - p),
		       p);
	}
	printf("],\"tw_owner_slots\":%u,\"accept_slots\":%u,"
	       "\"ringbuf_size\":%lu,\"reason_names\":%u}\n",
	       ts.tw_owners, ts.accepts,
	       t->cfg->ringbuf_size ?
		       t->cfg->ringbuf_size :
		       args__ringbuf_default(libbpf_num_possible_cpus()),
	       t->reasons.n);
}

/* What the bounded tables forgot, at the end of the run. */
static void report_tables(struct tracer *t)
{
	const struct table_sizes *ts = &t->tables;
	struct table_use tw = {
		.put = read_counter(t, RST_CNT_TW_PUT),
		.live = tables__count(bpf_map__fd(t->skel->maps.tw_owners), 8),
	};
	unsigned long long unknown = read_counter(t, RST_CNT_TW_UNKNOWN);
	struct table_use acc = {
		.put = read_counter(t, RST_CNT_ACCEPT_PUT),
		.deleted = read_counter(t, RST_CNT_ACCEPT_DEL),
	};
	struct table_use leg = {
		.put = read_counter(t, RST_CNT_LEGACY_PUT),
		.deleted = read_counter(t, RST_CNT_LEGACY_DEL),
	};

	if (tw.put || unknown)
		fprintf(stderr,
			"rsttrace: TIME_WAIT owners: %u slots (%s), %llu "
			"written, %llu evicted to make room (those of timewait "
			"sockets already gone among them); %llu TIME_WAIT "
			"resets found no owner\n",
			ts->tw_owners, ts->tw_from, tw.put,
			tables__evicted(&tw), unknown);
	if (ts->accepts > 1) {
		acc.live = tables__count(bpf_map__fd(t->skel->maps.accepts), 8);
		fprintf(stderr,
			"rsttrace: accept() table: %u slots, %llu written, "
			"%llu moved to their sockets, %llu forgotten to make "
			"room\n",
			ts->accepts, acc.put, acc.deleted,
			tables__evicted(&acc));
	}
	if (t->feat.legacy_owners) {
		leg.live = tables__count(
			bpf_map__fd(t->skel->maps.owners_by_sk), 8);
		fprintf(stderr,
			"rsttrace: owners by socket address: %u slots, %llu "
			"written, %llu freed with their socket, %llu "
			"forgotten to make room\n",
			ts->owners_by_sk, leg.put, leg.deleted,
			tables__evicted(&leg));
	}
}

/*
 * Runs of the owner-keeping programs the kernel skipped (one was already
 * running on that CPU): owners that may be missing, said at exit.
 */
static void report_owner_misses(struct tracer *t)
{
	struct bpf_program *p;
	unsigned long long sum = 0, covered;

	bpf_object__for_each_program(p, t->skel->obj)
	{
		const char *name = bpf_program__name(p);

		/*
		 * the reset programs' misses are lost resets, reported so; a
		 * stand-in's mean its main program ran
		 */
		if (!strstr(name, "send_reset") &&
		    !strstr(name, "receive_reset") &&
		    strncmp(name, "standin_", 8))
			sum += prog_misses(p);
	}
	covered = read_counter(t, RST_CNT_SET_STATE_COVERED);
	sum = sum > covered ? sum - covered : 0;
	if (sum)
		fprintf(stderr,
			"rsttrace: the kernel skipped rsttrace's owner-keeping "
			"programs %llu times (one was already running on that "
			"CPU): those sockets' owners may be missing\n",
			sum);
}

/* At start-up: what happens past the tables' sizes. */
static void print_tables(const struct tracer *t)
{
	const struct table_sizes *ts = &t->tables;

	fprintf(stderr,
		"rsttrace: TIME_WAIT owners kept for %u sockets (%s); past "
		"that the oldest are forgotten, and counted\n",
		ts->tw_owners, ts->tw_from);
	if (ts->accepts > 1)
		fprintf(stderr,
			"rsttrace: accept() results wait in a table of %u "
			"until a hook reaches their socket; past that the "
			"oldest are forgotten, and counted\n",
			ts->accepts);
}

int main(int argc, char **argv)
{
	struct rst_config cfg;
	struct tracer t = { .cfg = &cfg, .out.fd = STDOUT_FILENO };
	struct seed_stats seed = {};
	struct seed_maps seed_maps;
	unsigned long long untracked;
	char msg[256];
	struct btf *vmlinux;
	sigset_t mask;
	int err;

	err = args__parse(argc, argv, &cfg);
	if (err)
		return err > 0 ? 0 : 2;

	libbpf_set_print(cfg.verbose ? print_libbpf : print_libbpf_quiet);
	vmlinux = btf__load_vmlinux_btf();
	features__probe(&t.feat, vmlinux);
	if (vmlinux)
		features__probe_storage(&t.feat);
	/* -V only looks; loading modules waits for the privilege check */
	if (vmlinux && t.feat.kprobes)
		t.feat.nf_reset_args =
			features__nf_reset_args(vmlinux, t.feat.release, false);
	if (vmlinux)
		reasons__load(&t.reasons, vmlinux);
	if (cfg.version) {
		print_version(&t);
		goto cleanup;
	}
	if (!has_privileges()) {
		fprintf(stderr,
			"rsttrace: must run as root (or with CAP_BPF, "
			"CAP_PERFMON, CAP_SYS_PTRACE and CAP_SYS_ADMIN): try "
			"sudo rsttrace\n");
		err = 1;
		goto cleanup;
	}
	if (vmlinux && t.feat.nf_reset_args < 0)
		t.feat.nf_reset_args =
			features__nf_reset_args(vmlinux, t.feat.release, true);
	if (cfg.cgroup &&
	    cgroup__resolve(cfg.cgroup, &t.cgroup_id, msg, sizeof(msg))) {
		fprintf(stderr, "rsttrace: -c: %s\n", msg);
		err = 2; /* a bad argument */
		goto cleanup;
	}
	if (!vmlinux) {
		fprintf(stderr,
			"rsttrace: no kernel BTF at /sys/kernel/btf/vmlinux: "
			"this kernel (%s) was built without "
			"CONFIG_DEBUG_INFO_BTF=y\n",
			t.feat.release);
		err = 1;
		goto cleanup;
	}
	if (!t.feat.ringbuf) {
		fprintf(stderr,
			"rsttrace: kernel %s has no BPF ring buffer "
			"(BPF_MAP_TYPE_RINGBUF, Linux 5.8 or later needed)\n",
			t.feat.release);
		err = 1;
		goto cleanup;
	}
	if (check_acceptor(&t)) {
		err = 1;
		goto cleanup;
	}
	/*
	 * Everything needed from it is copied out; libbpf loads its own copy
	 * for CO-RE. Keeping ours would double the peak RSS (5.5 MB on 6.18).
	 */
	btf__free(vmlinux);
	vmlinux = NULL;

	/* handled through signalfd, so they must not interrupt us */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* stacks serve --kstack, and inference where the kernel names no reason */
	t.want_stacks = cfg.kstack || cfg.infer_reasons || !t.feat.active_reasons;
	t.see_all_senders = t.feat.send_reset_nosock && !cfg.npids &&
			    !cfg.nlports && !cfg.nrports && !cfg.nports &&
			    !cfg.direction && !cfg.cgroup;
	t.infer.reasons = &t.reasons;
	t.infer.active_reasons = t.feat.active_reasons;
	t.infer.force = cfg.infer_reasons;
	t.corr = correlator__new(HOLD_NS, MAX_PENDING, emit_record, &t);
	t.lost = lost__new();
	if (cfg.summary_s)
		t.summary = summary__new();
	if (!t.corr || !t.lost || (cfg.summary_s && !t.summary)) {
		fprintf(stderr, "rsttrace: out of memory\n");
		err = 1;
		goto cleanup;
	}

	if (load(&t)) {
		err = 1;
		goto cleanup;
	}
	err = setup_filters(&t);
	if (err) {
		fprintf(stderr, "rsttrace: cannot set up filters: %s\n",
			strerror(-err));
		err = 1;
		goto cleanup;
	}
	if (attach(&t)) {
		err = 1;
		goto cleanup;
	}
	/* after load, so that the programs' own frames have names */
	if (t.want_stacks) {
		t.ksyms = ksyms__load();
		if (!t.ksyms && cfg.kstack) {
			fprintf(stderr,
				"rsttrace: cannot read kernel symbols from "
				"/proc/kallsyms (%s): check "
				"kernel.kptr_restrict\n",
				strerror(errno));
			err = 1;
			goto cleanup;
		}
	}
	/* after attach, so that no socket is born unseen in between */
	seed_maps.storage_fd = t.feat.legacy_owners ?
				       -1 :
				       bpf_map__fd(t.skel->maps.owners);
	seed_maps.cookies_fd = bpf_map__fd(t.skel->maps.seeds);
	seed_maps.listeners_fd = bpf_map__fd(t.skel->maps.listeners);
	err = seed__owners(&seed_maps, &seed);
	if (err)
		fprintf(stderr,
			"rsttrace: warning: cannot seed owners of existing "
			"sockets: %s\n",
			strerror(-err));
	else if (cfg.verbose)
		fprintf(stderr,
			"rsttrace: seeded %u of %u existing TCP sockets in %u "
			"network namespaces (%u without a process, %u "
			"failed)\n",
			seed.seeded, seed.sockets, seed.netns, seed.unowned,
			seed.failed);

	t.rb = ring_buffer__new(bpf_map__fd(t.skel->maps.events), handle_event,
				&t, NULL);
	if (!t.rb) {
		fprintf(stderr, "rsttrace: cannot open ring buffer: %s\n",
			strerror(errno));
		err = 1;
		goto cleanup;
	}
	clock__refresh(&t.clock);
	t.fmt.wide = cfg.wide;
	t.fmt.timestamp = cfg.timestamp;
	t.fmt.clock = &t.clock;
	t.fmt.kernel_reason = cfg.infer_reasons;
	t.fmt.ksyms = cfg.kstack ? t.ksyms : NULL;
	t.next_summary_ms = now_ms() + cfg.summary_s * 1000LL;
	if (!cfg.json && !cfg.summary_s) {
		format__table_header(&t.out.buf, &t.fmt);
		output__flush(&t.out);
	}
	features__print_sources(&t.feat, stderr);
	print_tables(&t);
	fprintf(stderr, "Tracing TCP resets. Hit Ctrl-C to end.\n");

	err = event_loop(&t) ? 1 : 0;

	/* what is already in the ring buffer is still reported */
	if (!t.out.closed && !t.count_reached)
		ring_buffer__consume(t.rb);
	correlator__flush(t.corr, 0, true);
	if (t.summary) {
		long long start = t.next_summary_ms - cfg.summary_s * 1000LL;
		double interval = (now_ms() - start) / 1000.0;

		/* the last interval is cut short; never report it as 0 */
		print_summary(&t, interval < 0.001 ? 0.001 : interval);
	}
	report_lost(&t);
	output__flush(&t.out);
	fprintf(stderr, "rsttrace: %llu events, %llu lost\n", t.events,
		(unsigned long long)lost__total(t.lost));
	if (t.out.unwritten)
		fprintf(stderr,
			"rsttrace: %llu records not written: out of memory\n",
			t.out.unwritten);
	/* no more writers: the tables hold still while they are counted */
	rsttrace_bpf__detach(t.skel);
	report_tables(&t);
	report_owner_misses(&t);
	untracked = read_counter(&t, RST_CNT_STORAGE_FAIL);
	if (untracked)
		fprintf(stderr,
			"rsttrace: %llu sockets had no owner record (socket "
			"storage allocation failed)\n",
			untracked);

cleanup:
	ring_buffer__free(t.rb);
	correlator__free(t.corr);
	lost__free(t.lost);
	summary__free(t.summary);
	ksyms__free(t.ksyms);
	rsttrace_bpf__destroy(t.skel);
	reasons__free(&t.reasons);
	btf__free(vmlinux);
	outbuf__free(&t.out.buf);
	return err;
}
