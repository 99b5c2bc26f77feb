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
 *
 *   rstload hold -c CONNS [-w WORKERS] [-a addr|null] -o MAPFILE
 *	CONNS established loopback connections to one listener (backlog
 *	4096), accepted by WORKERS forked worker processes, accept4() given
 *	an address buffer ("addr", the default) or NULL ("null"), each of
 *	which reads the one byte its client sent. Forked client processes
 *	hold the other ends, bound to 127.1.X.Y. Connections are made a chunk
 *	at a time, one worker accepting while one client connects, so each
 *	connection's worker is known: MAPFILE gets "CLIENT_IP CLIENT_PORT
 *	WORKER_PID" lines. The soft RLIMIT_NOFILE is raised (to CONNS where
 *	allowed, else to the hard limit), and WORKERS defaults to as few as
 *	fit in it. Prints a JSON line ("phase":"ready", the pids), waits for
 *	a line on stdin (or its end, or SIGINT, SIGTERM, SIGUSR1), aborts
 *	every connection from the client side (SO_LINGER 0: one reset
 *	received by each worker's socket) and prints a JSON line ("phase":
 *	"done", the counts). Any failure kills every worker and client.
 *   rstload procs -p PROCS -c CONNS -o MAPFILE
 *	PROCS forked processes holding CONNS established loopback
 *	connections between them, both ends of each in the same process
 *	(2 * CONNS sockets), spread over PROCS_LISTENERS listeners of this
 *	process on 127.0.0.1 so that the 4-tuples do not run out of
 *	ephemeral ports. Each process's connections are made first, then
 *	it is forked with them; nothing else holds them. MAPFILE gets "PID
 *	CLIENT_PORT SERVER_PORT" lines. Prints a JSON line ("phase":"ready",
 *	the setup time); then each stdin line "abort PID" makes that process
 *	abort its connections from the client end (SO_LINGER 0: a reset sent
 *	and one received, both its own sockets), answered "aborted PID N";
 *	at the end of stdin every process is killed and a JSON line
 *	("phase":"done") printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
		"       rstload churn [-t THREADS] [-d SECONDS]\n"
		"       rstload hold -c CONNS [-w WORKERS] [-a addr|null] -o MAPFILE\n"
		"       rstload procs -p PROCS -c CONNS -o MAPFILE\n");
	exit(2);
}

/*
 * hold: the parent drives forked workers and clients over pipes, one
 * command at a time, so that only one worker accepts while one client
 * connects and each connection's worker is known.
 */
#define HOLD_CHUNK 1000 /* connections a chunk: well inside the backlog */
#define HOLD_PER_ADDR 1000 /* connections a source address 127.1.X.Y */
#define HOLD_MAX_CONNS 10000000
#define HOLD_MAX_CHILDREN 256
#define HOLD_FD_RESERVE 32 /* a process's fds besides its connections */

enum hold_op { HOLD_CONNECT, HOLD_ACCEPT, HOLD_ABORT };

struct hold_cmd {
	uint32_t op;
	uint32_t count;
	uint64_t first; /* HOLD_CONNECT: the number of its first connection */
};

struct hold_reply {
	int32_t err; /* 0 or an errno */
	uint32_t done;
};

/* after a HOLD_CONNECT reply: the client end of each connection made */
struct hold_peer {
	uint32_t addr; /* network order */
	uint16_t port; /* network order */
	uint16_t pad;
};

struct hold_child {
	pid_t pid;
	int cmd, reply; /* the parent's ends of its pipes */
	unsigned long quota; /* connections it is to hold */
	unsigned long held;
};

struct hold {
	unsigned long conns;
	bool null_addr; /* accept4(fd, NULL, NULL, ...) */
	int listener;
	struct sockaddr_in laddr;
	unsigned long nofile;
	unsigned int nworkers, nclients; /* child[]: workers, then clients */
	struct hold_child child[HOLD_MAX_CHILDREN];
	FILE *map;
	uint64_t aborted;
	int first_errno;
	const char *first_what;
};

static volatile sig_atomic_t hold_signalled;

static void hold_on_signal(int sig)
{
	hold_signalled = sig;
}

/* 0 or an errno; EPIPE when the other end has gone */
static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? errno : EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= n;
	}
	return 0;
}

static int hold_fail(struct hold *h, const char *what, int err)
{
	if (!h->first_errno) {
		h->first_errno = err;
		h->first_what = what;
	}
	return err;
}

/* A worker: accept @count connections, reading the byte each one sent. */
static struct hold_reply hold_accept(struct hold *h, int *fds,
				     unsigned long *nfds, uint32_t count)
{
	struct hold_reply r = { 0 };
	struct sockaddr_in peer;
	socklen_t len;
	ssize_t n;
	char c;
	int fd;

	for (; r.done < count; r.done++) {
		len = sizeof(peer);
		if (h->null_addr)
			fd = accept4(h->listener, NULL, NULL, SOCK_CLOEXEC);
		else
			fd = accept4(h->listener, (struct sockaddr *)&peer,
				     &len, SOCK_CLOEXEC);
		if (fd < 0) {
			r.err = errno;
			break;
		}
		fds[(*nfds)++] = fd;
		n = read(fd, &c, 1);
		if (n != 1) {
			r.err = n < 0 ? errno : EPROTO;
			break;
		}
	}
	return r;
}

/* A client: connections @first to @first + @count - 1, a byte sent on each. */
static struct hold_reply hold_connect(struct hold *h, int *fds,
				      unsigned long *nfds,
				      const struct hold_cmd *cmd,
				      struct hold_peer *peers)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct hold_reply r = { 0 };
	socklen_t len;
	int one = 1, fd;

	for (; r.done < cmd->count; r.done++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r.err = errno;
			break;
		}
		fds[(*nfds)++] = fd;
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		src.sin_port = 0;
		src.sin_addr.s_addr = htonl(
			0x7f010001u + (cmd->first + r.done) / HOLD_PER_ADDR);
		len = sizeof(src);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
		    connect(fd, (struct sockaddr *)&h->laddr,
			    sizeof(h->laddr)) ||
		    getsockname(fd, (struct sockaddr *)&src, &len) ||
		    write(fd, "x", 1) != 1) {
			r.err = errno;
			break;
		}
		peers[r.done].addr = src.sin_addr.s_addr;
		peers[r.done].port = src.sin_port;
	}
	return r;
}

/* A client: close every connection with SO_LINGER 0, a reset each. */
static struct hold_reply hold_abort(int *fds, unsigned long *nfds)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct hold_reply r = { 0 };
	int fd;

	while (*nfds) {
		fd = fds[--*nfds];
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) {
			if (!r.err)
				r.err = errno;
		} else {
			r.done++;
		}
		close(fd);
	}
	return r;
}

/* A child's life: commands until the parent closes the pipe. */
static void hold_child_run(struct hold *h, struct hold_child *c, bool worker,
			   int cmd_fd, int reply_fd)
{
	struct hold_peer *peers = calloc(HOLD_CHUNK, sizeof(*peers));
	int *fds = calloc(c->quota, sizeof(*fds));
	unsigned long nfds = 0;
	struct hold_cmd cmd;
	struct hold_reply r;
	size_t extra;

	if (!fds || !peers)
		_exit(1);
	while (!read_full(cmd_fd, &cmd, sizeof(cmd))) {
		extra = 0;
		if (cmd.op != HOLD_ABORT && cmd.count > c->quota - nfds) {
			r = (struct hold_reply){ .err = ENOSPC };
		} else if (worker && cmd.op == HOLD_ACCEPT) {
			r = hold_accept(h, fds, &nfds, cmd.count);
		} else if (!worker && cmd.op == HOLD_CONNECT &&
			   cmd.count <= HOLD_CHUNK) {
			r = hold_connect(h, fds, &nfds, &cmd, peers);
			extra = r.done * sizeof(*peers);
		} else if (!worker && cmd.op == HOLD_ABORT) {
			r = hold_abort(fds, &nfds);
		} else {
			r = (struct hold_reply){ .err = EINVAL };
		}
		if (write_full(reply_fd, &r, sizeof(r)) ||
		    write_full(reply_fd, peers, extra))
			_exit(1);
	}
	/* the worker's sockets, reset by now, close without a packet */
	_exit(0);
}

static int hold_fork(struct hold *h, unsigned int i, bool worker)
{
	struct hold_child *c = &h->child[i];
	pid_t parent = getpid();
	int cmd[2], reply[2], err;
	unsigned int j;

	if (pipe2(cmd, O_CLOEXEC))
		return hold_fail(h, "pipe", errno);
	if (pipe2(reply, O_CLOEXEC)) {
		err = errno;
		close(cmd[0]);
		close(cmd[1]);
		return hold_fail(h, "pipe", err);
	}
	c->pid = fork();
	if (c->pid < 0) {
		err = errno;
		close(cmd[0]);
		close(cmd[1]);
		close(reply[0]);
		close(reply[1]);
		return hold_fail(h, "fork", err);
	}
	if (!c->pid) {
		/* dies with the parent, however that goes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		for (j = 0; j < i; j++) {
			close(h->child[j].cmd);
			close(h->child[j].reply);
		}
		close(cmd[1]);
		close(reply[0]);
		close(fileno(h->map));
		if (!worker)
			close(h->listener);
		hold_child_run(h, c, worker, cmd[0], reply[1]);
	}
	close(cmd[0]);
	close(reply[1]);
	c->cmd = cmd[1];
	c->reply = reply[0];
	return 0;
}

/* Raise the soft limit on open files: to @want where allowed, else to the
 * hard limit. Returns the limit now. */
static unsigned long raise_nofile(unsigned long want)
{
	struct rlimit rl, up = { .rlim_cur = want, .rlim_max = want };

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur >= want)
		return rl.rlim_cur;
	if (rl.rlim_max < want && !setrlimit(RLIMIT_NOFILE, &up))
		return want;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) || getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	return rl.rlim_cur;
}

/* How many workers and clients, each holding how many connections. */
static int hold_plan(struct hold *h, unsigned long workers)
{
	unsigned long per, need, i;

	h->nofile = raise_nofile(h->conns + HOLD_FD_RESERVE);
	if (h->nofile <= HOLD_FD_RESERVE) {
		fprintf(stderr, "rstload: RLIMIT_NOFILE is %lu: too few\n",
			h->nofile);
		return -1;
	}
	per = h->nofile - HOLD_FD_RESERVE;
	need = (h->conns + per - 1) / per;
	if (!workers)
		workers = need;
	if (workers < need || workers + need > HOLD_MAX_CHILDREN) {
		fprintf(stderr,
			"rstload: %lu connections at most %lu a process "
			"(RLIMIT_NOFILE %lu, not raisable further) need at "
			"least %lu workers and %lu clients, at most %d "
			"processes in all; got %lu workers\n",
			h->conns, per, h->nofile, need, need, HOLD_MAX_CHILDREN,
			workers);
		return -1;
	}
	h->nworkers = workers;
	h->nclients = need;
	for (i = 0; i < workers; i++)
		h->child[i].quota =
			h->conns / workers + (i < h->conns % workers);
	for (i = 0; i < need; i++)
		h->child[workers + i].quota =
			h->conns / need + (i < h->conns % need);
	return 0;
}

static int hold_send(struct hold *h, struct hold_child *c, uint32_t op,
		     uint32_t count, uint64_t first)
{
	struct hold_cmd cmd = { .op = op, .count = count, .first = first };
	int err = write_full(c->cmd, &cmd, sizeof(cmd));

	return err ? hold_fail(h, "child", err) : 0;
}

static int hold_recv(struct hold *h, struct hold_child *c, const char *what,
		     struct hold_reply *r)
{
	int err = read_full(c->reply, r, sizeof(*r));

	if (err)
		return hold_fail(h, "child", err);
	return r->err ? hold_fail(h, what, r->err) : 0;
}

/* One chunk: client @cc connects @count while worker @wc accepts them. */
static int hold_chunk(struct hold *h, struct hold_child *wc,
		      struct hold_child *cc, uint64_t first, uint32_t count)
{
	static struct hold_peer peers[HOLD_CHUNK];
	char ip[INET_ADDRSTRLEN];
	struct hold_reply r;
	uint32_t i;
	int err;

	err = hold_send(h, cc, HOLD_CONNECT, count, first);
	if (!err)
		err = hold_send(h, wc, HOLD_ACCEPT, count, 0);
	/* a client's failure leaves the worker waiting: torn down after */
	if (!err)
		err = hold_recv(h, cc, "connect", &r);
	if (!err && read_full(cc->reply, peers, r.done * sizeof(*peers)))
		err = hold_fail(h, "child", EPIPE);
	if (!err)
		err = hold_recv(h, wc, "accept", &r);
	if (err)
		return err;
	for (i = 0; i < count; i++)
		fprintf(h->map, "%s %u %d\n",
			inet_ntop(AF_INET, &peers[i].addr, ip, sizeof(ip)),
			ntohs(peers[i].port), (int)wc->pid);
	cc->held += count;
	wc->held += count;
	return 0;
}

/* Each worker's quota, a chunk at a time, from the clients in turn. */
static int hold_establish(struct hold *h)
{
	struct hold_child *wc, *cc = &h->child[h->nworkers];
	unsigned long count;
	uint64_t n = 0;
	unsigned int i;
	int err;

	for (i = 0; i < h->nworkers + h->nclients; i++) {
		err = hold_fork(h, i, i < h->nworkers);
		if (err)
			return err;
	}
	for (wc = h->child; wc < h->child + h->nworkers; wc++) {
		while (wc->held < wc->quota) {
			if (cc->held == cc->quota) {
				cc++;
				continue;
			}
			count = wc->quota - wc->held;
			if (count > cc->quota - cc->held)
				count = cc->quota - cc->held;
			if (count > HOLD_CHUNK)
				count = HOLD_CHUNK;
			err = hold_chunk(h, wc, cc, n, count);
			if (err)
				return err;
			n += count;
		}
	}
	if (fflush(h->map) || ferror(h->map))
		return hold_fail(h, "map file", errno ? errno : EIO);
	return 0;
}

/* Until a line or the end of stdin, SIGINT, SIGTERM or SIGUSR1. */
static void hold_wait(void)
{
	struct sigaction sa = { .sa_handler = hold_on_signal };
	struct pollfd p = { .fd = 0, .events = POLLIN };
	sigset_t block, old;
	ssize_t n;
	char c;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	while (!hold_signalled) {
		/* signals are let in only while waiting: none slips past */
		if (ppoll(&p, 1, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(0, &c, 1);
		if (n <= 0 || c == '\n')
			break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Every client aborts all its connections at once. */
static int hold_abort_all(struct hold *h)
{
	struct hold_child *c, *end = h->child + h->nworkers + h->nclients;
	struct hold_child *sent;
	struct hold_reply r;
	int err = 0;

	for (sent = h->child + h->nworkers; sent < end && !err; sent++)
		err = hold_send(h, sent, HOLD_ABORT, 0, 0);
	if (err)
		sent--;
	/* every reply, so that the count is whole even after an error */
	for (c = h->child + h->nworkers; c < sent; c++) {
		r = (struct hold_reply){ 0 };
		if (hold_recv(h, c, "abort", &r) && !err)
			err = h->first_errno;
		h->aborted += r.done;
	}
	return err;
}

/* Close the pipes (the children exit), killing them first if @kill_them. */
static void hold_teardown(struct hold *h, bool kill_them)
{
	struct hold_child *c, *end = h->child + h->nworkers + h->nclients;
	int status;

	for (c = h->child; c < end; c++) {
		if (c->pid <= 0)
			continue;
		if (kill_them)
			kill(c->pid, SIGKILL);
		close(c->cmd);
		close(c->reply);
	}
	for (c = h->child; c < end; c++) {
		if (c->pid <= 0)
			continue;
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!kill_them && !(WIFEXITED(status) && !WEXITSTATUS(status)))
			hold_fail(h, "child", ECHILD);
		c->pid = 0;
	}
}

static void hold_print_pids(const struct hold *h, const char *key,
			    unsigned int from, unsigned int n)
{
	unsigned int i;

	printf(",\"%s\":[", key);
	for (i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", (int)h->child[from + i].pid);
	printf("]");
}

static void hold_print(const struct hold *h, bool ready, double setup_s,
		       double abort_s)
{
	unsigned long held = 0;
	unsigned int i;

	for (i = 0; i < h->nworkers; i++)
		held += h->child[i].held;
	printf("{\"mode\":\"hold\",\"phase\":\"%s\",\"conns\":%lu,\"port\":%u,"
	       "\"accept\":\"%s\",\"nofile\":%lu,\"held\":%lu,"
	       "\"seconds\":%.6f",
	       ready ? "ready" : "done", h->conns, ntohs(h->laddr.sin_port),
	       h->null_addr ? "null" : "addr", h->nofile, held, setup_s);
	if (ready) {
		hold_print_pids(h, "workers", 0, h->nworkers);
		hold_print_pids(h, "clients", h->nworkers, h->nclients);
	} else {
		printf(",\"workers\":%u,\"clients\":%u,\"aborted\":%llu,"
		       "\"abort_seconds\":%.6f,\"failed\":%d,"
		       "\"first_error\":\"%s%s%s\"",
		       h->nworkers, h->nclients, (unsigned long long)h->aborted,
		       abort_s, h->first_errno ? 1 : 0,
		       h->first_errno ? h->first_what : "",
		       h->first_errno ? ": " : "",
		       h->first_errno ? strerror(h->first_errno) : "");
	}
	printf("}\n");
	fflush(stdout);
}

static int hold_main(int argc, char **argv)
{
	static struct hold h = { .listener = -1 };
	unsigned long workers = 0;
	const char *mapfile = NULL;
	double t0, setup_s = 0, t1 = 0, t2 = 0;
	int opt;

	while ((opt = getopt(argc, argv, "c:w:a:o:")) != -1) {
		switch (opt) {
		case 'c':
			h.conns = parse_num("connection count", optarg, 1,
					    HOLD_MAX_CONNS);
			break;
		case 'w':
			workers = parse_num("worker count", optarg, 1,
					    HOLD_MAX_CHILDREN);
			break;
		case 'a':
			if (strcmp(optarg, "addr") && strcmp(optarg, "null"))
				usage();
			h.null_addr = !strcmp(optarg, "null");
			break;
		case 'o':
			mapfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !h.conns || !mapfile)
		usage();
	if (workers > h.conns) {
		fprintf(stderr, "rstload: %lu workers for %lu connections\n",
			workers, h.conns);
		return 2;
	}
	if (hold_plan(&h, workers))
		return 2;
	h.map = fopen(mapfile, "w");
	if (!h.map) {
		perror(mapfile);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	h.listener = listen_any(&h.laddr);
	t0 = now_s();
	if (!hold_establish(&h)) {
		setup_s = now_s() - t0;
		hold_print(&h, true, setup_s, 0);
		hold_wait();
		t1 = now_s();
		hold_abort_all(&h);
		t2 = now_s();
	}
	hold_teardown(&h, h.first_errno != 0);
	fclose(h.map);
	hold_print(&h, false, setup_s ? setup_s : now_s() - t0, t2 - t1);
	return h.first_errno ? 1 : 0;
}

/*
 * procs: many small processes, each holding its own connections, as a
 * host full of services looks to rsttrace's seeding at start-up.
 */
#define PROCS_LISTENERS 16 /* each gets CONNS / 16 < 28,000 ephemeral ports */
#define PROCS_MAX 30000
#define PROCS_MAX_EACH 200

struct procs {
	unsigned long nprocs, conns;
	int listener[PROCS_LISTENERS];
	uint16_t lport[PROCS_LISTENERS]; /* host order */
	pid_t *pid;
	int ack; /* children's acks: their client ports, then abort bytes */
};

static volatile sig_atomic_t procs_abort;

static void procs_on_usr1(int sig)
{
	procs_abort = sig;
}

/* Connection k of the whole set goes to listener k % PROCS_LISTENERS. */
static int procs_connect(const struct procs *p, unsigned long k, int *cfd,
			 int *sfd, uint16_t *cport)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = k % PROCS_LISTENERS;

	a.sin_port = htons(p->lport[l]);
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&a, sizeof(a)))
		return errno;
	/* nobody else connects meanwhile: the connection just made */
	*sfd = accept(p->listener[l], NULL, NULL);
	if (*sfd < 0 || getsockname(*cfd, (struct sockaddr *)&a, &len))
		return errno;
	*cport = ntohs(a.sin_port);
	return 0;
}

/* A child: holds the connections it was forked with until SIGUSR1. */
static void procs_child(struct procs *p, const int *cfd, unsigned long n)
{
	struct linger lg = { 1, 0 };
	sigset_t usr1, old;
	unsigned long i;
	char one = 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	signal(SIGUSR1, procs_on_usr1);
	for (i = 0; i < PROCS_LISTENERS; i++)
		close(p->listener[i]);
	while (!procs_abort)
		sigsuspend(&old);
	for (i = 0; i < n; i++) {
		setsockopt(cfd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(cfd[i]);
	}
	write_full(p->ack, &one, 1);
	for (;;)
		pause();
}

static void procs_kill(const struct procs *p, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		kill(p->pid[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(p->pid[i], NULL, 0);
}

static void close_all(const int *fds, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * Each child's connections are made here, then it is forked with them and
 * our copies are closed: the child is their only holder, and children do
 * not wait for one another.
 */
static int procs_start(struct procs *p, FILE *map)
{
	int cfd[PROCS_MAX_EACH], sfd[PROCS_MAX_EACH], fds[2], err = 0;
	uint16_t cport[PROCS_MAX_EACH];
	unsigned long i, j, first = 0, n;

	if (pipe(fds))
		return errno;
	p->ack = fds[1];
	for (i = 0; i < p->nprocs && !err; i++) {
		n = p->conns / p->nprocs + (i < p->conns % p->nprocs);
		memset(cfd, -1, sizeof(cfd));
		memset(sfd, -1, sizeof(sfd));
		for (j = 0; j < n && !err; j++)
			err = procs_connect(p, first + j, &cfd[j], &sfd[j],
					    &cport[j]);
		p->pid[i] = err ? -1 : fork();
		if (!err && p->pid[i] < 0)
			err = errno;
		if (!err && !p->pid[i])
			procs_child(p, cfd, n);
		close_all(cfd, n);
		close_all(sfd, n);
		for (j = 0; j < n && !err; j++)
			fprintf(map, "%d %u %u\n", (int)p->pid[i], cport[j],
				p->lport[(first + j) % PROCS_LISTENERS]);
		first += n;
	}
	if (err) {
		procs_kill(p, i - 1);
		return err;
	}
	p->ack = fds[0];
	close(fds[1]);
	return 0;
}

static int procs_main(int argc, char **argv)
{
	struct procs p = { .nprocs = 1000, .conns = 5000 };
	const char *mapfile = NULL;
	struct sockaddr_in a;
	char line[64], one;
	unsigned long i;
	double t0, t1;
	int opt, err, pid;
	FILE *map;

	while ((opt = getopt(argc, argv, "p:c:o:")) != -1) {
		switch (opt) {
		case 'p':
			p.nprocs = parse_num("process count", optarg, 1,
					     PROCS_MAX);
			break;
		case 'c':
			p.conns = parse_num("connection count", optarg, 1,
					    PROCS_MAX * PROCS_MAX_EACH);
			break;
		case 'o':
			mapfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !mapfile ||
	    p.conns > p.nprocs * PROCS_MAX_EACH)
		usage();
	map = fopen(mapfile, "w");
	p.pid = calloc(p.nprocs, sizeof(*p.pid));
	if (!map || !p.pid) {
		fprintf(stderr, "rstload: %s: %s\n", mapfile, strerror(errno));
		return 1;
	}
	for (i = 0; i < PROCS_LISTENERS; i++) {
		p.listener[i] = listen_any(&a);
		p.lport[i] = ntohs(a.sin_port);
	}
	signal(SIGPIPE, SIG_IGN);
	t0 = now_s();
	err = procs_start(&p, map);
	t1 = now_s();
	fclose(map);
	if (err) {
		printf("{\"phase\":\"ready\",\"failed\":1,\"first_error\":"
		       "\"%s\"}\n",
		       strerror(err));
		return 1;
	}
	printf("{\"phase\":\"ready\",\"procs\":%lu,\"conns\":%lu,"
	       "\"seconds\":%.3f,\"failed\":0}\n",
	       p.nprocs, p.conns, t1 - t0);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "abort %d", &pid) != 1 || kill(pid, SIGUSR1) ||
		    read_full(p.ack, &one, 1))
			break;
		printf("aborted %d\n", pid);
		fflush(stdout);
	}
	procs_kill(&p, p.nprocs);
	printf("{\"phase\":\"done\"}\n");
	return 0;
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
	if (!strcmp(argv[1], "hold")) {
		optind = 2;
		return hold_main(argc, argv);
	}
	if (!strcmp(argv[1], "procs")) {
		optind = 2;
		return procs_main(argc, argv);
	}
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
