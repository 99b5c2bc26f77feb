// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <sys/socket.h>
#include "args.h"
#include "unit.h"

#define PARSE(cfg, ...)                                                       \
	({                                                                    \
		char *argv[] = { "rsttrace", __VA_ARGS__, NULL };             \
		args__parse(sizeof(argv) / sizeof(argv[0]) - 1, argv, cfg);   \
	})

UNIT_TEST(args_defaults)
{
	struct rst_config cfg;
	char *argv[] = { "rsttrace", NULL };

	CHECK_EQ_INT(args__parse(1, argv, &cfg), 0);
	CHECK(!cfg.json);
	CHECK_EQ_INT(cfg.ringbuf_size, 0);
	CHECK_EQ_INT(cfg.acceptor, 0);
	CHECK_EQ_INT(cfg.npids, 0);
	CHECK_EQ_INT(cfg.family, 0);
	CHECK_EQ_INT(cfg.direction, 0);
}

UNIT_TEST(args_lists)
{
	struct rst_config cfg;

	CHECK_EQ_INT(PARSE(&cfg, "-p", "1,22,333", "-L", "443,8443", "-D",
			   "5432", "-P", "1,65535"),
		     0);
	CHECK_EQ_INT(cfg.npids, 3);
	CHECK_EQ_INT(cfg.pids[2], 333);
	CHECK_EQ_INT(cfg.nlports, 2);
	CHECK_EQ_INT(cfg.lports[1], 8443);
	CHECK_EQ_INT(cfg.nrports, 1);
	CHECK_EQ_INT(cfg.rports[0], 5432);
	CHECK_EQ_INT(cfg.nports, 2);
	CHECK_EQ_INT(cfg.ports[1], 65535);
}

/* as with tcpdump's or ss's filters, repeating an option adds to its list */
UNIT_TEST(args_lists_add_up)
{
	struct rst_config cfg;

	CHECK_EQ_INT(PARSE(&cfg, "-L", "443", "-L", "8443,443", "-p", "7",
			   "-p", "8", "-D", "1", "-D", "2", "-P", "3", "-P",
			   "4"),
		     0);
	CHECK_EQ_INT(cfg.nlports, 2); /* 443 once */
	CHECK_EQ_INT(cfg.lports[0], 443);
	CHECK_EQ_INT(cfg.lports[1], 8443);
	CHECK_EQ_INT(cfg.npids, 2);
	CHECK_EQ_INT(cfg.pids[0], 7);
	CHECK_EQ_INT(cfg.pids[1], 8);
	CHECK_EQ_INT(cfg.nrports, 2);
	CHECK_EQ_INT(cfg.rports[1], 2);
	CHECK_EQ_INT(cfg.nports, 2);
	CHECK_EQ_INT(cfg.ports[1], 4);
}

UNIT_TEST(args_bad_values)
{
	struct rst_config cfg;

	CHECK_EQ_INT(PARSE(&cfg, "-p", "abc"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-p", "1,,2"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-p", "-5"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-p", "0"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-p", "99999999999999999999"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-L", "70000"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-L", "0"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-D", "80,"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-P", ""), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-4", "-6"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--direction", "up"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--count", "0"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--count", "ten"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-d", "1.5"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--ringbuf-size", "3000"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--ringbuf-size", "12345"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--ringbuf-size", "8X"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--acceptor", "getpeername,bogus"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--acceptor", ""), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--acceptor", "sockio,"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--tw-owners", "0"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "--bogus"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "stray"), -1);
}

/*
 * A byte 0xff where getopt() reads a short option is refused before argp
 * sees it (argp took it for an error of its own); as an option's
 * argument, or after "--", it is none.
 */
UNIT_TEST(args_option_byte_0xff)
{
	struct rst_config cfg;

	CHECK_EQ_INT(PARSE(&cfg, "-\xff"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-4\xff"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-j", "--summary", "-\xff"), -1);
	CHECK_EQ_INT(PARSE(&cfg, "-c", "-\xff"), 0);
	CHECK_EQ_STR(cfg.cgroup, "-\xff");
	CHECK_EQ_INT(PARSE(&cfg, "-jc-\xff"), 0);
	CHECK_EQ_STR(cfg.cgroup, "-\xff");
	CHECK_EQ_INT(PARSE(&cfg, "--cg", "-\xff", "-4"), 0);
	CHECK_EQ_STR(cfg.cgroup, "-\xff");
	CHECK_EQ_INT(cfg.family, AF_INET);
	CHECK_EQ_INT(PARSE(&cfg, "--cgroup=-\xff", "-6"), 0);
	CHECK_EQ_STR(cfg.cgroup, "-\xff");
	CHECK_EQ_INT(PARSE(&cfg, "--", "-\xff"), -1); /* an argument */
}

UNIT_TEST(args_too_many_pids)
{
	struct rst_config cfg;
	char list[1024] = "";
	int i;

	for (i = 1; i <= RST_MAX_PIDS + 1; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%d", i > 1 ? "," : "", i);
	CHECK_EQ_INT(PARSE(&cfg, "-p", list), -1);
}

UNIT_TEST(args_options)
{
	struct rst_config cfg;

	CHECK_EQ_INT(PARSE(&cfg, "-j", "-T", "-w", "-6", "--direction",
			   "received", "-d", "30", "--count", "5",
			   "--ringbuf-size", "8M", "-c", "/sys/fs/cgroup"),
		     0);
	CHECK(cfg.json && cfg.timestamp && cfg.wide);
	CHECK_EQ_INT(cfg.family, AF_INET6);
	CHECK_EQ_INT(cfg.direction, RST_DIR_RECEIVED);
	CHECK_EQ_INT(cfg.duration_s, 30);
	CHECK_EQ_INT(cfg.count, 5);
	CHECK_EQ_INT(cfg.ringbuf_size, 8 << 20);
	CHECK_EQ_STR(cfg.cgroup, "/sys/fs/cgroup");
	CHECK_EQ_INT(PARSE(&cfg, "--direction", "sent", "-4"), 0);
	CHECK_EQ_INT(cfg.direction, RST_DIR_SENT);
	CHECK_EQ_INT(cfg.family, AF_INET);
}

UNIT_TEST(args_list_error_names_value)
{
	unsigned int n = 0; /* the values already in out[] */
	uint16_t out[4];
	char err[128];

	CHECK_EQ_INT(args__parse_list("80,x9,443", 1, 65535, out,
				      sizeof(out[0]), 4, &n, err, sizeof(err)),
		     -1);
	CHECK(strstr(err, "'x9'") != NULL);
	n = 0;
	CHECK_EQ_INT(args__parse_list("80,70000", 1, 65535, out,
				      sizeof(out[0]), 4, &n, err, sizeof(err)),
		     -1);
	CHECK(strstr(err, "'70000'") != NULL);
}

UNIT_TEST(args_size_suffixes)
{
	unsigned long v;

	CHECK_EQ_INT(args__parse_size("4096", &v), 0);
	CHECK_EQ_INT(v, 4096);
	CHECK_EQ_INT(args__parse_size("64k", &v), 0);
	CHECK_EQ_INT(v, 65536);
	CHECK_EQ_INT(args__parse_size("1G", &v), 0);
	CHECK_EQ_INT(v, 1UL << 30);
	CHECK_EQ_INT(args__parse_size("0", &v), -1);
	CHECK_EQ_INT(args__parse_size("-1M", &v), -1);
	CHECK_EQ_INT(args__parse_size("", &v), -1);
}

UNIT_TEST(args_acceptor)
{
	struct rst_config cfg;

	CHECK_EQ_INT(PARSE(&cfg, "--acceptor", "getpeername,sockio"), 0);
	CHECK_EQ_INT(cfg.acceptor, RST_ACC_GETPEERNAME | RST_ACC_SOCKIO);
	CHECK_EQ_INT(PARSE(&cfg, "--acceptor=syscalls"), 0);
	CHECK_EQ_INT(cfg.acceptor, RST_ACC_SYSCALLS);
	CHECK_EQ_INT(PARSE(&cfg, "--acceptor", "auto"), 0);
	CHECK_EQ_INT(cfg.acceptor, 0);
}

UNIT_TEST(args_ringbuf_default)
{
	CHECK_EQ_INT(args__ringbuf_default(1), 4 << 20);
	CHECK_EQ_INT(args__ringbuf_default(2), 4 << 20);
	CHECK_EQ_INT(args__ringbuf_default(3), 8 << 20);
	CHECK_EQ_INT(args__ringbuf_default(16), 32 << 20);
	CHECK_EQ_INT(args__ringbuf_default(512), 64 << 20);
	CHECK_EQ_INT(args__ringbuf_default(-1), 4 << 20);
}
