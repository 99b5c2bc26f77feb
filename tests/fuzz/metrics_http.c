// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The --metrics server: the input is what a client sends. One real
 * server (libmicrohttpd with rsttrace's handler, metrics_http.c) listens
 * on 127.0.0.1 for the whole run; each input is sent on a new
 * connection, followed by an empty line (without it, most inputs are a
 * request still coming, which the server rightly waits 10 s for), and
 * the answer is read until the server closes or falls silent. The input
 * is also tried as a --metrics address (metrics_server__check()) and as a
 * label value, whose rendering must stay inside its quotes and be UTF-8
 * (control characters but newline pass as they are: metrics.c).
 *
 * libmicrohttpd itself is Debian's, not instrumented: its parser runs on
 * every input but guides the fuzzer only through what reaches our
 * handler. Its thread is this process's: a fault there is this input's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "fuzz.h"
#include "metrics.h"
#include "metrics_http.h"

/*
 * How long to wait for the answer to begin, then for the rest of one
 * whose length is not known. Most answers say their length, and the
 * server may keep the connection open after them (keep-alive).
 */
#define REPLY_FIRST_MS 500
#define REPLY_MORE_MS 20

static struct metrics *metrics;
static struct metrics_server *server;
static struct sockaddr_in addr;

/* A registry with a series of hostile labels, as a comm can bring. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct metrics_labels l = {
		.direction = "sent",
		.reason = "NO_SOCKET",
		.cause_class = "refused",
		.comm = "a\"b\\c\n\xff",
		.port = 8080,
		.pod = "web-0",
	};
	char err[256];

	metrics = metrics__new(50);
	if (!metrics)
		abort();
	metrics__count_reset(metrics, &l);
	metrics__set_totals(metrics, 1, 0, 0);
	server = metrics_server__start("127.0.0.1:0", metrics, err,
				       sizeof(err));
	if (!server) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons(metrics_server__port(server));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

static void send_all(int fd, const void *p, size_t size)
{
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		n = send(fd, (const char *)p + off, size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the server closed: it refused the request */
		off += (size_t)n;
	}
}

/* Whether @r[0..@n) holds a whole answer: headers, then Content-Length. */
static bool reply_complete(const char *r, size_t n)
{
	const char *end = memmem(r, n, "\r\n\r\n", 4);
	const char *cl;
	size_t head;

	if (!end)
		return false;
	head = (size_t)(end - r) + 4;
	cl = memmem(r, head, "\r\nContent-Length: ", 18);
	return cl && n - head >= strtoul(cl + 18, NULL, 10);
}

/*
 * Connect to the server. A signal (libFuzzer's timers) may interrupt a
 * blocking connect(), which then goes on by itself: wait for it.
 */
static int connect_server(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return 0;
	if (errno != EINTR)
		return -1;
	while (poll(&pfd, 1, REPLY_FIRST_MS) < 0 && errno == EINTR)
		;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		errno = err ?: errno;
		return -1;
	}
	return 0;
}

static void request(const uint8_t *data, size_t size)
{
	struct pollfd pfd = { .events = POLLIN };
	int wait_ms = REPLY_FIRST_MS;
	static char reply[64 * 1024];
	size_t len = 0;
	ssize_t n;

	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (pfd.fd < 0)
		abort();
	if (connect_server(pfd.fd)) {
		perror("fuzz: connect");
		abort(); /* the server is gone, or no longer accepts */
	}
	send_all(pfd.fd, data, size);
	send_all(pfd.fd, "\r\n\r\n", 4);
	shutdown(pfd.fd, SHUT_WR);
	while (len < sizeof(reply) - 1 && poll(&pfd, 1, wait_ms) > 0) {
		n = recv(pfd.fd, reply + len, sizeof(reply) - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		/* the first answer is enough: pipelined ones may follow */
		if (reply_complete(reply, len))
			break;
		wait_ms = REPLY_MORE_MS;
	}
	close(pfd.fd);
}

static void label(const char *s)
{
	struct outbuf b = {};
	size_t i;

	metrics__put_label_value(&b, s);
	if (b.oom)
		goto out;
	fuzz__require(fuzz__utf8(b.data, b.len), "label: invalid UTF-8",
		      b.data, b.len);
	for (i = 0; i < b.len; i++) {
		if (b.data[i] == '\\') {
			i++; /* an escape: \\, \" or \n */
			fuzz__require(i < b.len && strchr("\\\"n", b.data[i]),
				      "label: bad escape", b.data, b.len);
			continue;
		}
		fuzz__require(b.data[i] != '"' && b.data[i] != '\n',
			      "label: leaves its quotes", b.data, b.len);
	}
out:
	outbuf__free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	metrics_server__check(s, why, sizeof(why));
	label(s);
	free(s);
	request(data, size);
	/* as the event loop does, here while MHD's thread may hold the list */
	metrics_server__reap(server);
	return 0;
}
