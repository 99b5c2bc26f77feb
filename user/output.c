// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Where records go: stdout or -o's file, rotated and reopened. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "output.h"

/* while a write error is in force, how often the file is tried again */
#define RETRY_NS 100000000ULL

const char *output__name(const struct output *o)
{
	return o->path ? o->path : "stdout";
}

/*
 * Not through a symbolic link: with -Z the directory may be USER's, and
 * root must not be led to append to a file USER chose.
 */
static int open_path(const char *path, bool *created)
{
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	int fd = open(path, flags | O_CREAT | O_EXCL, 0640);

	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags);
	return fd;
}

/* @fd becomes the output; the header starts it if it is empty. */
static void take_fd(struct output *o, int fd)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;

	o->fd = fd;
	o->tail = 0;
	o->size = 0;
	o->is_file = !fstat(fd, &st) && S_ISREG(st.st_mode);
	if (o->is_file)
		o->size = (uint64_t)st.st_size;
	o->opened_size = o->size;
	if (o->size || !o->header.len || !o->is_file)
		return;
	while (off < o->header.len) {
		n = write(fd, o->header.data + off, o->header.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	/* a header the disk took only part of is no header */
	if (off < o->header.len && ftruncate(fd, 0) == 0)
		off = 0;
	o->size = o->opened_size = off;
}

int output__open(struct output *o, const char *path)
{
	bool created;
	int fd, err;

	o->path = path;
	if (!path) {
		take_fd(o, STDOUT_FILENO);
		return 0;
	}
	fd = open_path(path, &created);
	if (fd < 0) {
		err = errno;
		fprintf(stderr, "rsttrace: -o %s: %s\n", path,
			err == ELOOP ?
				"a symbolic link (not followed: give the "
				"file it points to)" :
				strerror(err));
		return -err;
	}
	take_fd(o, fd);
	o->created = created;
	return 0;
}

void output__set_header(struct output *o, const char *s, size_t len)
{
	o->header.len = 0;
	outbuf__put(&o->header, s, len);
}

int output__chown(struct output *o, uid_t uid, gid_t gid)
{
	if (!o->path || !o->is_file)
		return 0;
	return fchown(o->fd, uid, gid) ? -errno : 0;
}

/* The new file replaces the open one; the old one is closed. */
static int switch_to(struct output *o, const char *why)
{
	bool created;
	int fd = open_path(o->path, &created), old = o->fd;

	if (fd < 0) {
		fprintf(stderr,
			"rsttrace: cannot %s %s: %s; writing on to the file "
			"open before\n",
			why, o->path, strerror(errno));
		return -1;
	}
	take_fd(o, fd);
	close(old);
	return 0;
}

void output__reopen(struct output *o)
{
	/* a FIFO or a device is not rotated: reopening could block */
	if (!o->path || !o->is_file)
		return;
	o->retry_ns = 0;
	output__flush(o);
	if (!switch_to(o, "reopen"))
		o->rotate_failed = false;
}

/*
 * A new, empty FILE put in the open one's place with one rename, so that
 * FILE never goes missing (tail -F, a log shipper, a test may look at any
 * moment). It is made beside FILE as .NAME.new, hidden from globs on NAME*.
 */
static int swap_in_new(struct output *o)
{
	const char *base = strrchr(o->path, '/');
	char tmp[PATH_MAX];
	bool created;
	int fd, old = o->fd;

	base = base ? base + 1 : o->path;
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.new", (int)(base - o->path),
		     o->path, base) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(tmp); /* left by a crash: never appended to */
	fd = open_path(tmp, &created);
	if (fd < 0)
		return -1;
	if (rename(tmp, o->path)) {
		int err = errno;

		close(fd);
		unlink(tmp);
		errno = err;
		return -1;
	}
	take_fd(o, fd);
	close(old);
	return 0;
}

/*
 * FILE.N-1 -> FILE.N, ..., FILE -> FILE.1 (by a second link: FILE stays),
 * and a new FILE over the old name.
 */
static void rotate(struct output *o)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *bad = from;
	unsigned int i;

	for (i = o->keep; i >= 2; i--) {
		snprintf(from, sizeof(from), "%s.%u", o->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", o->path, i);
		if (rename(from, to) && errno != ENOENT)
			goto fail;
	}
	snprintf(from, sizeof(from), "%s", o->path);
	snprintf(to, sizeof(to), "%s.1", o->path);
	/* FILE.1 is still there when --output-keep is 1: it is the one dropped */
	if (unlink(to) && errno != ENOENT) {
		bad = to;
		goto fail;
	}
	if (link(from, to)) {
		/* a file system without hard links: FILE is missing a moment */
		if (rename(from, to))
			goto fail;
		if (switch_to(o, "rotate: open the new"))
			o->rotate_failed = true;
		return;
	}
	if (swap_in_new(o)) {
		fprintf(stderr,
			"rsttrace: cannot rotate %s: new file: %s; writing on "
			"past --output-max-size\n",
			o->path, strerror(errno));
		unlink(to); /* FILE.1 was only a second name of FILE */
		o->rotate_failed = true;
	}
	return;
fail:
	fprintf(stderr,
		"rsttrace: cannot rotate %s: %s: %s; writing on past "
		"--output-max-size\n",
		o->path, bad, strerror(errno));
	o->rotate_failed = true;
}

/* The next write's length: whole lines that keep the file within size. */
static size_t chunk_len(const struct output *o, size_t off)
{
	const char *p = o->buf.data + off, *nl;
	size_t n = o->buf.len - off, room;

	if (!o->max_size || !o->is_file || o->tail || o->rotate_failed ||
	    o->size + n <= o->max_size)
		return n;
	room = o->size < o->max_size ? o->max_size - o->size : 0;
	nl = room ? memrchr(p, '\n', room < n ? room : n) : NULL;
	if (nl)
		return (size_t)(nl - p) + 1;
	if (o->size > o->opened_size)
		return 0; /* rotate first */
	/* one record larger than the limit: a file of its own */
	nl = memchr(p, '\n', n);
	return nl ? (size_t)(nl - p) + 1 : n;
}

static void wrote(struct output *o, size_t off, size_t n)
{
	const char *p = o->buf.data + off;
	const char *nl = memrchr(p, '\n', n);

	o->size += n;
	o->tail = nl ? (size_t)(p + n - nl - 1) : o->tail + n;
}

/*
 * A line the file took only part of is taken back out, so that the file
 * holds whole lines: the rest of the buffer, and the line, are written
 * again later. Returns the new offset in the buffer.
 */
static size_t take_back(struct output *o, size_t off)
{
	struct stat st;

	if (!o->tail || o->tail > off || fstat(o->fd, &st) ||
	    (uint64_t)st.st_size < o->tail ||
	    ftruncate(o->fd, st.st_size - (off_t)o->tail))
		return off;
	/* without O_APPEND, the next write would leave a hole */
	lseek(o->fd, st.st_size - (off_t)o->tail, SEEK_SET);
	off -= o->tail;
	o->size -= o->tail;
	o->tail = 0;
	return off;
}

static void write_failed(struct output *o, int err)
{
	if (!o->err)
		fprintf(stderr,
			"rsttrace: cannot write to %s: %s; up to %u KiB of "
			"records are held until it can be written, and those "
			"past that counted\n",
			output__name(o), strerror(err), OUTPUT_HOLD >> 10);
	o->err = o->last_err = err;
	o->retry_ns = clock__boot_ns() + RETRY_NS;
}

static void recovered(struct output *o)
{
	fprintf(stderr,
		"rsttrace: writing to %s again; %llu records could not be "
		"written meanwhile\n",
		output__name(o), o->dropped_now);
	o->err = 0;
	o->dropped_now = 0;
}

/* Wait for a pipe's reader; 0 once it can take more. */
static void wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	poll(&p, 1, -1);
}

int output__flush(struct output *o)
{
	size_t off = 0, n;
	ssize_t w;

	if (o->err && clock__boot_ns() < o->retry_ns)
		return 0;
	while (off < o->buf.len && !o->closed) {
		n = chunk_len(o, off);
		if (!n) {
			rotate(o);
			continue;
		}
		w = write(o->fd, o->buf.data + off, n);
		if (w >= 0) {
			wrote(o, off, (size_t)w);
			off += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			wait_writable(o->fd);
			continue;
		}
		if (!o->is_file) {
			/* a pipe's reader is gone; anything else is an error */
			if (errno != EPIPE) {
				o->last_err = errno;
				fprintf(stderr,
					"rsttrace: cannot write to %s: %s\n",
					output__name(o), strerror(errno));
			}
			o->closed = true;
			break;
		}
		write_failed(o, errno);
		off = take_back(o, off);
		break;
	}
	if (o->closed) {
		o->buf.len = 0;
		return -EPIPE;
	}
	/* nothing written (and perhaps nothing ever held: data is NULL) */
	if (off) {
		memmove(o->buf.data, o->buf.data + off, o->buf.len - off);
		o->buf.len -= off;
	}
	if (o->err && !o->buf.len)
		recovered(o);
	return 0;
}

bool output__room(struct output *o)
{
	if (!o->err || o->buf.len < OUTPUT_HOLD)
		return true;
	o->dropped++;
	o->dropped_now++;
	return false;
}

void output__close(struct output *o)
{
	o->retry_ns = 0;
	output__flush(o);
	/* what the file never took is counted; the records are whole */
	if (o->buf.len) {
		const char *p = o->buf.data, *end = p + o->buf.len;

		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			o->dropped++;
			p++;
		}
		o->buf.len = 0;
	}
	if (o->path && o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	outbuf__free(&o->header);
}

void output__free(struct output *o)
{
	if (o->path && o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	outbuf__free(&o->header);
	outbuf__free(&o->buf);
}

bool output__end(struct output *o)
{
	if (!o->buf.oom)
		return true;
	o->buf.len = o->mark;
	o->buf.oom = false;
	if (o->mark && !output__flush(o) && o->buf.len < o->mark)
		return false;
	o->unwritten++;
	return true;
}

bool output__is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 &&
	       (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}
