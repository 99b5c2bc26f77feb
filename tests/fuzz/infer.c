// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Inference from an event BPF could submit: the input is a struct
 * rst_event's bytes, then the function names of its kernel stack, one a
 * line (innermost first). Every answer must be a string of the promised
 * shape: a reason name, a cause that fits its buffer, a class, an errno.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "infer.h"

#define MAX_FRAMES RST_KSTACK_MAX

static void check_name(const char *s)
{
	size_t i;

	if (!s)
		return;
	if (!*s)
		abort();
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			abort();
}

static void check_record(const struct rst_record *r)
{
	size_t n = strnlen(r->cause, sizeof(r->cause));
	char small[8];

	if (n == sizeof(r->cause))
		abort(); /* not NUL-terminated */
	if (r->cause_stem > n)
		abort();
	check_name(r->reason);
	check_name(r->kernel_reason);
	check_name(r->errno_name);
	if (!infer__cause_class(r))
		abort();
	check_name(infer__errno(r));
	infer__cause(r, small, sizeof(small));
	if (strnlen(small, sizeof(small)) == sizeof(small))
		abort();
	infer__cause(r, small, 1);
	if (small[0])
		abort();
}

static void run(const struct rst_event *e, const char *const *frames,
		unsigned int n, const struct infer_opts *o)
{
	struct rst_record r;
	struct port_change pc;

	memset(&r, 0, sizeof(r));
	r.ev = *e;
	/* a peer traced on this host, as correlation would find it */
	r.has_peer = e->pad2 & 1;
	r.paired = e->pad2 & 2;
	r.peer_pid = e->port_pid;
	memcpy(r.peer_comm, e->port_comm, sizeof(r.peer_comm));
	infer__resolve(&r, frames, n, o);
	infer__finish(&r, o);
	check_record(&r);
	infer__maybe_local_abort(&r);
	infer__unsent_by_tcp(&r);
	infer__port_change(e, &pc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct infer_opts o = { .reasons = fuzz__reasons() };
	char *frames[MAX_FRAMES], *copy = NULL;
	struct rst_event e;
	unsigned int n = 0;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (size > sizeof(e))
		n = fuzz__split(data + sizeof(e), size - sizeof(e), '\n',
				frames, MAX_FRAMES, &copy);
	check_name(infer__reason(&e, (const char *const *)frames, n));
	run(&e, (const char *const *)frames, n, &o);
	o.active_reasons = true;
	o.see_all_senders = true;
	run(&e, (const char *const *)frames, n, &o);
	o.force = true;
	run(&e, (const char *const *)frames, n, &o);
	o.reasons = NULL; /* a kernel without enum sk_rst_reason */
	o.force = false;
	o.active_reasons = false;
	run(&e, (const char *const *)frames, n, &o);
	free(copy);
	return 0;
}
