// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "ksyms.h"
#include "unit.h"

/*
 * Data symbols, an alias, a module symbol written out of order, and a
 * malformed line: only the text symbols are kept, sorted.
 */
static const char sample[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T _text\n"
	"ffffffff81000100 t helper\n"
	"ffffffff81000180 D some_data\n"
	"ffffffff81000200 T tcp_reset\n"
	"garbage line\n"
	"ffffffff81000300 W weak_fn\n"
	"ffffffffc0001000 t nft_reject_eval\t[nft_reject]\n"
	"ffffffffc0001100 t nft_reject_init\t[nft_reject]\n"
	"ffffffff81000400 r some_rodata\n"
	"ffffffffc0000800 T bpf_prog_0123_rst\t[bpf]\n"
	"ffffffff81000500 w last_weak";

/* Writes @text to a new temporary file; its path goes to @path. */
static int write_temp(const char *text, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/rsttrace-ksyms-XXXXXX",
		 getenv("TMPDIR") ?: "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

static struct ksyms *load_text(const char *text)
{
	struct ksyms *ks;
	char path[256];
	int err;

	if (write_temp(text, path, sizeof(path)))
		return NULL;
	ks = ksyms__load_file(path);
	err = errno;
	unlink(path);
	errno = err;
	return ks;
}

static const char *fmt(const struct ksyms *ks, uint64_t addr)
{
	static char buf[128];

	ksyms__format(ks, addr, buf, sizeof(buf));
	return buf;
}

UNIT_TEST(ksyms_lookup)
{
	const char *mod = "unset";
	struct ksyms *ks;
	uint64_t off = 99;

	ks = load_text(sample);
	CHECK(ks != NULL);
	if (!ks)
		return;
	/* _stext/_text are one, some_data and some_rodata are not text */
	CHECK_EQ_INT(ksyms__count(ks), 8);

	/* exact starts; an alias resolves to the first in the file */
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff81000000, &off), "_stext");
	CHECK_EQ_INT(off, 0);
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff81000200, &off), "tcp_reset");
	CHECK_EQ_INT(off, 0);
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff81000300, &off), "weak_fn");

	/* in the middle; data symbols do not end a function */
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff8100021a, &off), "tcp_reset");
	CHECK_EQ_INT(off, 0x1a);
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff810001ff, &off), "helper");
	CHECK_EQ_INT(off, 0xff);

	/* below the first symbol */
	off = 99;
	CHECK(ksyms__find(ks, 0xffffffff80ffffff, &off) == NULL);
	CHECK_EQ_INT(off, 99);
	CHECK(ksyms__find(ks, 0, NULL) == NULL);

	/* after the last: the last symbol, kallsyms has no sizes */
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffffc0001234, &off),
		     "nft_reject_init");
	CHECK_EQ_INT(off, 0x134);
	CHECK_EQ_STR(ksyms__find(ks, UINT64_MAX, NULL), "nft_reject_init");

	/* module symbols, sorted in among the others */
	CHECK_EQ_STR(ksyms__find_module(ks, 0xffffffffc0000810, &off, &mod),
		     "bpf_prog_0123_rst");
	CHECK_EQ_STR(mod, "bpf");
	CHECK_EQ_STR(ksyms__find_module(ks, 0xffffffffc0001008, &off, &mod),
		     "nft_reject_eval");
	CHECK_EQ_STR(mod, "nft_reject");
	CHECK_EQ_STR(ksyms__find_module(ks, 0xffffffff81000500, &off, &mod),
		     "last_weak");
	CHECK(mod == NULL);
	/* without sizes, the gap up to the modules is the last vmlinux one's */
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff9fffffff, NULL), "last_weak");

	CHECK_EQ_STR(fmt(ks, 0xffffffff8100021a), "tcp_reset+0x1a");
	CHECK_EQ_STR(fmt(ks, 0xffffffff81000200), "tcp_reset+0x0");
	CHECK_EQ_STR(fmt(ks, 0xffffffffc000103c),
		     "nft_reject_eval+0x3c [nft_reject]");
	CHECK_EQ_STR(fmt(ks, 0x1234), "0x1234");
	CHECK_EQ_STR(fmt(NULL, 0xffffffff8100021a), "0xffffffff8100021a");
	ksyms__free(ks);
}

UNIT_TEST(ksyms_unsorted)
{
	/* descending, with an alias: everything after line 1 is sorted */
	struct ksyms *ks = load_text("0000000000000500 t e\n"
				     "0000000000000400 t d\n"
				     "0000000000000300 T c_alias\n"
				     "0000000000000300 t c\n"
				     "0000000000000200 t b\n"
				     "0000000000000100 t a\t[mod]\n");
	const char *mod;
	uint64_t off;

	CHECK(ks != NULL);
	if (!ks)
		return;
	CHECK_EQ_INT(ksyms__count(ks), 5);
	CHECK(ksyms__find(ks, 0xff, NULL) == NULL);
	CHECK_EQ_STR(ksyms__find_module(ks, 0x100, &off, &mod), "a");
	CHECK_EQ_STR(mod, "mod");
	CHECK_EQ_STR(ksyms__find(ks, 0x2ff, &off), "b");
	CHECK_EQ_INT(off, 0xff);
	CHECK_EQ_STR(ksyms__find(ks, 0x300, NULL), "c_alias");
	CHECK_EQ_STR(ksyms__find(ks, 0x401, NULL), "d");
	CHECK_EQ_STR(ksyms__find(ks, 0x500, NULL), "e");
	ksyms__free(ks);
}

UNIT_TEST(ksyms_format_truncates)
{
	struct ksyms *ks = load_text(sample);
	char buf[8];

	CHECK(ks != NULL);
	memset(buf, 'x', sizeof(buf));
	ksyms__format(ks, 0xffffffff8100021a, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "tcp_res");
	/* a zero length writes nothing */
	buf[0] = 'x';
	ksyms__format(ks, 0xffffffff8100021a, buf, 0);
	CHECK(buf[0] == 'x');
	ksyms__free(ks);
}

UNIT_TEST(ksyms_restricted)
{
	/* kptr_restrict: the symbols are there, the addresses are not */
	errno = 0;
	CHECK(load_text("0000000000000000 T _stext\n"
			"0000000000000000 T tcp_reset\n") == NULL);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK(load_text("ffffffff81000180 D some_data\n") == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	errno = 0;
	CHECK(load_text("") == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	errno = 0;
	CHECK(ksyms__load_file("/nonexistent/kallsyms") == NULL);
	CHECK_EQ_INT(errno, ENOENT);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Address of the text symbol @name, read straight from /proc/kallsyms. */
static uint64_t kallsyms_addr(const char *name)
{
	unsigned long long addr;
	char line[512], sym[256], type;
	uint64_t found = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 't' || type == 'T') && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

UNIT_TEST(ksyms_proc_kallsyms)
{
	struct ksyms *ks;
	uint64_t off, addr;
	double t;

	if (geteuid() != 0) {
		printf("  skipped: /proc/kallsyms addresses need root\n");
		return;
	}
	t = now_ms();
	ks = ksyms__load();
	t = now_ms() - t;
	CHECK(ks != NULL);
	if (!ks)
		return;
	printf("  /proc/kallsyms: %zu text symbols loaded in %.1f ms\n",
	       ksyms__count(ks), t);
	CHECK(ksyms__count(ks) > 1000);

	addr = kallsyms_addr("tcp_reset");
	CHECK(addr != 0);
	CHECK_EQ_STR(ksyms__find(ks, addr, &off), "tcp_reset");
	CHECK_EQ_INT(off, 0);
	CHECK_EQ_STR(ksyms__find(ks, addr + 0x10, &off), "tcp_reset");
	CHECK_EQ_INT(off, 0x10);
	ksyms__free(ks);
}

/* From a buffer, which is copied: the caller's text is left as it was. */
UNIT_TEST(ksyms_parse_text)
{
	static const char text[] = "ffffffff81000100 T tcp_reset\n"
				   "ffffffff81000200 t tcp_done";
	char copy[sizeof(text)];
	struct ksyms *ks;

	memcpy(copy, text, sizeof(text));
	ks = ksyms__parse_text(copy, sizeof(text) - 1); /* no last \n */
	CHECK(ks != NULL);
	if (!ks)
		return;
	CHECK(!memcmp(copy, text, sizeof(text)));
	CHECK_EQ_INT(ksyms__count(ks), 2);
	CHECK_EQ_STR(ksyms__find(ks, 0xffffffff81000210, NULL), "tcp_done");
	ksyms__free(ks);
	CHECK(ksyms__parse_text("", 0) == NULL);
	CHECK_EQ_INT(errno, ENOENT);
}
