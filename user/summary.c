// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Reset counts per key, in an open-addressing hash table (linear probing)
 * over a dense array of rows: a reset storm must cost a hash and a compare
 * per event, not an allocation, and the dense rows sort in place for
 * printing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "hash.h"
#include "json.h"
#include "summary.h"

#define CAUSE_LEN sizeof(((struct rst_record *)0)->cause)
#define MIN_SLOTS 256
/* after an interval this large, give the memory back */
#define SHRINK_SLOTS (MIN_SLOTS * 64)

struct summary_row {
	uint64_t count;
	uint32_t hash;
	uint16_t lport; /* 0: a connecting client's, not a service's */
	uint16_t rport; /* the service port of a connecting client, or 0 */
	uint8_t direction;
	uint8_t has_comm;
	uint8_t cause_len;
	/*
	 * The process name, unit or namespace/pod (--by), up to the first
	 * NUL and zero after it: equal names compare equal.
	 */
	uint8_t comm[SUMMARY_WHO_LEN];
	char cause[CAUSE_LEN]; /* cause_len bytes, not NUL-terminated */
};

struct summary {
	struct summary_row *rows;
	size_t nrows, rows_cap;
	uint32_t *slots; /* row index + 1, 0: empty */
	size_t nslots; /* a power of two, at least twice nrows */
	uint64_t total;
	uint64_t other; /* counted in total, without a row */
	enum rst_summary_by by;
};

_Static_assert(CAUSE_LEN < 256, "cause_len is a uint8_t");
_Static_assert(SUMMARY_MAX_ROWS < UINT32_MAX, "slots hold row indexes");

struct summary *summary__new(void)
{
	return summary__new_by(RST_BY_COMM);
}

struct summary *summary__new_by(enum rst_summary_by by)
{
	struct summary *s = calloc(1, sizeof(struct summary));

	if (s)
		s->by = by;
	return s;
}

void summary__free(struct summary *s)
{
	if (!s)
		return;
	free(s->rows);
	free(s->slots);
	free(s);
}

uint64_t summary__total(const struct summary *s)
{
	return s->total;
}

size_t summary__nrows(const struct summary *s)
{
	return s->nrows;
}

static uint64_t load64(const void *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n < 8 ? n : 8);
	return v;
}

/* What --by groups by, into @k->comm; false when the record has none. */
static bool row_who(struct summary_row *k, const struct rst_record *r,
		    enum rst_summary_by by)
{
	const struct rst_identity *id = r->ident;
	size_t n;

	memset(k->comm, 0, sizeof(k->comm));
	if (by == RST_BY_UNIT) {
		if (!id || !id->unit)
			return false;
		snprintf((char *)k->comm, sizeof(k->comm), "%s", id->unit);
	} else if (by == RST_BY_POD) {
		if (!id || !id->pod)
			return false;
		snprintf((char *)k->comm, sizeof(k->comm), "%s/%s",
			 id->k8s_namespace ? id->k8s_namespace : "", id->pod);
	} else {
		if (r->ev.owner_source == RST_OWNER_NONE)
			return false;
		n = strnlen((const char *)r->ev.comm, sizeof(r->ev.comm));
		memcpy(k->comm, r->ev.comm, n);
	}
	return true;
}

/* The key of @r in @k (count and hash aside). */
static void row_key(struct summary_row *k, const struct rst_record *r,
		    enum rst_summary_by by)
{
	size_t n;

	/*
	 * "Which service": a server's local port, but a client's remote
	 * port, since its own local port is an ephemeral one per connection.
	 */
	if (r->ev.owner_source == RST_OWNER_CONNECT) {
		k->lport = 0;
		k->rport = r->ev.rport;
	} else {
		k->lport = r->ev.lport;
		k->rport = 0;
	}
	k->direction = r->ev.direction;
	k->has_comm = row_who(k, r, by);
	/* the cause comes from our own code, but may fill the whole array */
	n = strnlen(r->cause, CAUSE_LEN);
	/* "after 61.2 s idle" and the like would split a row per record */
	if (r->cause_stem && r->cause_stem < n)
		n = r->cause_stem;
	k->cause_len = (uint8_t)n;
	memcpy(k->cause, r->cause, n);
}

static uint32_t row_hash(const struct summary_row *k)
{
	uint64_t h = 0;
	size_t i;

	h = hash__mix(h, (uint64_t)k->rport << 32 | (uint64_t)k->lport << 16 |
				 (uint64_t)k->direction << 8 | k->has_comm);
	for (i = 0; i < sizeof(k->comm) && k->comm[i]; i += 8)
		h = hash__mix(h, load64(k->comm + i, 8));
	for (i = 0; i < k->cause_len; i += 8)
		h = hash__mix(h, load64(k->cause + i, k->cause_len - i));
	h = hash__mix(h, k->cause_len);
	return (uint32_t)(h ^ (h >> 32));
}

static int row_eq(const struct summary_row *a, const struct summary_row *b)
{
	return a->hash == b->hash && a->lport == b->lport &&
	       a->rport == b->rport && a->direction == b->direction &&
	       a->has_comm == b->has_comm && a->cause_len == b->cause_len &&
	       !memcmp(a->comm, b->comm, sizeof(a->comm)) &&
	       !memcmp(a->cause, b->cause, a->cause_len);
}

/* Point the slots at the rows again, after they moved or the table grew. */
static void summary__reindex(struct summary *s)
{
	size_t i, j, mask = s->nslots - 1;

	memset(s->slots, 0, s->nslots * sizeof(*s->slots));
	for (i = 0; i < s->nrows; i++) {
		for (j = s->rows[i].hash & mask; s->slots[j];
		     j = (j + 1) & mask)
			;
		s->slots[j] = (uint32_t)(i + 1);
	}
}

static int summary__rehash(struct summary *s, size_t nslots)
{
	uint32_t *slots;

	slots = malloc(nslots * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	summary__reindex(s);
	return 0;
}

/* Room for one more row, keeping the table at most half full. */
static int summary__grow(struct summary *s)
{
	struct summary_row *rows;
	size_t cap;
	int err;

	if (s->nrows == s->rows_cap) {
		cap = s->rows_cap ? s->rows_cap * 2 : MIN_SLOTS / 2;
		rows = realloc(s->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		s->rows = rows;
		s->rows_cap = cap;
	}
	if ((s->nrows + 1) * 2 > s->nslots) {
		err = summary__rehash(s, s->nslots ? s->nslots * 2 : MIN_SLOTS);
		if (err)
			return err;
	}
	return 0;
}

int summary__add(struct summary *s, const struct rst_record *r)
{
	struct summary_row k;
	size_t i, mask;
	uint32_t idx;
	int err;

	if (r->drop)
		return 0;
	s->total++;
	row_key(&k, r, s->by);
	k.hash = row_hash(&k);
	if (s->nslots) {
		mask = s->nslots - 1;
		for (i = k.hash & mask; (idx = s->slots[i]);
		     i = (i + 1) & mask) {
			if (row_eq(&s->rows[idx - 1], &k)) {
				s->rows[idx - 1].count++;
				return 0;
			}
		}
	}
	if (s->nrows >= SUMMARY_MAX_ROWS) {
		s->other++;
		return -ENOSPC;
	}
	err = summary__grow(s);
	if (err) {
		s->other++;
		return err;
	}
	/* probe again: growing may have rehashed */
	mask = s->nslots - 1;
	for (i = k.hash & mask; s->slots[i]; i = (i + 1) & mask)
		;
	k.count = 1;
	s->rows[s->nrows] = k;
	s->slots[i] = (uint32_t)++s->nrows;
	return 0;
}

void summary__reset(struct summary *s)
{
	s->total = 0;
	s->other = 0;
	s->nrows = 0;
	if (s->nslots > SHRINK_SLOTS) {
		/* a burst should not pin its memory for the rest of the run */
		free(s->rows);
		free(s->slots);
		s->rows = NULL;
		s->slots = NULL;
		s->rows_cap = 0;
		s->nslots = 0;
	} else if (s->slots) {
		memset(s->slots, 0, s->nslots * sizeof(*s->slots));
	}
}

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

/* Count descending, then direction, cause, comm and port ascending. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct summary_row *a = pa, *b = pb;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->direction != b->direction)
		return a->direction < b->direction ? -1 : 1;
	c = bytes_cmp(a->cause, a->cause_len, b->cause, b->cause_len);
	if (c)
		return c;
	/* no owner sorts before any name */
	if (a->has_comm != b->has_comm)
		return a->has_comm < b->has_comm ? -1 : 1;
	c = memcmp(a->comm, b->comm, sizeof(a->comm));
	if (c)
		return c;
	if (a->lport != b->lport)
		return a->lport < b->lport ? -1 : 1;
	return a->rport < b->rport ? -1 : a->rport > b->rport;
}

/* Sort the rows in place for printing; the slots follow them. */
static void summary__sort(struct summary *s)
{
	if (s->nrows < 2)
		return;
	qsort(s->rows, s->nrows, sizeof(*s->rows), row_cmp);
	summary__reindex(s);
}

static size_t digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void print_port(struct outbuf *b, uint16_t port)
{
	size_t start = b->len;

	if (port)
		outbuf__u64(b, port);
	else
		outbuf__putc(b, '-');
	outbuf__pad(b, start, 6);
}

/* Column widths; the header text is part of the interface. */
#define DIR_W 8
#define PORT_W 5
#define COMM_W RST_COMM_LEN
/* units and namespace/pod names run longer than process names */
#define WHO_W 40

static const char *const who_header[] = {
	[RST_BY_COMM] = "COMM",
	[RST_BY_UNIT] = "UNIT",
	[RST_BY_POD] = "POD",
};

/* The --by cell: escaped, "-" when the record had none, then padding. */
static void print_who(struct outbuf *b, const struct summary_row *r,
		      enum rst_summary_by by)
{
	size_t start = b->len;

	if (by == RST_BY_COMM) {
		format__table_comm(b, r->comm, r->has_comm, COMM_W);
		return;
	}
	if (r->has_comm)
		format__table_escape(b, r->comm, sizeof(r->comm), SIZE_MAX);
	else
		outbuf__putc(b, '-');
	outbuf__pad(b, start, WHO_W);
	outbuf__putc(b, ' ');
}

void summary__print_table(struct summary *s, struct outbuf *b,
			  const char *title)
{
	size_t i, count_w = 5;
	const struct summary_row *r;
	const char *dir;

	summary__sort(s);
	if (title)
		outbuf__printf(b, "%s: ", title);
	outbuf__printf(b, "%" PRIu64 " reset%s\n", s->total,
		       s->total == 1 ? "" : "s");
	if (!s->total)
		return;
	/* sorted: the first row has the largest count */
	if (s->nrows && digits(s->rows[0].count) > count_w)
		count_w = digits(s->rows[0].count);
	if (digits(s->other) > count_w)
		count_w = digits(s->other);

	outbuf__printf(b, "%*s %-*s %-*s %-*s %-*s %s\n", (int)count_w, "COUNT",
		       DIR_W, "DIR", PORT_W, "LPORT", PORT_W, "RPORT",
		       s->by ? WHO_W : COMM_W, who_header[s->by], "CAUSE");
	for (i = 0; i < s->nrows; i++) {
		r = &s->rows[i];
		outbuf__printf(b, "%*" PRIu64 " ", (int)count_w, r->count);
		dir = format__direction_name(r->direction);
		outbuf__printf(b, "%-*s ", DIR_W, dir ? dir : "-");
		print_port(b, r->lport);
		print_port(b, r->rport);
		print_who(b, r, s->by);
		if (r->cause_len)
			format__table_escape(b, r->cause, r->cause_len,
					     SIZE_MAX);
		else
			outbuf__putc(b, '-');
		outbuf__putc(b, '\n');
	}
	if (s->other)
		outbuf__printf(b, "%*" PRIu64 " %-*s %-*s %-*s %-*s %s\n",
			       (int)count_w, s->other, DIR_W, "-", PORT_W, "-",
			       PORT_W, "-", s->by ? WHO_W : COMM_W, "-",
			       "(other: too many keys in this interval)");
}

static void json_row(struct json *j, const struct summary_row *r,
		     enum rst_summary_by by)
{
	json__begin_object(j);
	json__key_str_or_null(j, "direction",
			      format__direction_name(r->direction));
	json__key_u64_or_null(j, "lport", r->lport, r->lport);
	json__key_u64_or_null(j, "rport", r->rport, r->rport);
	if (by == RST_BY_UNIT)
		json__key_bytes_or_null(j, "unit", r->has_comm, r->comm,
					sizeof(r->comm));
	else if (by == RST_BY_POD)
		json__key_bytes_or_null(j, "pod", r->has_comm, r->comm,
					sizeof(r->comm));
	else
		json__key_bytes_or_null(j, "comm", r->has_comm, r->comm,
					sizeof(r->comm));
	json__key_bytes_or_null(j, "cause", r->cause_len, r->cause,
				r->cause_len);
	json__key_u64(j, "count", r->count);
	json__put_not_utf8(j);
	json__end_object(j);
}

void summary__print_json(struct summary *s, struct outbuf *b,
			 const char *time_rfc3339, double interval_s)
{
	struct json j;
	size_t i;

	summary__sort(s);
	json__init(&j, b);
	json__begin_object(&j);
	json__key(&j, "type");
	json__str_lit(&j, "summary");
	json__key_str_or_null(&j, "time", time_rfc3339);
	json__key(&j, "interval_s");
	json__seconds(&j, interval_s);
	json__key_u64(&j, "total", s->total);
	json__key(&j, "rows");
	json__begin_array(&j);
	for (i = 0; i < s->nrows; i++)
		json_row(&j, &s->rows[i], s->by);
	json__end_array(&j);
	if (s->other) {
		json__key_u64(&j, "other", s->other);
	}
	json__end_object(&j);
	outbuf__putc(b, '\n');
}
