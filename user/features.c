// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Kernel feature detection: each answer becomes a load-time choice. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "features.h"
#include "probe_storage.skel.h"
#include "rsttrace.h"

#define TRACEFS "/sys/kernel/tracing"

/* Number of tracepoint arguments, without the leading "void *__data". */
static int tp_arity(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id); /* typedef -> ptr -> func_proto */
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

static bool enum_has(const struct btf *btf, const char *type, const char *val)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i;

	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), val))
			return true;
	return false;
}

static int func_arity(const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	int id;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0)
		return 0;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t && btf_is_func_proto(t) ? btf_vlen(t) : 0;
}

/* modprobe -q @mod, by path and without a shell; quietly, as a hint. */
static void modprobe(const char *mod)
{
	static const char *const paths[] = { "/usr/sbin/modprobe",
					     "/sbin/modprobe" };
	char *argv[] = { "modprobe", "-q", (char *)mod, NULL };
	unsigned int i;
	int status, fd;
	pid_t pid;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (access(paths[i], X_OK))
			continue;
		pid = fork();
		if (pid == 0) {
			fd = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
			execv(paths[i], argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
		return;
	}
}

/* @mod is built for this kernel as a module (modules.dep lists it). */
static bool module_available(const char *release, const char *mod)
{
	char path[320], line[512], want[80];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", release);
	snprintf(want, sizeof(want), "/%s.ko", mod);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon) {
			*colon = '\0';
			found = strstr(line, want) != NULL;
		}
	}
	fclose(f);
	return found;
}

int features__nf_reset_args(const struct btf *vmlinux, const char *release,
			    bool may_load)
{
	struct btf *mod;
	int n = func_arity(vmlinux, "nf_send_reset");

	if (n)
		return n;
	/* Debian builds it as a module, loaded by the first REJECT rule */
	if (access("/sys/kernel/btf/nf_reject_ipv4", F_OK)) {
		/* modules have BTF since 5.11 (36e68442d1af) */
		if (btf__find_by_name_kind(vmlinux, "btf_module",
					   BTF_KIND_STRUCT) < 0)
			return 0;
		if (!may_load)
			return module_available(release, "nf_reject_ipv4") ?
				       -1 :
				       0;
		modprobe("nf_reject_ipv4");
		modprobe("nf_reject_ipv6");
	}
	mod = btf__load_module_btf("nf_reject_ipv4", (struct btf *)vmlinux);
	if (!mod)
		return 0;
	n = func_arity(mod, "nf_send_reset");
	btf__free(mod);
	return n;
}

/* Listed in /proc/filesystems: the kernel can mount it. */
static bool has_filesystem(const char *name)
{
	char line[128], *tab;
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tab = strrchr(line, '\t');
		found = tab && !strcmp(tab + 1, name);
	}
	fclose(f);
	return found;
}

static const struct {
	const char *name;
	uint32_t bit;
} acceptor_hooks[] = {
	{ "getpeername", RST_ACC_GETPEERNAME }, { "sockio", RST_ACC_SOCKIO },
	{ "rcvspace", RST_ACC_RCVSPACE },	{ "kprobe", RST_ACC_KPROBE },
	{ "syscalls", RST_ACC_SYSCALLS },
};

#define N_ACCEPTOR_HOOKS (sizeof(acceptor_hooks) / sizeof(acceptor_hooks[0]))

uint32_t features__acceptor_offered(const struct features *f, bool legacy)
{
	uint32_t h = 0;

	if (f->kprobes && f->graft_fn)
		h |= RST_ACC_KPROBE;
	if (f->accept_tp)
		h |= RST_ACC_SYSCALLS;
	if (legacy)
		return h; /* the others update socket storage in place */
	if (f->cgroup2)
		h |= RST_ACC_GETPEERNAME;
	if (f->sockio_tp)
		h |= RST_ACC_SOCKIO;
	if (f->rcvspace_tp)
		h |= RST_ACC_RCVSPACE;
	return h;
}

static int print_nothing(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	return 0;
}

void features__probe_storage(struct features *f)
{
	libbpf_print_fn_t old = libbpf_set_print(print_nothing);
	struct probe_storage_bpf *skel = probe_storage_bpf__open_and_load();
	int err = skel ? 0 : -errno;

	libbpf_set_print(old);
	probe_storage_bpf__destroy(skel);
	/* without the privilege to load, what BTF says stands */
	if (err != -EPERM)
		f->storage_tracing = !err;
	f->storage_probed = err != -EPERM;
}

bool features__legacy_expected(const struct features *f)
{
	return f->btf && !f->storage_tracing;
}

uint32_t features__acceptor_choose(const struct features *f, bool legacy,
				   uint32_t want, uint32_t refused)
{
	uint32_t offered = features__acceptor_offered(f, legacy) & ~refused, h;

	if (want)
		return want & offered;
	/* accept() with an address, then the first read or write */
	h = offered & RST_ACC_GETPEERNAME;
	if (offered & RST_ACC_SOCKIO)
		return h | RST_ACC_SOCKIO;
	h |= offered & RST_ACC_RCVSPACE;
	/*
	 * Left: accept(fd, NULL, NULL) servers that write first or never
	 * read. The kprobe costs one run per accept(); the syscall
	 * tracepoints slow every syscall on the host, so they are used only
	 * where nothing above exists.
	 */
	if (offered & RST_ACC_KPROBE)
		return h | RST_ACC_KPROBE;
	if (!h)
		h = offered & RST_ACC_SYSCALLS;
	return h;
}

const char *features__acceptor_names(uint32_t hooks, char *buf, size_t len)
{
	size_t i, n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < N_ACCEPTOR_HOOKS; i++)
		if (hooks & acceptor_hooks[i].bit)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", acceptor_hooks[i].name);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

int features__parse_acceptor(const char *arg, uint32_t *hooks, char *err,
			     size_t errlen)
{
	const char *p = arg, *end;
	size_t i, n;

	*hooks = 0;
	if (!strcmp(arg, "auto"))
		return 0;
	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < N_ACCEPTOR_HOOKS; i++)
			if (strlen(acceptor_hooks[i].name) == n &&
			    !strncmp(p, acceptor_hooks[i].name, n))
				break;
		if (i == N_ACCEPTOR_HOOKS) {
			snprintf(err, errlen,
				 "'%.*s' (expected auto, or a list of "
				 "getpeername, sockio, rcvspace, kprobe, "
				 "syscalls)",
				 (int)n, p);
			return -1;
		}
		*hooks |= acceptor_hooks[i].bit;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int features__mount_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0)
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return access(TRACEFS "/events", F_OK) ? -errno : 0;
}

/* False where creating any map is refused: probes would answer "no". */
static bool may_create_maps(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd < 0)
		return errno != EPERM && errno != EACCES;
	close(fd);
	return true;
}

static bool has_struct(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0;
}

/*
 * CONFIG_HZ, which idle_ms needs to turn jiffies into milliseconds. Read
 * here rather than through libbpf's __kconfig: libbpf refuses to load an
 * object with a kconfig extern where no configuration can be read, weak
 * or not. gzopen() reads the plain file too.
 */
static unsigned int kernel_hz(const char *release)
{
	char path[128], line[256];
	unsigned int hz = 0;
	gzFile f;

	snprintf(path, sizeof(path), "/boot/config-%s", release);
	f = gzopen(path, "r");
	if (!f)
		f = gzopen("/proc/config.gz", "r");
	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
			break;
	gzclose(f);
	return hz;
}

void features__probe(struct features *f, const struct btf *btf)
{
	struct utsname u;
	bool may_probe;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	f->hz = kernel_hz(f->release);
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
	may_probe = f->ringbuf || may_create_maps();
	f->tracefs = access(TRACEFS "/events", F_OK) == 0;
	f->accept_tp =
		f->tracefs &&
		access(TRACEFS "/events/syscalls/sys_exit_accept4", F_OK) == 0;
	f->kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
	f->cgroup2 = has_filesystem("cgroup2");
	if (!btf)
		return;
	/*
	 * Without the privilege to load a probe, or before tracefs is
	 * mounted (rsttrace mounts it to attach), BTF answers: the types
	 * exist only in kernels built with the feature.
	 */
	if (!may_probe) {
		f->ringbuf = has_struct(btf, "bpf_ringbuf");
		f->from_btf |= FEAT_RINGBUF;
	}
	if (!f->tracefs) {
		/* CONFIG_FTRACE_SYSCALLS: sys_exit_<every syscall> */
		f->accept_tp = has_struct(btf, "syscall_trace_exit");
		f->from_btf |= FEAT_ACCEPT_TP;
	}
	f->sockio_tp = tp_arity(btf, "sock_recv_length") == 3 &&
		       tp_arity(btf, "sock_send_length") == 3;
	f->rcvspace_tp = tp_arity(btf, "tcp_rcv_space_adjust") == 1;
	f->btf = true;
	f->graft_fn = func_arity(btf, "security_sock_graft") == 2;
	/* the verifier's check for the helpers came with them */
	f->storage_tracing =
		func_arity(btf, "bpf_sk_storage_tracing_allowed") == 1;
	f->send_reset_reason = tp_arity(btf, "tcp_send_reset") == 3;
	/* the same 6.10 series made the event fire without a full socket */
	f->send_reset_nosock = f->send_reset_reason;
	f->active_reasons =
		enum_has(btf, "sk_rst_reason", "SK_RST_REASON_TCP_ABORT_ON_CLOSE");
}

static const char *yesno(bool v)
{
	return v ? "yes" : "no";
}

static const char *from_btf(const struct features *f, uint32_t what)
{
	return f->from_btf & what ? " (from BTF)" : "";
}

/* How accepted sockets will find their acceptor, in words. */
static void print_acceptor(const struct features *f, bool legacy, FILE *out)
{
	uint32_t h = features__acceptor_choose(f, legacy, 0, 0);
	char names[64];

	fprintf(out, "  acceptor of a socket:                 %s\n",
		features__acceptor_names(h, names, sizeof(names)));
	if (h & RST_ACC_GETPEERNAME)
		fprintf(out, "    getpeername: inside accept() when it returns "
			     "the peer's address\n");
	if (h & RST_ACC_SOCKIO)
		fprintf(out, "    sockio: the first read or write "
			     "(sock_recv_length, sock_send_length)\n");
	if (h & RST_ACC_RCVSPACE)
		fprintf(out, "    rcvspace: the first read "
			     "(tcp_rcv_space_adjust)\n");
	if (h & RST_ACC_KPROBE)
		fprintf(out, "    kprobe: security_sock_graft, every accept(), "
			     "in a side table until a hook above sees it\n");
	if (h & RST_ACC_SYSCALLS)
		fprintf(out, "    syscalls: accept()/accept4() exits (every "
			     "syscall on the host takes the slow path)\n");
	if (!(h & (RST_ACC_SOCKIO | RST_ACC_KPROBE | RST_ACC_SYSCALLS)))
		fprintf(out, "    not named: accept(fd, NULL, NULL) servers "
			     "that write first or never read\n");
}

void features__print(const struct features *f, bool legacy, FILE *out)
{
	fprintf(out, "kernel: %s\n", f->release);
	fprintf(out, "  BTF (/sys/kernel/btf/vmlinux):        %s\n", yesno(f->btf));
	fprintf(out, "  BPF ring buffer:                      %s%s\n",
		yesno(f->ringbuf), from_btf(f, FEAT_RINGBUF));
	fprintf(out, "  tcp_send_reset with reason (6.10+):   %s\n",
		yesno(f->send_reset_reason));
	fprintf(out, "  resets sent without a socket (6.10+): %s\n",
		yesno(f->send_reset_nosock));
	fprintf(out, "  reasons for resets we send (6.12+):   %s\n",
		yesno(f->active_reasons));
	fprintf(out, "  tracefs:                              %s\n",
		f->tracefs ? "yes" : "not mounted (rsttrace mounts it)");
	fprintf(out, "  accept() syscall tracepoints:         %s%s\n",
		yesno(f->accept_tp), from_btf(f, FEAT_ACCEPT_TP));
	fprintf(out, "  cgroup v2 (getpeername hook):         %s\n",
		yesno(f->cgroup2));
	fprintf(out, "  sock_recv/send_length (6.3+):         %s\n",
		yesno(f->sockio_tp));
	fprintf(out, "  tcp_rcv_space_adjust:                 %s\n",
		yesno(f->rcvspace_tp));
	fprintf(out, "  socket storage in tracing (5.11+):    %s%s\n",
		f->storage_tracing ? "yes" :
				     "no (owners kept in a hash map instead)",
		f->storage_probed ? "" : " (from BTF: root can probe)");
	print_acceptor(f, legacy, out);
	fprintf(out, "  kprobes:                              %s\n",
		yesno(f->kprobes));
	fprintf(out, "  resets sent by netfilter REJECT:      %s\n",
		!f->kprobes	   ? "not visible (no kprobes)" :
		f->nf_reset_args < 0 ?
				   "visible (kprobe on nf_send_reset, once "
				   "rsttrace loads nf_reject_ipv4)" :
		f->nf_reset_args ? "visible (kprobe on nf_send_reset)" :
				   "not visible (no nf_send_reset)");
}

void features__print_sources(const struct features *f,
			     const struct sources *s, FILE *out)
{
	char names[64];

	fprintf(out,
		"rsttrace: sources: tcp_send_reset%s, tcp_receive_reset, "
		"inet_sock_set_state (tp_btf)%s%s; acceptor: %s; reasons: %s\n",
		f->send_reset_reason ? " (with reason)" : "",
		s->nosock_probe ? ", kprobes on tcp_v4/v6_send_reset" : "",
		s->netfilter ?
			", kprobes on nf_send_reset/nf_send_reset6 (netfilter REJECT resets)" :
			"",
		features__acceptor_names(s->acceptor, names,
					 sizeof(names)),
		f->active_reasons ? "from the kernel" :
		f->send_reset_reason ?
				    "from the kernel for answers to segments, "
				    "inferred for the rest" :
				    "inferred");
	if (!(s->acceptor &
	      (RST_ACC_SOCKIO | RST_ACC_KPROBE | RST_ACC_SYSCALLS)))
		fprintf(out,
			"rsttrace: not named on Linux %s: the acceptor of "
			"sockets that accept(fd, NULL, NULL) returned%s (%s): "
			"they keep the listener's owner\n",
			f->release,
			s->acceptor & RST_ACC_RCVSPACE ?
				" and that are written first or never read" :
				"",
			!f->sockio_tp ?
				"sock_recv_length needs 6.3+, no kprobes" :
				"sock_recv_length not attached");
	if (s->legacy_owners)
		fprintf(out,
			"rsttrace: Linux %s has no socket storage for tracing "
			"programs (5.11+): owners kept in a hash map; TIME_WAIT "
			"resets lack an owner unless the socket had a cookie\n",
			f->release);
	if (!f->send_reset_nosock && !s->nosock_probe)
		fprintf(out,
			"rsttrace: not visible on Linux %s: resets for closed "
			"ports and TIME_WAIT sockets (tracepoint: 6.10+; or "
			"kprobes)\n",
			f->release);
	if (!s->netfilter)
		fprintf(out,
			"rsttrace: not visible: resets sent by netfilter REJECT "
			"rules (they bypass TCP's tracepoint; %s)\n",
			f->kprobes ? "no nf_send_reset to probe" :
				     "no kprobes or fentry on this kernel");
}
