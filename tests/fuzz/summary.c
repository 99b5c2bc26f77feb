// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --summary: the input's first byte picks --by (comm, unit, pod), then
 * come records, each a struct rst_event's bytes followed by its cause
 * (as many bytes as struct rst_record holds, not NUL-terminated when the
 * input says so) and one byte of cause_stem. The unit is the event's
 * comm, the namespace and pod its port_comm and port_prev_comm: names
 * with any bytes. Each interval is printed as a table and as JSON, both
 * checked, then counted again after summary__reset().
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "summary.h"

#define CAUSE_LEN sizeof(((struct rst_record *)0)->cause)
#define CHUNK (sizeof(struct rst_event) + CAUSE_LEN + 1)
#define NAME_LEN (RST_COMM_LEN + 1)

struct names {
	char unit[NAME_LEN], ns[NAME_LEN], pod[NAME_LEN];
};

static void record(struct rst_record *r, struct rst_identity *id,
		   struct names *nm, const uint8_t *p)
{
	memset(r, 0, sizeof(*r));
	memcpy(&r->ev, p, sizeof(r->ev));
	memcpy(r->cause, p + sizeof(r->ev), CAUSE_LEN);
	r->cause_stem = p[sizeof(r->ev) + CAUSE_LEN];
	r->drop = r->ev.pad2 & 1;
	memcpy(nm->unit, r->ev.comm, RST_COMM_LEN);
	memcpy(nm->ns, r->ev.port_comm, RST_COMM_LEN);
	memcpy(nm->pod, r->ev.port_prev_comm, RST_COMM_LEN);
	nm->unit[RST_COMM_LEN] = nm->ns[RST_COMM_LEN] =
		nm->pod[RST_COMM_LEN] = '\0';
	memset(id, 0, sizeof(*id));
	id->unit = nm->unit[0] ? nm->unit : NULL;
	id->k8s_namespace = nm->ns[0] ? nm->ns : NULL;
	id->pod = nm->pod[0] ? nm->pod : NULL;
	r->ident = r->ev.pad2 & 2 ? NULL : id;
}

static void print(struct summary *s, struct outbuf *b)
{
	b->len = 0;
	summary__print_table(s, b, "2026-12-07 19:00:00");
	if (!b->oom)
		fuzz__check_table_lines(b->data, b->len);
	b->len = 0;
	summary__print_json(s, b, "2026-12-07T19:00:00.000000000Z", 10.0);
	if (!b->oom)
		fuzz__check_json_lines(b->data, b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rst_record r;
	struct rst_identity id;
	struct outbuf b = {};
	struct names nm;
	struct summary *s;
	uint64_t counted = 0;
	size_t off;
	int round;

	if (!size)
		return 0;
	s = summary__new_by((enum rst_summary_by)(data[0] % 3));
	if (!s)
		return 0;
	for (round = 0; round < 2; round++) {
		counted = 0;
		for (off = 1; off + CHUNK <= size; off += CHUNK) {
			record(&r, &id, &nm, data + off);
			summary__add(s, &r);
			counted += !r.drop;
		}
		if (summary__total(s) != counted)
			abort();
		if (summary__nrows(s) > counted)
			abort();
		print(s, &b);
		summary__reset(s);
		if (summary__total(s) || summary__nrows(s))
			abort();
	}
	print(s, &b);
	outbuf__free(&b);
	summary__free(s);
	return 0;
}
