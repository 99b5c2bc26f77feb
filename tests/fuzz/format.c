// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A ring buffer record as the formatters see it: the input is the raw
 * bytes BPF would submit (struct rst_event, or struct rst_stack_record
 * with --kstack), decoded by decode__record(); past a whole stack record,
 * NUL-separated names stand for what the identity stage and /run/netns
 * bring (cgroup path, netns name, namespace, pod, container), all outside
 * data. The record takes the reason and finish stages' path, then is
 * printed as a table (narrow, -w, -T) and as JSON (with and without
 * --kstack and --infer-reasons): every table line must be one line of
 * valid UTF-8 without control characters, every JSON line valid JSON.
 */
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "decode.h"
#include "format.h"
#include "fuzz.h"
#include "identity.h"
#include "infer.h"
#include "ksyms.h"

enum { X_CGROUP, X_NETNS, X_NAMESPACE, X_POD, X_CONTAINER, X_MAX };

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

/* The names past the stack record, as the identity stage would set them. */
static void extras(struct rst_record *r, struct rst_identity *id,
		   struct path_identity *pi, char **x)
{
	identity__parse_path(x[X_CGROUP], pi);
	memset(id, 0, sizeof(*id));
	id->cgroup = x[X_CGROUP];
	id->unit = or_null(pi->unit);
	id->container_id = or_null(pi->container_id);
	id->container_runtime = pi->runtime;
	id->pod_uid = or_null(pi->pod_uid);
	id->k8s_namespace = or_null(x[X_NAMESPACE]);
	id->pod = or_null(x[X_POD]);
	id->container = or_null(x[X_CONTAINER]);
	r->ident = id;
	r->netns_name = or_null(x[X_NETNS]);
}

/* The reason and finish stages, with the symbols of fuzz__ksyms(). */
static void stages(struct rst_record *r, bool force)
{
	const struct infer_opts o = {
		.reasons = fuzz__reasons(),
		.active_reasons = true,
		.force = force,
		.see_all_senders = true,
	};
	const char *frames[RST_KSTACK_MAX];
	uint64_t off;
	unsigned int i;

	for (i = 0; i < r->kstack_n; i++)
		frames[i] = ksyms__find(fuzz__ksyms(), r->kstack[i] - (i > 0),
					&off);
	infer__resolve(r, frames, r->kstack_n, &o);
	infer__finish(r, &o);
}

static void print(const struct rst_record *r, const struct fmt_opts *o,
		  struct outbuf *b)
{
	b->len = 0;
	format__table_header(b, o);
	format__table_record(b, r, o);
	if (!b->oom)
		fuzz__check_table_lines(b->data, b->len);
	b->len = 0;
	format__json_record(b, r, o);
	if (!b->oom)
		fuzz__check_json_lines(b->data, b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rst_clock clock = { 1764000000ll * 1000000000 };
	static struct rst_record r;
	struct path_identity pi;
	struct rst_identity id;
	struct outbuf b = {};
	char *x[X_MAX] = { "", "", "", "", "" }, *copy = NULL;
	struct fmt_opts o = { .clock = &clock };

	if (!decode__record(&r, data, size))
		return 0;
	if (size > sizeof(struct rst_stack_record)) {
		fuzz__split(data + sizeof(struct rst_stack_record),
			    size - sizeof(struct rst_stack_record), '\0', x,
			    X_MAX, &copy);
		extras(&r, &id, &pi, x);
	}
	/* pad2, which BPF leaves 0, says --infer-reasons */
	stages(&r, r.ev.pad2 & 1);
	print(&r, &o, &b);
	o.wide = true;
	o.kernel_reason = true;
	print(&r, &o, &b);
	o.timestamp = true;
	o.ksyms = fuzz__ksyms();
	print(&r, &o, &b);
	outbuf__free(&b);
	free(copy);
	return 0;
}
