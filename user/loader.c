// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "cgroup.h"
#include "loader.h"
#include "rsttrace.skel.h"
#include "seed.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum probe_kind {
	PROBE_PLAIN,
	PROBE_CGROUP, /* attached to the cgroup v2 root */
	PROBE_TRACEFS, /* a classic tracepoint: tracefs mounted first */
	PROBE_ON_DEMAND, /* attached only once it is needed */
};

/* What an optional probe gives when it attaches (struct sources). */
enum probe_gives {
	GIVES_NOTHING, /* a stand-in: it covers, it adds no source */
	GIVES_NOSOCK,
	GIVES_NETFILTER,
};

/*
 * Programs that cost visibility, not the run, when the kernel refuses to
 * load or attach them: both programs of a probe, or neither. Everything
 * else is required and attaches through the skeleton.
 */
static const struct probe {
	const char *progs[2];
	uint32_t hook; /* enum rst_acceptor_hook, 0: none */
	enum probe_gives gives;
	enum probe_kind kind;
} probes[] = {
	{ .progs = { "handle_getpeername4", "handle_getpeername6" },
	  .hook = RST_ACC_GETPEERNAME,
	  .kind = PROBE_CGROUP },
	{ .progs = { "handle_sock_recv", "handle_sock_send" },
	  .hook = RST_ACC_SOCKIO },
	{ .progs = { "handle_rcv_space" }, .hook = RST_ACC_RCVSPACE },
	{ .progs = { "handle_sock_graft" }, .hook = RST_ACC_KPROBE },
	{ .progs = { "handle_accept4_exit", "handle_accept_exit" },
	  .hook = RST_ACC_SYSCALLS,
	  .kind = PROBE_TRACEFS },
	/* stand-ins for the reset programs where the kernel skips them */
	{ .progs = { "standin_send_reset" } },
	{ .progs = { "standin_send_reset_noreason" } },
	{ .progs = { "standin_receive_reset" } },
	{ .progs = { "standin_set_state" }, .kind = PROBE_ON_DEMAND },
	/* what TCP's tracepoints miss, where kprobes exist */
	{ .progs = { "handle_v4_send_reset", "handle_v6_send_reset" },
	  .gives = GIVES_NOSOCK },
	{ .progs = { "handle_nf_send_reset", "handle_nf_send_reset6" },
	  .gives = GIVES_NETFILTER },
};

_Static_assert(ARRAY_SIZE(probes) <= 32, "loader.refused bits");

/*
 * Programs libbpf named in a warning during the last load: the optional
 * ones among them are left out of the next attempt. libbpf's print
 * callback takes no context, hence a file-scope record.
 */
static struct {
	char names[8][64];
	unsigned int n;
	char map[64]; /* the map libbpf could not create, "" if none */
	bool verbose;
} load_log;

/* "libbpf: map 'NAME': failed to create: ..." names the map. */
static void note_failed_map(const char *msg)
{
	const char *p = strstr(msg, "map '");

	if (p && strstr(msg, "failed to create") && !load_log.map[0])
		sscanf(p, "map '%63[^']'", load_log.map);
}

static void note_failed_prog(const char *fmt, va_list ap)
{
	char msg[256], name[64];
	const char *p;
	unsigned int i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	note_failed_map(msg);
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

/*
 * Warnings are noted, and printed only with -v: what the verifier said of
 * a refused optional program is said in one line after the load.
 */
static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	va_list copy;

	if (level == LIBBPF_WARN) {
		va_copy(copy, ap);
		note_failed_prog(fmt, copy);
		va_end(copy);
	}
	if (!load_log.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void loader__set_print(bool verbose)
{
	load_log.verbose = verbose;
	libbpf_set_print(print_libbpf);
}

static struct bpf_program *prog(const struct loader *l, const char *name)
{
	return bpf_object__find_program_by_name(l->skel->obj, name);
}

/* A probe's programs: loaded if @on, and attached by the loader's loop. */
static void probe_configure(struct loader *l, const struct probe *pr, bool on)
{
	unsigned int i;

	if (l->refused & (1u << (pr - probes)))
		on = false;
	for (i = 0; i < 2 && pr->progs[i]; i++) {
		struct bpf_program *p = prog(l, pr->progs[i]);

		if (!p)
			continue;
		bpf_program__set_autoattach(p, false);
		if (!on)
			bpf_program__set_autoload(p, false);
	}
}

/* Which optional probes this kernel gets. */
static void configure_probes(struct loader *l)
{
	const struct features *f = l->feat;
	bool reason = f->send_reset_reason, nosock, nf;
	unsigned int i;

	nosock = f->kprobes && !f->send_reset_nosock;
	nf = f->kprobes && f->nf_reset_args;
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		const struct probe *pr = &probes[i];
		const char *name = pr->progs[0];
		bool on = true;

		if (pr->hook)
			on = l->hooks & pr->hook;
		else if (pr->gives == GIVES_NOSOCK)
			on = nosock;
		else if (pr->gives == GIVES_NETFILTER)
			on = nf;
		else if (!strcmp(name, "standin_send_reset"))
			on = reason;
		else if (!strcmp(name, "standin_send_reset_noreason"))
			on = !reason;
		probe_configure(l, pr, on);
	}
}

/* Bounded maps, sized for this host; unused ones take no memory. */
static int configure_tables(struct loader *l)
{
	struct rsttrace_bpf *skel = l->skel;
	struct table_sizes *ts = &l->tables;

	tables__size(ts, l->cfg->tw_owners, l->src.legacy_owners,
		     l->hooks & (RST_ACC_KPROBE | RST_ACC_SYSCALLS));
	if (bpf_map__set_max_entries(skel->maps.tw_owners, ts->tw_owners) ||
	    bpf_map__set_max_entries(skel->maps.accepts, ts->accepts) ||
	    bpf_map__set_max_entries(skel->maps.owners_by_sk,
				     ts->owners_by_sk) ||
	    bpf_map__set_max_entries(skel->maps.seeds, ts->seeds) ||
	    bpf_map__set_max_entries(skel->maps.listeners, ts->listeners))
		return -EINVAL;
	return 0;
}

/* The load-time knobs: filters, layouts, the owner store, the hooks. */
static int configure(struct loader *l)
{
	const struct rst_config *cfg = l->cfg;
	const struct features *f = l->feat;
	struct rsttrace_bpf *skel = l->skel;
	unsigned long rb =
		cfg->ringbuf_size ?
			cfg->ringbuf_size :
			args__ringbuf_default(libbpf_num_possible_cpus());

	skel->rodata->filter_pid = cfg->npids > 0;
	skel->rodata->filter_lport = cfg->nlports > 0;
	skel->rodata->filter_rport = cfg->nrports > 0;
	skel->rodata->filter_port = cfg->nports > 0;
	skel->rodata->filter_family = cfg->family;
	skel->rodata->filter_direction = cfg->direction;
	skel->rodata->filter_cgroup_id = l->cgroup_id;
	skel->rodata->want_kstack = l->want_stacks;
	skel->rodata->kernel_hz = f->hz;
	skel->rodata->nf_skb_arg = f->nf_reset_args >= 4 ? 2 : 1;
	skel->rodata->legacy_owners = l->src.legacy_owners;
	skel->rodata->acceptor_hooks = l->hooks;
	if (bpf_map__set_max_entries(skel->maps.events, rb))
		return -EINVAL;
	/* one of the two tcp_send_reset layouts, per this kernel's BTF */
	bpf_program__set_autoload(skel->progs.handle_send_reset,
				  f->send_reset_reason);
	bpf_program__set_autoload(skel->progs.handle_send_reset_noreason,
				  !f->send_reset_reason);
	bpf_program__set_autoload(skel->progs.handle_destroy_sock,
				  l->src.legacy_owners);
	configure_probes(l);
	return configure_tables(l);
}

int loader__open(struct loader *l)
{
	l->src.legacy_owners = l->cfg->legacy_owners ||
			       features__legacy_expected(l->feat);
	/* again after a refusal: another hook may stand in */
	l->hooks = features__acceptor_choose(l->feat, l->src.legacy_owners,
					     l->cfg->acceptor,
					     l->refused_hooks);
	l->skel = rsttrace_bpf__open();
	if (!l->skel) {
		fprintf(stderr, "rsttrace: cannot open BPF object: %s\n",
			strerror(errno));
		return -errno;
	}
	return configure(l);
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

static const struct probe *probe_of(const char *name)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		for (j = 0; j < 2 && probes[i].progs[j]; j++)
			if (!strcmp(probes[i].progs[j], name))
				return &probes[i];
	return NULL;
}

/*
 * The probes of the failed load that may be left out: they lose their
 * hook or their source. False when a required program failed.
 */
static bool refuse_failed(struct loader *l)
{
	const struct probe *pr;
	bool dropped = false;
	unsigned int i;

	for (i = 0; i < load_log.n; i++) {
		pr = probe_of(load_log.names[i]);
		if (!pr)
			return false;
		l->refused_hooks |= pr->hook;
		l->refused |= 1u << (pr - probes);
		dropped = true;
	}
	return dropped;
}

static void warn_refused(const struct loader *l)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		if (l->refused & (1u << i))
			fprintf(stderr,
				"rsttrace: warning: this kernel refused %s; "
				"going on without it (-v for the verifier's "
				"log)\n",
				probes[i].progs[0]);
}

/* The lists of -p, -L, -D and -P, into their maps. */
static int set_filters(struct loader *l)
{
	const struct rst_config *cfg = l->cfg;
	int pfd = bpf_map__fd(l->skel->maps.port_filter);
	int pidfd = bpf_map__fd(l->skel->maps.pid_filter);
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

/* Kernel memory a map takes once created, roughly; 0 if by use. */
static unsigned long long map_bytes(const struct bpf_map *m)
{
	unsigned long long n = bpf_map__max_entries(m);
	unsigned long long k = (bpf_map__key_size(m) + 7) & ~7ULL;
	unsigned long long v = (bpf_map__value_size(m) + 7) & ~7ULL;
	int ncpu = libbpf_num_possible_cpus();

	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_RINGBUF:
		return n;
	case BPF_MAP_TYPE_SK_STORAGE:
		return 0; /* per socket, as sockets come */
	case BPF_MAP_TYPE_ARRAY:
		return n * v;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return n * v * (ncpu > 0 ? ncpu : 1);
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		v *= ncpu > 0 ? ncpu : 1;
		break;
	default:
		break;
	}
	if (bpf_map__map_flags(m) & BPF_F_NO_PREALLOC)
		return 0;
	/* a hash element's header, then key and value */
	return n * (48 + k + v);
}

static unsigned long long maps_bytes(const struct loader *l)
{
	unsigned long long sum = 0;
	const struct bpf_map *m;

	bpf_object__for_each_map(m, l->skel->obj) {
		if (bpf_map__autocreate(m))
			sum += map_bytes(m);
	}
	return sum;
}

static unsigned long long mib_up(unsigned long long bytes)
{
	return (bytes + (1 << 20) - 1) >> 20;
}

/*
 * Whether this kernel charges BPF memory to RLIMIT_MEMLOCK: before 5.11,
 * whose memory cgroup accounting came with bpf_ktime_get_coarse_ns() (the
 * test libbpf makes too). A probe that cannot even load says yes.
 */
static bool charges_memlock(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB,
				       BPF_FUNC_ktime_get_coarse_ns, NULL) != 1;
}

/* What failed to load, in words: "BPF map NAME (N entries, about N MB)". */
static void what_failed(const struct loader *l, char *buf, size_t len)
{
	const struct bpf_map *m = NULL;

	if (load_log.map[0])
		m = bpf_object__find_map_by_name(l->skel->obj, load_log.map);
	if (!m)
		snprintf(buf, len, "BPF programs and maps");
	else if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
		snprintf(buf, len, "the BPF ring buffer (%llu MB)",
			 mib_up(map_bytes(m)));
	else
		snprintf(buf, len, "BPF map %s (%u entries, about %llu MB)",
			 load_log.map, bpf_map__max_entries(m),
			 mib_up(map_bytes(m)));
}

/* The ring buffer failed: --ringbuf-size is the knob. */
static const char *smaller_ring(void)
{
	return strcmp(load_log.map, "events") ?
		       "" :
		       ", or give a smaller --ringbuf-size";
}

/* Out of memory: the memory cgroup's limit, or the host's memory. */
static void say_nomem(const struct loader *l)
{
	char what[160], where[4096];
	unsigned long long limit;

	what_failed(l, what, sizeof(what));
	if (!cgroup__memory_limit(&limit, where, sizeof(where)))
		fprintf(stderr,
			"rsttrace: cannot create %s: out of memory in its "
			"memory cgroup, limited to %llu MB by %s: raise that "
			"limit by about %llu MB, its maps' size (the "
			"container's memory limit, MemoryMax= of a systemd "
			"unit)%s\n",
			what, limit >> 20, where, mib_up(maps_bytes(l)),
			smaller_ring());
	else
		fprintf(stderr,
			"rsttrace: cannot create %s: the kernel is out of "
			"memory (its maps need about %llu MB): free some%s\n",
			what, mib_up(maps_bytes(l)), smaller_ring());
}

/* Before 5.11, BPF memory counts against RLIMIT_MEMLOCK. */
static bool say_memlock(const struct loader *l)
{
	char what[160];
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    !charges_memlock())
		return false;
	what_failed(l, what, sizeof(what));
	fprintf(stderr,
		"rsttrace: cannot create %s: RLIMIT_MEMLOCK is %llu KiB and "
		"Linux %s charges BPF memory to it: raise it (ulimit -l "
		"unlimited; LimitMEMLOCK=infinity in a systemd unit; docker "
		"run --ulimit memlock=-1), or give rsttrace CAP_SYS_RESOURCE "
		"to raise it itself\n",
		what, (unsigned long long)rl.rlim_cur >> 10, l->feat->release);
	return true;
}

/* A refusal for want of memory is no refusal of a program. */
static bool out_of_memory(int err)
{
	struct rlimit rl;

	return err == -ENOMEM ||
	       (err == -EPERM && !getrlimit(RLIMIT_MEMLOCK, &rl) &&
		rl.rlim_cur != RLIM_INFINITY && charges_memlock());
}

static void say_load_failed(const struct loader *l, int err)
{
	if (err == -ENOMEM)
		say_nomem(l);
	else if (err != -EPERM || !say_memlock(l))
		fprintf(stderr, "rsttrace: cannot load BPF programs: %s\n",
			load_hint(err, l->src.legacy_owners));
}

int loader__load(struct loader *l)
{
	int err = 0, tries;

	if (l->src.legacy_owners && l->cfg->verbose)
		fprintf(stderr, "rsttrace: no socket storage in tracing "
				"programs: legacy owner store\n");
	for (tries = 0; tries < 4; tries++) {
		load_log.n = 0;
		load_log.map[0] = '\0';
		err = rsttrace_bpf__load(l->skel);
		if (!err || out_of_memory(err) || !refuse_failed(l))
			break;
		rsttrace_bpf__destroy(l->skel);
		err = loader__open(l);
		if (err)
			return err;
	}
	if (err) {
		say_load_failed(l, err);
		return err;
	}
	warn_refused(l);
	err = set_filters(l);
	if (err)
		fprintf(stderr, "rsttrace: cannot set up filters: %s\n",
			strerror(-err));
	return err;
}

/* A probe's link slots in the skeleton, found by program. */
static struct bpf_link **link_of(struct loader *l, struct bpf_program *p)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	int i;

	for (i = 0; i < s->prog_cnt; i++)
		if (*s->progs[i].prog == p)
			return s->progs[i].link;
	return NULL;
}

static struct bpf_link *attach_prog(struct bpf_program *p, int cgroup_fd)
{
	if (cgroup_fd >= 0)
		return bpf_program__attach_cgroup(p, cgroup_fd);
	return bpf_program__attach(p);
}

/*
 * All of a probe's programs, or none (as the sources line says). The
 * skeleton owns the links and destroys them at exit.
 */
static bool probe_attach(struct loader *l, const struct probe *pr,
			 int cgroup_fd)
{
	unsigned int i, n = pr->progs[1] ? 2 : 1;
	struct bpf_link **links[2] = {};

	for (i = 0; i < n; i++) {
		struct bpf_program *p = prog(l, pr->progs[i]);

		links[i] = p && bpf_program__autoload(p) ? link_of(l, p) : NULL;
		if (!links[i])
			break;
		*links[i] = attach_prog(p, cgroup_fd);
		if (!*links[i])
			break;
	}
	if (i == n)
		return true;
	while (i--) {
		bpf_link__destroy(*links[i]);
		*links[i] = NULL;
	}
	return false;
}

/*
 * Classic tracepoints take their ids from tracefs: one line saying how to
 * get it. Asked for by --acceptor, it is an error; chosen, a warning.
 */
static int say_no_tracefs(const struct loader *l, const struct probe *pr,
			  int err)
{
	bool forced = l->cfg->acceptor & pr->hook;
	char hook[32];

	features__acceptor_names(pr->hook, hook, sizeof(hook));
	fprintf(stderr,
		"rsttrace: %s %s: its tracepoints need tracefs, which is not "
		"at /sys/kernel/tracing and cannot be mounted there (%s): "
		"mount it first (mount -t tracefs nodev /sys/kernel/tracing; "
		"in a container, mount the host's /sys/kernel/tracing, or "
		"give it CAP_SYS_ADMIN)%s\n",
		forced ? "--acceptor" : "warning: acceptor hook", hook,
		strerror(-err), forced ? "" : "; going on without it");
	return forced ? -3 : -2;
}

/*
 * What a probe of @kind needs first; -1: none, -2: cannot be had, -3:
 * cannot be had and was asked for.
 */
static int probe_prepare(const struct loader *l, const struct probe *pr)
{
	char err[256];
	int fd;

	if (pr->kind == PROBE_TRACEFS) {
		fd = features__mount_tracefs();
		return fd ? say_no_tracefs(l, pr, fd) : -1;
	}
	if (pr->kind != PROBE_CGROUP)
		return -1;
	/* getpeername runs for every socket below the cgroup v2 root */
	fd = cgroup__open_root(err, sizeof(err));
	if (fd < 0)
		fprintf(stderr, "rsttrace: warning: getpeername hook: %s\n",
			err);
	return fd < 0 ? -2 : fd;
}

static void record_source(struct loader *l, const struct probe *pr)
{
	l->src.acceptor |= pr->hook;
	if (pr->gives == GIVES_NOSOCK)
		l->src.nosock_probe = true;
	if (pr->gives == GIVES_NETFILTER)
		l->src.netfilter = true;
}

/*
 * Kprobes the kernel would not attach for want of privilege: before 5.x
 * their perf events take CAP_SYS_ADMIN, not CAP_PERFMON (5.10 does), so
 * a container given CAP_BPF and CAP_PERFMON alone loses them. One line.
 */
static void warn_denied(const struct loader *l, uint32_t denied)
{
	char names[512] = "";
	size_t n = 0;
	unsigned int i;

	if (!denied)
		return;
	for (i = 0; i < ARRAY_SIZE(probes) && n < sizeof(names); i++)
		if (denied & (1u << i))
			n += snprintf(names + n, sizeof(names) - n, "%s%s",
				      n ? ", " : "", probes[i].progs[0]);
	fprintf(stderr,
		"rsttrace: warning: Linux %s refused to attach %s (permission "
		"denied): its kprobes need CAP_SYS_ADMIN, not only "
		"CAP_PERFMON; give it to see what they add (see -V), going on "
		"without them\n",
		l->feat->release, names);
}

/*
 * The one loop over the optional probes: a failure costs visibility, but
 * for a hook --acceptor asked for that cannot be had. Returns 0 or -1.
 */
static int attach_probes(struct loader *l)
{
	uint32_t denied = 0;
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		const struct probe *pr = &probes[i];
		struct bpf_program *p = prog(l, pr->progs[0]);

		if (pr->kind == PROBE_ON_DEMAND || !p ||
		    !bpf_program__autoload(p))
			continue;
		fd = probe_prepare(l, pr);
		if (fd == -3)
			return -1;
		if (fd == -2)
			continue;
		if (probe_attach(l, pr, fd))
			record_source(l, pr);
		else if (pr->kind == PROBE_CGROUP)
			fprintf(stderr,
				"rsttrace: warning: cannot attach the "
				"getpeername hook to the cgroup v2 root: %s\n",
				strerror(errno));
		else if (errno == EACCES || errno == EPERM)
			denied |= 1u << i;
		if (fd >= 0)
			close(fd);
	}
	warn_denied(l, denied);
	return 0;
}

int loader__attach(struct loader *l)
{
	int err = rsttrace_bpf__attach(l->skel);

	if (err) {
		fprintf(stderr, "rsttrace: cannot attach BPF programs: %s\n",
			strerror(-err));
		return err;
	}
	if (attach_probes(l))
		return -1;
	if (!l->src.acceptor)
		fprintf(stderr,
			"rsttrace: warning: no acceptor hook attached: "
			"accepted sockets are attributed to the listener's "
			"owner\n");
	return 0;
}

void loader__seed(struct loader *l)
{
	struct seed_maps m = {
		.storage_fd = l->src.legacy_owners ?
				      -1 :
				      bpf_map__fd(l->skel->maps.owners),
		.cookies_fd = bpf_map__fd(l->skel->maps.seeds),
		.listeners_fd = bpf_map__fd(l->skel->maps.listeners),
	};
	struct seed_stats st = {};
	int err = seed__owners(&m, &st);

	if (err)
		fprintf(stderr,
			"rsttrace: warning: cannot seed owners of existing "
			"sockets: %s\n",
			strerror(-err));
	else if (l->cfg->verbose)
		fprintf(stderr,
			"rsttrace: seeded %u of %u existing TCP sockets in %u "
			"network namespaces (%u without a process, %u "
			"failed)\n",
			st.seeded, st.sockets, st.netns, st.unowned, st.failed);
}

void loader__detach(struct loader *l)
{
	if (l->skel)
		rsttrace_bpf__detach(l->skel);
}

void loader__close(struct loader *l)
{
	rsttrace_bpf__destroy(l->skel);
	l->skel = NULL;
}

unsigned long long loader__counter(const struct loader *l, uint32_t idx)
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
	if (!bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &idx,
				 vals))
		for (i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

/* How often the kernel skipped @p (one was running on that CPU). */
static unsigned long long prog_misses(const struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

static bool is_reset_prog(const char *name)
{
	return strstr(name, "send_reset") || strstr(name, "receive_reset");
}

/*
 * bpf_prog_info.recursion_misses (5.12+) of the reset programs, less
 * those their stand-ins reported instead (rsttrace.bpf.c: emit_standin()).
 */
unsigned long long loader__reset_misses(const struct loader *l)
{
	unsigned long long sum = 0;
	unsigned long long covered = loader__counter(l, RST_CNT_COVERED);
	struct bpf_program *p;

	bpf_object__for_each_program(p, l->skel->obj) {
		if (is_reset_prog(bpf_program__name(p)) &&
		    strncmp(bpf_program__name(p), "standin_", 8))
			sum += prog_misses(p);
	}
	return sum > covered ? sum - covered : 0;
}

unsigned long long loader__owner_misses(const struct loader *l)
{
	unsigned long long sum = 0, covered;
	struct bpf_program *p;

	/*
	 * the reset programs' misses are lost resets, reported so; a
	 * stand-in's mean its main program ran
	 */
	bpf_object__for_each_program(p, l->skel->obj) {
		if (!is_reset_prog(bpf_program__name(p)) &&
		    strncmp(bpf_program__name(p), "standin_", 8))
			sum += prog_misses(p);
	}
	covered = loader__counter(l, RST_CNT_SET_STATE_COVERED);
	return sum > covered ? sum - covered : 0;
}

/*
 * Only once a miss is seen: on most kernels nothing is ever skipped, and
 * each of a connection's transitions would pay for the stand-in.
 */
static bool attach_set_state_standin(struct loader *l)
{
	struct rsttrace_bpf *skel = l->skel;

	l->standin_tried = true;
	skel->links.standin_set_state =
		bpf_program__attach(skel->progs.standin_set_state);
	/* idle until the main program marks itself busy */
	skel->bss->set_state_standin = skel->links.standin_set_state;
	return skel->links.standin_set_state;
}

void loader__attach_late(struct loader *l)
{
	if (!l->standin_tried &&
	    bpf_program__autoload(l->skel->progs.standin_set_state) &&
	    !attach_set_state_standin(l))
		fprintf(stderr, "rsttrace: cannot attach the set_state "
				"stand-in: owners may be missing\n");
}

int loader__can_read(void *ctx)
{
	const struct loader *l = ctx;
	int ncpu = libbpf_num_possible_cpus(), err;
	uint32_t idx = 0;
	__u64 *vals;

	vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &idx,
				  vals);
	err = err ? -errno : 0;
	free(vals);
	return err;
}

void loader__check_set_state(struct loader *l)
{
	struct rsttrace_bpf *skel = l->skel;
	unsigned long long n;

	if (l->standin_tried ||
	    !bpf_program__autoload(skel->progs.standin_set_state))
		return;
	n = prog_misses(skel->progs.handle_set_state);
	if (!n)
		return;
	attach_set_state_standin(l);
	fprintf(stderr,
		"rsttrace: the kernel skipped handle_set_state %llu times (one "
		"was running on that CPU: an interrupt, or a preempted task); "
		"%s\n",
		n,
		skel->links.standin_set_state ?
			"a stand-in program covers it from now on" :
			"cannot attach the stand-in: owners may be missing");
}
