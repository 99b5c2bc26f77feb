// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "decode.h"

bool decode__record(struct rst_record *r, const void *data, size_t size)
{
	const struct rst_stack_record *sr = data;

	if (size < sizeof(r->ev))
		return false;
	memset(r, 0, sizeof(*r));
	memcpy(&r->ev, data, sizeof(r->ev));
	/* the frames are read here, once, for inference and the sinks */
	if (size >= sizeof(*sr) && r->ev.kstack_n <= RST_KSTACK_MAX) {
		r->kstack_n = r->ev.kstack_n;
		memcpy(r->kstack, sr->kstack,
		       r->kstack_n * sizeof(r->kstack[0]));
	}
	return true;
}
