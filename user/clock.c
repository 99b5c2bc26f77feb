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
	int64_t ns = (int64_t)boot_ns + c->boot_to_real_ns;
	struct timespec ts = {
		.tv_sec = ns / 1000000000LL,
		.tv_nsec = ns % 1000000000LL,
	};

	return ts;
}
