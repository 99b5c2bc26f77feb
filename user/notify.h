/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The service manager's notifications (systemd's Type=notify): READY=1
 * once every program is attached and the existing sockets are seeded,
 * WATCHDOG=1 while the event loop runs (WatchdogSec=), STOPPING=1 at the
 * end. Through libsystemd's sd_notify(), loaded when $NOTIFY_SOCKET asks
 * for it; where it cannot be loaded (a static build, a host without
 * libsystemd0), the datagram is sent directly. Without $NOTIFY_SOCKET
 * everything here does nothing.
 */
#ifndef __NOTIFY_H
#define __NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct notify {
	bool on; /* $NOTIFY_SOCKET is set */
	int (*sd_notify)(int unset_environment, const char *state);
	char addr[108]; /* $NOTIFY_SOCKET, for the direct path */
	uint64_t watchdog_ns; /* how often WATCHDOG=1 is due; 0: never */
	uint64_t next_ns; /* the next one, CLOCK_BOOTTIME */
};

/* Before privileges are dropped: library and environment. */
void notify__open(struct notify *n);
/* One notification ("READY=1\nSTATUS=..."); 0 or -errno. */
int notify__send(struct notify *n, const char *state);
/* From the event loop: WATCHDOG=1 when it is due. */
void notify__tick(struct notify *n, uint64_t now_ns);

#endif /* __NOTIFY_H */
