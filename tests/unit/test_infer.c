// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Reason inference on recorded inputs: the fields the BPF side produced for
 * each scenario on Linux 6.18 (where the kernel's own reason is known), with
 * and without the kernel stack.
 */
#include <string.h>
#include "infer.h"
#include "reasons.h"
#include "tcp_state.h"
#include "unit.h"

static struct rst_event sent(uint8_t tp_state, uint8_t state)
{
	struct rst_event e = {
		.direction = RST_DIR_SENT,
		.tp_state = tp_state,
		.state = state,
		.owner_source = RST_OWNER_ACCEPT,
		.flags = RST_F_UID | RST_F_TCPINFO,
		.lport = 8080,
	};

	return e;
}

static const char *guess(const struct rst_event *e, const char *const *frames,
			 unsigned int n)
{
	return infer__reason(e, frames, n);
}

#define NFRAMES(f) (sizeof(f) / sizeof((f)[0]))

UNIT_TEST(infer_passive)
{
	struct rst_event e = sent(0, 0);

	e.flags = RST_F_PASSIVE | RST_F_NOSOCK;
	e.tcp_flags = 0x02;
	CHECK_EQ_STR(guess(&e, NULL, 0), "NO_SOCKET");
	e = sent(6, 6);
	e.flags = RST_F_PASSIVE | RST_F_TIMEWAIT;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_TIMEWAIT_SOCKET");
	e = sent(10, 10);
	e.flags |= RST_F_PASSIVE;
	e.tcp_flags = 0x10; /* a bare ACK to a listener */
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_FLAGS");
	e.tcp_flags = 0x02;
	CHECK_EQ_STR(guess(&e, NULL, 0), "INVALID_SYN");
	/* shutdown(), then the peer's data: tcp_reset() ran, state CLOSE */
	e = sent(7, 5);
	e.flags |= RST_F_PASSIVE;
	e.tcp_flags = 0x18;
	e.seg_len = 5;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_ABORT_ON_DATA");
	e.seg_len = 0;
	CHECK(guess(&e, NULL, 0) == NULL);
}

UNIT_TEST(infer_active_from_fields)
{
	struct rst_event e;

	/* close() with 100 bytes unread (checked before SO_LINGER) */
	e = sent(7, 1);
	e.unread = 100;
	e.sk_flags = RST_SK_LINGER0;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_ABORT_ON_CLOSE");
	/* SO_LINGER {1, 0} */
	e = sent(7, 1);
	e.sk_flags = RST_SK_LINGER0;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_STATE");
	/* keepalive probes unanswered: sent while still ESTABLISHED */
	e = sent(1, 1);
	e.sk_flags = RST_SK_KEEPOPEN;
	e.probes_out = 2;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_KEEPALIVE_TIMEOUT");
	/* ss -K: tcp_abort() resets an open connection */
	e = sent(1, 1);
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_STATE");
	/* orphaned FIN_WAIT2 timing out */
	e = sent(5, 5);
	e.sk_flags = RST_SK_DEAD | RST_SK_KEEPOPEN;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_STATE");
	/* orphan killed for memory */
	e = sent(4, 4);
	e.sk_flags = RST_SK_DEAD;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_ABORT_ON_MEMORY");
	e = sent(7, 5);
	e.sk_flags = RST_SK_LINGER2_NEG;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_ABORT_ON_LINGER");
	e = sent(7, 9);
	e.unsent = 10;
	CHECK_EQ_STR(guess(&e, NULL, 0), "TCP_DISCONNECT_WITH_DATA");
}

UNIT_TEST(infer_active_from_stack)
{
	/* innermost first, as bpf_get_stackid() records them */
	static const char *const linger[] = {
		"bpf_trace_run3", "tcp_send_active_reset", "tcp_disconnect",
		"__tcp_close", "tcp_close", "inet_release",
	};
	static const char *const unread[] = {
		"bpf_trace_run3", "tcp_send_active_reset", "__tcp_close",
		"tcp_close", "inet_release", "__sock_release",
	};
	static const char *const keepalive[] = {
		"bpf_trace_run3", "tcp_send_active_reset",
		"tcp_keepalive_timer", "call_timer_fn", "__run_timers",
	};
	static const char *const kill[] = {
		"bpf_trace_run3", "tcp_send_active_reset", "tcp_abort",
		"inet_diag_destroy", "sock_diag_destroy",
	};
	static const char *const oom[] = {
		"bpf_trace_run3", "tcp_send_active_reset",
		"tcp_out_of_resources", "tcp_write_timeout",
	};
	struct rst_event e;

	e = sent(7, 1);
	/* the stack decides even where fields would mislead */
	CHECK_EQ_STR(guess(&e, linger, NFRAMES(linger)), "TCP_STATE");
	e.unread = 3;
	CHECK_EQ_STR(guess(&e, unread, NFRAMES(unread)), "TCP_ABORT_ON_CLOSE");
	e = sent(1, 1);
	CHECK_EQ_STR(guess(&e, keepalive, NFRAMES(keepalive)),
		     "TCP_KEEPALIVE_TIMEOUT");
	e = sent(5, 5);
	e.sk_flags = RST_SK_DEAD;
	CHECK_EQ_STR(guess(&e, keepalive, NFRAMES(keepalive)), "TCP_STATE");
	e = sent(1, 1);
	CHECK_EQ_STR(guess(&e, kill, NFRAMES(kill)), "TCP_STATE");
	e = sent(4, 4);
	CHECK_EQ_STR(guess(&e, oom, NFRAMES(oom)), "TCP_ABORT_ON_MEMORY");
}

UNIT_TEST(infer_resolve_kernel_or_inferred)
{
	struct reasons names = {};
	struct infer_opts o = { .reasons = &names, .active_reasons = true };
	struct rst_record r = {};

	reasons__add(&names, 0, "SK_RST_REASON_NOT_SPECIFIED");
	reasons__add(&names, 1, "SK_RST_REASON_TCP_STATE");
	r.ev = sent(7, 1);
	r.ev.sk_flags = RST_SK_LINGER0;
	r.ev.flags |= RST_F_REASON;
	r.ev.reason = 1;
	infer__resolve(&r, NULL, 0, &o);
	CHECK_EQ_STR(r.reason, "TCP_STATE");
	CHECK_EQ_INT(r.reason_source, RST_REASON_SRC_KERNEL);
	/* 6.10/6.11: NOT_SPECIFIED for active resets, so infer */
	o.active_reasons = false;
	r.ev.reason = 0;
	infer__resolve(&r, NULL, 0, &o);
	CHECK_EQ_STR(r.reason, "TCP_STATE");
	CHECK_EQ_INT(r.reason_source, RST_REASON_SRC_INFERRED);
	/* before 6.10: no reason at all */
	r.ev.flags &= ~RST_F_REASON;
	infer__resolve(&r, NULL, 0, &o);
	CHECK_EQ_INT(r.reason_source, RST_REASON_SRC_INFERRED);
	CHECK(r.kernel_reason == NULL);
	/* forced: inferred, with the kernel's kept for comparison */
	o.active_reasons = true;
	o.force = true;
	r.ev.flags |= RST_F_REASON;
	r.ev.reason = 1;
	infer__resolve(&r, NULL, 0, &o);
	CHECK_EQ_INT(r.reason_source, RST_REASON_SRC_INFERRED);
	CHECK_EQ_STR(r.kernel_reason, "TCP_STATE");
	/* forced, and inference has nothing: no reason, not the kernel's */
	r.ev = sent(10, 10);
	r.ev.flags |= RST_F_PASSIVE | RST_F_REASON;
	r.ev.reason = 1;
	infer__resolve(&r, NULL, 0, &o);
	CHECK(r.reason == NULL);
	CHECK_EQ_INT(r.reason_source, RST_REASON_SRC_NONE);
	CHECK_EQ_STR(r.kernel_reason, "TCP_STATE");
	/* received resets have no reason */
	r.ev.direction = RST_DIR_RECEIVED;
	infer__resolve(&r, NULL, 0, &o);
	CHECK(r.reason == NULL);
	CHECK_EQ_INT(r.reason_source, RST_REASON_SRC_NONE);
	reasons__free(&names);
}

static const char *cause_of(struct rst_record *r, const char *reason)
{
	r->reason = reason;
	infer__cause(r, r->cause, sizeof(r->cause));
	return r->cause;
}

UNIT_TEST(causes_fixed_and_unknown)
{
	struct rst_record r = {};

	r.ev = sent(1, 1);
	CHECK_EQ_STR(cause_of(&r, "TCP_RFC7323_PAWS"),
		     "SYN-ACK with an old timestamp (PAWS)");
	CHECK_EQ_STR(cause_of(&r, "TCP_OLD_ACK"),
		     "invalid ACK during the handshake");
	CHECK_EQ_STR(cause_of(&r, "TCP_KEEPALIVE_TIMEOUT"),
		     "keepalive timeout: peer unreachable");
	CHECK_EQ_STR(cause_of(&r, "MPTCP_RST_EPROHIBIT"),
		     "MPTCP subflow reset (RST_EPROHIBIT)");
	/* a reason of a later kernel, or none: no words rather than wrong */
	CHECK_EQ_STR(cause_of(&r, "TCP_SOMETHING_NEW"), "");
	CHECK_EQ_STR(cause_of(&r, NULL), "");
}

UNIT_TEST(causes_and_errno)
{
	struct rst_record r = {};

	r.ev = sent(0, 0);
	r.ev.flags = RST_F_PASSIVE | RST_F_NOSOCK;
	r.ev.owner_source = RST_OWNER_NONE;
	r.ev.tcp_flags = 0x02;
	CHECK_EQ_STR(cause_of(&r, "NO_SOCKET"), "nothing listening on port 8080");
	CHECK(infer__errno(&r) == NULL);
	r.ev.tcp_flags = 0x18;
	CHECK_EQ_STR(cause_of(&r, "NO_SOCKET"),
		     "segment for an unknown connection to port 8080");

	r.ev = sent(7, 1);
	r.ev.unread = 312;
	CHECK_EQ_STR(cause_of(&r, "TCP_ABORT_ON_CLOSE"),
		     "application closed socket with 312 unread bytes");
	r.ev = sent(7, 1);
	r.ev.sk_flags = RST_SK_LINGER0;
	CHECK_EQ_STR(cause_of(&r, "TCP_STATE"), "abortive close (SO_LINGER 0)");
	CHECK(infer__errno(&r) == NULL);
	r.ev = sent(1, 1);
	CHECK_EQ_STR(cause_of(&r, "TCP_STATE"),
		     "socket killed by administrator (ss -K)");
	CHECK_EQ_STR(infer__errno(&r), "ECONNABORTED");
	CHECK_EQ_STR(cause_of(&r, "TCP_KEEPALIVE_TIMEOUT"),
		     "keepalive timeout: peer unreachable");
	CHECK_EQ_STR(infer__errno(&r), "ETIMEDOUT");
	r.ev = sent(7, 5);
	r.ev.flags |= RST_F_PASSIVE;
	CHECK_EQ_STR(cause_of(&r, "TCP_ABORT_ON_DATA"),
		     "data arrived after the application shut down the socket");
	CHECK_EQ_STR(infer__errno(&r), "ECONNRESET");
	r.ev.sk_flags = RST_SK_DEAD; /* closed, not just shut down */
	CHECK(infer__errno(&r) == NULL);

	r.ev = sent(2, 2);
	r.ev.direction = RST_DIR_RECEIVED;
	CHECK_EQ_STR(cause_of(&r, NULL), "peer refused connection");
	CHECK_EQ_STR(infer__errno(&r), "ECONNREFUSED");
	r.ev.state = 1;
	CHECK_EQ_STR(cause_of(&r, NULL), "peer reset established connection");
	CHECK_EQ_STR(infer__errno(&r), "ECONNRESET");
	r.ev.state = 8;
	CHECK_EQ_STR(cause_of(&r, NULL), "peer reset connection in CLOSE_WAIT");
	CHECK_EQ_STR(infer__errno(&r), "EPIPE");
}

UNIT_TEST(local_abort_candidate)
{
	struct rst_record r = {};

	r.ev = sent(5, 5);
	r.ev.direction = RST_DIR_RECEIVED;
	r.ev.sk_flags = RST_SK_RCV_SHUTDOWN;
	CHECK(infer__maybe_local_abort(&r));
	r.ev.sk_flags = 0;
	CHECK(!infer__maybe_local_abort(&r));
	r.ev.sk_flags = RST_SK_RCV_SHUTDOWN;
	r.ev.state = 2;
	CHECK(!infer__maybe_local_abort(&r));
}

static const char *finished(struct rst_record *r, const char *reason)
{
	struct infer_opts o = {};

	r->reason = reason;
	infer__finish(r, &o);
	return r->cause;
}

UNIT_TEST(causes_owner_exit)
{
	struct rst_record r = {};
	const char *stem;

	r.ev = sent(7, 1);
	r.ev.unread = 19;
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 9;
	r.ev.idle_ms = 20;
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_CLOSE"),
		     "process killed by SIGKILL with 19 unread bytes");
	r.ev.exit_code = 11 | 0x80; /* dumped core */
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_CLOSE"),
		     "process killed by SIGSEGV with 19 unread bytes");
	r.ev.exit_code = 9;
	r.ev.exit_flags |= RST_EXIT_OOM;
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_CLOSE"),
		     "process killed by the OOM killer (SIGKILL) with 19 "
		     "unread bytes");
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 3 << 8;
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_CLOSE"),
		     "process exited (status 3) with 19 unread bytes");

	/* later: from the orphan or timewait socket the dying owner left */
	r.ev = sent(7, 5);
	r.ev.flags |= RST_F_PASSIVE;
	r.ev.sk_flags = RST_SK_DEAD;
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 9;
	r.ev.ts_ns = 5000000000ULL;
	r.ev.closed_ns = r.ev.ts_ns - 2100000000ULL;
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_DATA"),
		     "data arrived after the application shut down the "
		     "socket (its process killed by SIGKILL 2.1 s earlier)");
	/* the summary groups by what comes before the times */
	stem = "data arrived after the application shut down the socket";
	CHECK_EQ_INT(r.cause_stem, strlen(stem));
	r.ev.closed_ns = r.ev.ts_ns - 340000000ULL;
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_DATA"),
		     "data arrived after the application shut down the "
		     "socket (its process killed by SIGKILL 340 ms earlier)");
	r.ev.exit_flags = 0;
	CHECK_EQ_STR(finished(&r, "TCP_ABORT_ON_DATA"),
		     "data arrived after the application shut down the "
		     "socket");
}

UNIT_TEST(causes_idle)
{
	struct rst_record r = {};

	r.ev = sent(7, 1);
	r.ev.sk_flags = RST_SK_LINGER0;
	r.ev.idle_ms = 60049;
	CHECK_EQ_STR(finished(&r, "TCP_STATE"),
		     "abortive close (SO_LINGER 0) after 60.0 s idle");
	r.ev.idle_ms = 999; /* too short to explain anything */
	CHECK_EQ_STR(finished(&r, "TCP_STATE"), "abortive close (SO_LINGER 0)");
	r.ev.idle_ms = RST_IDLE_NONE;
	CHECK_EQ_STR(finished(&r, "TCP_STATE"), "abortive close (SO_LINGER 0)");
	r.ev = sent(1, 1);
	r.ev.idle_ms = 7300;
	CHECK_EQ_STR(finished(&r, "TCP_KEEPALIVE_TIMEOUT"),
		     "keepalive timeout: peer unreachable after 7.3 s idle");
	/* a peer's reset: its idle time is a key, not a cause */
	r.ev.direction = RST_DIR_RECEIVED;
	CHECK_EQ_STR(finished(&r, NULL), "peer reset established connection");
}

/* A reset for a segment of a connection this host no longer has. */
static struct rst_event forgotten(uint8_t end)
{
	struct rst_event e = sent(10 /* LISTEN */, 10);

	e.flags = RST_F_UID | RST_F_PASSIVE;
	e.tcp_flags = 0x18; /* PSH|ACK */
	e.owner_source = RST_OWNER_CLOSED;
	e.conn_end = end;
	e.ts_ns = 100000000000ULL;
	e.closed_ns = e.ts_ns - 512000000ULL;
	e.listener_pid = 4700;
	return e;
}

UNIT_TEST(causes_forgotten)
{
	struct rst_record r = {};
	struct port_change pc;
	const char *stem;

	r.ev = forgotten(RST_END_TW_FULL);
	stem = "segment for a closed connection whose TIME_WAIT was not kept "
	       "(net.ipv4.tcp_max_tw_buckets reached)";
	CHECK_EQ_STR(finished(&r, "TCP_FLAGS"),
		     "segment for a closed connection whose TIME_WAIT was "
		     "not kept (net.ipv4.tcp_max_tw_buckets reached) (closed "
		     "512 ms ago)");
	CHECK_EQ_INT(r.cause_stem, strlen(stem));
	CHECK(r.errno_name == NULL);
	infer__port_change(&r.ev, &pc);
	CHECK(pc.has_listener && pc.listener_pid == 4700);
	CHECK(!pc.stopped && !pc.restarted);

	r.ev = forgotten(RST_END_TIMEWAIT);
	r.ev.closed_ns = r.ev.ts_ns - 61000000000ULL;
	CHECK_EQ_STR(finished(&r, "TCP_FLAGS"),
		     "segment for a closed connection whose TIME_WAIT expired "
		     "(closed 61.0 s ago)");
	r.ev = forgotten(RST_END_ABORTED);
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 9;
	CHECK_EQ_STR(finished(&r, "NO_SOCKET"),
		     "segment for a connection its application aborted "
		     "(SO_LINGER 0 or unread data) (its process killed by "
		     "SIGKILL 512 ms earlier)");

	/* a connection of the service's previous instance */
	r.ev = forgotten(RST_END_TW_FULL);
	r.ev.flags |= RST_F_PORT;
	r.ev.birth_ns = r.ev.ts_ns - 9000000000ULL;
	r.ev.port_started_ns = r.ev.ts_ns - 2100000000ULL;
	r.ev.port_prev_pid = 4711;
	r.ev.port_pid = 4890;
	r.ev.port_listening = 1;
	r.ev.listener_pid = 4890;
	CHECK_EQ_STR(finished(&r, "TCP_FLAGS"),
		     "segment for a closed connection whose TIME_WAIT was "
		     "not kept (net.ipv4.tcp_max_tw_buckets reached) (closed "
		     "512 ms ago) (service restarted 2.1 s ago: pid 4711 -> "
		     "4890)");
	CHECK_EQ_INT(r.cause_stem, strlen(stem));
	/* begun after the restart: not the previous instance's */
	r.ev.birth_ns = r.ev.port_started_ns + 1;
	infer__port_change(&r.ev, &pc);
	CHECK(!pc.restarted);
}

UNIT_TEST(causes_port_stopped)
{
	struct rst_record r = {};
	struct port_change pc;

	r.ev = sent(0, 0);
	r.ev.owner_source = RST_OWNER_NONE;
	r.ev.flags = RST_F_NOSOCK | RST_F_PASSIVE | RST_F_PORT;
	r.ev.tcp_flags = 0x02; /* SYN */
	r.ev.ts_ns = 100000000000ULL;
	r.ev.port_stopped_ns = r.ev.ts_ns - 2100000000ULL;
	r.ev.port_pid = 4711;
	memcpy(r.ev.port_comm, "api\"server\n", 11);
	CHECK_EQ_STR(finished(&r, "NO_SOCKET"),
		     "nothing listening on port 8080 (api\"server? pid 4711 "
		     "stopped listening 2.1 s ago)");
	CHECK_EQ_INT(r.cause_stem, strlen("nothing listening on port 8080"));
	infer__port_change(&r.ev, &pc);
	CHECK(pc.stopped && !pc.has_listener && pc.prev_pid == 4711);
	/* a listener again: nothing stopped */
	r.ev.port_listening = 1;
	r.ev.port_stopped_ns = 0;
	CHECK_EQ_STR(finished(&r, "NO_SOCKET"),
		     "nothing listening on port 8080");
}

UNIT_TEST(causes_closed_idle)
{
	struct rst_record r = {};

	/* a server's idle timeout: closed after 1.0 s idle */
	r.ev = forgotten(RST_END_TW_FULL);
	r.ev.closed_idle_ms = 1004;
	CHECK_EQ_STR(finished(&r, "TCP_FLAGS"),
		     "segment for a closed connection whose TIME_WAIT was "
		     "not kept (net.ipv4.tcp_max_tw_buckets reached) (closed "
		     "after 1.0 s idle, 512 ms ago)");
	r.ev.closed_idle_ms = RST_IDLE_NONE;
	CHECK_EQ_STR(finished(&r, "TCP_FLAGS"),
		     "segment for a closed connection whose TIME_WAIT was "
		     "not kept (net.ipv4.tcp_max_tw_buckets reached) (closed "
		     "512 ms ago)");
	/* a timewait socket says so only when the idle time explains it */
	r.ev = forgotten(RST_END_TIMEWAIT);
	r.ev.owner_source = RST_OWNER_ACCEPT;
	r.ev.flags |= RST_F_TIMEWAIT;
	r.ev.closed_idle_ms = 300;
	CHECK_EQ_STR(finished(&r, "TCP_TIMEWAIT_SOCKET"),
		     "data arrived for a closed connection (TIME_WAIT)");
	r.ev.closed_idle_ms = 75000;
	CHECK_EQ_STR(finished(&r, "TCP_TIMEWAIT_SOCKET"),
		     "data arrived for a closed connection (TIME_WAIT) (closed "
		     "after 75.0 s idle, 512 ms ago)");
	CHECK_EQ_INT(r.cause_stem,
		     strlen("data arrived for a closed connection (TIME_WAIT)"));
	/* a dead owner's suffix gives the time since */
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 9;
	CHECK_EQ_STR(finished(&r, "TCP_TIMEWAIT_SOCKET"),
		     "data arrived for a closed connection (TIME_WAIT) (closed "
		     "after 75.0 s idle) (its process killed by SIGKILL 512 ms "
		     "earlier)");
}

UNIT_TEST(causes_restart_only_for_closed_connections)
{
	struct rst_record r = {};
	struct port_change pc;

	r.ev = forgotten(RST_END_TW_FULL);
	r.ev.flags |= RST_F_PORT;
	r.ev.birth_ns = r.ev.ts_ns - 9000000000ULL;
	r.ev.port_started_ns = r.ev.ts_ns - 2100000000ULL;
	r.ev.port_prev_pid = 4890;
	r.ev.port_pid = 4890;
	r.ev.port_listening = 1;
	r.ev.listener_pid = 4890;
	/* the same process listening again after none did */
	CHECK_EQ_STR(finished(&r, "TCP_FLAGS"),
		     "segment for a closed connection whose TIME_WAIT was "
		     "not kept (net.ipv4.tcp_max_tw_buckets reached) (closed "
		     "512 ms ago) (listener restarted 2.1 s ago by pid 4890)");
	/* a listener's own reset, its birth before a newer start: no claim */
	r.ev.owner_source = RST_OWNER_LISTEN;
	r.ev.pid = 4711;
	r.ev.port_prev_pid = 4711;
	infer__port_change(&r.ev, &pc);
	CHECK(!pc.restarted && pc.has_listener && pc.listener_pid == 4711);
	/* a stop stamped after the reset's own time: not "stopped" */
	r.ev = forgotten(RST_END_TW_FULL);
	r.ev.owner_source = RST_OWNER_NONE;
	r.ev.flags = RST_F_NOSOCK | RST_F_PASSIVE | RST_F_PORT;
	r.ev.port_pid = 4711;
	r.ev.port_stopped_ns = r.ev.ts_ns + 1000;
	infer__port_change(&r.ev, &pc);
	CHECK(!pc.stopped);
}

static const char *class_of(struct rst_record *r, const char *reason)
{
	r->reason = reason;
	return infer__cause_class(r);
}

/* Metric labels: one word per cause, from a fixed vocabulary. */
UNIT_TEST(cause_classes)
{
	struct rst_record r = {};

	r.ev = sent(RST_TCP_ESTABLISHED, RST_TCP_ESTABLISHED);
	CHECK_EQ_STR(class_of(&r, "TCP_ABORT_ON_CLOSE"), "abort_unread");
	CHECK_EQ_STR(class_of(&r, "TCP_KEEPALIVE_TIMEOUT"), "keepalive");
	CHECK_EQ_STR(class_of(&r, "TCP_TIMEWAIT_SOCKET"), "timewait");
	CHECK_EQ_STR(class_of(&r, "INVALID_SYN"), "handshake");
	CHECK_EQ_STR(class_of(&r, "MPTCP_RST_EPROHIBIT"), "mptcp");
	CHECK_EQ_STR(class_of(&r, "SOMETHING_NEW"), "other");
	CHECK_EQ_STR(class_of(&r, NULL), "unknown");
	r.ev.tp_state = RST_TCP_CLOSE;
	r.ev.sk_flags = RST_SK_LINGER0;
	CHECK_EQ_STR(class_of(&r, "TCP_STATE"), "linger0");
	r.ev.sk_flags = 0;
	CHECK_EQ_STR(class_of(&r, "TCP_STATE"), "disconnect");
	r.ev.tp_state = RST_TCP_ESTABLISHED;
	CHECK_EQ_STR(class_of(&r, "TCP_STATE"), "socket_killed");
	r.ev.exit_flags = RST_EXIT_DYING;
	r.ev.exit_code = 9;
	CHECK_EQ_STR(class_of(&r, "TCP_ABORT_ON_CLOSE"), "killed");
	r.ev.exit_flags |= RST_EXIT_OOM;
	CHECK_EQ_STR(class_of(&r, "TCP_ABORT_ON_CLOSE"), "oom_killed");
	/* a TIME_WAIT socket's reset, after its owner died: TIME_WAIT's */
	r.ev.flags |= RST_F_TIMEWAIT;
	CHECK_EQ_STR(class_of(&r, "TCP_TIMEWAIT_SOCKET"), "timewait");
	r.ev.flags &= ~RST_F_TIMEWAIT;
	r.ev.exit_flags = 0;
	r.ev.owner_source = RST_OWNER_CLOSED;
	r.ev.conn_end = RST_END_TW_FULL;
	CHECK_EQ_STR(class_of(&r, "TCP_FLAGS"), "timewait_full");
	r.ev.owner_source = RST_OWNER_NONE;
	r.ev.flags = RST_F_NOSOCK;
	r.ev.tcp_flags = 0x02; /* SYN */
	CHECK_EQ_STR(class_of(&r, "NO_SOCKET"), "refused");
	r.ev.tcp_flags = 0x10; /* ACK */
	CHECK_EQ_STR(class_of(&r, "NO_SOCKET"), "unknown_connection");
	r.ev.direction = RST_DIR_RECEIVED;
	r.ev.state = RST_TCP_SYN_SENT;
	CHECK_EQ_STR(class_of(&r, NULL), "refused");
	r.ev.state = RST_TCP_ESTABLISHED;
	CHECK_EQ_STR(class_of(&r, NULL), "peer_reset");
	r.ev.source = RST_SRC_NETFILTER;
	CHECK_EQ_STR(class_of(&r, NULL), "firewall");
}
