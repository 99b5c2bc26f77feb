/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __SELECTOR_H
#define __SELECTOR_H

#include <stddef.h>
#include <stdint.h>

struct rst_config;

/*
 * --unit, --container or --pod as the one cgroup the kernel filters by
 * (like -c): the cgroup of that unit, container or pod as it is now.
 * Returns 0 with *@id set (or nothing to do: *@id untouched), or -1 with a
 * message naming the value in @err: none found, or more than one.
 */
int selector__resolve(const struct rst_config *cfg, uint64_t *id,
		      char *path, size_t pathlen, char *err, size_t errlen);

#endif /* __SELECTOR_H */
