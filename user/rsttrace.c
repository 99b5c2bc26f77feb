// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * rsttrace: which process's TCP connection was reset, by whom, and why.
 *
 * main() in steps: detect what the kernel offers; prepare (privileges,
 * arguments that need the system); load and attach (loader.h); seed the
 * owners of existing sockets; start the pipeline; drop privileges (-Z);
 * say it is ready; run the event loop, which feeds each ring buffer record
 * through the pipeline (pipeline.h); finish: say what was lost and what
 * the tables forgot.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "cgnames.h"
#include "cgroup.h"
#include "selector.h"
#include "clock.h"
#include "features.h"
#include "format.h"
#include "infer.h"
#include "ksyms.h"
#include "loader.h"
#include "lost.h"
#include "notify.h"
#include "output.h"
#include "pipeline.h"
#include "privdrop.h"
#include "reasons.h"
#include "report.h"
#include "rsttrace.h"
#include "rsttrace.skel.h"

#define STATS_INTERVAL_MS 1000

/* Everything the run works on; owned by main(). */
struct tracer {
	const struct rst_config *cfg;
	struct features feat; /* detection */
	struct reasons reasons;
	struct loader ld; /* the BPF side, and what is attached */
	struct ring_buffer *rb;
	struct output out;
	struct rst_clock clock;
	struct fmt_opts fmt;
	struct infer_opts infer;
	struct ksyms *ksyms; /* when stacks are collected */
	struct pipe_env env;
	struct pipeline *pipe;
	struct cgnames *cgnames; /* what the identity stage names */
	struct lost_reporter lost;
	struct privdrop priv; /* -Z */
	struct notify notify; /* the service manager */
	bool done;
};

/* The effective capability set; 0 if capget() fails. */
static uint64_t effective_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return (uint64_t)data[1].effective << 32 | data[0].effective;
}

static bool has_cap(uint64_t caps, int cap)
{
	return caps >> cap & 1;
}

/*
 * A user namespace of its own (a rootless or user-namespaced container):
 * the host's maps every uid to itself. Says how in @how.
 */
static bool in_user_ns(char *how, size_t len)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
	fclose(f);
	if (n == 3 && !inside && !outside && count == 4294967295UL)
		return false;
	if (n == 3 && geteuid() >= inside && geteuid() - inside < count)
		snprintf(how, len, "uid %u here is uid %lu on the host",
			 (unsigned int)geteuid(),
			 outside + (geteuid() - inside));
	else
		snprintf(how, len, "uid %u here is no uid on the host",
			 (unsigned int)geteuid());
	return true;
}

/*
 * Root, or the capabilities that loading and seeding need; else one line
 * saying which are missing and where to give them. Returns true if ok.
 */
static bool check_privileges(void)
{
	uint64_t caps = effective_caps();
	bool admin = has_cap(caps, CAP_SYS_ADMIN);
	bool load = (admin || has_cap(caps, CAP_BPF)) &&
		    (admin || has_cap(caps, CAP_PERFMON));
	bool bpf = has_cap(caps, CAP_BPF), perfmon = has_cap(caps, CAP_PERFMON);
	char how[96];

	if (in_user_ns(how, sizeof(how))) {
		fprintf(stderr,
			"rsttrace: runs in a user namespace (%s: a rootless or "
			"user-namespaced container), where the kernel grants "
			"no BPF: run it in the host's user namespace, as root "
			"(docker or podman run --privileged, not rootless; "
			"Kubernetes: securityContext.privileged: true, without "
			"hostUsers: false)\n",
			how);
		return false;
	}
	if (geteuid() == 0 && !load) {
		fprintf(stderr,
			"rsttrace: runs as root without %s%s%s (or "
			"CAP_SYS_ADMIN) in its capabilities: give them "
			"(docker run --privileged, or --cap-add BPF --cap-add "
			"PERFMON --cap-add SYS_ADMIN --cap-add SYS_PTRACE; "
			"Kubernetes: securityContext.privileged: true; "
			"systemd: CapabilityBoundingSet=)\n",
			bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			perfmon ? "" : "CAP_PERFMON");
		return false;
	}
	if (geteuid() == 0 ||
	    (load && has_cap(caps, CAP_SYS_PTRACE) && bpf && perfmon && admin))
		return true;
	fprintf(stderr, "rsttrace: must run as root (or with CAP_BPF, "
			"CAP_PERFMON, CAP_SYS_PTRACE and CAP_SYS_ADMIN): try "
			"sudo rsttrace\n");
	return false;
}

/*
 * The ring buffer's callback: one record into the pipeline. Consuming
 * stops only once -n is reached or the reader is gone: after a signal,
 * what the ring holds is still reported.
 */
static int handle_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (!pipeline__push(t->pipe, data, size))
		return -ECANCELED;
	return t->out.closed ? -ECANCELED : 0;
}

/* SIGINT, SIGTERM and SIGHUP: handled through signalfd, never delivered. */
static void stop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
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

static int add_epoll(int epfd, int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static long long now_ms(void)
{
	return (long long)(clock__boot_ns() / 1000000ULL);
}

/* The loop's times, in CLOCK_BOOTTIME ms. */
struct loop_clock {
	long long deadline; /* -d, 0: none */
	long long next_stats;
	/* when the ring last had data: until RST_IDLE_MS after, we poll */
	long long last_data;
};

/* How long epoll may wait: until the next thing due, or the next poll. */
static int loop_timeout(const struct tracer *t, const struct loop_clock *lc)
{
	long long now = now_ms(), to = lc->next_stats - now;
	uint64_t due = pipeline__next_due(t->pipe);

	if (lc->deadline && lc->deadline - now < to)
		to = lc->deadline - now;
	if (due != UINT64_MAX && (long long)(due / 1000000ULL) + 1 - now < to)
		to = (long long)(due / 1000000ULL) + 1 - now;
	/*
	 * Events are rate-limited in waking us (RST_WAKEUP_NS), so while
	 * they flow we look without being woken.
	 */
	if (now - lc->last_data < RST_IDLE_MS && to > RST_POLL_MS)
		to = RST_POLL_MS;
	return to < 0 ? 0 : (int)to;
}

/* Once a second: losses, the set_state stand-in, the clock, watchdog. */
static void loop_stats(struct tracer *t)
{
	report__lost(&t->lost);
	loader__check_set_state(&t->ld);
	clock__refresh(&t->clock);
	notify__tick(&t->notify, clock__boot_ns());
}

/* SIGHUP with -o reopens the file (logrotate); any other signal stops. */
static void loop_signal(struct tracer *t, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP && t->cfg->output)
		output__reopen(&t->out);
	else
		t->done = true;
}

/* An epoll fd on the ring, the stop signals and stdout's reader. */
static int loop_open(struct tracer *t, int *sfd)
{
	int rbfd = ring_buffer__epoll_fd(t->rb), epfd;
	sigset_t mask;

	stop_signals(&mask);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (*sfd < 0 || epfd < 0 || add_epoll(epfd, rbfd, EPOLLIN) ||
	    add_epoll(epfd, *sfd, EPOLLIN)) {
		fprintf(stderr, "rsttrace: cannot set up event loop: %s\n",
			strerror(errno));
		if (epfd >= 0)
			close(epfd);
		return -1;
	}
	/* a pipe whose reader exits reports EPOLLERR on its write end */
	if (output__is_pipe(t->out.fd))
		add_epoll(epfd, t->out.fd, 0);
	return epfd;
}

/* Run until a signal, the duration, the count, or the reader going away. */
static int event_loop(struct tracer *t)
{
	struct loop_clock lc = { .next_stats = now_ms() + STATS_INTERVAL_MS };
	int rbfd = ring_buffer__epoll_fd(t->rb), epfd, sfd = -1, err = 0;
	struct epoll_event evs[4];
	bool ready;
	int n, i;

	if (t->cfg->duration_s)
		lc.deadline = now_ms() + t->cfg->duration_s * 1000LL;
	epfd = loop_open(t, &sfd);
	if (epfd < 0)
		err = -1;
	while (!err && !t->done) {
		n = epoll_wait(epfd, evs, 4, loop_timeout(t, &lc));
		if (n < 0 && errno != EINTR)
			err = -errno;
		ready = false;
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == rbfd)
				ready = true;
			else if (evs[i].data.fd == sfd)
				loop_signal(t, sfd);
			else /* stdout's reader went away */
				t->done = true;
		}
		/* cheap when empty; and no record waits past a timeout */
		if (ring_buffer__consume(t->rb) > 0 || ready)
			lc.last_data = now_ms();
		if (pipeline__count_reached(t->pipe))
			t->done = true;
		pipeline__tick(t->pipe, clock__boot_ns());
		if (now_ms() >= lc.next_stats) {
			loop_stats(t);
			lc.next_stats = now_ms() + STATS_INTERVAL_MS;
		}
		if (lc.deadline && now_ms() >= lc.deadline)
			t->done = true;
		if (output__flush(&t->out))
			t->done = true;
	}
	if (sfd >= 0)
		close(sfd);
	if (epfd >= 0)
		close(epfd);
	return err;
}

/* What this kernel offers: looks only, loads nothing. */
static struct btf *detect(struct tracer *t)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();

	features__probe(&t->feat, vmlinux);
	if (!vmlinux)
		return NULL;
	features__probe_storage(&t->feat);
	/* -V only looks; loading modules waits for the privilege check */
	if (t->feat.kprobes)
		t->feat.nf_reset_args = features__nf_reset_args(
			vmlinux, t->feat.release, false);
	reasons__load(&t->reasons, vmlinux);
	return vmlinux;
}

/*
 * No /sys/kernel/btf/vmlinux: a kernel built without BTF has no
 * /sys/kernel/btf in its sysfs; anything else hides the kernel's sysfs.
 */
static void say_no_btf(const struct features *f)
{
	struct statfs sfs;
	bool sysfs = !statfs("/sys/kernel", &sfs) && sfs.f_type == SYSFS_MAGIC;

	if (sysfs &&
	    (statfs("/sys/kernel/btf", &sfs) ? errno == ENOENT :
					       sfs.f_type == SYSFS_MAGIC))
		fprintf(stderr,
			"rsttrace: no kernel BTF at /sys/kernel/btf/vmlinux: "
			"this kernel (%s) was built without "
			"CONFIG_DEBUG_INFO_BTF=y: run a kernel built with it "
			"(Debian 11+, Ubuntu 20.10+, RHEL 8.2+, Fedora)\n",
			f->release);
	else
		fprintf(stderr,
			"rsttrace: no kernel BTF at /sys/kernel/btf/vmlinux: "
			"something other than the kernel's sysfs is mounted "
			"there (a container?): mount the host's "
			"(docker run -v /sys/kernel/btf:/sys/kernel/btf:ro, "
			"or --privileged; Kubernetes: a hostPath volume "
			"/sys/kernel/btf)\n");
}

/* What must hold before anything is loaded: 0, 1, or 2 (bad argument). */
static int prepare(struct tracer *t, const struct btf *vmlinux)
{
	const struct rst_config *cfg = t->cfg;
	char msg[1024], path[4096];

	if (!check_privileges())
		return 1;
	if (cfg->user &&
	    privdrop__lookup(&t->priv, cfg->user, msg, sizeof(msg))) {
		fprintf(stderr, "rsttrace: %s\n", msg);
		return 2;
	}
	if (output__open(&t->out, cfg->output))
		return 1;
	if (cfg->output_max_size && !t->out.is_file) {
		fprintf(stderr,
			"rsttrace: --output-max-size: %s is not a regular "
			"file, which cannot be rotated\n",
			cfg->output);
		return 2;
	}
	t->out.max_size = cfg->output_max_size;
	t->out.keep = cfg->output_keep ? cfg->output_keep :
					 RST_OUTPUT_KEEP_DEFAULT;
	notify__open(&t->notify);
	if (vmlinux && t->feat.nf_reset_args < 0)
		t->feat.nf_reset_args =
			features__nf_reset_args(vmlinux, t->feat.release, true);
	if (cfg->cgroup &&
	    cgroup__resolve(cfg->cgroup, &t->ld.cgroup_id, msg, sizeof(msg))) {
		fprintf(stderr, "rsttrace: -c: %s\n", msg);
		return 2;
	}
	if (selector__resolve(cfg, &t->ld.cgroup_id, path, sizeof(path), msg,
			      sizeof(msg))) {
		fprintf(stderr, "rsttrace: %s\n", msg);
		return 2;
	}
	if (t->ld.cgroup_id && !cfg->cgroup)
		fprintf(stderr, "rsttrace: only the cgroup %s (id %llu)\n",
			path, (unsigned long long)t->ld.cgroup_id);
	if (!vmlinux) {
		say_no_btf(&t->feat);
		return 1;
	}
	if (!t->feat.ringbuf) {
		fprintf(stderr,
			"rsttrace: kernel %s has no BPF ring buffer "
			"(BPF_MAP_TYPE_RINGBUF, Linux 5.8 or later needed)\n",
			t->feat.release);
		return 1;
	}
	return check_acceptor(t) ? 1 : 0;
}

/* Open, load, filters, attach; symbols; then the existing sockets. */
static int load(struct tracer *t)
{
	const struct rst_config *cfg = t->cfg;
	sigset_t mask;

	stop_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* stacks serve --kstack, and inference where the kernel names none */
	t->ld.want_stacks = cfg->kstack || cfg->infer_reasons ||
			    !t->feat.active_reasons;
	if (loader__open(&t->ld) || loader__load(&t->ld) ||
	    loader__attach(&t->ld))
		return 1;
	/* after load, so that the programs' own frames have names */
	if (t->ld.want_stacks) {
		t->ksyms = ksyms__load();
		if (!t->ksyms && cfg->kstack) {
			fprintf(stderr,
				"rsttrace: cannot read kernel symbols from "
				"/proc/kallsyms (%s): check "
				"kernel.kptr_restrict\n",
				strerror(errno));
			return 1;
		}
	}
	/* after attach, so that no socket is born unseen in between */
	loader__seed(&t->ld);
	if (cfg->user)
		loader__attach_late(&t->ld);
	return 0;
}

/* -Z: before any thread starts, nothing to regain privileges with. */
static int bound(struct tracer *t)
{
	char msg[256];

	if (!t->cfg->user)
		return 0;
	if (privdrop__bound(msg, sizeof(msg))) {
		fprintf(stderr, "rsttrace: %s\n", msg);
		return 1;
	}
	return 0;
}

/* The table's header: on stdout, and atop every new -o file. */
static void start_table(struct tracer *t)
{
	struct outbuf h = {};

	format__table_header(&h, &t->fmt);
	if (h.oom)
		return;
	if (t->cfg->output)
		output__set_header(&t->out, h.data, h.len);
	if (!t->cfg->output || !t->out.size)
		outbuf__put(&t->out.buf, h.data, h.len);
	outbuf__free(&h);
	output__flush(&t->out);
}

/*
 * The table of cgroup names. RSTTRACE_CGROUP_NAMES=MAX[,KEEP_SECONDS]
 * makes it smaller, so that a test need not make 65,536 cgroups.
 */
static struct cgnames *new_cgnames(void)
{
	const char *knob = getenv("RSTTRACE_CGROUP_NAMES");
	uint64_t keep = CGNAMES_KEEP_NS;
	size_t max = CGNAMES_MAX;
	struct cgnames *n;

	if (knob && !cgnames__parse_limits(knob, &max, &keep)) {
		fprintf(stderr,
			"rsttrace: RSTTRACE_CGROUP_NAMES '%s': want MAX or "
			"MAX,KEEP_SECONDS\n",
			knob);
		return NULL;
	}
	if (knob)
		fprintf(stderr,
			"rsttrace: cgroup names: at most %zu, a removed one's "
			"kept %llu s (RSTTRACE_CGROUP_NAMES)\n",
			max, (unsigned long long)(keep / 1000000000ULL));
	n = cgnames__new(max, keep);
	if (!n)
		fprintf(stderr, "rsttrace: out of memory\n");
	return n;
}

/* The pipeline and what it reads, the ring buffer, the header. */
static int start(struct tracer *t)
{
	const struct rst_config *cfg = t->cfg;

	clock__refresh(&t->clock);
	t->infer = (struct infer_opts){
		.reasons = &t->reasons,
		.active_reasons = t->feat.active_reasons,
		.force = cfg->infer_reasons,
		.see_all_senders = t->feat.send_reset_nosock && !cfg->npids &&
				   !cfg->nlports && !cfg->nrports &&
				   !cfg->nports && !cfg->direction &&
				   !t->ld.cgroup_id,
	};
	t->fmt = (struct fmt_opts){
		.wide = cfg->wide,
		.timestamp = cfg->timestamp,
		.clock = &t->clock,
		.kernel_reason = cfg->infer_reasons,
		.ksyms = cfg->kstack ? t->ksyms : NULL,
	};
	t->env = (struct pipe_env){ .cfg = cfg,
				    .infer = &t->infer,
				    .ksyms = t->ksyms,
				    .fmt = &t->fmt,
				    .clock = &t->clock,
				    .out = &t->out,
				    .feat = &t->feat,
				    .src = &t->ld.src };
	t->lost = (struct lost_reporter){ .cfg = cfg,
					  .ld = &t->ld,
					  .reasons = &t->reasons,
					  .fmt = &t->fmt,
					  .out = &t->out,
					  .lost = lost__new() };
	t->env.lost = t->lost.lost;
	if (!t->lost.lost) {
		fprintf(stderr, "rsttrace: out of memory\n");
		return 1;
	}
	t->cgnames = new_cgnames();
	if (!t->cgnames)
		return 1;
	t->env.cgnames = t->cgnames;
	/* it says why itself */
	t->pipe = pipeline__new(&t->env);
	if (!t->pipe)
		return 1;
	t->rb = ring_buffer__new(bpf_map__fd(t->ld.skel->maps.events),
				 handle_event, t, NULL);
	if (!t->rb) {
		fprintf(stderr, "rsttrace: cannot open ring buffer: %s\n",
			strerror(errno));
		return 1;
	}
	if (!cfg->json && !cfg->summary_s && !cfg->quiet)
		start_table(t);
	report__startup(&t->ld);
	return 0;
}

/*
 * -Z: everything is attached, seeded and bound; from here on USER, with
 * no capabilities. -o's file, if this run made it, becomes USER's, so
 * that SIGHUP and rotation can make the next one.
 */
static int drop(struct tracer *t)
{
	const struct privdrop *p = &t->priv;
	char msg[512], dir[4096], *slash;

	if (!t->cfg->user)
		return 0;
	/* the group stays: a setgid log directory's (adm) keeps its readers */
	if (t->out.created && output__chown(&t->out, p->uid, (gid_t)-1))
		fprintf(stderr, "rsttrace: -Z %s: cannot give %s to it: %s\n",
			p->user, t->cfg->output, strerror(errno));
	if (privdrop__apply(&t->priv, loader__can_read, &t->ld, msg,
			    sizeof(msg))) {
		fprintf(stderr, "rsttrace: %s\n", msg);
		return 1;
	}
	if (p->kept_bpf)
		fprintf(stderr,
			"rsttrace: running as %s (uid %u) with CAP_BPF alone: "
			"Linux %s refuses map lookups to other tasks "
			"(kernel.unprivileged_bpf_disabled)\n",
			p->user, (unsigned int)p->uid, t->feat.release);
	else
		fprintf(stderr,
			"rsttrace: running as %s (uid %u), no capabilities\n",
			p->user, (unsigned int)p->uid);
	if (!t->cfg->output)
		return 0;
	snprintf(dir, sizeof(dir), "%s", t->cfg->output);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (!access(dir, W_OK | X_OK))
		return 0;
	fprintf(stderr,
		"rsttrace: -Z %s cannot create files in %s, which %s needs: "
		"make the directory %s's, or leave out -Z\n",
		p->user, dir,
		t->cfg->output_max_size ? "--output-max-size" :
					  "reopening on SIGHUP",
		p->user);
	return t->cfg->output_max_size ? 1 : 0;
}

/* Scripts and the service manager learn that nothing is missed now. */
static void ready(struct tracer *t)
{
	fprintf(stderr, "Tracing TCP resets. Hit Ctrl-C to end.\n");
	notify__send(&t->notify, "READY=1\nSTATUS=Tracing TCP resets");
}

/* What the ring still holds, then what was lost and forgotten. */
static void finish(struct tracer *t)
{
	notify__send(&t->notify, "STOPPING=1");
	if (!t->out.closed && !pipeline__count_reached(t->pipe))
		ring_buffer__consume(t->rb);
	pipeline__end(t->pipe);
	report__lost(&t->lost);
	output__flush(&t->out);
	fprintf(stderr, "rsttrace: %llu events, %llu lost\n",
		pipeline__records(t->pipe),
		(unsigned long long)lost__total(t->lost.lost));
	report__cgroups(t->cgnames);
	if (t->out.unwritten)
		fprintf(stderr,
			"rsttrace: %llu records not written: out of memory\n",
			t->out.unwritten);
	output__close(&t->out);
	if (t->out.dropped)
		fprintf(stderr,
			"rsttrace: %llu records not written to %s: %s\n",
			t->out.dropped, output__name(&t->out),
			strerror(t->out.last_err));
	/* no more writers: the tables hold still while they are counted */
	loader__detach(&t->ld);
	report__tables(&t->ld);
}

static void cleanup(struct tracer *t)
{
	ring_buffer__free(t->rb);
	pipeline__free(t->pipe);
	cgnames__free(t->cgnames);
	lost__free(t->lost.lost);
	ksyms__free(t->ksyms);
	loader__close(&t->ld);
	reasons__free(&t->reasons);
	output__free(&t->out);
}

int main(int argc, char **argv)
{
	struct rst_config cfg;
	struct tracer t = { .cfg = &cfg, .out.fd = STDOUT_FILENO };
	struct btf *vmlinux;
	int err;

	err = args__parse(argc, argv, &cfg);
	if (err)
		return err > 0 ? 0 : 2;
	loader__set_print(cfg.verbose);
	t.ld.cfg = &cfg;
	t.ld.feat = &t.feat;
	vmlinux = detect(&t);
	if (cfg.version) {
		report__version(&cfg, &t.feat, &t.reasons);
		btf__free(vmlinux);
		cleanup(&t);
		return 0;
	}
	err = prepare(&t, vmlinux);
	/*
	 * Everything needed from it is copied out; libbpf loads its own copy
	 * for CO-RE. Keeping ours would double the peak RSS (5.5 MB on 6.18).
	 */
	btf__free(vmlinux);
	if (!err)
		err = load(&t);
	if (!err)
		err = bound(&t);
	if (!err)
		err = start(&t);
	if (!err)
		err = drop(&t);
	if (!err) {
		ready(&t);
		err = event_loop(&t) ? 1 : 0;
		finish(&t);
	}
	cleanup(&t);
	/* a pipe's reader gone is an end; a device that failed is not */
	return err ? err : t.out.closed && t.out.last_err ? 1 : 0;
}
