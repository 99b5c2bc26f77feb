// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include "correlate.h"
#include "unit.h"

struct sink {
	unsigned int n;
	struct rst_record out[16];
};

static void collect(void *ctx, struct rst_record *r)
{
	struct sink *s = ctx;

	if (s->n < 16)
		s->out[s->n++] = *r;
}

static struct rst_record rec(uint8_t dir, const char *l, uint16_t lp,
			     const char *rm, uint16_t rp, uint32_t pid)
{
	struct rst_record r = {};

	r.ev.direction = dir;
	r.ev.family = AF_INET;
	r.ev.netns = 1;
	inet_pton(AF_INET, l, r.ev.laddr);
	inet_pton(AF_INET, rm, r.ev.raddr);
	r.ev.lport = lp;
	r.ev.rport = rp;
	r.ev.pid = pid;
	r.ev.owner_source = pid ? RST_OWNER_CONNECT : RST_OWNER_NONE;
	memcpy(r.ev.comm, pid == 1 ? "one" : "two", 4);
	return r;
}

#define MS 1000000ULL

UNIT_TEST(correlate_pairs_two_ends)
{
	struct sink s = {};
	struct correlator *c = correlator__new(100 * MS, 64, collect, &s);
	struct rst_record rx = rec(RST_DIR_RECEIVED, "127.0.0.1", 40000,
				   "127.0.0.1", 80, 1);
	struct rst_record tx = rec(RST_DIR_SENT, "127.0.0.1", 80, "127.0.0.1",
				   40000, 2);

	/* on loopback the receive is traced before the send */
	correlator__add(c, &rx, 0);
	correlator__flush(c, 1 * MS, false);
	CHECK_EQ_INT(s.n, 0); /* held for its other end */
	correlator__add(c, &tx, 2 * MS);
	correlator__flush(c, 2 * MS, false);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(s.out[0].ev.direction, RST_DIR_RECEIVED);
	CHECK(s.out[0].has_peer && s.out[0].peer_pid == 2);
	CHECK_EQ_STR((char *)s.out[0].peer_comm, "two");
	CHECK(s.out[1].has_peer && s.out[1].peer_pid == 1);
	correlator__free(c);
}

UNIT_TEST(correlate_unpaired_leave_in_order)
{
	struct sink s = {};
	struct correlator *c = correlator__new(100 * MS, 64, collect, &s);
	struct rst_record a = rec(RST_DIR_RECEIVED, "10.0.0.1", 1, "10.0.0.2",
				  2, 1);
	struct rst_record b = rec(RST_DIR_RECEIVED, "10.0.0.1", 3, "10.0.0.2",
				  4, 1);
	/* same direction, reversed tuple: not the two ends of one reset */
	struct rst_record d = rec(RST_DIR_RECEIVED, "10.0.0.2", 2, "10.0.0.1",
				  1, 2);

	correlator__add(c, &a, 0);
	correlator__add(c, &b, 10 * MS);
	correlator__add(c, &d, 20 * MS);
	CHECK_EQ_INT(correlator__next_due(c), 100 * MS);
	correlator__flush(c, 105 * MS, false);
	CHECK_EQ_INT(s.n, 1);
	correlator__flush(c, 0, true);
	CHECK_EQ_INT(s.n, 3);
	CHECK_EQ_INT(s.out[1].ev.lport, 3);
	CHECK(!s.out[0].has_peer && !s.out[2].has_peer);
	CHECK_EQ_INT(correlator__next_due(c), UINT64_MAX);
	correlator__free(c);
}

UNIT_TEST(correlate_merges_local_abort)
{
	struct sink s = {};
	struct correlator *c = correlator__new(100 * MS, 64, collect, &s);
	/* server: tcp_reset() without an RST, then its TCP_ABORT_ON_DATA */
	struct rst_record srx = rec(RST_DIR_RECEIVED, "127.0.0.1", 80,
				    "127.0.0.1", 40000, 2);
	struct rst_record stx = rec(RST_DIR_SENT, "127.0.0.1", 80, "127.0.0.1",
				    40000, 2);
	struct rst_record crx = rec(RST_DIR_RECEIVED, "127.0.0.1", 40000,
				    "127.0.0.1", 80, 1);

	srx.ev.sock_cookie = stx.ev.sock_cookie = 7;
	srx.ev.sk_flags = RST_SK_RCV_SHUTDOWN;
	srx.ev.state = 5;
	stx.ev.flags = RST_F_PASSIVE;
	stx.reason = "TCP_ABORT_ON_DATA";
	crx.ev.sock_cookie = 8;
	correlator__add(c, &srx, 0);
	correlator__add(c, &stx, 0);
	correlator__add(c, &crx, 0);
	correlator__flush(c, 1 * MS, false);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(s.out[0].ev.direction, RST_DIR_SENT);
	CHECK(s.out[0].has_peer && s.out[0].peer_pid == 1);
	CHECK_EQ_INT(s.out[1].ev.direction, RST_DIR_RECEIVED);
	CHECK_EQ_INT(s.out[1].ev.pid, 1);
	correlator__flush(c, 0, true);
	CHECK_EQ_INT(s.n, 2);
	correlator__free(c);
}

UNIT_TEST(correlate_full_ring_emits_oldest)
{
	struct sink s = {};
	struct correlator *c = correlator__new(100 * MS, 16, collect, &s);
	struct rst_record r = rec(RST_DIR_RECEIVED, "10.0.0.1", 1, "10.0.0.2",
				  2, 1);
	int i;

	for (i = 0; i < 17; i++) {
		r.ev.lport = i + 1;
		correlator__add(c, &r, 0);
	}
	CHECK_EQ_INT(s.n, 1);
	CHECK_EQ_INT(s.out[0].ev.lport, 1);
	correlator__free(c);
}

UNIT_TEST(correlate_held_seq)
{
	struct sink s = {};
	struct correlator *c = correlator__new(100 * MS, 16, collect, &s);
	struct rst_record a =
		rec(RST_DIR_RECEIVED, "10.0.0.1", 1, "10.0.0.2", 2, 1);
	struct rst_record b =
		rec(RST_DIR_RECEIVED, "10.0.0.1", 3, "10.0.0.2", 4, 1);
	unsigned int i;

	CHECK(correlator__held_seq(c) == UINT64_MAX);
	a.seq = 7;
	b.seq = 8;
	correlator__add(c, &a, 0);
	correlator__add(c, &b, 50 * MS);
	CHECK_EQ_INT(correlator__held_seq(c), 7);
	correlator__flush(c, 120 * MS, false);
	CHECK_EQ_INT(correlator__held_seq(c), 8);
	correlator__flush(c, 0, true);
	CHECK(correlator__held_seq(c) == UINT64_MAX);
	/* full: the oldest leaves early, and is no longer held */
	for (i = 0; i < 17; i++) {
		a.seq = 100 + i;
		a.ev.lport = 1000 + i;
		correlator__add(c, &a, 0);
	}
	CHECK_EQ_INT(correlator__held_seq(c), 101);
	correlator__free(c);
}
