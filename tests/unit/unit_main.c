// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "unit.h"

static struct unit_test *tests;

void unit__register(struct unit_test *t)
{
	t->next = tests;
	tests = t;
}

/* Runs every test, or those named on the command line. */
int main(int argc, char **argv)
{
	int passed = 0, failed = 0, i;
	struct unit_test *t;

	for (t = tests; t; t = t->next) {
		int failures = 0;
		int wanted = argc < 2;

		for (i = 1; i < argc; i++)
			wanted |= !strcmp(argv[i], t->name);
		if (!wanted)
			continue;
		t->fn(&failures);
		printf("%s %s\n", failures ? "FAIL" : "ok", t->name);
		if (failures)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
