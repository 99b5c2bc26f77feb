// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "unit.h"
#include "seed.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A pre-fork server: the master (pid 100) and two workers it forked. */
static const struct seed_holder prefork[] = {
	{ .start = 5000, .pid = 101, .ppid = 100, .fd = 3 },
	{ .start = 4000, .pid = 100, .ppid = 1, .fd = 3 },
	{ .start = 5001, .pid = 102, .ppid = 100, .fd = 3 },
};

UNIT_TEST(seed_pick_listener_is_earliest)
{
	CHECK_EQ_INT(seed__pick_owner(TCP_LISTEN, prefork, 3), 1);
}

UNIT_TEST(seed_pick_connection_is_latest)
{
	CHECK_EQ_INT(seed__pick_owner(TCP_ESTABLISHED, prefork, 3), 2);
	CHECK_EQ_INT(seed__pick_owner(TCP_CLOSE_WAIT, prefork, 3), 2);
}

UNIT_TEST(seed_pick_none_or_one)
{
	CHECK_EQ_INT(seed__pick_owner(TCP_LISTEN, prefork, 0), -1);
	CHECK_EQ_INT(seed__pick_owner(TCP_ESTABLISHED, prefork, 0), -1);
	CHECK_EQ_INT(seed__pick_owner(TCP_LISTEN, prefork, 1), 0);
	CHECK_EQ_INT(seed__pick_owner(TCP_ESTABLISHED, prefork, 1), 0);
}

/* Forked within the same tick, after the pids wrapped around. */
UNIT_TEST(seed_pick_same_tick_uses_parenthood)
{
	static const struct seed_holder h[] = {
		{ .start = 700, .pid = 30, .ppid = 32000, .fd = 5 },
		{ .start = 700, .pid = 32000, .ppid = 1, .fd = 4 },
	};

	CHECK_EQ_INT(seed__pick_owner(TCP_LISTEN, h, ARRAY_SIZE(h)), 1);
	CHECK_EQ_INT(seed__pick_owner(TCP_ESTABLISHED, h, ARRAY_SIZE(h)), 0);
}

UNIT_TEST(seed_pick_same_tick_unrelated_uses_pid)
{
	static const struct seed_holder h[] = {
		{ .start = 700, .pid = 52, .ppid = 1, .fd = 5 },
		{ .start = 700, .pid = 51, .ppid = 1, .fd = 4 },
	};

	CHECK_EQ_INT(seed__pick_owner(TCP_LISTEN, h, ARRAY_SIZE(h)), 1);
	CHECK_EQ_INT(seed__pick_owner(TCP_SYN_SENT, h, ARRAY_SIZE(h)), 0);
}

/* One process with two fds of the socket: the first one is kept. */
UNIT_TEST(seed_pick_same_process_twice)
{
	static const struct seed_holder h[] = {
		{ .start = 9, .pid = 7, .ppid = 1, .fd = 3 },
		{ .start = 9, .pid = 7, .ppid = 1, .fd = 8 },
	};

	CHECK_EQ_INT(seed__pick_owner(TCP_LISTEN, h, ARRAY_SIZE(h)), 0);
	CHECK_EQ_INT(seed__pick_owner(TCP_ESTABLISHED, h, ARRAY_SIZE(h)), 0);
}

UNIT_TEST(seed_stat_comm_with_parentheses)
{
	struct seed_procstat ps;

	CHECK_EQ_INT(
		seed__parse_stat("4242 (a) (b c) S 17 4242 4242 0 -1 "
				 "4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
				 "98765432101 1000 50 18446744073709551615\n",
				 &ps),
		0);
	CHECK_EQ_INT(ps.ppid, 17);
	CHECK(ps.start == 98765432101ULL);
	CHECK_EQ_STR(ps.comm, "a) (b c");
}

UNIT_TEST(seed_stat_plain_comm)
{
	struct seed_procstat ps;

	CHECK_EQ_INT(seed__parse_stat("1 (systemd) S 0 1 1 0 -1 4194560 9 9 "
				      "0 0 1 2 3 4 20 0 1 0 12\n",
				      &ps),
		     0);
	CHECK_EQ_INT(ps.ppid, 0);
	CHECK(ps.start == 12);
	CHECK_EQ_STR(ps.comm, "systemd");
}

/* Workqueue workers show more than the 15 bytes a comm can hold. */
UNIT_TEST(seed_stat_long_comm_truncated)
{
	struct seed_procstat ps;

	CHECK_EQ_INT(seed__parse_stat("9 (kworker/u8:1-events_unbound) I 2 0 "
				      "0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 "
				      "1 0 33 0 0\n",
				      &ps),
		     0);
	CHECK_EQ_STR(ps.comm, "kworker/u8:1-ev");
	CHECK(ps.start == 33);
}

UNIT_TEST(seed_stat_malformed)
{
	struct seed_procstat ps;

	CHECK_EQ_INT(seed__parse_stat("", &ps), -EINVAL);
	CHECK_EQ_INT(seed__parse_stat("12 noparens S 1", &ps), -EINVAL);
	/* cut before field 22 */
	CHECK_EQ_INT(seed__parse_stat("12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 "
				      "0 20 0 1 0",
				      &ps),
		     -EINVAL);
	CHECK_EQ_INT(seed__parse_stat("12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 "
				      "0 20 0 1 0 ",
				      &ps),
		     -EINVAL);
	CHECK_EQ_INT(seed__parse_stat("12 (x) S one 12 12 0 -1 0 0 0 0 0 0 0 "
				      "0 0 20 0 1 0 5",
				      &ps),
		     -EINVAL);
	CHECK_EQ_INT(seed__parse_stat("12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 "
				      "0 20 0 1 0 -5",
				      &ps),
		     -EINVAL);
}

UNIT_TEST(seed_sock_link)
{
	CHECK_EQ_INT(seed__parse_sock_link("socket:[1234567]"), 1234567);
	CHECK_EQ_INT(seed__parse_sock_link("socket:[12x]"), 0);
	CHECK_EQ_INT(seed__parse_sock_link("socket:[1]]"), 0);
	CHECK_EQ_INT(seed__parse_sock_link("socket:[99999999999999999999]"), 0);
	CHECK_EQ_INT(seed__parse_sock_link("pipe:[98765]"), 0);
	CHECK_EQ_INT(seed__parse_sock_link(""), 0);
}

static int count_sock(void *ctx, const struct inet_diag_msg *m)
{
	(*(int *)ctx)++;
	return 0;
}

/* One read of a dump: two sockets, then its end; an error; a stray. */
UNIT_TEST(seed_parse_diag)
{
	struct {
		struct nlmsghdr h1;
		struct inet_diag_msg m1;
		struct nlmsghdr h2;
		struct inet_diag_msg m2;
		struct nlmsghdr done;
		int err;
	} buf = {
		.h1 = { NLMSG_LENGTH(sizeof(struct inet_diag_msg)),
			SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 7, 0 },
		.h2 = { NLMSG_LENGTH(sizeof(struct inet_diag_msg)),
			SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 7, 0 },
		.done = { NLMSG_LENGTH(sizeof(int)), NLMSG_DONE, NLM_F_MULTI, 7,
			  0 },
	};
	int n = 0;

	CHECK_EQ_INT(seed__parse_diag(&buf, sizeof(buf), 7, count_sock, &n), 1);
	CHECK_EQ_INT(n, 2);
	/* another request's messages are not ours */
	n = 0;
	CHECK_EQ_INT(seed__parse_diag(&buf, sizeof(buf), 8, count_sock, &n), 0);
	CHECK_EQ_INT(n, 0);
	/* the dump failed part way: its error, after what came before */
	buf.err = -EINTR;
	CHECK_EQ_INT(seed__parse_diag(&buf, sizeof(buf), 7, count_sock, &n),
		     -EINTR);
	CHECK_EQ_INT(n, 2);
	/* a socket message too short to hold one */
	buf.h1.nlmsg_len = NLMSG_LENGTH(4);
	CHECK_EQ_INT(seed__parse_diag(&buf, sizeof(buf), 7, count_sock, &n),
		     -EPROTO);
	/* cut in the middle of a message: nothing read past the buffer */
	n = 0;
	buf.h1.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
	CHECK_EQ_INT(seed__parse_diag(&buf, sizeof(buf.h1) + 8, 7, count_sock,
				      &n),
		     0);
	CHECK_EQ_INT(n, 0);
}
