// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The metrics registry and its exposition: see metrics.h.
 *
 * A series is known by its labels as they are rendered (escaped and
 * normalised, the text between the braces), so that counting compares
 * one string, rendering copies it, and two label sets that normalise to
 * the same text are one series rather than a duplicate Prometheus would
 * reject.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include "cgnames.h"
#include "metrics.h"
#include "utf8.h"

#define MIN_BUCKETS 64

#define OTHER "\"other\""
/* the overflow series: every label is "other", the port too */
static const char other_key[] =
	"direction=" OTHER ",reason=" OTHER ",cause_class=" OTHER ",comm=" OTHER
	",port=" OTHER ",unit=" OTHER ",namespace=" OTHER ",pod=" OTHER
	",container=" OTHER;

struct series {
	struct series *next; /* in its bucket */
	struct series *later; /* the next one created, for rendering */
	uint64_t hash;
	unsigned long long count;
	size_t len;
	char key[]; /* the labels as rendered, not NUL-terminated */
};

struct source {
	char *label; /* the rendered value */
	bool visible;
};

struct metrics {
	pthread_mutex_t lock;
	unsigned int max_series;
	unsigned int nseries; /* own series, the "other" one aside */
	struct series **buckets;
	size_t nbuckets; /* a power of two */
	struct series *first, *last; /* own series, as created */
	struct series *other; /* in the table from the start */
	bool other_used;
	unsigned long long dropped;
	uint64_t seed[2];
	struct outbuf key; /* the labels of the reset being counted */
	unsigned long long events, lost, unwritten;
	struct cgnames_stats cgroups;
	bool has_cgroups; /* left out until set */
	char *build_info; /* the rendered labels, NULL until set */
	struct source *sources;
	size_t nsources;
	double start_time;
};

/*
 * Label values: exactly the name, when it is valid UTF-8, so that a
 * series' comm, unit or pod is the one --json writes and the one a
 * PromQL matcher names (unit="foo\\x2dbar.service" for systemd's own
 * escape). Only the text format's three escapes are applied: backslash,
 * double quote and newline (a label value may hold any other character,
 * control characters included).
 *
 * Prometheus rejects a scrape that is not valid UTF-8, and a comm is
 * whatever another user named a process: bytes that are not valid UTF-8
 * become U+FFFD (utf8__bad_len()), as in --json's value, whose "not_utf8"
 * member has the exact bytes. So "a\xffb" is rendered comm="a\uFFFDb",
 * and the text \xff stays the four characters it is.
 */
static bool label_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The one character at @s that is not plain; returns its length. */
static size_t put_label_char(struct outbuf *b, const unsigned char *s, size_t n)
{
	size_t len;

	switch (s[0]) {
	case '\\':
		outbuf__lit(b, "\\\\");
		return 1;
	case '"':
		outbuf__lit(b, "\\\"");
		return 1;
	case '\n':
		outbuf__lit(b, "\\n");
		return 1;
	}
	len = utf8__len(s, n);
	if (!len) {
		outbuf__lit(b, "\xef\xbf\xbd");
		return utf8__bad_len(s, n);
	}
	outbuf__put(b, s, len);
	return len;
}

void metrics__put_label_value(struct outbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)s), i = 0, run;

	while (i < n) {
		/* names are mostly plain ASCII: copy such runs at once */
		for (run = i; run < n && label_plain(s[run]); run++)
			;
		if (run > i) {
			outbuf__put(b, s + i, run - i);
			i = run;
			continue;
		}
		i += put_label_char(b, s + i, n - i);
	}
}

static void put_label(struct outbuf *b, const char *sep_name, const char *v)
{
	outbuf__puts(b, sep_name);
	outbuf__lit(b, "=\"");
	metrics__put_label_value(b, v);
	outbuf__putc(b, '"');
}

static void put_reset_labels(struct outbuf *b, const struct metrics_labels *l)
{
	put_label(b, "direction", l->direction);
	put_label(b, ",reason", l->reason);
	put_label(b, ",cause_class", l->cause_class);
	put_label(b, ",comm", l->comm);
	outbuf__lit(b, ",port=\"");
	if (l->port)
		outbuf__u64(b, l->port);
	outbuf__putc(b, '"');
	put_label(b, ",unit", l->unit);
	put_label(b, ",namespace", l->namespace);
	put_label(b, ",pod", l->pod);
	put_label(b, ",container", l->container);
}

/*
 * SipHash-1-3 with a key drawn at start: the labels come partly from
 * other users (comm, ports they connect to), and with a hash they could
 * predict they could put every series in one bucket, so that each reset
 * walked them all.
 */
static inline uint64_t rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13) ^ v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17) ^ v[2];
	v[2] = rotl64(v[2], 32);
}

static uint64_t metrics__hash(const uint64_t seed[2], const void *data,
			      size_t n)
{
	const unsigned char *p = data;
	uint64_t v[4] = {
		seed[0] ^ 0x736f6d6570736575ULL,
		seed[1] ^ 0x646f72616e646f6dULL,
		seed[0] ^ 0x6c7967656e657261ULL,
		seed[1] ^ 0x7465646279746573ULL,
	};
	uint64_t m;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, p + i, 8); /* host order: the hash stays in here */
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	/* the last 0 to 7 bytes, and the length in the top byte */
	m = (uint64_t)n << 56;
	for (; i < n; i++)
		m |= (uint64_t)p[i] << (8 * (i % 8));
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static struct series *series__new(uint64_t hash, const char *key, size_t len)
{
	struct series *s = malloc(sizeof(*s) + len);

	if (!s)
		return NULL;
	s->next = s->later = NULL;
	s->hash = hash;
	s->count = 0;
	s->len = len;
	memcpy(s->key, key, len);
	return s;
}

static void metrics__link(struct metrics *m, struct series *s)
{
	size_t i = s->hash & (m->nbuckets - 1);

	s->next = m->buckets[i];
	m->buckets[i] = s;
}

/* Keep the load at most 1; without memory to grow, chains just get longer. */
static void metrics__grow(struct metrics *m)
{
	struct series **old = m->buckets, *s, *next;
	size_t i, nold = m->nbuckets;

	if (m->nseries + 1 <= m->nbuckets)
		return;
	m->buckets = calloc(nold * 2, sizeof(*m->buckets));
	if (!m->buckets) {
		m->buckets = old;
		return;
	}
	m->nbuckets = nold * 2;
	for (i = 0; i < nold; i++) {
		for (s = old[i]; s; s = next) {
			next = s->next;
			metrics__link(m, s);
		}
	}
	free(old);
}

static struct series *metrics__find(struct metrics *m, uint64_t hash,
				    const char *key, size_t len)
{
	struct series *s;

	for (s = m->buckets[hash & (m->nbuckets - 1)]; s; s = s->next) {
		if (s->hash == hash && s->len == len &&
		    !memcmp(s->key, key, len))
			return s;
	}
	return NULL;
}

/* The start of this process, in seconds since the epoch, or 0. */
static double process_start_time(void)
{
	unsigned long long ticks, btime = 0;
	char buf[1024], *p;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;
	int i;

	f = fopen("/proc/self/stat", "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the comm in parentheses may hold spaces and ')': skip to the last */
	p = strrchr(buf, ')');
	if (!p || hz <= 0)
		return 0;
	/* field 3, the state, follows; starttime is field 22 */
	for (i = 2; i < 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	}
	fclose(f);
	if (!btime)
		return 0;
	return (double)btime + (double)ticks / (double)hz;
}

struct metrics *metrics__new(unsigned int max_series)
{
	struct metrics *m;
	struct timespec ts;
	int err;

	if (!max_series) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->max_series = max_series;
	m->nbuckets = MIN_BUCKETS;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (getrandom(m->seed, sizeof(m->seed), GRND_NONBLOCK) !=
	    sizeof(m->seed)) {
		/* early at boot: weaker, but not known in advance */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		m->seed[0] = (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)getpid();
		m->seed[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)m;
	}
	m->other = series__new(metrics__hash(m->seed, other_key,
					     sizeof(other_key) - 1),
			       other_key, sizeof(other_key) - 1);
	if (!m->buckets || !m->other)
		goto nomem;
	/*
	 * In the table, so that a label set that renders as all "other"
	 * finds this series rather than making a second one alike.
	 */
	metrics__link(m, m->other);
	err = pthread_mutex_init(&m->lock, NULL);
	if (err) {
		errno = err;
		free(m->other);
		free(m->buckets);
		free(m);
		return NULL;
	}
	m->start_time = process_start_time();
	if (!m->start_time && !clock_gettime(CLOCK_REALTIME, &ts))
		m->start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return m;

nomem:
	if (m) {
		free(m->other);
		free(m->buckets);
		free(m);
	}
	errno = ENOMEM;
	return NULL;
}

void metrics__free(struct metrics *m)
{
	struct series *s, *next;
	size_t i;

	if (!m)
		return;
	for (s = m->first; s; s = next) {
		next = s->later;
		free(s);
	}
	free(m->other);
	free(m->buckets);
	for (i = 0; i < m->nsources; i++)
		free(m->sources[i].label);
	free(m->sources);
	free(m->build_info);
	outbuf__free(&m->key);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* A new series for the key in m->key, or NULL when there is no room. */
static struct series *metrics__add(struct metrics *m, uint64_t hash)
{
	struct series *s;

	/* one slot stays for "other", which may be needed later */
	if (m->nseries + 1 >= m->max_series)
		return NULL;
	s = series__new(hash, m->key.data, m->key.len);
	if (!s)
		return NULL;
	metrics__grow(m);
	metrics__link(m, s);
	if (m->last)
		m->last->later = s;
	else
		m->first = s;
	m->last = s;
	m->nseries++;
	return s;
}

void metrics__count_reset(struct metrics *m, const struct metrics_labels *l)
{
	metrics__count_resets(m, l, 1);
}

void metrics__count_resets(struct metrics *m, const struct metrics_labels *l,
			   unsigned long long n)
{
	struct series *s = NULL;
	uint64_t hash;

	pthread_mutex_lock(&m->lock);
	m->key.len = 0;
	m->key.oom = false;
	put_reset_labels(&m->key, l);
	if (!m->key.oom) {
		hash = metrics__hash(m->seed, m->key.data, m->key.len);
		s = metrics__find(m, hash, m->key.data, m->key.len);
		if (!s)
			s = metrics__add(m, hash);
	}
	if (!s) {
		s = m->other;
		m->dropped += n;
	}
	if (s == m->other)
		m->other_used = true;
	s->count += n;
	pthread_mutex_unlock(&m->lock);
}

void metrics__set_totals(struct metrics *m, unsigned long long events,
			 unsigned long long lost, unsigned long long unwritten)
{
	pthread_mutex_lock(&m->lock);
	m->events = events;
	m->lost = lost;
	m->unwritten = unwritten;
	pthread_mutex_unlock(&m->lock);
}

void metrics__set_cgroups(struct metrics *m, const struct cgnames_stats *st)
{
	pthread_mutex_lock(&m->lock);
	m->cgroups = *st;
	m->has_cgroups = true;
	pthread_mutex_unlock(&m->lock);
}

void metrics__set_build_info(struct metrics *m, const char *version,
			     const char *libbpf, const char *kernel)
{
	struct outbuf b = {};
	char *old;

	put_label(&b, "version", version);
	put_label(&b, ",libbpf", libbpf);
	put_label(&b, ",kernel", kernel);
	outbuf__putc(&b, '\0');
	if (b.oom) {
		outbuf__free(&b);
		return; /* the family is left out, as before the call */
	}
	pthread_mutex_lock(&m->lock);
	old = m->build_info;
	m->build_info = b.data;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

int metrics__set_source(struct metrics *m, const char *source, bool visible)
{
	struct outbuf b = {};
	struct source *p;
	size_t i;
	int err = 0;

	metrics__put_label_value(&b, source);
	outbuf__putc(&b, '\0');
	if (b.oom) {
		outbuf__free(&b);
		return -ENOMEM;
	}
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nsources; i++) {
		if (!strcmp(m->sources[i].label, b.data)) {
			m->sources[i].visible = visible;
			goto out;
		}
	}
	p = realloc(m->sources, (m->nsources + 1) * sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	m->sources = p;
	p[m->nsources].label = b.data;
	p[m->nsources].visible = visible;
	m->nsources++;
	b.data = NULL;
out:
	pthread_mutex_unlock(&m->lock);
	outbuf__free(&b);
	return err;
}

static void put_family(struct outbuf *b, const char *name, const char *type,
		       const char *help)
{
	outbuf__printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		       type);
}

static void put_sample(struct outbuf *b, const char *name, unsigned long long v)
{
	outbuf__puts(b, name);
	outbuf__putc(b, ' ');
	outbuf__u64(b, v);
	outbuf__putc(b, '\n');
}

static void put_one(struct outbuf *b, const char *name, const char *type,
		    const char *help, unsigned long long v)
{
	put_family(b, name, type, help);
	put_sample(b, name, v);
}

static void put_series(struct outbuf *b, const struct series *s)
{
	outbuf__lit(b, "rsttrace_resets_total{");
	outbuf__put(b, s->key, s->len);
	outbuf__lit(b, "} ");
	outbuf__u64(b, s->count);
	outbuf__putc(b, '\n');
}

static void put_cgroups(struct outbuf *b, const struct cgnames_stats *c)
{
	put_one(b, "rsttrace_cgroups", "gauge",
		"Cgroups whose names are kept, removed ones among them.",
		c->names);
	put_one(b, "rsttrace_max_cgroups", "gauge",
		"Most cgroup names kept at once.", c->max);
	put_one(b, "rsttrace_cgroups_freed_total", "counter",
		"Names freed once their cgroup was gone and no reset had "
		"named it for 10 minutes.",
		c->freed);
	put_one(b, "rsttrace_cgroups_evicted_total", "counter",
		"Cgroup names forgotten to make room for new ones, the least "
		"recently used first.",
		c->evicted);
	put_one(b, "rsttrace_cgroups_unnamed_total", "counter",
		"Resets whose cgroup went unnamed for want of room: every name "
		"held by a record still to be reported, or no memory.",
		c->unnamed);
}

/* What struct metrics holds; under its lock. */
static void metrics__render_locked(struct metrics *m, struct outbuf *b)
{
	const struct series *s;
	size_t i;

	if (m->first || m->other_used) {
		put_family(b, "rsttrace_resets_total", "counter",
			   "TCP resets seen, by direction, reason, cause, "
			   "owner and local port.");
		for (s = m->first; s; s = s->later)
			put_series(b, s);
		if (m->other_used)
			put_series(b, m->other);
	}
	put_one(b, "rsttrace_events_total", "counter",
		"Reset records reported.", m->events);
	put_one(b, "rsttrace_events_lost_total", "counter",
		"Reset records lost before they could be reported.", m->lost);
	put_one(b, "rsttrace_output_unwritten_total", "counter",
		"Records not written to the output: it failed (a full disk) "
		"or there was no memory.",
		m->unwritten);
	put_one(b, "rsttrace_metrics_series_dropped_total", "counter",
		"Resets counted in the \"other\" series of "
		"rsttrace_resets_total, for want of a series of their own.",
		m->dropped);
	put_one(b, "rsttrace_metrics_series", "gauge",
		"Series of rsttrace_resets_total in use, \"other\" included.",
		m->nseries + m->other_used);
	put_one(b, "rsttrace_metrics_max_series", "gauge",
		"Most series rsttrace_resets_total may have.", m->max_series);
	if (m->has_cgroups)
		put_cgroups(b, &m->cgroups);
	if (m->build_info) {
		put_family(b, "rsttrace_build_info", "gauge",
			   "rsttrace's version, and the libbpf and kernel it "
			   "runs with. Always 1.");
		outbuf__printf(b, "rsttrace_build_info{%s} 1\n", m->build_info);
	}
	if (m->nsources) {
		put_family(b, "rsttrace_source_visible", "gauge",
			   "Whether rsttrace sees the resets of this source on "
			   "this kernel (1) or not (0).");
		for (i = 0; i < m->nsources; i++)
			outbuf__printf(
				b,
				"rsttrace_source_visible{source=\"%s\"} %d\n",
				m->sources[i].label, m->sources[i].visible);
	}
}

/* Open descriptors, the one that reads them aside. */
long metrics__open_fds(void)
{
	struct dirent *e;
	long n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
		    atoi(e->d_name) != dirfd(d))
			n++;
	}
	closedir(d);
	return n;
}

/*
 * The standard process_* families, read at each scrape. Outside the lock:
 * they need nothing of struct metrics but the start time, which never
 * changes, and the counting should not wait for /proc.
 */
static void metrics__render_process(const struct metrics *m, struct outbuf *b)
{
	unsigned long long vsize, rss;
	long page = sysconf(_SC_PAGESIZE), fds;
	struct rusage ru;
	struct rlimit rl;
	FILE *f;
	int ok;

	if (!getrusage(RUSAGE_SELF, &ru)) {
		put_family(b, "process_cpu_seconds_total", "counter",
			   "User and system CPU time this process used, in "
			   "seconds.");
		outbuf__printf(
			b, "process_cpu_seconds_total %.6f\n",
			(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				(double)(ru.ru_utime.tv_usec +
					 ru.ru_stime.tv_usec) /
					1e6);
	}
	fds = metrics__open_fds();
	if (fds >= 0)
		put_one(b, "process_open_fds", "gauge",
			"File descriptors this process has open.",
			(unsigned long long)fds);
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		put_one(b, "process_max_fds", "gauge",
			"Most file descriptors this process may open.",
			(unsigned long long)rl.rlim_cur);
	f = fopen("/proc/self/statm", "re");
	ok = f && page > 0 && fscanf(f, "%llu %llu", &vsize, &rss) == 2;
	if (f)
		fclose(f);
	if (ok) {
		put_one(b, "process_virtual_memory_bytes", "gauge",
			"Virtual memory size of this process, in bytes.",
			vsize * (unsigned long long)page);
		put_one(b, "process_resident_memory_bytes", "gauge",
			"Resident memory size of this process, in bytes.",
			rss * (unsigned long long)page);
	}
	if (m->start_time > 0) {
		put_family(b, "process_start_time_seconds", "gauge",
			   "When this process started, in seconds since the "
			   "Unix epoch.");
		outbuf__printf(b, "process_start_time_seconds %.2f\n",
			       m->start_time);
	}
}

void metrics__render(struct metrics *m, struct outbuf *b)
{
	pthread_mutex_lock(&m->lock);
	metrics__render_locked(m, b);
	pthread_mutex_unlock(&m->lock);
	metrics__render_process(m, b);
}
