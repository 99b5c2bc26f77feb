// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of cgroup names: see cgnames.h. An open-addressed hash by id
 * for the lookups, and a list by last use for eviction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgnames.h"
#include "hash.h"

#define MIN_SLOTS 256
/* the sweep looks at the whole table in this many steps ... */
#define SWEEP_STEPS 64
/* ... this many times per keep_ns, so a removal is seen soon enough */
#define SWEEPS_PER_KEEP 8
/* the most RSTTRACE_CGROUP_NAMES may ask for */
#define LIMIT_MAX (1U << 24)
#define LIMIT_KEEP_S (366 * 86400ULL)
#define NS_PER_S 1000000000ULL

struct entry {
	struct entry *newer, *older; /* by last use */
	uint64_t used_ns; /* when it last named a record, or was learned */
	uint64_t gone_ns; /* when the sweep first missed its cgroup, 0: not */
	uint64_t seq; /* the last record it named, 0: none */
	struct cg_name name; /* its path follows the entry */
};

struct cgnames {
	struct entry **slots; /* open addressing, a power of two */
	size_t nslots, n, max;
	/*
	 * Records touch entries in arrival order, so from the oldest the
	 * list runs: the walk's never used (seq 0), then seq rising.
	 */
	struct entry *newest, *oldest;
	uint64_t keep_ns;
	uint64_t held_seq; /* no record before it is read any more */
	uint64_t swept_ns; /* the last step of the sweep */
	size_t hand; /* the next slot the sweep looks at */
	unsigned long long freed, evicted, unnamed;
};

struct cgnames *cgnames__new(size_t max, uint64_t keep_ns)
{
	struct cgnames *t;

	if (!max) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max;
	t->keep_ns = keep_ns;
	t->held_seq = 1; /* records start at 1: all may be held */
	return t;
}

void cgnames__free(struct cgnames *t)
{
	struct entry *e, *older;

	if (!t)
		return;
	for (e = t->newest; e; e = older) {
		older = e->older;
		free(e);
	}
	free(t->slots);
	free(t);
}

static size_t home(const struct cgnames *t, uint64_t id)
{
	return hash__mix(0, id) & (t->nslots - 1);
}

/* The slot of @id, or the free slot where it would go. */
static size_t find_slot(const struct cgnames *t, uint64_t id)
{
	size_t i = home(t, id);

	while (t->slots[i] && t->slots[i]->name.id != id)
		i = (i + 1) & (t->nslots - 1);
	return i;
}

static bool grow(struct cgnames *t)
{
	struct entry **old = t->slots;
	size_t i, n = t->nslots;

	t->nslots = n ? n * 2 : MIN_SLOTS;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		t->nslots = n;
		return false;
	}
	for (i = 0; i < n; i++)
		if (old[i])
			t->slots[find_slot(t, old[i]->name.id)] = old[i];
	free(old);
	t->hand = 0;
	return true;
}

/*
 * Empties slot @i and moves back the entries after it that probed past
 * it: no tombstones, so lookups stay short however many cgroups come and
 * go.
 */
static void slot_clear(struct cgnames *t, size_t i)
{
	size_t mask = t->nslots - 1, j, k;

	t->slots[i] = NULL;
	for (j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
		k = home(t, t->slots[j]->name.id);
		/* it can fill the hole unless its home lies in (i, j] */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			t->slots[i] = t->slots[j];
			t->slots[j] = NULL;
			i = j;
		}
	}
}

static void list_unlink(struct cgnames *t, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void list_push_newest(struct cgnames *t, struct entry *e)
{
	e->newer = NULL;
	e->older = t->newest;
	if (t->newest)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

static void list_push_oldest(struct cgnames *t, struct entry *e)
{
	e->older = NULL;
	e->newer = t->oldest;
	if (t->oldest)
		t->oldest->older = e;
	else
		t->newest = e;
	t->oldest = e;
}

/* A record that may still be read points into it. */
static bool in_use(const struct cgnames *t, const struct entry *e)
{
	return e->seq && e->seq >= t->held_seq;
}

static void entry_free(struct cgnames *t, struct entry *e, size_t slot)
{
	slot_clear(t, slot);
	list_unlink(t, e);
	free(e);
	t->n--;
}

struct cg_name *cgnames__get(struct cgnames *t, uint64_t id, uint64_t seq,
			     uint64_t now_ns)
{
	struct entry *e;

	if (!t->nslots)
		return NULL;
	e = t->slots[find_slot(t, id)];
	if (!e)
		return NULL;
	if (seq) {
		e->seq = seq;
		e->used_ns = now_ns;
		list_unlink(t, e);
		list_push_newest(t, e);
	}
	return &e->name;
}

/* Room for one more, the least recently used evicted if need be. */
static bool make_room(struct cgnames *t)
{
	struct entry *e = t->oldest;

	if (t->n < t->max)
		return true;
	/* the oldest has the lowest seq: if a record holds it, all are held */
	if (!e || in_use(t, e))
		return false;
	entry_free(t, e, find_slot(t, e->name.id));
	t->evicted++;
	return true;
}

bool cgnames__reserve(struct cgnames *t)
{
	if (make_room(t))
		return true;
	t->unnamed++;
	return false;
}

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

/* @n's path, copied to @buf, and what it tells. */
static void name_init(struct cg_name *n, uint64_t id, char *buf,
		      const char *path, size_t len)
{
	memcpy(buf, path, len + 1);
	n->id = id;
	n->path = buf;
	if (len) {
		identity__parse_path(path, &n->pi);
		n->ident.cgroup = buf;
	}
	n->ident.unit = or_null(n->pi.unit);
	n->ident.container_id = or_null(n->pi.container_id);
	n->ident.container_runtime = n->pi.runtime;
	n->ident.pod_uid = or_null(n->pi.pod_uid);
}

struct cg_name *cgnames__add(struct cgnames *t, uint64_t id, const char *path,
			     uint64_t seq, uint64_t now_ns)
{
	size_t len = strlen(path);
	struct entry *e;

	/* a walk's finds evict nothing: they may never be asked for */
	if (seq ? !make_room(t) : t->n >= t->max)
		goto none;
	if ((t->n + 1) * 2 > t->nslots && !grow(t))
		goto none;
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		goto none;
	name_init(&e->name, id, (char *)(e + 1), path, len);
	e->seq = seq;
	e->used_ns = now_ns;
	t->slots[find_slot(t, id)] = e;
	if (seq)
		list_push_newest(t, e);
	else
		list_push_oldest(t, e);
	t->n++;
	return &e->name;
none:
	if (seq)
		t->unnamed++;
	return NULL;
}

void cgnames__held(struct cgnames *t, uint64_t held_seq)
{
	t->held_seq = held_seq;
}

/* Its cgroup gone and it unused for keep_ns, and no record points in. */
static bool expired(const struct cgnames *t, struct entry *e, uint64_t now_ns,
		    bool (*exists)(const struct cg_name *n, void *ctx),
		    void *ctx)
{
	/* ids are not reused: once gone, gone for good */
	if (!e->gone_ns) {
		if (exists(&e->name, ctx))
			return false;
		e->gone_ns = now_ns ? now_ns : 1;
	}
	return !in_use(t, e) && now_ns - e->gone_ns >= t->keep_ns &&
	       now_ns - e->used_ns >= t->keep_ns;
}

void cgnames__sweep(struct cgnames *t, uint64_t now_ns,
		    bool (*exists)(const struct cg_name *n, void *ctx),
		    void *ctx)
{
	uint64_t step_ns = t->keep_ns / (SWEEPS_PER_KEEP * SWEEP_STEPS);
	size_t i, n = t->nslots / SWEEP_STEPS;
	struct entry *e;

	if (!t->n || now_ns - t->swept_ns < step_ns)
		return;
	t->swept_ns = now_ns;
	for (i = 0; i < n; i++) {
		e = t->slots[t->hand];
		if (e && expired(t, e, now_ns, exists, ctx)) {
			entry_free(t, e, t->hand);
			t->freed++;
			continue; /* the slot may hold another one now */
		}
		t->hand = (t->hand + 1) & (t->nslots - 1);
	}
}

void cgnames__stats(const struct cgnames *t, struct cgnames_stats *st)
{
	*st = (struct cgnames_stats){ .names = t->n,
				      .max = t->max,
				      .freed = t->freed,
				      .evicted = t->evicted,
				      .unnamed = t->unnamed };
}

bool cgnames__consistent(const struct cgnames *t)
{
	const struct entry *e;
	size_t i, inlist = 0, inslots = 0;

	for (e = t->newest; e; e = e->older) {
		if ((e->older ? e->older->newer : t->oldest) != e ||
		    !t->nslots || t->slots[find_slot(t, e->name.id)] != e)
			return false;
		inlist++;
	}
	for (i = 0; i < t->nslots; i++)
		inslots += t->slots[i] != NULL;
	return inlist == t->n && inslots == t->n && t->n <= t->max;
}

/* A decimal number in [lo, hi] at @s, up to @end. */
static bool parse_num(const char *s, char **end, unsigned long long lo,
		      unsigned long long hi, unsigned long long *v)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, end, 10);
	return !errno && *v >= lo && *v <= hi;
}

bool cgnames__parse_limits(const char *s, size_t *max, uint64_t *keep_ns)
{
	unsigned long long m, k;
	char *end;

	if (!parse_num(s, &end, 1, LIMIT_MAX, &m))
		return false;
	if (*end == ',') {
		if (!parse_num(end + 1, &end, 0, LIMIT_KEEP_S, &k) || *end)
			return false;
		*keep_ns = k * NS_PER_S;
	} else if (*end) {
		return false;
	}
	*max = m;
	return true;
}
