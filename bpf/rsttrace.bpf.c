// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * rsttrace kernel side: one ring-buffer record per TCP reset, naming the
 * socket's owner rather than whatever task the softirq interrupted.
 *
 * Owners are learnt where the kernel runs in the owner's own context
 * (connect: CLOSE->SYN_SENT, listen: CLOSE->LISTEN, accept() returning) and
 * kept in socket storage, which the kernel copies into every accepted child
 * (BPF_F_CLONE) and frees with the socket.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rsttrace.h"
#include "core_fixes.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

/* Load-time knobs, set by the loader between __open() and __load(). */
const volatile bool filter_pid = false;
const volatile bool filter_lport = false;
const volatile bool filter_rport = false;
const volatile bool filter_port = false;
const volatile __u16 filter_family = 0;
const volatile __u8 filter_direction = 0;
const volatile __u64 filter_cgroup_id = 0;
/* kernel stacks: for --kstack, and to infer reasons the kernel lacks */
const volatile bool want_kstack = false;
/* CONFIG_HZ, read by the loader; 0 (not known): idle_ms not reported */
const volatile __u32 kernel_hz = 0;
/*
 * 5.8 to 5.10: tracing programs may use neither socket storage (5.11,
 * 8e4597c627fb) nor bpf_get_socket_cookie() (5.12, c5dbb89fc2ac). Owners
 * then live in owners_by_sk, keyed by socket address and deleted when the
 * socket is destroyed; the verifier drops the branch not taken.
 */
const volatile bool legacy_owners = false;
/* enum rst_acceptor_hook bits: which hooks name the acceptor (features.c) */
const volatile __u32 acceptor_hooks = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* --ringbuf-size overrides */
} events SEC(".maps");

/*
 * Per CPU: when this CPU last let an event wake the reader. A wakeup is an
 * irq_work, a self-IPI (a VM exit under a hypervisor) and a context switch;
 * one per event made a reset storm cost microseconds per event. At most one
 * per CPU per RST_WAKEUP_NS; the reader polls while events flow
 * (rsttrace.c: event_loop) and so picks up the ones that woke nobody.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_wakeup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct rst_owner);
} owners SEC(".maps");

/* The legacy owner store; sized 1 by the loader when unused. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct rst_owner);
} owners_by_sk SEC(".maps");

/* Legacy: listeners' owners, for the children they are cloned into. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rst_listen_key);
	__type(value, struct rst_owner);
} listeners SEC(".maps");

/* Legacy: owners of sockets older than rsttrace, keyed by cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct rst_owner);
} seeds SEC(".maps");

/*
 * Fallback hooks only (RST_ACC_KPROBE, RST_ACC_SYSCALLS), which cannot
 * reach socket storage: accept() results until a hook that can moves them
 * there. Key: struct sock *. Sized by the loader, 1 when unused.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rst_accept);
} accepts SEC(".maps");

/*
 * Connections this host closed, by namespace and 4-tuple: written by the
 * closer's close(), kept through TIME_WAIT and after it, so that a reset
 * for a segment of a connection the host no longer has still names whose
 * it was. The loader sizes it after the host's tcp_max_tw_buckets: the
 * oldest are forgotten past that (counted).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rst_conn_key);
	__type(value, struct rst_tw_owner);
} tw_owners SEC(".maps");

/*
 * The listeners of each port (rst_listen_key, family 0): restarts. Ports
 * listened on, per namespace: a node's few hundred fit with room to spare.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rst_listen_key);
	__type(value, struct rst_port_hist);
} ports SEC(".maps");

/*
 * What handle_set_state writes to maps, built here and not on its stack,
 * which is full before 6.13: one slot per nesting level (the program, and
 * its stand-in running inside it).
 */
struct rst_scratch {
	struct rst_conn_key key;
	__u32 pad;
	struct rst_tw_owner tw;
	struct rst_port_hist port;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct rst_scratch);
} scratch SEC(".maps");

static __always_inline struct rst_scratch *scratch_get(__u32 level)
{
	return bpf_map_lookup_elem(&scratch, &level);
}

/* Resets the ring buffer had no room for, by what they were. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rst_lost_key);
	__type(value, struct rst_lost_val);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RST_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

/* port (host order) -> enum rst_port_match bits */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RST_MAX_PORTS * 3);
	__type(key, __u16);
	__type(value, __u8);
} port_filter SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

/*
 * The kernel runs a program at most once per CPU at a time: an event that
 * comes while it runs there (a softirq that interrupts it, or, where
 * tracepoint programs can be preempted (7.x), another task on that CPU) is
 * skipped, and counted only in its recursion_misses. Each reset program
 * therefore has a stand-in on the same tracepoint that does nothing unless
 * the program is busy on this CPU, and then reports the event itself: lost
 * only if the stand-in is skipped too. "covered" counts what stand-ins
 * reported, so that misses minus covered are the resets really lost.
 */
enum { BUSY_SEND, BUSY_RECEIVE, BUSY_SET_STATE, BUSY_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BUSY_MAX);
	__type(key, __u32);
	__type(value, __u32);
} busy SEC(".maps");

/* @slot's program is running on this CPU (and @b is its flag) */
static __always_inline __u32 *busy_flag(__u32 slot)
{
	return bpf_map_lookup_elem(&busy, &slot);
}

/*
 * Set by the loader once it sees handle_set_state skipped (the kernel's
 * recursion_misses): only then does every transition mark itself busy and
 * the stand-in run too, at a cost on kernels that need none.
 */
bool set_state_standin;

static __always_inline __u64 sk_cookie(struct sock *sk)
{
	if (legacy_owners) /* 0 until something asked for it */
		return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return bpf_get_socket_cookie(sk);
}

static __always_inline bool addr_v4mapped(const __u32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff);
}

/* The 4-tuple of a full socket, IPv4-mapped IPv6 reported as IPv4. */
static __always_inline void sk_tuple(struct sock *sk, __u8 *laddr, __u8 *raddr,
				     __u16 *lport, __u16 *rport, __u16 *family)
{
	struct sock_common *skc = &sk->__sk_common;

	*rport = bpf_ntohs(skc->skc_dport);
	/* skc_num is cleared once the port is released on CLOSE */
	*lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (skc->skc_family == AF_INET6) {
		bpf_probe_read_kernel(laddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_probe_read_kernel(raddr, 16, &skc->skc_v6_daddr);
		if (!addr_v4mapped((__u32 *)raddr)) {
			*family = AF_INET6;
			return;
		}
		__builtin_memset(laddr, 0, 16);
		__builtin_memset(raddr, 0, 16);
	}
	*family = AF_INET;
	*(__u32 *)laddr = skc->skc_rcv_saddr;
	*(__u32 *)raddr = skc->skc_daddr;
}

static __always_inline void key_from_sk(struct rst_conn_key *k, struct sock *sk)
{
	/* the slot is reused: an IPv4 key must not keep an IPv6 one's bytes */
	__builtin_memset(k, 0, sizeof(*k));
	/* BTF-typed: a direct load, not two probe reads */
	k->netns = sk->__sk_common.skc_net.net->ns.inum;
	sk_tuple(sk, k->laddr, k->raddr, &k->lport, &k->rport, &k->family);
}

static __always_inline struct rst_listen_key listen_key_of(struct sock *sk)
{
	struct rst_listen_key k = {
		.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum),
		/* not skc_num: CLOSE is traced after the port is released */
		.port = bpf_ntohs(
			BPF_CORE_READ((struct inet_sock *)sk, inet_sport)),
		.family = sk->__sk_common.skc_family,
	};

	return k;
}

/* The owner record of full socket @sk, NULL if it has none. */
static __always_inline struct rst_owner *owner_get(struct sock *sk)
{
	struct rst_owner *o, *seed;
	__u64 key, cookie;

	if (!legacy_owners)
		return bpf_sk_storage_get(&owners, sk, NULL, 0);
	key = (__u64)sk;
	o = bpf_map_lookup_elem(&owners_by_sk, &key);
	if (o)
		return o;
	/* sockets older than rsttrace were seeded under their cookie */
	cookie = sk_cookie(sk);
	seed = cookie ? bpf_map_lookup_elem(&seeds, &cookie) : NULL;
	if (!seed || bpf_map_update_elem(&owners_by_sk, &key, seed, BPF_NOEXIST))
		return NULL;
	count(RST_CNT_LEGACY_PUT);
	bpf_map_delete_elem(&seeds, &cookie);
	return bpf_map_lookup_elem(&owners_by_sk, &key);
}

/* The owner record of @sk, created empty if it has none. */
static __always_inline struct rst_owner *owner_create(struct sock *sk)
{
	struct rst_owner *o, zero = {};
	__u64 key = (__u64)sk;

	if (!legacy_owners) {
		o = bpf_sk_storage_get(&owners, sk, NULL,
				       BPF_SK_STORAGE_GET_F_CREATE);
	} else {
		o = owner_get(sk);
		if (!o) {
			if (!bpf_map_update_elem(&owners_by_sk, &key, &zero,
						 BPF_NOEXIST))
				count(RST_CNT_LEGACY_PUT);
			o = bpf_map_lookup_elem(&owners_by_sk, &key);
		}
	}
	if (!o)
		count(RST_CNT_STORAGE_FAIL);
	return o;
}

static __always_inline bool sk_is_full(const struct sock *sk)
{
	int st = sk->__sk_common.skc_state;

	return st != TCP_TIME_WAIT && st != TCP_NEW_SYN_RECV;
}

static __always_inline void owner_set_current(struct rst_owner *o, __u8 source)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->birth_ns = bpf_ktime_get_boot_ns();
	o->pid = id >> 32;
	o->tid = (__u32)id;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	o->source = source;
	o->close_from = 0;
	o->state_from = o->state_at = 0; /* the usual way: from CLOSE */
	o->closed_ns = 0;
	o->exit_code = o->exit_flags = o->closed_rec = 0;
}

/* The history of @sk's port, created empty if @create; NULL if none. */
static __always_inline struct rst_port_hist *port_get(struct sock *sk,
						      bool create, __u32 level)
{
	struct rst_listen_key k = listen_key_of(sk);
	struct rst_port_hist *h;
	struct rst_scratch *s;

	k.family = 0; /* a dual-stack listener serves both */
	h = bpf_map_lookup_elem(&ports, &k);
	if (h || !create)
		return h;
	s = scratch_get(level);
	if (!s)
		return NULL;
	__builtin_memset(&s->port, 0, sizeof(s->port));
	bpf_map_update_elem(&ports, &k, &s->port, BPF_NOEXIST);
	return bpf_map_lookup_elem(&ports, &k);
}

/*
 * listen() in the listener's task. Another process taking a port over
 * (a restart, or a new instance beside the old) becomes its listener,
 * and the one before is kept.
 */
static __always_inline void port_listen(struct sock *sk, __u32 level)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct rst_port_hist *h;

	/* listen() without bind(): the port is chosen after this */
	if (!BPF_CORE_READ((struct inet_sock *)sk, inet_sport))
		return;
	h = port_get(sk, true, level);
	if (!h)
		return;
	if (h->pid != pid || !h->listening) {
		/* the same process listening again after none did: its own */
		if (h->pid) {
			h->prev_pid = h->pid;
			__builtin_memcpy(h->prev_comm, h->comm,
					 sizeof(h->comm));
		}
		h->pid = pid;
		bpf_get_current_comm(h->comm, sizeof(h->comm));
		h->started_ns = bpf_ktime_get_boot_ns();
	}
	__sync_fetch_and_add(&h->listening, 1);
	h->stopped_ns = 0;
}

/*
 * A listener of @sk's port closed (@o its owner, if known): the port is
 * idle once none is left. Listeners older than rsttrace were not counted,
 * so the count stops at 0.
 */
static __always_inline void
port_unlisten(struct sock *sk, const struct rst_owner *o, __u32 level)
{
	struct rst_port_hist *h = port_get(sk, true, level);

	if (!h)
		return;
	if (!h->pid && o && o->source != RST_OWNER_NONE) {
		h->pid = o->pid;
		__builtin_memcpy(h->comm, o->comm, sizeof(h->comm));
	}
	if (h->listening)
		__sync_fetch_and_add(&h->listening, -1);
	if (!h->listening) {
		h->stopped_ns = bpf_ktime_get_boot_ns();
		return;
	}
	/*
	 * Others still listen: if this one had taken the port over (a second
	 * instance, or a listen() whose port was taken), the port is theirs.
	 */
	if (o && h->pid == o->pid && h->prev_pid && h->prev_pid != o->pid &&
	    o->birth_ns >= h->started_ns) {
		h->pid = h->prev_pid;
		__builtin_memcpy(h->comm, h->prev_comm, sizeof(h->comm));
		h->prev_pid = 0;
	}
}

/* Process context: connect() or listen() made this socket. */
static __always_inline void owner_claim(struct sock *sk, __u8 source,
					__u32 level)
{
	struct rst_owner *o = owner_create(sk);
	struct rst_listen_key k;

	if (source == RST_OWNER_LISTEN)
		port_listen(sk, level);
	if (!o)
		return;
	owner_set_current(o, source);
	if (legacy_owners && source == RST_OWNER_LISTEN) {
		/* no clone copies it: keep it where children can find it */
		k = listen_key_of(sk);
		bpf_map_update_elem(&listeners, &k, o, BPF_ANY);
	}
}

/*
 * A passive child was just cloned from its listener, storage included.
 * Until accept() is seen the listener's owner stands in for the acceptor.
 */
static __always_inline void owner_adopt_child(struct sock *sk)
{
	struct rst_owner *o, *l;
	struct rst_listen_key k;

	if (legacy_owners) {
		k = listen_key_of(sk);
		l = bpf_map_lookup_elem(&listeners, &k);
		o = l ? owner_create(sk) : NULL;
		if (o)
			*o = *l;
	} else {
		o = bpf_sk_storage_get(&owners, sk, NULL, 0);
	}
	if (!o)
		return;
	o->birth_ns = bpf_ktime_get_boot_ns();
	o->source = RST_OWNER_INHERITED;
	o->close_from = o->closed_rec = 0;
	o->state_from = o->state_at = 0; /* the usual way: from LISTEN */
}

/*
 * The owner of a full socket. An accept() recorded for this socket address
 * since the socket was born replaces an inherited owner; the record then
 * moves into the socket's own storage so that it lives and dies with it.
 */
static __always_inline bool accepts_used(void)
{
	return acceptor_hooks & (RST_ACC_KPROBE | RST_ACC_SYSCALLS);
}

static __always_inline void accepts_forget(__u64 key)
{
	if (!bpf_map_delete_elem(&accepts, &key))
		count(RST_CNT_ACCEPT_DEL);
}

static __always_inline struct rst_owner *owner_lookup(struct sock *sk)
{
	struct rst_owner *o = owner_get(sk);
	__u64 key = (__u64)sk;
	struct rst_accept *a;

	if (!accepts_used() || (o && o->source != RST_OWNER_INHERITED))
		return o;
	a = bpf_map_lookup_elem(&accepts, &key);
	if (!a)
		return o;
	if (a->dport != sk->__sk_common.skc_dport ||
	    (o && a->ts_ns < o->birth_ns)) {
		/* a dead socket's entry at a reused address */
		accepts_forget(key);
		return o;
	}
	if (!o) {
		o = owner_create(sk);
		if (!o)
			return NULL;
		o->birth_ns = a->ts_ns;
		o->close_from = 0;
		o->state_from = o->state_at = 0;
	}
	o->pid = a->pid;
	o->tid = a->tid;
	__builtin_memcpy(o->comm, a->comm, sizeof(o->comm));
	o->source = RST_OWNER_ACCEPT;
	accepts_forget(key);
	return o;
}

/*
 * The acceptor hooks run in the task that accepted, read, wrote or closed
 * a socket, and update its record in place: no allocation, no side table.
 * They act only while the record is still the listener's clone
 * (INHERITED), so a socket keeps the first task that took it out of the
 * accept queue.
 */
static __always_inline void owner_set_acceptor(struct rst_owner *o)
{
	__u64 id = bpf_get_current_pid_tgid();

	o->pid = id >> 32;
	o->tid = (__u32)id;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	o->source = RST_OWNER_ACCEPT;
}

/* @o still the listener's: the current task takes it, unless a kthread. */
static __always_inline void owner_claim_io(struct rst_owner *o)
{
	struct task_struct *task;

	if (!o || o->source != RST_OWNER_INHERITED)
		return;
	/* not bpf_get_current_task_btf(): 5.11+, and the legacy store runs here */
	task = (void *)bpf_get_current_task();
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return;
	owner_set_acceptor(o);
}

/*
 * A transition under the socket lock runs in the task holding it: softirq
 * and timers defer to the backlog while a task owns the socket. So a close
 * or shutdown of an accept(fd, NULL, NULL) socket that was never read or
 * written names its closer; ss -K (tcp_abort, ECONNABORTED) does not.
 */
static __always_inline void owner_claim_closer(struct sock *sk,
					       struct rst_owner *o)
{
	if (o && o->source == RST_OWNER_INHERITED && sk->sk_lock.owned &&
	    sk->sk_err != 103 /* ECONNABORTED */)
		owner_claim_io(o);
}

/*
 * close() (or the exit that closed it) in the task holding @sk: when, and
 * whether the owner was dying. tcp_close() marks both directions shut
 * before any state change; a reset read from the backlog under the same
 * lock does not. A subprogram: inlined twice, its reads would take
 * handle_set_state past the 512-byte stack.
 */
static __noinline void owner_note_closer(struct sock *sk, struct rst_owner *o)
{
	struct task_struct *task;
	__u8 shut;

	if (!o || o->closed_ns || !sk->sk_lock.owned)
		return;
	shut = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown);
	if ((shut & 3) != 3)
		return;
	o->closed_ns = bpf_ktime_get_boot_ns();
	/* not bpf_get_current_task_btf(): 5.11+, and the legacy store runs here */
	task = (void *)bpf_get_current_task();
	if (!(BPF_CORE_READ(task, flags) & PF_EXITING) ||
	    BPF_CORE_READ(task, tgid) != o->pid)
		return;
	/* a plain exit: status << 8; killed: the signal (| 0x80 with core) */
	o->exit_code = BPF_CORE_READ(task, exit_code);
	if (!o->exit_code)
		o->exit_code = BPF_CORE_READ(task, signal, group_exit_code);
	o->exit_flags = RST_EXIT_DYING;
	if (BPF_CORE_READ(task, signal, oom_mm))
		o->exit_flags |= RST_EXIT_OOM;
}

/*
 * Since data last went either way: lsndtime and icsk_ack.lrcvtime are the
 * jiffies of the last data segment sent and received (set at the
 * handshake too); ACKs and keepalive probes leave them alone.
 */
static __always_inline __u32 idle_ms(struct tcp_sock *tp)
{
	__u32 now, snd, rcv, last;

	if (!kernel_hz)
		return RST_IDLE_NONE;
	now = (__u32)bpf_jiffies64();
	snd = BPF_CORE_READ(tp, lsndtime);
	rcv = BPF_CORE_READ(tp, inet_conn.icsk_ack.lrcvtime);
	last = (int)(snd - rcv) > 0 ? snd : rcv;
	return (__u64)(now - last) * 1000 / kernel_hz;
}

/*
 * Leave owner @o as the closed connection of @sk, keyed by its 4-tuple
 * (s->key). Written when the closer's task enters FIN_WAIT1, not only at
 * the switch to TIME_WAIT: that one runs in softirq, and on 6.18 a softirq
 * on top of some tasks has been seen to run the tracepoint's other probes
 * but not this program, with no recursion miss counted (about 1 close in
 * 800).
 */
static __always_inline void tw_owner_write(struct rst_scratch *s,
					   struct sock *sk,
					   const struct rst_owner *o, __u8 end)
{
	if (o->source == RST_OWNER_NONE)
		return;
	s->tw.owner = *o;
	/* written ahead of the end: the usual way into TIME_WAIT */
	if (!s->tw.owner.close_from && end != RST_END_ABORTED)
		s->tw.owner.close_from = TCP_FIN_WAIT2;
	s->tw.cgroup_id = sk_cgroup_id(sk);
	s->tw.in_cgroup = filter_cgroup_id &&
			  cgroup_is_under(sk_cgroup(sk), filter_cgroup_id);
	s->tw.uid = sk->sk_uid.val;
	s->tw.end = end;
	s->tw.pad[0] = s->tw.pad[1] = 0;
	s->tw.cookie = sk_cookie(sk);
	/* a server's idle timeout shows here; an abort says it itself */
	s->tw.idle_ms = end == RST_END_ABORTED ? RST_IDLE_NONE :
						 idle_ms((struct tcp_sock *)sk);
	s->tw.pad2 = 0;
	if (!bpf_map_update_elem(&tw_owners, &s->key, &s->tw, BPF_ANY))
		count(RST_CNT_TW_PUT);
	else
		count(RST_CNT_TW_FAIL);
}

static __always_inline void
tw_owner_put(struct sock *sk, const struct rst_owner *o, __u8 end, __u32 level)
{
	struct rst_scratch *s = scratch_get(level);

	if (!s)
		return;
	key_from_sk(&s->key, sk);
	tw_owner_write(s, sk, o, end);
}

/*
 * The closer's close() or shutdown(): the record is written as it will
 * most likely end, through FIN_WAIT2 into TIME_WAIT (kept, or not for a
 * full table), so that the switch to CLOSE, in softirq, has nothing to
 * do (a lookup there cost more than the write). A reset or a FIN_WAIT2
 * timeout that ends it otherwise leaves the label as it was.
 */
static __always_inline void tw_owner_closing(struct sock *sk,
					     struct rst_owner *o, __u32 level)
{
	struct rst_scratch *s = scratch_get(level);

	if (!s || o->source == RST_OWNER_NONE)
		return;
	key_from_sk(&s->key, sk);
	tw_owner_write(s, sk, o,
		       tw_table_full(sk) ? RST_END_TW_FULL : RST_END_TIMEWAIT);
	o->closed_rec = 1;
}

/*
 * The end of a connection whose closed record was written at FIN_WAIT1:
 * brought up to date in place (no allocation in softirq), or written now
 * if it was not then (a socket seeded after its close, or evicted
 * meanwhile). FIN_WAIT2 or CLOSING -> CLOSE is the way into TIME_WAIT.
 */
static __always_inline void
tw_owner_end(struct sock *sk, const struct rst_owner *o, __u8 end, __u32 level)
{
	struct rst_scratch *s = scratch_get(level);
	struct rst_tw_owner *two;

	if (!s || o->source == RST_OWNER_NONE)
		return;
	key_from_sk(&s->key, sk);
	two = bpf_map_lookup_elem(&tw_owners, &s->key);
	/* not an earlier connection's record on the same 4-tuple */
	if (two && two->cookie == sk_cookie(sk)) {
		two->owner = *o;
		two->end = end;
	} else {
		tw_owner_write(s, sk, o, end);
	}
}

/* What x->CLOSE, in the task holding the socket, says about its end. */
static __always_inline bool
closed_by_abort(struct sock *sk, const struct rst_owner *o, int oldstate)
{
	/* a reset received (tcp_reset() sets sk_err first) is the peer's */
	if (!o->closed_ns || !sk->sk_lock.owned || sk->sk_err)
		return false;
	return oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT ||
	       oldstate == TCP_FIN_WAIT1 || oldstate == TCP_SYN_RECV;
}

/*
 * x->CLOSE: remember the state left, because active resets are traced after
 * the switch to CLOSE. A socket heading for TIME_WAIT, or aborted by its
 * owner, brings its closed connection's record up to date.
 */
static __always_inline void owner_note_close(struct sock *sk, int oldstate,
					     __u32 level)
{
	struct rst_owner *o = owner_lookup(sk);
	struct rst_listen_key k;

	if (!o)
		o = owner_create(sk);
	owner_claim_closer(sk, o);
	/* in softirq (most closes) it has nothing to do: spare the call */
	if (sk->sk_lock.owned)
		owner_note_closer(sk, o);
	if (oldstate == TCP_LISTEN)
		port_unlisten(sk, o, level);
	if (legacy_owners && oldstate == TCP_LISTEN && o) {
		struct rst_owner *l;

		/* only this listener's entry: another may share the port */
		k = listen_key_of(sk);
		l = bpf_map_lookup_elem(&listeners, &k);
		if (l && l->pid == o->pid && l->birth_ns == o->birth_ns)
			bpf_map_delete_elem(&listeners, &k);
	}
	if (!o)
		return;
	o->close_from = oldstate;
	/*
	 * The way into TIME_WAIT, unless a reset came (sk_err): written at
	 * FIN_WAIT1 already, but for a socket seeded after its close. An
	 * abort writes at once: a record of its own found would be the same.
	 */
	if ((oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING) &&
	    !sk->sk_err && !o->closed_rec)
		tw_owner_end(sk, o,
			     tw_table_full(sk) ? RST_END_TW_FULL :
						 RST_END_TIMEWAIT,
			     level);
	else if (closed_by_abort(sk, o, oldstate))
		tw_owner_put(sk, o, RST_END_ABORTED, level);
}

/*
 * The state a connection usually leaves for @state; 0 where there is no
 * usual one. A client's (@client: it has a struct socket) ESTABLISHED comes
 * from SYN_SENT, an accepted child's from SYN_RECV. Transitions the usual
 * way are not written down: most of a connection's ten cost no lookup.
 */
static __always_inline __u8 usual_prev(int state, bool client)
{
	switch (state) {
	case TCP_SYN_SENT:
	case TCP_LISTEN:
		return TCP_CLOSE;
	case TCP_SYN_RECV:
		return TCP_LISTEN;
	case TCP_ESTABLISHED:
		return client ? TCP_SYN_SENT : TCP_SYN_RECV;
	case TCP_FIN_WAIT1:
	case TCP_CLOSE_WAIT:
		return TCP_ESTABLISHED;
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
		return TCP_FIN_WAIT1;
	case TCP_LAST_ACK:
		return TCP_CLOSE_WAIT;
	}
	return 0;
}

/* How the connection of owner @o got into @state, 0: not known. */
static __always_inline __u8 owner_prev_state(const struct rst_owner *o,
					     int state)
{
	if (o->state_at == state)
		return o->state_from;
	if (o->source == RST_OWNER_NONE)
		return 0;
	/* a seeded socket's first state is its state_at, from unknown */
	return usual_prev(state, o->source == RST_OWNER_CONNECT);
}

/* Any transition but the first ones and CLOSE. */
static __always_inline void owner_note_transition(struct sock *sk, int oldstate,
						  int newstate, __u32 level)
{
	struct rst_owner *o = NULL;
	bool closing = newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK;

	/*
	 * A timewait socket copies the cookie when it replaces the full
	 * socket, inside tcp_time_wait() and before CLOSE: make sure there
	 * is one to copy, so its owner can be found.
	 */
	if (newstate == TCP_FIN_WAIT1)
		sk_cookie(sk);
	if (oldstate != usual_prev(newstate, sk->sk_socket)) {
		o = owner_get(sk);
		if (o) {
			o->state_from = oldstate;
			o->state_at = newstate;
		}
	}
	/*
	 * close() or shutdown() in the task holding the socket; what a
	 * fallback hook saw in accept() comes first
	 */
	if (!closing || !sk->sk_lock.owned)
		return;
	if (!o)
		o = owner_lookup(sk);
	owner_claim_closer(sk, o);
	owner_note_closer(sk, o);
	if (o && newstate == TCP_FIN_WAIT1)
		tw_owner_closing(sk, o, level);
}

static __always_inline void set_state(struct sock *sk, int oldstate,
				      int newstate, __u32 level)
{
	if (BPF_CORE_READ_BITFIELD(sk, sk_protocol) != IPPROTO_TCP)
		return;

	switch (newstate) {
	case TCP_SYN_SENT:
		if (oldstate == TCP_CLOSE)
			owner_claim(sk, RST_OWNER_CONNECT, level);
		break;
	case TCP_LISTEN:
		owner_claim(sk, RST_OWNER_LISTEN, level);
		break;
	case TCP_SYN_RECV:
		if (oldstate == TCP_LISTEN)
			owner_adopt_child(sk);
		else
			owner_note_transition(sk, oldstate, newstate, level);
		break;
	case TCP_CLOSE:
		owner_note_close(sk, oldstate, level);
		break;
	default:
		owner_note_transition(sk, oldstate, newstate, level);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u32 *b = set_state_standin ? busy_flag(BUSY_SET_STATE) : NULL;

	if (b)
		*b = 1;
	set_state(sk, oldstate, newstate, 0);
	if (b)
		*b = 0;
	return 0;
}

/* Attached by the loader only once handle_set_state has been skipped. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(standin_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u32 *b = busy_flag(BUSY_SET_STATE);

	if (!b || !*b)
		return 0;
	count(RST_CNT_SET_STATE_COVERED);
	set_state(sk, oldstate, newstate, 1);
	return 0;
}

static __always_inline void tuple_from_sk(struct rst_event *ev, struct sock *sk)
{
	sk_tuple(sk, ev->laddr, ev->raddr, &ev->lport, &ev->rport, &ev->family);
}

/*
 * The 4-tuple of the segment being answered, reversed so that "local" is
 * this host's end, as the kernel's own tracepoint does. Returns false if
 * the headers are unreadable.
 */
static __always_inline bool tuple_from_skb(struct rst_event *ev,
					   struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u32 ip_len, seg_end, hdr_end;
	struct tcphdr tcph;
	__u8 ver;

	if (bpf_probe_read_kernel(&ver, 1, head + nh))
		return false;
	if ((ver >> 4) == 4) {
		struct iphdr iph;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), head + nh))
			return false;
		ev->family = AF_INET;
		*(__u32 *)ev->laddr = iph.daddr;
		*(__u32 *)ev->raddr = iph.saddr;
		ip_len = bpf_ntohs(iph.tot_len);
	} else if ((ver >> 4) == 6) {
		struct ipv6hdr ip6h;

		if (bpf_probe_read_kernel(&ip6h, sizeof(ip6h), head + nh))
			return false;
		ev->family = AF_INET6;
		__builtin_memcpy(ev->laddr, &ip6h.daddr, 16);
		__builtin_memcpy(ev->raddr, &ip6h.saddr, 16);
		ip_len = sizeof(ip6h) + bpf_ntohs(ip6h.payload_len);
		if (addr_v4mapped((__u32 *)ev->raddr)) {
			ev->family = AF_INET;
			*(__u32 *)ev->laddr = ((__u32 *)ev->laddr)[3];
			*(__u32 *)ev->raddr = ((__u32 *)ev->raddr)[3];
			__builtin_memset(ev->laddr + 4, 0, 12);
			__builtin_memset(ev->raddr + 4, 0, 12);
		}
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&tcph, sizeof(tcph), head + th))
		return false;
	ev->lport = bpf_ntohs(tcph.dest);
	ev->rport = bpf_ntohs(tcph.source);
	/* the flags byte follows the 4-bit data offset */
	ev->tcp_flags = ((__u8 *)&tcph)[13];
	seg_end = nh + ip_len;
	hdr_end = th + tcph.doff * 4;
	ev->seg_len = seg_end > hdr_end ? seg_end - hdr_end : 0;
	return true;
}

static __always_inline bool port_listed(__u16 port, __u8 bit)
{
	__u8 *m = bpf_map_lookup_elem(&port_filter, &port);

	return m && (*m & bit);
}

/* Filters that need only the tuple: evaluated before any socket work. */
static __always_inline bool tuple_wanted(const struct rst_event *ev)
{
	if (filter_family && ev->family != filter_family)
		return false;
	if (filter_lport && !port_listed(ev->lport, RST_PORT_LOCAL))
		return false;
	if (filter_rport && !port_listed(ev->rport, RST_PORT_REMOTE))
		return false;
	if (filter_port && !port_listed(ev->lport, RST_PORT_ANY) &&
	    !port_listed(ev->rport, RST_PORT_ANY))
		return false;
	return true;
}

static __always_inline bool owner_wanted(const struct rst_event *ev)
{
	__u32 pid = ev->pid;

	if (filter_pid && (ev->owner_source == RST_OWNER_NONE ||
			   !bpf_map_lookup_elem(&pid_filter, &pid)))
		return false;
	return true;
}

static __always_inline void event_set_owner(struct rst_event *ev,
					    const struct rst_owner *o)
{
	ev->pid = o->pid;
	ev->tid = o->tid;
	__builtin_memcpy(ev->comm, o->comm, sizeof(ev->comm));
	ev->owner_source = o->source;
	ev->closed_ns = o->closed_ns;
	ev->exit_code = o->exit_code;
	ev->exit_flags = o->exit_flags;
}

/* The closed connection of passive reset @ev, NULL if not remembered. */
static __always_inline struct rst_tw_owner *
closed_lookup(const struct rst_event *ev)
{
	struct rst_conn_key k = {
		.netns = ev->netns,
		.family = ev->family,
		.lport = ev->lport,
		.rport = ev->rport,
	};

	__builtin_memcpy(k.laddr, ev->laddr, sizeof(k.laddr));
	__builtin_memcpy(k.raddr, ev->raddr, sizeof(k.raddr));
	return bpf_map_lookup_elem(&tw_owners, &k);
}

/* Owner and identity of a closed connection. */
static __always_inline void event_set_closed(struct rst_event *ev,
					     const struct rst_tw_owner *c)
{
	event_set_owner(ev, &c->owner);
	ev->birth_ns = c->owner.birth_ns;
	ev->conn_end = c->end;
	ev->sock_cookie = c->cookie;
	ev->closed_idle_ms = c->idle_ms;
	ev->cgroup_id = c->cgroup_id;
	ev->uid = c->uid;
	ev->flags |= RST_F_UID;
	if (c->in_cgroup)
		ev->flags |= RST_F_IN_CGROUP;
}

/* Owner, state and identity of a timewait socket: sock_common fields only. */
static __always_inline struct cgroup *event_from_timewait(struct rst_event *ev,
							  __u64 cookie)
{
	struct rst_tw_owner *two;

	ev->flags |= RST_F_TIMEWAIT;
	/* as the kernel's own tracepoint: TIME_WAIT, whatever the substate */
	ev->state = ev->tp_state = TCP_TIME_WAIT;
	two = closed_lookup(ev);
	/* an earlier connection's record on the same 4-tuple is not its own */
	if (two && cookie && two->cookie && two->cookie != cookie)
		two = NULL;
	if (two) {
		event_set_closed(ev, two);
		ev->prev_state = two->owner.close_from;
	} else {
		count(RST_CNT_TW_UNKNOWN);
	}
	ev->sock_cookie = cookie;
	return NULL;
}

/* What the port of @ev has had listening: restarts, stopped services. */
static __always_inline void event_port(struct rst_event *ev)
{
	struct rst_listen_key k = { .netns = ev->netns, .port = ev->lport };
	struct rst_port_hist *h = bpf_map_lookup_elem(&ports, &k);

	if (!h)
		return;
	ev->flags |= RST_F_PORT;
	ev->port_started_ns = h->started_ns;
	ev->port_stopped_ns = h->stopped_ns;
	ev->port_pid = h->pid;
	ev->port_prev_pid = h->prev_pid;
	ev->port_listening = h->listening;
	__builtin_memcpy(ev->port_comm, h->comm, sizeof(ev->port_comm));
	__builtin_memcpy(ev->port_prev_comm, h->prev_comm,
			 sizeof(ev->port_prev_comm));
}

/*
 * A segment that found no connection (@ev has no socket, or a listener
 * answered it): the connection it belonged to, if this host closed it, and
 * the port's listeners. A SYN opens a new connection: only the port.
 */
static __always_inline void event_forgotten(struct rst_event *ev)
{
	struct rst_tw_owner *c;

	event_port(ev);
	if ((ev->tcp_flags & 0x12) == 0x02 /* SYN without ACK */)
		return;
	c = closed_lookup(ev);
	if (!c)
		return;
	count(RST_CNT_CLOSED_FOUND);
	if (ev->owner_source != RST_OWNER_NONE) {
		ev->listener_pid = ev->pid;
		__builtin_memcpy(ev->listener_comm, ev->comm,
				 sizeof(ev->listener_comm));
	}
	/* the listener's counters and settings are not the connection's */
	ev->flags &= ~RST_F_TCPINFO;
	ev->sk_flags = ev->probes_out = 0;
	ev->prev_state = 0;
	ev->idle_ms = RST_IDLE_NONE;
	event_set_closed(ev, c);
	ev->owner_source = RST_OWNER_CLOSED;
}

static __always_inline bool sock_has_flag(struct sock *sk, int bit)
{
	return sk_flags(sk) & (1UL << bit);
}

/* Settings and counters of the connection, which explain most resets. */
static __always_inline void event_tcp_info(struct rst_event *ev,
					   struct sock *sk)
{
	struct tcp_sock *tp = (void *)sk;
	__u8 shut = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown);

	if (sock_has_flag(sk, bpf_core_enum_value(enum sock_flags,
						  SOCK_LINGER)) &&
	    !BPF_CORE_READ(sk, sk_lingertime))
		ev->sk_flags |= RST_SK_LINGER0;
	if (sock_has_flag(sk, bpf_core_enum_value(enum sock_flags,
						  SOCK_KEEPOPEN)))
		ev->sk_flags |= RST_SK_KEEPOPEN;
	if (sock_has_flag(sk, bpf_core_enum_value(enum sock_flags, SOCK_DEAD)))
		ev->sk_flags |= RST_SK_DEAD;
	if (shut & 1) /* RCV_SHUTDOWN */
		ev->sk_flags |= RST_SK_RCV_SHUTDOWN;
	if (shut & 2) /* SEND_SHUTDOWN */
		ev->sk_flags |= RST_SK_SEND_SHUTDOWN;
	if (BPF_CORE_READ(tp, linger2) < 0)
		ev->sk_flags |= RST_SK_LINGER2_NEG;
	ev->probes_out = BPF_CORE_READ(tp, inet_conn.icsk_probes_out);

	if (ev->state == TCP_LISTEN)
		return;
	ev->flags |= RST_F_TCPINFO;
	ev->bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	ev->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	ev->unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
	/* a FIN the application has not read takes a sequence number */
	if (ev->unread && (ev->state == TCP_CLOSE_WAIT ||
			   ev->state == TCP_LAST_ACK ||
			   ev->state == TCP_CLOSING))
		ev->unread--;
	ev->unsent = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_nxt);
	ev->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	ev->retrans = BPF_CORE_READ(tp, total_retrans);
	/* no data yet, and no time set: it would read as the uptime */
	ev->idle_ms = ev->state == TCP_SYN_SENT ? RST_IDLE_NONE : idle_ms(tp);
}

/* Owner, state and identity of a full socket; returns its cgroup. */
static __always_inline struct cgroup *event_from_sk(struct rst_event *ev,
						    struct sock *sk)
{
	struct rst_owner *o = owner_lookup(sk);
	struct cgroup *cgrp;

	ev->tp_state = sk->__sk_common.skc_state;
	ev->state = ev->tp_state;
	if (o) {
		event_set_owner(ev, o);
		ev->birth_ns = o->birth_ns;
		/* active resets are traced after the switch to CLOSE */
		if (ev->state == TCP_CLOSE && o->close_from)
			ev->state = o->close_from;
		ev->prev_state = owner_prev_state(o, ev->state);
	}
	event_tcp_info(ev, sk);
	ev->sock_cookie = sk_cookie(sk);
	ev->uid = sk->sk_uid.val;
	ev->flags |= RST_F_UID;
	cgrp = sk_cgroup(sk);
	ev->cgroup_id = cgrp ? BPF_CORE_READ(cgrp, kn, id) : 1;
	return cgrp;
}

static __always_inline bool cgroup_wanted(const struct rst_event *ev,
					  struct cgroup *cgrp)
{
	if (!filter_cgroup_id)
		return true;
	if (ev->cgroup_id == filter_cgroup_id)
		return true;
	/* a timewait socket has no cgroup: its close said where it was */
	if ((ev->flags & RST_F_TIMEWAIT) ||
	    ev->owner_source == RST_OWNER_CLOSED)
		return ev->flags & RST_F_IN_CGROUP;
	if (!cgrp || ev->cgroup_id == 0)
		return false;
	return cgroup_is_under(cgrp, filter_cgroup_id);
}

/* Start an event; false if its direction is filtered out. */
static __always_inline bool event_begin(struct rst_event *ev, __u8 direction,
					__u32 reason, __u8 flags)
{
	if (filter_direction && direction != filter_direction)
		return false;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->direction = direction;
	ev->reason = reason;
	ev->flags = flags;
	ev->uid = RST_UID_NONE;
	return true;
}

/*
 * @ev found the ring buffer full: count it under what it was, so that a
 * storm the reader cannot keep up with is still reported by kind.
 */
static __always_inline void count_lost(const struct rst_event *ev)
{
	struct rst_lost_key k = {
		.reason = ev->reason,
		.direction = ev->direction,
		.state = ev->state,
	};
	struct rst_lost_val v = { .count = 1 }, *cur;

	count(RST_CNT_LOST);
	if (ev->owner_source != RST_OWNER_NONE) {
		k.flags |= RST_LOST_OWNER;
		k.pid = ev->pid;
		__builtin_memcpy(v.comm, ev->comm, sizeof(v.comm));
	}
	if (ev->flags & RST_F_REASON)
		k.flags |= RST_LOST_REASON;
	if (ev->source == RST_SRC_NETFILTER)
		k.flags |= RST_LOST_NETFILTER;
	/* the service port: clients' own ports are ephemeral */
	if (ev->owner_source == RST_OWNER_CONNECT || ev->state == TCP_SYN_SENT)
		k.rport = ev->rport;
	else
		k.lport = ev->lport;
	cur = bpf_map_lookup_elem(&lost, &k);
	if (cur) {
		__sync_fetch_and_add(&cur->count, 1);
		return;
	}
	if (!bpf_map_update_elem(&lost, &k, &v, BPF_NOEXIST))
		return;
	/* another CPU made the key first, or the map is full */
	cur = bpf_map_lookup_elem(&lost, &k);
	if (cur)
		__sync_fetch_and_add(&cur->count, 1);
	else
		count(RST_CNT_LOST_UNKEYED);
}

/*
 * The record and its kernel stack, side by side in the ring: a stack map
 * shared by the whole run keeps the first stack of each hash slot, and
 * every later stack hashing there would have none (-EEXIST).
 */
static __always_inline int submit_with_stack(void *ctx, struct rst_event *ev,
					     __u64 flags)
{
	struct rst_stack_record *rec;
	long n;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count_lost(ev);
		return 0;
	}
	n = bpf_get_stack(ctx, rec->kstack, sizeof(rec->kstack), 0);
	ev->kstack_n = n > 0 ? n / sizeof(__u64) : 0;
	__builtin_memcpy(&rec->ev, ev, sizeof(*ev));
	bpf_ringbuf_submit(rec, flags);
	return 0;
}

/* The owner filters, then the ring buffer; a full one is counted. */
static __always_inline int event_submit(void *ctx, struct rst_event *ev,
					struct cgroup *cgrp)
{
	if (!owner_wanted(ev) || !cgroup_wanted(ev, cgrp))
		return 0;
	__u64 now = bpf_ktime_get_ns(), flags = BPF_RB_NO_WAKEUP, *last;
	__u32 zero = 0;

	last = bpf_map_lookup_elem(&last_wakeup, &zero);
	if (!last || now - *last >= RST_WAKEUP_NS) {
		/*
		 * Forced: the kernel's own rule (0) wakes only if the reader
		 * is at this very record, so a record left unannounced ahead
		 * of it would silence every later one.
		 */
		flags = BPF_RB_FORCE_WAKEUP;
		if (last)
			*last = now;
	}
	if (want_kstack)
		return submit_with_stack(ctx, ev, flags);
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), flags))
		count_lost(ev);
	return 0;
}

/*
 * Build, filter and submit one event from a BTF-typed tracepoint. @skb is
 * the segment answered by a passive reset, NULL for active and received
 * resets.
 */
static __always_inline int emit(void *ctx, struct sock *sk,
				struct sk_buff *skb, __u32 reason,
				__u8 direction, __u8 flags)
{
	struct rst_event ev = {};
	struct cgroup *cgrp = NULL;

	if (!event_begin(&ev, direction, reason, flags))
		return 0;
	if (skb) {
		ev.flags |= RST_F_PASSIVE;
		if (!tuple_from_skb(&ev, skb)) {
			count(RST_CNT_UNREADABLE);
			return 0;
		}
	} else if (sk) {
		tuple_from_sk(&ev, sk);
	} else {
		count(RST_CNT_UNREADABLE);
		return 0;
	}
	if (!tuple_wanted(&ev))
		return 0;

	if (!sk) {
		ev.flags |= RST_F_NOSOCK;
		ev.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
		event_forgotten(&ev);
	} else {
		ev.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
		if (sk_is_full(sk))
			cgrp = event_from_sk(&ev, sk);
		else if (sk->__sk_common.skc_state == TCP_TIME_WAIT)
			cgrp = event_from_timewait(&ev, sk_cookie(sk));
		else
			ev.state = ev.tp_state = sk->__sk_common.skc_state;
		if (skb && ev.tp_state == TCP_LISTEN)
			event_forgotten(&ev);
	}
	return event_submit(ctx, &ev, cgrp);
}

/*
 * A reset answering @skb that TCP's tracepoint does not show: sent without
 * a full socket before 6.10 (@sk NULL or timewait), or forged by netfilter
 * (@sk is then the local sender on OUTPUT, else NULL). Probe context: every
 * read goes through bpf_probe_read.
 */
static __always_inline int emit_probed(void *ctx, struct sock *sk,
				       struct sk_buff *skb, struct net *net,
				       __u8 source)
{
	struct rst_event ev = {};
	int state;

	if (!skb || !event_begin(&ev, RST_DIR_SENT, RST_REASON_NONE,
				 RST_F_PASSIVE))
		return 0;
	ev.source = source;
	if (!tuple_from_skb(&ev, skb)) {
		count(RST_CNT_UNREADABLE);
		return 0;
	}
	if (!tuple_wanted(&ev))
		return 0;
	if (!net)
		net = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net) :
			   BPF_CORE_READ(skb, dev, nd_net.net);
	ev.netns = BPF_CORE_READ(net, ns.inum);
	if (!sk) {
		ev.flags |= RST_F_NOSOCK;
		if (source == RST_SRC_TCP)
			event_forgotten(&ev);
		return event_submit(ctx, &ev, NULL);
	}
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (source == RST_SRC_TCP && state == TCP_TIME_WAIT)
		event_from_timewait(&ev, BPF_CORE_READ(sk, __sk_common.skc_cookie.counter));
	else
		ev.state = ev.tp_state = state;
	return event_submit(ctx, &ev, NULL);
}

/*
 * Before 6.10 tcp_send_reset fires for full sockets only: these see the
 * resets for closed ports and timewait sockets. Loaded only there.
 */
static __always_inline int emit_send_reset(void *ctx, struct sock *sk,
					   struct sk_buff *skb)
{
	int state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;

	/* full sockets: the tracepoint reports them */
	if (sk && state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV)
		return 0;
	return emit_probed(ctx, sk, skb, NULL, RST_SRC_TCP);
}

SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(handle_v4_send_reset, struct sock *sk, struct sk_buff *skb)
{
	return emit_send_reset(ctx, sk, skb);
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(handle_v6_send_reset, struct sock *sk, struct sk_buff *skb)
{
	return emit_send_reset(ctx, sk, skb);
}

/*
 * REJECT --reject-with tcp-reset builds its own segment and never reaches
 * TCP. nf_send_reset{,6}(net, [sk,] oldskb, hook): @sk was added in 5.11
 * (04295878beac), so the loader passes where oldskb is.
 */
const volatile int nf_skb_arg = 2;

static __always_inline int emit_netfilter(struct pt_regs *ctx)
{
	struct net *net = (void *)PT_REGS_PARM1(ctx);
	/* both loads at fixed offsets: the verifier refuses a computed one */
	__u64 arg2 = PT_REGS_PARM2(ctx);
	__u64 arg3 = PT_REGS_PARM3(ctx);

	if (nf_skb_arg == 2)
		return emit_probed(ctx, (void *)arg2, (void *)arg3, net,
				   RST_SRC_NETFILTER);
	return emit_probed(ctx, NULL, (void *)arg2, net, RST_SRC_NETFILTER);
}

SEC("kprobe/nf_send_reset")
int handle_nf_send_reset(struct pt_regs *ctx)
{
	return emit_netfilter(ctx);
}

SEC("kprobe/nf_send_reset6")
int handle_nf_send_reset6(struct pt_regs *ctx)
{
	return emit_netfilter(ctx);
}

static __always_inline int emit_busy(void *ctx, struct sock *sk,
				     struct sk_buff *skb, __u32 reason,
				     __u8 direction, __u8 flags, __u32 slot)
{
	__u32 *b = busy_flag(slot);

	if (b)
		*b = 1;
	emit(ctx, sk, skb, reason, direction, flags);
	if (b)
		*b = 0;
	return 0;
}

static __always_inline int emit_standin(void *ctx, struct sock *sk,
					struct sk_buff *skb, __u32 reason,
					__u8 direction, __u8 flags, __u32 slot)
{
	__u32 *b = busy_flag(slot);

	if (!b || !*b)
		return 0;
	count(RST_CNT_COVERED);
	return emit(ctx, sk, skb, reason, direction, flags);
}

/* 6.10+: tcp_send_reset(sk, skb, reason); sk and skb may each be NULL. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset, const struct sock *sk,
	     const struct sk_buff *skb, enum sk_rst_reason reason)
{
	return emit_busy(ctx, (struct sock *)sk, (struct sk_buff *)skb, reason,
			 RST_DIR_SENT, RST_F_REASON, BUSY_SEND);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(standin_send_reset, const struct sock *sk,
	     const struct sk_buff *skb, enum sk_rst_reason reason)
{
	return emit_standin(ctx, (struct sock *)sk, (struct sk_buff *)skb,
			    reason, RST_DIR_SENT, RST_F_REASON, BUSY_SEND);
}

/* Before 6.10: tcp_send_reset(sk, skb), full sockets only, no reason. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset_noreason, const struct sock *sk,
	     const struct sk_buff *skb)
{
	return emit_busy(ctx, (struct sock *)sk, (struct sk_buff *)skb,
			 RST_REASON_NONE, RST_DIR_SENT, 0, BUSY_SEND);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(standin_send_reset_noreason, const struct sock *sk,
	     const struct sk_buff *skb)
{
	return emit_standin(ctx, (struct sock *)sk, (struct sk_buff *)skb,
			    RST_REASON_NONE, RST_DIR_SENT, 0, BUSY_SEND);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	return emit_busy(ctx, sk, NULL, RST_REASON_NONE, RST_DIR_RECEIVED, 0,
			 BUSY_RECEIVE);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(standin_receive_reset, struct sock *sk)
{
	return emit_standin(ctx, sk, NULL, RST_REASON_NONE, RST_DIR_RECEIVED, 0,
			    BUSY_RECEIVE);
}

/* Legacy: the owner record goes with the socket. Loaded only there. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(handle_destroy_sock, struct sock *sk)
{
	__u64 key = (__u64)sk;

	if (!bpf_map_delete_elem(&owners_by_sk, &key))
		count(RST_CNT_LEGACY_DEL);
	return 0;
}

/* The record of syscalls:sys_exit_* tracepoints. */
struct syscall_exit_args {
	__u64 common;
	int nr;
	int pad;
	long ret;
};

/*
 * @sk was just accepted, in the acceptor's own context: the acceptor, not
 * the listener's owner (a pre-fork server's parent), owns the socket.
 * Probe context: @sk is read through bpf_probe_read.
 */
static __always_inline int note_accept(struct sock *sk)
{
	struct rst_accept a = {};
	__u64 id, key;

	if (!sk || sk_protocol_probed(sk) != IPPROTO_TCP)
		return 0;
	id = bpf_get_current_pid_tgid();
	a.ts_ns = bpf_ktime_get_boot_ns();
	a.pid = id >> 32;
	a.tid = (__u32)id;
	bpf_get_current_comm(a.comm, sizeof(a.comm));
	a.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	key = (__u64)sk;
	if (!bpf_map_update_elem(&accepts, &key, &a, BPF_ANY))
		count(RST_CNT_ACCEPT_PUT);
	return 0;
}

/* The socket behind the acceptor's file descriptor @fd, NULL if none. */
static __always_inline struct sock *fd_sock(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt;
	struct file **fds;
	struct file *file;
	struct socket *sock;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/*
 * Where kprobes exist: sock_graft() ties the accepted socket to its struct
 * socket inside accept() (and io_uring's accept), and the LSM hook it calls
 * is a real function. This replaces the syscall tracepoints below, whose
 * mere enabling sends every syscall of every task on the host through the
 * slow exit path (loopback churn: 83% of the untraced rate with them, 94%
 * without). Other families graft too; note_accept() keeps TCP only.
 */
SEC("kprobe/security_sock_graft")
int BPF_KPROBE(handle_sock_graft, struct sock *sk)
{
	return note_accept(sk);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int handle_accept4_exit(struct syscall_exit_args *ctx)
{
	return note_accept(fd_sock(ctx->ret));
}

SEC("tracepoint/syscalls/sys_exit_accept")
int handle_accept_exit(struct syscall_exit_args *ctx)
{
	return note_accept(fd_sock(ctx->ret));
}

/*
 * accept() returning an address: do_accept() asks the new socket for its
 * peer, in the acceptor's task (also io_uring's accept). ctx->sk is the
 * child, already holding its listener's cloned record. Never touches the
 * address, and lets the call go on (1).
 */
static __always_inline int on_getpeername(struct bpf_sock_addr *ctx)
{
	struct rst_owner *o;
	struct bpf_sock *sk = ctx->sk;

	if (!(acceptor_hooks & RST_ACC_GETPEERNAME) ||
	    ctx->protocol != IPPROTO_TCP || !sk)
		return 1;
	o = bpf_sk_storage_get(&owners, sk, NULL, 0);
	if (!o || o->source != RST_OWNER_INHERITED)
		return 1;
	owner_set_acceptor(o);
	/* what the fallback put aside for this socket is known now */
	if (accepts_used())
		accepts_forget((__u64)sk);
	return 1;
}

SEC("cgroup/getpeername4")
int handle_getpeername4(struct bpf_sock_addr *ctx)
{
	return on_getpeername(ctx);
}

SEC("cgroup/getpeername6")
int handle_getpeername6(struct bpf_sock_addr *ctx)
{
	return on_getpeername(ctx);
}

/*
 * A task read or wrote @sk (process context by construction; kernel
 * threads use sockets too). Every socket syscall of the host passes here,
 * so the cheap tests come first.
 */
static __always_inline int on_socket_io(struct sock *sk)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	owner_claim_io(owner_get(sk));
	return 0;
}

/* 6.3+ (6e6eda44b939): after every sock_recvmsg()/sock_sendmsg(). */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_sock_recv, struct sock *sk, int ret, int flags)
{
	return on_socket_io(sk);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_sock_send, struct sock *sk, int ret, int flags)
{
	return on_socket_io(sk);
}

/*
 * Older kernels: data copied to the reader, in tcp_recvmsg() under the
 * socket lock (so in the reader's task) or from a softirq consumer
 * (strparser, sockmap), which does not own the lock. Where the fallback
 * side table is in use, this is where its entry moves into storage.
 */
SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(handle_rcv_space, struct sock *sk)
{
	if (!sk->sk_lock.owned)
		return 0;
	owner_claim_io(owner_lookup(sk));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
