// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "lost.h"

/* Twice the BPF map's entries: the open-addressed table never fills. */
#define LOST_SLOTS 8192

struct lost_slot {
	struct rst_lost_key key;
	uint64_t reported;
	int used;
};

struct lost {
	struct lost_slot *slots;
	uint64_t total;
	uint64_t unkeyed; /* as last reported */
};

struct lost *lost__new(void)
{
	struct lost *l = calloc(1, sizeof(*l));

	if (l)
		l->slots = calloc(LOST_SLOTS, sizeof(*l->slots));
	if (l && !l->slots) {
		free(l);
		return NULL;
	}
	return l;
}

void lost__free(struct lost *l)
{
	if (!l)
		return;
	free(l->slots);
	free(l);
}

uint64_t lost__total(const struct lost *l)
{
	return l->total;
}

static struct lost_slot *slot_of(struct lost *l, const struct rst_lost_key *k)
{
	uint64_t h = 1469598103934665603ULL;
	const uint8_t *p = (const void *)k;
	size_t i, n;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	for (n = 0; n < LOST_SLOTS; n++) {
		struct lost_slot *s = &l->slots[(h + n) & (LOST_SLOTS - 1)];

		if (!s->used) {
			s->used = 1;
			s->key = *k;
			return s;
		}
		if (!memcmp(&s->key, k, sizeof(*k)))
			return s;
	}
	return NULL;
}

static void report(struct lost *l, const struct rst_lost_key *k,
		   const uint8_t *comm, uint64_t count, lost_report_fn fn,
		   void *ctx)
{
	struct lost_report r = { .key = k, .comm = comm, .count = count };

	l->total += count;
	r.total = l->total;
	fn(ctx, &r);
}

unsigned int lost__collect(struct lost *l, int map_fd, uint64_t unkeyed,
			   lost_report_fn fn, void *ctx)
{
	struct rst_lost_key key, next, *prev = NULL;
	struct rst_lost_val val;
	struct lost_slot *s;
	unsigned int n = 0;

	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &val))
			continue;
		s = slot_of(l, &key);
		if (!s) /* cannot happen: twice the map's size */
			continue;
		if (val.count <= s->reported)
			continue;
		report(l, &key, val.comm, val.count - s->reported, fn, ctx);
		s->reported = val.count;
		n++;
	}
	if (unkeyed > l->unkeyed) {
		report(l, NULL, NULL, unkeyed - l->unkeyed, fn, ctx);
		l->unkeyed = unkeyed;
		n++;
	}
	return n;
}
