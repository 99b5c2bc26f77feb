/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __HASH_H
#define __HASH_H

#include <stdint.h>

/*
 * One step of the hash the user-space tables share: fold @v into @h.
 * Their keys are rsttrace's own (ids, ports, pointers); names from other
 * users go through metrics.c's keyed SipHash instead.
 */
static inline uint64_t hash__mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

#endif /* __HASH_H */
