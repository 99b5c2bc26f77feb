// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <netinet/tcp.h>
#include "tcp_state.h"
#include "unit.h"

/* The kernel's numbering, which glibc copies for the states it names. */
UNIT_TEST(tcp_state_numbers)
{
	CHECK_EQ_INT(RST_TCP_ESTABLISHED, TCP_ESTABLISHED);
	CHECK_EQ_INT(RST_TCP_SYN_SENT, TCP_SYN_SENT);
	CHECK_EQ_INT(RST_TCP_SYN_RECV, TCP_SYN_RECV);
	CHECK_EQ_INT(RST_TCP_FIN_WAIT1, TCP_FIN_WAIT1);
	CHECK_EQ_INT(RST_TCP_FIN_WAIT2, TCP_FIN_WAIT2);
	CHECK_EQ_INT(RST_TCP_TIME_WAIT, TCP_TIME_WAIT);
	CHECK_EQ_INT(RST_TCP_CLOSE, TCP_CLOSE);
	CHECK_EQ_INT(RST_TCP_CLOSE_WAIT, TCP_CLOSE_WAIT);
	CHECK_EQ_INT(RST_TCP_LAST_ACK, TCP_LAST_ACK);
	CHECK_EQ_INT(RST_TCP_LISTEN, TCP_LISTEN);
	CHECK_EQ_INT(RST_TCP_CLOSING, TCP_CLOSING);
	CHECK_EQ_INT(RST_TCP_NEW_SYN_RECV, 12);
	CHECK_EQ_INT(RST_TCP_BOUND_INACTIVE, 13);
}

UNIT_TEST(tcp_state_names)
{
	unsigned int s;

	CHECK_EQ_STR(tcp_state__name(RST_TCP_ESTABLISHED), "ESTABLISHED");
	CHECK_EQ_STR(tcp_state__name(RST_TCP_NEW_SYN_RECV), "NEW_SYN_RECV");
	CHECK_EQ_STR(tcp_state__name(RST_TCP_BOUND_INACTIVE), "BOUND_INACTIVE");
	CHECK_EQ_STR(tcp_state__short(RST_TCP_CLOSE_WAIT), "CLS-WT");
	CHECK_EQ_STR(tcp_state__short(RST_TCP_BOUND_INACTIVE), "BOUND");
	for (s = RST_TCP_ESTABLISHED; s <= RST_TCP_BOUND_INACTIVE; s++) {
		CHECK(tcp_state__name(s) != NULL);
		/* the narrow table's STATE column is 7 wide */
		CHECK(tcp_state__short(s) && strlen(tcp_state__short(s)) <= 7);
	}
	CHECK(tcp_state__name(0) == NULL);
	CHECK(tcp_state__short(0) == NULL);
	CHECK(tcp_state__name(14) == NULL);
	CHECK(tcp_state__short(200) == NULL);
}
