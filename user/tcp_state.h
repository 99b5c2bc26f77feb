/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * TCP states as the kernel numbers them (include/net/tcp_states.h), and
 * their names. The BPF side takes TCP_* from vmlinux.h instead.
 */
#ifndef __TCP_STATE_H
#define __TCP_STATE_H

enum rst_tcp_state {
	RST_TCP_ESTABLISHED = 1,
	RST_TCP_SYN_SENT = 2,
	RST_TCP_SYN_RECV = 3,
	RST_TCP_FIN_WAIT1 = 4,
	RST_TCP_FIN_WAIT2 = 5,
	RST_TCP_TIME_WAIT = 6,
	RST_TCP_CLOSE = 7,
	RST_TCP_CLOSE_WAIT = 8,
	RST_TCP_LAST_ACK = 9,
	RST_TCP_LISTEN = 10,
	RST_TCP_CLOSING = 11,
	RST_TCP_NEW_SYN_RECV = 12, /* a request socket, not a full one */
	RST_TCP_BOUND_INACTIVE = 13, /* 6.7+: bound, neither listening nor
				      * connecting */
};

/* "ESTABLISHED", NULL for 0 or unknown values. */
const char *tcp_state__name(unsigned int state);
/* "ESTAB": short forms that keep the default table under 80 columns. */
const char *tcp_state__short(unsigned int state);

#endif /* __TCP_STATE_H */
