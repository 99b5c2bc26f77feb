// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "correlate.h"
#include "infer.h"

struct pending {
	struct rst_record rec;
	uint64_t due_ns;
	uint64_t seq;
	uint64_t next_seq; /* older record in the same hash chain, 0: none */
	bool paired;
};

/*
 * A FIFO ring of pending records, indexed by a hash of the unordered
 * 4-tuple. Chains are linked by sequence number, newest first: a link to a
 * record that has already left (seq below the ring's head) ends the chain,
 * so nothing ever has to be unlinked.
 */
struct correlator {
	struct pending *ring;
	size_t cap; /* power of two */
	uint64_t head_seq; /* oldest pending */
	uint64_t next_seq; /* the next one to arrive; seqs start at 1 */
	uint64_t *buckets; /* newest seq per hash, cap * 2 of them */
	uint64_t hold_ns;
	correlator_emit_fn emit;
	void *ctx;
};

static size_t pow2_at_least(size_t n)
{
	size_t v = 16;

	while (v < n)
		v <<= 1;
	return v;
}

struct correlator *correlator__new(uint64_t hold_ns, size_t max_pending,
				   correlator_emit_fn emit, void *ctx)
{
	struct correlator *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cap = pow2_at_least(max_pending);
	c->ring = calloc(c->cap, sizeof(*c->ring));
	c->buckets = calloc(c->cap * 2, sizeof(*c->buckets));
	if (!c->ring || !c->buckets) {
		correlator__free(c);
		return NULL;
	}
	c->head_seq = c->next_seq = 1;
	c->hold_ns = hold_ns;
	c->emit = emit;
	c->ctx = ctx;
	return c;
}

void correlator__free(struct correlator *c)
{
	if (!c)
		return;
	free(c->ring);
	free(c->buckets);
	free(c);
}

static struct pending *slot(const struct correlator *c, uint64_t seq)
{
	return &c->ring[seq & (c->cap - 1)];
}

/* The same value for both directions of a connection. */
static uint64_t tuple_hash(const struct rst_event *e)
{
	const uint8_t *a = e->laddr, *b = e->raddr;
	uint16_t pa = e->lport, pb = e->rport;
	uint64_t h = 1469598103934665603ULL;
	int cmp = memcmp(a, b, 16);
	unsigned int i;

	if (cmp > 0 || (cmp == 0 && pa > pb)) {
		a = e->raddr;
		b = e->laddr;
		pa = e->rport;
		pb = e->lport;
	}
	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ULL;
	for (i = 0; i < 16; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	h = (h ^ pa) * 1099511628211ULL;
	h = (h ^ pb) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* @a and @b are the two ends of one connection. */
static bool reversed(const struct rst_event *a, const struct rst_event *b)
{
	return a->family == b->family && a->lport == b->rport &&
	       a->rport == b->lport && !memcmp(a->laddr, b->raddr, 16) &&
	       !memcmp(a->raddr, b->laddr, 16);
}

static bool is_abort_on_data(const struct rst_record *r)
{
	return r->ev.direction == RST_DIR_SENT &&
	       (r->ev.flags & RST_F_PASSIVE) && r->reason &&
	       !strcmp(r->reason, "TCP_ABORT_ON_DATA");
}

static void set_peer(struct rst_record *r, const struct rst_record *peer)
{
	if (peer->ev.owner_source == RST_OWNER_NONE)
		return;
	r->has_peer = true;
	r->peer_pid = peer->ev.pid;
	memcpy(r->peer_comm, peer->ev.comm, sizeof(r->peer_comm));
}

/* Match @p, newly arrived, with what is pending on the same connection. */
static void match(struct correlator *c, struct pending *p, uint64_t seq)
{
	struct rst_record *r = &p->rec;

	while (seq >= c->head_seq && seq != p->seq) {
		struct pending *q = slot(c, seq);
		struct rst_record *o = &q->rec;

		if (!o->drop && r->ev.sock_cookie &&
		    o->ev.sock_cookie == r->ev.sock_cookie &&
		    infer__maybe_local_abort(o) && is_abort_on_data(r)) {
			/* the kernel's own abort: no RST was received */
			o->drop = true;
		} else if (!p->paired && !q->paired && !o->drop &&
			   o->ev.direction != r->ev.direction &&
			   o->ev.netns != 0 && reversed(&o->ev, &r->ev)) {
			set_peer(r, o);
			set_peer(o, r);
			p->paired = q->paired = true;
			r->paired = o->paired = true;
		}
		seq = q->next_seq;
	}
}

void correlator__add(struct correlator *c, const struct rst_record *r,
		     uint64_t now_ns)
{
	uint64_t h, *bucket, seq;
	struct pending *p;

	/* full: the oldest leaves early rather than anything being lost */
	if (c->next_seq - c->head_seq == c->cap) {
		p = slot(c, c->head_seq++);
		if (!p->rec.drop)
			c->emit(c->ctx, &p->rec);
	}
	seq = c->next_seq++;
	p = slot(c, seq);
	memset(p, 0, sizeof(*p));
	p->rec = *r;
	p->seq = seq;
	p->due_ns = now_ns + c->hold_ns;
	h = tuple_hash(&r->ev);
	bucket = &c->buckets[h & (c->cap * 2 - 1)];
	p->next_seq = *bucket;
	*bucket = seq;
	match(c, p, p->next_seq);
}

void correlator__flush(struct correlator *c, uint64_t now_ns, bool all)
{
	while (c->head_seq < c->next_seq) {
		struct pending *p = slot(c, c->head_seq);

		/*
		 * A received reset that may be a local abort waits for its
		 * sent reset even when paired; anything else is done once
		 * paired.
		 */
		if (!all && !p->rec.drop && p->due_ns > now_ns &&
		    (!p->paired || infer__maybe_local_abort(&p->rec)))
			break;
		c->head_seq++;
		if (!p->rec.drop)
			c->emit(c->ctx, &p->rec);
	}
}

uint64_t correlator__next_due(const struct correlator *c)
{
	if (c->head_seq == c->next_seq)
		return UINT64_MAX;
	return slot(c, c->head_seq)->due_ns;
}

uint64_t correlator__held_seq(const struct correlator *c)
{
	/* records leave in arrival order: the head is the oldest */
	if (c->head_seq == c->next_seq)
		return UINT64_MAX;
	return slot(c, c->head_seq)->rec.seq;
}
