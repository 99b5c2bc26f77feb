/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The ABI between rsttrace.bpf.c and the loader: one record per reset, the
 * owner record kept in socket storage, and the counters userspace reads.
 * Fixed-width types and explicit padding only, so that the BPF target and
 * the host compiler agree on every offset.
 */
#ifndef __RSTTRACE_H
#define __RSTTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RST_COMM_LEN 16
#define RST_MAX_PIDS 64
#define RST_MAX_PORTS 64
/*
 * An event wakes the reader only if its CPU woke it no sooner than this
 * before; the reader keeps polling (every RST_POLL_MS) until RST_IDLE_MS
 * after the ring last reported data, so none waits longer than that.
 */
#define RST_WAKEUP_NS 1000000ULL
#define RST_POLL_MS 2
#define RST_IDLE_MS 3
#define RST_KSTACK_MAX 32

/* Sentinels for "unknown" in fields where 0 is a legal value. */
#define RST_UID_NONE 0xffffffffu
#define RST_REASON_NONE 0xffffffffu

enum rst_direction {
	RST_DIR_SENT = 1,
	RST_DIR_RECEIVED = 2,
};

/* How the owner of a socket was learnt. */
enum rst_owner_source {
	RST_OWNER_NONE = 0,
	RST_OWNER_CONNECT = 1, /* CLOSE->SYN_SENT runs in connect()'s task */
	RST_OWNER_LISTEN = 2, /* CLOSE->LISTEN runs in listen()'s task */
	RST_OWNER_INHERITED = 3, /* accepted child, accept() not seen yet */
	RST_OWNER_ACCEPT = 4, /* accept()/accept4() returned this socket */
	RST_OWNER_SEEDED = 5, /* existed at start-up, found in /proc */
	/* the socket is gone: its last owner, from the closed connections */
	RST_OWNER_CLOSED = 6,
};

/* Bits of rst_event.flags. */
enum rst_event_flags {
	RST_F_REASON = 1 << 0, /* reason holds a kernel sk_rst_reason */
	RST_F_UID = 1 << 1, /* uid is valid */
	RST_F_TIMEWAIT = 1 << 2, /* sk was an inet_timewait_sock */
	RST_F_NOSOCK = 1 << 3, /* no socket at all (sk == NULL) */
	RST_F_PASSIVE = 1 << 4, /* answer to an incoming segment */
	RST_F_TCPINFO = 1 << 5, /* bytes_*, unread, unsent, srtt, retrans */
	RST_F_IN_CGROUP = 1 << 6, /* closed connection: in -c's cgroup then */
	RST_F_PORT = 1 << 7, /* port_*: the listeners of lport are known */
};

/* Bits of rst_event.sk_flags: socket settings that explain resets. */
enum rst_sk_flags {
	RST_SK_LINGER0 = 1 << 0, /* SO_LINGER on with a zero timeout */
	RST_SK_KEEPOPEN = 1 << 1, /* SO_KEEPALIVE */
	RST_SK_DEAD = 1 << 2, /* orphan: the application closed it */
	RST_SK_RCV_SHUTDOWN = 1 << 3,
	RST_SK_SEND_SHUTDOWN = 1 << 4,
	RST_SK_LINGER2_NEG = 1 << 5, /* TCP_LINGER2 < 0 */
};

enum rst_source {
	RST_SRC_TCP = 0,
	RST_SRC_NETFILTER = 1,
};

/* Indexes of the per-CPU counter array "counters". */
enum rst_counter {
	RST_CNT_LOST = 0, /* ring buffer full: event dropped */
	RST_CNT_STORAGE_FAIL = 1, /* socket storage could not be created */
	RST_CNT_LOST_UNKEYED = 2, /* lost, and the "lost" map was full too */
	RST_CNT_TW_PUT = 3, /* owners written to tw_owners */
	RST_CNT_TW_UNKNOWN = 4, /* TIME_WAIT reset, owner not in tw_owners */
	RST_CNT_ACCEPT_PUT = 5, /* fallback acceptors written to "accepts" */
	RST_CNT_ACCEPT_DEL = 6, /* ... and taken out again */
	RST_CNT_LEGACY_PUT = 7, /* new keys of the legacy owners_by_sk */
	RST_CNT_LEGACY_DEL = 8, /* ... deleted when their socket died */
	RST_CNT_UNREADABLE = 9, /* a reset whose segment could not be read */
	RST_CNT_COVERED = 10, /* skipped resets a stand-in program reported */
	RST_CNT_SET_STATE_COVERED = 11, /* ... skipped transitions likewise */
	RST_CNT_TW_FAIL = 12, /* tw_owners refused a write (no free slot) */
	/* resets from a listener or no socket that found their connection */
	RST_CNT_CLOSED_FOUND = 13,
	RST_CNT_MAX = 14,
};

/*
 * How accepted sockets learn their acceptor: bits of the load-time knob
 * "acceptor_hooks", chosen by the loader per kernel (features.c).
 */
enum rst_acceptor_hook {
	/* cgroup/getpeername4/6: inside accept() when it returns an address */
	RST_ACC_GETPEERNAME = 1 << 0,
	/* tp_btf/sock_{recv,send}_length (6.3+): the first read or write */
	RST_ACC_SOCKIO = 1 << 1,
	/* tp_btf/tcp_rcv_space_adjust: the first read, where SOCKIO is absent */
	RST_ACC_RCVSPACE = 1 << 2,
	/* kprobe on security_sock_graft: every accept(), into "accepts" */
	RST_ACC_KPROBE = 1 << 3,
	/* syscalls:sys_exit_accept{,4}: every accept(), into "accepts" */
	RST_ACC_SYSCALLS = 1 << 4,
};

/* Value of the port filter map: which ends a listed port may match. */
enum rst_port_match {
	RST_PORT_LOCAL = 1 << 0,
	RST_PORT_REMOTE = 1 << 1,
	RST_PORT_ANY = 1 << 2,
};

/*
 * Who owns a socket. Lives in BPF_MAP_TYPE_SK_STORAGE (cloned into accepted
 * children), and in the cookie-keyed LRU that outlives the socket for
 * TIME_WAIT resets.
 */
struct rst_owner {
	__u64 birth_ns; /* start of this socket's life: connect, listen, clone */
	__u64 closed_ns; /* its holder's close(), 0: not closed by it yet */
	__u32 pid;
	__u32 tid; /* 0: unknown */
	__u8 comm[RST_COMM_LEN];
	__u8 source; /* enum rst_owner_source */
	__u8 close_from; /* state left by the last x->CLOSE, 0: none */
	/*
	 * The state left for state_at, written only where that is not the
	 * usual way into state_at (rsttrace.bpf.c: usual_prev()).
	 */
	__u8 state_from;
	__u8 state_at;
	/* RST_EXIT_DYING: the exit code of the owner that closed it dying */
	__u16 exit_code;
	__u8 exit_flags; /* enum rst_exit_flags */
	/* its closed connection's record was written by the closer's task */
	__u8 closed_rec;
};

/* Bits of rst_owner.exit_flags and rst_event.exit_flags. */
enum rst_exit_flags {
	/* the owner closed the socket while exiting (PF_EXITING) */
	RST_EXIT_DYING = 1 << 0,
	/* ... a victim of the OOM killer (signal->oom_mm) */
	RST_EXIT_OOM = 1 << 1,
};

/*
 * How a connection this host closed ended, as far as its socket went:
 * rst_tw_owner.end and rst_event.conn_end.
 */
enum rst_conn_end {
	RST_END_NONE = 0,
	RST_END_CLOSING = 1, /* its holder closed it; how it ended, not known */
	RST_END_TIMEWAIT = 2, /* a timewait socket took it over */
	/* none did: the namespace held tcp_max_tw_buckets of them already */
	RST_END_TW_FULL = 3,
	/* its holder closed it with a reset (SO_LINGER 0, unread data) */
	RST_END_ABORTED = 4,
};

/*
 * A connection by network namespace and 4-tuple, "local" being this
 * host's end, IPv4-mapped IPv6 as IPv4: the key of the closed connections.
 */
struct rst_conn_key {
	__u32 netns;
	__u16 family;
	__u16 lport; /* host order */
	__u16 rport;
	__u16 pad;
	__u8 laddr[16];
	__u8 raddr[16];
};

/*
 * A closed connection: the owner its full socket had. Found by a timewait
 * socket, and by resets sent once nothing of it is left.
 */
struct rst_tw_owner {
	struct rst_owner owner;
	__u64 cgroup_id;
	__u32 uid;
	__u8 in_cgroup; /* the socket was in -c's cgroup, or below, at close */
	__u8 end; /* enum rst_conn_end */
	__u8 pad[2];
	__u64 cookie; /* the socket's, 0: none was made */
	__u32 idle_ms; /* idle at the close, RST_IDLE_NONE: not known */
	__u32 pad2;
};

/*
 * The listeners of a port (key: rst_listen_key, family 0), for resets that
 * reach a port whose service stopped or was restarted.
 */
struct rst_port_hist {
	__u64 started_ns; /* pid's first listen() since the port was idle */
	__u64 stopped_ns; /* the last listener closed, 0: one listens */
	__u32 pid; /* the process that last started listening */
	__u32 prev_pid; /* a different one that listened before, 0: none */
	__u8 comm[RST_COMM_LEN];
	__u8 prev_comm[RST_COMM_LEN];
	__u32 listening; /* listening sockets on the port, as seen */
	__u32 pad;
};

/*
 * accept() seen on a socket, keyed by its address until the socket's own
 * storage can take it (classic tracepoints cannot use socket storage).
 */
struct rst_accept {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u8 comm[RST_COMM_LEN];
	__u16 dport; /* network order, guards against address reuse */
	__u8 pad[6];
};

struct rst_event {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() at the tracepoint */
	__u64 sock_cookie; /* 0: none */
	__u64 cgroup_id; /* 0: unknown */
	__u64 birth_ns; /* the connection's connect() or SYN, 0: unknown */
	__u64 bytes_sent; /* RST_F_TCPINFO: tcp_sock counters */
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 netns; /* netns inode number, 0: unknown */
	__u32 pid; /* owner tgid; meaningful when owner_source != NONE */
	__u32 tid; /* owner thread, 0: unknown */
	__u32 uid; /* RST_UID_NONE when unknown */
	__u32 reason; /* enum sk_rst_reason of the running kernel */
	__u32 kstack_n; /* frames in rst_stack_record.kstack, 0: none */
	__u32 unread; /* received, not read by the application */
	__u32 unsent; /* written by the application, not sent */
	__u32 srtt_us;
	__u32 retrans; /* segments retransmitted over the connection */
	__u8 comm[RST_COMM_LEN];
	__u8 laddr[16]; /* this host's end; IPv4 in the first 4 bytes */
	__u8 raddr[16];
	__u16 lport; /* host order */
	__u16 rport;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 seg_len; /* payload of the segment answered (passive) */
	__u8 direction; /* enum rst_direction */
	__u8 state; /* TCP state before the reset took effect, 0: no socket */
	__u8 prev_state; /* the state before that one, 0: unknown */
	__u8 tp_state; /* sk_state as the tracepoint saw it */
	__u8 owner_source; /* enum rst_owner_source */
	__u8 flags; /* enum rst_event_flags */
	__u8 sk_flags; /* enum rst_sk_flags */
	__u8 tcp_flags; /* TCP flags of the segment answered (passive) */
	__u8 probes_out; /* keepalive or zero-window probes unanswered */
	__u8 source; /* enum rst_source */
	__u8 exit_flags; /* enum rst_exit_flags, of the owner */
	__u8 conn_end; /* enum rst_conn_end, of a closed connection */
	__u16 exit_code; /* RST_EXIT_DYING: signal, or status << 8 */
	__u16 pad2;
	__u32 idle_ms; /* since data last went either way; RST_IDLE_NONE */
	__u64 closed_ns; /* the owner's close(), 0: not known */
	/* RST_F_PORT: rst_port_hist of lport, for resets a socket lacks */
	__u64 port_started_ns;
	__u64 port_stopped_ns;
	__u32 port_pid;
	__u32 port_prev_pid;
	__u8 port_comm[RST_COMM_LEN];
	__u8 port_prev_comm[RST_COMM_LEN];
	/* RST_OWNER_CLOSED and state LISTEN: the owner of that listener */
	__u32 listener_pid; /* 0: none known */
	__u32 port_listening;
	__u8 listener_comm[RST_COMM_LEN];
	/* conn_end set: how long it had been idle when it was closed */
	__u32 closed_idle_ms;
	__u32 pad3;
};

#define RST_IDLE_NONE 0xffffffffu

/* With want_kstack, each record is followed by its kernel stack. */
struct rst_stack_record {
	struct rst_event ev;
	__u64 kstack[RST_KSTACK_MAX]; /* return addresses, ev.kstack_n valid */
};

/*
 * A reset the ring buffer had no room for, counted by what it was: key and
 * value of the "lost" hash map. Of the two ports the connection's
 * ephemeral one is 0, so that a storm of one kind makes one key: clients
 * (owner_source CONNECT, or in SYN_SENT) keep rport, everything else lport.
 */
struct rst_lost_key {
	__u32 pid; /* owner tgid, 0 with RST_LOST_OWNER clear */
	__u32 reason; /* as rst_event.reason */
	__u16 lport;
	__u16 rport;
	__u8 direction;
	__u8 state;
	__u8 flags; /* enum rst_lost_flags */
	__u8 pad;
};

enum rst_lost_flags {
	RST_LOST_OWNER = 1 << 0, /* pid and comm are the owner's */
	RST_LOST_REASON = 1 << 1, /* reason is a kernel sk_rst_reason */
	RST_LOST_NETFILTER = 1 << 2,
};

struct rst_lost_val {
	__u64 count;
	__u8 comm[RST_COMM_LEN];
};

/* Legacy owner store (< 5.11): listeners by namespace, port and family. */
struct rst_listen_key {
	__u32 netns;
	__u16 port; /* host order */
	__u16 family; /* children share their listener's */
};

_Static_assert(sizeof(struct rst_lost_key) == 16, "rst_lost_key ABI");
_Static_assert(sizeof(struct rst_lost_val) == 24, "rst_lost_val ABI");
_Static_assert(sizeof(struct rst_listen_key) == 8, "rst_listen_key ABI");
_Static_assert(sizeof(struct rst_owner) == 48, "rst_owner ABI");
_Static_assert(sizeof(struct rst_tw_owner) == 80, "rst_tw_owner ABI");
_Static_assert(sizeof(struct rst_accept) == 40, "rst_accept ABI");
_Static_assert(sizeof(struct rst_conn_key) == 44, "rst_conn_key ABI");
_Static_assert(sizeof(struct rst_port_hist) == 64, "rst_port_hist ABI");
_Static_assert(sizeof(struct rst_event) == 272, "rst_event ABI");
_Static_assert(sizeof(struct rst_stack_record) == 272 + 8 * RST_KSTACK_MAX,
	       "rst_stack_record ABI");

#endif /* __RSTTRACE_H */
