// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * /proc/kallsyms text, parsed in place (ksyms.c moves names down inside
 * the buffer it reads), then looked up at addresses taken from the same
 * input: every symbol found must be one the text named.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksyms *ks = ksyms__parse_text((const char *)data, size);
	const char *name, *module;
	char buf[96];
	uint64_t addr, off;
	size_t i;

	/* without symbols, formatting still gives the address */
	ksyms__format(ks, 0xffffffff81000000ull, buf, sizeof(buf));
	if (!ks)
		return 0;
	if (!ksyms__count(ks))
		abort(); /* an empty table is ENOENT, not a struct */
	/* addresses: every 8 bytes of the input, as raw numbers */
	for (i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
		memcpy(&addr, data + i, sizeof(addr));
		name = ksyms__find_module(ks, addr, &off, &module);
		if (name && (off > addr || strchr(name, '\n')))
			abort();
		if (module && (!name || strchr(module, '\n')))
			abort();
		ksyms__format(ks, addr, buf, sizeof(buf));
		if (strnlen(buf, sizeof(buf)) == sizeof(buf))
			abort();
		ksyms__format(ks, addr, buf, 8); /* truncated */
		ksyms__format(ks, addr, buf, 1);
	}
	ksyms__free(ks);
	return 0;
}
