// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "clock.h"

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

uint64_t clock__boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts_ns(&ts);
}

void clock__refresh(struct rst_clock *c)
{
	struct timespec b1, r, b2;

	/* bracket the realtime read to halve the sampling error */
	clock_gettime(CLOCK_BOOTTIME, &b1);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b2);
	c->boot_to_real_ns = ts_ns(&r) - (ts_ns(&b1) + ts_ns(&b2)) / 2;
}

struct timespec clock__to_real(const struct rst_clock *c, uint64_t boot_ns)
{
	struct timespec ts;
	int64_t ns;

	/*
	 * A record's boot time comes from BPF: a value past what int64_t
	 * holds (no clock reads that, but a record can say so) must not
	 * overflow, undefined behaviour. It reads as the last time there is.
	 */
	if (boot_ns > (uint64_t)INT64_MAX ||
	    __builtin_add_overflow((int64_t)boot_ns, c->boot_to_real_ns, &ns))
		ns = INT64_MAX;
	ts.tv_sec = ns / 1000000000LL;
	ts.tv_nsec = ns % 1000000000LL;
	return ts;
}
