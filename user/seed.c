// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Seeding of socket storage for the TCP sockets that predate rsttrace.
 *
 * sock_diag lists the TCP sockets of each network namespace, /proc/PID/fd
 * tells which processes hold them (as "ss -p" does), and a copy of the
 * chosen holder's fd, taken with pidfd_getfd(), is the key under which
 * userspace can write socket storage. BPF is attached before this runs, so
 * anything it has recorded is newer than what /proc can tell: entries are
 * only ever created, never overwritten.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <bpf/bpf.h>
#include "rsttrace.h"
#include "seed.h"
#include "tcp_state.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * Every state in which sock_diag reports a full socket that has storage:
 * not TIME_WAIT, not a request socket (NEW_SYN_RECV).
 */
#define SEED_TCP_STATES                                           \
	((1u << RST_TCP_ESTABLISHED) | (1u << RST_TCP_SYN_SENT) | \
	 (1u << RST_TCP_SYN_RECV) | (1u << RST_TCP_FIN_WAIT1) |   \
	 (1u << RST_TCP_FIN_WAIT2) | (1u << RST_TCP_CLOSE) |      \
	 (1u << RST_TCP_CLOSE_WAIT) | (1u << RST_TCP_LAST_ACK) |  \
	 (1u << RST_TCP_LISTEN) | (1u << RST_TCP_CLOSING))

/*
 * The kernel sizes dump messages after the reader's buffer but never above
 * 32 KiB, so this buffer is never truncated.
 */
#define SEED_NLBUF_SIZE (64 * 1024)

struct seed_sock {
	unsigned long long inode;
	/* start, pid and fd of the chosen holder; pid 0 while there is none */
	unsigned long long start;
	int pid;
	int fd;
	unsigned char state;
	unsigned char family;
	uint16_t lport; /* host order */
	uint32_t netns; /* inode of the namespace it was dumped in */
	uint64_t cookie;
};

/* Somewhere to open a network namespace from. */
struct seed_nssrc {
	unsigned long long ino;
	int pid; /* "PID/ns/net" under /proc, or 0: see path */
	char *path; /* a bind mount (ip netns); NULL with pid 0: our own */
};

struct seed_ctx {
	const struct seed_maps *maps;
	uint32_t cur_netns; /* the namespace being dumped */
	int procfd;
	int self_nsfd;
	struct stat self_ns;
	char *nlbuf;
	struct seed_nssrc *srcs;
	size_t nsrcs, csrcs;
	struct seed_sock *socks;
	size_t nsocks, csocks;
	struct seed_holder *holders;
	size_t nholders, cholders;
	struct seed_stats *st;
};

/* @p enlarged to hold @need elements, or NULL with @p left as it was. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (ncap < need)
		ncap *= 2;
	p = reallocarray(p, ncap, size);
	if (p)
		*cap = ncap;
	return p;
}

/* qsort() and bsearch() want a valid pointer even for no elements. */
static void sort_array(void *p, size_t n, size_t size,
		       int (*cmp)(const void *, const void *))
{
	if (n)
		qsort(p, n, size, cmp);
}

static int cmp_ull(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/* Whether @a started before @b. */
static bool holder_older(const struct seed_holder *a,
			 const struct seed_holder *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	/*
	 * Start times are in ticks, and a server forks its workers within
	 * the tick it started in; parenthood is exact, pids may wrap.
	 */
	if (b->ppid == a->pid)
		return true;
	if (a->ppid == b->pid)
		return false;
	return a->pid < b->pid;
}

int seed__pick_owner(int state, const struct seed_holder *h, size_t n)
{
	size_t i, best = 0;

	if (!n)
		return -1;
	for (i = 1; i < n; i++) {
		if (state == RST_TCP_LISTEN ? holder_older(&h[i], &h[best]) :
					      holder_older(&h[best], &h[i]))
			best = i;
	}
	return best;
}

/* Skips the blank-separated field at *@p and the blanks after it. */
static void skip_field(const char **p)
{
	while (**p && **p != ' ')
		(*p)++;
	while (**p == ' ')
		(*p)++;
}

static int parse_ull(const char *p, unsigned long long *v)
{
	char *end;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	return 0;
}

int seed__parse_stat(const char *stat, struct seed_procstat *ps)
{
	/*
	 * comm may hold any byte, blanks and parentheses included, but the
	 * fields after it are numbers and a state letter: the last ')' is
	 * the end of comm.
	 */
	const char *open = strchr(stat, '(');
	const char *close = strrchr(stat, ')');
	unsigned long long ppid;
	const char *p;
	size_t len;
	int field;

	if (!open || !close || close < open)
		return -EINVAL;
	memset(ps, 0, sizeof(*ps));
	len = close - open - 1;
	if (len > sizeof(ps->comm) - 1)
		len = sizeof(ps->comm) - 1;
	memcpy(ps->comm, open + 1, len);

	p = close + 1;
	while (*p == ' ')
		p++;
	/* p is at field 3, the state */
	for (field = 3; field < 22 && *p; field++) {
		if (field == 4) {
			if (parse_ull(p, &ppid) || ppid > INT_MAX)
				return -EINVAL;
			ps->ppid = ppid;
		}
		skip_field(&p);
	}
	if (field != 22)
		return -EINVAL;
	return parse_ull(p, &ps->start);
}

static int read_stat(int procfd, int pid, struct seed_procstat *ps)
{
	char path[32], buf[1024];
	size_t len = 0;
	ssize_t n = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%d/stat", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[len] = '\0';
	return seed__parse_stat(buf, ps);
}

/* A pid named by a /proc entry, or 0 for the entries that are not pids. */
static int parse_pid(const char *name)
{
	unsigned long long v;

	if (name[0] == '0' || parse_ull(name, &v) || v > INT_MAX)
		return 0;
	return v;
}

/* An fd number named by a /proc/PID/fd entry, or -1. */
static int parse_fd(const char *name)
{
	unsigned long long v;

	if (parse_ull(name, &v) || v > INT_MAX)
		return -1;
	return v;
}

/* A fresh stream over /proc, whose pids change while we read them. */
static DIR *open_proc(int procfd)
{
	int fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static int next_pid(DIR *d)
{
	struct dirent *de;
	int pid;

	while ((de = readdir(d))) {
		pid = parse_pid(de->d_name);
		if (pid)
			return pid;
	}
	return 0;
}

static int add_nssrc(struct seed_ctx *c, unsigned long long ino, int pid,
		     const char *path)
{
	struct seed_nssrc *s;

	s = grow(c->srcs, &c->csrcs, c->nsrcs + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->srcs = s;
	s += c->nsrcs;
	s->ino = ino;
	s->pid = pid;
	s->path = NULL;
	if (path) {
		s->path = strdup(path);
		if (!s->path)
			return -ENOMEM;
	}
	c->nsrcs++;
	return 0;
}

/* Whether @sb is a namespace file, not a stale /run/netns mount point. */
static bool is_netns(const struct seed_ctx *c, const struct stat *sb)
{
	return sb->st_dev == c->self_ns.st_dev;
}

/*
 * Namespaces come from processes, and from "ip netns" bind mounts: a
 * process may hold sockets of a namespace that no process lives in.
 * Threads that setns() on their own are not seen.
 */
static int collect_netns(struct seed_ctx *c)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	int err, pid;
	DIR *d;

	err = add_nssrc(c, c->self_ns.st_ino, 0, NULL);
	if (err)
		return err;
	d = open_proc(c->procfd);
	if (!d)
		return -errno;
	while (!err && (pid = next_pid(d))) {
		snprintf(path, sizeof(path), "%d/ns/net", pid);
		if (!fstatat(c->procfd, path, &sb, 0) && is_netns(c, &sb))
			err = add_nssrc(c, sb.st_ino, pid, NULL);
	}
	closedir(d);
	if (err)
		return err;

	d = opendir("/run/netns");
	if (!d)
		return 0;
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, 0) || !is_netns(c, &sb))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		err = add_nssrc(c, sb.st_ino, 0, path);
	}
	closedir(d);
	return err;
}

static int cmp_nssrc(const void *a, const void *b)
{
	const struct seed_nssrc *x = a, *y = b;

	/* bind mounts first: they outlive processes */
	return cmp_ull(x->ino, y->ino) ?: (x->pid > 0) - (y->pid > 0);
}

/* An fd of the namespace @s names, or a negative errno. */
static int open_nssrc(const struct seed_ctx *c, const struct seed_nssrc *s)
{
	const char *path = s->path;
	char buf[32];
	struct stat sb;
	int fd;

	if (!path) {
		snprintf(buf, sizeof(buf), "%d/ns/net", s->pid);
		path = buf;
	}
	/* openat() ignores procfd for the absolute /run/netns paths */
	fd = openat(c->procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the pid may now be another process, in another namespace */
	if (fstat(fd, &sb) || !is_netns(c, &sb) || sb.st_ino != s->ino) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int diag_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

/*
 * A sock_diag socket of the namespace that @g[0..@n) name. A netlink
 * socket reports on the namespace it was created in, so the thread only
 * visits that namespace long enough to create it. Sets *@fatal when the
 * thread could not return to its own namespace.
 */
static int diag_open(const struct seed_ctx *c, const struct seed_nssrc *g,
		     size_t n, bool *fatal)
{
	int nsfd = -ESRCH, fd, err;
	size_t i;

	if (g[0].ino == c->self_ns.st_ino)
		return diag_socket();
	/* any process of the namespace will do: the first may have exited */
	for (i = 0; i < n && nsfd < 0; i++)
		nsfd = open_nssrc(c, &g[i]);
	if (nsfd < 0)
		return nsfd;
	if (setns(nsfd, CLONE_NEWNET)) {
		fd = -errno;
		close(nsfd);
		return fd;
	}
	close(nsfd);
	fd = diag_socket();
	if (setns(c->self_nsfd, CLONE_NEWNET)) {
		err = -errno;
		*fatal = true;
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

static int add_sock(void *ctx, const struct inet_diag_msg *m)
{
	struct seed_ctx *c = ctx;
	struct seed_sock *s;

	if (m->idiag_state == RST_TCP_TIME_WAIT ||
	    m->idiag_state == RST_TCP_NEW_SYN_RECV)
		return 0;
	c->st->sockets++;
	/* not accepted yet, or closed by its process and left to the kernel */
	if (!m->idiag_inode) {
		c->st->unowned++;
		return 0;
	}
	s = grow(c->socks, &c->csocks, c->nsocks + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->socks = s;
	s += c->nsocks++;
	memset(s, 0, sizeof(*s));
	s->inode = m->idiag_inode;
	s->state = m->idiag_state;
	s->family = m->idiag_family;
	s->lport = ntohs(m->id.idiag_sport);
	s->netns = c->cur_netns;
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
		    m->id.idiag_cookie[0];
	return 0;
}

/* One message of a dump: 0 for more, 1 at its end, or a negative errno. */
static int diag_msg(const struct nlmsghdr *nlh, __u32 seq,
		    int (*fn)(void *ctx, const struct inet_diag_msg *m),
		    void *ctx)
{
	int err;

	if (nlh->nlmsg_seq != seq)
		return 0;
	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		/* a dump that failed part way ends with its error here */
		if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err))) {
			memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
			if (err < 0)
				return err;
		}
		return 1;
	case NLMSG_ERROR:
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return -EPROTO;
		err = ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		return err > 0 ? -EPROTO : err ?: 1;
	case SOCK_DIAG_BY_FAMILY:
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			return -EPROTO;
		return fn(ctx, NLMSG_DATA(nlh));
	}
	return 0;
}

int seed__parse_diag(const void *buf, size_t len, __u32 seq,
		     int (*fn)(void *ctx, const struct inet_diag_msg *m),
		     void *ctx)
{
	const struct nlmsghdr *nlh = buf;
	/* NLMSG_NEXT() counts down, past 0 at a short last message */
	long n = len > LONG_MAX ? LONG_MAX : (long)len;
	int err;

	for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		err = diag_msg(nlh, seq, fn, ctx);
		if (err)
			return err;
	}
	return 0;
}

/* Adds the TCP sockets of @family that @fd's namespace has to c->socks. */
static int diag_dump(struct seed_ctx *c, int fd, int family, __u32 seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} rq = {
		.nlh = {
			.nlmsg_len = sizeof(rq),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = SEED_TCP_STATES,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	int err;

	do {
		n = sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (;;) {
		struct iovec iov = { c->nlbuf, SEED_NLBUF_SIZE };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		n = recvmsg(fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		err = seed__parse_diag(c->nlbuf, (size_t)n, seq, add_sock, c);
		if (err)
			return err < 0 ? err : 0;
	}
}

/* Lists the sockets of every namespace. Fails only if we are stranded. */
static int dump_netns(struct seed_ctx *c)
{
	bool fatal = false;
	size_t i, j;
	int fd, err;

	sort_array(c->srcs, c->nsrcs, sizeof(*c->srcs), cmp_nssrc);
	for (i = 0; i < c->nsrcs; i = j) {
		for (j = i + 1;
		     j < c->nsrcs && c->srcs[j].ino == c->srcs[i].ino; j++)
			;
		c->cur_netns = (uint32_t)c->srcs[i].ino;
		fd = diag_open(c, &c->srcs[i], j - i, &fatal);
		if (fatal)
			return fd;
		if (fd < 0) {
			c->st->netns_failed++;
			continue;
		}
		err = diag_dump(c, fd, AF_INET, 1);
		if (err != -ENOMEM)
			err = diag_dump(c, fd, AF_INET6, 2) ?: err;
		close(fd);
		if (err == -ENOMEM)
			return err;
		if (err)
			c->st->netns_failed++;
		else
			c->st->netns++;
	}
	return 0;
}

static int cmp_sock_inode(const void *a, const void *b)
{
	const struct seed_sock *x = a, *y = b;

	return cmp_ull(x->inode, y->inode);
}

/* Sorts c->socks by inode, dropping what a dump reported twice. */
static void index_socks(struct seed_ctx *c)
{
	size_t i, n = 0;

	sort_array(c->socks, c->nsocks, sizeof(*c->socks), cmp_sock_inode);
	for (i = 0; i < c->nsocks; i++) {
		if (n && c->socks[n - 1].inode == c->socks[i].inode)
			continue;
		c->socks[n++] = c->socks[i];
	}
	c->st->sockets -= c->nsocks - n;
	c->nsocks = n;
}

static bool is_tcp_inode(const struct seed_ctx *c, unsigned long long inode)
{
	struct seed_sock key = { .inode = inode };

	return c->nsocks && bsearch(&key, c->socks, c->nsocks,
				    sizeof(*c->socks), cmp_sock_inode);
}

unsigned long long seed__parse_sock_link(const char *link)
{
	static const char prefix[] = "socket:[";
	unsigned long long inode;
	char *end;

	if (strncmp(link, prefix, sizeof(prefix) - 1))
		return 0;
	errno = 0;
	inode = strtoull(link + sizeof(prefix) - 1, &end, 10);
	if (errno || strcmp(end, "]"))
		return 0;
	return inode;
}

/*
 * Sets *@inode to the socket inode that the fd link @name in @dfd points
 * to, 0 if it is no socket. Returns 0, or -errno if the link is unreadable.
 */
static int fd_socket(int dfd, const char *name, unsigned long long *inode)
{
	char link[64];
	ssize_t n;

	*inode = 0;
	n = readlinkat(dfd, name, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	*inode = seed__parse_sock_link(link);
	return 0;
}

/* Records @pid as a holder of each TCP socket it has an fd of. */
static int scan_fds(struct seed_ctx *c, int pid)
{
	struct seed_procstat ps;
	bool have_stat = false;
	struct seed_holder *h;
	unsigned long long inode;
	struct dirent *de;
	char path[32];
	int dfd, fd, ret, err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%d/fd", pid);
	/* gone, or not ours to see: nothing to seed either way */
	dfd = openat(c->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == EACCES || errno == EPERM)
			c->st->procs_hidden++;
		return 0;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d))) {
		fd = parse_fd(de->d_name);
		if (fd < 0)
			continue;
		ret = fd_socket(dfd, de->d_name, &inode);
		/* listing fds needs fewer rights than reading their links */
		if (ret == -EACCES || ret == -EPERM) {
			c->st->procs_hidden++;
			break;
		}
		if (ret || !inode || !is_tcp_inode(c, inode))
			continue;
		if (!have_stat) {
			if (read_stat(c->procfd, pid, &ps))
				break;
			have_stat = true;
		}
		h = grow(c->holders, &c->cholders, c->nholders + 1, sizeof(*h));
		if (!h) {
			err = -ENOMEM;
			break;
		}
		c->holders = h;
		h += c->nholders++;
		h->inode = inode;
		h->start = ps.start;
		h->pid = pid;
		h->ppid = ps.ppid;
		h->fd = fd;
	}
	closedir(d);
	return err;
}

/*
 * /proc is read afresh, not from the list the namespaces came from, to see
 * the children forked since: a server that forks a handler closes its own
 * copy of the connection.
 */
static int scan_procs(struct seed_ctx *c)
{
	int pid, err = 0;
	DIR *d;

	d = open_proc(c->procfd);
	if (!d)
		return -errno;
	while (!err && (pid = next_pid(d)))
		err = scan_fds(c, pid);
	closedir(d);
	return err;
}

static int cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

static int cmp_holder(const void *a, const void *b)
{
	const struct seed_holder *x = a, *y = b;

	if (x->inode != y->inode)
		return cmp_ull(x->inode, y->inode);
	if (x->pid != y->pid)
		return cmp_int(x->pid, y->pid);
	return cmp_int(x->fd, y->fd);
}

/* Gives each socket its owner among its holders. */
static void pick_owners(struct seed_ctx *c)
{
	struct seed_holder *h = c->holders;
	struct seed_sock *s = c->socks;
	size_t i, j;
	int k;

	sort_array(h, c->nholders, sizeof(*h), cmp_holder);
	for (i = 0; i < c->nholders; i = j) {
		for (j = i + 1; j < c->nholders && h[j].inode == h[i].inode;
		     j++)
			;
		/* both are sorted, and every holder's inode is in socks */
		while (s->inode < h[i].inode)
			s++;
		k = seed__pick_owner(s->state, &h[i], j - i);
		s->pid = h[i + k].pid;
		s->fd = h[i + k].fd;
		s->start = h[i + k].start;
	}
}

static int cmp_sock_pid(const void *a, const void *b)
{
	const struct seed_sock *x = a, *y = b;

	return cmp_int(x->pid, y->pid);
}

/*
 * Creates @fd's storage unless it has one. EAGAIN means that the socket's
 * storage was being created or torn down at that moment (by BPF, or for
 * another map): a new attempt sees the outcome.
 */
static int storage_create(int map_fd, int fd, const struct rst_owner *o)
{
	int tries = 4;

	while (bpf_map_update_elem(map_fd, &fd, o, BPF_NOEXIST)) {
		if (errno != EAGAIN || !--tries)
			return -errno;
	}
	return 0;
}

static void seed_sock(struct seed_ctx *c, int pidfd, const struct seed_sock *s,
		      const struct rst_owner *o)
{
	struct rst_owner seeded = *o;
	struct stat sb;
	int fd, err;

	fd = syscall(SYS_pidfd_getfd, pidfd, s->fd, 0);
	if (fd < 0) {
		if (errno == EBADF || errno == ESRCH)
			c->st->vanished++;
		else
			c->st->failed++;
		return;
	}
	/*
	 * The holder may have closed the socket and reused the fd number.
	 * If it closes it while we hold the copy, the final release, and a
	 * reset it may send, happens in our close() instead: its storage
	 * already names the right owner.
	 */
	if (fstat(fd, &sb) || !S_ISSOCK(sb.st_mode) || sb.st_ino != s->inode) {
		c->st->vanished++;
		close(fd);
		return;
	}
	/* how it got into its state was not seen; the next ones will be */
	seeded.state_at = s->state;
	err = storage_create(c->maps->storage_fd, fd, &seeded);
	if (!err)
		c->st->seeded++;
	else if (err == -EEXIST)
		c->st->present++;
	else
		c->st->failed++;
	close(fd);
}

/*
 * Before 5.11 BPF keys owners by socket address, which userspace cannot
 * name: it finds them under the socket's cookie (which the dump above just
 * gave every socket), listeners also under their namespace and port.
 */
static void seed_by_cookie(struct seed_ctx *c, const struct seed_sock *s,
			   const struct rst_owner *o)
{
	struct rst_listen_key lk = { .netns = s->netns,
				     .port = s->lport,
				     .family = s->family };
	struct rst_owner seeded = *o;

	seeded.state_at = s->state;
	if (s->state == RST_TCP_LISTEN)
		bpf_map_update_elem(c->maps->listeners_fd, &lk, &seeded,
				    BPF_NOEXIST);
	if (!bpf_map_update_elem(c->maps->cookies_fd, &s->cookie, &seeded,
				 BPF_NOEXIST))
		c->st->seeded++;
	else if (errno == EEXIST)
		c->st->present++;
	else
		c->st->failed++;
}

/* Seeds @n sockets, all owned by s[0].pid. */
static void seed_pid(struct seed_ctx *c, const struct seed_sock *s, size_t n)
{
	struct rst_owner o = {
		.pid = s->pid,
		.source = RST_OWNER_SEEDED,
	};
	struct seed_procstat ps;
	size_t i;
	int pidfd;

	if (c->maps->storage_fd < 0) {
		if (read_stat(c->procfd, s->pid, &ps) || ps.start != s->start) {
			c->st->vanished += n;
			return;
		}
		memcpy(o.comm, ps.comm, sizeof(o.comm));
		for (i = 0; i < n; i++)
			seed_by_cookie(c, &s[i], &o);
		return;
	}
	pidfd = syscall(SYS_pidfd_open, s->pid, 0);
	if (pidfd < 0) {
		if (errno == ESRCH)
			c->st->vanished += n;
		else
			c->st->failed += n;
		return;
	}
	/*
	 * The pidfd is the process we scanned only if the pid was not
	 * reused in between. /proc/PID/stat also carries the same bytes as
	 * /proc/PID/comm, without the newline.
	 */
	if (read_stat(c->procfd, s->pid, &ps) || ps.start != s->start) {
		c->st->vanished += n;
		close(pidfd);
		return;
	}
	memcpy(o.comm, ps.comm, sizeof(o.comm));
	for (i = 0; i < n; i++)
		seed_sock(c, pidfd, &s[i], &o);
	close(pidfd);
}

static void seed_all(struct seed_ctx *c)
{
	struct seed_sock *s = c->socks;
	size_t i, j;

	sort_array(s, c->nsocks, sizeof(*s), cmp_sock_pid);
	for (i = 0; i < c->nsocks; i = j) {
		for (j = i + 1; j < c->nsocks && s[j].pid == s[i].pid; j++)
			;
		if (!s[i].pid)
			c->st->unowned += j - i;
		else
			seed_pid(c, &s[i], j - i);
	}
}

/*
 * pidfd_getfd() needs Linux 5.6 and may be filtered by seccomp: find out
 * on ourselves before scanning anything.
 */
static int probe_pidfd(int fd)
{
	int pidfd, copy, err = 0;

	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		return -errno;
	copy = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy < 0)
		err = -errno;
	else
		close(copy);
	close(pidfd);
	return err;
}

static int seed_init(struct seed_ctx *c)
{
	c->procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->procfd < 0)
		return -errno;
	/* the calling thread's, which setns() changes; not the leader's */
	c->self_nsfd =
		openat(c->procfd, "thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->self_nsfd < 0 || fstat(c->self_nsfd, &c->self_ns))
		return -errno;
	c->nlbuf = malloc(SEED_NLBUF_SIZE);
	if (!c->nlbuf)
		return -ENOMEM;
	/* copies of other processes' fds are needed for socket storage */
	return c->maps->storage_fd >= 0 ? probe_pidfd(c->procfd) : 0;
}

static void seed_fini(struct seed_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nsrcs; i++)
		free(c->srcs[i].path);
	free(c->srcs);
	free(c->socks);
	free(c->holders);
	free(c->nlbuf);
	if (c->self_nsfd >= 0)
		close(c->self_nsfd);
	if (c->procfd >= 0)
		close(c->procfd);
}

int seed__owners(const struct seed_maps *m, struct seed_stats *st)
{
	struct seed_ctx c = {
		.maps = m,
		.procfd = -1,
		.self_nsfd = -1,
		.st = st,
	};
	int err;

	memset(st, 0, sizeof(*st));
	if (m->storage_fd < 0 && (m->cookies_fd < 0 || m->listeners_fd < 0))
		return -EBADF;
	err = seed_init(&c);
	if (!err)
		err = collect_netns(&c);
	if (!err)
		err = dump_netns(&c);
	if (!err) {
		index_socks(&c);
		err = scan_procs(&c);
	}
	if (!err) {
		pick_owners(&c);
		seed_all(&c);
	}
	seed_fini(&c);
	return err;
}
