// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* sd_notify for Type=notify units: see notify.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#ifndef RST_STATIC
#include <dlfcn.h>
#endif
#include "clock.h"
#include "notify.h"

#define LIBSYSTEMD_SONAME "libsystemd.so.0"

/*
 * libsystemd is loaded, not linked: it brings libgcrypt, liblz4, liblzma
 * and libzstd into every run, service or not.
 */
static void load_libsystemd(struct notify *n)
{
#ifndef RST_STATIC
	void *h = dlopen(LIBSYSTEMD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h)
		n->sd_notify =
			(int (*)(int, const char *))dlsym(h, "sd_notify");
#endif
}

/*
 * $WATCHDOG_USEC, when $WATCHDOG_PID is unset or ours (what
 * sd_watchdog_enabled() checks): pinged at half the period.
 */
static uint64_t watchdog_period(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid) {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno || *end || v != (unsigned long long)getpid())
			return 0;
	}
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || !v || v > UINT64_MAX / 1000)
		return 0;
	return v * 1000 / 2;
}

void notify__open(struct notify *n)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	memset(n, 0, sizeof(*n));
	if (!sock || !*sock || strlen(sock) >= sizeof(n->addr))
		return;
	n->on = true;
	snprintf(n->addr, sizeof(n->addr), "%s", sock);
	load_libsystemd(n);
	n->watchdog_ns = watchdog_period();
	n->next_ns = clock__boot_ns() + n->watchdog_ns;
}

/* The protocol, for when libsystemd is not there: one datagram. */
static int send_direct(const struct notify *n, const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(n->addr);
	socklen_t salen;
	int fd, err = 0;

	if (n->addr[0] != '/' && n->addr[0] != '@')
		return -EAFNOSUPPORT;
	memcpy(sa.sun_path, n->addr, len);
	if (sa.sun_path[0] == '@') /* abstract namespace */
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, salen) < 0)
		err = -errno;
	close(fd);
	return err;
}

int notify__send(struct notify *n, const char *state)
{
	int err;

	if (!n->on)
		return 0;
	if (n->sd_notify) {
		err = n->sd_notify(0, state);
		return err < 0 ? err : 0;
	}
	return send_direct(n, state);
}

void notify__tick(struct notify *n, uint64_t now_ns)
{
	if (!n->on || !n->watchdog_ns || now_ns < n->next_ns)
		return;
	n->next_ns = now_ns + n->watchdog_ns;
	notify__send(n, "WATCHDOG=1");
}
