// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Event records as JSON lines and as table rows. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "clock.h"
#include "format.h"
#include "ksyms.h"

static const char *const state_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT",	  [3] = "SYN_RECV",
	[4] = "FIN_WAIT1",   [5] = "FIN_WAIT2",	  [6] = "TIME_WAIT",
	[7] = "CLOSE",	     [8] = "CLOSE_WAIT",  [9] = "LAST_ACK",
	[10] = "LISTEN",     [11] = "CLOSING",	  [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

/* Short forms that keep the default table under 80 columns. */
static const char *const state_short[] = {
	[1] = "ESTAB",	  [2] = "SYN-SNT",  [3] = "SYN-RCV", [4] = "FIN-WT1",
	[5] = "FIN-WT2",  [6] = "TIME-WT",  [7] = "CLOSE",   [8] = "CLS-WT",
	[9] = "LST-ACK",  [10] = "LISTEN",  [11] = "CLOSING", [12] = "NEW-SYN",
	[13] = "BOUND",
};

static const char *const owner_sources[] = {
	[RST_OWNER_CONNECT] = "connect", [RST_OWNER_LISTEN] = "listen",
	[RST_OWNER_INHERITED] = "inherited", [RST_OWNER_ACCEPT] = "accept",
	[RST_OWNER_SEEDED] = "seeded",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *format__state_name(unsigned int state)
{
	return state < ARRAY_SIZE(state_names) ? state_names[state] : NULL;
}

const char *format__direction_name(unsigned int direction)
{
	return direction == RST_DIR_SENT     ? "sent" :
	       direction == RST_DIR_RECEIVED ? "received" :
					       NULL;
}

const char *format__owner_source_name(unsigned int source)
{
	return source < ARRAY_SIZE(owner_sources) ? owner_sources[source] :
						    NULL;
}

/* Length of the valid UTF-8 sequence at @s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static const char hexdig[] = "0123456789abcdef";

static void put_hex_escape(struct outbuf *b, const char *prefix,
			   unsigned char c)
{
	outbuf__puts(b, prefix);
	outbuf__putc(b, hexdig[c >> 4]);
	outbuf__putc(b, hexdig[c & 15]);
}

/* Printable ASCII that JSON takes as it is. */
static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void format__json_escape(struct outbuf *b, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i = 0, len;

	n = strnlen(src, n);
	while (i < n) {
		unsigned char c = s[i];
		size_t run = i;

		/* most names are plain ASCII: copy such runs at once */
		while (run < n && json_plain(s[run]))
			run++;
		if (run > i) {
			outbuf__put(b, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':
			outbuf__puts(b, "\\\"");
			break;
		case '\\':
			/* doubled, so that it cannot pass for an \xHH below */
			outbuf__puts(b, "\\\\\\\\");
			break;
		case '\n':
			outbuf__puts(b, "\\n");
			break;
		case '\r':
			outbuf__puts(b, "\\r");
			break;
		case '\t':
			outbuf__puts(b, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				put_hex_escape(b, "\\u00", c);
				break;
			}
			len = utf8_len(s + i, n - i);
			if (!len) {
				/* the text \xHH: JSON has no raw bytes */
				put_hex_escape(b, "\\\\x", c);
				break;
			}
			outbuf__put(b, s + i, len);
			i += len;
			continue;
		}
		i++;
	}
}

size_t format__table_escape(struct outbuf *b, const void *src, size_t n,
			    size_t max_cols)
{
	const unsigned char *s = src;
	size_t i = 0, cols = 0, len;

	n = strnlen(src, n);
	while (i < n && cols < max_cols) {
		unsigned char c = s[i];

		len = (c < 0x20 || c == 0x7f || c == '\\') ?
			      0 :
			      utf8_len(s + i, n - i);
		if (!len) {
			if (cols + 4 > max_cols)
				break;
			put_hex_escape(b, "\\x", c);
			cols += 4;
			i++;
			continue;
		}
		outbuf__put(b, s + i, len);
		i += len;
		cols++;
	}
	return cols;
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

/* ,"key": with the key a literal, so that its length is known */
#define json_key(b, key) outbuf__lit((b), ",\"" key "\":")
#define json_str_or_null(b, key, v) \
	json_str_or_null_((b), ",\"" key "\":", sizeof(key) + 3, (v))
#define json_u64_or_null(b, key, valid, v) \
	json_u64_or_null_((b), ",\"" key "\":", sizeof(key) + 3, (valid), (v))
#define json_comm_or_null(b, key, valid, comm) \
	json_comm_or_null_((b), ",\"" key "\":", sizeof(key) + 3, (valid), \
			   (comm))

static void json_str_or_null_(struct outbuf *b, const char *key,
			      size_t key_len, const char *v)
{
	outbuf__put(b, key, key_len);
	if (!v) {
		outbuf__lit(b, "null");
		return;
	}
	outbuf__putc(b, '"');
	format__json_escape(b, v, strlen(v));
	outbuf__putc(b, '"');
}

static void json_u64_or_null_(struct outbuf *b, const char *key,
			      size_t key_len, bool valid, uint64_t v)
{
	outbuf__put(b, key, key_len);
	if (valid)
		outbuf__u64(b, v);
	else
		outbuf__lit(b, "null");
}

static void json_time(struct outbuf *b, uint64_t boot_ns,
		      const struct fmt_opts *o)
{
	struct timespec ts = clock__to_real(o->clock, boot_ns);

	outbuf__lit(b, "\"time\":\"");
	format__rfc3339(b, ts.tv_sec, ts.tv_nsec);
	outbuf__putc(b, '"');
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

static void json_comm_or_null_(struct outbuf *b, const char *key,
			       size_t key_len, bool valid, const uint8_t *comm)
{
	outbuf__put(b, key, key_len);
	if (!valid) {
		outbuf__lit(b, "null");
		return;
	}
	outbuf__putc(b, '"');
	format__json_escape(b, comm, RST_COMM_LEN);
	outbuf__putc(b, '"');
}

static const char *const reason_sources[] = {
	[RST_REASON_SRC_KERNEL] = "kernel",
	[RST_REASON_SRC_INFERRED] = "inferred",
};

static void json_kstack(struct outbuf *b, const struct rst_record *r,
			const struct fmt_opts *o)
{
	const uint64_t *ips = r->kstack;
	unsigned int n = r->kstack_n, i;
	char sym[160];

	json_key(b, "kstack");
	outbuf__putc(b, '[');
	for (i = skip_tracing_frames(o->ksyms, ips, n); i < n; i++) {
		ksyms__format(o->ksyms, ips[i], sym, sizeof(sym));
		if (b->data[b->len - 1] != '[')
			outbuf__putc(b, ',');
		outbuf__putc(b, '"');
		format__json_escape(b, sym, sizeof(sym));
		outbuf__putc(b, '"');
	}
	outbuf__putc(b, ']');
}

void format__json_record(struct outbuf *b, const struct rst_record *r,
			 const struct fmt_opts *o)
{
	const struct rst_event *e = &r->ev;
	bool owned = e->owner_source != RST_OWNER_NONE;
	bool info = e->flags & RST_F_TCPINFO;

	outbuf__lit(b, "{\"type\":\"reset\",");
	json_time(b, e->ts_ns, o);
	json_str_or_null(b, "direction", format__direction_name(e->direction));
	json_u64_or_null(b, "pid", owned, e->pid);
	json_u64_or_null(b, "tid", owned && e->tid, e->tid);
	json_comm_or_null(b, "comm", owned, e->comm);
	json_u64_or_null(b, "uid", e->flags & RST_F_UID, e->uid);
	json_u64_or_null(b, "cgroup_id", e->cgroup_id, e->cgroup_id);
	json_u64_or_null(b, "netns", e->netns, e->netns);
	json_u64_or_null(b, "sock_cookie", e->sock_cookie, e->sock_cookie);
	json_key(b, "family");
	outbuf__puts(b, e->family == AF_INET6 ? "\"ipv6\"" : "\"ipv4\"");
	json_key(b, "laddr");
	outbuf__putc(b, '"');
	format__addr(b, e->family, e->laddr);
	outbuf__putc(b, '"');
	json_u64_or_null(b, "lport", true, e->lport);
	json_key(b, "raddr");
	outbuf__putc(b, '"');
	format__addr(b, e->family, e->raddr);
	outbuf__putc(b, '"');
	json_u64_or_null(b, "rport", true, e->rport);
	json_str_or_null(b, "state", format__state_name(e->state));
	json_str_or_null(b, "reason", r->reason);
	json_str_or_null(b, "owner_source",
			 format__owner_source_name(e->owner_source));
	json_str_or_null(b, "source",
			 e->source == RST_SRC_NETFILTER ? "netfilter" : "tcp");
	json_str_or_null(b, "reason_source",
			 r->reason_source < 3 ? reason_sources[r->reason_source] :
						NULL);
	json_str_or_null(b, "cause", r->cause[0] ? r->cause : NULL);
	json_str_or_null(b, "errno", r->errno_name);
	json_str_or_null(b, "prev_state", format__state_name(e->prev_state));
	json_key(b, "age_ms");
	if (e->birth_ns && e->ts_ns >= e->birth_ns) {
		/* milliseconds to 3 decimals, rounded, without printf */
		uint64_t us = (e->ts_ns - e->birth_ns + 500) / 1000;

		outbuf__u64(b, us / 1000);
		outbuf__putc(b, '.');
		outbuf__u64_zero(b, us % 1000, 3);
	} else {
		outbuf__lit(b, "null");
	}
	json_u64_or_null(b, "bytes_sent", info, e->bytes_sent);
	json_u64_or_null(b, "bytes_acked", info, e->bytes_acked);
	json_u64_or_null(b, "bytes_received", info, e->bytes_received);
	json_u64_or_null(b, "unread_bytes", info, e->unread);
	json_u64_or_null(b, "unsent_bytes", info, e->unsent);
	json_u64_or_null(b, "srtt_us", info, e->srtt_us);
	json_u64_or_null(b, "retransmits", info, e->retrans);
	json_u64_or_null(b, "peer_pid", r->has_peer, r->peer_pid);
	json_comm_or_null(b, "peer_comm", r->has_peer, r->peer_comm);
	if (o->ksyms)
		json_kstack(b, r, o);
	if (o->kernel_reason)
		json_str_or_null(b, "kernel_reason", r->kernel_reason);
	outbuf__puts(b, "}\n");
}

void format__json_lost(struct outbuf *b, uint64_t boot_ns,
		       const struct lost_report *r, const char *reason,
		       const struct fmt_opts *o)
{
	const struct rst_lost_key *k = r->key;
	bool owned = k && (k->flags & RST_LOST_OWNER);

	outbuf__puts(b, "{\"type\":\"lost\",");
	json_time(b, boot_ns, o);
	json_u64_or_null(b, "count", true, r->count);
	json_u64_or_null(b, "total", true, r->total);
	json_str_or_null(b, "direction",
			 k ? format__direction_name(k->direction) : NULL);
	json_str_or_null(b, "state", k ? format__state_name(k->state) : NULL);
	json_str_or_null(b, "reason", reason);
	json_u64_or_null(b, "pid", owned, owned ? k->pid : 0);
	json_comm_or_null(b, "comm", owned, r->comm);
	json_u64_or_null(b, "lport", k && k->lport, k ? k->lport : 0);
	json_u64_or_null(b, "rport", k && k->rport, k ? k->rport : 0);
	json_str_or_null(b, "source",
			 !k			       ? NULL :
			 k->flags & RST_LOST_NETFILTER ? "netfilter" :
							 "tcp");
	outbuf__puts(b, "}\n");
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
	outbuf__printf(b, "%-*s %-*s %-*s %-*s %-*s %-*s %s\n", (int)c->dir,
		       "DIR", (int)c->pid, "PID", (int)c->comm, "COMM",
		       (int)c->addr, "LOCAL", (int)c->addr, "REMOTE",
		       (int)c->state, "STATE",
		       o->wide ? "REASON                   CAUSE" : "REASON");
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
	const char *state, *reason;
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
	if (o->wide)
		outbuf__puts(b, format__direction_name(e->direction));
	else
		outbuf__puts(b, e->direction == RST_DIR_SENT ? "TX" : "RX");
	outbuf__pad(b, start, c->dir + 1);

	start = b->len;
	if (e->owner_source != RST_OWNER_NONE)
		outbuf__u64(b, e->pid);
	else
		outbuf__putc(b, '-');
	outbuf__pad(b, start, c->pid + 1);

	start = b->len;
	if (e->owner_source != RST_OWNER_NONE) {
		size_t cols = format__table_escape(b, e->comm,
						   sizeof(e->comm), c->comm);

		while (cols++ < c->comm + 1)
			outbuf__putc(b, ' ');
	} else {
		outbuf__putc(b, '-');
		outbuf__pad(b, start, c->comm + 1);
	}

	start = b->len;
	table_endpoint(b, e, e->laddr, e->lport);
	outbuf__pad(b, start, c->addr);
	outbuf__putc(b, ' ');
	start = b->len;
	table_endpoint(b, e, e->raddr, e->rport);
	outbuf__pad(b, start, c->addr);
	outbuf__putc(b, ' ');

	start = b->len;
	state = o->wide ? format__state_name(e->state) :
			  (e->state < ARRAY_SIZE(state_short) ?
				   state_short[e->state] :
				   NULL);
	outbuf__puts(b, state ? state : "-");
	outbuf__pad(b, start, c->state);
	outbuf__putc(b, ' ');

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
