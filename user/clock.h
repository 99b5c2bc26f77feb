/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __CLOCK_H
#define __CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Converts the kernel's event timestamps (CLOCK_BOOTTIME, as
 * bpf_ktime_get_boot_ns() reads it) into wall-clock time. The offset is
 * refreshed periodically so that clock steps (NTP) are followed.
 */
struct rst_clock {
	int64_t boot_to_real_ns;
};

void clock__refresh(struct rst_clock *c);
uint64_t clock__boot_ns(void);
struct timespec clock__to_real(const struct rst_clock *c, uint64_t boot_ns);

#endif /* __CLOCK_H */
