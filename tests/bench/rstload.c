// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * rstload: the load generator of "make bench" (scripts/bench.py).
 *
 *   rstload storm [-t THREADS] [-n RESETS] [-a ABORT_PERCENT]
 *	RESETS TCP resets on loopback as fast as THREADS threads make them:
 *	connects to a closed port (refused: one reset sent by the kernel for
 *	the port, one received by the connecting socket) and, ABORT_PERCENT of
 *	the time, established connections closed with SO_LINGER 0 (aborted:
 *	one reset sent by the client, one received by the accepted socket).
 *   rstload churn [-t THREADS] [-d SECONDS]
 *	connect/accept/write/read/close cycles for SECONDS: no reset at all,
 *	only the state changes every connection goes through.
 *
 * Prints one JSON line with the counts, the ports used and the rate.
 * Each thread owns its listener and both ends of its connections, so
 * that no thread waits for another and the rate is the kernel's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
/*
 * Source addresses 127.0.T.1..SRC_ADDRS: the churn's TIME_WAIT sockets
 * would otherwise use up the ephemeral ports of one address pair.
 */
#define SRC_ADDRS 250

struct worker {
	pthread_t thread;
	unsigned int id;
	bool churn;
	uint64_t todo; /* storm: resets to make */
	unsigned int abort_pct;
	double deadline; /* churn: CLOCK_MONOTONIC seconds */
	uint16_t closed_port; /* network order */
	int listener;
	struct sockaddr_in laddr;
	uint64_t refused, aborted, cycles, failed;
	int first_errno;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void failure(struct worker *w, int err)
{
	if (!w->failed++)
		w->first_errno = err;
}

static int client_socket(struct worker *w, uint64_t n)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* the port is picked at connect() against the full 4-tuple */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	src.sin_addr.s_addr =
		htonl(0x7f000000u | (w->id + 1) << 8 | (1 + n % SRC_ADDRS));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* connect() and accept() both ends of a connection; 0 or an errno */
static int open_pair(struct worker *w, uint64_t n, int *cfd, int *afd)
{
	int err;

	*cfd = client_socket(w, n);
	if (*cfd < 0)
		return errno;
	if (connect(*cfd, (struct sockaddr *)&w->laddr, sizeof(w->laddr)))
		goto fail;
	*afd = accept4(w->listener, NULL, NULL, SOCK_CLOEXEC);
	if (*afd < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	close(*cfd);
	return err;
}

static void storm_refuse(struct worker *w, uint64_t n)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = w->closed_port,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = client_socket(w, n);

	if (fd < 0) {
		failure(w, errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0)
		failure(w, EISCONN);
	else if (errno == ECONNREFUSED)
		w->refused++;
	else
		failure(w, errno);
	close(fd);
}

static void storm_abort(struct worker *w, uint64_t n)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int cfd, afd, err;

	err = open_pair(w, n, &cfd, &afd);
	if (err) {
		failure(w, err);
		return;
	}
	/* close() with SO_LINGER 0 aborts: a reset instead of a FIN */
	if (setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		failure(w, errno);
	else
		w->aborted++;
	close(cfd);
	close(afd);
}

static void churn_cycle(struct worker *w, uint64_t n)
{
	char buf[64] = "GET / HTTP/1.0\r\n\r\n";
	int cfd, afd, err;

	err = open_pair(w, n, &cfd, &afd);
	if (err) {
		failure(w, err);
		return;
	}
	if (write(cfd, buf, sizeof(buf)) != sizeof(buf) ||
	    read(afd, buf, sizeof(buf)) <= 0) {
		failure(w, errno ? errno : EIO);
		close(cfd);
		close(afd);
		return;
	}
	/* an orderly close from both ends: FIN, FIN, TIME_WAIT */
	close(cfd);
	if (read(afd, buf, sizeof(buf)) != 0)
		failure(w, errno ? errno : EPROTO);
	else
		w->cycles++;
	close(afd);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t n;

	if (w->churn) {
		for (n = 0;; n++) {
			/* the clock is read every 64 cycles, not every one */
			if (!(n & 63) && now_s() >= w->deadline)
				break;
			churn_cycle(w, n);
		}
		return NULL;
	}
	for (n = 0; n < w->todo; n++) {
		/* spread evenly: ABORT_PERCENT of every hundred */
		if (n % 100 < w->abort_pct)
			storm_abort(w, n);
		else
			storm_refuse(w, n);
	}
	return NULL;
}

static int listen_any(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd;

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)addr, &len)) {
		perror("rstload: listener on 127.0.0.1");
		exit(1);
	}
	return fd;
}

/* A loopback port that nothing listens on: bound, then released. */
static uint16_t closed_port(void)
{
	struct sockaddr_in a;
	int fd = listen_any(&a);

	close(fd);
	return a.sin_port;
}

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "rstload: invalid %s '%s' (want %lu to %lu)\n",
			opt, s, min, max);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rstload storm [-t THREADS] [-n RESETS] [-a ABORT_PERCENT]\n"
		"       rstload churn [-t THREADS] [-d SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	unsigned long threads = 4, resets = 200000, abort_pct = 50;
	unsigned long seconds = 5;
	uint64_t refused = 0, aborted = 0, cycles = 0, failed = 0;
	int first_errno = 0, opt;
	uint16_t port;
	double t0, t1;
	bool churn;
	unsigned long i;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "storm"))
		churn = false;
	else if (!strcmp(argv[1], "churn"))
		churn = true;
	else
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "t:n:a:d:")) != -1) {
		switch (opt) {
		case 't':
			threads = parse_num("thread count", optarg, 1,
					    MAX_THREADS);
			break;
		case 'n':
			resets =
				parse_num("reset count", optarg, 1, 1000000000);
			break;
		case 'a':
			abort_pct =
				parse_num("abort percentage", optarg, 0, 100);
			break;
		case 'd':
			seconds = parse_num("duration", optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	port = closed_port();
	t0 = now_s();
	for (i = 0; i < threads; i++) {
		w[i].id = i;
		w[i].churn = churn;
		w[i].abort_pct = abort_pct;
		w[i].closed_port = port;
		w[i].deadline = t0 + seconds;
		/* the remainder goes to the first threads */
		w[i].todo = resets / threads + (i < resets % threads);
		w[i].listener = listen_any(&w[i].laddr);
	}
	t0 = now_s();
	for (i = 0; i < threads; i++) {
		if (pthread_create(&w[i].thread, NULL, worker_run, &w[i])) {
			fprintf(stderr, "rstload: cannot start thread %lu\n",
				i);
			return 1;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		refused += w[i].refused;
		aborted += w[i].aborted;
		cycles += w[i].cycles;
		if (w[i].failed && !failed)
			first_errno = w[i].first_errno;
		failed += w[i].failed;
	}
	t1 = now_s();

	printf("{\"mode\":\"%s\",\"threads\":%lu,\"seconds\":%.6f,"
	       "\"closed_port\":%u,\"listen_ports\":[",
	       churn ? "churn" : "storm", threads, t1 - t0, ntohs(port));
	for (i = 0; i < threads; i++)
		printf("%s%u", i ? "," : "", ntohs(w[i].laddr.sin_port));
	printf("],\"refused\":%llu,\"aborted\":%llu,\"cycles\":%llu,"
	       "\"failed\":%llu,\"first_error\":\"%s\",\"rate\":%.1f}\n",
	       (unsigned long long)refused, (unsigned long long)aborted,
	       (unsigned long long)cycles, (unsigned long long)failed,
	       failed ? strerror(first_errno) : "",
	       (churn ? cycles : refused + aborted) / (t1 - t0));
	return failed ? 1 : 0;
}
