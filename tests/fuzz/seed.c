// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What seeding reads from the kernel: the input is taken as one read of
 * a sock_diag dump (netlink messages), as the text of /proc/PID/stat and
 * as an fd link, and its bytes as the holders of a socket to pick an
 * owner among. The dump is taken for the request whose sequence number
 * its first message carries, so that mutations reach the messages.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include "fuzz.h"
#include "seed.h"

/* 64 KiB: the buffer seeding reads a dump into */
#define NLBUF_SIZE (64 * 1024)

struct count {
	size_t socks;
	unsigned long long inodes;
};

static int on_sock(void *ctx, const struct inet_diag_msg *m)
{
	struct count *c = ctx;

	c->socks++;
	c->inodes += m->idiag_inode; /* read it all: ASan checks the size */
	return m->idiag_state == 0xff ? -12 : 0;
}

static void diag(const uint8_t *data, size_t size)
{
	static uint32_t buf[NLBUF_SIZE / 4]; /* aligned, as recvmsg()'s */
	struct count c = {};
	uint32_t seq = 1;
	int ret;

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	if (size >= sizeof(struct nlmsghdr))
		seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	ret = seed__parse_diag(buf, size, seq, on_sock, &c);
	if (ret > 1)
		abort();
}

static void proc(const uint8_t *data, size_t size)
{
	struct seed_procstat ps;
	char *s = malloc(size + 1);

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!seed__parse_stat(s, &ps) &&
	    (ps.ppid < 0 || ps.comm[sizeof(ps.comm) - 1]))
		abort();
	seed__parse_sock_link(s);
	free(s);
}

static void pick(const uint8_t *data, size_t size)
{
	struct seed_holder h[16];
	size_t n = size / sizeof(h[0]);
	int i;

	if (n > 16)
		n = 16;
	memcpy(h, data, n * sizeof(h[0]));
	i = seed__pick_owner(size ? data[0] : 0, h, n);
	if (n ? i < 0 || (size_t)i >= n : i != -1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag(data, size);
	proc(data, size);
	pick(data, size);
	return 0;
}
