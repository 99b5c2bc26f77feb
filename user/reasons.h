/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __REASONS_H
#define __REASONS_H

#include <stdint.h>

struct btf;

/*
 * Names of the running kernel's enum sk_rst_reason, read from its BTF: the
 * numbers differ between kernel versions, so no table is compiled in.
 */
struct reasons {
	unsigned int n;
	struct reason_name {
		uint32_t value;
		char *name; /* without the SK_RST_REASON_ prefix */
	} *names;
};

/* 0 when loaded, -ENOENT when this kernel has no such enum. */
int reasons__load(struct reasons *r, const struct btf *btf);
/* Add one name; used by reasons__load() and by tests. */
int reasons__add(struct reasons *r, uint32_t value, const char *full_name);
const char *reasons__name(const struct reasons *r, uint32_t value);
void reasons__free(struct reasons *r);

#endif /* __REASONS_H */
