// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "format.h"
#include "unit.h"

static const char *comm_cell(struct outbuf *b, const char *comm, bool valid,
			     size_t width)
{
	uint8_t c[RST_COMM_LEN] = {};

	memcpy(c, comm, strnlen(comm, sizeof(c)));
	b->len = 0;
	format__table_comm(b, c, valid, width);
	outbuf__putc(b, '\0');
	b->len--;
	return b->data;
}

UNIT_TEST(table_comm_cell)
{
	struct outbuf b = {};

	CHECK_EQ_STR(comm_cell(&b, "nginx", true, 10), "nginx      ");
	CHECK_EQ_STR(comm_cell(&b, "nginx", false, 10), "-          ");
	/* cut to the column, and still one space before the next */
	CHECK_EQ_STR(comm_cell(&b, "rst-server-long", true, 10), "rst-server ");
	/* padded by columns: a two-byte character is one */
	CHECK_EQ_STR(comm_cell(&b, "caf\xc3\xa9", true, 6), "caf\xc3\xa9   ");
	/* an escape is never cut: what does not fit is left out */
	CHECK_EQ_STR(comm_cell(&b, "abcdefgh\n", true, 10), "abcdefgh   ");
	CHECK_EQ_STR(comm_cell(&b, "a\nb", true, 16), "a\\x0ab           ");
	/* the kernel cut a character at 15 bytes: its bytes are escaped */
	CHECK_EQ_STR(comm_cell(&b,
			       "ab\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
			       "\xf0\x9f\x98\x80\xf0",
			       true, 16),
		     "ab\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		     "\\xf0        ");
	/* a C1 control (CSI) is escaped whole, never cut */
	CHECK_EQ_STR(comm_cell(&b, "abcdefg\xc2\x9b", true, 10), "abcdefg    ");
	outbuf__free(&b);
}
