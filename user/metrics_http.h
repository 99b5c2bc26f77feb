/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --metrics: an HTTP server for Prometheus (libmicrohttpd, on a thread of
 * its own). GET or HEAD /metrics is the exposition of struct metrics, GET
 * / a line pointing there; other paths are 404, other methods 405, and a
 * request with a body is refused (413). The server's thread reads
 * nothing but struct metrics (metrics__render()). Its error log goes to
 * stderr, each line prefixed "rsttrace: metrics: ".
 */
#ifndef __METRICS_HTTP_H
#define __METRICS_HTTP_H

#include <stddef.h>
#include "metrics.h"

struct metrics_server;

/*
 * @listen: "PORT", "ADDR:PORT", "[IPv6]:PORT" (ADDR numeric: 127.0.0.1,
 * 0.0.0.0, ::1, ::). "PORT" and ":PORT" are every address, IPv6 and
 * IPv4 ("::" dual stack, or 0.0.0.0 where the kernel has no IPv6); "[::]"
 * takes IPv4 too. Returns NULL with a message naming the bad value or the
 * bind error (e.g. "rsttrace: --metrics 127.0.0.1:9: cannot listen:
 * Address already in use") in @err. Port 0 picks a free port.
 *
 * The server's thread has every signal blocked, so that signals go to
 * the caller's threads, and SIGPIPE, should a send raise one, stays
 * pending there rather than kill the process.
 */
struct metrics_server *metrics_server__start(const char *listen,
					     struct metrics *m, char *err,
					     size_t errlen);
/* the port actually bound (for port 0) */
/* Whether @listen is an address start() takes: 0, or -EINVAL with why. */
int metrics_server__check(const char *listen, char *why, size_t whylen);
unsigned int metrics_server__port(const struct metrics_server *s);
/*
 * Shuts down the connections that have had no answer within 10 s of
 * their accept or their previous answer (MHD's own timeout is of
 * silence, which a client trickling bytes never reaches). Once a second,
 * from the event loop: it never waits for the server's thread, and
 * leaves it to the next call when that holds the list. NULL is fine.
 */
void metrics_server__reap(struct metrics_server *s);
/* Closes the connections and joins the thread; NULL is fine. */
void metrics_server__stop(struct metrics_server *s);

#endif /* __METRICS_HTTP_H */
