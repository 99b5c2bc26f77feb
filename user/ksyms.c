// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel symbolizer. /proc/kallsyms has 100k-200k lines and reading it is
 * most of the start-up cost of --kstack, so the file is read in a few
 * large read()s and parsed in place: the kept names are moved down to the
 * front of the same buffer, which then becomes the name arena. No
 * allocation per symbol.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ksyms.h"

#define NO_MODULE UINT32_MAX
/* far above any real kallsyms; offsets into the arena must fit 32 bits */
#define MAX_FILE (1u << 30)

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset in the arena */
	uint32_t module; /* offset in the arena, NO_MODULE for vmlinux */
};

struct ksyms {
	struct ksym *syms; /* sorted by addr, one per address */
	size_t n;
	char *names; /* arena of NUL-terminated names */
};

/*
 * The whole file in one buffer, with a spare byte. /proc files report a
 * size of 0, so the buffer grows as the reads come in.
 */
static int read_file(const char *path, char **bufp, size_t *lenp)
{
	size_t cap = 1 << 20, len = 0;
	struct stat st;
	char *buf, *p;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!fstat(fd, &st) && st.st_size > 0 &&
	    (uint64_t)st.st_size < MAX_FILE)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (cap - len < 2) {
			if (cap >= MAX_FILE) {
				err = -EFBIG;
				goto fail;
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				err = -ENOMEM;
				goto fail;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return err;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parser state: where the next kept name goes, and the symbols so far. */
struct parse {
	char *buf;
	size_t w; /* write offset in buf, never past the line being read */
	struct ksym *syms;
	size_t n, cap;
	uint32_t last_mod; /* module names repeat line after line: share them */
	size_t last_mod_len;
	int any_addr;
};

/* Move @len bytes at @s down to the write offset, NUL-terminated. */
static uint32_t keep_string(struct parse *ps, const char *s, size_t len)
{
	uint32_t off = (uint32_t)ps->w;

	memmove(ps->buf + ps->w, s, len);
	ps->buf[ps->w + len] = '\0';
	ps->w += len + 1;
	return off;
}

/* One line "ffffffff8201fd30 T tcp_reset[\t[module]]", without the \n. */
static int parse_line(struct parse *ps, const char *p, const char *end)
{
	const char *name, *mod = NULL, *mod_end = NULL;
	uint64_t addr = 0;
	int digits = 0, v;
	struct ksym *s;
	char type;

	while (p < end && (v = hexval(*p)) >= 0) {
		addr = addr << 4 | (uint64_t)v;
		p++;
		digits++;
	}
	if (!digits || digits > 16 || end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return 0;
	type = p[1];
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	name = p + 3;
	for (p = name; p < end && *p != '\t' && *p != ' '; p++)
		;
	if (p == name)
		return 0;
	if (end - p > 2 && p[1] == '[') {
		mod = p + 2;
		mod_end = memchr(mod, ']', (size_t)(end - mod));
		if (!mod_end || mod_end == mod)
			mod = NULL;
	}

	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 1024;

		s = realloc(ps->syms, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		ps->syms = s;
		ps->cap = cap;
	}
	/*
	 * Everything read from the line before anything is written: the
	 * name moves down by at least the address and type, so it cannot
	 * reach the module name behind it, and the module cannot reach the
	 * next line.
	 */
	s = &ps->syms[ps->n++];
	s->addr = addr;
	s->name = keep_string(ps, name, (size_t)(p - name));
	s->module = NO_MODULE;
	if (mod) {
		size_t len = (size_t)(mod_end - mod);

		if (ps->last_mod != NO_MODULE && len == ps->last_mod_len &&
		    !memcmp(ps->buf + ps->last_mod, mod, len)) {
			s->module = ps->last_mod;
		} else {
			s->module = keep_string(ps, mod, len);
			ps->last_mod = s->module;
			ps->last_mod_len = len;
		}
	}
	ps->any_addr |= addr != 0;
	return 0;
}

/* By address; among aliases, the one that came first in the file. */
static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/*
 * Sort @syms, of which the first @sorted are in order already. vmlinux
 * comes sorted and first, then come module and BPF symbols, which may not
 * be: sorting only that tail and merging is several times faster than
 * sorting everything.
 */
static int ksyms__sort(struct ksym *syms, size_t n, size_t sorted)
{
	size_t ntail = n - sorted, i = sorted, j = ntail, k = n;
	struct ksym *tail;

	qsort(syms + sorted, ntail, sizeof(*syms), ksym_cmp);
	tail = malloc(ntail * sizeof(*tail));
	if (!tail)
		return -ENOMEM;
	memcpy(tail, syms + sorted, ntail * sizeof(*tail));
	/* from the back, so that the prefix is read before it is overwritten */
	while (j > 0) {
		if (i > 0 && ksym_cmp(&syms[i - 1], &tail[j - 1]) > 0)
			syms[--k] = syms[--i];
		else
			syms[--k] = tail[--j];
	}
	free(tail);
	return 0;
}

static struct ksyms *ksyms__parse(char *buf, size_t len)
{
	struct parse ps = { .buf = buf, .last_mod = NO_MODULE };
	const char *p = buf, *end = buf + len, *nl;
	struct ksyms *ks;
	size_t i, j, sorted = 0; /* syms[0..sorted) are in order */
	int err;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		err = parse_line(&ps, p, nl);
		if (err)
			goto fail;
		p = nl + 1;
	}
	if (!ps.n || !ps.any_addr) {
		/* all zero: kptr_restrict hides the addresses from us */
		err = ps.n ? -EPERM : -ENOENT;
		goto fail;
	}
	while (++sorted < ps.n &&
	       ps.syms[sorted - 1].addr <= ps.syms[sorted].addr)
		;
	if (sorted < ps.n) {
		err = ksyms__sort(ps.syms, ps.n, sorted);
		if (err)
			goto fail;
	}
	/* aliases: keep the first, so that lookups are deterministic */
	for (i = 1, j = 1; i < ps.n; i++)
		if (ps.syms[i].addr != ps.syms[j - 1].addr)
			ps.syms[j++] = ps.syms[i];
	ps.n = j;

	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		err = -ENOMEM;
		goto fail;
	}
	/* shrinking; on failure the larger blocks are still good */
	ks->syms = realloc(ps.syms, ps.n * sizeof(*ps.syms)) ?: ps.syms;
	ks->n = ps.n;
	ks->names = realloc(buf, ps.w) ?: buf;
	return ks;
fail:
	free(ps.syms);
	free(buf);
	errno = -err;
	return NULL;
}

struct ksyms *ksyms__load_file(const char *path)
{
	size_t len = 0;
	char *buf = NULL;
	int err;

	err = read_file(path, &buf, &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	return ksyms__parse(buf, len);
}

struct ksyms *ksyms__parse_text(const char *text, size_t len)
{
	/* parsed in place: a copy, with the spare byte read_file() gives */
	char *buf;

	if (len >= MAX_FILE) {
		errno = EFBIG;
		return NULL;
	}
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	memcpy(buf, text, len);
	return ksyms__parse(buf, len);
}

struct ksyms *ksyms__load(void)
{
	return ksyms__load_file("/proc/kallsyms");
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->names);
	free(ks);
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->n : 0;
}

const char *ksyms__find_module(const struct ksyms *ks, uint64_t addr,
			       uint64_t *offset, const char **module)
{
	const struct ksym *s;
	size_t lo = 0, hi;

	if (module)
		*module = NULL;
	if (!ks || !ks->n || addr < ks->syms[0].addr)
		return NULL;
	/* the first symbol above addr is at lo; the one before contains it */
	hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	s = &ks->syms[lo - 1];
	if (offset)
		*offset = addr - s->addr;
	if (module && s->module != NO_MODULE)
		*module = ks->names + s->module;
	return ks->names + s->name;
}

const char *ksyms__find(const struct ksyms *ks, uint64_t addr, uint64_t *offset)
{
	return ksyms__find_module(ks, addr, offset, NULL);
}

void ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const char *name, *mod;
	uint64_t off;

	if (!len)
		return;
	name = ksyms__find_module(ks, addr, &off, &mod);
	if (!name)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else if (mod)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", name, off, mod);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, name, off);
}
