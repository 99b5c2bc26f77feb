// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of cgroup names: what it keeps, what it lets go and when, and
 * that nothing a held record points into is ever freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgnames.h"
#include "unit.h"

#define S 1000000000ULL
#define KEEP (600 * S)

/* The cgroups that exist, for the sweep: ids below @gone_from. */
struct world {
	uint64_t gone_from;
	unsigned int asked;
};

static bool exists(const struct cg_name *n, void *ctx)
{
	struct world *w = ctx;

	w->asked++;
	return n->path[0] && n->id < w->gone_from;
}

static struct cg_name *add(struct cgnames *t, uint64_t id, uint64_t seq,
			   uint64_t now)
{
	char path[64];

	snprintf(path, sizeof(path), "/system.slice/rst-%llu.service",
		 (unsigned long long)id);
	return cgnames__add(t, id, path, seq, now);
}

static struct cgnames_stats stats(const struct cgnames *t)
{
	struct cgnames_stats st;

	cgnames__stats(t, &st);
	return st;
}

/*
 * Two passes of the sweep over a table of 256 slots (64 steps each, each
 * past a step's time): KEEP / 4 in all. A pass that frees looks at fewer
 * slots (it looks again at the slot freed); the second catches up.
 */
static void sweep_all(struct cgnames *t, uint64_t *now, struct world *w)
{
	unsigned int i;

	for (i = 0; i < 64 * 2; i++) {
		*now += KEEP / 512 + 1;
		cgnames__sweep(t, *now, exists, w);
	}
}

UNIT_TEST(cgnames_names_from_path)
{
	struct cgnames *t = cgnames__new(8, KEEP);
	struct cg_name *n = add(t, 42, 1, S);

	CHECK(n != NULL);
	if (!n)
		return;
	CHECK_EQ_STR(n->ident.cgroup, "/system.slice/rst-42.service");
	CHECK_EQ_STR(n->ident.unit, "rst-42.service");
	CHECK(n->ident.container_id == NULL && n->ident.pod_uid == NULL);
	CHECK(cgnames__get(t, 42, 0, 0) == n);
	CHECK(cgnames__get(t, 43, 0, 0) == NULL);
	/* gone before it was seen: an id alone */
	n = cgnames__add(t, 43, "", 2, S);
	CHECK(n && !n->ident.cgroup && !n->ident.unit && !n->path[0]);
	CHECK_EQ_INT(stats(t).names, 2);
	CHECK_EQ_INT(stats(t).max, 8);
	cgnames__free(t);
}

UNIT_TEST(cgnames_full_evicts_least_recently_used)
{
	struct cgnames *t = cgnames__new(4, KEEP);
	uint64_t seq = 0, id;

	for (id = 1; id <= 4; id++)
		CHECK(add(t, id, ++seq, S) != NULL);
	/* none held any more; 1 used again, so 2 is the least recent */
	CHECK(cgnames__get(t, 1, ++seq, 2 * S) != NULL);
	cgnames__held(t, seq + 1);
	CHECK(cgnames__reserve(t));
	CHECK(add(t, 5, ++seq, 3 * S) != NULL);
	CHECK(cgnames__get(t, 2, 0, 0) == NULL);
	CHECK(cgnames__get(t, 1, 0, 0) && cgnames__get(t, 3, 0, 0));
	/* then 3, then 4: new cgroups are always named */
	CHECK(add(t, 6, ++seq, 3 * S) && add(t, 7, ++seq, 3 * S));
	CHECK(!cgnames__get(t, 3, 0, 0) && !cgnames__get(t, 4, 0, 0));
	CHECK(cgnames__get(t, 1, 0, 0) && cgnames__get(t, 5, 0, 0));
	CHECK_EQ_INT(stats(t).names, 4);
	CHECK_EQ_INT(stats(t).evicted, 3);
	CHECK_EQ_INT(stats(t).unnamed, 0);
	cgnames__free(t);
}

UNIT_TEST(cgnames_held_records_keep_their_names)
{
	struct cgnames *t = cgnames__new(3, KEEP);
	struct cg_name *a, *b;

	a = add(t, 1, 1, S);
	b = add(t, 2, 2, S);
	add(t, 3, 3, S);
	/* records 2 and 3 are still held: only 1's may go */
	cgnames__held(t, 2);
	CHECK(add(t, 4, 4, S) != NULL);
	CHECK(cgnames__get(t, 1, 0, 0) == NULL);
	/* every name held: no room, counted, nothing freed under a record */
	CHECK(!cgnames__reserve(t));
	CHECK(add(t, 5, 5, S) == NULL);
	CHECK_EQ_INT(stats(t).unnamed, 2);
	CHECK(cgnames__get(t, 2, 0, 0) == b);
	CHECK_EQ_STR(b->ident.unit, "rst-2.service");
	/* record 2 has left: its name may go, not the others */
	cgnames__held(t, 3);
	CHECK(add(t, 5, 5, S) != NULL);
	CHECK(cgnames__get(t, 2, 0, 0) == NULL);
	CHECK(cgnames__get(t, 3, 0, 0) && cgnames__get(t, 4, 0, 0));
	(void)a;
	cgnames__free(t);
}

UNIT_TEST(cgnames_walk_evicts_nothing)
{
	struct cgnames *t = cgnames__new(3, KEEP);

	/* found by a walk: while there is room, and least recently used */
	CHECK(add(t, 1, 0, S) && add(t, 2, 0, S) && add(t, 3, 0, S));
	CHECK(add(t, 4, 0, S) == NULL);
	CHECK_EQ_INT(stats(t).unnamed, 0);
	/* a record's cgroup takes the place of one never used */
	CHECK(cgnames__get(t, 1, 1, S) != NULL);
	CHECK(add(t, 5, 2, S) != NULL);
	CHECK(cgnames__get(t, 1, 0, 0) != NULL);
	CHECK_EQ_INT(stats(t).names, 3);
	CHECK_EQ_INT(stats(t).evicted, 1);
	/* the walk's last find went, being at the oldest end */
	CHECK(cgnames__get(t, 3, 0, 0) == NULL);
	CHECK(cgnames__get(t, 2, 0, 0) != NULL);
	cgnames__free(t);
}

UNIT_TEST(cgnames_sweep_frees_removed_once_unused)
{
	struct cgnames *t = cgnames__new(64, KEEP);
	struct world w = { .gone_from = UINT64_MAX };
	uint64_t now = S, id;

	for (id = 1; id <= 20; id++)
		add(t, id * 10, id, now);
	cgnames__held(t, 21);
	/* all there: nothing freed, however long unused */
	sweep_all(t, &now, &w);
	now += 2 * KEEP;
	sweep_all(t, &now, &w);
	CHECK_EQ_INT(stats(t).names, 20);
	CHECK(w.asked >= 20);
	/* 100 to 200 removed: seen gone, and kept for KEEP from then */
	w.gone_from = 95;
	sweep_all(t, &now, &w);
	CHECK_EQ_INT(stats(t).names, 20);
	/* a reset of a removed one's socket keeps it for KEEP from then */
	now += KEEP / 2;
	CHECK(cgnames__get(t, 150, 21, now) != NULL);
	cgnames__held(t, 22);
	now += KEEP / 2;
	sweep_all(t, &now, &w);
	CHECK_EQ_INT(stats(t).names, 10);
	CHECK(cgnames__get(t, 150, 0, 0) != NULL);
	CHECK(cgnames__get(t, 160, 0, 0) == NULL);
	CHECK(cgnames__get(t, 90, 0, 0) != NULL);
	now += KEEP;
	sweep_all(t, &now, &w);
	CHECK_EQ_INT(stats(t).names, 9);
	CHECK(cgnames__get(t, 150, 0, 0) == NULL);
	CHECK_EQ_INT(stats(t).freed, 11);
	CHECK_EQ_INT(stats(t).evicted, 0);
	cgnames__free(t);
}

UNIT_TEST(cgnames_sweep_spares_held_and_recent)
{
	struct cgnames *t = cgnames__new(16, 0);
	struct world w = { .gone_from = 0 };
	uint64_t now = S;

	/* all gone at once, kept 0 s: only the held one stays */
	add(t, 1, 1, now);
	add(t, 2, 2, now);
	cgnames__add(t, 3, "", 3, now);
	cgnames__held(t, 3);
	sweep_all(t, &now, &w);
	CHECK_EQ_INT(stats(t).names, 1);
	CHECK(cgnames__get(t, 3, 0, 0) != NULL);
	cgnames__held(t, 4);
	sweep_all(t, &now, &w);
	CHECK_EQ_INT(stats(t).names, 0);
	cgnames__free(t);
}

/* Many in, many out, against a model: every kept name is found. */
UNIT_TEST(cgnames_churn_keeps_lookups_right)
{
	enum { MAX = 300, IDS = 5000 };
	struct cgnames *t = cgnames__new(MAX, 0);
	struct world w = { .gone_from = 0 };
	uint64_t seq = 0, now = S, id;
	unsigned int i, n, wrong = 0, broken = 0;
	struct cg_name *c;

	srand(7);
	for (i = 0; i < 40000; i++) {
		id = 1 + (uint64_t)(rand() % (IDS - 1));
		/* the last 32 records are held */
		cgnames__held(t, seq > 32 ? seq - 32 : 1);
		c = cgnames__get(t, id, ++seq, now);
		if (!c && cgnames__reserve(t))
			c = add(t, id, seq, now);
		if (!c || c->id != id)
			wrong++;
		if (i % 97 == 0) {
			w.gone_from = id; /* some go, some stay */
			cgnames__sweep(t, now += S, exists, &w);
		}
		broken += !cgnames__consistent(t);
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(broken, 0);
	CHECK(stats(t).names <= MAX);
	CHECK(stats(t).evicted > 0 && stats(t).freed > 0);
	for (id = 1, n = 0; id < IDS; id++) {
		c = cgnames__get(t, id, 0, 0);
		if (c && c->id == id)
			n++;
		else if (c)
			wrong++;
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(n, stats(t).names);
	cgnames__free(t);
}

UNIT_TEST(cgnames_limits)
{
	uint64_t keep = 5;
	size_t max = 7;

	CHECK(cgnames__parse_limits("16", &max, &keep));
	CHECK_EQ_INT(max, 16);
	CHECK_EQ_INT(keep, 5);
	CHECK(cgnames__parse_limits("32,2", &max, &keep));
	CHECK_EQ_INT(max, 32);
	CHECK(keep == 2 * S);
	CHECK(cgnames__parse_limits("1,0", &max, &keep));
	CHECK(keep == 0);
	CHECK(!cgnames__parse_limits("0", &max, &keep));
	CHECK(!cgnames__parse_limits("", &max, &keep));
	CHECK(!cgnames__parse_limits("-1", &max, &keep));
	CHECK(!cgnames__parse_limits("8,", &max, &keep));
	CHECK(!cgnames__parse_limits("8,x", &max, &keep));
	CHECK(!cgnames__parse_limits("8 ", &max, &keep));
	CHECK(!cgnames__parse_limits("99999999999999999999", &max, &keep));
	CHECK(!cgnames__parse_limits("16777217", &max, &keep));
	CHECK_EQ_INT(max, 1);
	CHECK(cgnames__new(0, 0) == NULL);
}
