/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A minimal unit-test harness: UNIT_TEST() registers a test at start-up,
 * CHECK*() record failures without stopping the test.
 */
#ifndef __UNIT_H
#define __UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(int *failures);
	struct unit_test *next;
};

void unit__register(struct unit_test *t);

#define UNIT_TEST(tname)                                                      \
	static void unit_fn_##tname(int *unit_failures);                      \
	static struct unit_test unit_##tname = { #tname, unit_fn_##tname,     \
						 NULL };                      \
	__attribute__((constructor)) static void unit_reg_##tname(void)       \
	{                                                                     \
		unit__register(&unit_##tname);                                \
	}                                                                     \
	static void unit_fn_##tname(int *unit_failures)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",        \
				__FILE__, __LINE__, #cond);                   \
			(*unit_failures)++;                                   \
		}                                                             \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                    \
	do {                                                                  \
		long long _a = (long long)(a), _b = (long long)(b);           \
		if (_a != _b) {                                               \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", \
				__FILE__, __LINE__, #a, _a, _b);              \
			(*unit_failures)++;                                   \
		}                                                             \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                    \
	do {                                                                  \
		const char *_a = (a), *_b = (b);                              \
		if (!_a || !_b || strcmp(_a, _b)) {                           \
			fprintf(stderr,                                       \
				"  %s:%d: %s == \"%s\",\n      expected \"%s\"\n", \
				__FILE__, __LINE__, #a, _a ? _a : "(null)",   \
				_b ? _b : "(null)");                          \
			(*unit_failures)++;                                   \
		}                                                             \
	} while (0)

#endif /* __UNIT_H */
