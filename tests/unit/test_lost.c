// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The lost-reset reports, against a real BPF hash map (needs CAP_BPF). */
#include <unistd.h>
#include <bpf/bpf.h>
#include "unit.h"
#include "lost.h"
#include "tables.h"

struct seen {
	unsigned int n, unkeyed;
	uint64_t count, total;
	uint16_t last_lport;
};

static void tally(void *ctx, const struct lost_report *r)
{
	struct seen *s = ctx;

	s->n++;
	s->count += r->count;
	s->total = r->total;
	if (!r->key)
		s->unkeyed++;
	else
		s->last_lport = r->key->lport;
}

static void put(int fd, uint16_t lport, uint64_t count)
{
	struct rst_lost_key k = { .lport = lport, .direction = RST_DIR_SENT };
	struct rst_lost_val v = { .count = count };

	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

UNIT_TEST(lost_reports_what_is_new)
{
	struct seen s = {};
	struct lost *l = lost__new();
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "lost_test",
				sizeof(struct rst_lost_key),
				sizeof(struct rst_lost_val), 16, NULL);

	CHECK(l != NULL);
	if (fd < 0 || !l) {
		fprintf(stderr, "  (no BPF map: not root?)\n");
		CHECK(fd >= 0);
		lost__free(l);
		return;
	}
	CHECK_EQ_INT(lost__collect(l, fd, 0, tally, &s), 0);
	put(fd, 80, 5);
	put(fd, 443, 2);
	CHECK_EQ_INT(lost__collect(l, fd, 0, tally, &s), 2);
	CHECK_EQ_INT(s.count, 7);
	CHECK_EQ_INT(s.total, 7);
	/* only what grew is reported again, by its growth */
	memset(&s, 0, sizeof(s));
	put(fd, 443, 6);
	CHECK_EQ_INT(lost__collect(l, fd, 3, tally, &s), 2);
	CHECK_EQ_INT(s.count, 4 + 3);
	CHECK_EQ_INT(s.unkeyed, 1);
	CHECK_EQ_INT(s.total, 14);
	CHECK_EQ_INT(lost__total(l), 14);
	/* nothing new: nothing reported */
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(lost__collect(l, fd, 3, tally, &s), 0);
	close(fd);
	lost__free(l);
}

UNIT_TEST(tables_evicted)
{
	struct table_use u = { .put = 100, .deleted = 30, .live = 50 };

	CHECK_EQ_INT(tables__evicted(&u), 20);
	u.live = 90; /* counted while still written: never negative */
	CHECK_EQ_INT(tables__evicted(&u), 0);
}

UNIT_TEST(tables_sizes)
{
	struct table_sizes ts;

	tables__size(&ts, 64, false, false);
	CHECK_EQ_INT(ts.tw_owners, 64);
	CHECK_EQ_STR(ts.tw_from, "--tw-owners");
	CHECK_EQ_INT(ts.accepts, 1);
	CHECK_EQ_INT(ts.owners_by_sk, 1);
	tables__size(&ts, 0, true, true);
	CHECK(ts.tw_owners >= 16384);
	CHECK(ts.accepts >= 16384 && ts.accepts <= 256 * 1024);
	CHECK(ts.owners_by_sk >= 65536);
	CHECK(ts.listeners > 1);
}
