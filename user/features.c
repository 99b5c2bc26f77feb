// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Kernel feature detection: each answer becomes a load-time choice. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "features.h"

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

int features__nf_reset_args(const struct btf *vmlinux)
{
	struct btf *mod;
	int n = func_arity(vmlinux, "nf_send_reset");

	if (n)
		return n;
	/* Debian builds it as a module, loaded by the first REJECT rule */
	if (access("/sys/kernel/btf/nf_reject_ipv4", F_OK) &&
	    system("modprobe -q nf_reject_ipv4 2>/dev/null; "
		   "modprobe -q nf_reject_ipv6 2>/dev/null") == -1)
		return 0;
	mod = btf__load_module_btf("nf_reject_ipv4", (struct btf *)vmlinux);
	if (!mod)
		return 0;
	n = func_arity(mod, "nf_send_reset");
	btf__free(mod);
	return n;
}

bool features__mount_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0)
		return true;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return false;
	return access(TRACEFS "/events", F_OK) == 0;
}

void features__probe(struct features *f, const struct btf *btf)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
	f->tracefs = access(TRACEFS "/events", F_OK) == 0;
	f->accept_tp =
		f->tracefs &&
		access(TRACEFS "/events/syscalls/sys_exit_accept4", F_OK) == 0;
	f->kprobes = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;
	if (!btf)
		return;
	f->btf = true;
	f->graft_fn = func_arity(btf, "security_sock_graft") == 2;
	f->send_reset_reason = tp_arity(btf, "tcp_send_reset") == 3;
	/* the same 6.10 series made the event fire without a full socket */
	f->send_reset_nosock = f->send_reset_reason;
	f->reason_enum = enum_has(btf, "sk_rst_reason", "SK_RST_REASON_NO_SOCKET");
	f->active_reasons =
		enum_has(btf, "sk_rst_reason", "SK_RST_REASON_TCP_ABORT_ON_CLOSE");
}

static const char *yesno(bool v)
{
	return v ? "yes" : "no";
}

void features__print(const struct features *f, FILE *out)
{
	fprintf(out, "kernel: %s\n", f->release);
	fprintf(out, "  BTF (/sys/kernel/btf/vmlinux):        %s\n", yesno(f->btf));
	fprintf(out, "  BPF ring buffer:                      %s\n",
		yesno(f->ringbuf));
	fprintf(out, "  tcp_send_reset with reason (6.10+):   %s\n",
		yesno(f->send_reset_reason));
	fprintf(out, "  resets sent without a socket (6.10+): %s\n",
		yesno(f->send_reset_nosock));
	fprintf(out, "  reasons for resets we send (6.12+):   %s\n",
		yesno(f->active_reasons));
	fprintf(out, "  tracefs:                              %s\n",
		yesno(f->tracefs));
	fprintf(out, "  acceptor of a socket:                 %s\n",
		f->kprobes && f->graft_fn ? "kprobe on security_sock_graft" :
		f->accept_tp		   ? "accept() tracepoints" :
					     "no (the listener's owner stands in)");
	fprintf(out, "  kprobes:                              %s\n",
		yesno(f->kprobes));
	fprintf(out, "  resets sent by netfilter REJECT:      %s\n",
		!f->kprobes	   ? "not visible (no kprobes)" :
		f->nf_reset_args ? "visible (kprobe on nf_send_reset)" :
				   "not visible (no nf_send_reset)");
}

void features__print_sources(const struct features *f, FILE *out)
{
	fprintf(out,
		"rsttrace: sources: tcp_send_reset%s, tcp_receive_reset, "
		"inet_sock_set_state (tp_btf)%s%s%s; reasons: %s\n",
		f->send_reset_reason ? " (with reason)" : "",
		!f->accept_attached ? "" :
		f->accept_kprobe    ? ", kprobe on security_sock_graft (accept)" :
				      ", accept()/accept4() exits",
		f->nosock_probe ? ", kprobes on tcp_v4/v6_send_reset" : "",
		f->netfilter ? ", kprobes on nf_send_reset/nf_send_reset6 (netfilter REJECT resets)" : "",
		f->active_reasons    ? "from the kernel" :
		f->send_reset_reason ? "from the kernel for answers to segments, "
				       "inferred for the rest" :
				       "inferred");
	if (f->legacy_owners)
		fprintf(out,
			"rsttrace: Linux %s has no socket storage for tracing "
			"programs (5.11+): owners kept in a hash map; TIME_WAIT "
			"resets lack an owner unless the socket had a cookie\n",
			f->release);
	if (!f->send_reset_nosock && !f->nosock_probe)
		fprintf(out,
			"rsttrace: not visible on Linux %s: resets for closed "
			"ports and TIME_WAIT sockets (tracepoint: 6.10+; or "
			"kprobes)\n",
			f->release);
	if (!f->netfilter)
		fprintf(out,
			"rsttrace: not visible: resets sent by netfilter REJECT "
			"rules (they bypass TCP's tracepoint; %s)\n",
			f->kprobes ? "no nf_send_reset to probe" :
				     "no kprobes or fentry on this kernel");
}
