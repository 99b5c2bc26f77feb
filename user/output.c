// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output.h"

int output__flush(struct output *o)
{
	size_t off = 0;
	ssize_t n;

	while (off < o->buf.len && !o->closed) {
		n = write(o->fd, o->buf.data + off, o->buf.len - off);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd p = { .fd = o->fd, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		o->closed = true;
	}
	o->buf.len = 0;
	return o->closed ? -EPIPE : 0;
}

bool output__end(struct output *o)
{
	if (!o->buf.oom)
		return true;
	o->buf.len = o->mark;
	o->buf.oom = false;
	if (o->mark && !output__flush(o))
		return false;
	o->unwritten++;
	return true;
}

bool output__is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) ||
				       S_ISSOCK(st.st_mode));
}
