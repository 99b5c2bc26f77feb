// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fmtbench: rsttrace's user-space path on one core, without the kernel.
 *
 *   fmtbench [-n EVENTS] [-r ROUNDS] [-o FILE]
 *
 * Synthetic ring-buffer events of a reset storm (a refused connect: the
 * sent reset and the received one; an aborted connection: both ends) go
 * through what rsttrace does with each: copy out of the ring, reason
 * inference, the correlator that pairs the two ends, cause and errno, then
 * JSON or table formatting and write(2) to FILE (default /dev/null) in
 * 64 KiB chunks. Identity (the identity stage, as rsttrace runs it: the
 * events carry fmtbench's own cgroup and network namespace) is in "json"
 * and "table", and left out of "json_no_identity". Prints one JSON line:
 * events per second, best of ROUNDS, for each, and for formatting alone
 * ("json_format_only").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "args.h"
#include "cgroup.h"
#include "clock.h"
#include "correlate.h"
#include "format.h"
#include "infer.h"
#include "output.h"
#include "pipeline.h"
#include "reasons.h"

#define HOLD_NS (100 * 1000000ULL) /* as rsttrace */
#define MAX_PENDING 4096
#define BATCH 64 /* events per ring-buffer drain */
#define SPACING_NS 1000 /* one event per microsecond of event time */

struct bench {
	struct output out;
	struct fmt_opts fmt;
	struct infer_opts infer;
	struct correlator *corr;
	bool json;
	unsigned long long emitted;
	void *ident; /* the identity stage's state; NULL: left out */
	struct pipe_env env;
};

/* Format @r and write in 64 KiB chunks, as rsttrace's emit_record(). */
static void put_record(struct bench *b, const struct rst_record *r)
{
	if (b->json)
		format__json_record(&b->out.buf, r, &b->fmt);
	else
		format__table_record(&b->out.buf, r, &b->fmt);
	b->emitted++;
	if (b->out.buf.len > (64 << 10))
		output__flush(&b->out);
}

static void emit(void *ctx, struct rst_record *r)
{
	struct bench *b = ctx;

	infer__cause(r, r->cause, sizeof(r->cause));
	r->errno_name = infer__errno(r);
	put_record(b, r);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Event @i of a storm: four kinds in turn, as rstload makes them. */
static void make_event(struct rst_event *e, unsigned long long i,
		       uint32_t reason_noport, uint32_t reason_close)
{
	unsigned int kind = i % 4;
	uint16_t eph = 32768 + (i / 2) % 28000;

	memset(e, 0, sizeof(*e));
	e->ts_ns = 1000000000ULL + i * SPACING_NS;
	e->family = AF_INET;
	e->netns = 4026531840u;
	e->uid = 0;
	e->cgroup_id = 4242;
	inet_pton(AF_INET, "127.0.0.1", e->laddr);
	inet_pton(AF_INET, "127.0.1.7", e->raddr);
	switch (kind) {
	case 0: /* the kernel refuses a SYN to a closed port */
		e->direction = RST_DIR_SENT;
		e->flags = RST_F_NOSOCK | RST_F_PASSIVE | RST_F_REASON;
		e->reason = reason_noport;
		e->tcp_flags = 0x02;
		e->lport = 9;
		e->rport = eph;
		break;
	case 1: /* the connecting socket receives it */
		e->direction = RST_DIR_RECEIVED;
		e->flags = RST_F_UID | RST_F_TCPINFO;
		e->state = 2; /* SYN_SENT */
		e->prev_state = 7; /* CLOSE */
		e->owner_source = RST_OWNER_CONNECT;
		e->pid = 1234;
		e->tid = 1236;
		memcpy(e->comm, "rstload", 7);
		memcpy(e->laddr, e->raddr, 4);
		inet_pton(AF_INET, "127.0.0.1", e->raddr);
		e->lport = eph;
		e->rport = 9;
		e->birth_ns = e->ts_ns - 20000;
		break;
	case 2: /* close() with SO_LINGER 0 */
		e->direction = RST_DIR_SENT;
		e->flags = RST_F_UID | RST_F_REASON | RST_F_TCPINFO;
		e->reason = reason_close;
		e->sk_flags = RST_SK_LINGER0;
		e->state = 1; /* ESTABLISHED */
		e->prev_state = 2;
		e->owner_source = RST_OWNER_CONNECT;
		e->pid = 1234;
		e->tid = 1237;
		memcpy(e->comm, "rstload", 7);
		memcpy(e->laddr, e->raddr, 4);
		inet_pton(AF_INET, "127.0.0.1", e->raddr);
		e->lport = eph;
		e->rport = 45807;
		e->birth_ns = e->ts_ns - 40000;
		e->bytes_sent = 0;
		e->srtt_us = 12;
		break;
	default: /* the accepted socket receives that */
		e->direction = RST_DIR_RECEIVED;
		e->flags = RST_F_UID | RST_F_TCPINFO;
		e->state = 1;
		e->prev_state = 3; /* SYN_RECV */
		e->owner_source = RST_OWNER_ACCEPT;
		e->pid = 1234;
		e->tid = 1237;
		memcpy(e->comm, "rstload", 7);
		e->lport = 45807;
		e->rport = eph - 1;
		e->birth_ns = e->ts_ns - 38000;
		e->srtt_us = 10;
		break;
	}
}

static double run(struct bench *b, const struct rst_event *evs,
		  unsigned long long n, bool format_only)
{
	unsigned long long i;
	struct rst_record r;
	double t0, t;

	b->emitted = 0;
	b->corr = correlator__new(HOLD_NS, MAX_PENDING, emit, b);
	if (!b->corr) {
		fprintf(stderr, "fmtbench: out of memory\n");
		exit(1);
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		const struct rst_event *e = &evs[i % 4096];

		memset(&r, 0, sizeof(r));
		memcpy(&r.ev, e, sizeof(r.ev));
		if (format_only) {
			r.reason = "NOT_SPECIFIED";
			r.reason_source = RST_REASON_SRC_KERNEL;
			put_record(b, &r);
			continue;
		}
		/* the event's own time moves on, as in a real storm */
		r.ev.ts_ns += (i / 4096) * 4096 * SPACING_NS;
		if (b->ident)
			identity_stage.run(b->ident, &b->env, &r);
		infer__resolve(&r, NULL, 0, &b->infer);
		correlator__add(b->corr, &r, r.ev.ts_ns);
		if (i % BATCH == BATCH - 1)
			correlator__flush(b->corr, r.ev.ts_ns, false);
	}
	correlator__flush(b->corr, 0, true);
	output__flush(&b->out);
	t = now_s() - t0;
	correlator__free(b->corr);
	if (b->emitted != n) {
		fprintf(stderr, "fmtbench: %llu events in, %llu out\n", n,
			b->emitted);
		exit(1);
	}
	return n / t;
}

/* This process's cgroup v2 id and network namespace, for the events. */
static void own_ids(uint64_t *cgroup_id, uint64_t *netns)
{
	char line[4096], path[8192];
	struct cgroup_tree tree;
	struct stat st;
	FILE *f;

	*cgroup_id = 1;
	*netns = stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
	if (cgroup__open_tree(&tree, line, sizeof(line)))
		return;
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3))
			continue;
		snprintf(path, sizeof(path), "%s%s", tree.dir, line + 3);
		if (!stat(path, &st))
			*cgroup_id = st.st_ino;
	}
	if (f)
		fclose(f);
	cgroup__close_tree(&tree);
}

static unsigned long long parse_num(const char *what, const char *s,
				    unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > max) {
		fprintf(stderr, "fmtbench: invalid %s '%s' (want 1 to %llu)\n",
			what, s, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long long n = 2000000, rounds = 5, k;
	static struct rst_event evs[4096];
	double json = 0, table = 0, fmt_only = 0, json_noid = 0, v;
	struct rst_config cfg = { .k8s_logs = RST_K8S_LOGS_DEFAULT };
	uint64_t cgroup_id, netns;
	void *ident;
	struct reasons reasons = {};
	struct rst_clock clock;
	const char *path = "/dev/null";
	uint32_t r_noport, r_close;
	struct bench b = {};
	struct btf *btf;
	cpu_set_t cpus;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:o:")) != -1) {
		switch (opt) {
		case 'n':
			n = parse_num("event count", optarg, 1ULL << 40);
			break;
		case 'r':
			rounds = parse_num("round count", optarg, 1000);
			break;
		case 'o':
			path = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: fmtbench [-n EVENTS] [-r ROUNDS] [-o FILE]\n");
			return 2;
		}
	}
	/* one core, as the target says */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	b.out.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (b.out.fd < 0) {
		fprintf(stderr, "fmtbench: cannot open '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	/* the running kernel's reason names when it has them, as rsttrace */
	btf = btf__load_vmlinux_btf();
	if (btf)
		reasons__load(&reasons, btf);
	btf__free(btf);
	if (!reasons.n) {
		reasons__add(&reasons, 2, "SK_RST_REASON_NO_SOCKET");
		reasons__add(&reasons, 11, "SK_RST_REASON_TCP_ABORT_ON_LINGER");
	}
	r_noport = r_close = reasons.names[0].value;
	for (k = 0; k < reasons.n; k++) {
		if (!strcmp(reasons.names[k].name, "NO_SOCKET"))
			r_noport = reasons.names[k].value;
		if (!strcmp(reasons.names[k].name, "TCP_ABORT_ON_LINGER"))
			r_close = reasons.names[k].value;
	}
	own_ids(&cgroup_id, &netns);
	for (k = 0; k < 4096; k++) {
		make_event(&evs[k], k, r_noport, r_close);
		evs[k].cgroup_id = evs[k].owner_source ? cgroup_id : 0;
		evs[k].netns = netns;
	}
	b.env.cfg = &cfg;
	ident = identity_stage.open(&b.env);
	if (!ident) {
		fprintf(stderr, "fmtbench: identity stage: %s\n",
			strerror(errno));
		return 1;
	}

	clock__refresh(&clock);
	b.fmt.clock = &clock;
	b.infer.reasons = &reasons;
	b.infer.active_reasons = true;
	/* rounds alternate the three, so that drift hits all alike */
	for (k = 0; k < rounds; k++) {
		b.ident = ident;
		b.json = true;
		v = run(&b, evs, n, false);
		json = v > json ? v : json;
		b.json = false;
		v = run(&b, evs, n, false);
		table = v > table ? v : table;
		b.json = true;
		v = run(&b, evs, n, true);
		fmt_only = v > fmt_only ? v : fmt_only;
		b.ident = NULL;
		v = run(&b, evs, n, false);
		json_noid = v > json_noid ? v : json_noid;
	}
	printf("{\"events\":%llu,\"rounds\":%llu,\"json_eps\":%.0f,"
	       "\"table_eps\":%.0f,\"json_format_only_eps\":%.0f,"
	       "\"json_no_identity_eps\":%.0f}\n",
	       n, rounds, json, table, fmt_only, json_noid);
	identity_stage.close(ident);
	outbuf__free(&b.out.buf);
	close(b.out.fd);
	reasons__free(&reasons);
	return 0;
}
