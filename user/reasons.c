// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "reasons.h"

#define PREFIX "SK_RST_REASON_"

int reasons__add(struct reasons *r, uint32_t value, const char *full_name)
{
	struct reason_name *p;
	const char *name = full_name;

	if (!strncmp(name, PREFIX, strlen(PREFIX)))
		name += strlen(PREFIX);
	p = realloc(r->names, (r->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->names = p;
	p[r->n].value = value;
	p[r->n].name = strdup(name);
	if (!p[r->n].name)
		return -ENOMEM;
	r->n++;
	return 0;
}

int reasons__load(struct reasons *r, const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i, err;

	memset(r, 0, sizeof(*r));
	id = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		err = reasons__add(r, (uint32_t)e->val,
				   btf__name_by_offset(btf, e->name_off));
		if (err)
			return err;
	}
	return 0;
}

const char *reasons__name(const struct reasons *r, uint32_t value)
{
	unsigned int i;

	/* values are dense from 0 in every kernel so far */
	if (value < r->n && r->names[value].value == value)
		return r->names[value].name;
	for (i = 0; i < r->n; i++)
		if (r->names[i].value == value)
			return r->names[i].name;
	return NULL;
}

void reasons__free(struct reasons *r)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		free(r->names[i].name);
	free(r->names);
	memset(r, 0, sizeof(*r));
}
