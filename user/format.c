// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Event records as JSON lines and as table rows. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "clock.h"
#include "format.h"
#include "infer.h"
#include "json.h"
#include "ksyms.h"
#include "tcp_state.h"
#include "utf8.h"

static const char *const owner_sources[] = {
	[RST_OWNER_CONNECT] = "connect",     [RST_OWNER_LISTEN] = "listen",
	[RST_OWNER_INHERITED] = "inherited", [RST_OWNER_ACCEPT] = "accept",
	[RST_OWNER_SEEDED] = "seeded",	     [RST_OWNER_CLOSED] = "closed",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *format__direction_name(unsigned int direction)
{
	return direction == RST_DIR_SENT     ? "sent" :
	       direction == RST_DIR_RECEIVED ? "received" :
					       NULL;
}

int format__exit_signal(const struct rst_event *e)
{
	if (!(e->exit_flags & RST_EXIT_DYING))
		return 0;
	return e->exit_code & 0x7f; /* 0x80: it dumped core */
}

/* Linux's numbers, the same on every architecture rsttrace runs on. */
static const char *const signal_names[] = {
	[1] = "SIGHUP",	    [2] = "SIGINT",	[3] = "SIGQUIT",
	[4] = "SIGILL",	    [5] = "SIGTRAP",	[6] = "SIGABRT",
	[7] = "SIGBUS",	    [8] = "SIGFPE",	[9] = "SIGKILL",
	[10] = "SIGUSR1",   [11] = "SIGSEGV",	[12] = "SIGUSR2",
	[13] = "SIGPIPE",   [14] = "SIGALRM",	[15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD",	[18] = "SIGCONT",
	[19] = "SIGSTOP",   [20] = "SIGTSTP",	[21] = "SIGTTIN",
	[22] = "SIGTTOU",   [23] = "SIGURG",	[24] = "SIGXCPU",
	[25] = "SIGXFSZ",   [26] = "SIGVTALRM", [27] = "SIGPROF",
	[28] = "SIGWINCH",  [29] = "SIGIO",	[30] = "SIGPWR",
	[31] = "SIGSYS",
};

const char *format__signal_name(int sig, char buf[FORMAT_SIG_LEN])
{
	if (sig > 0 && sig < (int)ARRAY_SIZE(signal_names))
		return signal_names[sig];
	if (sig < 32 || sig > 64)
		return NULL;
	snprintf(buf, FORMAT_SIG_LEN, "SIGRTMIN+%d", sig - 32);
	return buf;
}

const char *format__owner_source_name(unsigned int source)
{
	return source < ARRAY_SIZE(owner_sources) ? owner_sources[source] :
						    NULL;
}

/* Bytes the table writes as \xHH: @len is 0 for a byte not UTF-8. */
static bool table_escaped(const unsigned char *s, size_t len)
{
	return !len ||
	       (len == 1 && (s[0] < 0x20 || s[0] == 0x7f || s[0] == '\\')) ||
	       utf8__control(s, len);
}

size_t format__table_escape(struct outbuf *b, const void *src, size_t n,
			    size_t max_cols)
{
	const unsigned char *s = src;
	size_t i = 0, cols = 0, len, k;

	n = strnlen(src, n);
	while (i < n && cols < max_cols) {
		len = utf8__len(s + i, n - i);
		if (!table_escaped(s + i, len)) {
			outbuf__put(b, s + i, len);
			i += len;
			cols++;
			continue;
		}
		/* a byte not UTF-8 alone, a control character whole */
		if (!len)
			len = 1;
		if (cols + 4 * len > max_cols)
			break;
		for (k = 0; k < len; k++) {
			outbuf__lit(b, "\\x");
			outbuf__hex_byte(b, s[i + k]);
		}
		cols += 4 * len;
		i += len;
	}
	return cols;
}

void format__table_comm(struct outbuf *b, const uint8_t *comm, bool valid,
			size_t width)
{
	size_t cols = 1;

	if (valid)
		cols = format__table_escape(b, comm, RST_COMM_LEN, width);
	else
		outbuf__putc(b, '-');
	/* by columns, not bytes: a name may be UTF-8 */
	while (cols++ < width + 1)
		outbuf__putc(b, ' ');
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date, in whole 400-year
 * eras of 146,097 days counted from 0000-03-01, so that the leap day ends
 * a year. gmtime_r() and strftime() took a third of a JSON record's time.
 */
static void civil_date(int64_t days, int64_t *year, unsigned int *month,
		       unsigned int *day)
{
	int64_t z = days + 719468; /* days from 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097); /* [0, 146096] */
	unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) /
			   365; /* [0, 399] */
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153; /* March is 0 */

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = yoe + era * 400 + (*month <= 2);
}

void format__rfc3339(struct outbuf *b, int64_t sec, long nsec)
{
	int64_t days = sec / 86400, secs = sec % 86400, year;
	unsigned int month, day;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_date(days, &year, &month, &day);
	if (year < 0 || year > 9999 || nsec < 0 || nsec > 999999999) {
		outbuf__lit(b, "0000-00-00T00:00:00.000000000Z");
		return;
	}
	outbuf__u64_zero(b, (uint64_t)year, 4);
	outbuf__putc(b, '-');
	outbuf__u64_zero(b, month, 2);
	outbuf__putc(b, '-');
	outbuf__u64_zero(b, day, 2);
	outbuf__putc(b, 'T');
	outbuf__u64_zero(b, (uint64_t)secs / 3600, 2);
	outbuf__putc(b, ':');
	outbuf__u64_zero(b, (uint64_t)secs / 60 % 60, 2);
	outbuf__putc(b, ':');
	outbuf__u64_zero(b, (uint64_t)secs % 60, 2);
	outbuf__putc(b, '.');
	outbuf__u64_zero(b, (uint64_t)nsec, 9);
	outbuf__putc(b, 'Z');
}

void format__addr(struct outbuf *b, uint16_t family, const uint8_t *addr)
{
	char tmp[INET6_ADDRSTRLEN];
	int i;

	/* glibc's inet_ntop() formats IPv4 through sprintf(): slow */
	if (family != AF_INET6) {
		for (i = 0; i < 4; i++) {
			if (i)
				outbuf__putc(b, '.');
			outbuf__u64(b, addr[i]);
		}
		return;
	}
	if (!inet_ntop(AF_INET6, addr, tmp, sizeof(tmp)))
		strcpy(tmp, "?");
	outbuf__puts(b, tmp);
}

/* Frames of the tracing machinery itself: BPF program and trampoline. */
static unsigned int skip_tracing_frames(const struct ksyms *ks,
					const uint64_t *ips, unsigned int n)
{
	unsigned int i;
	uint64_t off;

	for (i = 0; i < n; i++) {
		const char *name = ksyms__find(ks, ips[i], &off);

		if (!name || (strncmp(name, "bpf_prog_", 9) &&
			      strncmp(name, "bpf_trace_run", 13) &&
			      strncmp(name, "__bpf_trace_", 12) &&
			      strncmp(name, "__traceiter_", 12)))
			break;
	}
	return i;
}

static void json_time(struct json *j, uint64_t boot_ns,
		      const struct fmt_opts *o)
{
	struct timespec ts = clock__to_real(o->clock, boot_ns);

	json__key(j, "time");
	json__begin_string(j);
	format__rfc3339(j->b, ts.tv_sec, ts.tv_nsec);
	json__end_string(j);
}

static void json_addr(struct json *j, uint16_t family, const uint8_t *addr)
{
	json__begin_string(j);
	format__addr(j->b, family, addr);
	json__end_string(j);
}

static void json_kstack(struct json *j, const struct rst_record *r,
			const struct fmt_opts *o)
{
	const uint64_t *ips = r->kstack;
	unsigned int n = r->kstack_n, i;
	char sym[160];

	json__key(j, "kstack");
	json__begin_array(j);
	for (i = skip_tracing_frames(o->ksyms, ips, n); i < n; i++) {
		ksyms__format(o->ksyms, ips[i], sym, sizeof(sym));
		json__strn(j, sym, sizeof(sym));
	}
	json__end_array(j);
}

static const char *const reason_sources[] = {
	[RST_REASON_SRC_KERNEL] = "kernel",
	[RST_REASON_SRC_INFERRED] = "inferred",
};

static const char *reason_source_name(unsigned int source)
{
	return source < ARRAY_SIZE(reason_sources) ? reason_sources[source] :
						     NULL;
}

/* Who, where, and in which state: the members before the reason. */
static void json_reset_who(struct json *j, const struct rst_event *e)
{
	bool owned = e->owner_source != RST_OWNER_NONE;

	json__key_str_or_null(j, "direction",
			      format__direction_name(e->direction));
	json__key_u64_or_null(j, "pid", owned, e->pid);
	json__key_u64_or_null(j, "tid", owned && e->tid, e->tid);
	json__key_bytes_or_null(j, "comm", owned, e->comm, sizeof(e->comm));
	json__key_u64_or_null(j, "uid", e->flags & RST_F_UID, e->uid);
	json__key_u64_or_null(j, "cgroup_id", e->cgroup_id, e->cgroup_id);
	json__key_u64_or_null(j, "netns", e->netns, e->netns);
	json__key_u64_or_null(j, "sock_cookie", e->sock_cookie, e->sock_cookie);
	json__key(j, "family");
	if (e->family == AF_INET6)
		json__str_lit(j, "ipv6");
	else
		json__str_lit(j, "ipv4");
	json__key(j, "laddr");
	json_addr(j, e->family, e->laddr);
	json__key_u64(j, "lport", e->lport);
	json__key(j, "raddr");
	json_addr(j, e->family, e->raddr);
	json__key_u64(j, "rport", e->rport);
	json__key_str_or_null(j, "state", tcp_state__name(e->state));
}

/* Where the socket lives, in names a person knows. */
static void json_identity(struct json *j, const struct rst_record *r)
{
	static const struct rst_identity none;
	const struct rst_identity *id = r->ident ? r->ident : &none;

	json__key_str_or_null(j, "netns_name", r->netns_name);
	json__key_str_or_null(j, "cgroup", id->cgroup);
	json__key_str_or_null(j, "unit", id->unit);
	json__key_str_or_null(j, "container_id", id->container_id);
	json__key_str_or_null(j, "container_runtime", id->container_runtime);
	json__key_str_or_null(j, "pod_uid", id->pod_uid);
	json__key_str_or_null(j, "namespace", id->k8s_namespace);
	json__key_str_or_null(j, "pod", id->pod);
	json__key_str_or_null(j, "container", id->container);
}

/* How the connection ended: idle time, its owner's close and exit. */
static void json_reset_end(struct json *j, const struct rst_event *e)
{
	bool dying = e->exit_flags & RST_EXIT_DYING;
	int sig = format__exit_signal(e);
	char sbuf[FORMAT_SIG_LEN];

	json__key_u64_or_null(j, "idle_ms",
			      (e->flags & RST_F_TCPINFO) &&
				      e->idle_ms != RST_IDLE_NONE,
			      e->idle_ms);
	json__key(j, "closed_ago_ms");
	if (e->closed_ns && e->ts_ns >= e->closed_ns)
		json__milli(j, (e->ts_ns - e->closed_ns + 500) / 1000);
	else
		json__null(j);
	json__key_u64_or_null(j, "closed_idle_ms",
			      e->conn_end && e->closed_idle_ms != RST_IDLE_NONE,
			      e->closed_idle_ms);
	json__key_str_or_null(j, "exit_signal",
			      sig ? format__signal_name(sig, sbuf) : NULL);
	json__key_u64_or_null(j, "exit_code", dying && !sig,
			      (e->exit_code >> 8) & 0xff);
	json__key_bool(j, "oom_killed",
		       dying && (e->exit_flags & RST_EXIT_OOM));
}

/* The listeners behind a reset that found no connection. */
static void json_reset_port(struct json *j, const struct rst_event *e)
{
	struct port_change pc;
	bool prev;

	infer__port_change(e, &pc);
	prev = pc.stopped || pc.restarted;
	json__key_u64_or_null(j, "listener_pid", pc.has_listener,
			      pc.listener_pid);
	json__key_bytes_or_null(j, "listener_comm", pc.has_listener,
				pc.listener_comm, RST_COMM_LEN);
	json__key_u64_or_null(j, "previous_listener_pid", prev, pc.prev_pid);
	json__key_bytes_or_null(j, "previous_listener_comm", prev, pc.prev_comm,
				RST_COMM_LEN);
	json__key(j, "listener_changed_ago_ms");
	if (prev && e->ts_ns >= pc.changed_ns)
		json__milli(j, (e->ts_ns - pc.changed_ns + 500) / 1000);
	else
		json__null(j);
}

/* Why, and what the connection had been through. */
static void json_reset_why(struct json *j, const struct rst_record *r)
{
	const struct rst_event *e = &r->ev;
	bool info = e->flags & RST_F_TCPINFO;

	json__key_str_or_null(j, "reason", r->reason);
	json__key_str_or_null(j, "owner_source",
			      format__owner_source_name(e->owner_source));
	json__key_str_or_null(j, "source",
			      e->source == RST_SRC_NETFILTER ? "netfilter" :
							       "tcp");
	json__key_str_or_null(j, "reason_source",
			      reason_source_name(r->reason_source));
	json__key_str_or_null(j, "cause", r->cause[0] ? r->cause : NULL);
	json__key_str_or_null(j, "errno", r->errno_name);
	json__key_str_or_null(j, "prev_state", tcp_state__name(e->prev_state));
	json__key(j, "age_ms");
	/* microseconds, rounded: milliseconds to 3 decimals */
	if (e->birth_ns && e->ts_ns >= e->birth_ns)
		json__milli(j, (e->ts_ns - e->birth_ns + 500) / 1000);
	else
		json__null(j);
	json__key_u64_or_null(j, "bytes_sent", info, e->bytes_sent);
	json__key_u64_or_null(j, "bytes_acked", info, e->bytes_acked);
	json__key_u64_or_null(j, "bytes_received", info, e->bytes_received);
	json__key_u64_or_null(j, "unread_bytes", info, e->unread);
	json__key_u64_or_null(j, "unsent_bytes", info, e->unsent);
	json__key_u64_or_null(j, "srtt_us", info, e->srtt_us);
	json__key_u64_or_null(j, "retransmits", info, e->retrans);
	json__key_u64_or_null(j, "peer_pid", r->has_peer, r->peer_pid);
	json__key_bytes_or_null(j, "peer_comm", r->has_peer, r->peer_comm,
				sizeof(r->peer_comm));
	json_reset_end(j, e);
	json_reset_port(j, e);
}

void format__json_record(struct outbuf *b, const struct rst_record *r,
			 const struct fmt_opts *o)
{
	struct json j;

	json__init(&j, b);
	json__begin_object(&j);
	json__key(&j, "type");
	json__str_lit(&j, "reset");
	json_time(&j, r->ev.ts_ns, o);
	json_reset_who(&j, &r->ev);
	json_identity(&j, r);
	json_reset_why(&j, r);
	if (o->ksyms)
		json_kstack(&j, r, o);
	if (o->kernel_reason)
		json__key_str_or_null(&j, "kernel_reason", r->kernel_reason);
	json__put_not_utf8(&j);
	json__end_object(&j);
	outbuf__putc(b, '\n');
}

static const char *lost_source_name(const struct rst_lost_key *k)
{
	if (!k)
		return NULL;
	return k->flags & RST_LOST_NETFILTER ? "netfilter" : "tcp";
}

void format__json_lost(struct outbuf *b, uint64_t boot_ns,
		       const struct lost_report *r, const char *reason,
		       const struct fmt_opts *o)
{
	const struct rst_lost_key *k = r->key;
	bool owned = k && (k->flags & RST_LOST_OWNER);
	struct json j;

	json__init(&j, b);
	json__begin_object(&j);
	json__key(&j, "type");
	json__str_lit(&j, "lost");
	json_time(&j, boot_ns, o);
	json__key_u64(&j, "count", r->count);
	json__key_u64(&j, "total", r->total);
	json__key_str_or_null(&j, "direction",
			      k ? format__direction_name(k->direction) : NULL);
	json__key_str_or_null(&j, "state",
			      k ? tcp_state__name(k->state) : NULL);
	json__key_str_or_null(&j, "reason", reason);
	json__key_u64_or_null(&j, "pid", owned, owned ? k->pid : 0);
	json__key_bytes_or_null(&j, "comm", owned, r->comm, RST_COMM_LEN);
	json__key_u64_or_null(&j, "lport", k && k->lport, k ? k->lport : 0);
	json__key_u64_or_null(&j, "rport", k && k->rport, k ? k->rport : 0);
	json__key_str_or_null(&j, "source", lost_source_name(k));
	json__put_not_utf8(&j);
	json__end_object(&j);
	outbuf__putc(b, '\n');
}

/* Column widths: narrow keeps typical IPv4 rows under 80 columns. */
struct table_cols {
	size_t dir, pid, comm, addr, state;
};

static const struct table_cols narrow = { 3, 7, 10, 15, 7 };
static const struct table_cols wide = { 8, 7, 16, 47, 14 };

void format__table_header(struct outbuf *b, const struct fmt_opts *o)
{
	const struct table_cols *c = o->wide ? &wide : &narrow;

	if (o->timestamp)
		outbuf__printf(b, "%-8s ", "TIME");
	outbuf__printf(
		b, "%-*s %-*s %-*s %-*s %-*s %-*s %s\n", (int)c->dir, "DIR",
		(int)c->pid, "PID", (int)c->comm, "COMM", (int)c->addr, "LOCAL",
		(int)c->addr, "REMOTE", (int)c->state, "STATE",
		o->wide ?
			"WHERE                    REASON                   CAUSE" :
			"REASON");
}

/*
 * The -w WHERE column: the pod (namespace/pod/container), else the
 * container (runtime:short id), else the systemd unit, else the network
 * namespace's name; "-" when none. Names from other users are escaped.
 */
static void table_where(struct outbuf *b, const struct rst_record *r)
{
	const struct rst_identity *id = r->ident;
	size_t start = b->len;

	if (id && id->pod) {
		format__table_escape(
			b, id->k8s_namespace ? id->k8s_namespace : "-",
			SIZE_MAX, 64);
		outbuf__putc(b, '/');
		format__table_escape(b, id->pod, SIZE_MAX, 64);
		if (id->container) {
			outbuf__putc(b, '/');
			format__table_escape(b, id->container, SIZE_MAX, 64);
		}
	} else if (id && id->container_id) {
		outbuf__puts(b, id->container_runtime ? id->container_runtime :
							"container");
		outbuf__putc(b, ':');
		outbuf__put(b, id->container_id, 12);
	} else if (id && id->unit) {
		format__table_escape(b, id->unit, SIZE_MAX, 64);
	} else if (r->netns_name) {
		outbuf__lit(b, "netns:");
		format__table_escape(b, r->netns_name, SIZE_MAX, 64);
	} else {
		outbuf__putc(b, '-');
	}
	outbuf__pad(b, start, 24);
	outbuf__putc(b, ' ');
}

static void table_endpoint(struct outbuf *b, const struct rst_event *e,
			   const uint8_t *addr, uint16_t port)
{
	if (e->family == AF_INET6)
		outbuf__putc(b, '[');
	format__addr(b, e->family, addr);
	if (e->family == AF_INET6)
		outbuf__putc(b, ']');
	outbuf__putc(b, ':');
	outbuf__u64(b, port);
}

void format__table_record(struct outbuf *b, const struct rst_record *r,
			  const struct fmt_opts *o)
{
	const struct rst_event *e = &r->ev;
	const struct table_cols *c = o->wide ? &wide : &narrow;
	const char *state, *reason, *dir;
	size_t start;

	if (o->timestamp) {
		struct timespec ts = clock__to_real(o->clock, e->ts_ns);
		struct tm tm;
		char tmp[16];

		localtime_r(&ts.tv_sec, &tm);
		strftime(tmp, sizeof(tmp), "%H:%M:%S", &tm);
		outbuf__printf(b, "%-8s ", tmp);
	}
	start = b->len;
	dir = format__direction_name(e->direction);
	/* a corrupt record has no direction: '-', as for other unknowns */
	if (!dir)
		outbuf__putc(b, '-');
	else if (o->wide)
		outbuf__puts(b, dir);
	else
		outbuf__puts(b, e->direction == RST_DIR_SENT ? "TX" : "RX");
	outbuf__pad(b, start, c->dir + 1);

	start = b->len;
	if (e->owner_source != RST_OWNER_NONE)
		outbuf__u64(b, e->pid);
	else
		outbuf__putc(b, '-');
	outbuf__pad(b, start, c->pid + 1);

	format__table_comm(b, e->comm, e->owner_source != RST_OWNER_NONE,
			   c->comm);

	start = b->len;
	table_endpoint(b, e, e->laddr, e->lport);
	outbuf__pad(b, start, c->addr);
	outbuf__putc(b, ' ');
	start = b->len;
	table_endpoint(b, e, e->raddr, e->rport);
	outbuf__pad(b, start, c->addr);
	outbuf__putc(b, ' ');

	start = b->len;
	state = o->wide ? tcp_state__name(e->state) :
			  tcp_state__short(e->state);
	outbuf__puts(b, state ? state : "-");
	outbuf__pad(b, start, c->state);
	outbuf__putc(b, ' ');

	if (o->wide)
		table_where(b, r);
	reason = r->reason;
	if (reason && !o->wide && !strncmp(reason, "TCP_", 4))
		reason += 4;
	start = b->len;
	outbuf__puts(b, reason ? reason : "-");
	if (o->wide) {
		outbuf__pad(b, start, 24);
		outbuf__putc(b, ' ');
		format__table_escape(b, r->cause[0] ? r->cause : "-",
				     sizeof(r->cause), sizeof(r->cause));
	}
	outbuf__putc(b, '\n');
	if (o->ksyms) {
		const uint64_t *ips = r->kstack;
		unsigned int n = r->kstack_n, i;
		char sym[160];

		for (i = skip_tracing_frames(o->ksyms, ips, n); i < n; i++) {
			ksyms__format(o->ksyms, ips[i], sym, sizeof(sym));
			outbuf__puts(b, "    ");
			format__table_escape(b, sym, sizeof(sym), sizeof(sym));
			outbuf__putc(b, '\n');
		}
	}
}
