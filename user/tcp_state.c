// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stddef.h>
#include "tcp_state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	const char *short_name; /* keeps the default table under 80 columns */
} states[] = {
	[RST_TCP_ESTABLISHED] = { "ESTABLISHED", "ESTAB" },
	[RST_TCP_SYN_SENT] = { "SYN_SENT", "SYN-SNT" },
	[RST_TCP_SYN_RECV] = { "SYN_RECV", "SYN-RCV" },
	[RST_TCP_FIN_WAIT1] = { "FIN_WAIT1", "FIN-WT1" },
	[RST_TCP_FIN_WAIT2] = { "FIN_WAIT2", "FIN-WT2" },
	[RST_TCP_TIME_WAIT] = { "TIME_WAIT", "TIME-WT" },
	[RST_TCP_CLOSE] = { "CLOSE", "CLOSE" },
	[RST_TCP_CLOSE_WAIT] = { "CLOSE_WAIT", "CLS-WT" },
	[RST_TCP_LAST_ACK] = { "LAST_ACK", "LST-ACK" },
	[RST_TCP_LISTEN] = { "LISTEN", "LISTEN" },
	[RST_TCP_CLOSING] = { "CLOSING", "CLOSING" },
	[RST_TCP_NEW_SYN_RECV] = { "NEW_SYN_RECV", "NEW-SYN" },
	[RST_TCP_BOUND_INACTIVE] = { "BOUND_INACTIVE", "BOUND" },
};

const char *tcp_state__name(unsigned int state)
{
	return state < ARRAY_SIZE(states) ? states[state].name : NULL;
}

const char *tcp_state__short(unsigned int state)
{
	return state < ARRAY_SIZE(states) ? states[state].short_name : NULL;
}
