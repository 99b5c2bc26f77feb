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
#include "output.h"
#include "reasons.h"
#include "rsttrace.h"
#include "rsttrace.skel.h"
#include "seed.h"
#include "summary.h"

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
	struct infer_opts infer;
	struct correlator *corr;
	struct summary *summary;
	struct ksyms *ksyms; /* when stacks are collected */
	bool want_stacks;
	/* no filter can hide the sending end of a reset on this host */
	bool see_all_senders;
	long long next_summary_ms;
	unsigned long long events;
	unsigned long long lost; /* as last reported */
	bool done;
	bool count_reached;
};

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int print_libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
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
	else if (t->cfg->json)
		format__json_record(&t->out.buf, r, &t->fmt);
	else
		format__table_record(&t->out.buf, r, &t->fmt);
	t->events++;
	/* a long burst is written in chunks rather than held */
	if (t->out.buf.len > (64 << 10) && output__flush(&t->out))
		t->done = true;
	if (t->cfg->count && t->events >= t->cfg->count)
		t->done = t->count_reached = true;
}

/* Function names of the event's kernel stack, for inference. */
static unsigned int stack_frames(struct tracer *t, const struct rst_event *e,
				 const char **frames, unsigned int max)
{
	uint64_t ips[RST_KSTACK_MAX], off;
	unsigned int n, i;

	if (!t->ksyms)
		return 0;
	n = format__read_stack(bpf_map__fd(t->skel->maps.stacks), e->kstack_id,
			       ips, max < RST_KSTACK_MAX ? max : RST_KSTACK_MAX);
	/* return addresses: one byte back is inside the calling function */
	for (i = 0; i < n; i++)
		frames[i] = ksyms__find(t->ksyms, ips[i] - (i > 0), &off);
	return n;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const char *frames[RST_KSTACK_MAX];
	struct tracer *t = ctx;
	struct rst_record r;
	unsigned int n;

	if (size < sizeof(r.ev))
		return 0;
	memset(&r, 0, sizeof(r));
	memcpy(&r.ev, data, sizeof(r.ev));
	n = stack_frames(t, &r.ev, frames, RST_KSTACK_MAX);
	infer__resolve(&r, frames, n, &t->infer);
	correlator__add(t->corr, &r, clock__boot_ns());
	if (t->done)
		return -ECANCELED;
	return 0;
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

/* Report events the kernel could not queue, in-band and on stderr. */
static void report_lost(struct tracer *t)
{
	unsigned long long total = read_counter(t, RST_CNT_LOST);
	unsigned long long delta = total - t->lost;

	if (!delta)
		return;
	t->lost = total;
	if (t->cfg->json)
		format__json_lost(&t->out.buf, clock__boot_ns(), delta, total,
				  &t->fmt);
	fprintf(stderr,
		"rsttrace: %llu events lost (ring buffer full; raise "
		"--ringbuf-size)\n",
		delta);
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
		summary__print_json(t->summary, &t->out.buf,
				    tb.data ? tb.data : "", interval_s);
	} else {
		localtime_r(&ts.tv_sec, &tm);
		strftime(title, sizeof(title), "%Y-%m-%d %H:%M:%S", &tm);
		summary__print_table(t->summary, &t->out.buf, title);
	}
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

static int configure(struct tracer *t)
{
	const struct rst_config *cfg = t->cfg;
	struct rsttrace_bpf *skel = t->skel;
	char err[256];

	skel->rodata->filter_pid = cfg->npids > 0;
	skel->rodata->filter_lport = cfg->nlports > 0;
	skel->rodata->filter_rport = cfg->nrports > 0;
	skel->rodata->filter_port = cfg->nports > 0;
	skel->rodata->filter_family = cfg->family;
	skel->rodata->filter_direction = cfg->direction;
	if (cfg->cgroup) {
		uint64_t id;
		int level;

		if (cgroup__resolve(cfg->cgroup, &id, &level, err,
				    sizeof(err))) {
			fprintf(stderr, "rsttrace: %s\n", err);
			return -EINVAL;
		}
		skel->rodata->filter_cgroup_id = id;
		skel->rodata->filter_cgroup_level = level;
	}
	if (bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_size))
		return -EINVAL;

	/* one of the two tcp_send_reset layouts, per this kernel's BTF */
	bpf_program__set_autoload(skel->progs.handle_send_reset,
				  t->feat.send_reset_reason);
	bpf_program__set_autoload(skel->progs.handle_send_reset_noreason,
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
	bpf_program__set_autoload(skel->progs.handle_sock_graft,
				  t->feat.kprobes && t->feat.graft_fn);
	return 0;
}

static const char *load_hint(int err)
{
	if (err == -EACCES)
		return "the kernel's verifier rejected a program; run with -v "
		       "for its log";
	if (err == -EPERM)
		return "permission denied: run as root (CAP_BPF and "
		       "CAP_PERFMON are needed); check "
		       "kernel.unprivileged_bpf_disabled and lockdown";
	if (err == -EINVAL || err == -524 /* ENOTSUPP */ || err == -EOPNOTSUPP)
		return "this kernel lacks a BPF feature rsttrace needs "
		       "(tp_btf programs with socket storage need Linux 5.11 "
		       "or later); run with -v for the verifier's log";
	return "run with -v for libbpf's log";
}

/* Open, configure and load with the owner store @legacy. */
static int load_once(struct tracer *t, bool legacy)
{
	int err;

	t->skel = rsttrace_bpf__open();
	if (!t->skel) {
		fprintf(stderr, "rsttrace: cannot open BPF object: %s\n",
			strerror(errno));
		return -errno;
	}
	err = configure(t);
	if (err)
		return err;
	t->skel->rodata->legacy_owners = legacy;
	/* the legacy store's maps are not used: no memory for them */
	if (!legacy) {
		bpf_map__set_max_entries(t->skel->maps.owners_by_sk, 1);
		bpf_map__set_max_entries(t->skel->maps.listeners, 1);
		bpf_map__set_max_entries(t->skel->maps.seeds, 1);
	}
	bpf_program__set_autoload(t->skel->progs.handle_destroy_sock, legacy);
	return rsttrace_bpf__load(t->skel);
}

/*
 * Socket storage in tracing programs needs 5.11: where the kernel refuses
 * it, load again with the legacy owner store. Only the last attempt's
 * errors are shown, unless -v.
 */
static int load(struct tracer *t)
{
	int err;

	libbpf_set_print(t->cfg->verbose ? print_libbpf : NULL);
	err = t->cfg->legacy_owners ? -EOPNOTSUPP : load_once(t, false);
	if (err && (t->skel || t->cfg->legacy_owners)) {
		rsttrace_bpf__destroy(t->skel);
		if (t->cfg->verbose)
			fprintf(stderr, "rsttrace: socket storage unusable in "
					"tracing programs (Linux < 5.11?): "
					"legacy owner store\n");
		libbpf_set_print(t->cfg->verbose ? print_libbpf :
						   print_libbpf_quiet);
		err = load_once(t, true);
		t->feat.legacy_owners = !err;
	}
	libbpf_set_print(t->cfg->verbose ? print_libbpf : print_libbpf_quiet);
	if (err)
		fprintf(stderr, "rsttrace: cannot load BPF programs: %s\n",
			load_hint(err));
	return err;
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

	/*
	 * accept() refines owners of accepted sockets; optional. The kprobe
	 * where it can be placed: the syscall tracepoints slow down every
	 * syscall on the host (rsttrace.bpf.c: handle_sock_graft).
	 */
	if (bpf_program__autoload(skel->progs.handle_sock_graft))
		skel->links.handle_sock_graft =
			bpf_program__attach(skel->progs.handle_sock_graft);
	t->feat.accept_kprobe = skel->links.handle_sock_graft;
	if (!t->feat.accept_kprobe && features__mount_tracefs()) {
		skel->links.handle_accept4_exit =
			bpf_program__attach(skel->progs.handle_accept4_exit);
		skel->links.handle_accept_exit =
			bpf_program__attach(skel->progs.handle_accept_exit);
	}
	t->feat.accept_attached = t->feat.accept_kprobe ||
				  (skel->links.handle_accept4_exit &&
				   skel->links.handle_accept_exit);

	/* optional kprobes: a failure costs visibility, not the run */
	if (bpf_program__autoload(skel->progs.handle_v4_send_reset)) {
		skel->links.handle_v4_send_reset =
			bpf_program__attach(skel->progs.handle_v4_send_reset);
		skel->links.handle_v6_send_reset =
			bpf_program__attach(skel->progs.handle_v6_send_reset);
		t->feat.nosock_probe = skel->links.handle_v4_send_reset &&
				       skel->links.handle_v6_send_reset;
	}
	if (bpf_program__autoload(skel->progs.handle_nf_send_reset)) {
		skel->links.handle_nf_send_reset =
			bpf_program__attach(skel->progs.handle_nf_send_reset);
		skel->links.handle_nf_send_reset6 =
			bpf_program__attach(skel->progs.handle_nf_send_reset6);
		t->feat.netfilter = skel->links.handle_nf_send_reset &&
				    skel->links.handle_nf_send_reset6;
	}
	if (!t->feat.accept_attached)
		fprintf(stderr,
			"rsttrace: warning: accept() tracepoints unavailable "
			"(tracefs or CONFIG_FTRACE_SYSCALLS missing): accepted "
			"sockets are attributed to the listener's owner\n");
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

	if (!t->cfg->json) {
		printf("rsttrace %s\nlibbpf %s\n", RSTTRACE_VERSION,
		       libbpf_version_string());
		features__print(f, stdout);
		printf("  reset reasons from BTF:               %u names\n",
		       t->reasons.n);
		return;
	}
	/* for scripts (and the test suite) that gate on what is visible */
	printf("{\"version\":\"%s\",\"libbpf\":\"%s\",\"kernel\":\"%s\","
	       "\"btf\":%s,\"ringbuf\":%s,\"kprobes\":%s,"
	       "\"kernel_reasons_passive\":%s,\"kernel_reasons_active\":%s,"
	       "\"nosock_resets\":%s,\"netfilter_resets\":%s,"
	       "\"accept_tracepoints\":%s,\"reason_names\":%u}\n",
	       RSTTRACE_VERSION, libbpf_version_string(), f->release,
	       f->btf ? "true" : "false", f->ringbuf ? "true" : "false",
	       f->kprobes ? "true" : "false",
	       f->send_reset_reason ? "true" : "false",
	       f->active_reasons ? "true" : "false",
	       f->send_reset_nosock || f->kprobes ? "true" : "false",
	       f->kprobes && f->nf_reset_args ? "true" : "false",
	       f->accept_tp || (f->kprobes && f->graft_fn) ? "true" : "false",
	       t->reasons.n);
}

int main(int argc, char **argv)
{
	struct rst_config cfg;
	struct tracer t = { .cfg = &cfg, .out.fd = STDOUT_FILENO };
	struct seed_stats seed = {};
	struct seed_maps seed_maps;
	unsigned long long untracked;
	struct btf *vmlinux;
	sigset_t mask;
	int err;

	err = args__parse(argc, argv, &cfg);
	if (err)
		return err > 0 ? 0 : 2;

	libbpf_set_print(cfg.verbose ? print_libbpf : print_libbpf_quiet);
	vmlinux = btf__load_vmlinux_btf();
	features__probe(&t.feat, vmlinux);
	if (vmlinux && t.feat.kprobes)
		t.feat.nf_reset_args = features__nf_reset_args(vmlinux);
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
	if (cfg.summary_s)
		t.summary = summary__new();
	if (!t.corr || (cfg.summary_s && !t.summary)) {
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
	t.fmt.stacks_fd = bpf_map__fd(t.skel->maps.stacks);
	t.next_summary_ms = now_ms() + cfg.summary_s * 1000LL;
	if (!cfg.json && !cfg.summary_s) {
		format__table_header(&t.out.buf, &t.fmt);
		output__flush(&t.out);
	}
	features__print_sources(&t.feat, stderr);
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
	fprintf(stderr, "rsttrace: %llu events, %llu lost\n", t.events, t.lost);
	untracked = read_counter(&t, RST_CNT_STORAGE_FAIL);
	if (untracked)
		fprintf(stderr,
			"rsttrace: %llu sockets had no owner record (socket "
			"storage allocation failed)\n",
			untracked);

cleanup:
	ring_buffer__free(t.rb);
	correlator__free(t.corr);
	summary__free(t.summary);
	ksyms__free(t.ksyms);
	rsttrace_bpf__destroy(t.skel);
	reasons__free(&t.reasons);
	btf__free(vmlinux);
	outbuf__free(&t.out.buf);
	return err;
}
