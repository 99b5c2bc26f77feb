// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "output.h"
#include "unit.h"

#define REC_LEN (1u << 20) /* one record: REC_LEN - 1 'x', then '\n' */
#define RECS 96
#define CHUNK 4096

static unsigned long vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long)sysconf(_SC_PAGESIZE);
}

/* One record, formatted in pieces as the formatters do. */
static void put_record(struct outbuf *b)
{
	static char chunk[CHUNK];
	unsigned int i;

	memset(chunk, 'x', sizeof(chunk));
	for (i = 0; i < REC_LEN / CHUNK - 1; i++)
		outbuf__put(b, chunk, CHUNK);
	outbuf__put(b, chunk, CHUNK - 1);
	outbuf__putc(b, '\n');
}

/*
 * In a child whose address space is capped a few MiB above its size: the
 * buffer cannot grow to hold all the records, as when the host runs out.
 */
static void writer(int fd)
{
	struct output o = { .fd = fd };
	struct rlimit rl;
	unsigned int i;

	rl.rlim_cur = rl.rlim_max = vm_bytes() + (6u << 20);
	if (setrlimit(RLIMIT_AS, &rl))
		_exit(100);
	for (i = 0; i < RECS; i++) {
		do {
			output__begin(&o);
			put_record(&o.buf);
		} while (!output__end(&o));
		/* as the loader does: a long burst is written in chunks */
		if (o.buf.len > (8u << 20) && output__flush(&o))
			_exit(101);
	}
	if (output__flush(&o))
		_exit(101);
	/* 64: the buffer never reached the flush size, so the cap bit */
	_exit((o.unwritten > 63 ? 63 : (int)o.unwritten) |
	      (o.buf.cap < (8u << 20) ? 64 : 0));
}

/* Out of memory, a record is written whole or not at all, and counted. */
UNIT_TEST(output_oom_whole_records)
{
	static char buf[1 << 16];
	unsigned long long total = 0, bad = 0, col = 0;
	int fds[2], status = 0;
	ssize_t n, i;
	pid_t pid;

#ifdef __SANITIZE_ADDRESS__
	/* ASan's shadow memory alone is far past any RLIMIT_AS cap */
	printf("# output_oom_whole_records: not under AddressSanitizer\n");
	return;
#endif
	CHECK_EQ_INT(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		writer(fds[1]);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++, col++) {
			if (buf[i] == '\n') {
				bad += col != REC_LEN - 1;
				col = (unsigned long long)-1;
			} else if (buf[i] != 'x') {
				bad++;
			}
		}
		total += (unsigned long long)n;
	}
	close(fds[0]);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) < 100);
	/* the cap must have bitten, or the test proves nothing */
	CHECK(WEXITSTATUS(status) & 64);
	/* whole lines only, and what was not written was counted */
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(total % REC_LEN, 0);
	CHECK_EQ_INT(total / REC_LEN + (WEXITSTATUS(status) & 63), RECS);
	CHECK(total / REC_LEN > 0);
}

/*
 * A record that fits in no buffer is dropped and counted once the records
 * before it are written out, not retried for ever.
 */
UNIT_TEST(output_record_too_big)
{
	struct output o = { .fd = -1 };
	char got[8] = "";
	int fds[2], tries = 0;

	CHECK_EQ_INT(pipe(fds), 0);
	o.fd = fds[1];
	outbuf__puts(&o.buf, "a\n");
	do {
		output__begin(&o);
		outbuf__puts(&o.buf, "partial");
		outbuf__reserve(&o.buf, SIZE_MAX / 2);
		tries++;
	} while (!output__end(&o) && tries < 5);
	CHECK_EQ_INT(tries, 2); /* once more after writing out "a\n" */
	CHECK_EQ_INT(o.unwritten, 1);
	CHECK_EQ_INT(o.buf.len, 0);
	CHECK(!o.buf.oom);
	close(fds[1]);
	CHECK_EQ_INT(read(fds[0], got, sizeof(got) - 1), 2);
	CHECK_EQ_STR(got, "a\n");
	close(fds[0]);
	outbuf__free(&o.buf);
}
