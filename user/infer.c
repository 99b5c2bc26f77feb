// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Why a reset happened: the kernel's reason where it gives one, otherwise
 * worked out from the same facts the kernel decides on (tcp_rcv_state_process,
 * tcp_validate_incoming, tcp_close in net/ipv4/; README, "Causes"), and the
 * words and errno a person on call needs.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "format.h"
#include "infer.h"
#include "reasons.h"
#include "tcp_state.h"

/* TCP header flags */
#define TH_SYN 0x02
#define TH_ACK 0x10

static bool has_frame(const char *const *frames, unsigned int n,
		      const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (frames[i] && !strcmp(frames[i], name))
			return true;
	return false;
}

/* Answer to an incoming segment: the socket it found, and the segment. */
static const char *infer_passive(const struct rst_event *e)
{
	if (e->flags & RST_F_NOSOCK)
		return "NO_SOCKET";
	if (e->flags & RST_F_TIMEWAIT)
		return "TCP_TIMEWAIT_SOCKET";
	switch (e->tp_state) {
	case RST_TCP_LISTEN:
		if (e->tcp_flags & TH_SYN)
			return "INVALID_SYN";
		if (e->tcp_flags & TH_ACK)
			return "TCP_FLAGS";
		return NULL;
	case RST_TCP_SYN_SENT:
		/* a SYN-ACK for data never sent; PAWS looks the same here */
		return "TCP_INVALID_ACK_SEQUENCE";
	case RST_TCP_CLOSE:
	case RST_TCP_FIN_WAIT1:
	case RST_TCP_FIN_WAIT2:
		/* tcp_reset() already ran: data after shutdown()/close() */
		if (e->seg_len)
			return "TCP_ABORT_ON_DATA";
		return NULL;
	}
	return NULL;
}

/* A reset this host decided to send, from the code path that sent it. */
static const char *infer_active_stack(const struct rst_event *e,
				      const char *const *frames, unsigned int n)
{
	if (has_frame(frames, n, "tcp_keepalive_timer")) {
		if (e->state == RST_TCP_FIN_WAIT2 &&
		    (e->sk_flags & RST_SK_DEAD))
			return "TCP_STATE";
		return "TCP_KEEPALIVE_TIMEOUT";
	}
	if (has_frame(frames, n, "tcp_out_of_resources"))
		return "TCP_ABORT_ON_MEMORY";
	if (has_frame(frames, n, "tcp_abort"))
		return "TCP_STATE";
	if (has_frame(frames, n, "tcp_disconnect")) {
		if ((e->state == RST_TCP_CLOSING ||
		     e->state == RST_TCP_LAST_ACK) &&
		    e->unsent)
			return "TCP_DISCONNECT_WITH_DATA";
		return "TCP_STATE";
	}
	if (has_frame(frames, n, "__tcp_close") ||
	    has_frame(frames, n, "tcp_close")) {
		if (e->unread)
			return "TCP_ABORT_ON_CLOSE";
		if (e->state == RST_TCP_FIN_WAIT2 &&
		    (e->sk_flags & RST_SK_LINGER2_NEG))
			return "TCP_ABORT_ON_LINGER";
		return "TCP_ABORT_ON_MEMORY";
	}
	return NULL;
}

/* Without a stack: the socket's state and settings tell the same story. */
static const char *infer_active_fields(const struct rst_event *e)
{
	if (e->tp_state != RST_TCP_CLOSE) {
		/* sent while the connection was still open: a timer or kill */
		if ((e->sk_flags & RST_SK_KEEPOPEN) && e->probes_out &&
		    e->state != RST_TCP_FIN_WAIT2)
			return "TCP_KEEPALIVE_TIMEOUT";
		if (e->sk_flags & RST_SK_DEAD)
			return e->state == RST_TCP_FIN_WAIT2 ?
				       "TCP_STATE" :
				       "TCP_ABORT_ON_MEMORY";
		return "TCP_STATE";
	}
	/* __tcp_close() checks unread data before SO_LINGER */
	if (e->unread)
		return "TCP_ABORT_ON_CLOSE";
	if (e->sk_flags & RST_SK_LINGER0)
		return "TCP_STATE";
	if (e->state == RST_TCP_FIN_WAIT2 && (e->sk_flags & RST_SK_LINGER2_NEG))
		return "TCP_ABORT_ON_LINGER";
	if ((e->state == RST_TCP_CLOSING || e->state == RST_TCP_LAST_ACK) &&
	    e->unsent)
		return "TCP_DISCONNECT_WITH_DATA";
	return "TCP_STATE";
}

const char *infer__reason(const struct rst_event *e, const char *const *frames,
			  unsigned int nframes)
{
	const char *r;

	if (e->direction != RST_DIR_SENT || e->source != RST_SRC_TCP)
		return NULL;
	if (e->flags & RST_F_PASSIVE)
		return infer_passive(e);
	r = infer_active_stack(e, frames, nframes);
	return r ? r : infer_active_fields(e);
}

void infer__resolve(struct rst_record *r, const char *const *frames,
		    unsigned int nframes, const struct infer_opts *o)
{
	const struct rst_event *e = &r->ev;
	const char *kernel = NULL, *guess;
	bool need;

	r->reason = r->kernel_reason = NULL;
	r->reason_source = RST_REASON_SRC_NONE;
	if (e->direction != RST_DIR_SENT || e->source != RST_SRC_TCP)
		return;
	if ((e->flags & RST_F_REASON) && o->reasons)
		kernel = reasons__name(o->reasons, e->reason);
	/* 6.10 and 6.11 pass NOT_SPECIFIED for every reset they decide on */
	need = !kernel || (!(e->flags & RST_F_PASSIVE) && !o->active_reasons);
	if (!need && !o->force) {
		r->reason = kernel;
		r->reason_source = RST_REASON_SRC_KERNEL;
		return;
	}
	guess = infer__reason(e, frames, nframes);
	r->kernel_reason = kernel;
	if (guess) {
		r->reason = guess;
		r->reason_source = RST_REASON_SRC_INFERRED;
	} else if (kernel && !o->force) {
		/* NOT_SPECIFIED, where inference had nothing better */
		r->reason = kernel;
		r->reason_source = RST_REASON_SRC_KERNEL;
	}
}

bool infer__maybe_local_abort(const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;

	return e->direction == RST_DIR_RECEIVED &&
	       (e->sk_flags & RST_SK_RCV_SHUTDOWN) &&
	       e->state != RST_TCP_SYN_SENT;
}

bool infer__unsent_by_tcp(const struct rst_record *r)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	const struct rst_event *e = &r->ev;
	bool loopback = e->family == AF_INET6 ?
				!memcmp(e->raddr, v6_loopback, 16) :
				e->raddr[0] == 127;

	return e->direction == RST_DIR_RECEIVED && !r->paired && loopback &&
	       e->source == RST_SRC_TCP;
}

static bool reason_is(const struct rst_record *r, const char *name)
{
	return r->reason && !strcmp(r->reason, name);
}

/* Causes that are one fixed sentence for a sent reset's reason. */
static const struct {
	const char *reason, *cause;
} fixed_causes[] = {
	{ "TCP_KEEPALIVE_TIMEOUT", "keepalive timeout: peer unreachable" },
	{ "TCP_ABORT_ON_DATA",
	  "data arrived after the application shut down the socket" },
	{ "TCP_TIMEWAIT_SOCKET",
	  "data arrived for a closed connection (TIME_WAIT)" },
	{ "TCP_ABORT_ON_MEMORY",
	  "too many orphaned sockets / TCP memory pressure" },
	{ "TCP_ABORT_ON_LINGER",
	  "orphaned FIN_WAIT2 closed at once (TCP_LINGER2 < 0)" },
	{ "INVALID_SYN", "unexpected SYN during the handshake, or listen "
			 "queue overflow (tcp_abort_on_overflow)" },
	{ "TCP_INVALID_ACK_SEQUENCE", "SYN-ACK acknowledges data never sent" },
	{ "TCP_RFC7323_PAWS", "SYN-ACK with an old timestamp (PAWS)" },
	{ "TCP_TOO_OLD_ACK", "invalid ACK during the handshake" },
	{ "TCP_OLD_ACK", "invalid ACK during the handshake" },
	{ "TCP_ACK_UNSENT_DATA", "invalid ACK during the handshake" },
};

/*
 * How the owner ended as it closed the socket: "killed by SIGKILL",
 * "killed by the OOM killer (SIGKILL)", "exited (status 3)"; false if it
 * was not exiting.
 */
static bool owner_death(const struct rst_event *e, char *buf, size_t len)
{
	char sbuf[FORMAT_SIG_LEN];
	int sig = format__exit_signal(e);
	const char *name = format__signal_name(sig, sbuf);

	if (!(e->exit_flags & RST_EXIT_DYING))
		return false;
	if (e->exit_flags & RST_EXIT_OOM)
		snprintf(buf, len, "killed by the OOM killer (%s)",
			 name ? name : "SIGKILL");
	else if (sig)
		snprintf(buf, len, "killed by %s", name ? name : "a signal");
	else
		snprintf(buf, len, "exited (status %u)",
			 (e->exit_code >> 8) & 0xff);
	return true;
}

/* "1.2 s", "340 ms": a duration for a cause. */
static void cause_duration(char *buf, size_t len, uint64_t ms)
{
	if (ms >= 1000)
		snprintf(buf, len, "%.1f s", ms / 1000.0);
	else
		snprintf(buf, len, "%u ms", (unsigned int)ms);
}

static void cause_received(const struct rst_event *e, char *buf, size_t len)
{
	const char *state = tcp_state__name(e->state);

	if (e->state == RST_TCP_SYN_SENT)
		snprintf(buf, len, "peer refused connection");
	else if (e->state == RST_TCP_ESTABLISHED)
		snprintf(buf, len, "peer reset established connection");
	else if (state)
		snprintf(buf, len, "peer reset connection in %s", state);
}

/* TCP_STATE: the socket was closed or killed with the reset. */
static void cause_state(const struct rst_event *e, char *buf, size_t len)
{
	if (e->tp_state == RST_TCP_CLOSE && (e->sk_flags & RST_SK_LINGER0))
		snprintf(buf, len, "abortive close (SO_LINGER 0)");
	else if (e->state == RST_TCP_FIN_WAIT2 && (e->sk_flags & RST_SK_DEAD))
		snprintf(buf, len, "orphaned FIN_WAIT2 timed out");
	else if (e->tp_state != RST_TCP_CLOSE)
		snprintf(buf, len, "socket killed by administrator (ss -K)");
	else
		snprintf(buf, len, "application disconnected the socket");
}

void infer__port_change(const struct rst_event *e, struct port_change *pc)
{
	bool port = e->flags & RST_F_PORT;

	memset(pc, 0, sizeof(*pc));
	if (e->tp_state == RST_TCP_LISTEN && !(e->flags & RST_F_NOSOCK)) {
		bool closed = e->owner_source == RST_OWNER_CLOSED;

		pc->has_listener = closed ? e->listener_pid != 0 :
					    e->owner_source != RST_OWNER_NONE;
		pc->listener_pid = closed ? e->listener_pid : e->pid;
		pc->listener_comm = closed ? e->listener_comm : e->comm;
	} else if (port && e->port_listening && e->port_pid) {
		pc->has_listener = true;
		pc->listener_pid = e->port_pid;
		pc->listener_comm = e->port_comm;
	}
	if (!port)
		return;
	if ((e->flags & RST_F_NOSOCK) && !e->port_listening &&
	    e->port_stopped_ns && e->port_pid &&
	    e->port_stopped_ns <= e->ts_ns) {
		pc->stopped = true;
		pc->prev_pid = e->port_pid;
		pc->prev_comm = e->port_comm;
		pc->changed_ns = e->port_stopped_ns;
	} else if (e->owner_source == RST_OWNER_CLOSED && e->port_prev_pid &&
		   e->port_started_ns && e->birth_ns &&
		   e->birth_ns < e->port_started_ns &&
		   e->port_started_ns <= e->ts_ns) {
		/* a connection older than the port's current listener */
		pc->restarted = true;
		pc->prev_pid = e->port_prev_pid;
		pc->prev_comm = e->port_prev_comm;
		pc->changed_ns = e->port_started_ns;
	}
}

/* A process name for a cause: printable ASCII only, the rest as '?'. */
static void cause_comm(char out[RST_COMM_LEN + 1], const uint8_t *comm)
{
	unsigned int i;

	for (i = 0; i < RST_COMM_LEN && comm[i]; i++)
		out[i] = comm[i] >= 0x20 && comm[i] < 0x7f ? comm[i] : '?';
	out[i] = '\0';
}

/*
 * A segment of a connection this host no longer has: why nothing was left
 * to answer it (the time since the close is a suffix).
 */
static void cause_forgotten(const struct rst_event *e, char *buf, size_t len)
{
	uint64_t ago = e->closed_ns && e->ts_ns > e->closed_ns ?
			       (e->ts_ns - e->closed_ns) / 1000000 :
			       0;

	switch (e->conn_end) {
	case RST_END_TW_FULL:
		snprintf(buf, len,
			 "segment for a closed connection whose TIME_WAIT "
			 "was not kept (net.ipv4.tcp_max_tw_buckets reached)");
		break;
	case RST_END_TIMEWAIT:
		snprintf(buf, len,
			 "segment for a closed connection whose TIME_WAIT %s",
			 ago >= 60000 ? "expired" : "socket is gone");
		break;
	case RST_END_ABORTED:
		snprintf(buf, len,
			 "segment for a connection its application aborted "
			 "(SO_LINGER 0 or unread data)");
		break;
	default:
		snprintf(buf, len, "segment for a closed connection");
	}
}

static void cause_nosock(const struct rst_event *e, char *buf, size_t len)
{
	if ((e->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN)
		snprintf(buf, len, "nothing listening on port %u", e->lport);
	else
		snprintf(buf, len,
			 "segment for an unknown connection to port %u",
			 e->lport);
}

/* The causes of a sent reset that depend on more than its reason. */
static bool cause_sent(const struct rst_record *r, char *buf, size_t len)
{
	const struct rst_event *e = &r->ev;

	if (e->owner_source == RST_OWNER_CLOSED) {
		cause_forgotten(e, buf, len);
	} else if (reason_is(r, "NO_SOCKET")) {
		cause_nosock(e, buf, len);
	} else if (reason_is(r, "TCP_ABORT_ON_CLOSE")) {
		char death[48];

		if (owner_death(e, death, sizeof(death)))
			snprintf(buf, len, "process %s with %u unread bytes",
				 death, e->unread);
		else
			snprintf(buf, len,
				 "application closed socket with %u unread "
				 "bytes",
				 e->unread);
	} else if (reason_is(r, "TCP_STATE")) {
		cause_state(e, buf, len);
	} else if (reason_is(r, "TCP_DISCONNECT_WITH_DATA")) {
		snprintf(buf, len, "disconnected with %u bytes unsent",
			 e->unsent);
	} else if (reason_is(r, "TCP_FLAGS")) {
		snprintf(buf, len,
			 "ACK for a handshake the listener on port %u does not "
			 "know (SYN-ACK retries exhausted or listener "
			 "restarted)",
			 e->lport);
	} else if (!strncmp(r->reason, "MPTCP_", 6)) {
		snprintf(buf, len, "MPTCP subflow reset (%s)", r->reason + 6);
	} else {
		return false;
	}
	return true;
}

void infer__cause(const struct rst_record *r, char *buf, size_t len)
{
	const struct rst_event *e = &r->ev;
	unsigned int i;

	buf[0] = '\0';
	if (e->source == RST_SRC_NETFILTER) {
		snprintf(buf, len,
			 "firewall rule rejected the segment (REJECT with "
			 "tcp-reset)");
		return;
	}
	if (e->direction == RST_DIR_RECEIVED) {
		cause_received(e, buf, len);
		return;
	}
	if (!r->reason || cause_sent(r, buf, len))
		return;
	for (i = 0; i < sizeof(fixed_causes) / sizeof(fixed_causes[0]); i++)
		if (reason_is(r, fixed_causes[i].reason)) {
			snprintf(buf, len, "%s", fixed_causes[i].cause);
			return;
		}
}

const char *infer__errno(const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;
	bool orphan = e->sk_flags & RST_SK_DEAD;

	if (e->owner_source == RST_OWNER_NONE ||
	    e->owner_source == RST_OWNER_CLOSED || orphan ||
	    (e->flags & (RST_F_NOSOCK | RST_F_TIMEWAIT)))
		return NULL;
	if (e->direction == RST_DIR_RECEIVED) {
		/* as tcp_reset() sets sk_err */
		switch (e->state) {
		case RST_TCP_SYN_SENT:
			return "ECONNREFUSED";
		case RST_TCP_CLOSE_WAIT:
			return "EPIPE";
		case RST_TCP_CLOSE:
			return NULL;
		default:
			return "ECONNRESET";
		}
	}
	if (reason_is(r, "TCP_KEEPALIVE_TIMEOUT"))
		return "ETIMEDOUT";
	if (reason_is(r, "TCP_ABORT_ON_DATA"))
		return "ECONNRESET";
	if (reason_is(r, "TCP_STATE") && e->tp_state != RST_TCP_CLOSE)
		return "ECONNABORTED"; /* tcp_abort() */
	return NULL;
}

/* Timeouts say how long the connection had been idle. */
static bool idle_explains(const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;

	if (!(e->flags & RST_F_TCPINFO) || e->idle_ms == RST_IDLE_NONE ||
	    e->idle_ms < 1000)
		return false;
	return reason_is(r, "TCP_KEEPALIVE_TIMEOUT") ||
	       (reason_is(r, "TCP_STATE") && (e->sk_flags & RST_SK_LINGER0));
}

/*
 * A reset that came after its owner died (an orphan, a timewait socket)
 * says so, unless its cause already does.
 */
static bool death_explains(const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;

	if (!(e->exit_flags & RST_EXIT_DYING))
		return false;
	return !reason_is(r, "TCP_ABORT_ON_CLOSE");
}

/*
 * Who listened on the port before: " (api-server pid 4711 stopped
 * listening 2.1 s ago)", " (service restarted 2.1 s ago: pid 4711 ->
 * 4890)".
 */
static size_t cause_port_change(const struct rst_event *e, char *buf,
				size_t len)
{
	char comm[RST_COMM_LEN + 1], dur[24];
	struct port_change pc;

	infer__port_change(e, &pc);
	if (!pc.stopped && !pc.restarted)
		return 0;
	cause_duration(dur, sizeof(dur), (e->ts_ns - pc.changed_ns) / 1000000);
	cause_comm(comm, pc.prev_comm);
	if (pc.stopped)
		return snprintf(buf, len,
				" (%s pid %u stopped listening %s ago)", comm,
				pc.prev_pid, dur);
	if (pc.has_listener && pc.prev_pid == pc.listener_pid)
		return snprintf(buf, len,
				" (listener restarted %s ago by pid %u)", dur,
				pc.prev_pid);
	if (pc.has_listener)
		return snprintf(buf, len,
				" (service restarted %s ago: pid %u -> %u)",
				dur, pc.prev_pid, pc.listener_pid);
	return snprintf(buf, len,
			" (service restarted %s ago: pid %u listened before)",
			dur, pc.prev_pid);
}

/*
 * A connection closed by its owner: " (closed 2.1 s ago)" once the socket
 * is gone, " (closed after 1.0 s idle, 59 ms ago)" where it had been idle
 * long enough for a timeout to explain the close (a timewait socket says
 * so only then); the time since is left to a dead owner's suffix.
 */
static size_t cause_closed(const struct rst_event *e, char *buf, size_t len)
{
	bool idle = e->closed_idle_ms != RST_IDLE_NONE &&
		    e->closed_idle_ms >= 1000;
	bool ago = !(e->exit_flags & RST_EXIT_DYING) && e->closed_ns &&
		   e->ts_ns >= e->closed_ns;
	char dur[24];
	size_t n;

	if (!e->conn_end || (!idle && e->owner_source != RST_OWNER_CLOSED) ||
	    (!idle && !ago))
		return 0;
	n = snprintf(buf, len, " (closed");
	if (idle && n < len) {
		cause_duration(dur, sizeof(dur), e->closed_idle_ms);
		n += snprintf(buf + n, len - n, " after %s idle%s", dur,
			      ago ? "," : "");
	}
	if (ago && n < len) {
		cause_duration(dur, sizeof(dur),
			       (e->ts_ns - e->closed_ns) / 1000000);
		n += snprintf(buf + n, len - n, " %s ago", dur);
	}
	if (n < len)
		n += snprintf(buf + n, len - n, ")");
	return n;
}

static void cause_suffixes(struct rst_record *r, const struct infer_opts *o)
{
	const struct rst_event *e = &r->ev;
	size_t n = strlen(r->cause), len = sizeof(r->cause);
	char death[48], dur[24];

	if (o->see_all_senders && infer__unsent_by_tcp(r))
		n += snprintf(r->cause + n, len - n, "%s",
			      " (no TCP sender on this host: firewall "
			      "REJECT?)");
	if (n >= len)
		n = len - 1;
	r->cause_stem = (uint8_t)n;
	if (!r->cause[0])
		return;
	n += cause_closed(e, r->cause + n, len - n);
	if (n < len)
		n += cause_port_change(e, r->cause + n, len - n);
	if (n >= len)
		return;
	if (idle_explains(r)) {
		cause_duration(dur, sizeof(dur), e->idle_ms);
		n += snprintf(r->cause + n, len - n, " after %s idle", dur);
	}
	if (n < len && death_explains(r) &&
	    owner_death(e, death, sizeof(death))) {
		/* the close itself sent it, or it came later */
		if (e->closed_ns && e->ts_ns >= e->closed_ns + 1000000) {
			cause_duration(dur, sizeof(dur),
				       (e->ts_ns - e->closed_ns) / 1000000);
			n += snprintf(r->cause + n, len - n,
				      " (its process %s %s earlier)", death,
				      dur);
		} else {
			n += snprintf(r->cause + n, len - n,
				      " (its process %s)", death);
		}
	}
}

void infer__finish(struct rst_record *r, const struct infer_opts *o)
{
	infer__cause(r, r->cause, sizeof(r->cause));
	r->errno_name = infer__errno(r);
	cause_suffixes(r, o);
}

/* The cause_class of a sent reset that depends on more than its reason. */
static const char *class_sent(const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;
	struct port_change pc;

	infer__port_change(e, &pc);
	if (pc.restarted)
		return "restarted";
	if (pc.stopped)
		return "stopped";
	if (e->owner_source == RST_OWNER_CLOSED)
		return e->conn_end == RST_END_TW_FULL ? "timewait_full" :
		       e->conn_end == RST_END_ABORTED ? "closed_aborted" :
							"closed";
	if (reason_is(r, "NO_SOCKET"))
		return (e->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN ?
			       "refused" :
			       "unknown_connection";
	if (reason_is(r, "TCP_ABORT_ON_CLOSE"))
		return "abort_unread";
	if (reason_is(r, "TCP_STATE")) {
		if (e->tp_state == RST_TCP_CLOSE &&
		    (e->sk_flags & RST_SK_LINGER0))
			return "linger0";
		if (e->state == RST_TCP_FIN_WAIT2 &&
		    (e->sk_flags & RST_SK_DEAD))
			return "fin_wait2_timeout";
		return e->tp_state != RST_TCP_CLOSE ? "socket_killed" :
						      "disconnect";
	}
	return NULL;
}

static const struct {
	const char *reason, *cls;
} reason_classes[] = {
	{ "TCP_KEEPALIVE_TIMEOUT", "keepalive" },
	{ "TCP_ABORT_ON_DATA", "abort_on_data" },
	{ "TCP_TIMEWAIT_SOCKET", "timewait" },
	{ "TCP_ABORT_ON_MEMORY", "memory" },
	{ "TCP_ABORT_ON_LINGER", "linger2" },
	{ "TCP_DISCONNECT_WITH_DATA", "disconnect_unsent" },
	{ "TCP_FLAGS", "handshake" },
	{ "INVALID_SYN", "handshake" },
	{ "TCP_INVALID_ACK_SEQUENCE", "handshake" },
	{ "TCP_RFC7323_PAWS", "handshake" },
	{ "TCP_TOO_OLD_ACK", "handshake" },
	{ "TCP_OLD_ACK", "handshake" },
	{ "TCP_ACK_UNSENT_DATA", "handshake" },
};

const char *infer__cause_class(const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;
	const char *cls;
	unsigned int i;

	if (e->source == RST_SRC_NETFILTER)
		return "firewall";
	if (e->direction == RST_DIR_RECEIVED)
		return e->state == RST_TCP_SYN_SENT ? "refused" : "peer_reset";
	/* how the owner died says more than how its socket went */
	if ((e->exit_flags & RST_EXIT_DYING) &&
	    e->owner_source != RST_OWNER_CLOSED &&
	    !(e->flags & RST_F_TIMEWAIT))
		return e->exit_flags & RST_EXIT_OOM ? "oom_killed" :
		       format__exit_signal(e)	    ? "killed" :
						      "exited";
	if (!r->reason)
		return "unknown";
	cls = class_sent(r);
	if (cls)
		return cls;
	if (!strncmp(r->reason, "MPTCP_", 6))
		return "mptcp";
	for (i = 0; i < sizeof(reason_classes) / sizeof(reason_classes[0]); i++)
		if (reason_is(r, reason_classes[i].reason))
			return reason_classes[i].cls;
	return "other";
}
