// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Sizes of the bounded owner tables, from the host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "tables.h"

#define TW_MIN 16384
#define ACCEPTS_MIN 16384
#define ACCEPTS_MAX (256 * 1024)
#define LEGACY_MIN 65536
#define TABLE_MAX (1024 * 1024)
/* an LRU hash entry of these maps costs about this much kernel memory */
#define ENTRY_BYTES 128
/* no table takes more than this share of the host's memory */
#define MEM_SHARE 256

long long tables__read_sysctl(const char *path, long long fallback)
{
	long long v;
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return fallback;
	ok = fscanf(f, "%lld", &v) == 1;
	fclose(f);
	return ok && v >= 0 ? v : fallback;
}

/* The largest table the host's memory allows, in entries. */
static uint32_t mem_cap(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	unsigned long long cap;

	if (pages <= 0 || psize <= 0)
		return TABLE_MAX;
	cap = (unsigned long long)pages * psize / MEM_SHARE / ENTRY_BYTES;
	return cap < TABLE_MAX ? (uint32_t)cap : TABLE_MAX;
}

static uint32_t clamp(long long v, uint32_t lo, uint32_t hi)
{
	if (v < lo)
		return lo;
	return v > hi ? hi : (uint32_t)v;
}

/* TCP sockets the host holds now (all states), from /proc/net/sockstat. */
static long long tcp_sockets(void)
{
	long long inuse = 0, orphan = 0, tw = 0, alloc = 0;
	char line[256];
	FILE *f = fopen("/proc/net/sockstat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line,
			   "TCP: inuse %lld orphan %lld tw %lld alloc %lld",
			   &inuse, &orphan, &tw, &alloc) == 4)
			break;
	fclose(f);
	return alloc + tw;
}

void tables__size(struct table_sizes *ts, uint32_t tw_override, bool legacy,
		  bool side_table)
{
	uint32_t cap = mem_cap();
	long long tw, somaxconn, socks;

	memset(ts, 0, sizeof(*ts));
	/* one per timewait socket the host may keep (per network namespace) */
	tw = tables__read_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets", -1);
	if (tw_override) {
		ts->tw_owners = tw_override;
		ts->tw_from = "--tw-owners";
	} else {
		ts->tw_owners = clamp(tw, TW_MIN, cap > TW_MIN ? cap : TW_MIN);
		ts->tw_from = tw < 0 ? "default" :
			      ts->tw_owners == tw ?
				       "net.ipv4.tcp_max_tw_buckets" :
			      ts->tw_owners > tw ? "minimum" :
						   "memory";
	}
	/* accepted, not yet read: a few listen backlogs' worth */
	somaxconn = tables__read_sysctl("/proc/sys/net/core/somaxconn", 4096);
	ts->accepts =
		side_table ? clamp(somaxconn * 8, ACCEPTS_MIN, ACCEPTS_MAX) : 1;
	socks = tcp_sockets();
	ts->owners_by_sk = legacy ? clamp(socks * 2, LEGACY_MIN, cap) : 1;
	ts->seeds = legacy ? clamp(socks, LEGACY_MIN, cap) : 1;
	ts->listeners = legacy ? 4096 : 1;
}

unsigned long long tables__count(int fd, unsigned int key_size)
{
	unsigned char a[64], b[64], *key = a, *next = b, *t;
	unsigned long long n = 0;
	void *prev = NULL;

	if (fd < 0 || key_size > sizeof(a))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		n++;
		t = key;
		key = next;
		next = t;
		prev = key;
	}
	return n;
}

unsigned long long tables__evicted(const struct table_use *u)
{
	unsigned long long gone = u->deleted + u->live;

	return u->put > gone ? u->put - gone : 0;
}
